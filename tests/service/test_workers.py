"""A service of several worker processes: the commit bus, and what partners see through it.

With ``serve --workers N`` each worker commits what is posted to it and learns the others'
commits over the bus, so every subscriber gets every message released to it, whichever
worker stored it, and nothing else.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.service.conftest import auth, message, track_state, wall_time
from tests.service.server_helper import free_port, start_server, stop_server
from tracklayer.fusion.releasability import Release
from tracklayer.service.bus import BusBroker, BusClient, new_bus_path


def _wait(predicate: Any, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_bus_forwards_to_every_other_worker_only() -> None:
    """A frame reaches every other connected client, in order, and never its sender; a
    client that leaves is dropped without disturbing the others."""
    path = new_bus_path()
    broker = BusBroker(path)
    broker.start()
    got: dict[str, list[Any]] = {"a": [], "b": [], "c": []}
    clients = {k: BusClient(path, got[k].append) for k in got}
    try:
        for client in clients.values():
            client.connect(timeout_s=5)
        assert _wait(lambda: broker.n_peers == 3)
        payload: tuple[list[tuple[Release, str]], list[Any]] = (
            [(Release("USA", everyone=True), '{"type":"tracks"}')],
            [],
        )
        for i in range(50):
            clients["a"].send((i, payload))
        assert _wait(lambda: len(got["b"]) == 50 and len(got["c"]) == 50)
        assert [m[0] for m in got["b"]] == list(range(50))
        assert got["b"][0][1] == payload  # Release and texts survive the trip
        assert got["a"] == []
        clients["c"].close()
        assert _wait(lambda: broker.n_peers == 2)
        clients["b"].send("from b")
        assert _wait(lambda: got["a"] == ["from b"])
    finally:
        for client in clients.values():
            client.close()
        broker.stop()
    assert not path.exists()


def test_socket_folder_is_private() -> None:
    """The bus socket's folder and the socket itself are the service user's alone (the
    frames are pickles: only the service's own processes may connect)."""
    path = new_bus_path()
    broker = BusBroker(path)
    broker.start()
    try:
        assert path.parent.stat().st_mode & 0o777 == 0o700
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        broker.stop()


def _client_on_each_worker(port: int, n: int) -> dict[str, httpx.Client]:
    """One keep-alive HTTP client per worker process, told apart by /health's instance."""
    by_instance: dict[str, httpx.Client] = {}
    spare: list[httpx.Client] = []
    deadline = time.monotonic() + 20
    while len(by_instance) < n and time.monotonic() < deadline:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        instance = client.get("/health").json()["instance"]
        if instance in by_instance:
            spare.append(client)
        else:
            by_instance[instance] = client
    for client in spare:
        client.close()
    return by_instance


@pytest.mark.slow
def test_subscribers_see_every_workers_commits_as_released(
    db_url: str, make_tokens: Any, tmp_path: Path
) -> None:
    """Two workers: messages posted to each reach subscribers as released, and only so.

    One keep-alive client per worker posts a message released to all and one released to
    USA only; subscriptions of USA and KOR (wherever the kernel placed them) must get
    exactly the messages released to them, from both workers, and the picture of a
    subscription opened afterwards must hold the tracks of both.
    """
    tokens = make_tokens(db_url, "USA", "JPN", "KOR")
    port = free_port()
    proc = start_server(db_url, port, workers=2)
    received: dict[str, list[dict[str, Any]]] = {"USA": [], "KOR": []}
    stop = threading.Event()
    ready = threading.Barrier(3)

    def listen(code: str) -> None:
        uri = f"ws://127.0.0.1:{port}/api/v1/stream"
        with connect(uri, additional_headers=auth(tokens[code])) as ws:
            ready.wait()
            while not stop.is_set():
                try:
                    update = json.loads(ws.recv(timeout=0.1))
                except TimeoutError:
                    continue
                if update["type"] == "tracks":
                    received[code].append(update)

    threads = [threading.Thread(target=listen, args=(c,), daemon=True) for c in received]
    clients: dict[str, httpx.Client] = {}
    try:
        for th in threads:
            th.start()
        ready.wait(timeout=20)
        clients = _client_on_each_worker(port, 2)
        assert len(clients) == 2, "both workers must answer"
        expected_usa, expected_kor = set(), set()
        for w, client in enumerate(clients.values()):
            public, private = f"all-{w}", f"usa-{w}"
            pos = (6.5e6 + 5e5 * w, 1.0e5, 2.0e5)
            tracks = [track_state("JPN", f"T{w}", pos=pos, time=wall_time())]
            r = client.post(
                "/api/v1/tracks", json=message(public, "all", tracks), headers=auth(tokens["JPN"])
            )
            assert r.status_code == 201, r.text
            hidden = [track_state("JPN", f"H{w}", pos=(7.0e6, 3e5 * w, 0.0), time=wall_time())]
            r = client.post(
                "/api/v1/tracks",
                json=message(private, ["USA"], hidden),
                headers=auth(tokens["JPN"]),
            )
            assert r.status_code == 201, r.text
            expected_usa |= {public, private}
            expected_kor.add(public)

        def ids(code: str) -> set[str]:
            return {u["message_id"] for u in received[code]}

        assert _wait(lambda: ids("USA") == expected_usa and ids("KOR") >= expected_kor)
        time.sleep(0.3)  # anything unreleased that was on its way would have arrived
        assert ids("KOR") == expected_kor
        assert ids("USA") == expected_usa
        for code in ("USA", "KOR"):
            uri = f"ws://127.0.0.1:{port}/api/v1/stream"
            with connect(uri, additional_headers=auth(tokens[code])) as ws:
                assert json.loads(ws.recv(timeout=10))["type"] == "hello"
                picture = json.loads(ws.recv(timeout=10))
            shown = {t["track_id"] for t in picture["national"]}
            assert shown == ({"T0", "T1", "H0", "H1"} if code == "USA" else {"T0", "T1"})
    finally:
        stop.set()
        for th in threads:
            th.join(5)
        for client in clients.values():
            client.close()
        stop_server(proc)


@pytest.mark.slow
def test_load_on_two_workers_loses_nothing(db_url: str) -> None:
    """The load test on two workers: every acknowledged message stored and delivered to
    every subscriber, whichever worker took it (the benchmark's load generator)."""
    from tests.service.test_load import check_load_loses_nothing

    check_load_loses_nothing(db_url, workers=2)
