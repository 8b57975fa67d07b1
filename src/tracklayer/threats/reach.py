"""The reach of a boost-glide vehicle: the ground ranges its aim points may lie at.

A glider is flown once, from a launch point along an azimuth, toward an aim point far
beyond any reach (so that energy management never banks and it glides at ``(L/D)max``,
within its corridor and limits), with the full equations of motion of the flyout. Its reach
is:

* the nearest aim: the ground range where its pull-up ends (before it, from a release
  above the corridor, the glider has too little lift to steer or dive onto an aim);
* the farthest aim: the ground range where its speed falls to the planned terminal speed
  ``terminal_speed_km_s``, plus ``terminal_range_km`` covered by the dive.

Energy management plans every glide to that terminal speed, so an aim inside the reach is
flown to with speed in hand and an aim beyond it is refused before the flyout
(:func:`check_reach`). The reference glider is launched with the raid's cross-range
offset, so the reach pays for the turn back; the weave is not in it: the margin between
the terminal speed and :data:`~tracklayer.threats.guidance.MIN_GLIDE_SPEED_M_S` pays for
it. The reach is that of the raid's launch centre toward its aim centre; the aims drawn
around them are checked against it by their own ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracklayer.constants import EARTH_MEAN_RADIUS_M, KM
from tracklayer.errors import ScenarioError
from tracklayer.threats.boost import (
    H_BOOST_S,
    BoostControls,
    build_batch,
    fly_unguided,
    solve_release,
)
from tracklayer.threats.config import BallisticVehicleConfig, HGVConfig
from tracklayer.threats.dynamics import F64, FlightModel
from tracklayer.threats.earth import EarthModel, central_angle, destination
from tracklayer.threats.guidance import GLIDE, SUTTON_GRAVES_K, Guidance, glider_params
from tracklayer.threats.integrate import SampleSpec, fly

#: Longest reference glide, s.
REACH_FLIGHT_S = 5400.0
#: Step of the reference glide, s (the flyout's).
REACH_STEP_S = 2.0
#: Central angle of the far aim that the reference glider heads for, rad (about 16,000 km).
FAR_AIM_RAD = 2.5


@dataclass(frozen=True)
class GlideReach:
    """Ground ranges (m) a glider reaches from one launch point along one azimuth.

    ``release_m``: at release; ``min_m``: at the end of the pull-up, the nearest aim;
    ``terminal_m``: where its speed falls to the terminal speed;
    ``max_m``: ``terminal_m`` plus the terminal range; ``glide_time_s``: release to
    terminal speed; ``peak_heat_w_m2`` and ``peak_q_pa``: the largest stagnation heat flux
    and dynamic pressure of the glide.
    """

    release_m: float
    min_m: float
    terminal_m: float
    max_m: float
    glide_time_s: float
    peak_heat_w_m2: float
    peak_q_pa: float


def glide_reach(
    cfg: HGVConfig,
    lat: float,
    lon: float,
    azimuth: float,
    earth: EarthModel,
    where: str,
    controls: BoostControls | None = None,
    offset: float = 0.0,
) -> GlideReach:
    """Fly the reference glide of ``cfg`` from ``lat``, ``lon`` along ``azimuth`` (rad).

    ``controls`` are the booster's solved release steering (solved here when omitted);
    ``offset`` (rad) turns the launch azimuth off the aim's bearing, as a raid's
    cross-range offset does, so that the reach pays for the turn back.

    Raises
    ------
    ScenarioError
        When the booster cannot reach the release conditions, naming ``where``.
    """
    la, lo, az = np.array([lat]), np.array([lon]), np.array([azimuth])
    ctl = controls if controls is not None else solve_release(cfg, la, lo, az, earth, where)
    ctl = BoostControls(ctl.kick[:1], az + offset, ctl.alpha[:1], ctl.cutoff[:1])
    batch, r0 = build_batch(cfg, la, lo, ctl, earth)
    far_lat, far_lon = destination(la, lo, az, np.array([FAR_AIM_RAD]))
    params = glider_params(cfg, earth.ecef(far_lat, far_lon, np.zeros(1)), np.zeros(1))
    count = int(REACH_FLIGHT_S)
    samples = SampleSpec(np.zeros(1), 1.0, np.array([count]), np.zeros(1, np.int64), count)
    traj = fly(
        FlightModel(earth, batch),
        Guidance(params),
        r0,
        np.zeros((3, 1)),
        samples,
        np.array([REACH_FLIGHT_S]),
        h_boost=H_BOOST_S,
        h_max=REACH_STEP_S,
    )
    ok = traj.filled
    pos, vel = traj.pos[:, ok], traj.vel[:, ok]
    t = np.flatnonzero(ok).astype(np.float64)
    speed = np.sqrt((vel * vel).sum(axis=0))
    lat_s, lon_s = earth.geodetic(pos)[:2]
    ground = central_angle(la, lo, lat_s, lon_s) * EARTH_MEAN_RADIUS_M
    gliding = t >= batch.sep_time[0]
    k_rel = int(np.argmax(gliding))
    steering = gliding & (traj.phase[ok] >= GLIDE)
    k_min = int(np.argmax(steering)) if steering.any() else k_rel
    slow = gliding & (speed <= cfg.terminal_speed_km_s * KM)
    k_end = int(np.argmax(slow)) if slow.any() else int(t.size - 1)
    alt = earth.altitude_fast(pos, np.sqrt((pos * pos).sum(axis=0)))
    rho = np.zeros_like(alt) if earth.atmosphere is None else earth.atmosphere.density(alt)
    glide = slice(k_rel, k_end + 1)
    heat = SUTTON_GRAVES_K * np.sqrt(rho[glide] / cfg.nose_radius_m) * speed[glide] ** 3
    return GlideReach(
        release_m=float(ground[k_rel]),
        min_m=float(ground[k_min]),
        terminal_m=float(ground[k_end]),
        max_m=float(ground[k_end] + cfg.terminal_range_km * KM),
        glide_time_s=float(t[k_end] - t[k_rel]),
        peak_heat_w_m2=float(heat.max(initial=0.0)),
        peak_q_pa=float((0.5 * rho[glide] * speed[glide] ** 2).max(initial=0.0)),
    )


def check_reach(reach: GlideReach, ranges_m: F64, aim_lat: F64, aim_lon: F64, where: str) -> None:
    """Refuse aim points (rad) whose ground ranges from launch (m) lie outside the reach.

    Raises
    ------
    ScenarioError
        Naming ``where``, the first aim out of reach, its range and the reach.
    """
    bad = np.flatnonzero((ranges_m > reach.max_m) | (ranges_m < reach.min_m))
    if bad.size == 0:
        return
    i = int(bad[0])
    side = "beyond the farthest" if ranges_m[i] > reach.max_m else "nearer than the nearest"
    raise ScenarioError(
        f"{where}: aim point {np.rad2deg(aim_lat[i]):.2f}, {np.rad2deg(aim_lon[i]):.2f} is "
        f"{ranges_m[i] / KM:.0f} km from its launch point, {side} aim the glider can reach "
        f"(from {reach.min_m / KM:.0f} km, the end of its pull-up, to "
        f"{reach.max_m / KM:.0f} km, "
        f"gliding at maximum L/D down to the terminal speed); {bad.size} of "
        f"{ranges_m.size} aim points are out of reach. Move the aim area, or change the "
        "release speed, the lift-to-drag ratio or the stages."
    )


def ballistic_max_range(
    cfg: BallisticVehicleConfig, lat: float, lon: float, azimuth: float, earth: EarthModel
) -> float:
    """Longest ground range (m) of a missile at full burn over a grid of pitch-over kicks.

    One batched flight of 60 missiles launched from ``lat``, ``lon`` along ``azimuth``
    (rad) with kicks from 0.5 to 60 deg; the best kick's impact range (refined no
    further: the grid step changes the range by well under 1 %).
    """
    kicks = np.deg2rad(np.linspace(0.5, 60.0, 60))
    n = kicks.size
    ones = np.ones(n)
    ctl = BoostControls(kicks, azimuth * ones, 0.0 * ones, ones)
    traj, _ = fly_unguided(cfg, lat * ones, lon * ones, ctl, earth, to_impact=True)
    lat_i, lon_i = earth.geodetic(traj.impact_pos)[:2]
    ground = central_angle(lat * ones, lon * ones, lat_i, lon_i) * EARTH_MEAN_RADIUS_M
    return float(np.nanmax(ground))
