"""Coverage figures of merit: tracklayer's kernel against the way a user writes them.

The case of issue 2: 1,000 satellites (Walker delta 1000/20/1 at 1,000 km, 80 deg), a global
grid of about 1 deg (41,252 equal-area cells), 24 h at 60 s steps, k = 1 and 2, minimum
elevation 10 deg, two owners (600 + 400 satellites) and joint.

Satellite ECEF positions come from Skyfield (``EarthSatellite`` built from the Walker mean
elements through ``sgp4init``, ``frame_xyz(itrs)``) and are computed before any timing:
both sides get the same positions.

1. tracklayer ``compute_coverage`` on the full case (timed once, the progress bar off),
   after one tiny call that compiles its numba kernels or loads them from the cache (timed
   apart: a one-time cost per installation).
2. The user's way, on a subsample (``--ref-steps`` steps, ``--ref-cell-deg`` grid): cell
   positions from ``skyfield.api.wgs84.latlon``, then per time step numpy broadcasting over
   satellites x cells (elevation from the geodetic up), counts per owner, and the figures
   of merit from the stored (times, cells) counts. Its cost is per satellite-cell-time
   triple, so its full-case time is extrapolated from its measured rate.
3. tracklayer on the same subsample, to check that the figures agree.

Run: ``.venv/bin/python benchmarks/bench_coverage.py`` (``--quick`` for a 1 h smoke run).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from datetime import UTC, datetime

import numba
import numpy as np
from numpy.typing import NDArray
from sgp4.api import WGS72, Satrec
from skyfield.api import EarthSatellite, load, wgs84
from skyfield.framelib import itrs

from tracklayer.constants import DEG, KM, MU_EARTH_M3_S2, WGS84_A_M
from tracklayer.metrics.coverage import JOINT, compute_coverage
from tracklayer.metrics.grid import CoverageGrid, equal_area_grid
from tracklayer.sensors.geometry import VisibilityConstraints

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
MIN_EL = 10 * DEG


def walker_positions(
    n_sats: int, planes: int, phasing: int, alt_m: float, inc_deg: float, seconds: NDArray
) -> NDArray[np.float64]:
    """ECEF positions (N, T, 3), m, of a Walker delta pattern through Skyfield's SGP4."""
    ts = load.timescale()
    t = ts.from_datetime(EPOCH).tt + seconds / 86400.0
    times = ts.tt_jd(t)
    per_plane = n_sats // planes
    a = WGS84_A_M + alt_m
    n_rad_min = math.sqrt(MU_EARTH_M3_S2 / a**3) * 60.0
    epoch_days = (EPOCH - datetime(1949, 12, 31, tzinfo=UTC)).total_seconds() / 86400.0
    out = np.empty((n_sats, seconds.size, 3))
    for i in range(n_sats):
        p, s = divmod(i, per_plane)
        sat = Satrec()
        sat.sgp4init(
            WGS72,
            "i",
            i + 1,
            epoch_days,
            0.0,
            0.0,
            0.0,
            1e-7,
            0.0,
            inc_deg * DEG,
            2 * math.pi * (s / per_plane + phasing * p / n_sats),
            n_rad_min,
            2 * math.pi * p / planes,
        )
        es = EarthSatellite.from_satrec(sat, ts)
        out[i] = es.at(times).frame_xyz(itrs).m.T
    return out


