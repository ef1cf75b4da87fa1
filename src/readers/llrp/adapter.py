"""One fixed reader, kept connected: LLRP tag reports in, TagReads out to Kafka.

Connect → sllurp configures the reader and starts inventory → reports flow until the link
ends: the reader closes or resets it (reboot, power cut), or goes silent for
`DEAD_AFTER_KEEPALIVES` keepalive intervals (a hung reader or a cut cable with the socket
still open). Then reconnect, with exponential backoff and jitter while attempts fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from enum import StrEnum

from readers.llrp.backoff import Backoff
from readers.llrp.forwarding import ForwardingLimits, ReadForwarder, ReadSink
from readers.llrp.health import ReaderHealth
from readers.llrp.link import SllurpLink, TagReports
from readers.llrp.mapping import UnmappableReport, tag_read_from_report
from readers.llrp.metrics import READS_RECEIVED, RECONNECTS, REPORTS_UNMAPPABLE
from readers.llrp.target import ReaderTarget

log = logging.getLogger(__name__)

DEAD_AFTER_KEEPALIVES = 3


class LinkEnd(StrEnum):
    """Why a connection ended; the `cause` label of tagtrail_llrp_reconnects_total."""

    stopped = "stopped"
    refused = "refused"  # TCP connect failed: reader down, rebooting, or wrong address
    closed = "closed"  # the reader closed or reset the connection
    silent = "silent"  # no keepalive or report for DEAD_AFTER_KEEPALIVES intervals


class LlrpAdapter:
    def __init__(
        self,
        target: ReaderTarget,
        sink: ReadSink,
        limits: ForwardingLimits | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.target = target
        self.health = ReaderHealth(target.reader_id, target.host)
        self.forwarder = ReadForwarder(target.reader_id, sink, limits)
        self._backoff = backoff or Backoff()
        self.connections = 0  # links that reached inventory, for tests and logs
        self.unmappable = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: keep the reader connected and its reads flowing; then stop
        inventory, disconnect, and publish what is still waiting."""
        forwarding_stop = asyncio.Event()
        forwarding = asyncio.create_task(self.forwarder.run(forwarding_stop))
        try:
            while not stop.is_set():
                end = await self._connect_and_follow(stop)
                if end is LinkEnd.stopped:
                    break
                RECONNECTS.labels(self.target.reader_id, end.value).inc()
                delay = self._backoff.next_delay()
                log.warning(
                    "reader %s (%s:%d): link %s; reconnecting in %.2f s",
                    self.target.reader_id,
                    self.target.host,
                    self.target.port,
                    end.value,
                    delay,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
        finally:
            forwarding_stop.set()
            await forwarding

    async def _connect_and_follow(self, stop: asyncio.Event) -> LinkEnd:
        link = SllurpLink(self.target, self._reports_arrived)
        try:
            await link.open()
        except OSError as exc:
            log.info("reader %s: connect failed: %s", self.target.reader_id, exc)
            await link.abort()
            return LinkEnd.refused
        try:
            end = await self._follow(link, stop)
        finally:
            self.health.set_connected(False)
            if stop.is_set():
                await link.close_politely()
            else:
                await link.abort()
        log.info("reader %s: disconnected (%s)", self.target.reader_id, end.value)
        return end

    async def _follow(self, link: SllurpLink, stop: asyncio.Event) -> LinkEnd:
        """Watch the link until it ends or we are told to stop."""
        dead_after_s = DEAD_AFTER_KEEPALIVES * self.target.keepalive_s
        check_every_s = self.target.keepalive_s / 2
        while True:
            if stop.is_set():
                return LinkEnd.stopped
            if link.closed.is_set():
                return LinkEnd.closed
            if link.silent_for_s > dead_after_s:
                log.warning(
                    "reader %s: silent for %.1f s (keepalive every %.2f s): link is dead",
                    self.target.reader_id,
                    link.silent_for_s,
                    self.target.keepalive_s,
                )
                return LinkEnd.silent
            if link.inventorying.is_set() and not self.health.connected:
                self._on_inventory_started()
            await _first_of(stop, link.closed, link.inventorying, timeout_s=check_every_s)

    def _on_inventory_started(self) -> None:
        self.health.set_connected(True)
        self.connections += 1
        # The link works: should it fail, the first retry comes quickly again.
        self._backoff.reset()
        log.info(
            "reader %s (%s:%d): inventorying on antennas %s",
            self.target.reader_id,
            self.target.host,
            self.target.port,
            ",".join(map(str, self.target.antennas)),
        )

    def _reports_arrived(self, reports: TagReports) -> None:
        """On the event loop, once per RO_ACCESS_REPORT."""
        reads = []
        for report in reports:
            try:
                reads.append(tag_read_from_report(report, self.target.reader_id))
            except UnmappableReport as exc:
                self.unmappable += 1
                REPORTS_UNMAPPABLE.labels(self.target.reader_id).inc()
                log.warning("reader %s: report skipped: %s", self.target.reader_id, exc)
        if reads:
            READS_RECEIVED.labels(self.target.reader_id).inc(len(reads))
            self.health.count_reads(len(reads))
            self.forwarder.offer(reads)


async def _first_of(*events: asyncio.Event, timeout_s: float) -> None:
    # Events already set are skipped, or a set `inventorying` would make this a busy loop.
    waiters = [asyncio.ensure_future(event.wait()) for event in events if not event.is_set()]
    try:
        await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
