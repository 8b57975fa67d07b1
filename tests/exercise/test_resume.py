"""A service killed with SIGKILL mid-exercise, restarted: the exercise resumes, nothing
acknowledged is lost and nothing is stored twice."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import sqlalchemy as sa

from tests.exercise.conftest import COLUMNS, export, national
from tests.service.server_helper import free_port, start_server, stop_server
from tracklayer.client import RetryPolicy
from tracklayer.exercise.plan import plan_messages
from tracklayer.exercise.replay import ExerciseCounts, replay
from tracklayer.io.parquet import read_table
from tracklayer.scenario import load_scenario
from tracklayer.service.auth import add_partner
from tracklayer.service.db import make_engine, messages, migrate

YEAR_S = 365 * 86400
#: Retries long enough to span a restart of the service on a loaded machine (~60 s).
PATIENT = RetryPolicy(attempts=60, backoff_s=0.2, max_backoff_s=1.0)


def stored_ids(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(messages.c.message_id)).scalars())


@pytest.mark.slow
def test_exercise_resumes_after_sigkill_of_the_service(run_dir: Path, tmp_path: Path) -> None:
    """At speed 20, SIGKILL the service once a third of the messages are acknowledged and
    start it again on the same database and port. The exercise's posts retry (same ids)
    until the new service answers and the exercise goes on: every message acknowledged
    before the kill is stored; in the end each planned message is stored once, and the
    service's export equals the run folder's national tracks row for row."""
    url = f"sqlite:///{tmp_path / 'picture.db'}"
    engine = make_engine(url)
    migrate(engine)
    tokens = {code: add_partner(engine, code) for code in ("JPN", "USA")}
    tracks = read_table(run_dir / "tracks.parquet")
    plan = plan_messages(tracks, load_scenario(run_dir / "scenario.yaml"), 0.0, -YEAR_S)
    port = free_port()
    server = f"http://127.0.0.1:{port}"
    proc = start_server(url, port)
    acked = [0]
    done: list[ExerciseCounts | BaseException] = []

    def run() -> None:
        try:
            counts = replay(
                plan, server, tokens, 20.0, lambda c: acked.__setitem__(0, c.acknowledged), PATIENT
            )
            done.append(counts)
        except BaseException as exc:  # reported by the test below
            done.append(exc)

    exercise = threading.Thread(target=run, daemon=True)
    exercise.start()
    try:
        deadline = time.monotonic() + 120.0
        while acked[0] < len(plan) // 3 and time.monotonic() < deadline and not done:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        stop_server(proc)  # reaps it
        acked_before_kill = [m.message_id for m in plan[: acked[0]]]
        assert len(plan) // 3 <= len(acked_before_kill) < len(plan)
        proc = start_server(url, port)
        survived = set(stored_ids(engine))
        assert set(acked_before_kill) <= survived, "acknowledged messages lost by the kill"
        exercise.join(300)
        assert done, "the exercise did not finish"
        counts = done[0]
        assert isinstance(counts, ExerciseCounts), counts
        assert counts.acknowledged == len(plan)
        assert counts.retries > 0  # it did meet the dead service
        assert counts.duplicates <= 1  # at most the message in flight at the kill
        ids = stored_ids(engine)
        assert sorted(ids) == sorted(m.message_id for m in plan)  # each once, none lost
        exported = export(server, tokens["USA"])
    finally:
        stop_server(proc)
        engine.dispose()
    shifted = pc.add(pc.cast(exported["time"], pa.int64()), YEAR_S * 10**9)
    exported = exported.set_column(
        exported.schema.get_field_index("time"), "time", pc.cast(shifted, pa.timestamp("ns", "UTC"))
    )
    got, expected = national(exported), national(tracks)
    assert got.num_rows == expected.num_rows
    us = pa.timestamp("us", tz="UTC")
    assert got["time"].cast(us).equals(expected["time"].cast(us))
    for column in COLUMNS:
        if column != "time":
            assert got[column].to_pylist() == expected[column].to_pylist(), column
