"""Per-row emission of the ``truth`` table: plumes by altitude, bodies by thermal state.

:func:`truth_intensities` replaces the flyout kernel's first-cut intensities (constant plume
per stage, bodies at radiative equilibrium) by the models of
:mod:`tracklayer.threats.signature`: while a stage burns, its vacuum-core plume intensity
with the gas part scaled by :func:`~tracklayer.threats.signature.plume_altitude_factor`;
otherwise the nose and body at the skin temperatures of :func:`skin_temperatures` (a lumped
thermal mass heated by the air, the Sun and the Earth, cooled by radiation).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
from numba import njit
from numpy.typing import NDArray

from tracklayer.constants import STEFAN_BOLTZMANN_W_M2_K4
from tracklayer.solar import SOLAR_CONSTANT_W_M2, sun_direction_ecef, sunlit
from tracklayer.threats.atmosphere import us1976
from tracklayer.threats.config import ThreatsConfig
from tracklayer.threats.raid import RaidDraw
from tracklayer.threats.signature import (
    PROPELLANTS,
    band_radiance,
    plume_altitude_factor,
    plume_band_shares,
    propellant_class,
    stagnation_heat_flux,
)

F64 = NDArray[np.float64]

__all__ = [
    "EARTH_ALBEDO",
    "EARTH_OLR_W_M2",
    "burning_stage",
    "skin_temperatures",
    "truth_intensities",
    "truth_propellant",
]

#: Global mean outgoing long-wave radiation of the Earth, W/m² (Trenberth et al., BAMS 90,
#: 311, 2009).
EARTH_OLR_W_M2 = 239.0
#: Global mean (Bond) albedo of the Earth (Trenberth et al. 2009).
EARTH_ALBEDO = 0.30


@njit(cache=True)
def _trapezoid_step(t0: float, q0: float, q1: float, dt: float, c: float, es: float) -> float:
    """One implicit trapezoid step of ``c dT/dt = q - es T^4`` (Newton, unconditionally
    stable, second order)."""
    rhs0 = t0 + 0.5 * dt / c * (q0 + q1 - es * t0**4)
    t1 = t0
    for _ in range(30):
        f = t1 + 0.5 * dt / c * es * t1**4 - rhs0
        step = f / (1.0 + 2.0 * dt / c * es * t1**3)
        t1 = max(t1 - step, 0.5 * t1)
        if abs(step) < 1e-9 * t1:
            break
    return t1


@njit(cache=True)
def skin_temperatures(
    vid: NDArray[np.int32],
    time_s: F64,
    heat_in: F64,
    start_k: F64,
    capacity: F64,
    emissivity: F64,
    sigma: float,
) -> F64:
    """Skin temperature (K) at every row of a time-ordered table of many objects.

    Parameters
    ----------
    vid
        Object index of each row ``(R,)``; each object's rows are in time order.
    time_s
        Row times, s ``(R,)``.
    heat_in
        Absorbed heat flux (aero, Sun, Earth), W/m², ``(R,)``; linear between rows.
    start_k
        Temperature of each object at its first row, K ``(N,)``.
    capacity
        Heat capacity per unit area, J/(m² K) ``(N,)``.
    emissivity
        Emissivity ``(N,)``.
    sigma
        The Stefan-Boltzmann constant.
    """
    n = start_k.shape[0]
    temp = start_k.copy()
    last_t = np.full(n, np.nan)
    last_q = np.zeros(n)
    out = np.empty(vid.shape[0])
    for row in range(vid.shape[0]):
        i = vid[row]
        if not math.isnan(last_t[i]):
            temp[i] = _trapezoid_step(
                temp[i],
                last_q[i],
                heat_in[row],
                time_s[row] - last_t[i],
                capacity[i],
                emissivity[i] * sigma,
            )
        last_t[i] = time_s[row]
        last_q[i] = heat_in[row]
        out[row] = temp[i]
    return out


def _per_vehicle(config: ThreatsConfig, draws: Sequence[RaidDraw], field: str) -> F64:
    return np.concatenate(
        [np.full(d.count, float(getattr(config.vehicles[d.config.vehicle], field))) for d in draws]
    )


def _radiative_environment(epoch_ns: int, time_ns: NDArray[np.int64], pos: F64, cfg: dict) -> F64:
    """Absorbed flux from the Sun (in sunlight) and the Earth (emission and albedo), W/m²."""
    epoch = datetime.fromtimestamp(epoch_ns * 1e-9, tz=UTC)
    uniq, inv = np.unique(time_ns, return_inverse=True)
    sun, _ = sun_direction_ecef(epoch, (uniq - epoch_ns) * 1e-9)
    s = sun[inv]
    r = np.linalg.norm(pos, axis=-1)
    radius = 6371e3
    lit = sunlit(pos, s, radius)
    view = 0.5 * (1.0 - np.sqrt(np.maximum(1.0 - (radius / r) ** 2, 0.0)))
    cos_sub = np.maximum(np.einsum("ij,ij->i", pos / r[:, None], s), 0.0)
    solar = cfg["solar_absorptance"] * SOLAR_CONSTANT_W_M2
    return np.asarray(
        solar * (0.25 * lit + EARTH_ALBEDO * view * cos_sub)
        + cfg["emissivity"] * EARTH_OLR_W_M2 * view
    )


def burning_stage(
    stage_on: F64, stage_off: F64, launch_time: F64, vid: NDArray[np.int32], t_s: F64
) -> NDArray[np.int64]:
    """Index of the stage burning at each truth row, -1 where none burns.

    ``stage_on``, ``stage_off`` ``(S, N)`` are each stage's burn after launch, s;
    ``launch_time`` ``(N,)`` and ``t_s`` ``(R,)`` are seconds after the epoch.
    """
    tau = t_s - launch_time[vid]
    stage = np.full(vid.size, -1, dtype=np.int64)
    for s in range(stage_on.shape[0]):
        stage[(stage_on[s, vid] <= tau) & (tau < stage_off[s, vid])] = s
    return stage


def truth_propellant(
    config: ThreatsConfig,
    draws: Sequence[RaidDraw],
    stage: NDArray[np.int64],
    vid: NDArray[np.int32],
) -> NDArray[np.int8]:
    """Propellant code (index in :data:`~tracklayer.threats.signature.PROPELLANTS`) of the
    stage burning at each truth row, -1 where none burns (``stage`` from
    :func:`burning_stage`)."""
    codes = []
    for d in draws:
        stages = config.vehicles[d.config.vehicle].stages
        col = [PROPELLANTS.index(propellant_class(st.propellant)) for st in stages]
        codes.append(np.repeat(np.array(col, dtype=np.int8)[:, None], d.count, axis=1))
    s_max = max((c.shape[0] for c in codes), default=0)
    table = np.full((s_max, sum(c.shape[1] for c in codes)), -1, dtype=np.int8)
    start = 0
    for c in codes:
        table[: c.shape[0], start : start + c.shape[1]] = c
        start += c.shape[1]
    out = np.full(vid.size, -1, dtype=np.int8)
    burning = stage >= 0
    out[burning] = table[stage[burning], vid[burning]]
    return out


def truth_intensities(
    config: ThreatsConfig,
    draws: Sequence[RaidDraw],
    plume: F64,
    stage_on: F64,
    stage_off: F64,
    launch_time: F64,
    vid: NDArray[np.int32],
    time_ns: NDArray[np.int64],
    cols: F64,
    epoch_ns: int,
) -> dict[str, F64]:
    """In-band radiant intensity (W/sr) of every truth row, per band.

    Parameters
    ----------
    config, draws
        The threats section and its drawn raids (vehicles ``N`` in draw order).
    plume
        Vacuum-core plume intensity per band, stage and vehicle, W/sr ``(B, S, N)``.
    stage_on, stage_off
        Burn start and end of each stage after launch, s ``(S, N)``.
    launch_time
        Launch time of each vehicle, s after the epoch ``(N,)``.
    vid, time_ns, cols
        The truth rows (time-major): vehicle index, time (ns since the Unix epoch), and
        ``x, y, z, vx, vy, vz, lat, lon, alt`` ``(9, R)``.
    epoch_ns
        The scenario epoch, ns since the Unix epoch.
    """
    bands = list(config.bands)
    veh = {f: _per_vehicle(config, draws, f) for f in (
        "nose_radius_m", "emissivity", "visible_area_m2", "body_heating_fraction",
        "cold_temperature_k", "skin_heat_capacity_kj_m2_k", "solar_absorptance",
    )}  # fmt: skip
    t_s = np.asarray((time_ns - epoch_ns) * 1e-9, dtype=np.float64)
    stage = burning_stage(stage_on, stage_off, launch_time, vid, t_s)
    alt = cols[8]
    rho = us1976().density(alt) if config.earth.atmosphere else np.zeros(alt.size)
    speed = np.sqrt((cols[3:6] ** 2).sum(axis=0))
    q_nose = stagnation_heat_flux(rho, speed, veh["nose_radius_m"][vid])
    pos = np.ascontiguousarray(cols[0:3].T)
    env = _radiative_environment(
        epoch_ns, time_ns, pos, {k: veh[k][vid] for k in ("emissivity", "solar_absorptance")}
    )
    order = np.lexsort((t_s, vid))  # rows of each object in time order
    temps = []
    for frac in (np.ones(veh["emissivity"].size), veh["body_heating_fraction"]):
        q = q_nose * frac[vid] + env
        t_rows = np.empty(vid.size)
        t_rows[order] = skin_temperatures(
            vid[order], t_s[order], q[order], veh["cold_temperature_k"],
            veh["skin_heat_capacity_kj_m2_k"] * 1e3, veh["emissivity"], STEFAN_BOLTZMANN_W_M2_K4,
        )  # fmt: skip
        temps.append(t_rows)
    area = veh["visible_area_m2"][vid]
    a_nose = np.minimum(np.pi * veh["nose_radius_m"][vid] ** 2, area)
    burning = stage >= 0
    factor = plume_altitude_factor(rho[burning])
    out: dict[str, F64] = {}
    for b, band in enumerate(bands):
        um = config.bands[band]
        body = veh["emissivity"][vid] * (
            a_nose * band_radiance(temps[0], um) + (area - a_nose) * band_radiance(temps[1], um)
        )
        gas = _gas_fraction(config, draws, um, stage_on.shape[0])
        g = gas[stage[burning], vid[burning]]
        body[burning] = plume[b, stage[burning], vid[burning]] * (g * factor + 1.0 - g)
        out[band] = body
    return out


def _gas_fraction(
    config: ThreatsConfig, draws: Sequence[RaidDraw], band_um: tuple[float, float], s_max: int
) -> F64:
    """Share of each stage's in-band plume emission that comes from the gas ``(S, N)``."""
    parts = []
    for d in draws:
        stages = config.vehicles[d.config.vehicle].stages
        col = np.zeros(s_max)
        for s, st in enumerate(stages):
            col[s] = plume_band_shares(float(st.plume_temperature_k), band_um, st.propellant)[1]
        parts.append(np.repeat(col[:, None], d.count, axis=1))
    return np.concatenate(parts, axis=1)
