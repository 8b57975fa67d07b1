"""A streaming TAK connection that negotiates TAK protocol version 1 (protobuf).

A TAK streaming connection (TCP or TLS to a TAK server) starts in protocol version 0, CoT
XML events one after another. A server that takes protobuf says so by sending a control
event ``t-x-takp-v`` (``<TakControl><TakProtocolSupport version="1"/></TakControl>``, one
element per version it supports); a client that wants version 1 answers once with
``t-x-takp-q`` (``<TakRequest version="1"/>``, reusing the offer's uid) and sends nothing
else until the server's ``t-x-takp-r`` (``<TakResponse status="true"/>``), after which both
ends write only protobuf ``TakMessage`` frames: ``0xbf``, the message's length as a varint,
the message. ``status="false"``, or no response within the offer's minute, leaves the
connection in XML. A server that never offers keeps XML for good: FreeTAKServer 2.2.1's
CoT port is one (its ``ClientReceptionHandler`` decodes what it receives as UTF-8 and
parses it as XML; an undecodable protobuf frame is taken as the client's disconnection).

:class:`TakStream` writes events in whichever protocol the connection is in: XML from the
start, so a server that offers nothing loses nothing, and protobuf from the moment the
server accepts the request. It reads what the server sends to find the offer and the
response; events other clients send through the server are read and dropped.

Source: the TAK protocol description shipped with the TAK client's messaging library
(``takproto/protocol.txt`` of AndroidTacticalAssaultKit-CIV, sections "TAK Protocol -
Streaming Connections" and "Protocol Negotiation"); the frame encoding is ``takproto``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from tracklayer.cot.events import to_protobuf

__all__ = [
    "NEGOTIATION_TIMEOUT_S",
    "OFFER_TYPE",
    "REQUEST_TYPE",
    "RESPONSE_TYPE",
    "ControlEvent",
    "TakStream",
    "control_event",
    "parse_control",
]

OFFER_TYPE = "t-x-takp-v"
REQUEST_TYPE = "t-x-takp-q"
RESPONSE_TYPE = "t-x-takp-r"
#: How long a request waits for the server's response before the connection stays in
#: XML, s (the protocol's one minute).
NEGOTIATION_TIMEOUT_S = 60.0
#: Largest XML event the reader keeps while looking for control events, bytes.
_MAX_EVENT_BYTES = 1 << 20

Protocol = Literal["xml", "requested", "protobuf"]


@dataclass(frozen=True)
class ControlEvent:
    """A TAK protocol control event as read.

    Attributes
    ----------
    type : str
        ``t-x-takp-v`` (offer), ``t-x-takp-q`` (request) or ``t-x-takp-r`` (response).
    uid : str
        The event's uid (a request reuses the offer's).
    versions : tuple of int
        The versions offered (an offer) or asked for (a request).
    status : bool or None
        A response's verdict.
    """

    type: str
    uid: str
    versions: tuple[int, ...] = ()
    status: bool | None = None


def _cot_time(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def control_event(
    kind: str, uid: str, *, versions: tuple[int, ...] = (), status: bool | None = None
) -> bytes:
    """A TAK protocol control event as CoT XML (with the XML declaration the stream wants).

    Parameters
    ----------
    kind : str
        :data:`OFFER_TYPE`, :data:`REQUEST_TYPE` or :data:`RESPONSE_TYPE`.
    uid : str
        The event's uid.
    versions : tuple of int
        Versions offered (one ``TakProtocolSupport`` each) or requested (one ``TakRequest``).
    status : bool, optional
        A response's verdict.
    """
    now = datetime.now(UTC)
    event = ET.Element(
        "event",
        {
            "version": "2.0",
            "uid": uid,
            "type": kind,
            "how": "m-g",
            "time": _cot_time(now),
            "start": _cot_time(now),
            "stale": _cot_time(now + timedelta(seconds=NEGOTIATION_TIMEOUT_S)),
        },
    )
    unknown = "999999"
    point = {"lat": "0.0", "lon": "0.0", "hae": "0.0", "ce": unknown, "le": unknown}
    ET.SubElement(event, "point", point)
    control = ET.SubElement(ET.SubElement(event, "detail"), "TakControl")
    if kind == RESPONSE_TYPE:
        ET.SubElement(control, "TakResponse", {"status": "true" if status else "false"})
    else:
        tag = "TakProtocolSupport" if kind == OFFER_TYPE else "TakRequest"
        for version in versions:
            ET.SubElement(control, tag, {"version": str(version)})
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(event, encoding="utf-8")


def parse_control(xml: bytes) -> ControlEvent | None:
    """The control event in one CoT XML event, or None (another event, or unreadable)."""
    start = xml.find(b"<event")
    if start < 0:
        return None
    try:
        event = ET.fromstring(xml[start:])
    except ET.ParseError:
        return None
    kind = event.get("type", "")
    if kind not in (OFFER_TYPE, REQUEST_TYPE, RESPONSE_TYPE):
        return None
    tags = {OFFER_TYPE: "TakProtocolSupport", REQUEST_TYPE: "TakRequest"}
    versions = tuple(
        int(v)
        for e in event.iter(tags.get(kind, "-"))
        if (v := e.get("version", "")).strip().isdigit()
    )
    response = next(event.iter("TakResponse"), None)
    status = None if response is None else response.get("status", "").lower() == "true"
    return ControlEvent(kind, event.get("uid", ""), versions, status)


class TakStream:
    """Events to a TAK server over a streaming connection, in XML until version 1 is agreed.

    Parameters
    ----------
    reader, writer : asyncio.StreamReader, asyncio.StreamWriter
        The open connection (pytak's ``protocol_factory`` gives both for tcp/tls).
    protobuf : bool
        Ask for TAK protocol version 1 when the server offers it; XML throughout otherwise.
    timeout_s : float
        Longest wait for the server's response to a request, s.

    Attributes
    ----------
    protocol : {"xml", "requested", "protobuf"}
        What the connection speaks now (``requested``: waiting for the server's response).
    offered : tuple of int
        The versions the server offered (empty: no offer seen).
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        protobuf: bool,
        timeout_s: float = NEGOTIATION_TIMEOUT_S,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._want = protobuf
        self._timeout_s = timeout_s
        self.protocol: Protocol = "xml"
        self.offered: tuple[int, ...] = ()
        self._decided = asyncio.Event()
        self._decided.set()
        self._requested_at = 0.0
        self._watch = asyncio.create_task(self._read())

    async def send(self, event: bytes) -> None:
        """Write one CoT XML event, as protobuf once version 1 is agreed."""
        if self.protocol == "requested":
            # Nothing but the request may precede the server's response.
            left_s = self._requested_at + self._timeout_s - asyncio.get_running_loop().time()
            try:
                await asyncio.wait_for(self._decided.wait(), max(left_s, 0.0))
            except TimeoutError:
                self.protocol = "xml"
                self._decided.set()
        self._writer.write(to_protobuf(event) if self.protocol == "protobuf" else event)
        await self._writer.drain()

    async def close(self) -> None:
        """Stop reading and close the connection."""
        self._watch.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await self._watch
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()

    async def _read(self) -> None:
        """Read the server's events: act on its offer and response, drop the rest."""
        buffer = b""
        while chunk := await self._reader.read(65536):
            if self.protocol == "protobuf":
                continue  # the server's protobuf frames: other clients' events
            buffer += chunk
            while (end := buffer.find(b"</event>")) >= 0:
                event, buffer = buffer[: end + len(b"</event>")], buffer[end + len(b"</event>") :]
                if (control := parse_control(event)) is not None:
                    self._on_control(control)
                    if self.protocol == "protobuf":
                        buffer = b""
                        break
            buffer = buffer[-_MAX_EVENT_BYTES:]

    def _on_control(self, control: ControlEvent) -> None:
        """Answer an offer once, and act on the response to our request."""
        if control.type == OFFER_TYPE and not self.offered:
            self.offered = control.versions or (0,)
            if self._want and 1 in control.versions and self.protocol == "xml":
                self.protocol = "requested"
                self._decided.clear()
                self._requested_at = asyncio.get_running_loop().time()
                self._writer.write(control_event(REQUEST_TYPE, control.uid, versions=(1,)))
        elif control.type == RESPONSE_TYPE and self.protocol == "requested":
            self.protocol = "protobuf" if control.status else "xml"
            self._decided.set()
