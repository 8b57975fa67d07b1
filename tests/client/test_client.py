"""The partner client: retries that never duplicate, refusals, reads and the live stream."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.service.conftest import fast_dir
from tests.service.server_helper import free_port, start_server, stop_server
from tracklayer.client import (
    ClientError,
    PartnerClient,
    RetryPolicy,
    ServiceUnavailable,
    stream_updates,
    track_message,
)
from tracklayer.client.stream import stream_url
from tracklayer.vocabulary import TRACKS_SCHEMA

#: An hour ago, whole seconds: the service refuses states ahead of its clock.
T0 = datetime.fromtimestamp(int(datetime.now(UTC).timestamp()) - 3600, UTC)


def tracks_table(tracker: str = "USA", n: int = 2, t_s: float = 0.0) -> pa.Table:
    """``n`` confirmed track states of ``tracker`` at T0 + t_s, 6.5e6 m from the centre."""
    cov = np.diag([1e4] * 3 + [25.0] * 3).reshape(-1).tolist()
    return (
        pa.table(
            {
                "track_id": [f"T{k}" for k in range(n)],
                "tracker": [tracker] * n,
                "time": [T0.timestamp() * 1e9 + t_s * 1e9] * n,
                "x": [6.5e6 + k for k in range(n)],
                "y": [1.0e5] * n,
                "z": [2.0e5] * n,
                "vx": [100.0] * n,
                "vy": [2000.0] * n,
                "vz": [1500.0] * n,
                "cov": [cov] * n,
                "status": ["confirmed"] * n,
            }
        )
        .cast(
            pa.schema([f.with_type(pa.int64()) if f.name == "time" else f for f in TRACKS_SCHEMA])
        )
        .cast(TRACKS_SCHEMA)
    )


def ack(body: bytes, duplicate: bool, status: int) -> httpx.Response:
    msg = json.loads(body)
    return httpx.Response(
        status,
        json={"message_id": msg["message_id"], "accepted": 2, "duplicate": duplicate},
    )


def test_retry_resends_the_same_message_after_a_lost_answer() -> None:
    """A timeout, then a 503, then a 200 duplicate: three tries, identical bodies, one ack."""
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        if len(bodies) == 1:
            raise httpx.ReadTimeout("lost answer", request=request)
        if len(bodies) == 2:
            return httpx.Response(503, json={"detail": "writer restarting"})
        return ack(request.content, duplicate=True, status=200)

    waits: list[float] = []
    client = PartnerClient(
        "http://svc", "tok", transport=httpx.MockTransport(handler), sleep=waits.append
    )
    result = client.post_tracks(track_message("USA:0001", tracks_table(), ["JPN"]))
    assert len(bodies) == 3
    assert bodies[0] == bodies[1] == bodies[2]
    assert json.loads(bodies[0])["message_id"] == "USA:0001"
    assert result.retries == 2 and result.duplicate and result.accepted == 2
    assert waits == [0.2, 0.4]
    assert client.retries == 2


def test_refusal_is_not_retried_and_names_the_field() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        detail = [{"loc": ["body", "tracks", 0, "x"], "msg": "too large", "type": "x"}]
        return httpx.Response(422, json={"detail": detail})

    client = PartnerClient("http://svc", "tok", transport=httpx.MockTransport(handler))
    with pytest.raises(ClientError) as err:
        client.post_tracks(track_message("m1", tracks_table()))
    assert calls == 1
    assert err.value.status == 422
    assert err.value.detail[0]["loc"] == ["body", "tracks", 0, "x"]


def test_gives_up_after_the_policy_s_attempts() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = PartnerClient(
        "http://svc",
        "tok",
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=3, backoff_s=0.0),
        sleep=lambda _s: None,
    )
    with pytest.raises(ServiceUnavailable, match="3 tries"):
        client.post_tracks(track_message("m1", tracks_table()))


def test_retry_after_header_is_obeyed_within_the_cap() -> None:
    policy = RetryPolicy(backoff_s=0.5, max_backoff_s=3.0)
    assert policy.wait_s(1, "2") == 2.0
    assert policy.wait_s(1, "600") == 3.0
    assert policy.wait_s(3) == 2.0
    assert policy.wait_s(1, "not a number") == 0.5
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)


def test_message_needs_an_id_and_rows() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500)

    client = PartnerClient("http://svc", "tok", transport=httpx.MockTransport(refuse))
    with pytest.raises(ValueError, match="message_id"):
        client.post_tracks({"releasable_to": "all", "tracks": []})
    with pytest.raises(ValueError, match="at least one row"):
        track_message("m", tracks_table(n=0))
    with pytest.raises(ValueError, match="lacks column"):
        track_message("m", tracks_table().drop_columns(["cov"]))


def test_records_keep_the_table_s_values() -> None:
    msg = track_message("m", tracks_table(n=3, t_s=1.5), ["KOR", "JPN"])
    assert msg["releasable_to"] == ["JPN", "KOR"]
    first = msg["tracks"][0]
    assert first["time"] == (T0 + timedelta(seconds=1.5)).isoformat(timespec="microseconds")
    assert first["x"] == 6.5e6 and first["vy"] == 2000.0
    assert len(first["cov"]) == 36 and first["cov"][0] == 1e4
    assert [r["track_id"] for r in msg["tracks"]] == ["T0", "T1", "T2"]


def test_stream_url() -> None:
    assert stream_url("http://h:1/") == "ws://h:1/api/v1/stream"
    assert stream_url("https://h") == "wss://h/api/v1/stream"
    with pytest.raises(ValueError):
        stream_url("h:1")


@pytest.fixture
def live_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A real service (uvicorn subprocess, SQLite) with partners USA and JPN."""
    from tracklayer.service.auth import add_partner
    from tracklayer.service.db import make_engine, migrate

    ram = fast_dir()
    base = Path(tempfile.mkdtemp(dir=ram)) if ram else tmp_path_factory.mktemp("svc")
    url = f"sqlite:///{base / 'picture.db'}"
    engine = make_engine(url)
    migrate(engine)
    tokens = {code: add_partner(engine, code) for code in ("USA", "JPN")}
    engine.dispose()
    port = free_port()
    proc = start_server(url, port, timeout_s=120.0)
    try:
        yield f"http://127.0.0.1:{port}", tokens
    finally:
        stop_server(proc)
        if ram:
            shutil.rmtree(base, ignore_errors=True)


