"""New tracks from detections no existing track explained: multi-satellite triangulation.

In one frame, every pair of detections from two different sensors whose lines of sight
pass close enough (a chi-square test on the miss distance, with the angle between them
above a floor and the meeting point at a plausible altitude) is a candidate target. Each
candidate is scored by how many other sensors' lines of sight pass through it; candidates
are then taken greedily, best supported and most consistent first, with every detection
used at most once. With many targets and false alarms this resolves the "ghost"
intersections that a nearest-pair rule would create: a true target is seen by all
sensors in view, a ghost only by the two lines that made it. The accepted groups are
triangulated together (:func:`tracklayer.tracking.triangulate.triangulate`).

Radar detections carry a range and start a track alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tracklayer.frames import ecef_to_geodetic
from tracklayer.tracking.config import TrackingConfig, chi2_quantile
from tracklayer.tracking.triangulate import closest_points, triangulate

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Pairs examined per chunk (bounds the memory of the pair arrays to ~100 MB).
_PAIR_CHUNK = 400_000


@dataclass(frozen=True)
class Initiated:
    """Points triangulated from groups of detections.

    Attributes
    ----------
    r : ndarray, shape (J, 3)
        ECEF positions at the frame time, m.
    cov : ndarray, shape (J, 3, 3)
        Their covariances, m^2.
    members : list of ndarray of int
        For each point, the indices (into the detections given) it was made from.
    """

    r: F64
    cov: F64
    members: list[I64]


def _candidate_pairs(
    los: F64,
    pos: F64,
    sigma: F64,
    sensor: I64,
    tau: F64,
    config: TrackingConfig,
) -> tuple[I64, I64, F64, F64]:
    """Pairs of detections from different sensors whose lines plausibly meet."""
    n = los.shape[0]
    gate = chi2_quantile(config.initiation.gate_probability, 1)
    sin_min = np.sin(config.initiation.min_angle_rad)
    h_lo, h_hi = config.initiation.altitude_bounds_m
    out_i, out_j, out_p, out_s = [], [], [], []
    rows_per_chunk = max(1, _PAIR_CHUNK // max(n, 1))
    for start in range(0, n - 1, rows_per_chunk):
        ii, jj = np.nonzero(
            np.triu(np.ones((min(rows_per_chunk, n - start), n), dtype=bool), k=start + 1)
        )
        ii = ii + start
        keep = sensor[ii] != sensor[jj]
        ii, jj = ii[keep], jj[keep]
        if ii.size == 0:
            continue
        t1, t2, miss, sin_a = closest_points(los[ii], pos[ii], los[jj], pos[jj])
        align = 2.0 * (config.initiation.max_speed_mps * (tau[ii] - tau[jj])) ** 2 / 3.0
        var = (sigma[ii] * t1) ** 2 + (sigma[jj] * t2) ** 2 + align
        with np.errstate(invalid="ignore"):
            ok = (sin_a >= sin_min) & (t1 > 0.0) & (t2 > 0.0) & (miss * miss <= gate * var)
        ii, jj, t1, t2, var = ii[ok], jj[ok], t1[ok], t2[ok], var[ok]
        if ii.size == 0:
            continue
        mid = 0.5 * (pos[ii] + t1[:, None] * los[ii] + pos[jj] + t2[:, None] * los[jj])
        _, _, alt = ecef_to_geodetic(mid)
        ok = (alt >= h_lo) & (alt <= h_hi)
        out_i.append(ii[ok])
        out_j.append(jj[ok])
        out_p.append(mid[ok])
        out_s.append(0.5 * var[ok])
    if not out_i:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros((0, 3)), np.zeros(0)
    return (
        np.concatenate(out_i),
        np.concatenate(out_j),
        np.concatenate(out_p),
        np.concatenate(out_s),
    )


def initiate(
    los: F64,
    sensor_pos: F64,
    sigma_rad: F64,
    sensor: I64,
    tau: F64,
    config: TrackingConfig,
) -> Initiated:
    """Triangulate new targets from one frame's unexplained detections.

    Parameters
    ----------
    los : ndarray, shape (D, 3)
        Unit lines of sight, ECEF.
    sensor_pos : ndarray, shape (D, 3)
        Sensor positions, ECEF m.
    sigma_rad : ndarray, shape (D,)
        Angular standard deviation per axis, rad.
    sensor : ndarray of int, shape (D,)
        Sensor index of each detection (two detections of one sensor never pair).
    tau : ndarray, shape (D,)
        Detection time minus frame time, s.
    config : TrackingConfig
        Gates, angle floor, altitude bounds and speed bound.

    Returns
    -------
    Initiated
        Points, covariances and the detections each was made from.
    """
    empty = Initiated(np.zeros((0, 3)), np.zeros((0, 3, 3)), [])
    if los.shape[0] < 2:
        return empty
    ci, cj, mid, var_c = _candidate_pairs(los, sensor_pos, sigma_rad, sensor, tau, config)
    if ci.size == 0:
        return empty
    # Support: lines of sight of other detections passing through each candidate point.
    d = mid[:, None, :] - sensor_pos[None, :, :]  # (C, D, 3)
    rho = np.einsum("cdi,di->cd", d, los)
    perp2 = np.einsum("cdi,cdi->cd", d, d) - rho * rho
    var = (sigma_rad[None, :] * rho) ** 2 + var_c[:, None]
    var += (config.initiation.max_speed_mps * tau[None, :]) ** 2 / 3.0
    gate2 = chi2_quantile(config.initiation.gate_probability, 2)
    support = (rho > 0.0) & (perp2 <= gate2 * var)
    norm_d2 = np.where(support, perp2 / var, np.inf)
    score = support.sum(axis=1)
    order = np.lexsort((norm_d2[np.arange(ci.size), ci] + norm_d2[np.arange(ci.size), cj], -score))
    rows = np.arange(ci.size)
    # Lines other than the pair's own through each point; most candidates (ghosts of two
    # false alarms) have none, and skip the search below, the costly part of this loop.
    extra = score - support[rows, ci] - support[rows, cj]
    groups = _take_greedily(order, ci, cj, extra, support, norm_d2, sensor)
    return _triangulate_groups(groups, los, sensor_pos, sigma_rad, tau, config)


def _take_greedily(
    order: I64,
    ci: I64,
    cj: I64,
    extra: I64,
    support: NDArray[np.bool_],
    norm_d2: F64,
    sensor: I64,
) -> list[I64]:
    """Candidates best first; each takes its pair and, of every further sensor, the line
    through its point closest to it, using every detection at most once."""
    used = np.zeros(support.shape[1], dtype=bool)
    groups: list[I64] = []
    for c in order.tolist():
        a, b = ci[c], cj[c]
        if used[a] or used[b]:
            continue
        if extra[c] == 0:
            used[a] = used[b] = True
            groups.append(np.array([a, b], dtype=np.int64))
            continue
        cand = np.nonzero(support[c] & ~used)[0]
        # One line per further sensor: the one passing closest to the point.
        others = cand[(sensor[cand] != sensor[ci[c]]) & (sensor[cand] != sensor[cj[c]])]
        others = others[np.argsort(norm_d2[c, others], kind="stable")]
        _, first = np.unique(sensor[others], return_index=True)
        members = np.concatenate([[ci[c], cj[c]], others[first]])
        used[members] = True
        groups.append(members.astype(np.int64))
    return groups


def _triangulate_groups(
    groups: list[I64],
    los: F64,
    sensor_pos: F64,
    sigma_rad: F64,
    tau: F64,
    config: TrackingConfig,
) -> Initiated:
    """Each group's lines triangulated together; kept if they meet (chi-square) at a
    plausible altitude."""
    m = max(len(g) for g in groups)
    j = len(groups)
    idx = np.zeros((j, m), dtype=np.int64)
    valid = np.zeros((j, m), dtype=bool)
    for k, g in enumerate(groups):
        idx[k, : len(g)] = g
        valid[k, : len(g)] = True
    r, cov, chi2, dof = triangulate(
        los[idx], sensor_pos[idx], sigma_rad[idx], valid, tau[idx], config.initiation.max_speed_mps
    )
    limit = np.array(
        [chi2_quantile(config.initiation.gate_probability, int(k)) for k in np.maximum(dof, 1)]
    )
    ok = chi2 <= limit
    _, _, alt = ecef_to_geodetic(r)
    h_lo, h_hi = config.initiation.altitude_bounds_m
    ok &= (alt >= h_lo) & (alt <= h_hi)
    keep = np.nonzero(ok)[0]
    return Initiated(r[keep], cov[keep], [groups[k] for k in keep])


def from_radar(
    los: F64, sensor_pos: F64, sigma_rad: F64, range_m: F64, sigma_range_m: F64
) -> tuple[F64, F64]:
    """Positions and covariances of single radar detections (range and two angles).

    Returns
    -------
    r : ndarray, shape (D, 3), ECEF m; cov : ndarray, shape (D, 3, 3), m^2
        ``cov = sigma_r^2 u u^T + (sigma rho)^2 (I - u u^T)``.
    """
    r = sensor_pos + range_m[:, None] * los
    uu = los[:, :, None] * los[:, None, :]
    cov = (sigma_range_m**2)[:, None, None] * uu + ((sigma_rad * range_m) ** 2)[:, None, None] * (
        np.eye(3) - uu
    )
    return r, cov
