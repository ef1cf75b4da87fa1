"""One LLRP client connection: its socket, keepalives, stop timers and tag reports."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable, Sequence

from simulators.llrp.messages import EmptyMessage, Message, ReaderEventNotification, StatusResponse
from simulators.llrp.parameters import KeepaliveSpec, LLRPStatus
from simulators.llrp.protocol import decode_header, decode_message, encode_message, read_frame
from simulators.llrp.reader_state import ReaderSettings, ReaderState, error_reply
from simulators.llrp.reports import access_reports
from simulators.llrp.rospec import StopTrigger
from simulators.llrp.sightings import TagSighting
from simulators.llrp.wire import PROTOCOL_VERSION, LLRPDecodeError, MessageType, StatusCode

log = logging.getLogger(__name__)

MIN_KEEPALIVE_S = 0.01  # a client asking for 0 < interval < 10 ms would get a flood


def utc_now_us() -> int:
    return time.time_ns() // 1000


class ClientSession:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        settings: ReaderSettings,
        on_inventory_change: Callable[[], None],
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._state = ReaderState(settings)
        self._on_inventory_change = on_inventory_change
        self._keepalive_task: asyncio.Task[None] | None = None
        self._stop_timers: dict[int, asyncio.TimerHandle] = {}
        self._message_ids = itertools.count(1)
        self._closing = False
        self._frozen = False
        self._peer = writer.get_extra_info("peername")

    @property
    def inventorying(self) -> bool:
        return not self._closing and not self._frozen and bool(self._state.rospecs.active())

    async def run(self) -> None:
        # A reader opens every connection with a ConnectionAttemptEvent (spec 16.2.7.6.10);
        # clients such as sllurp send nothing until it has arrived.
        self._send(ReaderEventNotification(utc_now_us(), 0, message_id=next(self._message_ids)))
        try:
            await self._serve()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away or drop_connections() aborted us
        finally:
            await self._shut_down()

    async def _serve(self) -> None:
        while not self._closing:
            try:
                frame = await read_frame(self._reader)
            except LLRPDecodeError as error:
                # A header whose length cannot be true leaves no way to find the next
                # message: say why, announce the close (ConnectionCloseEvent) and hang up.
                log.warning("closing %s: %s", self._peer, error.reason)
                status = LLRPStatus(error.status, error.reason)
                self._send(StatusResponse(MessageType.ERROR_MESSAGE, error.message_id, status))
                self.hang_up()
                return
            if frame is None:
                return
            self._answer(frame)
            await self._writer.drain()

    def _answer(self, frame: bytes) -> None:
        header = decode_header(frame)
        try:
            message = decode_message(frame)
        except LLRPDecodeError as error:
            log.info("refused a message from %s: %s", self._peer, error.reason)
            reply = error_reply(header.message_type, header.message_id, error)
            # An unsupported version is answered in that same version (spec 16.1.35).
            unsupported_version = error.status == StatusCode.M_UNSUPPORTED_VERSION
            self._send(reply, header.version if unsupported_version else PROTOCOL_VERSION)
            return
        keepalive_before = self._state.keepalive
        for response in self._state.answer(message):
            self._send(response)
        if self._state.keepalive is not keepalive_before:
            self._apply_keepalive(self._state.keepalive)
        self._closing = self._closing or self._state.close_requested
        self._arm_stop_timers()
        self._on_inventory_change()

    def _arm_stop_timers(self) -> None:
        """ROSpecs with a Duration stop trigger go Inactive on their own when it elapses."""
        active = {r.rospec_id: r for r in self._state.rospecs.active()}
        for rospec_id in list(self._stop_timers):
            if rospec_id not in active:
                self._stop_timers.pop(rospec_id).cancel()
        loop = asyncio.get_running_loop()
        for rospec_id, rospec in active.items():
            timed = rospec.stop_trigger == StopTrigger.DURATION
            if timed and rospec_id not in self._stop_timers:
                delay = rospec.duration_ms / 1000
                self._stop_timers[rospec_id] = loop.call_later(delay, self._expire, rospec_id)

    def _expire(self, rospec_id: int) -> None:
        self._stop_timers.pop(rospec_id, None)
        self._state.rospecs.stop(rospec_id)

    def _apply_keepalive(self, keepalive: KeepaliveSpec) -> None:
        if self._keepalive_task is not None:
            self._keepalive_task.cancel()
            self._keepalive_task = None
        if keepalive.periodic:
            interval = max(keepalive.interval_ms / 1000, MIN_KEEPALIVE_S)
            self._keepalive_task = asyncio.create_task(self._send_keepalives(interval))

    async def _send_keepalives(self, interval_s: float) -> None:
        with contextlib.suppress(ConnectionError):
            while not self._closing:
                await asyncio.sleep(interval_s)
                self._send(EmptyMessage(MessageType.KEEPALIVE, next(self._message_ids)))
                await self._writer.drain()

    def send_reports(self, sightings: Sequence[TagSighting]) -> None:
        active = self._state.rospecs.active()
        content = self._state.report_content
        for report in access_reports(sightings, active, content, self._message_ids):
            self._send(report)

    async def drain(self) -> None:
        with contextlib.suppress(ConnectionError):
            await self._writer.drain()

    def hang_up(self) -> None:
        """Closes the connection the way a reader does: a ConnectionCloseEvent first."""
        closing = ReaderEventNotification(
            utc_now_us(), connection_closed=True, message_id=next(self._message_ids)
        )
        self._send(closing)
        self._closing = True
        self._writer.close()

    def abort(self) -> None:
        """Drops the TCP connection without a goodbye, as a reader losing power would."""
        self._closing = True
        self._writer.transport.abort()

    def freeze(self) -> None:
        """From now on say nothing at all, not even keepalives, but keep the socket open:
        a hung reader, which a client can only notice by the keepalives it misses."""
        self._frozen = True

    def _send(self, message: Message, version: int = PROTOCOL_VERSION) -> None:
        if not self._frozen and not self._writer.is_closing():
            self._writer.write(encode_message(message, version))

    async def _shut_down(self) -> None:
        self._closing = True
        for timer in self._stop_timers.values():
            timer.cancel()
        if self._keepalive_task is not None:
            self._keepalive_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keepalive_task
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()
        self._on_inventory_change()
