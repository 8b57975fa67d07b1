"""Flyout plots from a small synthetic truth table (no flight needed).

Reference: the figure list of ``plot_flyout``'s docstring; each file must be a PNG.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from tracklayer.report.flyout import plot_flyout


def _truth() -> pa.Table:
    t0 = int(datetime(2030, 1, 1, tzinfo=UTC).timestamp() * 1e9)
    rows: dict[str, list] = {
        c: []
        for c in (
            "object_id",
            "kind",
            "time",
            "x",
            "y",
            "z",
            "vx",
            "vy",
            "vz",
            "lat_rad",
            "lon_rad",
            "alt_m",
            "phase",
            "intensity_swir_w_sr",
            "intensity_mwir_w_sr",
        )
    }
    for k, kind in enumerate(("ballistic", "hgv")):
        n = 50
        t = np.arange(n, dtype=float)
        lat = np.deg2rad(25.0 + 0.02 * t)
        lon = np.deg2rad(118.0 + 0.1 * t + k)
        alt = 1e3 * t * (n - t) / 10.0
        for i in range(n):
            rows["object_id"].append(f"r-{k}")
            rows["kind"].append(kind)
            rows["time"].append(t0 + int(t[i] * 1e9))
            for c in ("x", "y", "z"):
                rows[c].append(7e6)
            for c in ("vx", "vy", "vz"):
                rows[c].append(1000.0 + 10.0 * i)
            rows["lat_rad"].append(lat[i])
            rows["lon_rad"].append(lon[i])
            rows["alt_m"].append(alt[i])
            rows["phase"].append("boost" if i < 10 else "midcourse")
            rows["intensity_swir_w_sr"].append(1e5 if i < 10 else 1.0)
            rows["intensity_mwir_w_sr"].append(1e5 if i < 10 else 10.0)
    table = pa.table(rows)
    return table.set_column(2, "time", pa.array(rows["time"], pa.timestamp("ns", tz="UTC")))


def test_plot_flyout_writes_every_figure(tmp_path: Path) -> None:
    """Altitude, speed, one intensity figure per band and the ground tracks, as PNG files."""
    paths = plot_flyout(_truth(), tmp_path / "plots")
    names = sorted(p.name for p in paths)
    assert names == sorted(
        [
            "flyout_altitude.png",
            "flyout_speed.png",
            "flyout_intensity_swir.png",
            "flyout_intensity_mwir.png",
            "flyout_ground_tracks.png",
        ]
    )
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert p.stat().st_size > 5000


def test_empty_truth_gives_no_figures(tmp_path: Path) -> None:
    """An empty table writes nothing and returns an empty list."""
    assert plot_flyout(_truth().slice(0, 0), tmp_path) == []
