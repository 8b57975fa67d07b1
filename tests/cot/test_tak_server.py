"""The CoT gateway live: the service's picture reaches a real TAK server's client.

A picture service (uvicorn subprocess) holds national tracks of USA and JPN; ``tracklayer
cot`` runs as JPN's gateway into a FreeTAKServer on loopback, and a TAK client connected
to that server receives the events. JPN's picture holds USA's tracks released to it, its
own, and the system tracks fused from them; a USA track released to KOR only must never
reach JPN's TAK server.

FreeTAKServer 2.2.1's TCP CoT port speaks CoT XML only: it never offers TAK protocol
version 1 (no ``t-x-takp-v`` event), and it decodes what a client sends as UTF-8 and parses
it as XML, so a protobuf frame sent without negotiation costs the client its connection.
The gateway run with ``--protobuf`` therefore waits for an offer that does not come and
keeps sending XML, which the TAK client receives; the negotiation itself, up to protobuf
frames, is tested against a server that offers it in test_takprotocol.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import numpy as np
import pytest

from tests.cot.tak_server import TakClient, start_tak_server, stop_tak_server, tak_python
from tests.exercise.conftest import running_service
from tests.service.conftest import auth, message, track_state, wall_time
from tracklayer.frames import geodetic_to_ecef

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tak_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    if tak_python() is None:
        why = "no TAK server: FreeTAKServer's venv is absent (run `bash .ci/tak.sh`)"
        if os.environ.get("CI"):
            pytest.fail(why)  # .ci/run installs it: CI must run this test
        pytest.skip(why)
    proc, port = start_tak_server(tmp_path_factory.mktemp("fts"))
    try:
        yield port
    finally:
        stop_tak_server(proc)


@pytest.fixture
def picture_service() -> Iterator[tuple[str, dict[str, str]]]:
    with running_service("JPN", "KOR", "USA") as service:
        yield service


def wait_for(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def glide_state(tracker: str, track_id: str, lat_deg: float, lon_deg: float) -> dict[str, Any]:
    pos = geodetic_to_ecef(np.radians(lat_deg), np.radians(lon_deg), 30_000.0)
    return track_state(tracker, track_id, pos=tuple(pos.tolist()), time=wall_time(-1.0))


def is_system(uid: str) -> bool:
    """A system track's uid (the service names their tracker ``joint`` or ``fused``)."""
    parts = uid.split(".")
    return len(parts) == 4 and parts[0] == "tracklayer" and parts[2] in ("joint", "fused")


def post(server: str, token: str, mid: str, release: Any, states: list[dict[str, Any]]) -> None:
    r = httpx.post(
        f"{server}/api/v1/tracks",
        json=message(mid, release, states),
        headers=auth(token),
        timeout=30,
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("protocol", ["--xml", "--protobuf"])
def test_gateway_events_reach_a_tak_client_through_freetakserver(
    tak_port: int, picture_service: tuple[str, dict[str, str]], protocol: str
) -> None:
    server, tokens = picture_service
    post(server, tokens["USA"], "u1", ["JPN"], [glide_state("USA", "U1", 30.0, 130.0)])
    post(server, tokens["USA"], "u2", ["KOR"], [glide_state("USA", "SECRET", 31.0, 131.0)])
    post(server, tokens["JPN"], "j1", "all", [glide_state("JPN", "J1", 30.001, 130.001)])
    client = TakClient(tak_port)
    command = [sys.executable, "-m", "tracklayer", "cot", "--server", server]
    gateway = subprocess.Popen(
        [*command, "--tak", f"tcp://127.0.0.1:{tak_port}", "--stale-s", "120", protocol],
        env={**os.environ, "TRACKLAYER_TOKEN": tokens["JPN"]},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:

        def uids() -> set[str]:
            return {ET.fromstring(e).get("uid", "") for e in client.events()}

        assert wait_for(lambda: "tracklayer.JPN.USA.U1" in uids(), 90.0), client.data[-2000:]
        # A message posted while the gateway runs arrives as a stream update.
        post(server, tokens["USA"], "u3", "all", [glide_state("USA", "U3", 29.0, 128.0)])
        assert wait_for(lambda: "tracklayer.JPN.USA.U3" in uids(), 60.0), client.data[-2000:]
        assert wait_for(lambda: any(is_system(u) for u in uids()), 60.0), uids()
    finally:
        gateway.terminate()
        out = gateway.communicate(timeout=30)[0].decode()
        client.close()
    events = [ET.fromstring(e) for e in client.events()]
    ours = [e for e in events if (e.get("uid") or "").startswith("tracklayer.")]
    assert {e.get("uid") for e in ours} >= {
        "tracklayer.JPN.USA.U1",
        "tracklayer.JPN.JPN.J1",
        "tracklayer.JPN.USA.U3",
    }, out
    assert not any("SECRET" in (e.get("uid") or "") for e in events)
    assert b"SECRET" not in client.data
    # FreeTAKServer offers no TAK protocol version: XML throughout, said so.
    assert "TAK protocol: CoT XML (the server offered no TAK protocol version)" in out, out
    assert b"\xbf" not in client.data
    assert {e.get("type") for e in ours} == {"a-h-A-W-M-S-S"}
    assert {e.get("access") for e in ours} == {"REL TO JPN"}
    u1 = next(e for e in ours if e.get("uid") == "tracklayer.JPN.USA.U1")
    point = u1.find("point")
    assert point is not None
    assert float(point.get("lat", "nan")) == pytest.approx(30.0, abs=1e-6)
    assert float(point.get("lon", "nan")) == pytest.approx(130.0, abs=1e-6)
    assert float(point.get("hae", "nan")) == pytest.approx(30_000.0, abs=0.1)


def test_freetakserver_drops_a_client_that_sends_protobuf_unasked(tak_port: int) -> None:
    """Why the gateway never sends protobuf to a server that has not offered it: a TAK
    protocol version 1 frame on FreeTAKServer's CoT port makes the server announce the
    sender's disconnection (``t-x-d-d``) to the other clients and relay nothing more of
    what it sends, XML included (it may also close the connection, so that the XML that
    follows finds the socket shut)."""
    import socket
    from datetime import UTC, datetime

    from tracklayer.cot.events import presence_event, to_protobuf, track_events

    watcher = TakClient(tak_port, "WATCH-2")
    sender = socket.create_connection(("127.0.0.1", tak_port), timeout=5.0)
    try:
        sender.sendall(presence_event("JPN", datetime.now(UTC)))
        time.sleep(2.0)
        records = [glide_state("USA", f"PB{i}", 30.0, 130.0 + i) for i in range(2)]
        first, second = track_events(records, "JPN", 120.0)
        sender.sendall(to_protobuf(first))
        time.sleep(3.0)
        try:
            sender.sendall(second)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed the connection: dropped too

        def types() -> list[str]:
            return [ET.fromstring(e).get("type", "") for e in watcher.events()]

        assert wait_for(lambda: "t-x-d-d" in types(), 30.0), watcher.data[-2000:]
        time.sleep(3.0)
        uids = {ET.fromstring(e).get("uid", "") for e in watcher.events()}
        assert not any(uid.startswith("tracklayer.JPN.USA.PB") for uid in uids), uids
    finally:
        sender.close()
        watcher.close()
