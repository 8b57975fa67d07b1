"""Initiation from one satellite: a range-parameterised bank of hypotheses.

One infrared satellite measures two angles; the range along its line of sight is not
observed in one frame and only weakly over several (through the satellite's motion and the
target's gravity-driven motion). Following Peach, "Bearings-only tracking using a set of
range-parameterised extended Kalman filters", IEE Proc. Control Theory Appl. 142(1), 1995,
a detection that no track and no triangulation explains starts ``n`` hypotheses along its
line of sight, at ranges in geometric progression between the nearest and farthest
plausible ones, each an EKF with a range spread proportional to its range (so each
filter's linearisation stays valid), the angular spread of the detection across the line
of sight, and zero velocity with ``initiation.velocity_sigma_mps`` per axis. The tracker updates
every hypothesis with its sensor's detections, sums their log-likelihoods, prunes the
unlikely ones, and keeps them ``tentative`` until a detection from a second sensor
associates (:func:`tracklayer.tracking.manager.advance`): one satellite alone never confirms
a track.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from tracklayer.constants import EARTH_MEAN_RADIUS_M
from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.detections import Frame, Pairs
from tracklayer.tracking.filters import angles_model
from tracklayer.tracking.manager import DELETED, TrackSet

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

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
        ``single_sensor.hypotheses`` (n), ``single_sensor.max_range_km``, altitude bounds
        of initiation (spherical Earth of mean radius) and ``initiation.velocity_sigma_mps``.

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
    n = config.single_sensor.hypotheses
    h_lo, h_hi = config.initiation.altitude_bounds_m
    r_far = config.single_sensor.max_range_km * 1e3
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
    p[..., [3, 4, 5], [3, 4, 5]] = config.initiation.velocity_sigma_mps**2
    return x, p, ok


def plausible(x: F64, sensor_pos: F64, los: F64, config: TrackingConfig) -> NDArray[np.bool_]:
    """Which (hypothesis, detection) pairs are fit to update: the hypothesis ``x`` (K, 6)
    at least :data:`MIN_RANGE_M` from the detection's sensor ``sensor_pos`` (K, 3), within
    :data:`MAX_OFF_AXIS_RAD` of its line of sight ``los`` (K, 3) (the gnomonic angles
    are singular at 90 deg, where a wide covariance could pass the gate), and within the
    initiation altitude bounds (spherical Earth of mean radius)."""
    h_lo, h_hi = config.initiation.altitude_bounds_m
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


def nearest_per_sensor(pairs: Pairs, sensor: I64) -> Pairs:
    """For each (track, sensor), the gated pair of least Mahalanobis distance.

    A bank's hypotheses lie on one line of sight and all gate the same detections: each
    takes its own nearest one per sensor instead of competing in the assignment.
    """
    if len(pairs) == 0:
        return pairs
    n_sens = int(sensor.max()) + 1
    key = pairs.track * n_sens + sensor[pairs.det]
    order = np.lexsort((pairs.d2, key))
    first = np.ones(order.size, dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    return Pairs(pairs.track[order[first]], pairs.det[order[first]], pairs.d2[order[first]])


def score(tracks: TrackSet, frame: Frame, pairs: Pairs) -> tuple[TrackSet, NDArray[np.bool_]]:
    """Add the log-likelihoods of hypotheses' detections; a second sensor ends the bank.

    Returns the tracks and which of them took a second sensor's detection: that hypothesis
    replaces its bank (its siblings are deleted) and counts M-of-N from now on, since one
    satellite's hits do not confirm.
    """
    det, bi, bd = frame.det, pairs.track, pairs.det
    h, jac, _ = angles_model(
        tracks.x[bi], det.los[bd], det.sensor_pos[bd], frame.tau[bd], frame.basis[bd]
    )
    s = jac @ tracks.p[bi] @ np.swapaxes(jac, -1, -2)
    s[:, [0, 1], [0, 1]] += det.sigma_rad[bd, None] ** 2
    d2 = np.einsum("gi,gi->g", h, np.linalg.solve(s, h[..., None])[..., 0])
    loglik = tracks.loglik.copy()
    np.add.at(loglik, bi, -0.5 * (d2 + np.log(np.linalg.det(s))))
    second = np.zeros(len(tracks), dtype=bool)
    second[bi[det.sensor[bd] != tracks.origin_sensor[bi]]] = True
    origin, group, status = tracks.origin_sensor.copy(), tracks.group.copy(), tracks.status.copy()
    ended = np.isin(group, group[second]) & ~second & (group >= 0)
    status[ended] = DELETED
    origin[second], group[second] = -1, -1
    history, age = tracks.history.copy(), tracks.age.copy()
    history[second], age[second] = 0, 0
    scored = replace(
        tracks,
        loglik=loglik,
        origin_sensor=origin,
        group=group,
        history=history,
        age=age,
        status=status,
    )
    return scored, second


def prune(tracks: TrackSet, hit: NDArray[np.bool_], config: TrackingConfig) -> TrackSet:
    """Delete hypotheses far less likely than their bank's best, or that missed a frame in
    which a sibling took a detection."""
    g = tracks.group
    inb = np.nonzero((g >= 0) & (tracks.status != DELETED))[0]
    if inb.size == 0:
        return tracks
    _, gl = np.unique(g[inb], return_inverse=True)
    best = np.full(gl.max() + 1, -np.inf)
    np.maximum.at(best, gl, np.where(hit[inb], tracks.loglik[inb], -np.inf))
    any_hit = np.isfinite(best)
    unlikely = tracks.loglik[inb] < best[gl] - config.single_sensor.prune_log_likelihood
    drop = any_hit[gl] & (~hit[inb] | unlikely)
    status = tracks.status.copy()
    status[inb[drop]] = DELETED
    return replace(tracks, status=status)
