"""Predicted impact points of tracks, with their ground uncertainty (the impact area).

From a track's ECEF state and covariance, each object is flown ballistically to the
WGS84 ellipsoid: point-mass plus J2 gravity in the rotating Earth-fixed frame, with the
Coriolis and centrifugal terms (Vallado, *Fundamentals of Astrodynamics and
Applications*, 4th ed., eq. 8-31 for J2; the rotating-frame equation
``a = g(r) - 2 w x v - w x (w x r)``), fourth-order Runge-Kutta at a fixed step, the
crossing of zero geodetic height interpolated linearly between steps. The state's
uncertainty goes through the same flight as the 13 sigma points of the unscented
transform (Julier and Uhlmann, Proc. IEEE 92(3), 2004, with ``kappa = 0``, the points at
``±sqrt(6) sqrt(P)`` columns): the impact's east/north covariance (m²) at the mean impact,
and from it the ellipse holding the impact with a given probability (``k² = -2 ln(1-p)``,
the chi-square quantile with two degrees of freedom).

Validity: ballistic flight only. No drag (a re-entry vehicle's drag moves the impact by
kilometres below about 60 km for low ballistic coefficients), no thrust (a state in boost
predicts where the object would fall if the motor stopped now), no lift (a glider's
prediction is the ballistic fall from its state, not where it is going). States whose
fall does not reach the ground within ``max_time_s`` (orbits, escape) give NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tracklayer.constants import J2_EARTH, MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S, WGS84_A_M
from tracklayer.frames import ecef_to_geodetic, enu_basis

__all__ = ["PredictedImpact", "ellipse_axes", "fall_to_ground", "predict_impacts"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PredictedImpact:
    """Impact predictions of K states.

    Attributes
    ----------
    lat_rad, lon_rad : ndarray, shape (K,)
        Geodetic latitude and longitude of the mean impact (NaN: no impact predicted).
    time_s : ndarray, shape (K,)
        Seconds from the state's time to the impact.
    cov_en_m2 : ndarray, shape (K, 2, 2)
        Covariance of the impact's east and north offsets at the mean impact, m².
    """

    lat_rad: FloatArray
    lon_rad: FloatArray
    time_s: FloatArray
    cov_en_m2: FloatArray


def _acceleration(r: FloatArray, v: FloatArray, mu: float, j2: float, omega: float) -> FloatArray:
    """Gravity (point mass plus J2) and the rotating frame's terms in ECEF, m/s², (..., 3)."""
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    r2 = x * x + y * y + z * z
    rn = np.sqrt(r2)
    zr2 = z * z / r2
    k = 1.5 * j2 * (WGS84_A_M**2) / r2
    base = -mu / (r2 * rn)
    ax = base * x * (1.0 + k * (1.0 - 5.0 * zr2))
    ay = base * y * (1.0 + k * (1.0 - 5.0 * zr2))
    az = base * z * (1.0 + k * (3.0 - 5.0 * zr2))
    ax = ax + 2.0 * omega * v[..., 1] + omega * omega * x
    ay = ay - 2.0 * omega * v[..., 0] + omega * omega * y
    return np.stack([ax, ay, az], axis=-1)


def fall_to_ground(
    states: FloatArray,
    *,
    step_s: float = 1.0,
    max_time_s: float = 3600.0,
    j2: float = J2_EARTH,
    omega: float = OMEGA_EARTH_RAD_S,
) -> tuple[FloatArray, FloatArray]:
    """Fly ECEF states (..., 6), m and m/s, ballistically to zero geodetic height.

    Returns
    -------
    r_impact : ndarray, shape (..., 3)
        ECEF impact points, m (NaN where no impact within ``max_time_s``).
    time_s : ndarray, shape (...)
        Flight times to the impact, s.
    """
    s = np.asarray(states, dtype=np.float64)
    shape = s.shape[:-1]
    r, v = s.reshape(-1, 6)[:, :3].copy(), s.reshape(-1, 6)[:, 3:].copy()
    hit_r = np.full(r.shape, np.nan)
    hit_t = np.full(r.shape[0], np.nan)
    alt = ecef_to_geodetic(r)[2]
    alive = np.isfinite(alt) & (alt > 0.0)
    t = 0.0

    def f(rr: FloatArray, vv: FloatArray) -> tuple[FloatArray, FloatArray]:
        return vv, _acceleration(rr, vv, MU_EARTH_M3_S2, j2, omega)

    # One step for every live state at once; the loop is over time steps of the fall.
    while alive.any() and t < max_time_s:
        i = np.flatnonzero(alive)
        r0, v0 = r[i], v[i]
        k1r, k1v = f(r0, v0)
        k2r, k2v = f(r0 + 0.5 * step_s * k1r, v0 + 0.5 * step_s * k1v)
        k3r, k3v = f(r0 + 0.5 * step_s * k2r, v0 + 0.5 * step_s * k2v)
        k4r, k4v = f(r0 + step_s * k3r, v0 + step_s * k3v)
        r1 = r0 + step_s / 6.0 * (k1r + 2 * k2r + 2 * k3r + k4r)
        v1 = v0 + step_s / 6.0 * (k1v + 2 * k2v + 2 * k3v + k4v)
        alt1 = ecef_to_geodetic(r1)[2]
        down = alt1 <= 0.0
        if down.any():
            frac = (alt[i][down] / (alt[i][down] - alt1[down]))[:, None]
            hit_r[i[down]] = r0[down] + frac * (r1[down] - r0[down])
            hit_t[i[down]] = t + frac[:, 0] * step_s
            alive[i[down]] = False
        r[i], v[i], alt[i] = r1, v1, alt1
        t += step_s
    return hit_r.reshape(*shape, 3), hit_t.reshape(shape)


