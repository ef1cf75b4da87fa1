"""One LLRP connection: sllurp's client on its own thread, reported into the event loop.

sllurp is GPL-3.0 and an optional extra, so it is imported here, when a link is made,
and nowhere at module import time.

Threading: sllurp calls our callbacks on its socket thread. They only record a timestamp
(a float assignment, atomic under the GIL) or hand work to the loop with
`call_soon_threadsafe`; nothing else of ours is touched from that thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from readers.llrp.target import ReaderTarget

log = logging.getLogger(__name__)

# What each TagReportData should carry: sllurp's default leaves FirstSeen and AntennaID
# off, and without FirstSeen a read has neither its true time nor a stable read_id.
TAG_CONTENT = {
    "EnableROSpecID": False,
    "EnableSpecIndex": False,
    "EnableInventoryParameterSpecID": False,
    "EnableAntennaID": True,
    "EnableChannelIndex": False,
    "EnablePeakRSSI": True,
    "EnableFirstSeenTimestamp": True,
    "EnableLastSeenTimestamp": False,
    "EnableTagSeenCount": True,
    "EnableAccessSpecID": False,
}
JOIN_TIMEOUT_S = 5.0

TagReports = list[dict[str, Any]]


class SllurpLink:
    def __init__(
        self,
        target: ReaderTarget,
        on_reports: Callable[[TagReports], None],
        connect_timeout_s: float = 5.0,
    ) -> None:
        from sllurp.llrp import LLRPReaderConfig, LLRPReaderState

        self._states = LLRPReaderState
        self._loop = asyncio.get_running_loop()
        self._on_reports = on_reports
        self.target = target
        self.inventorying = asyncio.Event()
        self.closed = asyncio.Event()
        self._rospecs_deleted = asyncio.Event()
        self._last_heard = time.monotonic()
        self._client = _reader_client_type()(
            target.host, target.port, LLRPReaderConfig(_sllurp_config(target)), connect_timeout_s
        )
        self._guard_sends()
        self._client.add_tag_report_callback(self._reports_arrived)
        self._client.add_message_callback("KEEPALIVE", self._heard)
        self._client.add_message_callback("READER_EVENT_NOTIFICATION", self._heard)
        self._client.add_message_callback("DELETE_ROSPEC_RESPONSE", self._rospecs_gone)
        self._client.add_state_callback(self._states.STATE_INVENTORYING, self._started)
        self._client.add_disconnected_callback(self._disconnected)

    @property
    def silent_for_s(self) -> float:
        """Seconds since the reader last said anything (keepalive, report or event)."""
        return time.monotonic() - self._last_heard

    async def open(self) -> None:
        """TCP connect and start sllurp's thread; sllurp then configures the reader and
        starts inventory by itself (`inventorying` is set when it has)."""
        await asyncio.to_thread(self._client.connect)
        self._last_heard = time.monotonic()

    async def close_politely(self, timeout_s: float = 2.0) -> None:
        """Stop and delete our ROSpecs, say CLOSE_CONNECTION, then close the socket.

        Not sllurp's disconnect(): called from outside its thread, it registers the callback
        for DELETE_ACCESSSPEC_RESPONSE after sending the request, and a fast reader's answer
        can beat it, leaving the stop waiting forever.
        """
        if not self.closed.is_set():
            try:
                await self._say_goodbye(timeout_s)
            except Exception as exc:  # the reader went away meanwhile: nobody left to tell
                log.info("reader %s: no polite close: %r", self.target.reader_id, exc)
        await self.abort()

    async def _say_goodbye(self, timeout_s: float) -> None:
        # sllurp's state machine takes DELETE_ROSPEC_RESPONSE quietly in this state.
        self._client.llrp.setState(self._states.STATE_SENT_DELETE_ROSPEC)
        # ROSpecID 0 = all of them; deleting a running ROSpec stops it first.
        await asyncio.to_thread(self._send, {"DELETE_ROSPEC": {"ROSpecID": 0}})
        await asyncio.wait_for(self._rospecs_deleted.wait(), timeout_s)
        # From here on sllurp's state machine has nothing to do; left running, it would log
        # CLOSE_CONNECTION_RESPONSE as an error in every state it knows.
        self._client.llrp.handleMessage = lambda _message: None
        await asyncio.to_thread(self._send, {"CLOSE_CONNECTION": {}})
        await asyncio.wait_for(self.closed.wait(), timeout_s)

    async def abort(self) -> None:
        """Close the socket without a goodbye (dead or hung reader) and end sllurp's thread."""
        self._client.hard_disconnect()
        await asyncio.to_thread(self._client.join, JOIN_TIMEOUT_S)
        if self._client.is_alive():
            log.error("reader %s: sllurp's thread did not end", self.target.reader_id)
        self.inventorying.clear()
        self.closed.set()

    def _send(self, message: dict[str, Any]) -> None:
        self._client.llrp.sendMessage(message)

    def _guard_sends(self) -> None:
        # sllurp sends KEEPALIVE_ACKs from its thread and we send the stop from ours:
        # without a lock the two could interleave bytes or reuse a message id.
        send_lock = threading.Lock()
        unguarded = self._client.llrp.sendMessage

        def guarded(message: dict[str, Any]) -> Any:
            with send_lock:
                return unguarded(message)

        self._client.llrp.sendMessage = guarded

    # -- called on sllurp's thread ----------------------------------------------------------

    def _heard(self, _client: object, _message: object) -> None:
        self._last_heard = time.monotonic()

    def _reports_arrived(self, _client: object, reports: TagReports) -> None:
        self._last_heard = time.monotonic()
        self._to_loop(self._on_reports, reports)

    def _started(self, _client: object, _state: int) -> None:
        self._to_loop(self.inventorying.set)

    def _rospecs_gone(self, _client: object, _message: object) -> None:
        self._to_loop(self._rospecs_deleted.set)

    def _disconnected(self, _client: object) -> None:
        self._to_loop(self.closed.set)

    def _to_loop(self, callback: Callable[..., None], *args: Any) -> None:
        # After the loop has closed (process exit) there is nobody left to tell.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(callback, *args)


@functools.cache
def _reader_client_type() -> type[Any]:
    from sllurp.llrp import LLRPReaderClient

    class ReaderClient(LLRPReaderClient):  # type: ignore[misc]
        def _connect_socket(self) -> bool:
            # sllurp's own forgets the socket unclosed when the reader refuses: one leaked
            # file descriptor per reconnect attempt. create_connection closes it on failure.
            sock = socket.create_connection((self._host, self._port), timeout=self._socktimeout)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._socket = sock
            return True

    return ReaderClient


def _sllurp_config(target: ReaderTarget) -> dict[str, Any]:
    config: dict[str, Any] = {
        "antennas": list(target.antennas),
        "tx_power": target.tx_power,
        "tag_content_selector": TAG_CONTENT,
        "keepalive_interval": round(target.keepalive_s * 1000),
        # Our own reconnect with backoff replaces sllurp's (fixed 60 s between tries).
        "reconnect": False,
        "start_inventory": True,
    }
    if target.mode is not None:
        config["mode_identifier"] = target.mode
    return config
