"""When a failed delivery is tried again: exponential backoff with full jitter."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


def full_jitter(ceiling_s: float) -> float:
    return random.uniform(0.0, ceiling_s)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard the delivery worker tries. Tests shrink the times; production keeps these."""

    max_attempts: int = 12
    base_s: float = 1.0
    factor: float = 2.0
    cap_s: float = 3600.0
    timeout_s: float = 5.0
    # Picks the actual wait in [0, ceiling]. Full jitter spreads the retries of many
    # deliveries that failed together (a receiver's outage) instead of sending them in waves.
    jitter: Callable[[float], float] = field(default=full_jitter, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not (self.base_s > 0 and self.factor >= 1 and self.cap_s >= self.base_s):
            raise ValueError("backoff needs base_s > 0, factor >= 1 and cap_s >= base_s")
        if not self.timeout_s > 0:
            raise ValueError("timeout_s must be positive")

    @property
    def lease_s(self) -> float:
        """How long a claimed delivery stays invisible to other workers. Far longer than one
        request, so a second worker never sends it while the first is still waiting."""
        return 2 * self.timeout_s + 30.0

    def ceiling_s(self, attempt: int) -> float:
        """The longest wait after the attempt-th failure (1-based)."""
        exponent = min(attempt - 1, 64)  # 2**64 s is past any cap; avoids float overflow
        return min(self.cap_s, self.base_s * self.factor**exponent)

    def retry_delay_s(self, attempt: int) -> float:
        return self.jitter(self.ceiling_s(attempt))