def _sigma_points(mean: FloatArray, cov: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Unscented points (K, 13, 6) and weights (13,) with kappa = 0 (n = 6).

    The square root is the symmetric one from the eigendecomposition, negative
    eigenvalues (rounding in a nearly singular covariance) clipped to zero; a state or
    covariance that is not finite gives NaN points."""
    n = mean.shape[-1]
    usable: NDArray[np.bool_] = np.asarray(
        np.isfinite(mean).all(axis=-1) & np.isfinite(cov).all(axis=(-2, -1)), dtype=np.bool_
    )
    values, vectors = np.linalg.eigh(np.where(usable[:, None, None], cov, np.eye(n)) * n)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))[:, None, :]  # root @ root.T = n P
    offsets = np.concatenate([root.transpose(0, 2, 1), -root.transpose(0, 2, 1)], axis=1)
    points = np.concatenate([mean[:, None, :], mean[:, None, :] + offsets], axis=1)
    points[~usable] = np.nan
    weights = np.full(2 * n + 1, 1.0 / (2 * n))
    weights[0] = 0.0
    return points, weights


def predict_impacts(
    states: FloatArray, covariances: FloatArray, *, step_s: float = 1.0, max_time_s: float = 3600.0
) -> PredictedImpact:
    """Predicted impacts of K tracks and their east/north covariance (see the module doc).

    Parameters
    ----------
    states : ndarray, shape (K, 6)
        ECEF positions (m) and velocities (m/s).
    covariances : ndarray, shape (K, 6, 6)
        State covariances, m², m²/s, m²/s² (symmetric positive definite).
    """
    mean = np.asarray(states, dtype=np.float64).reshape(-1, 6)
    cov = np.asarray(covariances, dtype=np.float64).reshape(-1, 6, 6)
    points, weights = _sigma_points(mean, 0.5 * (cov + cov.transpose(0, 2, 1)))
    hits, times = fall_to_ground(points, step_s=step_s, max_time_s=max_time_s)
    ok: NDArray[np.bool_] = np.asarray(np.isfinite(hits).all(axis=(1, 2)), dtype=np.bool_)
    centre = np.einsum("s,ksj->kj", weights, np.where(ok[:, None, None], hits, 0.0))
    centre[~ok] = np.nan
    lat, lon, _ = ecef_to_geodetic(centre)
    lat, lon = np.asarray(lat), np.asarray(lon)
    basis = enu_basis(np.nan_to_num(lat), np.nan_to_num(lon))  # (K, 3, 3): rows E, N, U
    offsets = np.einsum("kij,ksj->ksi", basis[:, :2, :], hits - centre[:, None, :])
    cov_en = np.einsum("s,ksi,ksj->kij", weights, offsets, offsets)
    cov_en[~ok] = np.nan
    time_s = np.einsum("s,ks->k", weights, np.where(ok[:, None], times, 0.0))
    time_s[~ok] = np.nan
    return PredictedImpact(lat, lon, time_s, cov_en)


def ellipse_axes(cov_en_m2: FloatArray, probability: float = 0.95) -> tuple[FloatArray, ...]:
    """Semi-major and semi-minor axes (m) and the major axis's azimuth (rad, from north
    through east) of the ellipse holding a 2-D Gaussian with ``probability``."""
    if not 0.0 < probability < 1.0:
        raise ValueError(f"probability must be in (0, 1), got {probability}")
    scale = math.sqrt(-2.0 * math.log(1.0 - probability))
    values, vectors = np.linalg.eigh(np.nan_to_num(np.asarray(cov_en_m2, dtype=np.float64)))
    major = scale * np.sqrt(np.clip(values[..., 1], 0.0, None))
    minor = scale * np.sqrt(np.clip(values[..., 0], 0.0, None))
    azimuth = np.arctan2(vectors[..., 0, 1], vectors[..., 1, 1]) % np.pi
    bad = ~np.isfinite(np.asarray(cov_en_m2)).all(axis=(-2, -1))
    major[bad], minor[bad], azimuth[bad] = np.nan, np.nan, np.nan
    return major, minor, azimuth