def user_way(
    sats: NDArray[np.float64], owners: NDArray, grid: CoverageGrid, w: NDArray[np.float64]
) -> dict[str, dict[str, NDArray[np.float64]]]:
    """Figures of merit the straightforward way: broadcast satellites x cells per step."""
    cells = wgs84.latlon(grid.lat / DEG, grid.lon / DEG)
    cell_xyz = cells.itrs_xyz.m.T  # (C, 3)
    lat, lon = grid.lat, grid.lon
    up = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)
    names = [*sorted(set(owners)), JOINT]
    counts = {g: np.zeros((sats.shape[1], grid.n_cells), dtype=np.int64) for g in names}
    for it in range(sats.shape[1]):
        d = sats[:, it, None, :] - cell_xyz[None, :, :]  # (N, C, 3)
        dist = np.linalg.norm(d, axis=-1)
        sin_el = np.einsum("nci,ci->nc", d, up) / dist
        seen = sin_el >= math.sin(MIN_EL)
        for g in names[:-1]:
            counts[g][it] = seen[owners == g].sum(axis=0)
        counts[JOINT][it] = seen.sum(axis=0)
    out = {}
    span = w.sum()
    for g, cnt in counts.items():
        dark = cnt == 0
        max_gap = np.zeros(grid.n_cells)
        run = np.zeros(grid.n_cells)
        for it in range(cnt.shape[0]):
            run = np.where(dark[it], run + w[it], 0.0)
            max_gap = np.maximum(max_gap, run)
        out[g] = {
            "pct_time_k1": (w[:, None] * (cnt >= 1)).sum(0) / span * 100,
            "pct_time_k2": (w[:, None] * (cnt >= 2)).sum(0) / span * 100,
            "mean_in_view": (w[:, None] * cnt).sum(0) / span,
            "min_in_view": cnt.min(0).astype(float),
            "max_gap_s": max_gap,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sats", type=int, default=1000)
    parser.add_argument("--planes", type=int, default=20)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--step", type=float, default=60.0)
    parser.add_argument("--cell-deg", type=float, default=1.0)
    parser.add_argument("--ref-steps", type=int, default=30)
    parser.add_argument("--ref-cell-deg", type=float, default=4.0)
    parser.add_argument("--quick", action="store_true", help="1 h instead of 24 h")
    args = parser.parse_args()
    hours = 1.0 if args.quick else args.hours

    seconds = np.arange(0.0, hours * 3600.0, args.step)
    t0 = time.perf_counter()
    sats = walker_positions(args.sats, args.planes, 1, 1000 * KM, 80.0, seconds)
    t_pos = time.perf_counter() - t0
    owners = np.where(np.arange(args.sats) % 5 < 3, "USA", "JPN")
    cons = [VisibilityConstraints(min_elevation_rad=MIN_EL)]
    idx = np.zeros(args.sats, dtype=np.int64)
    grid = equal_area_grid(args.cell_deg)

    t0 = time.perf_counter()
    compute_coverage(sats[:2, :1], seconds[:1], cons, idx[:2], owners[:2], equal_area_grid(10.0))
    t_first = time.perf_counter() - t0
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    full = compute_coverage(sats, seconds, cons, idx, owners, grid, [0.0], [1, 2])
    t_ours = time.perf_counter() - t0
    load1 = os.getloadavg()[0]

    # The user's way and ours on the same subsample.
    sub_t = seconds[: args.ref_steps]
    sub_s = sats[:, : args.ref_steps]
    sub_grid = equal_area_grid(args.ref_cell_deg)
    end = sub_t[-1] + args.step
    w = np.diff(np.append(sub_t, end))
    t0 = time.perf_counter()
    ref = user_way(sub_s, owners, sub_grid, w)
    t_ref = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = compute_coverage(sub_s, sub_t, cons, idx, owners, sub_grid, [0.0], [1, 2], end_s=end)
    t_ours_sub = time.perf_counter() - t0
    worst = 0.0
    for gi, g in enumerate(ours.groups):
        mine = {
            "pct_time_k1": ours.pct_time[0, gi, 0],
            "pct_time_k2": ours.pct_time[1, gi, 0],
            "mean_in_view": ours.mean_in_view[gi, 0],
            "min_in_view": ours.min_in_view[gi, 0].astype(float),
            "max_gap_s": ours.max_gap_s[gi, 0],
        }
        for key, val in mine.items():
            worst = max(worst, float(np.abs(val - ref[g][key]).max()))

    triples_full = args.sats * seconds.size * grid.n_cells
    triples_sub = args.sats * sub_t.size * sub_grid.n_cells
    rate_ref = triples_sub / t_ref
    t_ref_full = triples_full / rate_ref
    summary = {row["group"]: row for row in full.summary_table().to_pylist()}

    print(
        f"## Coverage ({platform.python_version()}, numpy {np.__version__}, "
        f"numba {numba.__version__}, {len(os.sched_getaffinity(0))} cores)"
    )
    print(f"positions via Skyfield: {t_pos:.1f} s (not timed below)")
    print(f"first call (numba compile, or load from its cache): {t_first:.1f} s")
    print(
        f"full case: {args.sats} sats x {seconds.size} steps x {grid.n_cells} cells "
        f"= {triples_full:.3g} triples; tracklayer {t_ours:.1f} s "
        f"({t_ours / seconds.size * 1e3:.1f} ms/step; 1-min load average {load0:.1f} before, "
        f"{load1:.1f} after)"
    )
    print(
        f"user's way on {args.sats} x {sub_t.size} x {sub_grid.n_cells}: {t_ref:.2f} s "
        f"({rate_ref:.3g} triples/s) -> full case {t_ref_full:.0f} s "
        f"({t_ref_full / 3600:.2f} h); tracklayer on the subsample {t_ours_sub:.2f} s"
    )
    print(f"speed ratio (full case): {t_ref_full / t_ours:.0f}x")
    print(f"subsample agreement: largest difference over all figures = {worst:.3g}")
    for g in ours.groups:
        row = summary[g]
        print(
            f"{g}: pct_time_k1 {row['pct_time_k1']:.2f}  pct_time_k2 {row['pct_time_k2']:.2f}  "
            f"max_gap_s {row['max_gap_s']:.0f}  mean_max_gap_s {row['mean_max_gap_s']:.0f}  "
            f"mean_in_view {row['mean_in_view']:.2f}  min_in_view {row['min_in_view']}"
            + (f"  gain_k1 {row['gain_pct_time_k1']:.2f}" if g == JOINT else "")
        )


if __name__ == "__main__":
    main()
