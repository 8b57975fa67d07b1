"""An exercise's detections: shared as the sharing arrangements allow, paced by the
network's deliveries, posted to a real service; the live stream follows the exercise."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pytest

from tests.ccsds_check import ccsds_valid
from tracklayer.client import detection_records, stream_updates
from tracklayer.exercise.detections import detection_releases, plan_detection_messages
from tracklayer.exercise.plan import plan_messages
from tracklayer.exercise.replay import replay
from tracklayer.exercise.tdm import tdm_messages, tdm_post
from tracklayer.frames import geodetic_to_ecef
from tracklayer.io.parquet import read_table
from tracklayer.scenario import load_scenario

T0_NS = 1_803_000_000 * 10**9
SECOND = 10**9


def scenario() -> Any:
    share = SimpleNamespace
    return SimpleNamespace(
        name="detections",
        owners=["JPN", "KOR", "USA"],
        network=SimpleNamespace(
            nodes=[
                SimpleNamespace(owner="USA", name="USA-NODE"),
                SimpleNamespace(owner="JPN", name="JPN-NODE"),
                SimpleNamespace(owner="KOR", name="KOR-NODE"),
                SimpleNamespace(owner="joint", name="C2"),
            ],
            sharing=[
                share(source="USA", to="joint", what=["detections", "tracks"], delay_s=0.5),
                share(source="JPN", to="joint", what=["tracks"], delay_s=0.2),
                share(source="KOR", to="USA", what=["detections"], delay_s=1.5),
            ],
        ),
    )


def detections(owners: list[str], times_s: list[float]) -> pa.Table:
    n = len(owners)
    return pa.table(
        {
            "det_id": pa.array(range(1, n + 1), pa.int64()),
            "sensor_id": [f"{o}-S1" for o in owners],
            "sensor_kind": ["ir"] * n,
            "owner": owners,
            "time": pa.array(
                [T0_NS + round(t * SECOND) for t in times_s], pa.timestamp("ns", "UTC")
            ),
            "los_x": [0.6] * n,
            "los_y": [0.0] * n,
            "los_z": [-0.8] * n,
            "sensor_x": [7.0e6] * n,
            "sensor_y": [1.0e5] * n,
            "sensor_z": [2.0e5] * n,
            "sigma_rad": [2e-5] * n,
            "snr": [12.5] * n,
            "range_m": pa.array([None] * n, pa.float64()),
            "sigma_range_m": pa.array([None] * n, pa.float64()),
            "truth_id": ["T1"] * n,
            "background": ["earth"] * n,
            "daylight": [True] * n,
        }
    )


def deliveries(rows: list[tuple[int, str, float]]) -> pa.Table:
    return pa.table(
        {
            "det_id": pa.array([r[0] for r in rows], pa.int64()),
            "node": [r[1] for r in rows],
            "arrival_time": pa.array(
                [T0_NS + round(r[2] * SECOND) for r in rows], pa.timestamp("ns", "UTC")
            ),
            "hops": pa.array([1] * len(rows), pa.int16()),
        }
    )


def visible_detections(server: str, token: str) -> list[dict[str, Any]]:
    """The detections the token's partner may see, as the service answers them."""
    r = httpx.get(
        f"{server}/api/v1/detections",
        headers={"Authorization": f"Bearer {token}"},
        params={"limit": 100},
        timeout=30,
    )
    r.raise_for_status()
    return list(r.json()["detections"])


def test_releases_follow_the_detection_sharing() -> None:
    assert detection_releases(scenario()) == {
        "USA": ("all", ["C2"], 0.5),
        "KOR": (["USA"], ["USA-NODE"], 1.5),
    }
    assert detection_releases(SimpleNamespace(network=None)) == {}


