"""Predicted impacts: the fall against the Kepler conic, step convergence with J2 and
rotation, the unscented impact covariance against Monte Carlo, and the ellipse axes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tracklayer.constants import MU_EARTH_M3_S2, WGS84_A_M
from tracklayer.frames import ecef_to_geodetic, geodetic_to_ecef
from tracklayer.metrics.impact import ellipse_axes, fall_to_ground, predict_impacts


def _equatorial_state(alt_m: float, speed: float, gamma_deg: float) -> np.ndarray:
    """At longitude 0 on the equator, flying east in the equatorial plane."""
    r = WGS84_A_M + alt_m
    g = math.radians(gamma_deg)
    return np.array([r, 0.0, 0.0, speed * math.sin(g), speed * math.cos(g), 0.0])


def _kepler_range_angle(alt_m: float, speed: float, gamma_deg: float) -> tuple[float, float]:
    """Range angle (rad) and flight time (s) to radius a of a conic (vacuum, spherical
    gravity): orbit equation for the true anomalies, Kepler's equation for the time."""
    r0, g = WGS84_A_M + alt_m, math.radians(gamma_deg)
    h = r0 * speed * math.cos(g)
    p = h * h / MU_EARTH_M3_S2
    energy = speed * speed / 2 - MU_EARTH_M3_S2 / r0
    a = -MU_EARTH_M3_S2 / (2 * energy)
    e = math.sqrt(1 - p / a)
    nu0 = math.acos((p / r0 - 1) / e)  # ascending: 0 < nu0 < pi
    nu1 = 2 * math.pi - math.acos((p / WGS84_A_M - 1) / e)

    def mean_anomaly(nu: float) -> float:
        ecc_anomaly = 2 * math.atan2(
            math.sqrt(1 - e) * math.sin(nu / 2), math.sqrt(1 + e) * math.cos(nu / 2)
        )
        return ecc_anomaly - e * math.sin(ecc_anomaly)

    dm = (mean_anomaly(nu1) - mean_anomaly(nu0)) % (2 * math.pi)
    return nu1 - nu0, dm * math.sqrt(a**3 / MU_EARTH_M3_S2)


@pytest.mark.parametrize(
    ("alt_km", "speed", "gamma"), [(200.0, 5000.0, 30.0), (800.0, 6500.0, 5.0)]
)
def test_fall_matches_the_kepler_conic(alt_km: float, speed: float, gamma: float) -> None:
    """Reference: the two-body conic (orbit equation and Kepler's equation), with J2 and
    the Earth's rotation switched off; on the equator the WGS84 surface is the sphere of
    radius a. Tolerances: 20 m along the ground (1 s RK4 steps, the crossing interpolated
    linearly), 0.05 s in flight time."""
    state = _equatorial_state(alt_km * 1e3, speed, gamma)
    hit, t = fall_to_ground(state[None], j2=0.0, omega=0.0, step_s=1.0)
    angle, time_s = _kepler_range_angle(alt_km * 1e3, speed, gamma)
    lon = math.atan2(hit[0, 1], hit[0, 0]) % (2 * math.pi)
    assert abs(lon - angle) * WGS84_A_M < 20.0
    assert abs(t[0] - time_s) < 0.05


def test_step_convergence_with_j2_and_rotation() -> None:
    """Cross-method: 1 s steps against 0.25 s steps over a 1,500 km fall with J2 and the
    Earth's rotation: the impacts agree within 10 m."""
    start = geodetic_to_ecef(0.6, 2.0, 300e3)
    up = start / np.linalg.norm(start)
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    state = np.concatenate([start, 4000.0 * east + 1500.0 * up])[None]
    coarse, _ = fall_to_ground(state, step_s=1.0)
    fine, _ = fall_to_ground(state, step_s=0.25)
    assert np.linalg.norm(coarse - fine) < 10.0
    assert abs(ecef_to_geodetic(coarse)[2][0]) < 1.0


