"""Coverage figures of merit of a constellation over a grid, by owner and joint.

The kernel
----------
Per time step and target altitude, each satellite's visible set on a grid row (a circle of
constant geodetic latitude) is found in closed form, so the cost grows with the
satellite-row pairs near footprints and the cells, not with satellites x cells:

1. Rows are culled to the footprint's latitude reach, a spherical bound on the Earth-central
   angle of any visible cell (:mod:`tracklayer.sensors.geometry` closed forms, widened by
   the geodetic-geocentric angle and the occlusion scaling so it never cuts a visible cell).
2. On a kept row every exact constraint of :func:`~tracklayer.sensors.geometry.visible`
   depends on a cell's longitude only through ``q = s_x cos(lon) + s_y sin(lon)``: range and
   geocentric nadir angle through ``s . t``, geodetic elevation through ``(s - t) . up``
   and ``|s - t|`` (a quadratic), occlusion through the scaled ``s' . t'``. Each is
   monotonic in q, so the visible cells are one or two runs of consecutive cells in
   ``|lon - lon_s|`` (two when a minimum range cuts a hole or a field of regard sees the
   far side of the target shell). This is exact on the WGS84 ellipsoid: no spherical
   approximation remains.
3. Runs are added as +1/-1 into a per-owner difference array and summed once per step.
   Cells within 1e-7 rad of a run's end (rounding ties) get the exact ``visible`` test, so
   the result equals the brute-force all-pairs test (checked in the tests).

Cost per step: O(satellites x rows crossed + cells), streamed over time with running
statistics, so memory does not grow with the number of steps. Steps go in blocks (up to
64, or 32 MiB of counts) through compiled kernels (numba, :mod:`._coverage_kernels`): the
per-pair work is a few dozen scalar operations, where numpy's per-array overhead dominated
(the numpy version took about 5x the CPU time). The cores share each block's steps, then
its cells. Coverage needs satellites above the grazing shell and the targets, and minimum
elevations >= 0 (where geodetic elevation is monotonic along a row).

Time and gaps
-------------
Sample i at ``seconds[i]`` stands for the interval up to the next sample (the last one up to
``end_s``); percent of time is the covered intervals' share of the span. A *gap* is a maximal
run of samples with no satellite in view (k = 1); its length is the sum of its intervals.
Gaps touching either end of the span count as gaps, cut at the span's ends (we do not know
what happened outside it). A cell never covered has one gap, the whole span; a cell always
covered has no gap, and its maximum and mean gap are 0.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray

from tracklayer.constants import DEG, WGS84_A_M
from tracklayer.metrics import _coverage_kernels as kern
from tracklayer.metrics.grid import CoverageGrid, geodetic_to_ecef
from tracklayer.sensors.geometry import (
    VisibilityConstraints,
    elevation_central_angle,
    occlusion_central_angle,
    range_central_angle,
)
from tracklayer.vocabulary import JOINT

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Label of the alliance-wide result (all satellites together).
# Memory for one block of steps' counts, bytes: blocks amortize the calls and give the
# threads whole steps to share.
_BLOCK_BYTES = 32 * 2**20
_MAX_BLOCK = 64


@dataclass(frozen=True)
class CoverageResult:
    """Coverage figures of merit per group, altitude and cell.

    Arrays are indexed ``[group, altitude, cell]`` with groups ``groups`` (owners, then
    ``"joint"``), altitudes ``altitudes_m`` and all cells of ``grid`` (tables keep the
    region's cells, ``grid.mask``).

    Attributes
    ----------
    pct_time
        Percent of the span covered by at least ``ks[j]`` satellites, shape ``(K, G, A, n)``.
    max_gap_s, mean_gap_s
        Longest and mean gap with no satellite in view, s, shape ``(G, A, n)``.
    mean_in_view, min_in_view
        Time-mean and minimum number of satellites in view, shape ``(G, A, n)``.
    span_s
        Length of the span, s.
    """

    grid: CoverageGrid
    groups: list[str]
    altitudes_m: FloatArray
    ks: list[int]
    span_s: float
    pct_time: FloatArray
    max_gap_s: FloatArray
    mean_gap_s: FloatArray
    mean_in_view: FloatArray
    min_in_view: NDArray[np.int64]

    def cells_table(self) -> pa.Table:
        """Per-cell figures of merit of the region's cells, one row per group, altitude, cell.

        Columns: ``group``, ``altitude_m``, ``cell``, ``lat_deg``, ``lon_deg``, ``area_m2``,
        ``pct_time_k{k}`` for each k, ``max_gap_s``, ``mean_gap_s``, ``mean_in_view``,
        ``min_in_view``.
        """
        g = self.grid
        cells = np.flatnonzero(g.mask)
        n_g, n_a, n_c = len(self.groups), self.altitudes_m.size, cells.size
        shape = (n_g, n_a, n_c)
        cols: dict[str, pa.Array] = {
            "group": pa.array(np.repeat(np.asarray(self.groups, dtype=object), n_a * n_c)),
            "altitude_m": pa.array(np.broadcast_to(self.altitudes_m[None, :, None], shape).ravel()),
            "cell": pa.array(np.broadcast_to(cells, shape).ravel()),
            "lat_deg": pa.array(np.broadcast_to(g.lat[cells] / DEG, shape).ravel()),
            "lon_deg": pa.array(np.broadcast_to(g.lon[cells] / DEG, shape).ravel()),
            "area_m2": pa.array(np.broadcast_to(g.area_m2[cells], shape).ravel()),
        }
        for j, k in enumerate(self.ks):
            cols[f"pct_time_k{k}"] = pa.array(self.pct_time[j][..., cells].ravel())
        cols["max_gap_s"] = pa.array(self.max_gap_s[..., cells].ravel())
        cols["mean_gap_s"] = pa.array(self.mean_gap_s[..., cells].ravel())
        cols["mean_in_view"] = pa.array(self.mean_in_view[..., cells].ravel())
        cols["min_in_view"] = pa.array(self.min_in_view[..., cells].ravel())
        return pa.table(cols)

    def summary_table(self) -> pa.Table:
        """Area-weighted summaries over the region, one row per group and altitude.

        Columns: ``group``, ``altitude_m``, ``n_cells``, ``area_m2`` (region),
        ``pct_time_k{k}`` (area-weighted mean of the cells' percent time),
        ``pct_area_continuous_k{k}`` (percent of the area covered by >= k all the time),
        ``max_gap_s`` (worst cell), ``mean_max_gap_s`` and ``mean_gap_s`` (area-weighted
        means), ``mean_in_view`` (area-weighted), ``min_in_view`` (worst cell), and for the
        joint rows ``gain_pct_time_k{k}``: joint minus the best single owner, percentage
        points (null on owner rows).
        """
        g = self.grid
        cells = np.flatnonzero(g.mask)
        w = g.area_sr[cells] / g.area_sr[cells].sum()
        area = float(g.area_m2[cells].sum())
        n_g, n_a = len(self.groups), self.altitudes_m.size
        rows: dict[str, list[object]] = {
            "group": [grp for grp in self.groups for _ in range(n_a)],
            "altitude_m": [float(a) for _ in range(n_g) for a in self.altitudes_m],
            "n_cells": [int(cells.size)] * (n_g * n_a),
            "area_m2": [area] * (n_g * n_a),
        }
        owners = [i for i, grp in enumerate(self.groups) if grp != JOINT]
        for j, k in enumerate(self.ks):
            pct = self.pct_time[j][..., cells] @ w
            full = (self.pct_time[j][..., cells] >= 100.0 - 1e-9) @ w * 100.0
            rows[f"pct_time_k{k}"] = pct.ravel().tolist()
            rows[f"pct_area_continuous_k{k}"] = full.ravel().tolist()
            best = pct[owners].max(axis=0) if owners else np.full(n_a, np.nan)
            gain: list[object] = []
            for i, grp in enumerate(self.groups):
                gain += (pct[i] - best).tolist() if grp == JOINT else [None] * n_a
            rows[f"gain_pct_time_k{k}"] = gain
        rows["max_gap_s"] = self.max_gap_s[..., cells].max(axis=-1).ravel().tolist()
        rows["mean_max_gap_s"] = (self.max_gap_s[..., cells] @ w).ravel().tolist()
        rows["mean_gap_s"] = (self.mean_gap_s[..., cells] @ w).ravel().tolist()
        rows["mean_in_view"] = (self.mean_in_view[..., cells] @ w).ravel().tolist()
        rows["min_in_view"] = self.min_in_view[..., cells].min(axis=-1).ravel().tolist()
        return pa.table(rows)


@dataclass(frozen=True)
class _Params:
    """Per-satellite constraint parameters as arrays (SI), and which kinds occur at all."""

    k: FloatArray
    shell: FloatArray
    nadir: FloatArray  # cone half angle, pi = none
    limb: FloatArray  # above-limb margin, nan = none
    min_r: FloatArray
    max_r: FloatArray
    e_min: FloatArray  # nan = none
    sin_e: FloatArray  # -2 = none
    any_e: bool
    any_cone: bool
    any_max_r: bool
    any_min_r: bool
    # Geodetic elevation >= 0 over the hard Earth (g = 0) already implies a clear line: the
    # ellipsoid is convex and lies below every target's tangent plane.
    skip_occlusion: bool

    def table(self) -> FloatArray:
        """The arrays as columns of one ``(N, 8)`` array, in the kernels' ``P_*`` order."""
        cols = (self.k, self.shell, self.nadir, self.limb, self.min_r, self.max_r)
        return np.ascontiguousarray(np.stack([*cols, self.e_min, self.sin_e], axis=1))


def _params(constraints: Sequence[VisibilityConstraints], index: IntArray) -> _Params:
    def arr(f: Callable[[VisibilityConstraints], float]) -> FloatArray:
        return np.asarray([f(c) for c in constraints], dtype=np.float64)[index]

    e = arr(lambda c: math.nan if c.min_elevation_rad is None else c.min_elevation_rad)
    nadir = arr(lambda c: math.pi if c.nadir_half_angle_rad is None else c.nadir_half_angle_rad)
    limb = arr(lambda c: math.nan if c.above_limb_rad is None else c.above_limb_rad)
    min_r = arr(lambda c: c.min_range_m)
    max_r = arr(lambda c: c.max_range_m)
    return _Params(
        k=arr(lambda c: c.occlusion_scale),
        shell=arr(lambda c: c.occlusion_radius_m),
        nadir=nadir,
        limb=limb,
        min_r=min_r,
        max_r=max_r,
        e_min=e,
        sin_e=np.where(np.isnan(e), -2.0, np.sin(np.nan_to_num(e))),
        any_e=bool(np.any(~np.isnan(e))),
        any_cone=bool(np.any(nadir < math.pi) or np.any(~np.isnan(limb))),
        any_max_r=bool(np.any(np.isfinite(max_r))),
        any_min_r=bool(np.any(min_r > 0.0)),
        skip_occlusion=bool(
            np.all(np.nan_to_num(e, nan=-1.0) >= 0.0)
            and all(c.grazing_altitude_m == 0.0 for c in constraints)
        ),
    )


@dataclass(frozen=True)
class _Rows:
    """Target geometry of each grid row at one altitude."""

    psi: FloatArray  # geocentric latitude of the row's cells, rad
    rt: FloatArray  # geocentric distance, m
    rho: FloatArray  # distance from the z axis, m
    z: FloatArray  # z, m
    tau: FloatArray  # angle between geodetic up and the radial direction, rad
    cos_lat: FloatArray  # of the geodetic latitude
    sin_lat: FloatArray

    def table(self, grid: CoverageGrid) -> FloatArray:
        """Columns ``rho, z, cos_lat, sin_lat, rt^2, cells per rad``, shape ``(R, 6)`` (the
        kernels' ``R_*``)."""
        rt2 = self.rho * self.rho + self.z * self.z
        scale = grid.row_count / (2.0 * math.pi)
        cols = [self.rho, self.z, self.cos_lat, self.sin_lat, rt2, scale]
        return np.ascontiguousarray(np.stack(cols, axis=1))


def _rows(grid: CoverageGrid, altitude_m: float) -> _Rows:
    p = geodetic_to_ecef(grid.row_lat, np.zeros_like(grid.row_lat), altitude_m)
    rho, z = p[:, 0], p[:, 2]
    psi = np.arctan2(z, rho)
    return _Rows(
        psi=psi,
        rt=np.hypot(rho, z),
        rho=rho,
        z=z,
        tau=np.abs(grid.row_lat - psi),
        cos_lat=np.cos(grid.row_lat),
        sin_lat=np.sin(grid.row_lat),
    )


@dataclass(frozen=True)
class _Reach:
    """Per-satellite extremes over an altitude's rows, for the footprint's latitude reach."""

    rt_min: float
    rt_max: float
    tau_max: float
    rtk_min: FloatArray  # scaled target radius extremes, per satellite
    rtk_max: FloatArray


def _reach_data(rows: _Rows, p: _Params) -> _Reach:
    rtk = np.hypot(rows.rho[None, :], p.k[:, None] * rows.z[None, :])
    return _Reach(
        rt_min=float(rows.rt.min()),
        rt_max=float(rows.rt.max()),
        tau_max=float(rows.tau.max()),
        rtk_min=rtk.min(axis=1),
        rtk_max=rtk.max(axis=1),
    )


def _reach(rs: FloatArray, rs_k: FloatArray, p: _Params, q: _Reach) -> FloatArray:
    """An upper bound on the maybe-radius ``m_hi`` over all rows, per satellite, rad."""
    # Occlusion angle falls then rises with the target radius: its maximum is at an end.
    bound = np.full(rs.shape, np.pi)
    if not p.skip_occlusion:
        bound = p.k * np.maximum(
            occlusion_central_angle(rs_k, q.rtk_min, p.shell),
            occlusion_central_angle(rs_k, q.rtk_max, p.shell),
        )
    if p.any_e:
        e = np.nan_to_num(p.e_min, nan=-np.pi / 2) - q.tau_max
        bound = np.minimum(bound, elevation_central_angle(rs, q.rt_min, e))
    if p.any_max_r:
        # cos(lambda) at the range limit is convex in rt, least at sqrt(rs^2 - rho^2).
        r_mid = np.clip(np.sqrt(np.maximum(rs * rs - p.max_r**2, 0.0)), q.rt_min, q.rt_max)
        rng = np.maximum.reduce(
            [range_central_angle(rs, rt, p.max_r) for rt in (q.rt_min, q.rt_max, r_mid)]
        )
        bound = np.minimum(bound, rng)
    return np.asarray(bound + 10.0 * kern.EPS, dtype=np.float64)


def _row_spans(s: FloatArray, p: _Params, rows: _Rows, q: _Reach) -> tuple[IntArray, IntArray]:
    """Rows ``r0 <= row < r1`` within each satellite's footprint reach, shape ``s.shape[:-1]``.

    Every cell of a row lies at least ``|psi_row - psi_sat|`` from the sub-satellite point.
    Satellites with non-finite positions (out of service) get no rows.
    """
    x, y, z = s[..., 0], s[..., 1], s[..., 2]
    with np.errstate(invalid="ignore"):
        rho_s = np.hypot(x, y)
        reach = _reach(np.hypot(rho_s, z), np.hypot(rho_s, p.k * z), p, q)
        psi_s = np.arctan2(z, rho_s)
        r0 = np.searchsorted(rows.psi, psi_s - reach, side="left")
        r1 = np.searchsorted(rows.psi, psi_s + reach, side="right")
    ok = np.isfinite(reach) & np.isfinite(psi_s)
    return r0.astype(np.int64), np.where(ok, r1, r0).astype(np.int64)


def _n_threads() -> int:
    """Threads for the kernels: the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def _in_threads(
    pool: ThreadPoolExecutor, n_threads: int, kernel: Callable[..., None], n_items: int, *args: Any
) -> None:
    """Run ``kernel(*args, lo, hi)`` over contiguous parts of ``range(n_items)``, one per
    thread (the kernels release the GIL and write disjoint parts of their outputs)."""
    n_parts = max(1, min(n_threads, n_items))
    if n_parts == 1:
        kernel(*args, 0, n_items)
        return
    bounds = np.linspace(0, n_items, n_parts + 1).astype(np.int64)
    jobs = [pool.submit(kernel, *args, int(lo), int(hi)) for lo, hi in itertools.pairwise(bounds)]
    for job in jobs:
        job.result()


def compute_coverage(
    sat_r_ecef: ArrayLike,
    seconds: ArrayLike,
    constraints: Sequence[VisibilityConstraints],
    constraint_index: ArrayLike,
    groups: ArrayLike,
    grid: CoverageGrid,
    altitudes_m: ArrayLike = (0.0,),
    ks: Sequence[int] = (1, 2),
    progress: Callable[[int, int], None] | None = None,
    end_s: float | None = None,
) -> CoverageResult:
    """Coverage figures of merit of satellites over a grid, per owner and joint.

    Parameters
    ----------
    sat_r_ecef
        Satellite ECEF positions, m, shape ``(N, T, 3)``; NaN rows (propagation failures)
        count as satellites out of service at that time.
    seconds
        Sample times, s since the epoch, shape ``(T,)``, strictly increasing.
    constraints
        The distinct constraint sets (one per payload type).
    constraint_index
        Index into ``constraints`` of each satellite, shape ``(N,)``.
    groups
        Group label (owner code) of each satellite, shape ``(N,)``.
    grid
        The cells (see :func:`tracklayer.metrics.grid.equal_area_grid`).
    altitudes_m
        Target altitudes above the ellipsoid, m.
    ks
        Multiplicities for the percent-time-covered figures.
    progress
        Called as ``progress(done, total)`` after each step (total = T x altitudes).
    end_s
        End of the span, s (default: one median step after the last sample).

    Returns
    -------
    result
        Figures of merit for each group alone (sorted labels) and for all together
        (``"joint"``, the sum of the groups' counts).
    """
    r, t, idx, labels = _checked_arrays(sat_r_ecef, seconds, constraint_index, groups, constraints)
    names, group = np.unique(labels, return_inverse=True)
    group = group.astype(np.int64)
    alts = np.atleast_1d(np.asarray(altitudes_m, dtype=np.float64))
    k_list = sorted({int(k) for k in ks})
    if not k_list or k_list[0] < 1:
        raise ValueError(f"ks must be integers >= 1, got {list(ks)}")
    if end_s is None:
        end_s = float(t[-1] + (np.median(np.diff(t)) if t.size > 1 else 1.0))
    if end_s <= t[-1]:
        raise ValueError(f"end_s ({end_s}) must be after the last sample ({t[-1]})")
    w = np.diff(np.append(t, end_s))
    span = float(end_s - t[0])
    p = _params(constraints, idx)
    _check_heights(r, p, alts)
    stats = _stream(r, t, w, group, names.size + 1, p, grid, alts, k_list, progress)
    return _result(grid, names, alts, k_list, span, *stats)


def _checked_arrays(
    sat_r_ecef: ArrayLike,
    seconds: ArrayLike,
    constraint_index: ArrayLike,
    groups: ArrayLike,
    constraints: Sequence[VisibilityConstraints],
) -> tuple[FloatArray, FloatArray, IntArray, NDArray[Any]]:
    """:func:`compute_coverage`'s array arguments as arrays, their shapes checked."""
    r = np.asarray(sat_r_ecef, dtype=np.float64)
    t = np.asarray(seconds, dtype=np.float64)
    if r.ndim != 3 or r.shape[2] != 3:
        raise ValueError(f"sat_r_ecef must have shape (N, T, 3), got {r.shape}")
    if t.shape != (r.shape[1],):
        raise ValueError(f"seconds must have shape ({r.shape[1]},), got {t.shape}")
    if t.size == 0 or np.any(np.diff(t) <= 0):
        raise ValueError("seconds must be non-empty and strictly increasing")
    idx = np.asarray(constraint_index, dtype=np.int64)
    if idx.shape != (r.shape[0],) or (
        idx.size and (idx.min() < 0 or idx.max() >= len(constraints))
    ):
        raise ValueError("constraint_index must give each satellite a valid constraint set")
    labels = np.asarray(groups)
    if labels.shape != (r.shape[0],):
        raise ValueError(f"groups must have shape ({r.shape[0]},), got {labels.shape}")
    return r, t, idx, labels


def _check_heights(r: FloatArray, p: _Params, alts: FloatArray) -> None:
    """Every satellite above its grazing altitude and the highest target; elevations >= 0."""
    rs_all = np.linalg.norm(r, axis=2)
    rk_all = np.hypot(np.hypot(r[..., 0], r[..., 1]), p.k[:, None] * r[..., 2])
    finite = np.isfinite(rs_all)
    if np.any(rk_all[finite] <= np.broadcast_to(p.shell[:, None], rk_all.shape)[finite]):
        raise ValueError("every satellite must stay above its grazing altitude")
    if np.any(np.nan_to_num(p.e_min) < 0.0):
        raise ValueError("coverage needs minimum elevations >= 0")
    if np.any(rs_all[finite] <= WGS84_A_M + alts.max()):
        raise ValueError("every satellite must stay above the highest target altitude")


def _stream(
    r: FloatArray,
    t: FloatArray,
    w: FloatArray,
    group: IntArray,
    n_g: int,
    p: _Params,
    grid: CoverageGrid,
    alts: FloatArray,
    k_list: list[int],
    progress: Callable[[int, int], None] | None,
) -> tuple[NDArray[Any], ...]:
    """Stream the time steps through the kernels in blocks; the running statistics,
    each ``[altitude, (k,) group, cell]``: covered time, sum and minimum in view, longest,
    summed and counted gaps, and the gap still open at the end."""
    n_a, n_c, n_t = alts.size, grid.n_cells, t.size
    # Stored [altitude, (k,) group, cell] while streaming.
    cov = np.zeros((n_a, len(k_list), n_g, n_c))
    sum_view = np.zeros((n_a, n_g, n_c))
    min_view = np.full((n_a, n_g, n_c), np.iinfo(np.int64).max, dtype=np.int64)
    run = np.zeros((n_a, n_g, n_c))
    max_gap = np.zeros((n_a, n_g, n_c))
    sum_gap = np.zeros((n_a, n_g, n_c))
    n_gap = np.zeros((n_a, n_g, n_c), dtype=np.int64)
    row_geom = [_rows(grid, float(h)) for h in alts]
    row_table = [rg.table(grid) for rg in row_geom]
    reach = [_reach_data(rg, p) for rg in row_geom]
    cell_pos = [np.ascontiguousarray(grid.positions(float(h))) for h in alts]
    up = np.ascontiguousarray(grid.up())
    sat_par = p.table()
    flags = (not p.skip_occlusion, p.any_e, p.any_cone, p.any_max_r, p.any_min_r)
    ks_arr = np.asarray(k_list, dtype=np.int64)
    n_block = int(np.clip(_BLOCK_BYTES // (4 * n_g * (n_c + 1)), 1, _MAX_BLOCK))
    counts = np.empty((min(n_block, n_t), n_g, n_c + 1), dtype=np.int32)
    n_chunks = -(-n_c // kern.CHUNK)
    # The kernels' arguments per altitude: the targets' geometry, the running statistics.
    targets = [
        (row_table[ia], grid.row_first, grid.row_count, grid.row_lon0, cell_pos[ia], up)
        for ia in range(n_a)
    ]
    state = [
        (cov[ia], sum_view[ia], min_view[ia], run[ia], max_gap[ia], sum_gap[ia], n_gap[ia])
        for ia in range(n_a)
    ]
    done = 0
    n_threads = max(1, _n_threads())
    with ThreadPoolExecutor(n_threads) as pool:
        for t0 in range(0, n_t, n_block):
            t1 = min(n_t, t0 + n_block)
            s_blk = np.ascontiguousarray(np.swapaxes(r[:, t0:t1], 0, 1))  # (steps, N, 3)
            for ia in range(n_a):
                r0, r1 = _row_spans(s_blk, p, row_geom[ia], reach[ia])
                _in_threads(
                    pool, n_threads, kern.block_counts, t1 - t0,
                    s_blk, r0, r1, group, sat_par, *targets[ia], *flags, counts,
                )  # fmt: skip
                _in_threads(
                    pool, n_threads, kern.accumulate_stats, n_chunks,
                    counts, t1 - t0, w[t0:t1], ks_arr, *state[ia],
                )  # fmt: skip
                for _ in range(t0, t1):
                    done += 1
                    if progress is not None:
                        progress(done, n_t * n_a)
    return cov, sum_view, min_view, max_gap, sum_gap, n_gap, run


def _result(
    grid: CoverageGrid,
    names: NDArray[Any],
    alts: FloatArray,
    k_list: list[int],
    span: float,
    cov: NDArray[Any],
    sum_view: NDArray[Any],
    min_view: NDArray[Any],
    max_gap: NDArray[Any],
    sum_gap: NDArray[Any],
    n_gap: NDArray[Any],
    run: NDArray[Any],
) -> CoverageResult:
    """The figures of merit from the streamed statistics (see :func:`_stream`)."""
    # Gaps still open at the end of the span are cut there.
    open_ = run > 0.0
    np.maximum(max_gap, run, out=max_gap)
    sum_gap += run
    n_gap += open_
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_gap = np.where(n_gap > 0, sum_gap / n_gap, 0.0)

    def ga(a: NDArray[Any]) -> NDArray[Any]:
        # Stored [altitude, group, cell] while streaming; reported [group, altitude, cell].
        return np.swapaxes(a, -3, -2)

    return CoverageResult(
        grid=grid,
        groups=[*(str(x) for x in names), JOINT],
        altitudes_m=alts,
        ks=k_list,
        span_s=span,
        pct_time=np.asarray(np.transpose(cov, (1, 2, 0, 3)) / span * 100.0, dtype=np.float64),
        max_gap_s=np.asarray(ga(max_gap), dtype=np.float64),
        mean_gap_s=np.asarray(ga(mean_gap), dtype=np.float64),
        mean_in_view=np.asarray(ga(sum_view) / span, dtype=np.float64),
        min_in_view=np.asarray(ga(min_view), dtype=np.int64),
    )
