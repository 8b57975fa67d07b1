"""Motion models of a tracked object, batched over tracks, in ECEF.

States are ``(K, 6)`` arrays ``[x, y, z, vx, vy, vz]`` (ECEF, m and m/s); covariances
``(K, 6, 6)``. Two models:

* ``ballistic``: free flight under gravity with J2 (Vallado, *Fundamentals of Astrodynamics
  and Applications*, 4th ed., eq. 8-30) in the rotating frame, so with the Coriolis
  ``-2 w x v`` and centrifugal ``-w x (w x r)`` accelerations (ibid. sec. 3.7), plus an
  optional drag ``-rho |v| v / (2 beta)`` in an exponential atmosphere (air at rest in
  ECEF).
* ``cv``: constant velocity.
* ``boost``: the ballistic model (without drag) plus a thrust acceleration of fixed
  magnitude along the velocity (a gravity turn: thrust along the velocity, Zarchan,
  *Tactical and Strategic Missile Guidance*, 6th ed., ch. 13); the unknown and growing
  thrust is left to a large process noise. Where the speed is small (a new track's
  velocity is unknown), the thrust turns towards the local vertical.
* ``glide``: equilibrium glide, the ballistic model plus a lift along the radial direction
  that keeps the rate of change of the geocentric distance constant,
  ``d^2|r|/dt^2 = a . r_hat + (|v|^2 - (v . r_hat)^2) / |r| = 0`` (the kinematic identity
  holds in the rotating frame with the ECEF acceleration ``a``); drag and manoeuvres are
  left to the process noise (a white-noise-jerk stand-in for a Singer model).

All use the continuous white-noise acceleration process noise (Bar-Shalom, Li and
Kirubarajan, *Estimation with Applications to Tracking and Navigation*, 2001, sec. 6.2.2).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tracklayer.constants import EARTH_MEAN_RADIUS_M, J2_EARTH, MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S
from tracklayer.constants import WGS84_A_M as _A

F64 = NDArray[np.float64]

#: Sea-level density and scale height of the drag model's exponential atmosphere
#: (US Standard Atmosphere 1976 fit below about 100 km), kg/m^3 and m.
RHO0_KG_M3 = 1.225
SCALE_HEIGHT_M = 7200.0

_OMEGA = np.array([0.0, 0.0, OMEGA_EARTH_RAD_S])


def ballistic_acceleration(r: F64, v: F64, beta_kg_m2: float | None = None) -> F64:
    """Acceleration of a coasting body in ECEF, ``(K, 3)`` m/s^2.

    Parameters
    ----------
    r, v : ndarray, shape (K, 3)
        ECEF position (m) and velocity (m/s).
    beta_kg_m2 : float, optional
        Ballistic coefficient ``m / (Cd A)``; ``None`` for no drag.
    """
    rn2 = np.einsum("ki,ki->k", r, r)
    rn = np.sqrt(rn2)
    inv_r3 = MU_EARTH_M3_S2 / (rn2 * rn)
    k = 1.5 * J2_EARTH * _A * _A / rn2
    s2 = 5.0 * r[:, 2] * r[:, 2] / rn2
    fxy = -inv_r3 * (1.0 + k * (1.0 - s2))
    fz = -inv_r3 * (1.0 + k * (3.0 - s2))
    w = OMEGA_EARTH_RAD_S
    a = np.empty_like(r)
    # gravity + centrifugal (w^2 (x, y, 0)) + Coriolis (-2 w x v, w along z)
    a[:, 0] = fxy * r[:, 0] + w * w * r[:, 0] + 2.0 * w * v[:, 1]
    a[:, 1] = fxy * r[:, 1] + w * w * r[:, 1] - 2.0 * w * v[:, 0]
    a[:, 2] = fz * r[:, 2]
    if beta_kg_m2 is not None:
        h = rn - EARTH_MEAN_RADIUS_M
        rho = RHO0_KG_M3 * np.exp(-np.clip(h, 0.0, None) / SCALE_HEIGHT_M)
        speed = np.sqrt(np.einsum("ki,ki->k", v, v))
        a -= (0.5 * rho * speed / beta_kg_m2)[:, None] * v
    return a


#: Speed below which the boost model's thrust turns towards the local vertical, m/s.
BOOST_VERTICAL_SPEED_MPS = 100.0

#: Motion models :func:`propagate` knows.
MOTIONS = ("ballistic", "cv", "boost", "glide")


def model_acceleration(
    r: F64, v: F64, motion: str, beta_kg_m2: float | None = None, thrust_mps2: float = 0.0
) -> F64:
    """Acceleration ``(K, 3)`` m/s^2 of the ``ballistic``, ``boost`` or ``glide`` model.

    Parameters
    ----------
    r, v : ndarray, shape (K, 3)
        ECEF position (m) and velocity (m/s).
    motion : {"ballistic", "boost", "glide"}
    beta_kg_m2 : float, optional
        Drag ballistic coefficient of the ballistic model; ``None``: no drag.
    thrust_mps2 : float
        Thrust acceleration of the boost model, m/s^2.
    """
    if motion == "ballistic":
        return ballistic_acceleration(r, v, beta_kg_m2)
    a = ballistic_acceleration(r, v)
    rn = np.sqrt(np.einsum("ki,ki->k", r, r))
    up = r / rn[:, None]
    if motion == "boost":
        d = v + BOOST_VERTICAL_SPEED_MPS * up
        d /= np.sqrt(np.einsum("ki,ki->k", d, d))[:, None]
        out: F64 = a + thrust_mps2 * d
        return out
    if motion == "glide":
        vr = np.einsum("ki,ki->k", v, up)
        radial = np.einsum("ki,ki->k", a, up) + (np.einsum("ki,ki->k", v, v) - vr * vr) / rn
        out = a - radial[:, None] * up
        return out
    raise ValueError(f"unknown motion model {motion!r}; expected one of {MOTIONS}")


def ballistic_jacobian(r: F64) -> F64:
    """Jacobian ``d[v, a]/d[r, v]`` of the ballistic model, ``(K, 6, 6)``.

    The gravity gradient is the point-mass one, ``mu/r^3 (3 r r^T/r^2 - I)``; the J2 and
    drag terms of the gradient are left out (a relative error of about 1e-3 in ``A``, far
    below the process noise over one frame).
    """
    kk = r.shape[0]
    rn2 = np.einsum("ki,ki->k", r, r)
    rn = np.sqrt(rn2)
    mu_r3 = MU_EARTH_M3_S2 / (rn2 * rn)
    g = (3.0 * mu_r3 / rn2)[:, None, None] * (r[:, :, None] * r[:, None, :])
    g[:, [0, 1, 2], [0, 1, 2]] -= mu_r3[:, None]
    w2 = OMEGA_EARTH_RAD_S**2
    g[:, 0, 0] += w2
    g[:, 1, 1] += w2
    a = np.zeros((kk, 6, 6))
    a[:, [0, 1, 2], [3, 4, 5]] = 1.0
    a[:, 3:, :3] = g
    a[:, 3, 4] = 2.0 * OMEGA_EARTH_RAD_S
    a[:, 4, 3] = -2.0 * OMEGA_EARTH_RAD_S
    return a


def _rk4(x: F64, h: F64, beta: float | None, motion: str = "ballistic", thrust: float = 0.0) -> F64:
    def f(s: F64) -> F64:
        acc = model_acceleration(s[:, :3], s[:, 3:], motion, beta, thrust)
        return np.concatenate([s[:, 3:], acc], 1)

    hh = h[:, None]
    k1 = f(x)
    k2 = f(x + 0.5 * hh * k1)
    k3 = f(x + 0.5 * hh * k2)
    k4 = f(x + hh * k3)
    out: F64 = x + hh / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return out


def propagate(
    x: F64,
    dt: ArrayLike,
    *,
    motion: str = "ballistic",
    max_step_s: float = 5.0,
    beta_kg_m2: float | None = None,
    with_jacobian: bool = True,
    thrust_mps2: float = 0.0,
) -> tuple[F64, F64 | None]:
    """States after ``dt`` seconds, and the state transition matrices.

    Parameters
    ----------
    x : ndarray, shape (K, 6)
        ECEF states, m and m/s.
    dt : float or array_like, shape (K,)
        Time step of each state, s (may be negative or zero).
    motion : {"ballistic", "cv", "boost", "glide"}
    max_step_s : float
        Longest RK4 sub-step of the non-linear models, s.
    beta_kg_m2 : float, optional
        Drag ballistic coefficient; ``None``: no drag.
    with_jacobian : bool
        Also return the transition matrices ``F = dx(t+dt)/dx(t)``.
    thrust_mps2 : float
        Thrust acceleration of the ``boost`` model, m/s^2.

    Returns
    -------
    x_new : ndarray, shape (K, 6)
    F : ndarray, shape (K, 6, 6), or None
        For the non-linear models, the product over sub-steps of the third-order series
        ``I + A h + (A h)^2/2 + (A h)^3/6`` of the ballistic Jacobian at the start of each
        sub-step (the gradients of thrust and lift are left out: they are of order
        ``a / |v|`` ~ 0.01 /s, inside the large process noise of those models).
    """
    x = np.asarray(x, dtype=np.float64)
    kk = x.shape[0]
    dtv = np.broadcast_to(np.asarray(dt, dtype=np.float64), (kk,))
    if motion == "cv":
        x_new = x.copy()
        x_new[:, :3] += dtv[:, None] * x[:, 3:]
        if not with_jacobian:
            return x_new, None
        f = np.broadcast_to(np.eye(6), (kk, 6, 6)).copy()
        f[:, [0, 1, 2], [3, 4, 5]] = dtv[:, None]
        return x_new, f
    if motion not in MOTIONS:
        raise ValueError(f"unknown motion model {motion!r}; expected one of {MOTIONS}")
    n_sub = max(1, int(np.ceil(np.max(np.abs(dtv), initial=0.0) / max_step_s)))
    h = dtv / n_sub
    f_tot = np.broadcast_to(np.eye(6), (kk, 6, 6)).copy() if with_jacobian else None
    eye = np.eye(6)
    for _ in range(n_sub):
        if f_tot is not None:
            ah = ballistic_jacobian(x[:, :3]) * h[:, None, None]
            ah2 = ah @ ah
            phi = eye + ah + 0.5 * ah2 + (ah2 @ ah) / 6.0
            f_tot = phi @ f_tot
        x = _rk4(x, h, beta_kg_m2, motion, thrust_mps2)
    return x, f_tot


def process_noise(dt: ArrayLike, q_m2_s3: float, k: int) -> F64:
    """Continuous white-noise acceleration process noise over ``dt``, ``(K, 6, 6)``.

    ``Q = q [[dt^3/3 I, dt^2/2 I], [dt^2/2 I, dt I]]`` (Bar-Shalom et al. 2001, eq. 6.2.2-12),
    with ``|dt|`` so that a backward step also adds uncertainty.
    """
    dtv = np.abs(np.broadcast_to(np.asarray(dt, dtype=np.float64), (k,)))
    q = np.zeros((k, 6, 6))
    idx = np.arange(3)
    q[:, idx, idx] = (q_m2_s3 * dtv**3 / 3.0)[:, None]
    q[:, idx + 3, idx + 3] = (q_m2_s3 * dtv)[:, None]
    q[:, idx, idx + 3] = (q_m2_s3 * dtv**2 / 2.0)[:, None]
    q[:, idx + 3, idx] = (q_m2_s3 * dtv**2 / 2.0)[:, None]
    return q
