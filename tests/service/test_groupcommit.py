"""Group commit: many messages in one transaction, each with the outcome it would have alone.

Reference: the single-message semantics of the ingest (stored 201, retry 200, reused id
409, unknown release partner 422) and the rule that a future resolves only after its
batch's commit returned.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from tests.service.conftest import MIXED_BATCH_OUTCOMES, job_outcome, mixed_batch, usa_message
from tracklayer.fusion.releasability import Release
from tracklayer.service.auth import add_partner
from tracklayer.service.db import audit_log, make_engine, messages, migrate, track_states
from tracklayer.service.groupcommit import GroupCommitter
from tracklayer.service.ingest import (
    IngestJob,
    IngestResult,
    commit_batch,
    ingest_tracks,
)


def test_one_batch_settles_each_message_as_alone(db_url: str) -> None:
    """New, in-batch retry, in-batch reuse, stored retry, release to a code that is no
    partner: one commit."""
    engine = make_engine(db_url)
    migrate(engine)
    add_partner(engine, "USA")
    add_partner(engine, "JPN")
    ingest_tracks(engine, "USA", usa_message("old", "all"))
    published: list[list[tuple[Release, str]]] = []
    captured: list[IngestJob] = []

    class Capture:
        def submit(self, job: IngestJob) -> Future[IngestResult]:
            captured.append(job)
            job.future.set_result(IngestResult(job.message_id, 0, False))
            return job.future

    capture: Any = Capture()
    for m in mixed_batch():
        ingest_tracks(engine, "USA", m, capture)
    jobs = [
        IngestJob(**{k: getattr(j, k) for k in IngestJob.__dataclass_fields__ if k != "future"})
        for j in captured
    ]
    commit_batch(engine, jobs, published.append)
    assert [job_outcome(job) for job in jobs] == MIXED_BATCH_OUTCOMES
    # One publication per commit, the stored messages' updates in commit order.
    assert [[json.loads(text)["message_id"] for _, text in batch] for batch in published] == [
        ["a", "b", "c"]
    ]
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.select(messages.c.message_id, messages.c.n_records)).all())
        n_states = conn.execute(sa.select(sa.func.count()).select_from(track_states)).scalar()
        statuses = conn.execute(
            sa.select(audit_log.c.target, audit_log.c.status).where(
                audit_log.c.action == "ingest_tracks"
            )
        ).all()
    engine.dispose()
    assert stored == {"old": 2, "a": 2, "b": 2, "c": 3}
    assert n_states == 9
    assert sorted(statuses) == sorted(
        [("old", 201), ("a", 201), ("a", 200), ("old", 200), ("b", 201), ("c", 201)]
    )


@dataclass(eq=False)
class _Job:
    value: int
    future: Future[int] = field(default_factory=Future)


def test_committer_batches_concurrent_jobs_and_resolves_after_commit() -> None:
    """Concurrent submitters share commits; no future resolves before its commit returned."""
    committed: set[int] = set()
    batches: list[int] = []

    def commit(jobs: list[_Job]) -> None:
        time.sleep(0.005)  # a commit's fsync
        for job in jobs:
            assert not job.future.done()
        committed.update(j.value for j in jobs)
        batches.append(len(jobs))
        for job in jobs:
            job.future.set_result(job.value)

    committer: GroupCommitter[_Job] = GroupCommitter(commit, max_batch=16, linger_s=0.001)
    results: list[int] = []
    lock = threading.Lock()

    def submit(base: int) -> None:
        for i in range(20):
            job = _Job(base + i)
            value = committer.submit(job).result(timeout=10)
            assert value in committed
            with lock:
                results.append(value)

    threads = [threading.Thread(target=submit, args=(100 * t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    committer.stop()
    assert sorted(results) == sorted(100 * t + i for t in range(8) for i in range(20))
    assert sum(batches) == 160 and max(batches) <= 16
    assert len(batches) < 160 / 2  # concurrent jobs did share commits
    # After stop, a job is committed on the caller's thread.
    assert committer.submit(_Job(7)).result(timeout=1) == 7


def test_committer_fails_the_batch_when_commit_raises() -> None:
    """A commit that raises fails every unresolved future of its batch with that error."""

    def commit(jobs: list[_Job]) -> None:
        raise OSError("disk full")

    committer: GroupCommitter[_Job] = GroupCommitter(commit)
    with pytest.raises(OSError, match="disk full"):
        committer.submit(_Job(1)).result(timeout=5)
    committer.stop()


def test_a_failing_message_does_not_fail_its_batch(db_url: str) -> None:
    """A row the database refuses (NULL track_id): its job fails, its neighbour is stored."""
    engine = make_engine(db_url)
    migrate(engine)
    add_partner(engine, "USA")
    captured: list[IngestJob] = []

    class Capture:
        def submit(self, job: IngestJob) -> Future[IngestResult]:
            captured.append(job)
            job.future.set_result(IngestResult(job.message_id, 0, False))
            return job.future

    capture: Any = Capture()
    ingest_tracks(engine, "USA", usa_message("good", "all"), capture)
    ingest_tracks(engine, "USA", usa_message("bad", "all"), capture)
    fields = [k for k in IngestJob.__dataclass_fields__ if k != "future"]
    good, bad = (IngestJob(**{k: getattr(j, k) for k in fields}) for j in captured)
    bad.rows[0] = (bad.rows[0][0], None, *bad.rows[0][2:])
    commit_batch(engine, [good, bad])
    assert good.future.result().accepted == 2
    assert isinstance(bad.future.exception(), sa.exc.IntegrityError)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(messages.c.message_id)).scalars().all()
    engine.dispose()
    assert stored == ["good"]
