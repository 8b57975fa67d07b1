"""Custody timelines against the tracking metrics and against hand-made cases."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tracklayer.frames import utc_timestamps
from tracklayer.metrics.custody import (
    CUSTODY_SCHEMA,
    ERRORS_SCHEMA,
    NEES_SCHEMA,
    NIS_SCHEMA,
    average_nis,
    custody_intervals,
    position_errors,
    position_nees,
)
from tracklayer.metrics.tracking import tracking_metrics
from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.run import run_tracking
from tracklayer.tracking.synthetic import EPOCH, make_raid


def _truth(n: int) -> pa.Table:
    """One threat T0 flying along x at 1 km/s, sampled every 1 s for n s."""
    t = np.arange(n, dtype=float)
    return pa.table(
        {"object_id": ["T0"] * n, "time": utc_timestamps(EPOCH, t),
         "x": 7.0e6 + 1e3 * t, "y": np.zeros(n), "z": np.zeros(n),
         "vx": np.full(n, 1e3), "vy": np.zeros(n), "vz": np.zeros(n)}
    )  # fmt: skip


def _tracks(times: np.ndarray, offset_m: float) -> pa.Table:
    n = times.size
    return pa.table(
        {"track_id": ["A"] * n, "tracker": ["USA"] * n, "time": utc_timestamps(EPOCH, times),
         "x": 7.0e6 + 1e3 * times + offset_m, "y": np.zeros(n), "z": np.zeros(n),
         "vx": np.full(n, 1e3), "vy": np.zeros(n), "vz": np.zeros(n),
         "cov": [[0.0] * 36] * n, "status": ["confirmed"] * n}
    )  # fmt: skip


def test_hand_made_held_seen_unseen() -> None:
    """Reference: a track 100 m off (well inside the 10 km cut-off) from 0 to 9 s, none
    after; detections of T0 by USA at 12 and 13 s. Over 20 samples: held [0, 11) (the 9 s
    frame, propagated, still holds at 10 s: a frame counts for one truth step, as in the
    tracking metrics), unseen [11, 12), seen [12, 14) (the sensor's revisit, its median gap
    between detection times, is 1 s), unseen [14, 20)."""
    truth = _truth(20)
    tracks = _tracks(np.arange(10, dtype=float), 100.0)
    detections = pa.table(
        {"truth_id": ["T0", "T0", None], "owner": ["USA", "USA", "USA"],
         "time": utc_timestamps(EPOCH, np.array([12.0, 13.0, 14.0]))}
    )  # fmt: skip
    out = custody_intervals(truth, tracks, detections, TrackingConfig())
    assert out.schema == CUSTODY_SCHEMA
    assert out.to_pylist() == [
        {"object_id": "T0", "tracker": "USA", "state": s, "reason": r, "start_s": a, "end_s": b}
        for s, r, a, b in (("held", None, 0.0, 11.0), ("unseen", "unknown", 11.0, 12.0),
                           ("seen", "single_sensor", 12.0, 14.0),
                           ("unseen", "unknown", 14.0, 20.0))
    ]  # fmt: skip


def _sightlines(rows: list[tuple[float, int, int, int]], owner: str = "USA") -> pa.Table:
    t = np.array([r[0] for r in rows])
    return pa.table(
        {"object_id": ["T0"] * len(rows), "owner": [owner] * len(rows),
         "time": utc_timestamps(EPOCH, t),
         "sats_clear": pa.array([r[1] for r in rows], pa.int32()),
         "sats_in_regard": pa.array([r[2] for r in rows], pa.int32()),
         "sats_in_view": pa.array([r[3] for r in rows], pa.int32())}
    )  # fmt: skip


def test_reasons_of_lost_custody_in_order_of_the_chain() -> None:
    """Reference: the sensing chain, one cause per second of an unheld flight of 7 s.
    0 s: no clear line (below the horizon); 1 s: clear, outside every field of regard;
    2 s: in regard, under the cloud top; 3 s: in view, not detected (below the noise);
    4 s: one satellite's detection (no stereo pair); 5 s: two satellites' detections
    (the tracker's doing); 6 s: one radar's detection (it ranges: the tracker's doing).
    The joint tracker sums the owners' satellites: JPN's in-view satellite at 0 s makes
    that second ``below_noise`` for ``joint``."""
    truth = _truth(7)
    tracks = _tracks(np.arange(7.0), 1e6)  # never matched: far beyond the cut-off
    tracks = pa.concat_tables([tracks, tracks.set_column(1, "tracker", pa.array(["joint"] * 7))])
    sight = pa.concat_tables(
        [_sightlines([(0.0, 0, 0, 0), (1.0, 3, 0, 0), (2.0, 3, 2, 0), (3.0, 3, 2, 1),
                      (4.0, 3, 2, 2), (5.0, 3, 2, 2), (6.0, 3, 2, 2)]),
         _sightlines([(0.0, 1, 1, 1)], owner="JPN")]
    )  # fmt: skip
    detections = pa.table(
        {"truth_id": ["T0"] * 4, "owner": ["USA"] * 4,
         "sensor_id": ["s1", "s1", "s2", "radar"], "sensor_kind": ["ir", "ir", "ir", "radar"],
         "time": utc_timestamps(EPOCH, np.array([4.0, 5.0, 5.0, 6.0]))}
    )  # fmt: skip
    out = custody_intervals(truth, tracks, detections, TrackingConfig(), sight)
    usa = out.filter(pc.equal(out["tracker"], "USA"))
    assert usa["reason"].to_pylist() == [
        "below_horizon", "out_of_regard", "cloud", "below_noise", "single_sensor", "tracker",
    ]  # fmt: skip
    assert usa["state"].to_pylist() == ["unseen"] * 4 + ["seen"] * 2
    assert usa["end_s"].to_pylist() == [1.0, 2.0, 3.0, 4.0, 5.0, 7.0]
    joint = out.filter(pc.equal(out["tracker"], "joint"))
    assert joint["reason"].to_pylist()[:2] == ["below_noise", "out_of_regard"]


def test_a_detection_counts_until_its_sensor_looks_again() -> None:
    """Reference: a sensor framing every 5 s (its false alarms at 0, 5, 10 and 15 s) detects
    T0 at 5 s only: T0 counts as seen over that frame's revisit, [5, 10), not one step."""
    detections = pa.table(
        {"truth_id": [None, "T0", None, None], "owner": ["USA"] * 4, "sensor_id": ["s1"] * 4,
         "time": utc_timestamps(EPOCH, np.array([0.0, 5.0, 10.0, 15.0]))}
    )  # fmt: skip
    out = custody_intervals(_truth(20), _tracks(np.arange(1.0), 1e6), detections, TrackingConfig())
    assert [(r["state"], r["start_s"], r["end_s"]) for r in out.to_pylist()] == [
        ("unseen", 0.0, 5.0), ("seen", 5.0, 10.0), ("unseen", 10.0, 20.0)
    ]  # fmt: skip


def test_a_track_beyond_the_cut_off_does_not_hold() -> None:
    """Reference: GOSPA's cut-off c (default 10 km): a track 20 km off matches nothing."""
    config = TrackingConfig()
    far = 2.0 * config.scoring.gospa_c_m
    out = custody_intervals(_truth(5), _tracks(np.arange(5.0), far), None, config)
    assert out["state"].to_pylist() == ["unseen"]


@pytest.mark.slow
def test_held_share_equals_the_metrics_custody() -> None:
    """Reference: :func:`tracking_metrics`' ``custody_fraction`` (the same GOSPA matching):
    on a synthetic raid the held share of each threat's flight equals it to 1e-9."""
    raid = make_raid(n_threats=3, n_sats=10, duration_s=120.0, step_s=1.0, seed=3)
    config = TrackingConfig()
    tracks = run_tracking(raid.detections, config, epoch=EPOCH)
    metrics, _ = tracking_metrics(raid.truth, tracks, raid.detections, config)
    intervals = custody_intervals(raid.truth, tracks, raid.detections, config)
    length = pc.subtract(intervals["end_s"], intervals["start_s"]).to_numpy()
    for row in metrics.to_pylist():
        if row["tracker"] not in set(intervals["tracker"].to_pylist()):
            continue
        mine = np.array(
            [o == row["object_id"] and t == row["tracker"]
             for o, t in zip(intervals["object_id"].to_pylist(),
                             intervals["tracker"].to_pylist(), strict=True)]
        )  # fmt: skip
        held = mine & (np.asarray(intervals["state"].to_pylist()) == "held")
        share = length[held].sum() / length[mine].sum()
        assert share == pytest.approx(row["custody_fraction"], abs=1e-9), row


def test_position_nees_of_a_known_error_and_its_chi_square_bounds() -> None:
    """Reference: error (100, 0, 0) m against a position covariance of 50² m² per axis:
    NEES = 100² / 50² = 4 at every time; one threat averaged, so the 95 % bounds are the
    χ²(3) table's 2.5 % and 97.5 % points, 0.216 and 9.348 (to 1e-3)."""
    tracks = _tracks(np.arange(5.0), 100.0)
    cov = np.zeros((6, 6))
    cov[:3, :3] = np.eye(3) * 50.0**2
    cov[3:, 3:] = np.eye(3) * 10.0**2
    tracks = tracks.set_column(
        tracks.schema.get_field_index("cov"), "cov", pa.array([cov.ravel().tolist()] * 5)
    )
    out = position_nees(_truth(5), tracks, TrackingConfig())
    assert out.schema == NEES_SCHEMA
    assert out["n"].to_pylist() == [1] * 5
    assert np.allclose(out["mean_nees"].to_numpy(), 4.0, rtol=1e-12)
    assert np.allclose(out["lower"].to_numpy(), 0.216, atol=1e-3)
    assert np.allclose(out["upper"].to_numpy(), 9.348, atol=1e-3)


def test_position_errors_of_a_track_off_by_a_known_distance() -> None:
    """Reference: a track 100 m along x from the threat at every frame: error 100 m at each
    of the 5 truth times (to 1e-6 m), none beyond the GOSPA cut-off."""
    out = position_errors(_truth(5), _tracks(np.arange(5.0), 100.0), TrackingConfig())
    assert out.schema == ERRORS_SCHEMA
    assert out["time_s"].to_pylist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert np.allclose(out["error_m"].to_numpy(), 100.0, atol=1e-6)
    far = position_errors(_truth(5), _tracks(np.arange(5.0), 1e6), TrackingConfig())
    assert far.num_rows == 0


def test_average_nis_and_its_chi_square_bounds() -> None:
    """Reference: χ²(2) table: one update averaged has 95 % bounds 0.0506 and 7.378; two
    updates at one time (NIS 1 and 3) average 2 with bounds χ²(4)/2 = 0.242 and 5.572
    (to 1e-3)."""
    innovations = pa.table(
        {"track_id": ["a", "a", "b"], "tracker": ["USA"] * 3,
         "time": utc_timestamps(EPOCH, np.array([0.0, 1.0, 1.0])),
         "nis": [0.5, 1.0, 3.0]}
    )  # fmt: skip
    out = average_nis(innovations)
    assert out.schema == NIS_SCHEMA
    assert out["n"].to_pylist() == [1, 2]
    assert out["mean_nis"].to_pylist() == [0.5, 2.0]
    assert np.allclose(out["lower"].to_numpy(), [0.0506, 0.242], atol=1e-3)
    assert np.allclose(out["upper"].to_numpy(), [7.378, 5.572], atol=1e-3)
