"""TAK protocol version 1 negotiation on a streaming connection.

The server side here follows the TAK protocol description (``takproto/protocol.txt`` of
the TAK client's messaging library): it offers version 1 with a ``t-x-takp-v`` event on
connection, expects exactly one ``t-x-takp-q`` reusing the offer's uid and nothing else
until its ``t-x-takp-r``, then reads only protobuf frames (``0xbf``, varint length,
``TakMessage``), which it decodes with takproto's generated ``TakMessage`` and its own
varint reader. The live test against FreeTAKServer is in ``test_tak_server.py``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from takproto.proto import TakMessage

from tracklayer.cot.events import track_events
from tracklayer.cot.takprotocol import (
    OFFER_TYPE,
    REQUEST_TYPE,
    RESPONSE_TYPE,
    TakStream,
    control_event,
    parse_control,
)

#: The offer as the protocol description writes it (single quotes, one version).
REFERENCE_OFFER = (
    b"<?xml version='1.0' encoding='UTF-8'?>\n<event version='2.0' uid='protouid' "
    b"type='t-x-takp-v' time='2026-01-01T00:00:00.000Z' start='2026-01-01T00:00:00.000Z' "
    b"stale='2026-01-01T00:01:00.000Z' how='m-g'><point lat='0.0' lon='0.0' hae='0.0' "
    b"ce='999999' le='999999'/><detail><TakControl><TakProtocolSupport version='1'/>"
    b"</TakControl></detail></event>"
)


def sample_events(n: int) -> list[bytes]:
    state = {
        "tracker": "USA",
        "track_id": "T1",
        "time": "2026-12-03T12:00:00Z",
        "x": 6_400_000.0,
        "y": 0.0,
        "z": 0.0,
        "vx": 0.0,
        "vy": 1000.0,
        "vz": 0.0,
        "cov": [100.0 if i % 7 == 0 else 0.0 for i in range(36)],
        "status": "confirmed",
    }
    records = [{**state, "track_id": f"T{i}"} for i in range(n)]
    return track_events(records, "JPN", 60.0, datetime.now(UTC))


def read_frames(data: bytes) -> list[TakMessage]:
    """Stream frames ``0xbf``, varint length, message, decoded one after another."""
    out, i = [], 0
    while i < len(data):
        assert data[i] == 0xBF, f"byte {i} is {data[i]:#x}, not a frame's 0xbf"
        length, shift, i = 0, 0, i + 1
        while True:
            byte = data[i]
            length |= (byte & 0x7F) << shift
            shift, i = shift + 7, i + 1
            if not byte & 0x80:
                break
        out.append(TakMessage.FromString(data[i : i + length]))
        i += length
    return out


class NegotiatingServer:
    """A TAK server's streaming port that offers version 1 and answers ``status``."""

    def __init__(self, offer: bytes | None, status: bool | None) -> None:
        self.offer, self.status = offer, status
        self.before_response = b""  # what the client sent up to our response
        self.after_response = b""
        self.requests: list[bytes] = []
        self.done = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.offer is not None:
            writer.write(self.offer)
            await writer.drain()
        answered = False
        while chunk := await reader.read(65536):
            if answered:
                self.after_response += chunk
                continue
            self.before_response += chunk
            control = parse_control(self.before_response)
            if control is not None and control.type == REQUEST_TYPE and self.status is not None:
                self.requests.append(self.before_response)
                writer.write(control_event(RESPONSE_TYPE, control.uid, status=self.status))
                await writer.drain()
                answered = True
        writer.close()
        await writer.wait_closed()
        self.done.set()


async def exchange(
    offer: bytes | None, status: bool | None, protobuf: bool, n: int = 3, timeout_s: float = 5.0
) -> tuple[NegotiatingServer, TakStream]:
    server = NegotiatingServer(offer, status)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    stream = TakStream(reader, writer, protobuf, timeout_s)
    await asyncio.sleep(0.2)  # the offer arrives first, as on a real connection
    for event in sample_events(n):
        await stream.send(event)
    await stream.close()
    await asyncio.wait_for(server.done.wait(), 5.0)
    listener.close()
    await listener.wait_closed()
    return server, stream


def test_the_reference_offer_is_read() -> None:
    control = parse_control(REFERENCE_OFFER)
    assert control is not None
    assert (control.type, control.uid, control.versions) == (OFFER_TYPE, "protouid", (1,))
    assert parse_control(sample_events(1)[0]) is None


def test_control_events_round_trip() -> None:
    request = parse_control(control_event(REQUEST_TYPE, "protouid", versions=(1,)))
    assert request is not None and (request.type, request.versions) == (REQUEST_TYPE, (1,))
    for status in (True, False):
        response = parse_control(control_event(RESPONSE_TYPE, "protouid", status=status))
        assert response is not None and response.status is status


def test_version_1_is_requested_then_only_protobuf_is_sent() -> None:
    server, stream = asyncio.run(exchange(REFERENCE_OFFER, True, protobuf=True))
    assert stream.protocol == "protobuf" and stream.offered == (1,)
    # The request alone precedes the response: the events waited for it.
    request = parse_control(server.before_response)
    assert request is not None
    assert (request.type, request.uid, request.versions) == (REQUEST_TYPE, "protouid", (1,))
    assert server.before_response.count(b"<event") == 1
    messages = read_frames(server.after_response)
    assert [m.cotEvent.uid for m in messages] == [f"tracklayer.JPN.USA.T{i}" for i in range(3)]
    assert {m.cotEvent.type for m in messages} == {"a-h-A-W-M-S-S"}
    assert all(abs(m.cotEvent.lat) < 1e-6 for m in messages)


def test_a_refused_request_keeps_xml() -> None:
    server, stream = asyncio.run(exchange(REFERENCE_OFFER, False, protobuf=True))
    assert stream.protocol == "xml"
    assert 0xBF not in server.after_response
    assert server.after_response.count(b"</event>") == 3


def test_an_unanswered_request_falls_back_to_xml_after_the_timeout() -> None:
    server, stream = asyncio.run(exchange(REFERENCE_OFFER, None, protobuf=True, timeout_s=0.5))
    assert stream.protocol == "xml"
    sent = server.before_response
    assert 0xBF not in sent
    assert sent.count(b"</event>") == 4  # the request, then the three events in XML


@pytest.mark.parametrize("offer", [None, REFERENCE_OFFER.replace(b"version='1'", b"version='2'")])
def test_without_an_offer_of_version_1_the_stream_stays_xml(offer: bytes | None) -> None:
    server, stream = asyncio.run(exchange(offer, True, protobuf=True))
    assert stream.protocol == "xml"
    assert server.requests == []
    assert server.before_response.count(b"</event>") == 3
    assert 0xBF not in server.before_response


def test_xml_asked_for_never_requests_protobuf() -> None:
    server, stream = asyncio.run(exchange(REFERENCE_OFFER, True, protobuf=False))
    assert (stream.protocol, stream.offered) == ("xml", (1,))
    assert server.requests == []
    assert server.before_response.count(b"</event>") == 3
