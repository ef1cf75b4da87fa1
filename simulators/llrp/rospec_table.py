"""The ROSpec state machine of one connection (spec 10.2.1, ROSpec states).

Disabled --ENABLE--> Inactive --START (or an Immediate start trigger)--> Active
Active --STOP / duration elapsed--> Inactive; DISABLE from any state -> Disabled.
Every operation answers with the LLRPStatus the response message carries.
"""

from __future__ import annotations

from dataclasses import replace

from simulators.llrp.parameters import LLRPStatus
from simulators.llrp.rospec import ALL_ANTENNAS, ROSpec, ROSpecState, StartTrigger, StopTrigger
from simulators.llrp.wire import StatusCode

SUCCESS = LLRPStatus()
MAX_ROSPECS = 8  # what GET_READER_CAPABILITIES announces as MaxNumROSpecs


def _invalid(description: str) -> LLRPStatus:
    return LLRPStatus(StatusCode.A_INVALID, description)


class ROSpecTable:
    def __init__(self, antennas: tuple[int, ...]) -> None:
        self._antennas = frozenset(antennas)
        self._rospecs: dict[int, ROSpec] = {}

    def all(self) -> list[ROSpec]:
        return list(self._rospecs.values())

    def active(self) -> list[ROSpec]:
        return [r for r in self._rospecs.values() if r.current_state == ROSpecState.ACTIVE]

    def add(self, rospec: ROSpec) -> LLRPStatus:
        problem = self._refusal(rospec)
        if problem is not None:
            return problem
        self._rospecs[rospec.rospec_id] = rospec
        return SUCCESS

    def _refusal(self, rospec: ROSpec) -> LLRPStatus | None:
        if rospec.rospec_id == 0:
            return LLRPStatus(StatusCode.P_FIELD_ERROR, "ROSpecID 0 is reserved")
        if rospec.current_state != ROSpecState.DISABLED:  # spec 16.1.3: e.g. P_FieldError
            return LLRPStatus(StatusCode.P_FIELD_ERROR, "a new ROSpec must be Disabled")
        if rospec.rospec_id in self._rospecs:
            return _invalid(f"ROSpec {rospec.rospec_id} already exists")
        if rospec.start_trigger not in (StartTrigger.NULL, StartTrigger.IMMEDIATE):
            # No GPIs (so a GPI trigger SHALL be refused) and no periodic scheduling.
            return _invalid("only Null and Immediate start triggers are simulated")
        if rospec.stop_trigger not in (StopTrigger.NULL, StopTrigger.DURATION):
            return _invalid("only Null and Duration stop triggers are simulated")
        unknown = set(rospec.antenna_ids) - self._antennas - {ALL_ANTENNAS}
        if unknown:
            return LLRPStatus(StatusCode.A_OUT_OF_RANGE, f"no antenna {sorted(unknown)}")
        if len(self._rospecs) >= MAX_ROSPECS:
            return LLRPStatus(StatusCode.A_OUT_OF_RANGE, f"at most {MAX_ROSPECS} ROSpecs")
        return None

    def enable(self, rospec_id: int) -> LLRPStatus:
        """Disabled -> Inactive, or straight to Active with an Immediate start trigger."""
        targets = self._targets(rospec_id)
        if targets is None:
            return _invalid(f"no ROSpec {rospec_id}")
        for rospec in targets:
            if rospec.current_state == ROSpecState.DISABLED:
                immediate = rospec.start_trigger == StartTrigger.IMMEDIATE
                self._set_state(rospec, ROSpecState.ACTIVE if immediate else ROSpecState.INACTIVE)
        return SUCCESS

    def disable(self, rospec_id: int) -> LLRPStatus:
        targets = self._targets(rospec_id)
        if targets is None:
            return _invalid(f"no ROSpec {rospec_id}")
        for rospec in targets:
            self._set_state(rospec, ROSpecState.DISABLED)
        return SUCCESS

    def start(self, rospec_id: int) -> LLRPStatus:
        return self._move(rospec_id, ROSpecState.INACTIVE, ROSpecState.ACTIVE)

    def stop(self, rospec_id: int) -> LLRPStatus:
        return self._move(rospec_id, ROSpecState.ACTIVE, ROSpecState.INACTIVE)

    def delete(self, rospec_id: int) -> LLRPStatus:
        targets = self._targets(rospec_id)
        if targets is None:
            return _invalid(f"no ROSpec {rospec_id}")
        for rospec in targets:
            del self._rospecs[rospec.rospec_id]
        return SUCCESS

    def _targets(self, rospec_id: int) -> list[ROSpec] | None:
        """ENABLE, DISABLE and DELETE take ROSpecID 0 as every ROSpec (16.1.5/11/13)."""
        if rospec_id == 0:
            return self.all()
        rospec = self._rospecs.get(rospec_id)
        return None if rospec is None else [rospec]

    def _move(self, rospec_id: int, source: ROSpecState, target: ROSpecState) -> LLRPStatus:
        if rospec_id == 0:  # START and STOP: "Zero is disallowed"
            return LLRPStatus(StatusCode.M_FIELD_ERROR, "ROSpecID 0 is not allowed here")
        rospec = self._rospecs.get(rospec_id)
        if rospec is None or rospec.current_state != source:
            return _invalid(f"ROSpec {rospec_id} is not {source.name.lower()}")
        self._set_state(rospec, target)
        return SUCCESS

    def _set_state(self, rospec: ROSpec, state: ROSpecState) -> None:
        self._rospecs[rospec.rospec_id] = replace(rospec, current_state=state)
