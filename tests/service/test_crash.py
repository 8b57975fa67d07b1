"""Crash test: the server is killed hard (SIGKILL) during concurrent ingest, then restarted.

Every message acknowledged before the kill must be present afterwards, whole; no message
may be present in part. SQLite runs on the real disk here (not a RAM folder), since the
point is what reaches the disk.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.service.conftest import (
    auth,
    drop_postgres_schema,
    message,
    new_postgres_schema,
    postgres_url,
    track_state,
    wall_time,
)
from tests.service.server_helper import free_port, start_server, stop_server
from tracklayer.service.auth import add_partner
from tracklayer.service.db import make_engine, messages, migrate, track_states

N_WORKERS = 4
TRACKS_PER_MESSAGE = 20
KILL_AFTER_ACKS = 40
MAX_POSTING_S = 15.0


@pytest.fixture(params=["sqlite", "postgresql"])
def disk_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite on the disk, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'picture.db'}"
        return
    base = postgres_url()
    if base is None:
        pytest.skip("TRACKLAYER_TEST_POSTGRES_URL not set")
    url, schema = new_postgres_schema(base)
    try:
        yield url
    finally:
        drop_postgres_schema(base, schema)


def _poster(port: int, token: str, worker: int, acked: list[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10.0) as client:
        for i in range(10_000):
            if stop.is_set():
                return
            mid = f"w{worker}-{i}"
            tracks = [
                track_state("USA", f"W{worker}-{k}", pos=(6.5e6 + k, 0.0, 0.0), time=wall_time())
                for k in range(TRACKS_PER_MESSAGE)
            ]
            try:
                r = client.post(
                    "/api/v1/tracks", json=message(mid, "all", tracks), headers=auth(token)
                )
            except httpx.TransportError:
                return  # the server is gone
            if r.status_code == 201:
                acked.append(mid)


@pytest.mark.slow
def test_acknowledged_messages_survive_sigkill(disk_db_url: str) -> None:
    """SIGKILL mid-ingest, restart: acknowledged ⊆ stored, and every stored message is whole."""
    engine = make_engine(disk_db_url)
    migrate(engine)
    token = add_partner(engine, "USA")
    port = free_port()
    proc = start_server(disk_db_url, port)
    acked: list[str] = []
    stop = threading.Event()
    workers = [
        threading.Thread(target=_poster, args=(port, token, w, acked, stop), daemon=True)
        for w in range(N_WORKERS)
    ]
    try:
        for w in workers:
            w.start()
        deadline = time.monotonic() + MAX_POSTING_S
        while len(acked) < KILL_AFTER_ACKS and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        n_acked = len(acked)
    finally:
        stop.set()
        for w in workers:
            w.join(15)
        stop_server(proc)
    assert n_acked >= KILL_AFTER_ACKS

    proc = start_server(disk_db_url, port)
    try:
        with engine.connect() as conn:
            stored = dict(
                conn.execute(sa.select(messages.c.message_id, messages.c.n_records)).all()
            )
            counts = dict(
                conn.execute(
                    sa.select(messages.c.message_id, sa.func.count(track_states.c.pk))
                    .select_from(messages.join(track_states))
                    .group_by(messages.c.message_id)
                ).all()
            )
            orphans = conn.execute(
                sa.select(sa.func.count())
                .select_from(track_states)
                .where(~track_states.c.message_pk.in_(sa.select(messages.c.pk)))
            ).scalar()
            if disk_db_url.startswith("sqlite"):
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        missing = [m for m in acked if m not in stored]
        assert not missing, f"{len(missing)} acknowledged messages lost, e.g. {missing[:3]}"
        assert all(stored[m] == TRACKS_PER_MESSAGE == counts.get(m) for m in stored)
        assert orphans == 0
        # The restarted service serves them all (the national ones: it also records its
        # system tracks, tracker "fused", each second).
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10.0) as client:
            params = {"limit": 100_000, "tracker": "USA"}
            listing = client.get("/api/v1/tracks", params=params, headers=auth(token))
            assert len(listing.json()["tracks"]) == TRACKS_PER_MESSAGE * len(stored)
    finally:
        stop_server(proc)
        engine.dispose()
