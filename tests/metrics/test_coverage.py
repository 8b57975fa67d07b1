"""Coverage kernel and figures of merit against analytic, published and brute-force references."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.metrics.orbits_helper import walker_delta_ecef
from tracklayer.constants import DEG, KM, MU_EARTH_M3_S2, WGS84_A_M
from tracklayer.metrics.config import BoxRegion
from tracklayer.metrics.coverage import JOINT, CoverageResult, compute_coverage
from tracklayer.metrics.grid import authalic_radius_m, equal_area_grid
from tracklayer.sensors.geometry import VisibilityConstraints, visible

ELEV10 = VisibilityConstraints(min_elevation_rad=10 * DEG)


def _geodetic(lat: float, lon: float, h: float) -> np.ndarray:
    n = WGS84_A_M / math.sqrt(1 - 0.00669437999014 * math.sin(lat) ** 2)
    return np.array(
        [
            (n + h) * math.cos(lat) * math.cos(lon),
            (n + h) * math.cos(lat) * math.sin(lon),
            (n * (1 - 0.00669437999014) + h) * math.sin(lat),
        ]
    )


@pytest.mark.parametrize("sub_lat_deg", [0.0, 40.0, 84.0])
def test_single_satellite_footprint_area(sub_lat_deg: float) -> None:
    """Reference: the spherical cap 2 pi R^2 (1 - cos lambda), lambda = arccos(R cos e /
    (R + h)) - e (Wertz, SMAD sec. 5.2), for h = 1000 km, e = 10 deg, R the authalic radius.
    The footprint is summed over a 0.25 deg grid at one instant; at 84 deg it holds the pole
    (full rows). Tolerance 1 % (WGS84 flattening moves the edge by up to ~0.3 %, cells ~0.1 %)."""
    r = authalic_radius_m()
    h = 1000 * KM
    e = 10 * DEG
    lam = math.acos(r * math.cos(e) / (r + h)) - e
    expected = 2 * math.pi * r**2 * (1 - math.cos(lam))
    sat = _geodetic(sub_lat_deg * DEG, 30 * DEG, h)[None, None, :]
    g = equal_area_grid(0.25)
    res = compute_coverage(sat, np.array([0.0]), [ELEV10], [0], ["USA"], g, ks=[1])
    area = float(g.area_m2[res.min_in_view[0, 0] >= 1].sum())
    assert area == pytest.approx(expected, rel=0.01)


def _walker_min_in_view(lam_deg: float) -> int:
    """Minimum over cells and one orbital period of satellites in view, Walker 5/5/1 at
    i = 43.7 deg, with the elevation-0 coverage circle set to ``lam_deg``."""
    radius = WGS84_A_M / math.cos(lam_deg * DEG)
    period = 2 * math.pi * math.sqrt(radius**3 / MU_EARTH_M3_S2)
    sec = np.arange(0.0, period, 60.0)
    sats = walker_delta_ecef(5, 5, 1, radius - WGS84_A_M, 43.7, sec)
    c = VisibilityConstraints(min_elevation_rad=0.0)
    res = compute_coverage(sats, sec, [c], [0] * 5, ["USA"] * 5, equal_area_grid(1.0), ks=[1])
    return int(res.min_in_view[-1, 0].min())


def test_walker_5_5_1_continuous_global_coverage() -> None:
    """Reference: Walker (1977, RAE TR 77044; 1984, JBIS 37) - the 5/5/1 delta pattern at
    43.7 deg inclination gives continuous single global coverage for an Earth-central
    coverage radius of 69.2 deg or more, and no 5-satellite pattern does with less.
    Tolerance: +-1.3 deg around 69.2 (the WGS84 Earth shifts the spherical circle by under
    0.3 deg; a 1 deg grid and 60 s steps resolve holes of 1 deg): at 70.5 deg every cell
    always sees a satellite, at 67.9 deg some cell at some time sees none."""
    assert _walker_min_in_view(70.5) >= 1
    assert _walker_min_in_view(67.9) == 0


def _brute_force(
    vis: np.ndarray, w: np.ndarray, ks: list[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Figures of merit from a (sats, times, cells) visibility array, written from the
    definitions with explicit loops over cells (independent of the kernel's streaming)."""
    cnt = vis.sum(axis=0)
    span = w.sum()
    pct = np.array([(w[:, None] * (cnt >= k)).sum(axis=0) / span * 100 for k in ks])
    mean_view = (w[:, None] * cnt).sum(axis=0) / span
    min_view = cnt.min(axis=0)
    max_gap = np.zeros(cnt.shape[1])
    mean_gap = np.zeros(cnt.shape[1])
    for c in range(cnt.shape[1]):
        gaps, cur = [], 0.0
        for i in range(cnt.shape[0]):
            if cnt[i, c] == 0:
                cur += w[i]
            elif cur > 0:
                gaps.append(cur)
                cur = 0.0
        if cur > 0:
            gaps.append(cur)
        if gaps:
            max_gap[c], mean_gap[c] = max(gaps), float(np.mean(gaps))
    return pct, max_gap, mean_gap, mean_view, min_view


