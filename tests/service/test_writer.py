"""The writer process: group commit in a child process, with the thread committer's semantics.

Reference: the single-message semantics of the ingest (stored 201, retry 200, reused id
409, unknown release partner 422), the rule that a message is published and its future
resolved only once its transaction is durable, and that a writer that dies loses no
acknowledged message (its unanswered jobs fail; the next job starts a new writer).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.service.conftest import (
    MIXED_BATCH_OUTCOMES,
    fast_dir,
    job_outcome,
    mixed_batch,
    track_state,
    usa_message,
)
from tracklayer.fusion.releasability import Release
from tracklayer.service.auth import add_partner
from tracklayer.service.db import make_engine, messages, migrate, track_states
from tracklayer.service.ingest import (
    IngestJob,
    IngestResult,
    ingest_tracks,
    track_job,
)
from tracklayer.service.writer import WriterProcess, WriterUnavailable


@pytest.fixture
def sqlite_url() -> Any:
    with tempfile.TemporaryDirectory(dir=fast_dir()) as tmp:
        yield f"sqlite:///{Path(tmp) / 'picture.db'}"


def _migrated(url: str) -> sa.Engine:
    engine = make_engine(url)
    migrate(engine)
    add_partner(engine, "USA")
    add_partner(engine, "JPN")
    return engine


def test_writer_settles_each_message_as_alone_and_publishes_after_commit(db_url: str) -> None:
    """New, in-batch retry, in-batch reuse, stored retry, release to a code that is no
    partner, in one batch (the child lingers for them): each gets the outcome it would
    have alone; only stored messages are published, after their commit, in order, with
    their ``messages.pk``."""
    engine = _migrated(db_url)
    ingest_tracks(engine, "USA", usa_message("old", "all"))
    published: list[list[tuple[Release, str]]] = []
    committed: list[list[tuple[str, int]]] = []

    def on_commit(stored: list[tuple[IngestJob, int]]) -> None:
        # Durable before anyone hears of it: another connection sees the rows already.
        with engine.connect() as conn:
            pks = dict(conn.execute(sa.select(messages.c.message_id, messages.c.pk)).all())
        assert all(pks.get(job.message_id) == pk for job, pk in stored)
        assert not any(job.future.done() for job, _ in stored)
        committed.append([(job.message_id, pk) for job, pk in stored])

    writer = WriterProcess(db_url, published.append, on_commit, linger_s=0.5)
    writer.start()
    try:
        jobs = [track_job("USA", m) for m in mixed_batch()]
        for job in jobs:
            writer.submit(job)
        outcomes = [job_outcome(job) for job in jobs]
    finally:
        writer.stop()
    assert outcomes == MIXED_BATCH_OUTCOMES
    assert [m for batch in committed for m, _ in batch] == ["a", "b", "c"]
    assert [json.loads(text)["message_id"] for batch in published for _, text in batch] == [
        "a",
        "b",
        "c",
    ]
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.select(messages.c.message_id, messages.c.n_records)).all())
        n_states = conn.execute(sa.select(sa.func.count()).select_from(track_states)).scalar()
    engine.dispose()
    assert stored == {"old": 2, "a": 2, "b": 2, "c": 3}
    assert n_states == 9


def test_stop_commits_and_answers_every_queued_job(sqlite_url: str) -> None:
    """Jobs queued just before ``stop`` are all committed and answered before it returns."""
    engine = _migrated(sqlite_url)
    writer = WriterProcess(sqlite_url)
    writer.start()
    jobs = [track_job("USA", usa_message(f"m{i}", "all")) for i in range(40)]
    for job in jobs:
        writer.submit(job)
    writer.stop()
    assert all(job.future.done() for job in jobs)
    assert [job_outcome(job) for job in jobs] == [(2, False)] * 40
    with engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar()
    engine.dispose()
    assert n == 40


def test_a_dead_writer_fails_its_jobs_and_the_next_job_starts_another(sqlite_url: str) -> None:
    """SIGKILL of the child while it holds a job (lingering for more): that job fails,
    never acknowledged nor stored; the next job starts a new child (in a thread) and is
    stored by it."""
    engine = _migrated(sqlite_url)
    writer = WriterProcess(sqlite_url, linger_s=2.0)
    writer.start()
    first_pid = writer.pid
    assert first_pid is not None
    assert writer.submit(track_job("USA", usa_message("before", "all"))).result(30).accepted == 2
    lost = writer.submit(track_job("USA", usa_message("lost", "all")))
    time.sleep(0.3)  # the child has it and waits for more
    os.kill(first_pid, signal.SIGKILL)
    with pytest.raises(WriterUnavailable):
        lost.result(30)
    after = writer.submit(track_job("USA", usa_message("after", "all")))
    assert after.result(60).accepted == 2
    assert writer.pid not in (None, first_pid)
    writer.stop()
    assert writer.pid is None
    with engine.connect() as conn:
        stored = set(conn.execute(sa.select(messages.c.message_id)).scalars())
    engine.dispose()
    assert stored == {"before", "after"}


def test_answers_read_on_the_event_loop(sqlite_url: str) -> None:
    """With a loop, futures resolve and ``publish`` runs on the loop's thread."""
    _migrated(sqlite_url).dispose()
    threads: list[int] = []

    async def main() -> list[IngestResult]:
        loop = asyncio.get_running_loop()
        import threading

        writer = WriterProcess(sqlite_url, publish=lambda _u: threads.append(threading.get_ident()))
        await asyncio.to_thread(writer.start, loop)
        try:
            futures = [
                asyncio.wrap_future(writer.submit(track_job("USA", usa_message(f"m{i}", "all"))))
                for i in range(5)
            ]
            results = await asyncio.wait_for(asyncio.gather(*futures), 30)
        finally:
            await asyncio.to_thread(writer.stop)
        assert set(threads) == {threading.get_ident()}
        return results

    assert [r.accepted for r in asyncio.run(main())] == [2] * 5


