"""The synthetic history behind `tagtrail bench reports`: assets going round the loop.

Each asset lives loop after loop, in the event shapes the tracker writes (tracker.domain):
idle at home (a move now and then) → out through a dock door on a dispatch (left site,
custody to the customer, status in_transit/exited; 3 % leave without one and raise
unauthorized_exit) → seen at the customer (at_custodian) → out of the customer's door
(in_transit/left_external; 5 % slip back unseen and are next seen on site) → home (arrived,
custody home, turnaround, in_service). Along the way: overdue_return alerts when a stay
passes the 21-day due date, 3 % go missing at the customer (half of those are written off
as lost, and most of those never come back), and 10 % of returns go into recovery (intake,
grading, decision; redeployed, or resold/harvested/recycled and retired). The last loop of
15 % of assets is cut short: they are still out when the history ends.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

Row = tuple[object, ...]

SITES = ("north", "south")
CUSTOMERS = tuple(f"cust-{n:02d}" for n in range(1, 13))
# id, name, replacement value, data bearing
TYPES = (
    ("crate", "Crate", Decimal("42.50"), False),
    ("pallet-box", "Pallet box", Decimal("120.00"), False),
    ("rack", "Rack", Decimal("900.00"), False),
    ("laptop", "Laptop", Decimal("1100.00"), True),
)
CATEGORIES = ("end_of_lease", "customer_return", "damaged_in_use", "product_failure", "recall")
START = datetime(2025, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
DUE = 21 * DAY
# Share of the asset's value a path brings back (recycling: a flat 1.20 of proceeds).
_RECOVERED = {"redeploy": Decimal(1), "resale": Decimal("0.4"), "parts": Decimal("0.15")}

_STATUS = '{{"from_status": "{0}", "to_status": "{1}", "cause": "{2}"}}'
_CUSTODY = '{{"from_custodian_id": "{0}", "to_custodian_id": "{1}", "dispatch_id": "{2}"}}'
_ALERT = '{{"alert_kind": "{0}", "reason": "bench", "site_id": null, "replacement_value": null}}'


@dataclass
class History:
    events: list[Row] = field(default_factory=list)
    alerts: list[Row] = field(default_factory=list)
    cases: list[Row] = field(default_factory=list)


def asset_id(n: int) -> str:
    return f"a{n:07d}"


class Life:
    """One asset's history, appended to `out` loop by loop."""

    def __init__(self, n: int, rng: random.Random, out: History) -> None:
        self.n, self.id, self.rng, self.out = n, asset_id(n), rng, out
        self.type_id, _, self.value, _ = TYPES[n % len(TYPES)]
        self.site = SITES[n % len(SITES)]
        self.home = f"site:{self.site}"
        self.at = START + rng.random() * 60 * DAY
        self.status, self.steps, self.observations, self.loops = "in_service", 0, 0, 0

    # -- the event shapes ----------------------------------------------------------------------

    def observe(self, hours: float) -> None:
        """Time passes until the next observation; the events it causes share its id."""
        self.at += hours * HOUR
        self.observations += 1

    def emit(
        self, kind: str, payload: str, site: str | None = None, zone: str | None = None
    ) -> None:
        self.steps += 1
        observation = f"{self.id}-{self.observations}"
        self.out.events.append(
            (
                self.id,
                kind,
                self.at,
                self.at + timedelta(seconds=1),
                observation,
                site,
                zone,
                payload,
            )
        )

    def change(self, to: str, cause: str) -> None:
        self.emit("asset_status_changed", _STATUS.format(self.status, to, cause))
        self.status = to

    def alert(self, kind: str, at: datetime, custodian: str, resolved: bool) -> None:
        status = "resolved" if resolved else "open"
        self.out.alerts.append(
            (self.id, kind, "warning", status, at, self.site, custodian, self.value)
        )

    # -- one loop -----------------------------------------------------------------------------

    def loop(self, cut_short: bool) -> bool:
        """One loop; False when the asset's history ends (lost for good, or retired)."""
        self.loops += 1
        rng, dock = self.rng, f"{self.site}-dock"
        self.observe(rng.expovariate(1 / 120))  # idle at home, 5 days on average
        self.emit(
            "asset_moved", f'{{"site_id": "{self.site}", "to_zone_id": "{dock}"}}', self.site, dock
        )
        self.observe(rng.uniform(0.2, 8))
        customer = CUSTOMERS[rng.randrange(len(CUSTOMERS))]
        dispatch = f"d-{self.id}-{self.loops}" if rng.random() >= 0.03 else None
        departed = self.at
        self.emit(
            "asset_left_site", f'{{"site_id": "{self.site}", "zone_id": "{dock}"}}', self.site, dock
        )
        if dispatch is None:
            self.emit("alert_raised", _ALERT.format("unauthorized_exit"), self.site)
            self.alert("unauthorized_exit", self.at, self.home, resolved=True)
        else:
            self.emit("custody_transferred", _CUSTODY.format(self.home, customer, dispatch))
        self.change("in_transit", "exited")
        holder = customer if dispatch else self.home
        self.observe(rng.uniform(4, 48))
        self.emit("asset_arrived", '{"zone_kind": "external", "at_home": false}')
        self.change("at_custodian", "seen_external")
        if cut_short:
            return False
        # A stay of 11 days (median) times a factor of the customer's own, 0.5 to 1.4.
        factor = 0.5 + CUSTOMERS.index(customer) / len(CUSTOMERS)
        self.observe(rng.lognormvariate(5.6, 0.6) * factor)
        if rng.random() < 0.03 and not self.went_missing(holder):
            return False
        self.way_back(holder, dispatch, departed)
        return self.status != "retired"

    def went_missing(self, holder: str) -> bool:
        """Marked missing at the customer; True when it turns up again on the way back."""
        rng = self.rng
        self.change("missing", "marked_missing")
        self.emit("alert_raised", _ALERT.format("not_seen"))
        self.alert("not_seen", self.at, holder, resolved=True)
        if rng.random() < 0.5:
            self.observe(rng.uniform(48, 480))
            return True
        self.observe(30 * 24)
        self.change("lost", "written_off")
        self.emit("alert_raised", _ALERT.format("lost"))
        found = rng.random() < 0.3
        self.alert("lost", self.at, holder, resolved=found)
        self.observe(rng.uniform(240, 1440))
        return found

    def way_back(self, holder: str, dispatch: str | None, departed: datetime) -> None:
        rng = self.rng
        if self.status != "at_custodian" or rng.random() >= 0.05:  # else: door read missed
            self.change("in_transit", "left_external")
            self.emit("asset_left_site", '{"zone_kind": "external"}')
            self.observe(rng.uniform(6, 72))
        self.emit("asset_arrived", f'{{"site_id": "{self.site}", "at_home": true}}', self.site)
        if dispatch is not None:
            self.emit("custody_transferred", _CUSTODY.format(holder, self.home, dispatch))
            overdue = self.at - departed > DUE
            if overdue:
                self.alert("overdue_return", departed + DUE, holder, resolved=True)
            self.emit(
                "turnaround_recorded",
                f'{{"dispatch_id": "{dispatch}", "overdue": {str(overdue).lower()}}}',
            )
        self.change("in_service", "seen_on_site")
        if rng.random() < 0.10:
            self.recover(holder, dispatch)

    def recover(self, holder: str, dispatch: str | None) -> None:
        """Intake on return, grading, a decision and the path carried out."""
        rng = self.rng
        self.observe(rng.uniform(0.2, 24))
        opened = self.at
        case_id = f"rc_{self.n:07x}{self.loops:05x}"
        self.change("in_recovery", "recovery_opened")
        self.emit("recovery_opened", f'{{"case_id": "{case_id}"}}')
        self.observe(rng.uniform(24, 96))
        graded = self.at
        self.emit("recovery_graded", f'{{"case_id": "{case_id}"}}')
        self.observe(rng.uniform(12, 240))
        decided = self.at
        path = rng.choices(("redeploy", "resale", "parts", "recycling"), (80, 8, 6, 6))[0]
        repair = Decimal(rng.randrange(0, 4000)) / 100 if path == "redeploy" else Decimal(0)
        recovered = _RECOVERED[path] * self.value if path != "recycling" else Decimal("1.20")
        self.emit("recovery_decided", f'{{"case_id": "{case_id}", "path": "{path}"}}')
        self.observe(rng.uniform(2, 72))
        if path == "redeploy":
            self.change("in_service", "redeployed")
        else:
            self.change("retired", "retired")
        self.emit("recovery_closed", f'{{"case_id": "{case_id}"}}')
        grade = "ready_to_redeploy" if path == "redeploy" else "disposal"
        category = CATEGORIES[rng.randrange(len(CATEGORIES))]
        opening = (case_id, self.id, "done", category, "bench", "rule", "bench", opened, holder)
        decision = (grade, graded, "bench", path, "{}", recovered.quantize(Decimal("0.01")))
        closing = (repair, decided, "bench", self.at, "bench")
        self.out.cases.append((*opening, dispatch, '{"trips": 1}', *decision, *closing))


def chunk(first: int, last: int, events_per_asset: int) -> History:
    """The histories of assets first..last-1."""
    out = History()
    for n in range(first, last):
        rng = random.Random(n)
        life = Life(n, rng, out)
        cut_last = rng.random() < 0.15
        while life.steps < events_per_asset:
            if not life.loop(cut_short=cut_last and life.steps > events_per_asset - 14):
                break
    return out


def asset_rows(first: int, last: int) -> list[Row]:
    return [
        (asset_id(n), TYPES[n % len(TYPES)][0], SITES[n % len(SITES)], START - 30 * DAY)
        for n in range(first, last)
    ]
