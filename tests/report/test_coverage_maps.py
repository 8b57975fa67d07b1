"""Coverage maps: a colour scale that resolves 80-100 %, coastlines readable on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from tracklayer.metrics.config import BoxRegion
from tracklayer.metrics.grid import equal_area_grid
from tracklayer.report.coverage_maps import PCT_LEVELS, pct_scale, plot_coverage_map, span_text


def test_the_percent_scale_gives_most_of_its_colours_to_80_to_100() -> None:
    """Reference: the steps 80, 85, 90, 95, 98, 99, 100 %: six of the ten colours lie
    above 80 %, so 93 % and 96 % get different colours while 10 % and 30 % do too."""
    norm, colours = pct_scale()
    assert PCT_LEVELS[4] == 80.0 and len(PCT_LEVELS) - 1 - 4 == 6
    assert colours.N == len(PCT_LEVELS) - 1
    assert norm(93.0) != norm(96.0)
    assert norm(99.5) == colours.N - 1 and norm(0.0) == 0


def test_coastlines_read_on_the_brightest_colour(tmp_path: Path) -> None:
    """Reference: a map at 100 % everywhere (the scale's brightest colour) over the Sea
    of Japan's coasts shows black coastline pixels (< 60 on every channel) inside the
    first panel's filled area (white lines, as before, left none there)."""
    grid = equal_area_grid(
        1.0, BoxRegion(kind="box", lat_min_deg=30, lat_max_deg=45, lon_min_deg=125,
                       lon_max_deg=145)
    )  # fmt: skip
    full = np.full(grid.n_cells, 100.0)
    path = plot_coverage_map(
        grid, {"USA": full, "joint": full}, title="t", colorbar_label="%",
        path=tmp_path / "map.png", vmin=0.0, vmax=100.0, norm=pct_scale()[0],
    )  # fmt: skip
    pixels = np.asarray(Image.open(path).convert("RGB"), dtype=np.int64)
    left = pixels[:, : int(pixels.shape[1] * 0.42)]  # inside the first panel
    r, g, b = left[..., 0], left[..., 1], left[..., 2]
    rows, cols = np.nonzero((r > 200) & (g > 200) & (b < 120))  # the 100 % colour
    inside = left[rows.min() + 10 : rows.max() - 10, cols.min() + 10 : cols.max() - 10]
    assert (inside < 60).all(axis=-1).sum() > 300


def test_spans_are_written_in_the_unit_that_reads() -> None:
    """86,400 s is 24 h; 5,400 s is 90 min; 45 s stays 45 s."""
    assert [span_text(s) for s in (86400.0, 5400.0, 45.0)] == ["24 h", "90 min", "45 s"]
