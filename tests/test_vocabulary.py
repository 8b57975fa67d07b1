"""The shared vocabulary: tracker order, the tracks schema, and the per-tracker summary
checked against DuckDB SQL over the same table."""

from __future__ import annotations

import math

import duckdb
import pyarrow as pa
import pytest

from tracklayer.metrics.tracking import METRICS_SCHEMA, TRACKER_SCORES_SCHEMA
from tracklayer.vocabulary import (
    FUSED,
    JOINT,
    TRACKS_SCHEMA,
    is_owner,
    tracker_order,
    tracker_summary,
)

NAN = math.nan


def _metrics() -> pa.Table:
    """Three threats, two owners, joint and fused; JPN never tracked T2 (NaN first track,
    null error), USA never detected T3."""
    rows = [
        # object, tracker, first det, first track, custody, rmse pos, rmse vel, switches, cue
        ("T1", "USA", 30.0, 45.0, 0.8, 900.0, 40.0, 1, 60.0),
        ("T2", "USA", 35.0, 50.0, 0.6, 1100.0, 55.0, 0, NAN),
        ("T3", "USA", NAN, NAN, 0.0, None, None, 0, NAN),
        ("T1", "JPN", 40.0, 70.0, 0.5, 1500.0, 80.0, 2, 90.0),
        ("T2", "JPN", 42.0, NAN, 0.0, None, None, 0, NAN),
        ("T3", "JPN", 50.0, 66.0, 0.4, 1300.0, 70.0, 0, 95.0),
        ("T1", JOINT, 30.0, 38.0, 0.9, 700.0, 30.0, 0, 50.0),
        ("T2", JOINT, 35.0, 41.0, 0.85, 800.0, 35.0, 1, 55.0),
        ("T3", JOINT, 50.0, 60.0, 0.7, 1000.0, 45.0, 0, 80.0),
        ("T1", FUSED, NAN, 47.0, 0.75, 950.0, 50.0, 0, NAN),
        ("T2", FUSED, NAN, 52.0, 0.55, 1050.0, 60.0, 0, NAN),
        ("T3", FUSED, NAN, 68.0, 0.35, 1200.0, 65.0, 0, NAN),
    ]
    names = [
        "object_id", "tracker", "first_detection_s", "first_track_s", "custody_fraction",
        "rmse_pos_m", "rmse_vel_mps", "id_switches", "cue_time_s",
    ]  # fmt: skip
    columns = {name: [r[i] for r in rows] for i, name in enumerate(names)}
    schema = pa.schema([METRICS_SCHEMA.field(name) for name in names])
    return pa.table(columns, schema=schema)


def _tracker_scores() -> pa.Table:
    """Each tracker's mean GOSPA (m) and false tracks, its row of the per-tracker table."""
    rows = [("USA", 5000.0, 2), ("JPN", 7000.0, 1), (JOINT, 3000.0, 0), (FUSED, 4000.0, 3)]
    columns = {name: [r[i] for r in rows] for i, name in enumerate(TRACKER_SCORES_SCHEMA.names)}
    return pa.table(columns, schema=TRACKER_SCORES_SCHEMA)


def test_tracker_order_puts_owners_first_then_joint_then_fused() -> None:
    assert tracker_order([FUSED, "USA", JOINT, "JPN", "USA"]) == ["JPN", "USA", JOINT, FUSED]
    assert tracker_order(["KOR"]) == ["KOR"]
    assert is_owner("USA") and not is_owner(JOINT) and not is_owner(FUSED)


def test_tracks_schema_columns() -> None:
    """The ``tracks`` table's public columns, in order (docs/design.md)."""
    assert TRACKS_SCHEMA.names == [
        "track_id", "tracker", "time", "x", "y", "z", "vx", "vy", "vz", "cov", "status",
    ]  # fmt: skip
    assert TRACKS_SCHEMA.field("cov").type == pa.list_(pa.float64(), 36)


