"""The CoT gateway: a partner's live picture, forwarded to a TAK server.

The gateway follows the partner's stream with :func:`tracklayer.client.stream_updates`
(read on a thread: the client is blocking), turns each update into CoT events
(:class:`~tracklayer.cot.picture.CotPicture`) and writes them to the TAK server over the
connection pytak opens for the ``--tak`` URL (``tcp://``, ``tls://`` with pytak's
``PYTAK_TLS_*`` settings from the environment, ``udp://``), as CoT XML or as TAK protocol
version 1 (protobuf). On a TCP/TLS stream, version 1 is negotiated with the server
(:class:`~tracklayer.cot.takprotocol.TakStream`): events go as XML until the server has
offered version 1 and accepted the gateway's request, and stay XML with a server that never
offers it. Over UDP (mesh) there is nothing to negotiate: ``--protobuf`` sends mesh frames
(``0xbf 0x01 0xbf``) from the start. When the stream
ends (the service restarted) it subscribes again after a back-off; the new subscription's
picture re-sends every track, which a TAK client takes as an update of the same uids.
"""

from __future__ import annotations

import asyncio
import os
import threading
import warnings
from collections.abc import Callable
from configparser import ConfigParser
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from tracklayer.client import stream_updates
from tracklayer.cot.events import to_protobuf
from tracklayer.cot.picture import CotPicture
from tracklayer.cot.takprotocol import NEGOTIATION_TIMEOUT_S, TakStream

__all__ = ["GatewayCounts", "GatewayRefused", "run_gateway"]

#: Longest wait before subscribing again after the stream ended, s.
MAX_BACKOFF_S = 30.0


class GatewayRefused(Exception):
    """The service refused the subscription (a bad or revoked token): retrying cannot help."""


@dataclass
class GatewayCounts:
    """Running totals of a gateway.

    Attributes
    ----------
    updates : int
        Stream updates received.
    events : int
        CoT events written to the TAK server.
    subscriptions : int
        Stream subscriptions opened (1 + reconnections).
    protocol : str
        What the TAK connection speaks at the end: ``xml``, ``protobuf`` (version 1 agreed
        on a stream, or mesh frames over UDP), or ``requested`` (the server has not yet
        answered the request).
    offered : tuple of int
        TAK protocol versions the server offered on the stream (empty: no offer).
    """

    updates: int = 0
    events: int = 0
    subscriptions: int = 0
    protocol: str = "xml"
    offered: tuple[int, ...] = ()


def _pytak() -> Any:
    # pytak warns at import that its optional TLS-enrolment (cryptography) and Marti API
    # (aiohttp) packages are missing; the gateway uses neither.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        import pytak
    return pytak


def _pump(
    server: str, token: str, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any]
) -> None:
    """Read the stream on this thread into ``queue``; None marks its end, an exception
    its failure."""
    try:
        for update in stream_updates(server, token):
            loop.call_soon_threadsafe(queue.put_nowait, update)
        loop.call_soon_threadsafe(queue.put_nowait, None)
    except Exception as exc:  # handed to the event loop, which decides
        loop.call_soon_threadsafe(queue.put_nowait, exc)


def _refusal(exc: BaseException) -> str | None:
    """Why the service refused the subscription, or None for a failure worth retrying."""
    from websockets.exceptions import InvalidStatus

    if isinstance(exc, InvalidStatus) and exc.response.status_code in (401, 403):
        return f"the service refused the token (HTTP {exc.response.status_code})"
    if isinstance(exc, ValueError):
        return str(exc)
    return None


class _MeshSender:
    """Events over UDP through pytak's TXWorker, as XML or mesh-framed protobuf."""

    def __init__(self, tx: Any, writer: Any, protobuf: bool) -> None:
        self._tx, self._writer, self._protobuf = tx, writer, protobuf
        self.protocol = "protobuf" if protobuf else "xml"
        self.offered: tuple[int, ...] = ()

    async def send(self, event: bytes) -> None:
        await self._tx.send_data(to_protobuf(event, mesh=True) if self._protobuf else event)

    async def close(self) -> None:
        if hasattr(self._writer, "close"):
            self._writer.close()


async def _open_tak(tak_url: str, protobuf: bool, negotiation_s: float) -> Any:
    """Connect to the TAK server: a sender with ``send(event)``, ``close()``, ``protocol``."""
    pytak = _pytak()
    settings = {k: v for k, v in os.environ.items() if k.startswith("PYTAK_") and "%" not in v}
    config = ConfigParser(settings, interpolation=None)
    config.add_section("tracklayer")
    section = config["tracklayer"]
    section["COT_URL"] = tak_url
    section["TAK_PROTO"] = "0"  # the gateway encodes protobuf itself
    reader, writer = await pytak.protocol_factory(section)
    if urlparse(tak_url).scheme.startswith("udp"):
        return _MeshSender(pytak.TXWorker(asyncio.Queue(), section, writer), writer, protobuf)
    return TakStream(reader, writer, protobuf, negotiation_s)


async def run_gateway(
    server: str,
    token: str,
    tak_url: str,
    *,
    protobuf: bool = False,
    picture: CotPicture | None = None,
    reconnect: bool = True,
    max_events: int | None = None,
    on_update: Callable[[GatewayCounts], None] | None = None,
    negotiation_s: float = NEGOTIATION_TIMEOUT_S,
) -> GatewayCounts:
    """Forward a partner's live picture to a TAK server until the stream ends for good.

    Parameters
    ----------
    server, token : str
        The picture service's root URL and the partner's token.
    tak_url : str
        The TAK server, ``tcp://host:port`` (also ``tls://``, ``udp://``).
    protobuf : bool
        Send TAK protocol version 1 (protobuf) instead of CoT XML: negotiated on a TCP/TLS
        stream (XML until the server agrees, XML throughout if it never offers), mesh
        frames over UDP.
    picture : CotPicture, optional
        The events' settings (stale time, which tracks); the defaults otherwise.
    reconnect : bool
        Subscribe again, after a back-off, when the stream ends or fails.
    max_events : int, optional
        Stop once this many events are written (tests).
    on_update : callable, optional
        Called with the running totals after each stream update.
    negotiation_s : float
        Longest wait for the TAK server's answer to a version 1 request, s.

    Raises
    ------
    GatewayRefused
        The service refused the token.
    """
    picture = picture or CotPicture()
    tak = await _open_tak(tak_url, protobuf, negotiation_s)
    counts = GatewayCounts()
    loop = asyncio.get_running_loop()
    backoff_s = 1.0
    try:
        while True:
            queue: asyncio.Queue[Any] = asyncio.Queue()
            counts.subscriptions += 1
            threading.Thread(
                target=_pump, args=(server, token, loop, queue), daemon=True, name="cot-stream"
            ).start()
            while (item := await queue.get()) is not None and not isinstance(item, Exception):
                backoff_s = 1.0
                counts.updates += 1
                for event in picture.events(item):
                    await tak.send(event)
                    counts.events += 1
                    counts.protocol, counts.offered = tak.protocol, tak.offered
                    if max_events is not None and counts.events >= max_events:
                        return counts
                if on_update is not None:
                    on_update(counts)
            if isinstance(item, Exception) and (why := _refusal(item)) is not None:
                raise GatewayRefused(why)
            if not reconnect:
                return counts
            await asyncio.sleep(backoff_s)
            backoff_s = min(2.0 * backoff_s, MAX_BACKOFF_S)
    finally:
        counts.protocol, counts.offered = tak.protocol, tak.offered
        await tak.close()
