"""Compiled kernels of the coverage computation (numba), one block of time steps at a time.

:mod:`tracklayer.metrics.coverage` holds the method and its notes; this module is its hot
loop, written per satellite-row pair with scalars:

* :func:`block_counts`: satellites in view of each cell, per owner group and joint, for
  steps of a block, each into its own difference array (threads share the steps).
* :func:`accumulate_stats`: the running figures of merit over the block's steps, in step
  order (threads share the cells).

Both release the GIL: the caller runs them in Python threads, which compile much faster
than numba's ``parallel=True`` (whose first compile took longer than the rest together).

The scalar closed forms mirror :mod:`tracklayer.sensors.geometry`
(:func:`~tracklayer.sensors.geometry.occlusion_central_angle`,
:func:`~tracklayer.sensors.geometry.cone_central_angles`) and the exact test mirrors
:func:`~tracklayer.sensors.geometry.visible_with_params` operation for operation, so that
cells within rounding of a run's end get the same answer as the brute-force ``visible``.

Helpers called per pair take and return scalars only: a numba function that receives an
array increments and decrements its reference count (two atomic operations), which cost a
quarter of the time when the helpers took the output and cell arrays.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from tracklayer.constants import WGS84_A_M

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Columns of the per-satellite parameter array.
P_K, P_SHELL, P_NADIR, P_LIMB, P_MIN_R, P_MAX_R, P_E_MIN, P_SIN_E = range(8)
# Columns of the per-row geometry array.
R_RHO, R_Z, R_COS_LAT, R_SIN_LAT, R_RT2, R_SCALE = range(6)
# Rounding guard on longitude half-widths, rad (under a metre): cells this close to a run's
# end get the exact test.
EPS = 1e-7
_TWO_PI = 2.0 * math.pi
#: Cells per chunk of the statistics pass: the chunk's running state stays in cache over
#: the block's steps.
CHUNK = 2048


@njit(cache=True)
def _occlusion_angle(rs: float, rt: float, big_r: float) -> float:
    """Scalar :func:`~tracklayer.sensors.geometry.occlusion_central_angle`."""
    if rt >= big_r:
        return math.acos(min(max(big_r / rs, -1.0), 1.0)) + math.acos(
            min(max(big_r / rt, -1.0), 1.0)
        )
    return math.acos(min(max(rt / rs, -1.0), 1.0))


@njit(cache=True)
def _cone_angles(rs: float, rt: float, eta: float) -> tuple[float, float]:
    """Scalar :func:`~tracklayer.sensors.geometry.cone_central_angles`."""
    x = rs * math.sin(eta) / rt
    if x >= 1.0 or eta >= math.pi / 2:
        return math.pi, math.pi
    a = math.asin(max(x, -1.0))
    return max(a - eta, 0.0), math.pi - eta - a


@njit(cache=True)
def _for_half(rs: float, nadir: float, limb: float) -> float:
    """Half angle of the field of regard about geocentric nadir, rad (pi: no limit)."""
    margin = math.pi if limb != limb else limb
    half = min(nadir, math.asin(min(1.0, WGS84_A_M / rs)) + margin)
    return min(max(half, 0.0), math.pi)


@njit(cache=True)
def _visible(
    sx: float,
    sy: float,
    sz: float,
    tx: float,
    ty: float,
    tz: float,
    ux: float,
    uy: float,
    uz: float,
    k: float,
    radius: float,
    cos_for: float,
    min_range: float,
    max_range: float,
    sin_el: float,
    check_occlusion: bool,
) -> bool:
    """The exact test of :func:`~tracklayer.sensors.geometry.visible_with_params`, one pair
    (sensor s, target t with geodetic up u)."""
    dx, dy, dz = tx - sx, ty - sy, tz - sz
    rng = math.sqrt(dx * dx + dy * dy + dz * dz)
    if not (rng >= min_range and rng <= max_range):
        return False
    if cos_for > -1.0:
        rs = math.sqrt(sx * sx + sy * sy + sz * sz)
        if not (-(dx * sx + dy * sy + dz * sz) >= cos_for * rng * rs):
            return False
    if sin_el >= -1.0 and not (-(dx * ux + dy * uy + dz * uz) >= sin_el * rng):
        return False
    if check_occlusion:
        # Closest approach of the segment to the origin in the space scaled along z by k.
        szk = sz * k
        dzk = (tz - sz) * k
        dd = dx * dx + dy * dy + dzk * dzk
        sd = sx * dx + sy * dy + szk * dzk
        ss = sx * sx + sy * sy + szk * szk
        u = -sd / dd
        closest2 = ss - sd * sd / dd
        if u > 0.0 and u < 1.0 and closest2 < radius * radius:
            return False
    return True


@njit(cache=True)
def _half_width(q: float, rho_s: float) -> float:
    """``arccos(clip(q / rho_s, -1, 1))``: the ``|dlon|`` where ``q`` is reached, rad."""
    x = q / rho_s
    # acos(1) = 0 and acos(-1) = pi exactly; many rows hit one of them.
    if x >= 1.0:
        return 0.0
    if x <= -1.0:
        return math.pi
    return math.acos(x)


@njit(cache=True)
def _wrap(a: float) -> float:
    """``a % (2 pi)`` with Python's (and numpy's) float semantics, without its fmod call
    in the usual case ``|a| < 2 pi`` (where fmod returns a)."""
    if not -_TWO_PI < a < _TWO_PI:
        return a % _TWO_PI
    if a < 0.0:
        return a + _TWO_PI
    return a if a != 0.0 else 0.0


@njit(cache=True)
def _mod(a: int, n: int) -> int:
    """``a % n`` for ``n > 0``; range ends lie within a row or two of it, so this beats the
    hardware division."""
    while a < 0:
        a += n
    while a >= n:
        a -= n
    return a


@njit(cache=True)
def _cells_within(half: float, u: float, scale: float) -> tuple[int, int]:
    """Cells of a row with ``|lon - lon_s| <= half``: index range ``[jl, jh]``.

    ``u`` is the satellite's longitude in cell units from the row's first cell centre and
    ``scale = n / (2 pi)``; indices may run below 0 or past n-1 (they wrap). A negative
    ``half`` gives the empty range ``jl = jh + 1 = floor(u) + 1``, so ranges about one
    centre nest; ``half >= pi`` gives at least n cells (the full row).
    """
    h = max(half, 0.0) * scale
    jh = math.floor(u + h)
    jl = jh + 1 if half < 0.0 else math.ceil(u - h)
    return jl, jh


@njit(cache=True)
def _ring(jl_i: int, jh_i: int, jl_o: int, jh_o: int, n: int) -> tuple[int, int, int, int]:
    """Cells of the outer range not in the (nested) inner one: two runs, start and length."""
    cnt_i = min(max(jh_i - jl_i + 1, 0), n)
    if jh_o - jl_o + 1 >= n:
        # In a full row the complement of the inner run is the one run after it.
        return (jh_i + 1 if cnt_i > 0 else 0), n - cnt_i, jh_i + 1, 0
    return jl_o, max(jl_i - jl_o, 0), jh_i + 1, max(jh_o - jh_i, 0)


@njit(cache=True)
def _piece_runs(
    e_a: float, e_b: float, e_c: float, e_d: float, no_inner: bool, u: float, scale: float, n: int
) -> tuple[int, int, int, int, int, int, int, int, int, int, int, int]:
    """Runs of one visible piece ``[h_in, h_out]`` of ``|dlon|`` on a row of n cells.

    The piece is given by its maybe and sure ends ``e_a = h_in - eps <= e_b = h_in + eps
    <= e_c = h_out - eps <= e_d = h_out + eps`` (``no_inner``: it starts at the
    sub-satellite longitude, ``h_in = 0``, and ``e_a``, ``e_b`` are ignored).

    Returns
    -------
    runs
        Six runs as (start, length) pairs: two of sure cells, then four of the cells
        between sure and maybe (within eps of an end: the exact test decides).
    """
    if no_inner:
        jl_mi, jh_mi = _cells_within(-1.0, u, scale)
        jl_si, jh_si = jl_mi, jh_mi
    else:
        jl_mi, jh_mi = _cells_within(e_a, u, scale)
        jl_si, jh_si = _cells_within(e_b, u, scale)
    jl_so, jh_so = _cells_within(e_c, u, scale)
    jl_mo, jh_mo = _cells_within(e_d, u, scale)
    a1, l1, a2, l2 = _ring(jl_si, jh_si, jl_so, jh_so, n)
    b1, m1, b2, m2 = _ring(jl_so, jh_so, jl_mo, jh_mo, n)
    c1, k1, c2, k2 = _ring(jl_mi, jh_mi, jl_si, jh_si, n)
    return a1, l1, a2, l2, b1, m1, b2, m2, c1, k1, c2, k2


@njit(cache=True, nogil=True)
def block_counts(  # long: one compiled loop nest (steps x satellites x grid rows)
    pos: FloatArray,
    r0: IntArray,
    r1: IntArray,
    group: IntArray,
    sat_par: FloatArray,
    rows: FloatArray,
    row_first: IntArray,
    row_count: IntArray,
    row_lon0: FloatArray,
    cell_pos: FloatArray,
    cell_up: FloatArray,
    check_occlusion: bool,
    any_e: bool,
    any_cone: bool,
    any_max_r: bool,
    any_min_r: bool,
    out: NDArray[np.int32],
    b0: int,
    b1: int,
) -> None:
    """Satellites in view of each cell, per group, for steps ``b0 <= b < b1`` of a block.

    Per satellite-row pair: on a row (geodetic latitude lat) the cells lie at
    ``(rho_r cos t, rho_r sin t, z_r)`` with geodetic up ``(cos lat cos t, cos lat sin t,
    sin lat)``. Every constraint depends on a cell's longitude t only through
    ``q = sx cos t + sy sin t = rho_s cos(t - t_s)`` and is monotonic in q, so it is a
    threshold on q, hence on ``|t - t_s|``: the visible set is ``{q >= L, q <= U}`` cut by
    the field of regard's near piece ``q >= q1`` or far piece ``q <= q2``.

    Parameters
    ----------
    pos
        Satellite ECEF positions, m, shape ``(B, N, 3)``.
    r0, r1
        Grid rows ``r0 <= row < r1`` within each satellite's footprint reach, shape
        ``(B, N)`` (``r0 >= r1`` for none, and for satellites out of service).
    group
        Group index of each satellite, shape ``(N,)``, in ``[0, G)``.
    sat_par
        Per-satellite constraint parameters, shape ``(N, 8)``, columns ``P_*``.
    rows
        Per-row target geometry, shape ``(R, 6)``, columns ``R_*``.
    row_first, row_count, row_lon0
        Each row's first cell, number of cells and western edge, rad, shape ``(R,)``.
    cell_pos, cell_up
        Cell ECEF positions at the altitude, m, and geodetic up unit vectors, ``(n, 3)``.
    check_occlusion, any_e, any_cone, any_max_r, any_min_r
        Which kinds of constraint occur at all.
    out
        Output, shape ``(>= B, G + 1, n + 1)``: ``out[b, g, c]`` for ``c < n`` is the number
        of group g's satellites seeing cell c at step b, and ``out[b, G, c]`` of all
        satellites (joint).
    b0, b1
        The steps to do (threads share a block's steps).
    """
    for b in range(b0, b1):
        out[b, :] = 0
        n_own = out.shape[1] - 1
        for i in range(pos.shape[1]):
            if r0[b, i] >= r1[b, i]:
                continue
            g = group[i]
            sx, sy, sz = pos[b, i, 0], pos[b, i, 1], pos[b, i, 2]
            k, shell = sat_par[i, P_K], sat_par[i, P_SHELL]
            min_r, max_r = sat_par[i, P_MIN_R], sat_par[i, P_MAX_R]
            has_e = any_e and sat_par[i, P_E_MIN] == sat_par[i, P_E_MIN]
            se = sat_par[i, P_SIN_E]
            sin_el = se if any_e else -2.0
            rho_s2 = sx * sx + sy * sy
            rho_s = max(math.sqrt(rho_s2), 1e-3)
            rs2 = rho_s2 + sz * sz
            rs = math.sqrt(rs2)
            rs_k = 0.0
            if check_occlusion:
                rs_k = math.hypot(math.hypot(sx, sy), k * sz)
            half = math.pi
            cos_for = -2.0
            if any_cone:
                half = _for_half(rs, sat_par[i, P_NADIR], sat_par[i, P_LIMB])
                cos_for = math.cos(half)
            lon_s = math.atan2(sy, sx)
            for r in range(r0[b, i], r1[b, i]):
                first = row_first[r]
                n = row_count[r]
                scale = rows[r, R_SCALE]
                u = _wrap(lon_s - row_lon0[r]) * scale - 0.5
                rho_r, z_r, rt2 = rows[r, R_RHO], rows[r, R_Z], rows[r, R_RT2]
                q0 = z_r * sz  # s . t = rho_r q + q0
                c_r = rs2 + rt2 - 2.0 * q0  # |s - t|^2 = c_r - 2 rho_r q
                lower = -math.inf
                if check_occlusion:
                    # In the space scaled along z by k the shell is a sphere: clear iff the
                    # scaled central angle is at most Lambda', i.e. s'.t' = rho_r q + k^2 z_r sz
                    # >= rs' rt' cos(Lambda').
                    kz = k * z_r
                    rt_k = math.sqrt(rho_r * rho_r + kz * kz)
                    lam = _occlusion_angle(rs_k, rt_k, shell)
                    lower = (rs_k * rt_k * math.cos(lam) - k * k * q0) / rho_r
                if has_e:
                    # (s - t).up = cos(lat) q + e0 >= sin(e) |s - t|: the larger root of the
                    # squared equation, valid where (s - t).up >= 0 (min elevation >= 0).
                    cl, sl = rows[r, R_COS_LAT], rows[r, R_SIN_LAT]
                    e0 = sl * sz - (rho_r * cl + z_r * sl)
                    if cl * rho_s + e0 - se * math.sqrt(max(c_r - 2.0 * rho_r * rho_s, 0.0)) < 0.0:
                        q_e = math.inf  # not even the nearest cell of the row
                    elif (
                        cl * -rho_s + e0 - se * math.sqrt(max(c_r - 2.0 * rho_r * -rho_s, 0.0))
                        >= 0.0
                    ):
                        q_e = -math.inf  # the whole row
                    else:
                        a2 = cl * cl
                        b2 = 2.0 * cl * e0 + se * se * 2.0 * rho_r
                        c2 = e0 * e0 - se * se * c_r
                        sq = math.sqrt(max(b2 * b2 - 4.0 * a2 * c2, 0.0))
                        q_e = 2.0 * c2 / (-b2 - sq) if b2 > 0.0 else (-b2 + sq) / (2.0 * a2)
                    lower = max(lower, q_e)
                if any_max_r:
                    lower = max(lower, (c_r - max_r * max_r) / (2.0 * rho_r))
                upper = math.inf
                if any_min_r and min_r > 0.0:
                    upper = (c_r - min_r * min_r) / (2.0 * rho_r)
                h0 = _half_width(upper, rho_s)
                h2 = h3 = 0.0
                if any_cone:
                    rt = math.sqrt(rt2)
                    lam1, lam2 = _cone_angles(rs, rt, half)
                    q1 = (rs * rt * math.cos(lam1) - q0) / rho_r
                    q2 = (rs * rt * math.cos(lam2) - q0) / rho_r if lam2 > lam1 else -math.inf
                    h1 = _half_width(max(lower, q1), rho_s)
                    h2 = _half_width(min(upper, q2), rho_s)
                    h3 = _half_width(lower, rho_s)
                else:
                    h1 = _half_width(lower, rho_s)

                # Each visible piece [h_in, h_out] of |dlon| (near: [h0, h1], far: [h2, h3])
                # gives a sure range [h_in + eps, h_out - eps] and a maybe range
                # [h_in - eps, h_out + eps]; the ends are kept in increasing order (running
                # maximum) so the rings they bound never overlap. Without minimum ranges the
                # near piece starts at the sub-satellite longitude and has no inner ends.
                e_d = -math.inf
                for piece in range(2 if any_cone else 1):
                    h_in, h_out = (h0, h1) if piece == 0 else (h2, h3)
                    no_inner = piece == 0 and not any_min_r
                    e_a = max(e_d, h_in - EPS)
                    e_b = max(e_a, h_in + EPS)
                    e_c = h_out - EPS if no_inner else max(e_b, h_out - EPS)
                    e_d = max(e_c, h_out + EPS)
                    runs = _piece_runs(e_a, e_b, e_c, e_d, no_inner, u, scale, n)
                    for j in range(6):
                        start, length = runs[2 * j], runs[2 * j + 1]
                        if length <= 0:
                            continue
                        if j < 2:
                            # Sure cells: +1/-1 into the difference array; a run wrapping past
                            # the row's end is split so every pair stays within the row.
                            a = _mod(start, n)
                            end = a + length
                            out[b, g, first + a] += 1
                            out[b, g, first + min(end, n)] -= 1
                            if end > n:
                                out[b, g, first] += 1
                                out[b, g, first + end - n] -= 1
                            continue
                        for off in range(length):
                            c = first + _mod(start + off, n)
                            if _visible(
                                sx, sy, sz, cell_pos[c, 0], cell_pos[c, 1], cell_pos[c, 2],
                                cell_up[c, 0], cell_up[c, 1], cell_up[c, 2], k, shell, cos_for,
                                min_r, max_r, sin_el, check_occlusion,
                            ):  # fmt: skip
                                out[b, g, c] += 1
                                out[b, g, c + 1] -= 1
        for g in range(n_own):
            acc = 0
            for c in range(out.shape[2]):
                acc += out[b, g, c]
                out[b, g, c] = acc
        joint = out[b, n_own]
        for g in range(n_own):
            own = out[b, g]
            for c in range(joint.size):
                joint[c] += own[c]


@njit(cache=True, nogil=True)
def accumulate_stats(
    counts: NDArray[np.int32],
    n_steps: int,
    w: FloatArray,
    ks: IntArray,
    cov: FloatArray,
    sum_view: FloatArray,
    min_view: IntArray,
    run: FloatArray,
    max_gap: FloatArray,
    sum_gap: FloatArray,
    n_gap: IntArray,
    chunk0: int,
    chunk1: int,
) -> None:
    """Update the running figures of merit with a block's counts, in step order.

    Parameters
    ----------
    counts
        From :func:`block_counts`, shape ``(>= n_steps, G, n + 1)`` (owner groups, then
        joint).
    n_steps
        Steps of the block to use.
    w
        Duration each step stands for, s, shape ``(n_steps,)``.
    ks
        Multiplicities, shape ``(K,)``.
    cov
        Covered time per k, s, shape ``(K, G, n)``.
    sum_view, min_view
        Time-integral (s) and minimum of the number in view, shape ``(G, n)``.
    run, max_gap, sum_gap, n_gap
        Length of the gap running now, longest and total length of the gaps ended so far
        (s), and their number, shape ``(G, n)``.
    chunk0, chunk1
        The chunks of cells to do, of :data:`CHUNK` cells (threads share the chunks).
    """
    n_g, n_c = run.shape
    for ch in range(chunk0, chunk1):
        # Slices, so the loops below run from 0 (numba then drops its negative-index
        # handling and LLVM vectorizes them).
        c0 = ch * CHUNK
        c1 = min(n_c, c0 + CHUNK)
        for g in range(n_g):
            view_s, view_min, run_ = sum_view[g, c0:c1], min_view[g, c0:c1], run[g, c0:c1]
            gap_max, gap_sum, gap_n = max_gap[g, c0:c1], sum_gap[g, c0:c1], n_gap[g, c0:c1]
            for b in range(n_steps):
                wb = w[b]
                cnt = counts[b, g, c0:c1]
                for j in range(ks.size):
                    k = ks[j]
                    cov_ = cov[j, g, c0:c1]
                    for c in range(cnt.size):
                        cov_[c] += wb if cnt[c] >= k else 0.0
                # Branch-free: a gap that ends at this sample has length ``ended`` (0 where
                # none ends).
                for c in range(cnt.size):
                    x = cnt[c]
                    view_s[c] += wb * x
                    view_min[c] = min(view_min[c], x)
                    dark = x == 0
                    ended = 0.0 if dark else run_[c]
                    gap_max[c] = max(gap_max[c], ended)
                    gap_sum[c] += ended
                    gap_n[c] += ended > 0.0
                    run_[c] = run_[c] + wb if dark else 0.0