@pytest.mark.slow
def test_unscented_impact_covariance_matches_monte_carlo() -> None:
    """Cross-method: 4,000 draws of the state flown one by one give the impact's east and
    north spread; the unscented transform's standard deviations agree within 8 % (the
    draws' own sampling error is about 2 %) and the correlation within 0.05."""
    rng = np.random.default_rng(4)
    state = _equatorial_state(300e3, 5500.0, 20.0)
    state[5] = 200.0
    sigmas = np.array([300.0, 300.0, 300.0, 5.0, 5.0, 5.0])
    a = rng.normal(size=(6, 6)) * 0.3
    corr = np.eye(6) + a @ a.T
    d = np.sqrt(np.diag(corr))
    cov = corr / np.outer(d, d) * np.outer(sigmas, sigmas)
    pred = predict_impacts(state[None], cov[None])
    draws = rng.multivariate_normal(state, cov, size=4000)
    hits, _ = fall_to_ground(draws)
    lat, lon = pred.lat_rad[0], pred.lon_rad[0]
    from tracklayer.frames import enu_basis

    en = (hits - hits.mean(axis=0)) @ enu_basis(lat, lon)[:2].T
    mc = np.cov(en.T)
    ut = pred.cov_en_m2[0]
    np.testing.assert_allclose(np.sqrt(np.diag(ut)), np.sqrt(np.diag(mc)), rtol=0.08)
    r_ut = ut[0, 1] / math.sqrt(ut[0, 0] * ut[1, 1])
    r_mc = mc[0, 1] / math.sqrt(mc[0, 0] * mc[1, 1])
    assert abs(r_ut - r_mc) < 0.05
    mean_hit = geodetic_to_ecef(lat, lon, 0.0)
    assert np.linalg.norm(mean_hit - hits.mean(axis=0)) < 0.1 * math.sqrt(np.trace(mc))


def test_degenerate_covariances() -> None:
    """A singular covariance (one axis known exactly, one eigenvalue a rounding below 0)
    still predicts, with the same centre as a tiny regular one (1 m); a NaN covariance
    gives NaN, not an error."""
    state = _equatorial_state(300e3, 5000.0, 25.0)
    singular = np.diag([1e4, 1e4, 0.0, 1.0, 1.0, 0.0])
    singular[2, 2] = -1e-12
    tiny = np.eye(6) * 1e-6
    pred = predict_impacts(
        np.stack([state] * 3), np.stack([singular, tiny, np.full((6, 6), np.nan)])
    )
    assert abs(pred.lon_rad[0] - pred.lon_rad[1]) * WGS84_A_M < 1.0
    assert np.isfinite(pred.cov_en_m2[0]).all()
    assert np.isnan(pred.lat_rad[2])


def test_no_impact_gives_nan() -> None:
    """A circular orbit never falls: NaN, not an error."""
    r = WGS84_A_M + 500e3
    state = np.array([[r, 0, 0, 0, math.sqrt(MU_EARTH_M3_S2 / r), 0]])
    pred = predict_impacts(state, np.eye(6)[None] * 100.0, max_time_s=600.0)
    assert np.isnan(pred.lat_rad[0]) and np.isnan(pred.cov_en_m2[0]).all()
    assert np.isnan(ellipse_axes(pred.cov_en_m2)[0][0])


def test_ellipse_axes() -> None:
    """Reference: the chi-square quantile with 2 degrees of freedom, k = sqrt(-2 ln 0.05)
    = 2.4477 for 95 %; a north-south major axis has azimuth 0, an east-west one pi/2."""
    major, minor, azimuth = ellipse_axes(
        np.array([[[100.0, 0.0], [0.0, 400.0]], [[900.0, 0.0], [0.0, 1.0]]])
    )
    np.testing.assert_allclose(major, [2.4477 * 20.0, 2.4477 * 30.0], rtol=1e-4)
    np.testing.assert_allclose(minor, [2.4477 * 10.0, 2.4477 * 1.0], rtol=1e-4)
    np.testing.assert_allclose(azimuth, [0.0, math.pi / 2], atol=1e-12)
    with pytest.raises(ValueError, match="probability"):
        ellipse_axes(np.eye(2), probability=1.0)
