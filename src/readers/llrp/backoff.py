"""Exponential backoff with jitter between reconnect attempts.

sllurp's own reconnect waits a fixed 60 s between tries; a dock door cannot be blind that
long after a reader reboot, and a fleet of readers behind one switch that came back must
not reconnect in lockstep, hence the jitter.
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(
        self,
        first_s: float = 0.2,
        max_s: float = 30.0,
        factor: float = 2.0,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < first_s <= max_s or factor < 1:
            raise ValueError("need 0 < first_s <= max_s and factor >= 1")
        self._first_s = first_s
        self._max_s = max_s
        self._factor = factor
        self._rng = rng or random.Random()
        self._attempt = 0

    def next_delay(self) -> float:
        """The wait before the next attempt: the ceiling doubles per failure; the delay is
        drawn from its upper half ("equal jitter") so it never collapses to zero."""
        ceiling = min(self._max_s, self._first_s * self._factor**self._attempt)
        if ceiling < self._max_s:  # stop counting at the cap: factor**n would overflow
            self._attempt += 1
        return self._rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        """After a connection that worked: the next failure starts from the first delay."""
        self._attempt = 0