def test_a_writer_that_cannot_connect_says_why() -> None:
    """A database the child cannot reach: ``start`` raises, naming the failure."""
    writer = WriterProcess("postgresql://nobody:secret@127.0.0.1:1/none")
    with pytest.raises(WriterUnavailable, match="failed to start: OperationalError"):
        writer.start()
    assert writer.pid is None


def test_service_answers_503_when_the_writer_dies_and_the_retry_is_stored(
    sqlite_url: str,
) -> None:
    """A message whose writer dies before answering gets 503 with Retry-After (it may or
    may not be stored); its retry, same id, is stored once by the restarted writer."""
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    from tests.service.conftest import auth, manual_picture_clock, message
    from tracklayer.service.app import create_app

    clock = manual_picture_clock()[0]
    app = create_app(
        sqlite_url, static_dir=None, writer_process=True, commit_linger_s=2.0, clock=clock
    )
    token = add_partner(app.state.engine, "USA")
    body = message("m1", "all", [track_state("USA", "T1")])
    with TestClient(app) as client, ThreadPoolExecutor(1) as pool:
        posted = pool.submit(client.post, "/api/v1/tracks", json=body, headers=auth(token))
        time.sleep(0.5)  # the writer holds the message, lingering for more
        pid = app.state.committer.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        refused = posted.result(30)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        retry = client.post("/api/v1/tracks", json=body, headers=auth(token))
        assert retry.status_code == 201
        again = client.post("/api/v1/tracks", json=body, headers=auth(token))
        assert again.status_code == 200
    with app.state.engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(track_states)).scalar()
    assert n == 1


def _fused_row(track_id: str, time_ns: int) -> tuple[Any, ...]:
    """A ``fused_states`` row in :func:`~tracklayer.service.fused_store.insert_fused`'s order."""
    state = (7.0e6, 0.0, 0.0, 0.0, 7.5e3, 0.0)
    return ("USA", track_id, time_ns, *state, bytes(288), "confirmed", "USA/U1", True, "")


def test_the_writer_inserts_system_tracks_between_its_commits(sqlite_url: str) -> None:
    """An insert of system tracks queued among ingest jobs (the child lingers for them):
    every job is acknowledged as alone, the insert answers the rows stored, the same rows
    again store none, a malformed row fails that insert alone with the database's reason,
    and the writer goes on committing."""
    engine = _migrated(sqlite_url)
    writer = WriterProcess(sqlite_url, linger_s=0.5)
    writer.start()
    try:
        jobs = [track_job("USA", usa_message(f"m{i}", "all")) for i in range(3)]
        for job in jobs[:2]:
            writer.submit(job)
        rows = [_fused_row("J-USA-U1", 10**18), _fused_row("J-USA-U2", 10**18)]
        assert writer.insert_fused(rows) == 2
        writer.submit(jobs[2])
        assert writer.insert_fused(rows) == 0
        assert writer.insert_fused([]) == 0
        with pytest.raises(RuntimeError, match="ProgrammingError") as malformed:
            writer.insert_fused([rows[0][:5]])
        assert not isinstance(malformed.value, WriterUnavailable)
        later = track_job("USA", usa_message("later", "all"))
        writer.submit(later)
        outcomes = [job_outcome(job) for job in [*jobs, later]]
    finally:
        writer.stop()
    assert outcomes == [(2, False)] * 4
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT track_id FROM fused_states ORDER BY 1").all()
    engine.dispose()
    assert [r[0] for r in stored] == ["J-USA-U1", "J-USA-U2"]
