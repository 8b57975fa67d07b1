"""Synthetic raids for verifying and benchmarking trackers without the sensing stage.

Satellites on circular orbits over a rotating Earth, ballistic threats in free flight
(gravity with J2, integrated by RK4 at a fine step), infrared lines of sight with
Gaussian angular noise, missed detections and false alarms uniform in each sensor's
nadir-pointing field of view. The tables follow DESIGN.md (``truth``, ``detections``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from tracklayer.constants import DEG, EARTH_MEAN_RADIUS_M, KM, MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S
from tracklayer.frames import ecef_to_geodetic, enu_basis, geodetic_to_ecef, utc_timestamps
from tracklayer.tracking.filters import tangent_basis
from tracklayer.tracking.motion import ballistic_acceleration

F64 = NDArray[np.float64]

EPOCH = datetime(2030, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Raid:
    """A synthetic raid's tables and arrays.

    Attributes
    ----------
    truth, detections : pyarrow.Table
        DESIGN.md tables (``detections`` has ``truth_id``).
    times_s : (T,) frame times, s since :data:`EPOCH`
    sat_pos : (S, T, 3) satellite ECEF positions, m
    target_state : (N, T, 6) ECEF states, NaN where the threat is not flying
    epoch : datetime
    """

    truth: pa.Table
    detections: pa.Table
    times_s: F64
    sat_pos: F64
    target_state: F64
    epoch: datetime


def satellite_positions(
    n_sats: int,
    times_s: F64,
    *,
    altitude_km: float = 1000.0,
    inclination_deg: float = 60.0,
    seed: int = 0,
) -> F64:
    """ECEF positions ``(S, T, 3)`` of satellites on circular orbits in evenly spaced planes."""
    rng = np.random.default_rng(seed)
    a = EARTH_MEAN_RADIUS_M + altitude_km * KM
    n_mean = np.sqrt(MU_EARTH_M3_S2 / a**3)
    planes = max(1, int(np.ceil(np.sqrt(n_sats))))
    raan = (np.arange(n_sats) % planes) * 2.0 * np.pi / planes
    m0 = rng.uniform(0.0, 2.0 * np.pi, n_sats)
    inc = inclination_deg * DEG
    m = m0[:, None] + n_mean * times_s[None, :]
    xo, yo = a * np.cos(m), a * np.sin(m)
    ci, si = np.cos(inc), np.sin(inc)
    cr, sr = np.cos(raan)[:, None], np.sin(raan)[:, None]
    x_eci = cr * xo - sr * ci * yo
    y_eci = sr * xo + cr * ci * yo
    z_eci = si * yo
    th = OMEGA_EARTH_RAD_S * times_s[None, :]
    c, s = np.cos(th), np.sin(th)
    return np.stack([c * x_eci + s * y_eci, -s * x_eci + c * y_eci, z_eci], axis=-1)


def ballistic_trajectories(
    n_threats: int,
    times_s: F64,
    *,
    launch_window_s: float = 60.0,
    seed: int = 0,
    lat_deg: float = 40.0,
    lon_deg: float = 127.0,
) -> F64:
    """States ``(N, T, 6)`` of ballistic threats after burnout; NaN before launch and after
    impact. Each starts at 100 km altitude near (lat, lon), 3.5-5 km/s, 35-50 deg flight path
    angle, heading 60-120 deg, at a random time in the launch window."""
    rng = np.random.default_rng(seed + 1)
    n_t = times_s.size
    lat = (lat_deg + rng.uniform(-2.0, 2.0, n_threats)) * DEG
    lon = (lon_deg + rng.uniform(-2.0, 2.0, n_threats)) * DEG
    r0 = geodetic_to_ecef(lat, lon, np.full(n_threats, 100.0 * KM))
    enu = enu_basis(lat, lon)  # (N, 3, 3) rows east, north, up
    speed = rng.uniform(3500.0, 5000.0, n_threats)
    gamma = rng.uniform(35.0, 50.0, n_threats) * DEG
    head = rng.uniform(60.0, 120.0, n_threats) * DEG
    v_enu = speed[:, None] * np.stack(
        [np.cos(gamma) * np.sin(head), np.cos(gamma) * np.cos(head), np.sin(gamma)], axis=1
    )
    v0 = np.einsum("nij,ni->nj", enu, v_enu)
    t_launch = times_s[0] + rng.uniform(0.0, launch_window_s, n_threats)
    out = np.full((n_threats, n_t, 6), np.nan)
    h = 0.25
    fine = np.arange(times_s[0], times_s[-1] + h, h)
    state = np.concatenate([r0, v0], axis=1)
    started = np.zeros(n_threats, dtype=bool)
    alive = np.ones(n_threats, dtype=bool)
    k_out = 0

    def f(s: F64) -> F64:
        return np.concatenate([s[:, 3:], ballistic_acceleration(s[:, :3], s[:, 3:])], axis=1)

    for t in fine:
        while k_out < n_t and times_s[k_out] <= t + 1e-9:
            # Sample the fine grid: sample times are multiples of h in every use here.
            live = started & alive
            out[live, k_out] = state[live]
            k_out += 1
        newly = ~started & (t_launch <= t)
        started |= newly
        live = started & alive
        if np.any(live):
            s = state[live]
            k1 = f(s)
            k2 = f(s + 0.5 * h * k1)
            k3 = f(s + 0.5 * h * k2)
            k4 = f(s + h * k3)
            state[live] = s + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
            _, _, alt = ecef_to_geodetic(state[:, :3])
            alive &= ~(started & (alt < 0.0))
    return out


def make_raid(
    n_threats: int = 5,
    n_sats: int = 12,
    *,
    duration_s: float = 120.0,
    step_s: float = 1.0,
    sigma_rad: float = 50e-6,
    pd: float = 0.95,
    false_alarms_per_frame: float = 0.5,
    fov_half_angle_deg: float = 60.0,
    max_range_km: float = 6000.0,
    owners: tuple[str, ...] = ("USA", "JPN"),
    altitude_km: float = 1000.0,
    seed: int = 0,
    threats_only: bool = False,
    sat_lat_deg: float | None = 40.0,
    launch_window_s: float = 60.0,
) -> Raid:
    """A raid seen by a constellation, as ``truth`` and ``detections`` tables.

    Parameters
    ----------
    n_threats, n_sats : int
        Numbers of ballistic threats and of infrared satellites.
    duration_s, step_s : float
        Span and frame period, s.
    sigma_rad : float
        Angular noise per axis, rad.
    pd : float
        Detection probability of a visible threat.
    false_alarms_per_frame : float
        Mean number of false alarms per sensor per frame (Poisson).
    fov_half_angle_deg : float
        Half-angle of the nadir cone in which false alarms fall, deg.
    max_range_km : float
        Farthest detectable threat, km.
    owners : tuple of str
        Owners, assigned to satellites in turn.
    sat_lat_deg : float, optional
        When given, satellites' orbit phases are chosen so that they start over the raid
        area (the constellation is rotated in longitude to put the area in view).
    threats_only : bool
        No satellites: skip detections (for trajectory tests).
    launch_window_s : float
        Threats launch at uniformly random times in this window from the start, s.
    """
    rng = np.random.default_rng(seed)
    times = np.arange(0.0, duration_s + 0.5 * step_s, step_s)
    states = ballistic_trajectories(n_threats, times, launch_window_s=launch_window_s, seed=seed)
    sats = satellite_positions(n_sats, times, altitude_km=altitude_km, seed=seed)
    if sat_lat_deg is not None and n_sats:
        # Rotate the constellation about the pole so that its mean sub-point at t=0 sits
        # near the raid, so that a small constellation sees the whole raid.
        near = sats[:, 0, :]
        mean_lon = np.arctan2(near[:, 1].mean(), near[:, 0].mean())
        rot = 127.0 * DEG - mean_lon
        c, s = np.cos(rot), np.sin(rot)
        sats = np.stack(
            [c * sats[..., 0] - s * sats[..., 1], s * sats[..., 0] + c * sats[..., 1],
             sats[..., 2]], axis=-1,
        )  # fmt: skip
    truth = _truth_table(states, times, EPOCH)
    if threats_only or n_sats == 0:
        return Raid(truth, pa.table({}), times, sats, states, EPOCH)
    det = _detections(
        states, sats, times, sigma_rad, pd, false_alarms_per_frame, fov_half_angle_deg,
        max_range_km * KM, owners, rng,
    )  # fmt: skip
    return Raid(truth, det, times, sats, states, EPOCH)


def _truth_table(states: F64, times: F64, epoch: datetime) -> pa.Table:
    n_idx, t_idx = np.nonzero(np.isfinite(states[..., 0]))
    s = states[n_idx, t_idx]
    lat, lon, alt = ecef_to_geodetic(s[:, :3])
    return pa.table(
        {
            "object_id": pa.array([f"T{i:03d}" for i in n_idx], pa.string()),
            "kind": pa.array(np.full(n_idx.size, "ballistic"), pa.string()),
            "time": utc_timestamps(epoch, times[t_idx]),
            "x": s[:, 0], "y": s[:, 1], "z": s[:, 2],
            "vx": s[:, 3], "vy": s[:, 4], "vz": s[:, 5],
            "lat_rad": lat, "lon_rad": lon, "alt_m": alt,
            "phase": pa.array(np.full(n_idx.size, "midcourse"), pa.string()),
        }
    )  # fmt: skip


def _noisy(u: F64, sigma: float, rng: np.random.Generator) -> F64:
    e = tangent_basis(u)
    n = rng.normal(0.0, sigma, (u.shape[0], 2))
    v = u + n[:, 0, None] * e[:, 0] + n[:, 1, None] * e[:, 1]
    out: F64 = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def _detections(
    states: F64, sats: F64, times: F64, sigma: float, pd: float, fa_rate: float,
    fov_deg: float, max_range_m: float, owners: tuple[str, ...], rng: np.random.Generator,
) -> pa.Table:  # fmt: skip
    n_sats = sats.shape[0]
    cols: dict[str, list[NDArray[np.generic]]] = {
        k: [] for k in ("t", "sat", "los", "spos", "truth")
    }
    cos_fov = np.cos(fov_deg * DEG)
    for k, t in enumerate(times):
        alive = np.nonzero(np.isfinite(states[:, k, 0]))[0]
        sp = sats[:, k]  # (S, 3)
        if alive.size:
            tp = states[alive, k, :3]  # (N, 3)
            d = tp[None, :, :] - sp[:, None, :]  # (S, N, 3)
            rng_m = np.linalg.norm(d, axis=2)
            u = d / rng_m[..., None]
            # Earth occlusion: the closest approach of the segment to the centre.
            tc = np.clip(-np.einsum("snj,sj->sn", u, sp), 0.0, rng_m)
            closest = sp[:, None, :] + tc[..., None] * u
            vis = (np.linalg.norm(closest, axis=2) > EARTH_MEAN_RADIUS_M) & (rng_m < max_range_m)
            vis &= rng.random(vis.shape) < pd
            si, ni = np.nonzero(vis)
            cols["t"].append(np.full(si.size, t))
            cols["sat"].append(si)
            cols["los"].append(_noisy(u[si, ni], sigma, rng))
            cols["spos"].append(sp[si])
            cols["truth"].append(alive[ni])
        n_fa = rng.poisson(fa_rate, n_sats)
        fs = np.repeat(np.arange(n_sats), n_fa)
        if fs.size:
            nadir = -sp[fs] / np.linalg.norm(sp[fs], axis=1, keepdims=True)
            e = tangent_basis(nadir)
            cos_t = rng.uniform(cos_fov, 1.0, fs.size)
            sin_t = np.sqrt(1.0 - cos_t**2)
            phi = rng.uniform(0.0, 2.0 * np.pi, fs.size)
            u_fa = (
                cos_t[:, None] * nadir
                + (sin_t * np.cos(phi))[:, None] * e[:, 0]
                + (sin_t * np.sin(phi))[:, None] * e[:, 1]
            )
            cols["t"].append(np.full(fs.size, t))
            cols["sat"].append(fs)
            cols["los"].append(u_fa)
            cols["spos"].append(sp[fs])
            cols["truth"].append(np.full(fs.size, -1))
    t = np.concatenate(cols["t"])
    sat = np.concatenate(cols["sat"]).astype(np.int64)
    los = np.concatenate(cols["los"]).astype(np.float64)
    spos = np.concatenate(cols["spos"]).astype(np.float64)
    tid = np.concatenate(cols["truth"]).astype(np.int64)
    n = t.size
    owner_arr = np.array(owners)[sat % len(owners)]
    truth_ids = [None if i < 0 else f"T{i:03d}" for i in tid.tolist()]
    return pa.table(
        {
            "det_id": pa.array(np.arange(n, dtype=np.int64)),
            "sensor_id": pa.array(np.char.add("SAT", np.char.zfill(sat.astype(str), 4))),
            "sensor_kind": pa.array(np.full(n, "ir"), pa.string()),
            "owner": pa.array(owner_arr, pa.string()),
            "time": utc_timestamps(EPOCH, t),
            "los_x": los[:, 0], "los_y": los[:, 1], "los_z": los[:, 2],
            "sensor_x": spos[:, 0], "sensor_y": spos[:, 1], "sensor_z": spos[:, 2],
            "sigma_rad": np.full(n, sigma),
            "snr": np.full(n, 10.0),
            "range_m": pa.nulls(n, pa.float64()),
            "sigma_range_m": pa.nulls(n, pa.float64()),
            "truth_id": pa.array(truth_ids, pa.string()),
        }
    )  # fmt: skip