def test_detections_are_due_at_their_arrival_where_they_are_shared() -> None:
    """USA's detection 1 reaches C2 at 1.0 s (its node at 0.3 s: not where it is shared);
    detection 2 never reaches C2 and is not sent; detection 3 reaches C2 at 1.8 s, in the
    same second as 1; KOR's detection 5 reaches USA-NODE at 2.5 s; JPN shares none."""
    table = detections(["USA", "USA", "USA", "JPN", "KOR"], [0.0, 0.1, 0.2, 0.0, 0.5])
    arrivals = deliveries(
        [
            *[(1, "USA-NODE", 0.3), (1, "C2", 1.0), (2, "USA-NODE", 0.4), (3, "C2", 1.8)],
            *[(3, "C2", 1.9), (4, "JPN-NODE", 0.1), (5, "USA-NODE", 2.5)],
        ]
    )
    plan = plan_detection_messages(table, scenario(), "run", T0_NS, arrivals)
    assert [(m.owner, m.due_s, m.releasable_to, m.kind) for m in plan] == [
        ("USA", 1.8, "all", "detections"),
        ("KOR", 2.5, ["USA"], "detections"),
    ]
    assert plan[0].rows["det_id"].to_pylist() == [1, 3]
    assert [m.message_id for m in plan] == ["run:USA:detections:1", "run:KOR:detections:2"]
    # Without deliveries: at the detection's time plus the arrangement's delay.
    plain = plan_detection_messages(table, scenario(), "run", T0_NS)
    assert [(m.owner, m.due_s, m.rows.num_rows) for m in plain] == [
        ("USA", pytest.approx(0.7), 3),
        ("KOR", pytest.approx(2.0), 1),
    ]
    # Skipped before --start-at, and shifted like the tracks.
    later = plan_detection_messages(table, scenario(), "run", T0_NS, arrivals, 2.0, -60.0)
    assert [m.owner for m in later] == ["KOR"]
    sent = later[0].rows["time"].cast(pa.int64()).to_pylist()
    assert sent == [T0_NS + SECOND // 2 - 60 * SECOND]


def test_detection_records_are_what_the_service_reads() -> None:
    records = detection_records(detections(["USA"], [0.25]))
    assert records == [
        {
            "det_id": "1",
            "sensor_id": "USA-S1",
            "sensor_kind": "ir",
            "owner": "USA",
            "time": "2027-02-19T01:20:00.250000+00:00",
            "los_x": 0.6,
            "los_y": 0.0,
            "los_z": -0.8,
            "sensor_x": 7.0e6,
            "sensor_y": 1.0e5,
            "sensor_z": 2.0e5,
            "sigma_rad": 2e-5,
            "snr": 12.5,
        }
    ]


@pytest.mark.slow
def test_replayed_detections_reach_the_partners_they_are_shared_with(
    service_with_owners: tuple[str, dict[str, str]],
) -> None:
    """USA's detections, shared with the C2 node, are stored once and visible to JPN with
    the values of the run's table; JPN's own (it shares none) are never posted."""
    server, tokens = service_with_owners
    year_ns = 365 * 86400 * SECOND
    table = detections(["USA"] * 3 + ["JPN"], [0.0, 0.4, 1.2, 0.3])
    table = table.set_column(
        4,
        "time",
        pa.array(
            [t - year_ns for t in table["time"].cast(pa.int64()).to_pylist()],
            pa.timestamp("ns", "UTC"),
        ),
    )
    plan = plan_detection_messages(table, scenario(), "live", T0_NS - year_ns)
    counts = replay(plan, server, tokens, speed=None)
    assert (counts.acknowledged, counts.detections) == (2, 3)
    seen = visible_detections(server, tokens["JPN"])
    assert [d["owner"] for d in seen] == ["USA"] * 3
    assert sorted(d["det_id"] for d in seen) == ["1", "2", "3"]
    for d in seen:
        assert (d["los_x"], d["los_z"], d["sigma_rad"], d["snr"]) == (0.6, -0.8, 2e-5, 12.5)
    again = replay(plan, server, tokens, speed=None)
    assert again.duplicates == 2
    assert json.dumps(seen)


@pytest.mark.slow
def test_the_live_stream_follows_the_exercise(
    run_dir: Path,
    service_with_owners: tuple[str, dict[str, str]],
) -> None:
    """What the picture page draws from, JPN's live stream, carries every USA track
    message of the exercise released to it, as it is posted, in due order."""
    server, tokens = service_with_owners
    tracks = read_table(run_dir / "tracks.parquet")
    plan = plan_messages(tracks, load_scenario(run_dir / "scenario.yaml"), 0.0, -365 * 86400)
    updates: list[dict[str, Any]] = []
    ready = threading.Event()

    def follow() -> None:
        for update in stream_updates(server, tokens["JPN"]):
            updates.append(update)
            ready.set()
            if len(usa_updates()) >= n_usa:
                return

    def usa_updates() -> list[str]:
        return [u["message_id"] for u in updates if u["type"] == "tracks" and u["owner"] == "USA"]

    n_usa = sum(m.owner == "USA" for m in plan)
    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    assert ready.wait(60)
    replay(plan, server, tokens, speed=None)
    reader.join(120)
    assert usa_updates() == [m.message_id for m in plan if m.owner == "USA"]


def test_tdm_messages_are_one_per_sensor_frame() -> None:
    table = detections(["USA"] * 4, [0.0, 0.0, 0.0, 0.3])
    table = table.set_column(1, "sensor_id", pa.array(["S1", "S2", "S1", "S1"]))
    plan = plan_detection_messages(table, scenario(), "run", T0_NS)
    (message,) = plan
    split = tdm_messages([message])
    assert [(m.kind, m.message_id, m.rows["det_id"].to_pylist()) for m in split] == [
        ("tdm", "run:USA:detections:0:tdm0", [1, 3]),
        ("tdm", "run:USA:detections:0:tdm1", [4]),
        ("tdm", "run:USA:detections:0:tdm2", [2]),
    ]
    text, params = tdm_post(split[0])
    assert "PARTICIPANT_1 = S1" in text and "ANGLE_TYPE = RADEC" in text
    for tdm in split:
        assert ccsds_valid(tdm_post(tdm)[0])  # each TDM the exercise posts is valid TDM 2.0
    assert (params["sensor_x_m"], params["releasable_to"], params["sigma_rad"]) == (
        7.0e6,
        "all",
        2e-5,
    )
    assert tdm_post(split[0]) == (text, params)  # the same bytes on a resumed exercise


@pytest.mark.slow
def test_detections_sent_as_tdm_are_read_back(
    service_with_owners: tuple[str, dict[str, str]],
) -> None:
    """A space sensor's frame (RADEC in ITRF, its ECEF position) and a radar's (AZEL and
    range at its geodetic site) posted as TDM files come back as the same lines of sight
    (1e-9 rad: angles are written to 1e-9 deg) and ranges (1 mm: km to 6 decimals)."""
    server, tokens = service_with_owners
    year_ns = 365 * 86400 * SECOND
    table = detections(["USA"] * 3, [0.0, 0.0, 1.0])
    site = geodetic_to_ecef(np.radians(13.6), np.radians(144.9), 120.0)
    los = np.array([0.3, -0.5, 0.8]) / np.linalg.norm([0.3, -0.5, 0.8])
    radar = {
        "sensor_id": ["USA-S1", "USA-S1", "GUAM"],
        "sensor_kind": ["ir", "ir", "radar"],
        "los_x": [0.6, 0.0, los[0]],
        "los_y": [0.0, 0.6, los[1]],
        "los_z": [-0.8, -0.8, los[2]],
        "sensor_x": [7.0e6, 7.0e6, site[0]],
        "sensor_y": [1.0e5, 1.0e5, site[1]],
        "sensor_z": [2.0e5, 2.0e5, site[2]],
    }
    for name, values in radar.items():
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(values))
    earlier = [t - year_ns for t in table["time"].cast(pa.int64()).to_pylist()]
    table = table.set_column(4, "time", pa.array(earlier, pa.timestamp("ns", "UTC")))
    table = table.set_column(13, "range_m", pa.array([None, None, 812_345.678]))
    table = table.set_column(14, "sigma_range_m", pa.array([None, None, 30.0]))
    plan = tdm_messages(plan_detection_messages(table, scenario(), "tdm", T0_NS - year_ns))
    split = [m for m in plan if m.rows["sensor_kind"][0].as_py() == "radar"]
    assert len(split) == 1  # the radar frame alone: it has ranges, the others not
    plan = [*[m for m in plan if m not in split], *split]
    assert all(ccsds_valid(tdm_post(m)[0]) for m in plan)  # valid TDM 2.0 (AZEL and RADEC)
    counts = replay(plan, server, tokens, speed=None)
    assert (counts.acknowledged, counts.detections) == (len(plan), 3)
    seen = visible_detections(server, tokens["JPN"])
    assert len(seen) == 3
    by_sensor = {d["sensor_id"]: d for d in seen if d["sensor_id"] == "GUAM"}
    ir = sorted((d for d in seen if d["sensor_id"] == "USA-S1"), key=lambda d: d["los_x"])
    np.testing.assert_allclose(
        [[d["los_x"], d["los_y"], d["los_z"]] for d in ir],
        [[0, 0.6, -0.8], [0.6, 0, -0.8]],
        atol=1e-9,
    )
    guam = by_sensor["GUAM"]
    np.testing.assert_allclose([guam["los_x"], guam["los_y"], guam["los_z"]], los, atol=1e-9)
    assert guam["range_m"] == pytest.approx(812_345.678, abs=1e-3)
    assert replay(plan, server, tokens, speed=None).duplicates == len(plan)


def test_detections_as_names_its_choices(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tracklayer.cli import app
    from tracklayer.errors import TracklayerError

    args = ["exercise", str(tmp_path), "--server", "http://127.0.0.1:9", "--tokens", "t.yaml"]
    result = CliRunner().invoke(app, [*args, "--detections-as", "xml"])
    assert isinstance(result.exception, TracklayerError)
    assert "json or tdm" in str(result.exception)
