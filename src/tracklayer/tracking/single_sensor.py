"""Initiation from one satellite: a range-parameterised bank of hypotheses.

One infrared satellite measures two angles; the range along its line of sight is not
observed in one frame and only weakly over several (through the satellite's motion and the
target's gravity-driven motion). Following Peach, "Bearings-only tracking using a set of
range-parameterised extended Kalman filters", IEE Proc. Control Theory Appl. 142(1), 1995,
a detection that no track and no triangulation explains starts ``n`` hypotheses along its
line of sight, at ranges in geometric progression between the nearest and farthest
plausible ones, each an EKF with a range spread proportional to its range (so each
filter's linearisation stays valid), the angular spread of the detection across the line
of sight, and zero velocity with ``init_velocity_sigma_mps`` per axis. The tracker updates
every hypothesis with its sensor's detections, sums their log-likelihoods, prunes the
unlikely ones, and keeps them ``tentative`` until a detection from a second sensor
associates (:func:`tracklayer.tracking.manager.advance`): one satellite alone never confirms
a track.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tracklayer.constants import EARTH_MEAN_RADIUS_M
from tracklayer.tracking.config import TrackingConfig

F64 = NDArray[np.float64]

#: Nearest range of a hypothesis, m (a target closer than this to a satellite is not a
#: missile-warning case, and the geometric progression needs a positive start).
MIN_RANGE_M = 50_000.0

#: Largest angle between a hypothesis' direction from a sensor and a detection's line of
#: sight for the pair to update it, rad (0.2 rad: far outside any gate of a useful track).
MAX_OFF_AXIS_RAD = 0.2


def _shell_ranges(los: F64, sensor_pos: F64, radius_m: float) -> tuple[F64, F64]:
    """Ranges where each line ``s + r u`` crosses the sphere of ``radius_m``; NaN if none.

    Roots of ``r^2 + 2 r (s . u) + |s|^2 - R^2 = 0`` (``u`` unit), smaller root first.
    """
    b = np.einsum("di,di->d", sensor_pos, los)
    c = np.einsum("di,di->d", sensor_pos, sensor_pos) - radius_m**2
    disc = b * b - c
    root = np.sqrt(np.where(disc >= 0.0, disc, np.nan))
    return -b - root, -b + root


def range_bank(
    los: F64, sensor_pos: F64, sigma_rad: F64, config: TrackingConfig
) -> tuple[F64, F64, NDArray[np.bool_]]:
    """Range hypotheses along each line of sight.

    Parameters
    ----------
    los : ndarray, shape (D, 3)
        Unit lines of sight, ECEF.
    sensor_pos : ndarray, shape (D, 3)
        Sensor positions, ECEF m.
    sigma_rad : ndarray, shape (D,)
        Angular standard deviation per axis, rad.
    config : TrackingConfig
        ``single_sensor_hypotheses`` (n), ``single_sensor_max_range_km``, altitude bounds
        of initiation (spherical Earth of mean radius) and ``init_velocity_sigma_mps``.

    Returns
    -------
    x : ndarray, shape (D, n, 6)
        Hypotheses' states (ECEF position on the line of sight, zero velocity).
    p : ndarray, shape (D, n, 6, 6)
        Their covariances: along the line, ``sigma_r = r (sqrt(rho) - 1/sqrt(rho)) / sqrt(12)``
        (the spread of a uniform density over the hypothesis' share of the range interval,
        ``rho`` the progression's ratio); across it, ``(r sigma)^2``.
    ok : ndarray of bool, shape (D,)
        Lines of sight with a non-empty plausible range interval.
    """
    n = config.single_sensor_hypotheses
    h_lo, h_hi = config.init_altitude_bounds_m
    r_far = config.single_sensor_max_range_km * 1e3
    # Farthest: where the line enters the lowest altitude (the Earth), else leaves the
    # highest; nearest: where it enters the highest altitude when it starts above it.
    lo_in, _ = _shell_ranges(los, sensor_pos, EARTH_MEAN_RADIUS_M + max(h_lo, 0.0))
    hi_in, hi_out = _shell_ranges(los, sensor_pos, EARTH_MEAN_RADIUS_M + h_hi)
    r_max = np.where(np.isfinite(lo_in) & (lo_in > 0.0), lo_in, hi_out)
    r_max = np.fmin(np.nan_to_num(r_max, nan=r_far), r_far)
    above = np.linalg.norm(sensor_pos, axis=1) > EARTH_MEAN_RADIUS_M + h_hi
    r_min = np.maximum(np.where(above, np.nan_to_num(hi_in, nan=np.inf), 0.0), MIN_RANGE_M)
    ok = r_max > r_min * 1.01
    r_max = np.where(ok, r_max, r_min * 2.0)
    log_rho = np.log(r_max / r_min) / n
    r = r_min[:, None] * np.exp(log_rho[:, None] * (np.arange(n) + 0.5))  # (D, n)
    half = np.exp(0.5 * log_rho)[:, None]
    sig_r = r * (half - 1.0 / half) / np.sqrt(12.0)
    x = np.zeros((los.shape[0], n, 6))
    x[..., :3] = sensor_pos[:, None, :] + r[..., None] * los[:, None, :]
    uu = los[:, None, :, None] * los[:, None, None, :]  # (D, 1, 3, 3)
    cross = (r * sigma_rad[:, None]) ** 2
    p = np.zeros((los.shape[0], n, 6, 6))
    p[..., :3, :3] = sig_r[..., None, None] ** 2 * uu + cross[..., None, None] * (np.eye(3) - uu)
    p[..., [3, 4, 5], [3, 4, 5]] = config.init_velocity_sigma_mps**2
    return x, p, ok


def plausible(x: F64, sensor_pos: F64, los: F64, config: TrackingConfig) -> NDArray[np.bool_]:
    """Which (hypothesis, detection) pairs are fit to update: the hypothesis ``x`` (K, 6)
    at least :data:`MIN_RANGE_M` from the detection's sensor ``sensor_pos`` (K, 3), within
    :data:`MAX_OFF_AXIS_RAD` of its line of sight ``los`` (K, 3) (the gnomonic angles
    are singular at 90 deg, where a wide covariance could pass the gate), and within the
    initiation altitude bounds (spherical Earth of mean radius)."""
    h_lo, h_hi = config.init_altitude_bounds_m
    alt = np.linalg.norm(x[:, :3], axis=1) - EARTH_MEAN_RADIUS_M
    d = x[:, :3] - sensor_pos
    rng = np.linalg.norm(d, axis=1)
    along = np.einsum("ki,ki->k", d, los)
    out: NDArray[np.bool_] = (
        (rng >= MIN_RANGE_M)
        & (along >= np.cos(MAX_OFF_AXIS_RAD) * rng)
        & (alt >= h_lo)
        & (alt <= h_hi)
    )
    return out
