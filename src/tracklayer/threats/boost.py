"""Staged boost: the batch of a vehicle type with its steering, and the batched solvers.

A booster rises vertically for ``vertical_rise_s``, tilts its thrust by the kick angle
``delta`` toward the launch azimuth for :data:`KICK_S`, then flies a gravity turn (thrust
along the Earth-relative velocity), pitched by ``alpha`` during its last stage. The last
stage is cut off at a fraction ``cutoff`` of its burn (thrust termination), which sets the
energy. The controls ``(delta, azimuth, alpha, cutoff)`` are found per vehicle by a
damped Newton iteration with a finite-difference Jacobian, every vehicle and every
perturbation integrated together in one batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tracklayer.constants import G0_M_S2
from tracklayer.errors import ScenarioError
from tracklayer.threats.config import BallisticVehicleConfig, HGVConfig
from tracklayer.threats.dynamics import F64, FlightModel, VehicleBatch
from tracklayer.threats.earth import EarthModel, enu_basis
from tracklayer.threats.integrate import SampleSpec, Trajectories, Unguided, fly

#: Duration of the pitch-over kick, s.
KICK_S = 4.0
#: Boost integration step, s.
H_BOOST_S = 0.5
#: Free-flight step of the solves, s (RK4's error over a 5 s coast step is below 1 mm).
H_SOLVE_S = 5.0

VehicleConfig = BallisticVehicleConfig | HGVConfig


@dataclass(frozen=True)
class BoostControls:
    """Steering of N boosters: kick (rad), azimuth (rad), last-stage pitch (rad), cut-off."""

    kick: F64
    azimuth: F64
    alpha: F64
    cutoff: F64


def build_batch(
    cfg: VehicleConfig, lat: F64, lon: F64, ctl: BoostControls, earth: EarthModel
) -> tuple[VehicleBatch, F64]:
    """The batch of N vehicles of type ``cfg`` launched from ``lat``, ``lon`` (rad).

    Returns the batch and the launch positions ``(3, N)`` (ECEF, on the surface).
    """
    n = lat.shape[0]
    s_count = len(cfg.stages)
    dur = np.array([s.burn_time_s for s in cfg.stages])[:, None] * np.ones((1, n))
    dur[-1] = dur[-1] * ctl.cutoff
    off = np.cumsum(dur, axis=0)
    on = off - dur
    mdot = np.array([s.mass_flow_kg_s for s in cfg.stages])[:, None] * np.ones((1, n))
    thrust = np.array([s.thrust_n for s in cfg.stages])[:, None] * np.ones((1, n))
    loss = np.array([s.thrust_n - s.thrust_sea_level_n for s in cfg.stages])[:, None]
    loaded = np.array([s.propellant_mass_kg + s.dry_mass_kg for s in cfg.stages])[:, None]
    drop = loaded - mdot * dur
    east, north, up = enu_basis(lat, lon)
    kick_dir = np.cos(ctl.kick) * up + np.sin(ctl.kick) * (
        np.sin(ctl.azimuth) * east + np.cos(ctl.azimuth) * north
    )
    ones = np.ones(n)
    ld = cfg.lift_to_drag if isinstance(cfg, HGVConfig) else 0.0
    batch = VehicleBatch(
        stage_on=on,
        stage_off=off,
        thrust=thrust,
        mdot=mdot,
        drop=drop,
        thrust_loss=loss * np.ones((1, n)),
        m0=cfg.launch_mass_kg * ones,
        sep_time=off[s_count - 1].copy(),
        cda_boost=cfg.body_drag_coefficient * np.pi * cfg.body_diameter_m**2 / 4.0 * ones,
        beta=cfg.ballistic_coefficient_kg_m2 * ones,
        ld=ld * ones,
        t_vertical=cfg.vertical_rise_s * ones,
        t_kick_end=(cfg.vertical_rise_s + KICK_S) * ones,
        kick_dir=kick_dir,
        alpha=np.asarray(ctl.alpha, dtype=np.float64) * ones,
        last_on=on[s_count - 1].copy(),
    )
    return batch, earth.ecef(lat, lon, np.zeros(n))


def stage_events_ok(cfg: VehicleConfig, where: str) -> None:
    """Refuse a booster that cannot lift off (first-stage sea-level thrust below 1.05 times
    the launch weight)."""
    weight = cfg.launch_mass_kg * G0_M_S2
    if cfg.stages[0].thrust_sea_level_n <= 1.05 * weight:
        raise ScenarioError(
            f"{where}.stages[0]: sea-level thrust {cfg.stages[0].thrust_sea_level_n / 1e3:.0f} "
            "kN cannot lift the "
            f"launch mass {cfg.launch_mass_kg:.0f} kg (needs more than "
            f"{1.05 * weight / 1e3:.0f} kN)"
        )


def fly_unguided(
    cfg: VehicleConfig,
    lat: F64,
    lon: F64,
    ctl: BoostControls,
    earth: EarthModel,
    *,
    to_impact: bool,
) -> tuple[Trajectories, VehicleBatch]:
    """Fly N boosters without guidance, sampling each once at separation.

    With ``to_impact`` the flight continues ballistically to the ground (up to 2 h);
    otherwise it stops at separation.
    """
    batch, r0 = build_batch(cfg, lat, lon, ctl, earth)
    n = lat.shape[0]
    samples = SampleSpec.single(batch.sep_time)
    t_end = np.full(n, 7200.0) if to_impact else batch.sep_time + 1e-6
    traj = fly(
        FlightModel(earth, batch),
        Unguided(n),
        r0,
        np.zeros((3, n)),
        samples,
        t_end,
        h_boost=H_BOOST_S,
        h_max=H_SOLVE_S,
    )
    return traj, batch


def speed_gamma_alt(r: F64, v: F64, earth: EarthModel) -> tuple[F64, F64, F64]:
    """Speed (m/s), flight-path angle (rad, geocentric) and altitude (m) of ``(3, N)`` states."""
    rn = np.sqrt((r * r).sum(axis=0))
    speed = np.sqrt((v * v).sum(axis=0))
    gamma = np.arcsin(np.clip((r * v).sum(axis=0) / (rn * np.maximum(speed, 1e-9)), -1, 1))
    return speed, gamma, earth.altitude_fast(r, rn)


def inertial_velocity(r: F64, v: F64, earth: EarthModel) -> F64:
    """Inertial velocity ``v + w x r`` (m/s, ECEF axes) of Earth-relative states ``(3, N)``."""
    out = np.array(v, dtype=np.float64, copy=True)
    out[0] -= earth.omega * r[1]
    out[1] += earth.omega * r[0]
    return out


def newton_solve(
    residual: Callable[[F64, NDArray[np.intp]], F64],
    x0: F64,
    fd_step: F64,
    lower: F64,
    upper: F64,
    max_step: F64,
    tol: F64,
    *,
    max_iter: int = 12,
) -> tuple[F64, F64, NDArray[np.bool_]]:
    """Solve ``residual(x) = 0`` for N independent k-vectors by damped Newton.

    Parameters
    ----------
    residual
        Maps ``(M, k)`` unknowns of vehicles ``idx`` ``(M,)`` to ``(M, k)`` residuals, for
        any M (one batched flight).
    x0
        Initial guess ``(N, k)``.
    fd_step
        Finite-difference step per unknown ``(k,)`` (its sign chooses the side).
    lower, upper, max_step
        Bounds and the largest Newton update per unknown ``(k,)``.
    tol
        Convergence tolerance per residual component ``(k,)``.

    Returns
    -------
    x, res, converged
        Solution ``(N, k)``, final residual ``(N, k)`` and the converged flags ``(N,)``.
    """
    x = np.array(x0, dtype=np.float64)
    n, k = x.shape
    res = residual(x, np.arange(n))
    for _ in range(max_iter):
        conv = np.all(np.abs(res) <= tol, axis=1)
        if conv.all():
            break
        todo = np.flatnonzero(~conv)
        xs = x[todo]
        pert = np.repeat(xs[None], k, axis=0)
        for j in range(k):
            pert[j, :, j] += fd_step[j]
        out = residual(pert.reshape(-1, k), np.tile(todo, k)).reshape(k, todo.size, k)
        jac = np.empty((todo.size, k, k))
        for j in range(k):
            jac[:, :, j] = (out[j] - res[todo]) / fd_step[j]
        try:
            dx = -np.linalg.solve(jac, res[todo][..., None])[..., 0]
        except np.linalg.LinAlgError:
            dx = -np.linalg.lstsq(jac.reshape(-1, k), res[todo].ravel(), rcond=None)[0][None]
        scale = np.max(np.abs(dx) / max_step, axis=1, initial=1.0)
        x[todo] = np.clip(xs + dx / scale[:, None], lower, upper)
        res[todo] = residual(x[todo], todo)
    conv = np.all(np.abs(res) <= tol, axis=1)
    return x, res, conv


def solve_release(
    cfg: HGVConfig, lat: F64, lon: F64, azimuth: F64, earth: EarthModel, where: str
) -> BoostControls:
    """Booster steering that reaches the glider's release speed, altitude and flight path.

    Unknowns (kick, last-stage pitch, cut-off) per vehicle; the state at separation must
    match ``release_speed_km_s`` within 5 m/s, ``release_flight_path_angle_deg`` within
    0.05 deg and ``release_altitude_km`` within 0.3 km.

    Raises
    ------
    ScenarioError
        When the booster cannot reach the release conditions, naming ``where``.
    """
    stage_events_ok(cfg, where)
    v_t = cfg.release_speed_km_s * 1e3
    g_t = np.deg2rad(cfg.release_flight_path_angle_deg)
    h_t = cfg.release_altitude_km * 1e3
    n = lat.shape[0]

    def residual(x: F64, idx: NDArray[np.intp]) -> F64:
        ctl = BoostControls(x[:, 0], azimuth[idx], x[:, 1], x[:, 2])
        traj, _ = fly_unguided(cfg, lat[idx], lon[idx], ctl, earth, to_impact=False)
        sp, gm, alt = speed_gamma_alt(traj.pos, traj.vel, earth)
        return np.stack(((sp - v_t) / 1e3, gm - g_t, (alt - h_t) / 1e4), axis=1)

    # Initial guess: the grid point (kick, pitch) whose full burn ends nearest the release
    # altitude and flight path; one batched flight of the whole grid.
    kk, aa = np.meshgrid(np.deg2rad(np.linspace(1.0, 70.0, 24)), np.deg2rad(np.arange(-40, 41, 8)))
    m = kk.size
    grid = BoostControls(kk.ravel(), np.full(m, azimuth[0]), aa.ravel(), np.ones(m))
    traj, _ = fly_unguided(
        cfg, np.full(m, lat[0]), np.full(m, lon[0]), grid, earth, to_impact=False
    )
    _, gm, alt = speed_gamma_alt(traj.pos, traj.vel, earth)
    best = int(np.nanargmin(((alt - h_t) / 1e4) ** 2 + ((gm - g_t) / np.deg2rad(5.0)) ** 2))
    x0 = np.tile([kk.ravel()[best], aa.ravel()[best], 0.95], (n, 1))
    x, _, conv = newton_solve(
        residual,
        x0,
        fd_step=np.array([1e-4, 1e-4, -1e-4]),
        lower=np.array([1e-3, -0.8, 0.05]),
        upper=np.array([1.5, 0.8, 1.0]),
        max_step=np.array([0.1, 0.1, 0.2]),
        tol=np.array([5e-3, np.deg2rad(0.05), 0.03]),
        max_iter=20,
    )
    if not conv.all():
        bad = int(np.flatnonzero(~conv)[0])
        xs = x[bad : bad + 1]
        r = residual(xs, np.array([bad]))[0]
        raise ScenarioError(
            f"{where}: the booster cannot reach the release conditions "
            f"(speed {cfg.release_speed_km_s:g} km/s, altitude {cfg.release_altitude_km:g} km, "
            f"flight-path angle {cfg.release_flight_path_angle_deg:g} deg); closest reached: "
            f"speed {(v_t + r[0] * 1e3) / 1e3:.2f} km/s, altitude {(h_t + r[2] * 1e4) / 1e3:.1f} "
            f"km, flight-path angle {np.rad2deg(g_t + r[1]):.1f} deg. Change the release "
            "conditions or the stages."
        )
    return BoostControls(x[:, 0], azimuth, x[:, 1], x[:, 2])
