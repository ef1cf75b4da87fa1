"""The per-connection ROSpec state machine: what runs when, and what is refused."""

from __future__ import annotations

from simulators.llrp.rospec import ROSpec, ROSpecState, StartTrigger
from simulators.llrp.rospec_table import ROSpecTable
from simulators.llrp.wire import StatusCode


def test_an_immediate_rospec_runs_as_soon_as_it_is_enabled() -> None:
    table = ROSpecTable((1, 2))
    assert table.add(ROSpec(1, start_trigger=StartTrigger.IMMEDIATE)).ok
    assert table.active() == []
    assert table.enable(1).ok
    assert [r.current_state for r in table.active()] == [ROSpecState.ACTIVE]


def test_rospec_operations_out_of_order_are_refused_with_a_reason() -> None:
    table = ROSpecTable((1, 2))
    assert table.start(1).code == StatusCode.A_INVALID  # never added
    assert table.add(ROSpec(1)).ok
    assert table.add(ROSpec(1)).code == StatusCode.A_INVALID  # duplicate
    assert table.start(1).code == StatusCode.A_INVALID  # not enabled yet
    assert table.add(ROSpec(2, antenna_ids=(7,))).code == StatusCode.A_OUT_OF_RANGE
    assert table.enable(1).ok and table.start(1).ok and table.stop(1).ok
    assert table.delete(0).ok
    assert table.enable(1).code == StatusCode.A_INVALID  # deleted with "all"
