"""Tracking metrics on hand-made truth and tracks whose answers are known."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest

from tracklayer.frames import utc_timestamps
from tracklayer.metrics.tracking import tracking_metrics, tracking_scores
from tracklayer.tracking.config import TrackingConfig

EPOCH = datetime(2030, 1, 1, tzinfo=UTC)


def _truth() -> pa.Table:
    # Two objects, 11 samples each at 1 s, moving at 1 km/s along x, 100 km apart.
    t = np.tile(np.arange(11.0), 2)
    obj = ["A"] * 11 + ["B"] * 11
    y = np.repeat([0.0, 100e3], 11)
    x = 7e6 + 1000.0 * t
    n = t.size
    return pa.table(
        {
            "object_id": obj,
            "kind": ["ballistic"] * n,
            "time": utc_timestamps(EPOCH, t),
            "x": x, "y": y, "z": np.zeros(n),
            "vx": np.full(n, 1000.0), "vy": np.zeros(n), "vz": np.zeros(n),
            "lat_rad": np.zeros(n), "lon_rad": np.zeros(n), "alt_m": np.zeros(n),
            "phase": ["midcourse"] * n,
        }
    )  # fmt: skip


def _tracks() -> pa.Table:
    rows = []
    for k in range(11):
        t = float(k)
        # Track 1 follows A from t=2 with 30 m / 4 m/s error then 3 m / 0.5 m/s from t=6;
        # at t=5 A's track changes identity (track 3 takes over). B is never tracked.
        # Track 2 is a false track far away.
        if k >= 2:
            err, verr = (30.0, 4.0) if k < 6 else (3.0, 0.5)
            tid = "joint-000001" if k != 5 else "joint-000003"
            rows.append((tid, t, 7e6 + 1000.0 * t + err, 0.0, 0.0, 1000.0 + verr, "confirmed"))
        rows.append(("joint-000002", t, 0.0, 7e6, 0.0, 0.0, "confirmed"))
    n = len(rows)
    cov = pa.FixedSizeListArray.from_arrays(pa.array(np.tile(np.eye(6).ravel(), n)), 36)
    return pa.table(
        {
            "track_id": [r[0] for r in rows],
            "tracker": ["joint"] * n,
            "time": utc_timestamps(EPOCH, np.array([r[1] for r in rows])),
            "x": [r[2] for r in rows], "y": [r[3] for r in rows], "z": [r[4] for r in rows],
            "vx": [r[5] for r in rows], "vy": [0.0] * n, "vz": [0.0] * n,
            "cov": cov,
            "status": [r[6] for r in rows],
        }
    )  # fmt: skip


def test_metrics_of_a_hand_made_case() -> None:
    """Object A: tracked 9 of 11 samples (custody 9/11) from t = 2 s; position errors 30 m
    (t=2..5) and 3 m (t=6..10), so RMSE sqrt((4*900 + 5*9)/9); two identity switches (1->3->1);
    the 100 m / 1 m/s cue is met first at t = 6 s. Object B: never tracked. One false track.
    GOSPA (c = 10 km, p = 2) at t=0: two missed and one false, sqrt(3 c^2 / 2)."""
    cfg = TrackingConfig(
        scoring={"cue_position_m": 100.0, "cue_velocity_mps": 1.0, "gospa_c_m": 10e3}
    )
    metrics, trackers, gospa = tracking_scores(_truth(), _tracks(), None, cfg)
    rows = {r["object_id"]: r for r in metrics.to_pylist()}
    a, b = rows["A"], rows["B"]
    assert a["custody_fraction"] == pytest.approx(9 / 11)
    assert a["first_track_s"] == pytest.approx(2.0)
    assert a["rmse_pos_m"] == pytest.approx(np.sqrt((4 * 900 + 5 * 9) / 9))
    assert a["rmse_vel_mps"] == pytest.approx(np.sqrt((4 * 16 + 5 * 0.25) / 9))
    assert a["id_switches"] == 2
    assert a["cue_time_s"] == pytest.approx(6.0)
    assert b["custody_fraction"] == 0.0 and b["first_track_s"] is None
    assert trackers.to_pylist() == [
        {"tracker": "joint", "mean_gospa_m": pytest.approx(gospa["gospa_m"].to_numpy().mean()),
         "false_tracks": 1}
    ]  # fmt: skip
    assert (metrics, gospa) == tracking_metrics(_truth(), _tracks(), None, cfg)
    g0 = gospa.to_pylist()[0]
    assert g0["gospa_m"] == pytest.approx(np.sqrt(3 * 10e3**2 / 2))
    assert g0["n_truth"] == 2 and g0["n_tracks"] == 1