@pytest.mark.parametrize("altitude_km", [0.0, 80.0])
def test_polar_constellation_matches_brute_force(altitude_km: float) -> None:
    """Reference: all satellite x cell x time pairs tested with ``visible()``, figures of merit
    computed from their definitions. A polar Walker star 12/3/1 at 800 km, three owners, four
    payloads (limb + 1 deg with ranges 300..3500 km; 50 deg nadir cone; limb + 0.5 deg, which
    at 80 km sees the far side of the target shell; limb + 2 deg with 5 deg minimum
    elevation), all with a 20 km grazing altitude, one satellite out of service for part of
    the span, 6 deg grid, 3 h at 150 s (the last step shortened). Tolerance: counts exact;
    figures to 1e-9 relative."""
    sec = np.append(np.arange(0.0, 3 * 3600, 150.0), 3 * 3600 - 40.0)
    sats = walker_delta_ecef(12, 3, 1, 800 * KM, 90.0, sec, raan_spread_deg=180.0)
    sats[4, 10:30] = np.nan
    cons = [
        VisibilityConstraints(
            grazing_altitude_m=20 * KM,
            above_limb_rad=1 * DEG,
            min_range_m=300 * KM,
            max_range_m=3500 * KM,
        ),
        VisibilityConstraints(grazing_altitude_m=20 * KM, nadir_half_angle_rad=50 * DEG),
        VisibilityConstraints(grazing_altitude_m=20 * KM, above_limb_rad=0.5 * DEG),
        VisibilityConstraints(
            grazing_altitude_m=20 * KM, above_limb_rad=2 * DEG, min_elevation_rad=5 * DEG
        ),
    ]
    idx = np.arange(12) % 4
    owners = np.array(["USA", "JPN", "AUS", "USA"])[np.arange(12) % 4]
    g = equal_area_grid(6.0)
    ks = [1, 2, 3]
    end = 3 * 3600.0
    calls: list[tuple[int, int]] = []
    res = compute_coverage(
        sats,
        sec,
        cons,
        idx,
        owners,
        g,
        [altitude_km * KM],
        ks,
        progress=lambda d, t: calls.append((d, t)),
        end_s=end,
    )
    assert calls[-1] == (sec.size, sec.size) and len(calls) == sec.size

    pos = g.positions(altitude_km * KM)
    vis = np.zeros((12, sec.size, g.n_cells), dtype=bool)
    for i in range(12):
        vis[i] = visible(sats[i][:, None, :], pos[None, :, :], cons[idx[i]])
    vis &= np.isfinite(sats[..., 0])[..., None]
    w = np.diff(np.append(sec, end))
    assert res.groups == ["AUS", "JPN", "USA", JOINT]
    for gi, name in enumerate(res.groups):
        sel = np.ones(12, bool) if name == JOINT else owners == name
        pct, max_gap, mean_gap, mean_view, min_view = _brute_force(vis[sel], w, ks)
        np.testing.assert_allclose(res.pct_time[:, gi, 0], pct, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(res.max_gap_s[gi, 0], max_gap, rtol=1e-9)
        np.testing.assert_allclose(res.mean_gap_s[gi, 0], mean_gap, rtol=1e-9)
        np.testing.assert_allclose(res.mean_in_view[gi, 0], mean_view, rtol=1e-9)
        np.testing.assert_array_equal(res.min_in_view[gi, 0], min_view)
    assert res.span_s == end
    assert vis.sum() > 1000  # the case is not trivially empty


def test_gap_conventions_and_tables() -> None:
    """Reference: definitions. A satellite fixed over (0, 0) at 20,000 km: cells in view have
    100 % and no gap, cells on the far side are never covered (one gap, the whole span). The
    summary's area-weighted means are checked against a hand-weighted average, and the joint
    gain equals joint minus the best owner."""
    sec = np.arange(0.0, 600.0, 60.0)
    s1 = np.broadcast_to([WGS84_A_M + 20_000 * KM, 0.0, 0.0], (sec.size, 3))
    s2 = np.broadcast_to([0.0, WGS84_A_M + 20_000 * KM, 0.0], (sec.size, 3))
    sats = np.stack([s1, s2])
    box = BoxRegion(lat_min_deg=-30, lat_max_deg=30, lon_min_deg=-120, lon_max_deg=150)
    g = equal_area_grid(5.0, box)
    res = compute_coverage(sats, sec, [ELEV10], [0, 0], ["USA", "JPN"], g, ks=[1, 2])
    usa = res.groups.index("USA")
    seen = res.min_in_view[usa, 0] >= 1
    never = res.mean_in_view[usa, 0] == 0
    assert seen.any() and never.any()
    assert np.all(res.pct_time[0, usa, 0][seen] == 100.0)
    assert np.all(res.max_gap_s[usa, 0][seen] == 0.0)
    assert np.all(res.max_gap_s[usa, 0][never] == 600.0)
    assert np.all(res.mean_gap_s[usa, 0][never] == 600.0)

    cells = res.cells_table()
    n_region = int(g.mask.sum())
    assert cells.num_rows == 3 * n_region
    assert {
        "group",
        "altitude_m",
        "lat_deg",
        "lon_deg",
        "area_m2",
        "pct_time_k1",
        "pct_time_k2",
        "max_gap_s",
        "mean_gap_s",
        "mean_in_view",
        "min_in_view",
    } <= set(cells.column_names)
    summary = res.summary_table().to_pylist()
    by = {row["group"]: row for row in summary}
    w = g.area_sr[g.mask] / g.area_sr[g.mask].sum()
    for name in ("USA", "JPN", JOINT):
        gi = res.groups.index(name)
        assert by[name]["pct_time_k1"] == pytest.approx(float(res.pct_time[0, gi, 0][g.mask] @ w))
        assert by[name]["max_gap_s"] == res.max_gap_s[gi, 0][g.mask].max()
    best = max(by["USA"]["pct_time_k1"], by["JPN"]["pct_time_k1"])
    assert by[JOINT]["gain_pct_time_k1"] == pytest.approx(by[JOINT]["pct_time_k1"] - best)
    assert by["USA"]["gain_pct_time_k1"] is None
    assert by[JOINT]["pct_time_k1"] > best


def test_input_errors() -> None:
    """Reference: bad inputs raise ValueError naming the problem."""
    g = equal_area_grid(10.0)
    sec = np.array([0.0, 60.0])
    low = np.broadcast_to([WGS84_A_M + 10 * KM, 0.0, 0.0], (1, 2, 3))
    c = VisibilityConstraints(grazing_altitude_m=20 * KM)
    with pytest.raises(ValueError, match="above its grazing altitude"):
        compute_coverage(low, sec, [c], [0], ["USA"], g)
    ok = np.broadcast_to([WGS84_A_M + 900 * KM, 0.0, 0.0], (1, 2, 3))
    with pytest.raises(ValueError, match="strictly increasing"):
        compute_coverage(ok, np.array([60.0, 0.0]), [c], [0], ["USA"], g)
    with pytest.raises(ValueError, match="constraint_index"):
        compute_coverage(ok, sec, [c], [1], ["USA"], g)
    with pytest.raises(ValueError, match="shape"):
        compute_coverage(ok[0], sec, [c], [0], ["USA"], g)


def test_result_type() -> None:
    """Reference: shapes stated in the CoverageResult docstring, for 2 altitudes and 2 ks."""
    sec = np.arange(0.0, 300.0, 60.0)
    sats = walker_delta_ecef(4, 2, 1, 1000 * KM, 60.0, sec)
    g = equal_area_grid(10.0)
    res = compute_coverage(sats, sec, [ELEV10], [0] * 4, ["USA"] * 4, g, [0.0, 50 * KM])
    assert isinstance(res, CoverageResult)
    assert res.pct_time.shape == (2, 2, 2, g.n_cells)
    assert res.max_gap_s.shape == (2, 2, g.n_cells)
    # One owner: joint equals it.
    np.testing.assert_array_equal(res.pct_time[:, 0], res.pct_time[:, 1])


def test_near_nadir_cell_on_an_unseen_row_is_not_counted() -> None:
    """Regression: a cell centre within a metre of the sub-satellite longitude, on a row
    inside the footprint's latitude reach but not seen, was once counted as surely visible.
    Reference: the exact all-pairs `visible()` test at one instant, 1 deg grid, satellite at
    1,000 km over latitude 0.25 deg on the longitude of a row-68 cell centre, elevation >= 10
    deg. Tolerance: counts equal cell by cell."""
    grid = equal_area_grid(1.0)
    cell = int(grid.row_first[68])
    sat = _geodetic(0.25 * DEG, float(grid.lon[cell]), 1000 * KM)
    res = compute_coverage(sat[None, None, :], np.array([0.0]), [ELEV10], [0], ["USA"], grid)
    expected = visible(sat[None, :], grid.positions(0.0), ELEV10).astype(int)
    np.testing.assert_array_equal(res.min_in_view[0, 0], expected)
