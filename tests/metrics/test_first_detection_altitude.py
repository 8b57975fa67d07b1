"""First-detection altitude per threat: the truth's altitude at the first detection."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from tracklayer.frames import utc_timestamps
from tracklayer.metrics.tracking import tracking_metrics
from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.run import TRACKS_SCHEMA

EPOCH = datetime(2030, 1, 1, tzinfo=UTC)


def test_first_detection_altitude_is_the_truth_altitude_then() -> None:
    """A climbs 100 m/s from t = 0; its first detection at t = 7 s gives 700 m. B, never
    detected, has none. Reference: the truth rows themselves."""
    t = np.tile(np.arange(11.0), 2)
    n = t.size
    truth = pa.table(
        {
            "object_id": ["A"] * 11 + ["B"] * 11,
            "time": utc_timestamps(EPOCH, t),
            "x": 7e6 + 100.0 * t, "y": np.repeat([0.0, 1e5], 11), "z": np.zeros(n),
            "vx": np.full(n, 100.0), "vy": np.zeros(n), "vz": np.zeros(n),
            "alt_m": 100.0 * t,
        }
    )  # fmt: skip
    det = pa.table(
        {
            "owner": ["USA", "USA"],
            "time": utc_timestamps(EPOCH, np.array([7.0, 9.0])),
            "truth_id": ["A", "A"],
        }
    )
    metrics, _ = tracking_metrics(truth, TRACKS_SCHEMA.empty_table(), det, TrackingConfig())
    rows = {(r["object_id"], r["tracker"]): r for r in metrics.to_pylist()}
    assert rows[("A", "USA")]["first_detection_s"] == 7.0
    assert rows[("A", "USA")]["first_detection_alt_m"] == 700.0
    assert rows[("B", "joint")]["first_detection_alt_m"] is None
