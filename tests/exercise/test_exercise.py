"""The live exercise: messages planned from a run, paced on the clock, posted to a service."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from tests.exercise.conftest import COLUMNS, export, national, running_service
from tracklayer.cli import app
from tracklayer.errors import InputFormatError, TracklayerError
from tracklayer.exercise.cli import start_offset_s
from tracklayer.exercise.plan import plan_messages, read_tokens, releases
from tracklayer.exercise.replay import replay
from tracklayer.io.parquet import read_table


def scenario_of(run: Path) -> Any:
    from tracklayer.scenario import load_scenario

    return load_scenario(run / "scenario.yaml")


@pytest.mark.slow
def test_plan_is_one_message_per_owner_and_epoch(run_dir: Path) -> None:
    tracks = read_table(run_dir / "tracks.parquet")
    scenario = scenario_of(run_dir)
    plan = plan_messages(tracks, scenario)
    rows = national(tracks)
    assert {m.owner for m in plan} == {"JPN", "USA"} == set(scenario.owners)
    assert sum(m.rows.num_rows for m in plan) == rows.num_rows
    pairs = {(m.owner, m.epoch_ns) for m in plan}
    assert len(pairs) == len(plan)  # no message split: every epoch is far below 10 000 rows
    assert [m.due_s for m in plan] == sorted(m.due_s for m in plan)
    assert plan[0].due_s == 0.0
    # Without a network section each owner releases to the other.
    assert {m.owner: m.releasable_to for m in plan} == {"JPN": ["USA"], "USA": ["JPN"]}
    # Ids are stable: a repeated exercise re-sends the same ids.
    assert [m.message_id for m in plan] == [m.message_id for m in plan_messages(tracks, scenario)]
    later = plan_messages(tracks, scenario, start_at_s=100.0)
    assert later and min(m.due_s for m in later) >= 100.0
    assert {m.message_id for m in later} < {m.message_id for m in plan}


def test_sharing_sets_release_and_delay() -> None:
    share = SimpleNamespace
    scenario = SimpleNamespace(
        owners=["JPN", "KOR", "USA"],
        network=SimpleNamespace(
            sharing=[
                share(source="USA", to="joint", what=["detections", "tracks"], delay_s=2.0),
                share(source="JPN", to="USA", what=["tracks"], delay_s=0.5),
                share(source="JPN", to="KOR", what=["tracks"], delay_s=1.5),
                share(source="KOR", to="USA", what=["detections"], delay_s=9.0),
            ]
        ),
    )
    release, delay = releases(scenario, ["JPN", "KOR", "USA"])
    assert release == {"USA": "all", "JPN": ["KOR", "USA"], "KOR": []}
    assert delay == {"USA": 2.0, "JPN": 1.5, "KOR": 0.0}


def small_table(times_s: list[float], tracker: str = "USA") -> pa.Table:
    n = len(times_s)
    cov = np.diag([1e4] * 3 + [25.0] * 3).reshape(-1).tolist()
    t0 = 1_803_000_000 * 10**9
    cols: dict[str, Any] = {
        "track_id": [f"T{k}" for k in range(n)],
        "tracker": [tracker] * n,
        "time": pa.array([t0 + int(t * 1e9) for t in times_s], pa.timestamp("ns", tz="UTC")),
        **{
            c: [6.5e6, 1e5, 2e5, 100.0, 2000.0, 1500.0][i] * np.ones(n)
            for i, c in enumerate(("x", "y", "z", "vx", "vy", "vz"))
        },
        "cov": pa.array([cov] * n, pa.list_(pa.float64(), 36)),
        "status": ["confirmed"] * n,
    }
    return pa.table(cols)


def test_replay_posts_on_the_simulation_clock() -> None:
    """At speed 10, epochs 0, 20 and 50 s fall due 0, 2 and 5 s of real time after the start."""
    table = small_table([0.0, 20.0, 50.0, 50.0])
    scenario = SimpleNamespace(owners=["USA"], name="clock test")
    plan = plan_messages(table, scenario)
    assert [m.rows.num_rows for m in plan] == [1, 1, 2]
    now = [100.0]
    sent_at: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent_at.append(now[0])
        body = json.loads(request.content)
        return httpx.Response(
            201,
            json={
                "message_id": body["message_id"],
                "accepted": len(body["tracks"]),
                "duplicate": False,
            },
        )

    def sleep(s: float) -> None:
        now[0] += s

    updates: list[float] = []
    counts = replay(
        plan,
        "http://svc",
        {"USA": "tok"},
        speed=10.0,
        on_update=lambda c: updates.append(c.sim_s),
        clock=lambda: now[0],
        sleep=sleep,
        transport=httpx.MockTransport(handler),
    )
    assert sent_at == pytest.approx([100.0, 102.0, 105.0], abs=1e-9)
    assert updates == [0.0, 20.0, 50.0]
    assert (counts.posted, counts.acknowledged, counts.records) == (3, 3, {"USA": 4})
    with pytest.raises(ValueError, match="speed"):
        replay(plan, "http://svc", {"USA": "t"}, speed=0.0)


def test_tokens_file_errors_name_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    path.write_text("USA: abc\n")
    with pytest.raises(InputFormatError, match=r"no token for owner.*JPN"):
        read_tokens(path, ["JPN", "USA"])
    path.write_text("- USA\n")
    with pytest.raises(InputFormatError, match="mapping of partner code"):
        read_tokens(path, ["USA"])
    with pytest.raises(InputFormatError, match="cannot read"):
        read_tokens(tmp_path / "none.yaml", ["USA"])
    path.write_text('{"USA": "abc", "JPN": "def"}')
    assert read_tokens(path, ["JPN", "USA"]) == {"USA": "abc", "JPN": "def"}


def test_start_at_accepts_seconds_and_times() -> None:
    table = small_table([0.0, 30.0])
    first = table["time"][0].as_py()
    assert start_offset_s(first, None) == 0.0
    assert start_offset_s(first, "12.5") == 12.5
    assert start_offset_s(first, first.isoformat().replace("+00:00", "Z")) == 0.0
    with pytest.raises(TracklayerError, match="time zone"):
        start_offset_s(first, "2027-03-01T00:00:00")
    with pytest.raises(TracklayerError, match="neither seconds"):
        start_offset_s(first, "soon")


@pytest.mark.slow
def test_exercise_puts_every_owner_s_tracks_in_the_service(run_dir: Path, tmp_path: Path) -> None:
    """``tracklayer exercise RUN --speed 100``: each owner's national tracks reach the
    service, visible to the other owner (released to it); the service's Parquet export
    equals the run folder's national tracks row for row (times to the microsecond, the
    service's resolution, states and covariances exactly). At the run's epochs with
    fused tracks, each owner's picture has system tracks fused from the owners' tracks,
    and KOR's (a partner of the service, not an owner of the run: nothing is released to
    it) has neither national nor system tracks. A second exercise of the same run stores
    nothing new (every message acknowledged as already held)."""
    with running_service("JPN", "KOR", "USA") as (server, tokens):
        _exercise_and_compare(run_dir, tmp_path, server, tokens)


def _exercise_and_compare(
    run_dir: Path, tmp_path: Path, server: str, tokens: dict[str, str]
) -> None:
    token_file = tmp_path / "tokens.json"
    token_file.write_text(json.dumps(tokens))
    # The scenario lies in the future of the server's clock: sent a year earlier, shifted
    # back here. (A live exercise passes --time-shift now.)
    year_s = 365 * 86400
    args = ["exercise", str(run_dir), "--server", server, "--tokens", str(token_file)]
    args += ["--time-shift", str(-year_s)]
    result = CliRunner().invoke(app, [*args, "--speed", "100"])
    assert result.exit_code == 0, result.output
    assert "0 already held" in result.output

    expected = national(read_table(run_dir / "tracks.parquet"))
    for viewer in ("JPN", "USA"):
        exported = export(server, tokens[viewer])
        shifted = pc.add(pc.cast(exported["time"], pa.int64()), year_s * 10**9)
        exported = exported.set_column(
            exported.schema.get_field_index("time"),
            "time",
            pc.cast(shifted, pa.timestamp("ns", tz="UTC")),
        )
        got = national(exported)
        assert set(got["tracker"].to_pylist()) == {"JPN", "USA"}
        assert got.num_rows == expected.num_rows
        for column in COLUMNS:
            if column == "time":
                us = pa.timestamp("us", tz="UTC")
                assert got["time"].cast(us).equals(expected["time"].cast(us))
            else:
                assert got[column].to_pylist() == expected[column].to_pylist(), column

    again = CliRunner().invoke(app, [*args, "--speed", "1000"])
    assert again.exit_code == 0, again.output
    n = len(plan_messages(read_table(run_dir / "tracks.parquet"), scenario_of(run_dir)))
    assert "time shift -31536000 s" in again.output
    assert f"{n} messages acknowledged ({n} already held" in again.output
    assert national(export(server, tokens["USA"])).num_rows == expected.num_rows
    check_system_tracks(read_table(run_dir / "tracks.parquet"), server, tokens, year_s)


def check_system_tracks(
    tracks: pa.Table, server: str, tokens: dict[str, str], shift_s: int
) -> None:
    """System tracks per partner at a few of the run's epochs with fused tracks."""
    fused = tracks.filter(pc.equal(tracks["tracker"], "fused"))
    epochs = sorted(set(fused["time"].cast(pa.int64()).to_pylist()))
    for epoch_ns in epochs[:: max(1, len(epochs) // 5)]:
        at = np.datetime64(epoch_ns - shift_s * 10**9, "ns").astype("datetime64[us]")
        for viewer in ("JPN", "USA", "KOR"):
            r = httpx.get(
                f"{server}/api/v1/picture",
                params={"at": f"{at}Z"},
                headers={"Authorization": f"Bearer {tokens[viewer]}"},
                timeout=60,
            )
            r.raise_for_status()
            picture = r.json()
            sources = {s["tracker"] for f in picture["fused"] for s in f["sources"]}
            if viewer == "KOR":
                assert picture["national"] == [] and picture["fused"] == [], at
            else:
                assert picture["fused"], (viewer, at)
                assert sources <= {"JPN", "USA"}, (viewer, at)


def test_bad_tokens_file_exits_2_without_traceback(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    result = CliRunner().invoke(
        app, ["exercise", str(run), "--server", "http://127.0.0.1:9", "--tokens", "t.yaml"]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, (InputFormatError, SystemExit))


def test_time_shift_moves_states_and_ids() -> None:
    from datetime import UTC, datetime

    from tracklayer.exercise.cli import time_shift_s

    table = small_table([0.0, 30.0])
    scenario = SimpleNamespace(owners=["USA"], name="shift")
    plain = plan_messages(table, scenario)
    moved = plan_messages(table, scenario, time_shift_s=-10.0)
    assert [m.epoch_ns + 10**10 for m in moved] == [m.epoch_ns for m in plain]
    sent = moved[0].rows["time"].cast(pa.int64()).to_pylist()
    assert sent == [plain[0].epoch_ns - 10**10]
    assert {m.message_id for m in moved}.isdisjoint(m.message_id for m in plain)
    start = table["time"][0].as_py()
    assert time_shift_s(start, "-5", 0.0) == -5.0
    now = datetime.now(UTC).timestamp()
    assert abs(time_shift_s(start, "now", 30.0) - (now - start.timestamp() - 30.0)) < 5.0
    with pytest.raises(TracklayerError, match="time-shift"):
        time_shift_s(start, "later", 0.0)