def test_live_post_retry_read_and_stream(live_service: tuple[str, dict[str, str]]) -> None:
    """Against a real service: a post, its retry stored once, the partner's view and stream."""
    base, tokens = live_service
    updates: list[dict[str, Any]] = []
    ready = threading.Event()

    def follow() -> None:
        for update in stream_updates(base, tokens["JPN"]):
            updates.append(update)
            ready.set()
            if update.get("type") not in ("hello", "picture") or len(updates) > 20:
                return

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    assert ready.wait(15)
    with PartnerClient(base, tokens["USA"]) as usa:
        assert usa.me()["code"] == "USA"
        message = track_message("USA:t0", tracks_table(), ["JPN"])
        first = usa.post_tracks(message)
        again = usa.post_tracks(message)
    assert (first.accepted, first.duplicate) == (2, False)
    assert (again.accepted, again.duplicate) == (2, True)
    with PartnerClient(base, tokens["JPN"]) as jpn:
        seen = jpn.tracks(tracker="USA")["tracks"]
        parquet = jpn.export_parquet()
    assert len(seen) == 2  # stored once
    assert pq.read_table(io.BytesIO(parquet)).num_rows == 2
    reader.join(15)
    assert updates[0] == {"type": "hello", "partner": "JPN"}
    assert any(u.get("type") not in ("hello", "picture") for u in updates)
