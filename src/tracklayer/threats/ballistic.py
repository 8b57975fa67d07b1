"""Ballistic missile: staged boost, gravity turn, free flight with drag, re-entry, impact.

Given a launch point and an aim point, the missile flies a minimum-energy, lofted or
depressed trajectory. The shape is set by the burnout flight-path angle of the inertial
velocity (``v + w x r``, the velocity of the Kepler problem the angle belongs to): the
minimum-energy angle of the vacuum spherical-Earth problem, ``gamma* = (pi - Psi) / 4``
for a range angle ``Psi`` (Wheelon, "Free flight of a ballistic missile", ARS Journal
29, 1959; Regan & Anandakrishnan 1993, sec. 3.4), raised (lofted) or lowered
(depressed) by the raid's ``trajectory_offset_deg``. The kick angle, launch azimuth and
last-stage cut-off are then solved per missile, all missiles at once, so that burnout
has that flight-path angle and the impact falls on the aim point over the real Earth
(rotation, J2 and drag included).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tracklayer.errors import ScenarioError
from tracklayer.threats.boost import (
    BoostControls,
    fly_unguided,
    inertial_velocity,
    newton_solve,
    speed_gamma_alt,
    stage_events_ok,
)
from tracklayer.threats.config import BallisticVehicleConfig
from tracklayer.threats.dynamics import F64
from tracklayer.threats.earth import EarthModel, bearing, central_angle, enu_basis

#: Impact tolerance of the shooting solve, m.
MISS_TOLERANCE_M = 50.0
#: Burnout flight-path angle tolerance of the shooting solve, rad.
GAMMA_TOLERANCE_RAD = np.deg2rad(0.05)
#: Lowest burnout flight-path angle a depressed trajectory is given, rad.
MIN_GAMMA_RAD = np.deg2rad(4.0)


def burnout_gamma(range_angle: F64, shape: str, offset_rad: float) -> F64:
    """Burnout flight-path angle (rad) of a trajectory shape for range angles (rad)."""
    g = (np.pi - np.asarray(range_angle, dtype=np.float64)) / 4.0
    if shape == "lofted":
        g = g + offset_rad
    elif shape == "depressed":
        g = np.maximum(g - offset_rad, MIN_GAMMA_RAD)
    return np.minimum(g, np.deg2rad(85.0))


def miss_components(impact: F64, aim_lat: F64, aim_lon: F64, az_in: F64, earth: EarthModel) -> F64:
    """Down-range and cross-range miss (m) of impact points ``(3, N)`` at the aim points.

    ``az_in`` is the azimuth of the direction of flight at the aim point (rad).
    """
    aim = earth.ecef(aim_lat, aim_lon, np.zeros_like(aim_lat))
    e, n, _ = enu_basis(aim_lat, aim_lon)
    d = impact - aim
    de, dn = (d * e).sum(axis=0), (d * n).sum(axis=0)
    down = de * np.sin(az_in) + dn * np.cos(az_in)
    cross = de * np.cos(az_in) - dn * np.sin(az_in)
    return np.stack((down, cross))


def solve_ballistic(
    cfg: BallisticVehicleConfig,
    lat: F64,
    lon: F64,
    aim_lat: F64,
    aim_lon: F64,
    shape: str,
    offset_rad: float,
    earth: EarthModel,
    where: str,
) -> BoostControls:
    """Steering of N missiles (kick, azimuth, cut-off) to their aim points (rad in, rad out).

    Raises
    ------
    ScenarioError
        When an aim point is out of the missile's reach for the shape, naming ``where``.
    """
    stage_events_ok(cfg, where)
    n = lat.shape[0]
    psi = central_angle(lat, lon, aim_lat, aim_lon)
    gamma_t = burnout_gamma(psi, shape, offset_rad)
    az0 = bearing(lat, lon, aim_lat, aim_lon)
    az_in = bearing(aim_lat, aim_lon, lat, lon) + np.pi
    radius = earth.a_m

    def residual(x: F64, idx: NDArray[np.intp]) -> F64:
        ctl = BoostControls(x[:, 0], x[:, 1], np.zeros(x.shape[0]), x[:, 2])
        traj, _ = fly_unguided(cfg, lat[idx], lon[idx], ctl, earth, to_impact=True)
        _, gm, _ = speed_gamma_alt(traj.pos, inertial_velocity(traj.pos, traj.vel, earth), earth)
        miss = miss_components(traj.impact_pos, aim_lat[idx], aim_lon[idx], az_in[idx], earth)
        res = np.stack((gm - gamma_t[idx], miss[0] / radius, miss[1] / radius), axis=1)
        # A missile that never comes down (orbit) reads as far too long.
        return np.where(np.isfinite(res), res, 1.0)

    # Initial kick from one batched boost of a grid of kicks at full burn.
    kicks = np.deg2rad(np.linspace(0.5, 60.0, 30))
    grid = BoostControls(kicks, np.full(30, az0[0]), np.zeros(30), np.ones(30))
    traj, _ = fly_unguided(
        cfg, np.full(30, lat[0]), np.full(30, lon[0]), grid, earth, to_impact=False
    )
    _, gm, _ = speed_gamma_alt(traj.pos, inertial_velocity(traj.pos, traj.vel, earth), earth)
    kick0 = np.interp(gamma_t, gm[::-1], kicks[::-1])
    x0 = np.stack((kick0, az0, np.full(n, 0.9)), axis=1)
    x, res, conv = newton_solve(
        residual,
        x0,
        fd_step=np.array([1e-5, 1e-6, -1e-5]),
        lower=np.array([1e-3, -4 * np.pi, 0.02]),
        upper=np.array([1.5, 4 * np.pi, 1.0]),
        max_step=np.array([0.1, 0.05, 0.2]),
        tol=np.array([GAMMA_TOLERANCE_RAD, MISS_TOLERANCE_M / radius, MISS_TOLERANCE_M / radius]),
        max_iter=25,
    )
    if not conv.all():
        bad = int(np.flatnonzero(~conv)[0])
        short = res[bad, 1] * radius / 1e3
        raise ScenarioError(
            f"{where}: aim point {np.rad2deg(aim_lat[bad]):.2f}, {np.rad2deg(aim_lon[bad]):.2f} "
            f"({psi[bad] * radius / 1e3:.0f} km away) is out of reach for a {shape} trajectory "
            f"(best miss {short:.0f} km down-range with {x[bad, 2]:.0%} of the last stage). "
            "Move the aim area, change the shape, or add propellant."
        )
    return BoostControls(x[:, 0], x[:, 1], np.zeros(n), x[:, 2])
