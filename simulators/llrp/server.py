"""The simulated LLRP reader: a TCP server fed with tag sightings from outside.

Delivery rules (chosen to make a reconnecting adapter testable; documented because a
real reader differs in places):
- A sighting goes to every connected client with a running (Active) ROSpec that
  inventories the sighting's antenna, right after `see()`, one TagReportData per
  sighting, whatever the ROReportTrigger/N asks for.
- While no client has a running ROSpec, sightings are **held** (oldest dropped beyond
  `held_limit`) and go to the first client whose ROSpec starts: a reader that loses its
  link and is reconnected loses nothing seen in between, as if it buffered reports.
- ROSpecs belong to the connection: a dropped connection takes its ROSpecs with it and
  the client sets them up again (sllurp does on every connect).
- Several clients may be connected at once (a real reader refuses a second one).
- Once a report is written to a socket it counts as delivered; `drop_connections()`
  can lose reports in flight, as a power cut would.
- Three ways to lose a client: `drop_connections()` (TCP reset, no goodbye),
  `freeze_connections()` (socket open, reader silent: only missed keepalives tell),
  and `stop()` (READER_EVENT_NOTIFICATION with ConnectionCloseEvent, then close).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Iterable
from datetime import datetime

from simulators.llrp.capabilities import ReaderCapabilities
from simulators.llrp.reader_state import ReaderSettings
from simulators.llrp.session import ClientSession
from simulators.llrp.sightings import TagSighting, make_sighting

log = logging.getLogger(__name__)

LLRP_PORT = 5084  # IANA-assigned port for LLRP
CLOSE_GRACE_S = 1.0


class ReaderSimulator:
    """Use as `async with ReaderSimulator(...) as reader:` or call start()/stop().

    All methods must be called from the event loop the simulator runs on.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = LLRP_PORT,
        reader_id: str = "sim-1",
        antennas: Iterable[int] = (1, 2, 3, 4),
        held_limit: int = 100_000,
    ) -> None:
        antenna_ids = tuple(sorted(set(antennas)))
        if not antenna_ids or antenna_ids[0] < 1 or antenna_ids[-1] > 0xFFFF:
            raise ValueError("antennas must be numbers 1..65535")
        self._host = host
        self._port = port
        self._settings = ReaderSettings(
            reader_id, antenna_ids, ReaderCapabilities(max_antennas=antenna_ids[-1])
        )
        self._held: deque[TagSighting] = deque(maxlen=held_limit)
        self._sessions: dict[ClientSession, asyncio.Task[None]] = {}
        self._server: asyncio.Server | None = None
        self._wake_delivery = asyncio.Event()
        self._inventory_changed = asyncio.Event()
        self._delivery_task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The listening port; after start() with port 0, the one the OS picked."""
        return self._port

    @property
    def host(self) -> str:
        return self._host

    @property
    def reader_id(self) -> str:
        return self._settings.reader_id

    @property
    def connected_clients(self) -> int:
        return len(self._sessions)

    @property
    def inventorying(self) -> bool:
        return any(session.inventorying for session in self._sessions)

    @property
    def held_sightings(self) -> int:
        return len(self._held)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve_client, self._host, self._port)
        # Keep the picked port so that stop() then start() is a reader reboot at the
        # same address, which is what a reconnecting client expects.
        self._port = int(self._server.sockets[0].getsockname()[1])
        self._delivery_task = asyncio.create_task(self._deliver_forever())
        log.info(
            "LLRP reader simulator %s listening on %s:%d", self.reader_id, self._host, self.port
        )

    async def stop(self) -> None:
        """Stops listening and closes every connection with a ConnectionCloseEvent."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for session in self._sessions:
            session.hang_up()
        if self._sessions:
            # A client that stopped reading would keep a polite close pending forever.
            _, stuck = await asyncio.wait(self._sessions.values(), timeout=CLOSE_GRACE_S)
            self.drop_connections()
            if stuck:
                await asyncio.wait(stuck)
        if self._delivery_task is not None:
            self._delivery_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery_task
        self._server = self._delivery_task = None

    async def __aenter__(self) -> ReaderSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def see(
        self,
        epc_hex: str,
        antenna: int,
        rssi_dbm: float,
        count: int = 1,
        first_seen: datetime | None = None,
        last_seen: datetime | None = None,
    ) -> None:
        """Queues one sighting; raises ValueError for values LLRP cannot carry."""
        self.see_many([make_sighting(epc_hex, antenna, rssi_dbm, count, first_seen, last_seen)])

    def see_many(self, sightings: Iterable[TagSighting]) -> None:
        for sighting in sightings:
            if sighting.antenna_id not in self._settings.antennas:
                raise ValueError(f"this reader has no antenna {sighting.antenna_id}")
            self._held.append(sighting)
        self._wake_delivery.set()

    def drop_connections(self) -> int:
        """Abruptly closes every client socket (no CLOSE_CONNECTION); returns how many."""
        sessions = list(self._sessions)
        for session in sessions:
            session.abort()
        return len(sessions)

    def freeze_connections(self) -> int:
        """Every connected client's reader goes silent with its socket left open (a hung
        reader: no reports, responses or keepalives); returns how many. Sightings are held
        for the next client, and drop_connections() or stop() still end the frozen ones."""
        sessions = list(self._sessions)
        for session in sessions:
            session.freeze()
        return len(sessions)

    async def wait_for_inventory(self) -> None:
        """Returns once some client has a running ROSpec (wrap it in asyncio.timeout)."""
        while not self.inventorying:
            self._inventory_changed.clear()
            await self._inventory_changed.wait()

    def _on_inventory_change(self) -> None:
        self._inventory_changed.set()
        self._wake_delivery.set()

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        session = ClientSession(reader, writer, self._settings, self._on_inventory_change)
        task = asyncio.current_task()
        assert task is not None  # start_server runs each client in its own task
        self._sessions[session] = task
        log.info("LLRP client connected: %s", writer.get_extra_info("peername"))
        try:
            await session.run()
        finally:
            del self._sessions[session]

    async def _deliver_forever(self) -> None:
        while True:
            await self._wake_delivery.wait()
            self._wake_delivery.clear()
            receivers = [session for session in self._sessions if session.inventorying]
            if not receivers or not self._held:
                continue
            batch = list(self._held)
            self._held.clear()
            for session in receivers:
                session.send_reports(batch)
            await asyncio.gather(*(session.drain() for session in receivers))
