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

Cost per step: O(satellites x rows crossed + cells), all numpy, streamed over time with
running statistics, so memory does not grow with the number of steps. Coverage needs
satellites above the grazing shell and the targets, and minimum elevations >= 0 (where
geodetic elevation is monotonic along a row).

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

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray

from tracklayer.constants import DEG, WGS84_A_M
from tracklayer.metrics.grid import CoverageGrid, geodetic_to_ecef
from tracklayer.sensors.geometry import (
    VisibilityConstraints,
    cone_central_angles,
    elevation_central_angle,
    occlusion_central_angle,
    range_central_angle,
    visible_with_params,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Label of the alliance-wide result (all satellites together).
JOINT = "joint"
# Rounding guard on longitude half-widths, rad (under a metre): cells this close to a run's
# end get the exact test.
_EPS = 1e-7


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

    def take(self, idx: IntArray | NDArray[np.bool_]) -> _Params:
        """The parameters of a subset (or a gather) of satellites."""
        return replace(self, **{f: getattr(self, f)[idx] for f in _ARRAY_FIELDS})


_ARRAY_FIELDS = ("k", "shell", "nadir", "limb", "min_r", "max_r", "e_min", "sin_e")


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


def _lon_limits(
    sx: FloatArray,
    sy: FloatArray,
    sz: FloatArray,
    rho_r: FloatArray,
    z_r: FloatArray,
    cos_lat: FloatArray,
    sin_lat: FloatArray,
    rs_k: FloatArray,
    p: _Params,
) -> tuple[FloatArray, FloatArray, FloatArray | None, FloatArray | None]:
    """Exact longitude half-widths of a satellite's visible set on a grid row.

    On a row (geodetic latitude lat, given by its cosine and sine) the cells lie at
    ``(rho_r cos t, rho_r sin t, z_r)`` with geodetic up ``(cos lat cos t, cos lat sin t,
    sin lat)``. Every constraint depends on a cell's longitude t only through
    ``q = sx cos t + sy sin t = rho_s cos(t - t_s)``, and each
    is monotonic in q (module notes), so it reduces to a threshold on q, hence on
    ``|t - t_s|``. The visible set is ``{q >= L, q <= U}`` cut by the field of regard's
    near piece ``q >= q1`` or far piece ``q <= q2``.

    Returns
    -------
    near_in, near_out, far_in, far_out
        The visible ``|dlon|`` lie in ``[near_in, near_out]`` and ``[far_in, far_out]``
        (the far piece None when no field of regard can have one), rad.
    """
    # np.hypot is several times slower than this; the values are far from overflow.
    rho_s2 = sx * sx + sy * sy
    rho_s = np.maximum(np.sqrt(rho_s2), 1e-3)
    rs2 = rho_s2 + sz * sz
    rs = np.sqrt(rs2)
    rt2 = rho_r * rho_r + z_r * z_r
    rt = np.sqrt(rt2)
    q0 = z_r * sz  # s . t = rho_r q + q0
    c_r = rs2 + rt2 - 2.0 * q0  # |s - t|^2 = c_r - 2 rho_r q
    lower = np.full(sx.shape, -np.inf)
    if not p.skip_occlusion:
        # In the space scaled along z by k the shell is a sphere: clear iff the scaled
        # central angle is at most Lambda', i.e. s'.t' = rho_r q + k^2 z_r sz >= ...
        rt_k = np.sqrt(rho_r * rho_r + (p.k * z_r) ** 2)
        lam = occlusion_central_angle(rs_k, rt_k, p.shell)
        lower = (rs_k * rt_k * np.cos(lam) - p.k * p.k * q0) / rho_r
    if p.any_e:
        # (s - t).up = cos(lat) q + e0 >= sin(e) |s - t|: the larger root of the squared
        # equation, valid where (s - t).up >= 0 (min elevation >= 0 is required).
        cl, sl = cos_lat, sin_lat
        e0 = sl * sz - (rho_r * cl + z_r * sl)
        se = np.where(np.isnan(p.e_min), 0.0, p.sin_e)
        a2 = cl * cl
        b2 = 2.0 * cl * e0 + se * se * 2.0 * rho_r
        c2 = e0 * e0 - se * se * c_r
        sq = np.sqrt(np.maximum(b2 * b2 - 4.0 * a2 * c2, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            root = np.where(b2 > 0.0, 2.0 * c2 / (-b2 - sq), (-b2 + sq) / (2.0 * a2))

        def g(q: float | FloatArray) -> FloatArray:
            return np.asarray(
                cl * q + e0 - se * np.sqrt(np.maximum(c_r - 2.0 * rho_r * q, 0.0)),
                dtype=np.float64,
            )

        q_e = np.where(g(rho_s) < 0.0, np.inf, np.where(g(-rho_s) >= 0.0, -np.inf, root))
        lower = np.maximum(lower, np.where(np.isnan(p.e_min), -np.inf, q_e))
    if p.any_max_r:
        with np.errstate(invalid="ignore"):
            lower = np.maximum(lower, (c_r - p.max_r * p.max_r) / (2.0 * rho_r))
    upper = np.full(sx.shape, np.inf)
    if p.any_min_r:
        upper = np.where(p.min_r > 0.0, (c_r - p.min_r * p.min_r) / (2.0 * rho_r), np.inf)

    def half_width(q: FloatArray) -> FloatArray:
        return np.asarray(np.arccos(np.clip(q / rho_s, -1.0, 1.0)), dtype=np.float64)

    if not p.any_cone:
        return half_width(upper), half_width(lower), None, None
    half = _for_half(rs, p)
    lam1, lam2 = cone_central_angles(rs, rt, half)
    q1 = (rs * rt * np.cos(lam1) - q0) / rho_r
    q2 = np.where(lam2 > lam1, (rs * rt * np.cos(lam2) - q0) / rho_r, -np.inf)
    return (
        half_width(upper),
        half_width(np.maximum(lower, q1)),
        half_width(np.minimum(upper, q2)),
        half_width(lower),
    )


def _cells_within(half: FloatArray, u: FloatArray, scale: FloatArray) -> tuple[IntArray, IntArray]:
    """Cells of a row with ``|lon - lon_s| <= half``: index range ``[jl, jh]``.

    ``u`` is the satellite's longitude in cell units from the row's first cell centre and
    ``scale = n / (2 pi)``; indices may run below 0 or past n-1 (they wrap). A negative
    ``half`` gives the empty range ``jl = jh + 1 = floor(u) + 1``, so ranges about one
    centre nest; ``half >= pi`` gives at least n cells (the full row).
    """
    h = np.maximum(half, 0.0) * scale
    jh = np.floor(u + h)
    jl = np.where(half < 0.0, jh + 1.0, np.ceil(u - h))
    return jl.astype(np.int64), jh.astype(np.int64)


def _ring(
    inner: tuple[IntArray, IntArray], outer: tuple[IntArray, IntArray], n: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Cells of the outer range not in the (nested) inner one: two runs ``(start, length)``."""
    jl_i, jh_i = inner
    jl_o, jh_o = outer
    cnt_i = np.clip(jh_i - jl_i + 1, 0, n)
    full_o = jh_o - jl_o + 1 >= n
    # In a full row the complement of the inner run is the one run after it.
    start1 = np.where(full_o, np.where(cnt_i > 0, jh_i + 1, 0), jl_o)
    len1 = np.where(full_o, n - cnt_i, np.maximum(jl_i - jl_o, 0))
    start2 = jh_i + 1
    len2 = np.where(full_o, 0, np.maximum(jh_o - jh_i, 0))
    return start1, len1, start2, len2


def _expand(
    start: IntArray, length: IntArray, first: IntArray, n: IntArray
) -> tuple[IntArray, IntArray]:
    """Flat cell indices of wrapped runs, and the run each index came from."""
    run = np.repeat(np.arange(length.size), length)
    offs = np.arange(run.size) - np.repeat(np.cumsum(length) - length, length)
    return first[run] + (start[run] + offs) % n[run], run


def _runs_to_diff(
    start: IntArray, length: IntArray, base: IntArray, n: IntArray
) -> tuple[IntArray, FloatArray]:
    """Positions in a difference array, and +-1 weights, adding 1 over each wrapped run.

    ``base`` is the position of each run's row start. A run that wraps past the row's end is
    split in two; every +1/-1 pair stays within ``[base, base + n]``, so one cumulative sum
    over all rows is right.
    """
    a = start % n
    end = a + length
    wr = end > n
    pos = np.concatenate(
        [base + a, base + np.minimum(end, n), base[wr], base[wr] + end[wr] - n[wr]]
    )
    one = np.ones(a.size)
    one_w = np.ones(int(wr.sum()))
    return pos, np.concatenate([one, -one, one_w, -one_w])


@dataclass(frozen=True)
class _Reach:
    """Per-satellite extremes over an altitude's rows, for the footprint's latitude reach."""

    rt_min: float
    rt_max: float
    tau_max: float
    rtk_min: FloatArray  # scaled target radius extremes, per satellite
    rtk_max: FloatArray

    def take(self, idx: NDArray[np.bool_]) -> _Reach:
        """The data of a subset of satellites."""
        return _Reach(self.rt_min, self.rt_max, self.tau_max, self.rtk_min[idx], self.rtk_max[idx])


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
    return np.asarray(bound + 10.0 * _EPS, dtype=np.float64)


def _step_counts(
    s: FloatArray,
    group: IntArray,
    n_groups: int,
    p: _Params,
    grid: CoverageGrid,
    rows: _Rows,
    reach_data: _Reach,
    cells_pos: FloatArray,
    cells_up: FloatArray,
) -> NDArray[np.int64]:
    """Satellites in view of each cell at one instant, per group, shape ``(G, n)``."""
    n_cells = grid.n_cells
    ok = np.all(np.isfinite(s), axis=1)
    if not ok.all():
        s, group, p, reach_data = s[ok], group[ok], p.take(ok), reach_data.take(ok)
    x, y, z = s[:, 0], s[:, 1], s[:, 2]
    rho_s = np.hypot(x, y)
    rs = np.hypot(rho_s, z)
    rs_k = np.hypot(rho_s, p.k * z)
    psi_s = np.arctan2(z, rho_s)
    lon_s = np.arctan2(y, x)

    # Rows within the footprint's latitude reach: every cell of a row lies at least
    # |psi_row - psi_sat| from the sub-satellite point.
    reach = _reach(rs, rs_k, p, reach_data)
    r0 = np.searchsorted(rows.psi, psi_s - reach, side="left")
    r1 = np.searchsorted(rows.psi, psi_s + reach, side="right")
    n_rows = np.maximum(r1 - r0, 0)
    sat = np.repeat(np.arange(rs.size), n_rows)
    row = np.arange(sat.size) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows) + r0[sat]

    pp = p.take(sat)
    limits = _lon_limits(
        x[sat],
        y[sat],
        z[sat],
        rows.rho[row],
        rows.z[row],
        rows.cos_lat[row],
        rows.sin_lat[row],
        rs_k[sat],
        pp,
    )
    n = grid.row_count[row]
    first = grid.row_first[row]
    scale = n / (2.0 * math.pi)
    u = (lon_s[sat] - grid.row_lon0[row]) % (2.0 * math.pi) * scale - 0.5

    # Each visible piece [h_in, h_out] of |dlon| gives a sure range [h_in + eps, h_out - eps]
    # and a maybe range [h_in - eps, h_out + eps]; all eight ends are kept in increasing
    # order so the rings they bound never overlap. Cells between sure and maybe (within
    # eps of an edge, i.e. rounding ties) get the exact test.
    ends: list[FloatArray] = []
    for h in limits:
        if h is not None:
            ends += [h - _EPS, h + _EPS]
    chain = np.maximum.accumulate(np.stack(ends), axis=0)
    caps = [_cells_within(h, u, scale) for h in chain]
    empty = _cells_within(np.full(u.shape, -1.0), u, scale)
    runs: list[tuple[IntArray, IntArray]] = []
    bands: list[tuple[IntArray, IntArray]] = []
    for i in range(0, len(caps), 4):
        m_in, s_in, s_out, m_out = caps[i : i + 4]
        inner_m = empty if i == 0 and not p.any_min_r else m_in
        inner_s = empty if i == 0 and not p.any_min_r else s_in
        a1, l1, a2, l2 = _ring(inner_s, s_out, n)
        runs += [(a1, l1), (a2, l2)]
        for ring in (_ring(s_out, m_out, n), _ring(inner_m, inner_s, n)):
            bands += [(ring[0], ring[1]), (ring[2], ring[3])]

    # Sure set: +-1 into a per-group difference array, one cumulative sum for all rows.
    base = group[sat] * (n_cells + 1) + first
    pos_parts, wt_parts = [], []
    for st, ln in runs:
        keep = ln > 0
        pos_, wt_ = _runs_to_diff(st[keep], ln[keep], base[keep], n[keep])
        pos_parts.append(pos_)
        wt_parts.append(wt_)
    diff = np.bincount(
        np.concatenate(pos_parts),
        weights=np.concatenate(wt_parts),
        minlength=n_groups * (n_cells + 1),
    )
    counts = np.cumsum(diff.reshape(n_groups, n_cells + 1), axis=1)[:, :n_cells]
    counts_i = np.rint(counts).astype(np.int64)

    # The thin bands between the sure and maybe sets get the exact test.
    b_start = np.concatenate([st for st, _ in bands])
    b_len = np.concatenate([ln for _, ln in bands])
    b_pair = np.tile(np.arange(sat.size), len(bands))
    keep = b_len > 0
    b_pair = b_pair[keep]
    cell, run = _expand(b_start[keep], b_len[keep], first[b_pair], n[b_pair])
    if cell.size:
        bs = sat[b_pair[run]]
        hit = visible_with_params(
            s[bs],
            cells_pos[cell],
            cells_up[cell] if p.any_e else None,
            k=p.k[bs],
            radius=p.shell[bs],
            cos_for=np.cos(_for_half(rs[bs], p.take(bs))) if p.any_cone else -2.0,
            min_range=p.min_r[bs] if p.any_min_r else 0.0,
            max_range=p.max_r[bs] if p.any_max_r else np.inf,
            sin_min_el=p.sin_e[bs] if p.any_e else -2.0,
            check_occlusion=not p.skip_occlusion,
        )
        counts_i += np.bincount(
            group[bs][hit] * n_cells + cell[hit], minlength=n_groups * n_cells
        ).reshape(n_groups, n_cells)
    return counts_i


def _for_half(rs: FloatArray, p: _Params) -> FloatArray:
    limb = np.arcsin(np.minimum(1.0, WGS84_A_M / rs)) + np.nan_to_num(p.limb, nan=np.pi)
    return np.asarray(np.clip(np.minimum(p.nadir, limb), 0.0, math.pi), dtype=np.float64)


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
    rs_all = np.linalg.norm(r, axis=2)
    rk_all = np.hypot(np.hypot(r[..., 0], r[..., 1]), p.k[:, None] * r[..., 2])
    finite = np.isfinite(rs_all)
    if np.any(rk_all[finite] <= np.broadcast_to(p.shell[:, None], rk_all.shape)[finite]):
        raise ValueError("every satellite must stay above its grazing altitude")
    if np.any(np.nan_to_num(p.e_min) < 0.0):
        raise ValueError("coverage needs minimum elevations >= 0")
    if np.any(rs_all[finite] <= WGS84_A_M + alts.max()):
        raise ValueError("every satellite must stay above the highest target altitude")

    n_g, n_a, n_c, n_t = names.size + 1, alts.size, grid.n_cells, t.size
    cov = np.zeros((len(k_list), n_a, n_g, n_c))
    sum_view = np.zeros((n_a, n_g, n_c))
    min_view = np.full((n_a, n_g, n_c), np.iinfo(np.int64).max, dtype=np.int64)
    run = np.zeros((n_a, n_g, n_c))
    max_gap = np.zeros((n_a, n_g, n_c))
    sum_gap = np.zeros((n_a, n_g, n_c))
    n_gap = np.zeros((n_a, n_g, n_c), dtype=np.int64)
    row_geom = [_rows(grid, float(h)) for h in alts]
    reach = [_reach_data(rg, p) for rg in row_geom]
    cell_pos = [grid.positions(float(h)) for h in alts]
    up = grid.up()
    done = 0
    for it in range(n_t):
        for ia in range(n_a):
            per = _step_counts(
                r[:, it, :], group, n_g - 1, p, grid, row_geom[ia], reach[ia], cell_pos[ia], up
            )
            cnt = np.concatenate([per, per.sum(axis=0, keepdims=True)], axis=0)
            for j, k in enumerate(k_list):
                np.add(cov[j, ia], w[it], out=cov[j, ia], where=cnt >= k)
            sum_view[ia] += w[it] * cnt
            np.minimum(min_view[ia], cnt, out=min_view[ia])
            dark = cnt == 0
            # Length of each gap that ends at this sample (0 where none ends).
            ended = np.where(dark, 0.0, run[ia])
            np.maximum(max_gap[ia], ended, out=max_gap[ia])
            sum_gap[ia] += ended
            n_gap[ia] += ended > 0.0
            run[ia] += w[it]
            run[ia][~dark] = 0.0
            done += 1
            if progress is not None:
                progress(done, n_t * n_a)
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
        pct_time=np.asarray(ga(cov) / span * 100.0, dtype=np.float64),
        max_gap_s=np.asarray(ga(max_gap), dtype=np.float64),
        mean_gap_s=np.asarray(ga(mean_gap), dtype=np.float64),
        mean_in_view=np.asarray(ga(sum_view) / span, dtype=np.float64),
        min_in_view=np.asarray(ga(min_view), dtype=np.int64),
    )