def test_summary_matches_duckdb() -> None:
    """Reference: the same figures by DuckDB SQL, NaN read as undefined (``isnan`` filters);
    tolerances 1e-9 s, 1e-12 (custody fraction), 1e-9 m."""
    metrics, scores = _metrics(), _tracker_scores()
    summary = tracker_summary(metrics, scores)
    assert list(summary) == ["JPN", "USA", JOINT, FUSED]
    finite = "case when isnan({0}) then null else {0} end"
    rows = duckdb.sql(
        f"""select tracker, count(*),
                   count({finite.format("first_detection_s")}),
                   count({finite.format("first_track_s")}),
                   avg({finite.format("first_detection_s")}),
                   avg({finite.format("first_track_s")}),
                   avg({finite.format("cue_time_s")}),
                   avg(coalesce(custody_fraction, 0)),
                   avg(rmse_pos_m), avg(rmse_vel_mps), sum(id_switches),
                   any_value(mean_gospa_m), any_value(false_tracks)
            from metrics join scores using (tracker) group by tracker"""
    ).fetchall()
    keys = (
        "threats", "detected", "tracked", "first_detection_s", "first_track_s", "cue_time_s",
        "custody_fraction", "rmse_pos_m", "rmse_vel_mps", "id_switches", "mean_gospa_m",
        "false_tracks",
    )  # fmt: skip
    assert len(rows) == 4
    for tracker, *values in rows:
        mine = summary[tracker]
        for key, want in zip(keys, values, strict=True):
            if want is None:
                assert mine[key] is None, (tracker, key)
            else:
                assert mine[key] == pytest.approx(float(want), abs=1e-9), (tracker, key)
        assert mine["tracked_fraction"] == pytest.approx(mine["tracked"] / mine["threats"])


def test_summary_of_undefined_figures() -> None:
    """A tracker that detected nothing has no detection time; an empty table gives no
    tracker; a table without the optional cue column counts it undefined; without the
    per-tracker table, or a tracker missing from it, GOSPA and false tracks are undefined."""
    summary = tracker_summary(_metrics())
    assert all(f["mean_gospa_m"] is None and f["false_tracks"] is None for f in summary.values())
    partial = tracker_summary(_metrics(), _tracker_scores().slice(0, 1))
    assert partial["USA"]["false_tracks"] == 2.0 and partial["JPN"]["mean_gospa_m"] is None
    assert summary[FUSED]["first_detection_s"] is None
    assert summary["JPN"]["tracked"] == 2.0
    assert tracker_summary(_metrics().slice(0, 0)) == {}
    no_cue = tracker_summary(_metrics().drop_columns(["cue_time_s"]))
    assert all(figures["cue_time_s"] is None for figures in no_cue.values())


def test_times_after_launch_leave_out_released_stages() -> None:
    """A spent stage's times count from its separation (its first track is usually its
    booster's, carried on): the means of first detection, first track and cue are over the
    launched threats alone, while counts, custody and errors keep every object. Reference:
    the hand means of the launched rows of the fixture."""
    table = _metrics()
    kinds = ["ballistic"] * table.num_rows
    kinds[0] = "stage"  # T1 as seen by the first tracker of the fixture
    with_kind = table.add_column(1, "kind", pa.array(kinds, pa.string()))
    tracker = table["tracker"][0].as_py()
    mine = [i for i, t in enumerate(table["tracker"].to_pylist()) if t == tracker]
    launched = [i for i in mine if kinds[i] != "stage"]
    every = tracker_summary(table)[tracker]
    summary = tracker_summary(with_kind)[tracker]
    for name in ("first_detection_s", "first_track_s", "cue_time_s"):
        values = [table[name][i].as_py() for i in launched]
        finite = [v for v in values if v is not None and not math.isnan(v)]
        want = sum(finite) / len(finite) if finite else None
        assert summary[name] == (pytest.approx(want) if want is not None else None), name
    for name in ("threats", "tracked", "custody_fraction", "rmse_pos_m", "id_switches"):
        assert summary[name] == every[name], name
    assert (summary["first_track_s"], every["first_track_s"]) == (50.0, 47.5)  # USA: T2, T3
