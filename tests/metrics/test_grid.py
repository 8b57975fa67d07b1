"""Equal-area grid: areas, region masks, and the coverage scenario model's validation."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from pydantic import ValidationError

from tracklayer.constants import DEG
from tracklayer.metrics.config import BoxRegion, CoverageConfig, PolygonRegion
from tracklayer.metrics.grid import authalic_radius_m, equal_area_grid
from tracklayer.sensors.config import SensorPayload


def _box_sr(lat0: float, lat1: float, width_deg: float) -> float:
    """Solid angle of a lat/lon box on the unit sphere: dlon (sin lat1 - sin lat0)."""
    return width_deg * DEG * (math.sin(lat1 * DEG) - math.sin(lat0 * DEG))


@pytest.mark.parametrize("d", [1.0, 2.5, 7.0])
def test_global_cells_sum_to_sphere(d: float) -> None:
    """Reference: the unit sphere's 4 pi sr, and 4 pi R^2 with the WGS84 authalic radius
    6371.007 km (Moritz 1980). Tolerance 1e-12 relative; 1 m for the radius."""
    g = equal_area_grid(d)
    assert g.area_sr.sum() == pytest.approx(4 * math.pi, rel=1e-12)
    assert g.area_m2.sum() == pytest.approx(4 * math.pi * authalic_radius_m() ** 2, rel=1e-12)
    assert authalic_radius_m() == pytest.approx(6_371_007.2, abs=1.0)
    assert g.mask.all()


def test_cells_have_nearly_equal_area() -> None:
    """Reference: an ideal cell of d x d degrees at the equator, (d deg)^2 sr. Tolerance: every
    row with 20 or more cells within 3 % of it (rounding the cell count per row)."""
    d = 1.0
    g = equal_area_grid(d)
    ideal = (d * DEG) ** 2
    wide = g.row_count[g.row] >= 20
    ratio = g.area_sr[wide] / ideal
    assert np.all(np.abs(ratio - 1.0) < 0.03)
    # Cells in one row share one area, and rows cover [-pi, pi) with no gap.
    for r in (0, 45, 90):
        cells = g.row == r
        assert np.ptp(g.area_sr[cells]) == 0.0
        assert g.lon_lo[cells][0] == pytest.approx(-math.pi)
        assert g.lon_hi[cells][-1] == pytest.approx(math.pi)


def test_box_area_and_mask() -> None:
    """Reference: the analytic solid angle of the box 10..40 N, 100..160 E. Tolerance 2 %
    (cells are in or out by their centre on a 1 degree grid)."""
    box = BoxRegion(lat_min_deg=10, lat_max_deg=40, lon_min_deg=100, lon_max_deg=160)
    g = equal_area_grid(1.0, box)
    inside = g.mask
    assert g.area_sr[inside].sum() == pytest.approx(_box_sr(10, 40, 60), rel=0.02)
    lat, lon = g.lat[inside] / DEG, g.lon[inside] / DEG
    assert lat.min() >= 10 and lat.max() <= 40 and lon.min() >= 100 and lon.max() <= 160
    # Only rows meeting the box are kept, and each keeps all its cells for the kernel.
    assert g.row_lat.min() / DEG > 9 and g.row_lat.max() / DEG < 41
    assert g.n_cells == int(g.row_count.sum())


def test_box_across_antimeridian() -> None:
    """Reference: the box 170 E .. 170 W is 20 degrees wide, centred on 180. Tolerance 2 %."""
    box = BoxRegion(lat_min_deg=-20, lat_max_deg=20, lon_min_deg=170, lon_max_deg=-170)
    assert box.lon_width_deg == 20.0
    g = equal_area_grid(1.0, box)
    lon = g.lon[g.mask] / DEG
    assert np.all((lon >= 170) | (lon <= -170))
    assert g.area_sr[g.mask].sum() == pytest.approx(_box_sr(-20, 20, 20), rel=0.02)


def test_polygon_mask_equals_box_mask() -> None:
    """Reference: a rectangular polygon and the same box select the same cells, also across
    the antimeridian. Exact (cell centres on the boundary aside, none here)."""
    for lo, hi in ((100.5, 160.5), (170.5, -169.5)):
        box = BoxRegion(lat_min_deg=10.3, lat_max_deg=40.3, lon_min_deg=lo, lon_max_deg=hi)
        poly = PolygonRegion(vertices_deg=[(10.3, lo), (10.3, hi), (40.3, hi), (40.3, lo)])
        assert np.array_equal(equal_area_grid(1.0, box).mask, equal_area_grid(1.0, poly).mask)


def test_triangle_area() -> None:
    """Reference: a triangle with vertices (0, 0), (0, 40), (40, 0) covers half the lat/lon
    square; its solid angle by quadrature, integral of (40 - lat) dlon cos(lat) dlat.
    Tolerance 3 %."""
    poly = PolygonRegion(vertices_deg=[(0, 0), (0, 40), (40, 0)])
    g = equal_area_grid(0.5, poly)
    lat = np.linspace(0, 40, 4001) * DEG
    f = (40 * DEG - lat) * np.cos(lat)
    expected = float(np.sum((f[1:] + f[:-1]) / 2 * np.diff(lat)))
    assert g.area_sr[g.mask].sum() == pytest.approx(expected, rel=0.03)


def test_region_too_small_for_grid() -> None:
    """Reference: a box smaller than one cell, away from every centre: a clear error."""
    box = BoxRegion(lat_min_deg=0.01, lat_max_deg=0.02, lon_min_deg=0.01, lon_max_deg=0.02)
    with pytest.raises(ValueError, match="smaller cell_size_deg"):
        equal_area_grid(5.0, box)


def test_coverage_config_defaults_and_conversions() -> None:
    """Reference: defaults of the issue (global, 1 deg, [0] km, 1 day at 60 s, k = 1, 2) and
    unit conversions by hand."""
    c = CoverageConfig()
    assert c.cell_size_deg == 1.0 and c.altitudes_km == [0.0] and c.k == [1, 2]
    assert c.duration_s == 86400.0 and c.step_s == 60.0
    assert c.min_elevation_rad is None
    assert CoverageConfig(criterion="elevation").min_elevation_rad == pytest.approx(10 * DEG)
    epoch = datetime(2025, 1, 1, tzinfo=UTC)
    c2 = CoverageConfig.model_validate(
        {
            "start": "2025-01-01T01:00:00Z",
            "duration_s": 150,
            "step_s": 60,
            "altitudes_km": [80, 20, 50],
            "k": [2, 1, 2],
        }
    )
    assert list(c2.sample_seconds(epoch)) == [3600.0, 3660.0, 3720.0]
    assert list(c2.altitudes_m) == [20_000.0, 50_000.0, 80_000.0]
    assert c2.k == [1, 2]
    cons = CoverageConfig(min_elevation_deg=5).constraints_for(SensorPayload())
    assert cons.min_elevation_rad == pytest.approx(5 * DEG)
    assert cons.above_limb_rad == 0.0
    el = CoverageConfig(criterion="elevation").constraints_for(None)
    assert el.grazing_altitude_m == 0.0 and el.above_limb_rad is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "region": {
                    "kind": "box",
                    "lat_min_deg": 40,
                    "lat_max_deg": 10,
                    "lon_min_deg": 0,
                    "lon_max_deg": 10,
                }
            },
            "lat_min_deg .* must be less than lat_max_deg",
        ),
        ({"region": {"kind": "polygon", "vertices_deg": [[0, 0], [1, 1]]}}, "at least 3"),
        (
            {"region": {"kind": "polygon", "vertices_deg": [[0, 0], [1, 1], [95, 0]]}},
            "vertex 2: latitude",
        ),
        ({"region": {"kind": "disc"}}, "does not match any of the expected tags"),
        ({"cell_size_deg": 0}, "greater than 0"),
        ({"altitudes_km": [-5]}, r"altitudes_km\[0\]: must be in"),
        ({"k": [0]}, r"k\[0\]: must be >= 1"),
        ({"step_s": 120, "duration_s": 60}, "must not exceed duration_s"),
        ({"start": "2025-01-01T00:00:00"}, "must include a time zone"),
        ({"criterion": "magic"}, "'sensor' or 'elevation'"),
        ({"cells": 3}, "Extra inputs are not permitted"),
    ],
)
def test_coverage_config_errors(data: dict[str, object], message: str) -> None:
    """Reference: each kind of bad input gives a validation error saying what was expected."""
    with pytest.raises(ValidationError, match=message):
        CoverageConfig.model_validate(data)
