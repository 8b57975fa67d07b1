"""Kalman filters as pure batched functions: one call updates K tracks at once.

Shapes: states ``x (K, n)``, covariances ``P (K, n, n)``; every function returns new arrays.
The angles-only measurement of a line of sight ``u`` from a sensor at ``s`` is written in
the gnomonic (tangent-plane) coordinates of the *measured* direction ``e0 = u``: with an
orthonormal pair ``e1, e2`` perpendicular to ``e0`` and ``d = r - s`` the predicted
measurement is ``h = [e1.d / e0.d, e2.d / e0.d]`` and the measured one is ``[0, 0]``. The
two coordinates are angles (rad) to first order, so ``R = sigma^2 I``, and unlike
azimuth/elevation they have no singularity anywhere on the sphere.

Updates use the Joseph form ``P = (I-KH) P (I-KH)^T + K R K^T`` (Bucy and Joseph 1968;
Bar-Shalom et al. 2001, eq. 5.2.3-18), which keeps ``P`` symmetric positive definite
under rounding. The cubature Kalman filter uses the third-degree spherical-radial cubature rule
(Arasaratnam and Haykin, "Cubature Kalman filters", IEEE TAC 54(6), 2009), whose weights
are all positive.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tracklayer.tracking.motion import process_noise, propagate

F64 = NDArray[np.float64]


def symmetrize(p: F64) -> F64:
    """``(P + P^T) / 2`` over the last two axes."""
    out: F64 = 0.5 * (p + np.swapaxes(p, -1, -2))
    return out


def enforce_spd(p: F64, floor: float = 1e-9) -> F64:
    """Nearest symmetric matrices whose eigenvalues are at least ``floor`` times the largest.

    Matrices already positive definite are returned symmetrised and otherwise unchanged.
    """
    p = symmetrize(p)
    w, v = np.linalg.eigh(p)
    lo = floor * np.maximum(w[..., -1:], 0.0)
    bad = np.any(w < lo, axis=-1)
    if np.any(bad):
        wc = np.maximum(w[bad], lo[bad])
        p = p.copy()
        p[bad] = symmetrize((v[bad] * wc[:, None, :]) @ np.swapaxes(v[bad], -1, -2))
    return p


def kf_predict(x: F64, p: F64, f: F64, q: F64) -> tuple[F64, F64]:
    """Linear Kalman prediction ``x' = F x``, ``P' = F P F^T + Q``, batched."""
    x_new = np.einsum("kij,kj->ki", f, x)
    p_new = symmetrize(f @ p @ np.swapaxes(f, -1, -2) + q)
    return x_new, p_new


def kf_update(x: F64, p: F64, y: F64, h: F64, r: F64) -> tuple[F64, F64, F64]:
    """Kalman update from the innovation ``y = z - h(x)``, Joseph form, batched.

    Parameters
    ----------
    x : (K, n); p : (K, n, n); y : (K, m); h : (K, m, n); r : (K, m, m)

    Returns
    -------
    x, p : updated state and covariance
    d2 : ndarray, shape (K,)
        Squared Mahalanobis distance ``y^T S^-1 y`` of the innovation.
    """
    ht = np.swapaxes(h, -1, -2)
    pht = p @ ht
    s = h @ pht + r
    s_inv = np.linalg.inv(s)
    gain = pht @ s_inv
    x_new = x + np.einsum("kij,kj->ki", gain, y)
    ikh = np.eye(x.shape[1]) - gain @ h
    p_new = ikh @ p @ np.swapaxes(ikh, -1, -2) + gain @ r @ np.swapaxes(gain, -1, -2)
    d2 = np.einsum("ki,kij,kj->k", y, s_inv, y)
    return x_new, symmetrize(p_new), d2


def _cross(a: F64, b: F64) -> F64:
    # np.cross spends most of its time moving axes for small batches.
    out = np.empty_like(a)
    out[:, 0] = a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1]
    out[:, 1] = a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2]
    out[:, 2] = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    return out


def tangent_basis(u: F64) -> F64:
    """Orthonormal ``(e1, e2)`` perpendicular to unit vectors ``u``, shape ``(K, 2, 3)``."""
    # Cross with the axis least aligned with u, so the result is never ill-conditioned.
    ref = np.zeros_like(u)
    ref[np.arange(u.shape[0]), np.argmin(np.abs(u), axis=1)] = 1.0
    e1 = _cross(u, ref)
    e1 /= np.sqrt(np.einsum("ki,ki->k", e1, e1))[:, None]
    e2 = _cross(u, e1)
    out = np.empty((u.shape[0], 2, 3))
    out[:, 0] = e1
    out[:, 1] = e2
    return out


def angles_model(
    x: F64,
    los: F64,
    sensor_pos: F64,
    tau: ArrayLike = 0.0,
    basis: F64 | None = None,
) -> tuple[F64, F64, F64]:
    """Predicted gnomonic angles of states and their Jacobian.

    Parameters
    ----------
    x : ndarray, shape (K, 6)
        States at the frame time (ECEF, m, m/s).
    los : ndarray, shape (K, 3)
        Measured unit lines of sight (sensor to target, ECEF).
    sensor_pos : ndarray, shape (K, 3)
        Sensor positions at the measurement time, ECEF m.
    tau : float or array_like, shape (K,)
        Measurement time minus frame time, s; the target is moved by ``v tau`` (first-order
        time alignment).
    basis : ndarray, shape (K, 2, 3), optional
        ``tangent_basis(los)``, when the caller already has it.

    Returns
    -------
    h : ndarray, shape (K, 2)
        Predicted measurement (rad, tangent plane of ``los``).
    H : ndarray, shape (K, 2, 6)
        Jacobian ``dh/dx``.
    range_m : ndarray, shape (K,)
        Predicted range along ``los``, m (negative: target behind the sensor).
    """
    k = x.shape[0]
    tv = np.broadcast_to(np.asarray(tau, dtype=np.float64), (k,))
    e = tangent_basis(los) if basis is None else basis
    d = x[:, :3] + tv[:, None] * x[:, 3:] - sensor_pos
    c = (los * d).sum(axis=1)
    a = (e * d[:, None, :]).sum(axis=2)
    inv_c = 1.0 / c
    h = a * inv_c[:, None]
    hp = (e - h[:, :, None] * los[:, None, :]) * inv_c[:, None, None]
    jac = np.concatenate([hp, hp * tv[:, None, None]], axis=2)
    return h, jac, c


def predict(
    x: F64,
    p: F64,
    dt: ArrayLike,
    *,
    q_m2_s3: float,
    motion: str = "ballistic",
    max_step_s: float = 5.0,
    beta_kg_m2: float | None = None,
    thrust_mps2: float = 0.0,
) -> tuple[F64, F64]:
    """Predict K tracks ``dt`` seconds ahead with the extended Kalman filter.

    Parameters
    ----------
    x : (K, 6) ECEF state, m, m/s; p : (K, 6, 6) covariance; dt : float or (K,) s.
    q_m2_s3 : white-noise acceleration spectral density, m^2/s^3.
    motion : one of :data:`tracklayer.tracking.motion.MOTIONS`.
    thrust_mps2 : thrust acceleration of the ``boost`` model, m/s^2.

    Returns
    -------
    x, p : predicted state and covariance (symmetric).
    """
    k = x.shape[0]
    q = process_noise(dt, q_m2_s3, k)
    if k == 0:
        return x.copy(), p.copy()
    x_new, f = propagate(
        x,
        dt,
        motion=motion,
        max_step_s=max_step_s,
        beta_kg_m2=beta_kg_m2,
        thrust_mps2=thrust_mps2,
    )
    assert f is not None
    return x_new, symmetrize(f @ p @ np.swapaxes(f, -1, -2) + q)


def predict_cubature(
    x: F64,
    p: F64,
    dt: ArrayLike,
    *,
    q_m2_s3: float,
    motion: str = "ballistic",
    max_step_s: float = 5.0,
    beta_kg_m2: float | None = None,
    thrust_mps2: float = 0.0,
) -> tuple[F64, F64]:
    """Predict K tracks ``dt`` seconds ahead with the cubature Kalman filter.

    The ``2n`` cubature points of each track (:func:`cubature_points`) are propagated
    through the motion model; their equally weighted mean and scatter, plus the process
    noise, are the prediction (Arasaratnam and Haykin 2009, sec. IV). Parameters and
    returns as :func:`predict`.
    """
    k = x.shape[0]
    q = process_noise(dt, q_m2_s3, k)
    if k == 0:
        return x.copy(), p.copy()
    pts = cubature_points(x, p)
    n_pts = pts.shape[1]
    dtv = np.repeat(np.broadcast_to(np.asarray(dt, dtype=np.float64), (k,)), n_pts)
    prop, _ = propagate(
        pts.reshape(-1, 6),
        dtv,
        motion=motion,
        max_step_s=max_step_s,
        beta_kg_m2=beta_kg_m2,
        with_jacobian=False,
        thrust_mps2=thrust_mps2,
    )
    prop = prop.reshape(k, n_pts, 6)
    x_new = prop.mean(axis=1)
    dev = prop - x_new[:, None, :]
    p_new = np.einsum("kni,knj->kij", dev, dev) / float(n_pts) + q
    return x_new, enforce_spd(p_new)


def cubature_points(x: F64, p: F64) -> F64:
    """The ``2n`` cubature points ``x +- sqrt(n) L e_i`` (``P = L L^T``), ``(K, 2n, n)``."""
    n = x.shape[1]
    chol = np.linalg.cholesky(enforce_spd(p))
    cols = np.sqrt(n) * np.swapaxes(chol, -1, -2)  # rows are the columns of L
    return np.concatenate([x[:, None, :] + cols, x[:, None, :] - cols], axis=1)


def update_angles(
    x: F64,
    p: F64,
    los: F64,
    sensor_pos: F64,
    sigma_rad: ArrayLike,
    tau: ArrayLike = 0.0,
) -> tuple[F64, F64, F64]:
    """Update K tracks, each with one angles-only line of sight, extended Kalman filter.

    Parameters
    ----------
    x : (K, 6); p : (K, 6, 6)
    los : (K, 3) measured unit line of sight, ECEF, sensor to target.
    sensor_pos : (K, 3) sensor position, ECEF m.
    sigma_rad : float or (K,) angular standard deviation per axis, rad.
    tau : float or (K,) measurement time minus the states' time, s.

    Returns
    -------
    x, p : updated state and covariance
    d2 : (K,) squared Mahalanobis distance of the innovation (chi-square, 2 dof).
    """
    h, jac, _ = angles_model(x, los, sensor_pos, tau)
    return kf_update(x, p, -h, jac, _angles_noise(sigma_rad, x.shape[0]))


def _angles_noise(sigma_rad: ArrayLike, k: int) -> F64:
    sig = np.broadcast_to(np.asarray(sigma_rad, dtype=np.float64), (k,))
    r: F64 = (sig * sig)[:, None, None] * np.eye(2)
    return r


def update_angles_cubature(
    x: F64,
    p: F64,
    los: F64,
    sensor_pos: F64,
    sigma_rad: ArrayLike,
    tau: ArrayLike = 0.0,
) -> tuple[F64, F64, F64]:
    """:func:`update_angles` with the cubature Kalman filter (Arasaratnam and Haykin 2009).

    The measurement model is evaluated at the ``2n`` cubature points; the predicted
    measurement, its covariance and the state-measurement cross-covariance are their
    equally weighted moments.
    """
    k = x.shape[0]
    r = _angles_noise(sigma_rad, k)
    pts = cubature_points(x, p)
    m = pts.shape[1]
    tv = np.repeat(np.broadcast_to(np.asarray(tau, dtype=np.float64), (k,)), m)
    zp, _, _ = angles_model(
        pts.reshape(-1, 6), np.repeat(los, m, axis=0), np.repeat(sensor_pos, m, axis=0), tv
    )
    zp = zp.reshape(k, m, 2)
    z_mean = zp.mean(axis=1)
    dz = zp - z_mean[:, None, :]
    dx = pts - pts.mean(axis=1)[:, None, :]
    s = np.einsum("kni,knj->kij", dz, dz) / m + r
    pxz = np.einsum("kni,knj->kij", dx, dz) / m
    s_inv = np.linalg.inv(s)
    gain = pxz @ s_inv
    y = -z_mean
    x_new = x + np.einsum("kij,kj->ki", gain, y)
    p_new = p - gain @ s @ np.swapaxes(gain, -1, -2)
    d2 = np.einsum("ki,kij,kj->k", y, s_inv, y)
    return x_new, enforce_spd(p_new), d2


def update_angles_multi(
    x: F64,
    p: F64,
    track_idx: NDArray[np.int64],
    los: F64,
    sensor_pos: F64,
    sigma_rad: F64,
    tau: F64,
    *,
    iterations: int = 1,
    basis: F64 | None = None,
) -> tuple[F64, F64]:
    """Update K tracks, each with any number of lines of sight, in information form.

    For independent measurements the joint Kalman update is the sum of their
    information: ``P+^-1 = P^-1 + sum_i H_i^T R_i^-1 H_i`` and
    ``x+ = x + P+ sum_i H_i^T R_i^-1 y_i`` (Bar-Shalom et al. 2001, sec. 7.2). With
    ``iterations > 1`` the measurement model is relinearised at each new estimate, the
    iterated EKF (ibid. sec. 10.5.2), ``x_{j+1} = x + P_j sum H^T R^-1 (z - h(x_j) - H (x - x_j))``,
    which matters for new tracks whose velocity is still unknown. The result does not
    depend on the order of the measurements, unlike a sequential update.

    Parameters
    ----------
    x : (K, 6); p : (K, 6, 6)
    track_idx : (G,) int, sorted
        The track of each line of sight.
    los, sensor_pos : (G, 3); sigma_rad, tau : (G,)
        As in :func:`update_angles`.
    iterations : int
        Linearisations (1: the extended Kalman filter).
    basis : (G, 2, 3), optional
        ``tangent_basis(los)`` when the caller has it.

    Returns
    -------
    x, p : (K, 6), (K, 6, 6)
        Tracks without a line of sight are returned unchanged.
    """
    x_new, p_new, _ = information_update(
        x, p, track_idx, los, sensor_pos, sigma_rad, tau, iterations=iterations, basis=basis
    )
    return x_new, p_new


def _chol_inverse_logdet(a: F64) -> tuple[F64, F64]:
    """Inverse and log-determinant of SPD matrices ``(K, n, n)`` through Cholesky."""
    chol = np.linalg.cholesky(a)
    eye = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
    linv = np.linalg.solve(chol, eye)
    inv: F64 = np.swapaxes(linv, -1, -2) @ linv
    logdet = 2.0 * np.log(np.diagonal(chol, axis1=-2, axis2=-1)).sum(axis=-1)
    return inv, logdet


def information_update(
    x: F64,
    p: F64,
    track_idx: NDArray[np.int64],
    los: F64,
    sensor_pos: F64,
    sigma_rad: F64,
    tau: F64,
    *,
    iterations: int = 1,
    basis: F64 | None = None,
) -> tuple[F64, F64, F64]:
    """:func:`update_angles_multi`, also returning each track's measurement log-likelihood.

    The likelihood of all of a track's lines of sight ``N(y; 0, H P H^T + R)`` is
    evaluated at the first linearisation without forming the ``2G x 2G`` innovation
    covariance: by the Woodbury identity and the matrix determinant lemma,
    ``y^T S^-1 y = sum_i y_i^T R_i^-1 y_i - b^T P+ b`` with ``b = sum_i H_i^T R_i^-1 y_i``,
    and ``log det S = log det R + log det P - log det P+``.

    Returns
    -------
    x, p : (K, 6), (K, 6, 6)
    loglik : (K,)
        ``log N(y; 0, S) + (log det R + 2 G log 2 pi) / 2``: the terms that depend on the
        prior, so that the values of different priors given the same lines of sight (the
        modes of an IMM) compare; 0 for tracks without a line of sight.
    """
    k = x.shape[0]
    x_out, p_out = x.copy(), p.copy()
    loglik = np.zeros(k)
    if track_idx.size == 0:
        return x_out, p_out, loglik
    start = np.concatenate([[0], np.flatnonzero(np.diff(track_idx)) + 1])
    tracks = track_idx[start]
    pos = np.cumsum(np.concatenate([[0], (np.diff(track_idx) != 0).astype(np.int64)]))
    x0 = x[tracks]
    info0, logdet0 = _chol_inverse_logdet(symmetrize(p[tracks]))
    w = 1.0 / (sigma_rad * sigma_rad)
    xi = x0
    p_new = p[tracks]
    for it in range(max(1, iterations)):
        h, jac, _ = angles_model(xi[pos], los, sensor_pos, tau, basis)
        res = -h
        if it:
            res = res - np.einsum("gij,gj->gi", jac, (x0 - xi)[pos])
        j0, j1 = jac[:, 0], jac[:, 1]
        info_g = w[:, None, None] * (
            j0[:, :, None] * j0[:, None, :] + j1[:, :, None] * j1[:, None, :]
        )
        b_g = w[:, None] * (j0 * res[:, :1] + j1 * res[:, 1:])
        a = info0 + np.add.reduceat(info_g, start, axis=0)
        b = np.add.reduceat(b_g, start, axis=0)
        p_new, logdet_post = _chol_inverse_logdet(symmetrize(a))
        p_new = symmetrize(p_new)
        xi = x0 + np.einsum("kij,kj->ki", p_new, b)
        if it == 0:
            quad = np.add.reduceat(w * (res * res).sum(axis=1), start) - np.einsum(
                "ki,ki->k", b, xi - x0
            )
            # log det P+ = -log det(P+^-1)
            loglik[tracks] = -0.5 * (quad + logdet0 + logdet_post)
    x_out[tracks] = xi
    p_out[tracks] = p_new
    return x_out, p_out, loglik


def update_range(
    x: F64, p: F64, range_m: F64, sensor_pos: F64, sigma_range_m: F64, tau: ArrayLike = 0.0
) -> tuple[F64, F64, F64]:
    """Update K tracks with a measured range each (radar), EKF, Joseph form.

    Applied after :func:`update_angles` with the same detection: angle and range noises are
    independent, so the sequential update equals the joint one.
    """
    k = x.shape[0]
    tv = np.broadcast_to(np.asarray(tau, dtype=np.float64), (k,))
    d = x[:, :3] + tv[:, None] * x[:, 3:] - sensor_pos
    rho = np.linalg.norm(d, axis=1)
    u = d / rho[:, None]
    jac = np.concatenate([u, u * tv[:, None]], axis=1)[:, None, :]
    r = (sigma_range_m * sigma_range_m)[:, None, None]
    return kf_update(x, p, (range_m - rho)[:, None], jac, r)
