"""Which detection belongs to which track: Mahalanobis gating and global nearest neighbour.

Gating is two-stage: a cheap angular test on every (track, detection) pair, then the
exact squared Mahalanobis distance ``y^T S^-1 y`` (``S = H P H^T + R``) on the survivors,
accepted below the chi-square quantile of the gate probability (2 degrees of freedom).

Assignment: in one frame each sensor sees a target at most once, so the problem splits
into one independent assignment per sensor (a track may take one detection from each
sensor). Pairs that conflict with nothing are taken directly; the rest are solved per
sensor by ``scipy.optimize.linear_sum_assignment`` (Crouse, "On implementing 2D rectangular
assignment algorithms", IEEE TAES 52(4), 2016) on the Mahalanobis cost, with gated-out
pairs forbidden (global nearest neighbour, Blackman and Popoli 1999, sec. 6.5.1).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from tracklayer.tracking.filters import angles_model

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Width of the coarse angular gate relative to the exact one (covers the largest
#: eigenvalue being up to ~trace and the tangent-plane approximation).
_COARSE_FACTOR = 4.0


def gate(
    x: F64,
    p: F64,
    los: F64,
    sensor_pos: F64,
    sigma_rad: F64,
    tau: F64,
    gate_d2: float,
    basis: F64 | None = None,
) -> tuple[I64, I64, F64]:
    """(track, detection) pairs inside the Mahalanobis gate.

    Parameters
    ----------
    x : (K, 6), p : (K, 6, 6)
        Predicted tracks at the frame time (ECEF, m, m/s).
    los : (D, 3), sensor_pos : (D, 3), sigma_rad : (D,), tau : (D,)
        Detections: unit line of sight, sensor position (m), angular sigma (rad), time
        offset from the frame (s).
    gate_d2 : float
        Largest accepted squared Mahalanobis distance.
    basis : (D, 2, 3), optional
        ``tangent_basis(los)``, when the caller already has it.

    Returns
    -------
    track_idx, det_idx : ndarray of int, shape (G,)
    d2 : ndarray, shape (G,)
        Squared Mahalanobis distances of the gated pairs.
    """
    k, d = x.shape[0], los.shape[0]
    if k == 0 or d == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0)
    # Coarse: distance of the predicted track from the measured line, against a generous
    # multiple of the gate. Written with (K, 6) x (6, D) products instead of (K, D, 3)
    # differences because this runs on every (track, detection) pair of every frame.
    kin = np.concatenate([x[:, :3], x[:, 3:]], axis=1)  # (K, 6): [r, v]
    los_t = np.concatenate([los, tau[:, None] * los], axis=1)  # (D, 6): [u, tau u]
    pos_t = np.concatenate([sensor_pos, tau[:, None] * sensor_pos], axis=1)
    along = kin @ los_t.T - np.einsum("di,di->d", sensor_pos, los)[None, :]
    r2 = np.einsum("ki,ki->k", x[:, :3], x[:, :3])
    rv = np.einsum("ki,ki->k", x[:, :3], x[:, 3:])
    v2 = np.einsum("ki,ki->k", x[:, 3:], x[:, 3:])
    s2 = np.einsum("di,di->d", sensor_pos, sensor_pos)
    rho2 = (
        r2[:, None]
        + (2.0 * tau)[None, :] * rv[:, None]
        + (tau * tau)[None, :] * v2[:, None]
        + s2[None, :]
        - 2.0 * (kin @ pos_t.T)
    )
    perp2 = rho2 - along * along
    pos_var = np.trace(p[:, :3, :3], axis1=1, axis2=2)
    vel_var = np.trace(p[:, 3:, 3:], axis1=1, axis2=2)
    var = (
        (sigma_rad * sigma_rad)[None, :] * rho2
        + pos_var[:, None]
        + vel_var[:, None] * (tau * tau)[None, :]
    )
    # Rounding of the expanded squares is ~1e-16 |r|^2 ~ 0.01 m^2, far inside the gate.
    ti, di = np.nonzero((along > 0.0) & (perp2 <= _COARSE_FACTOR * gate_d2 * var))
    if ti.size == 0:
        return ti.astype(np.int64), di.astype(np.int64), np.zeros(0)
    h, jac, _ = angles_model(
        x[ti], los[di], sensor_pos[di], tau[di], None if basis is None else basis[di]
    )
    s = jac @ p[ti] @ np.swapaxes(jac, -1, -2)
    r2 = sigma_rad[di] ** 2
    s00, s01, s11 = s[:, 0, 0] + r2, s[:, 0, 1], s[:, 1, 1] + r2
    # y^T S^-1 y for 2 x 2 S in closed form.
    d2 = (s11 * h[:, 0] ** 2 - 2.0 * s01 * h[:, 0] * h[:, 1] + s00 * h[:, 1] ** 2) / (
        s00 * s11 - s01 * s01
    )
    ok = d2 <= gate_d2
    return ti[ok].astype(np.int64), di[ok].astype(np.int64), d2[ok]


def bipartite_components(left: I64, right: I64, n_left: int, n_right: int) -> I64:
    """Connected components of the graph whose edges are the pairs ``(left, right)``.

    Parameters
    ----------
    left : (G,) int in ``[0, n_left)``; right : (G,) int in ``[0, n_right)``
        The pairs, e.g. gated (track, detection) pairs.

    Returns
    -------
    (n_left + n_right,) int, the component of each left node, then of each right node.
    """
    n = n_left + n_right
    graph = coo_matrix((np.ones(left.size), (left, n_left + right)), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def gnn(track_idx: I64, det_idx: I64, cost: F64, det_sensor: I64) -> tuple[I64, I64]:
    """Global nearest neighbour: each detection to at most one track, each track to at most
    one detection per sensor, minimising the summed cost over gated pairs.

    Parameters
    ----------
    track_idx, det_idx : ndarray of int, shape (G,)
        Gated pairs.
    cost : ndarray, shape (G,)
        Their costs (squared Mahalanobis distances).
    det_sensor : ndarray of int, shape (D,)
        Sensor index of every detection.

    Returns
    -------
    track_idx, det_idx : ndarray of int, shape (A,)
        The assigned pairs.
    """
    if track_idx.size == 0:
        return track_idx, det_idx
    sens = det_sensor[det_idx]
    # A pair conflicts with nothing when its detection gates only this track and its
    # track gates only this detection among this sensor's detections.
    _, det_inv, det_count = np.unique(det_idx, return_inverse=True, return_counts=True)
    key = track_idx.astype(np.int64) * (int(det_sensor.max()) + 1) + sens
    _, key_inv, key_count = np.unique(key, return_inverse=True, return_counts=True)
    free = (det_count[det_inv] == 1) & (key_count[key_inv] == 1)
    out_t = [track_idx[free]]
    out_d = [det_idx[free]]
    rest = np.nonzero(~free)[0]
    if rest.size:
        order = rest[np.argsort(sens[rest], kind="stable")]
        bounds = np.nonzero(np.diff(sens[order]))[0] + 1
        for block in np.split(order, bounds):
            tu, t_inv = np.unique(track_idx[block], return_inverse=True)
            du, d_inv = np.unique(det_idx[block], return_inverse=True)
            big = 1e6 + 2.0 * float(cost[block].max())
            mat = np.full((tu.size, du.size), big)
            mat[t_inv, d_inv] = cost[block]
            rows, cols = linear_sum_assignment(mat)
            ok = mat[rows, cols] < big
            out_t.append(tu[rows[ok]])
            out_d.append(du[cols[ok]])
    return np.concatenate(out_t).astype(np.int64), np.concatenate(out_d).astype(np.int64)
