"""Detection plots are written and show what the tables say."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from tracklayer.frames import utc_timestamps
from tracklayer.report.detections import plot_detections_per_owner, plot_first_detections
from tracklayer.sensors.detect import DETECTIONS_SCHEMA, first_detections

EPOCH = datetime(2027, 3, 1, tzinfo=UTC)


def _table() -> pa.Table:
    sec = np.array([10.0, 20.0, 30.0, 200.0, 400.0, 50.0])
    kind = ["ir", "ir", "ir", "radar", "radar", "ir"]
    owner = ["USA", "JPN", "USA", "JPN", "JPN", "USA"]
    truth = ["T1", "T1", "T2", "T1", "T2", None]
    n = sec.size
    return pa.table(
        {
            "det_id": np.arange(n),
            "sensor_id": ["S1", "S2", "S1", "R", "R", "S1"],
            "sensor_kind": kind,
            "owner": owner,
            "time": utc_timestamps(EPOCH, sec),
            **{
                c: np.zeros(n)
                for c in ("los_x", "los_y", "los_z", "sensor_x", "sensor_y", "sensor_z")
            },
            "sigma_rad": np.ones(n),
            "snr": np.ones(n),
            "range_m": pa.nulls(n, pa.float64()),
            "sigma_range_m": pa.nulls(n, pa.float64()),
            "truth_id": pa.array(truth, pa.string()),
            "background": pa.array([None if k == "radar" else "earth" for k in kind], pa.string()),
            "daylight": pa.array([None if k == "radar" else True for k in kind], pa.bool_()),
        },
        schema=DETECTIONS_SCHEMA,
    )


def test_first_detections_table() -> None:
    """First detection per threat and kind (reference: the hand-made table's times)."""
    first = first_detections(_table())
    rows = {
        (r["truth_id"], r["sensor_kind"], r["owner"]): r["first_time"] for r in first.to_pylist()
    }
    t = {k: (v - EPOCH).total_seconds() for k, v in rows.items()}
    assert t[("T1", "ir", "ALL")] == 10.0 and t[("T1", "radar", "ALL")] == 200.0
    assert t[("T2", "radar", "JPN")] == 400.0 and t[("T1", "ir", "JPN")] == 20.0


def test_plots_are_written(tmp_path: Path) -> None:
    """Both plots write non-empty PNG files, also for an empty table (no reference)."""
    table = _table()
    for fn in (plot_detections_per_owner, plot_first_detections):
        for data, name in ((table, "full"), (table.slice(0, 0), "empty")):
            out = fn(data, tmp_path / f"{fn.__name__}_{name}.png")
            assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
