"""Where lines of sight meet: least-squares intersection with its covariance.

A detection ``i`` says the target lies on the ray ``s_i + rho u_i``. With
``M_i = I - u_i u_i^T`` (the projector perpendicular to the ray) the weighted
least-squares point minimises ``sum_i w_i |M_i (r - s_i)|^2``, whose normal equations are
``(sum w_i M_i) r = sum w_i M_i s_i`` (Hartley and Zisserman, *Multiple View Geometry*,
2nd ed., sec. 12.2, in its linear form). With ``w_i = 1 / sigma_perp,i^2``, where the
perpendicular standard deviation is ``sigma_rad rho_i`` plus the time-alignment term
``v_max |tau_i| / sqrt(3)`` (the target moves up to ``v_max |tau|`` between a detection's
time and the frame's), the covariance of the point is ``(sum w_i M_i)^-1`` and the weighted
residual is chi-square with ``2M - 3`` degrees of freedom.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]


def closest_points(u1: F64, s1: F64, u2: F64, s2: F64) -> tuple[F64, F64, F64, F64]:
    """Closest points of pairs of lines ``s1 + t1 u1`` and ``s2 + t2 u2``.

    Parameters
    ----------
    u1, u2 : ndarray, shape (P, 3)
        Unit directions.
    s1, s2 : ndarray, shape (P, 3)
        Line origins (sensor positions), m.

    Returns
    -------
    t1, t2 : ndarray, shape (P,)
        Ranges along each line to its closest point, m (NaN for parallel lines).
    miss : ndarray, shape (P,)
        Distance between the two closest points, m.
    sin_angle : ndarray, shape (P,)
        Sine of the angle between the lines.
    """
    w0 = s1 - s2
    b = np.einsum("pi,pi->p", u1, u2)
    d = np.einsum("pi,pi->p", u1, w0)
    e = np.einsum("pi,pi->p", u2, w0)
    denom = 1.0 - b * b
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (b * e - d) / denom
        t2 = (e - b * d) / denom
    gap = (s1 + t1[:, None] * u1) - (s2 + t2[:, None] * u2)
    miss = np.linalg.norm(gap, axis=1)
    return t1, t2, miss, np.sqrt(np.clip(denom, 0.0, None))


def triangulate(
    los: F64,
    sensor_pos: F64,
    sigma_rad: F64,
    valid: NDArray[np.bool_],
    tau: F64 | None = None,
    max_speed_mps: float = 0.0,
    iterations: int = 3,
) -> tuple[F64, F64, F64, NDArray[np.int64]]:
    """Weighted least-squares intersection of groups of lines of sight.

    Parameters
    ----------
    los : ndarray, shape (J, M, 3)
        Unit lines of sight (ECEF), up to ``M`` per group (padding rows masked out).
    sensor_pos : ndarray, shape (J, M, 3)
        Sensor positions, ECEF m.
    sigma_rad : ndarray, shape (J, M)
        Angular standard deviation per axis, rad.
    valid : ndarray of bool, shape (J, M)
        Which rows are real lines; each group needs two non-parallel ones.
    tau : ndarray, shape (J, M), optional
        Detection time minus the time of the returned point, s.
    max_speed_mps : float
        Speed bound of the target for the time-alignment term, m/s.
    iterations : int
        Re-weightings with the ranges of the previous solution (the first solve weighs all
        lines equally).

    Returns
    -------
    r : ndarray, shape (J, 3)
        Intersection points, ECEF m.
    cov : ndarray, shape (J, 3, 3)
        Their covariances, m^2.
    chi2 : ndarray, shape (J,)
        Weighted squared residual.
    dof : ndarray of int, shape (J,)
        Its degrees of freedom, ``2 M_valid - 3``.
    """
    vm = valid.astype(np.float64)
    proj = np.eye(3) - los[..., :, None] * los[..., None, :]  # (J, M, 3, 3)
    sig2 = sigma_rad * sigma_rad
    align = np.zeros_like(sig2) if tau is None else (max_speed_mps * tau) ** 2 / 3.0
    w = vm / np.where(valid, sig2, 1.0)
    r = np.zeros((los.shape[0], 3))
    a = np.zeros((los.shape[0], 3, 3))
    for _ in range(iterations + 1):
        a = np.einsum("jm,jmab->jab", w, proj)
        b = np.einsum("jm,jmab,jmb->ja", w, proj, sensor_pos)
        r = np.linalg.solve(a, b[..., None])[..., 0]
        rho = np.einsum("jmi,jmi->jm", los, r[:, None, :] - sensor_pos)
        rho = np.maximum(np.abs(rho), 1.0)
        w = vm / np.where(valid, sig2 * rho * rho + align, 1.0)
    perp = np.einsum("jmab,jmb->jma", proj, r[:, None, :] - sensor_pos)
    chi2 = np.einsum("jm,jma,jma->j", w, perp, perp)
    cov = np.linalg.inv(a)
    cov_sym = np.asarray(0.5 * (cov + np.swapaxes(cov, -1, -2)), dtype=np.float64)
    dof: NDArray[np.int64] = (2 * valid.sum(axis=1) - 3).astype(np.int64)
    return r, cov_sym, np.asarray(chi2, np.float64), dof
