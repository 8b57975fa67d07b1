"""The threat flyout: raids in, the ``truth`` and ``events`` tables out.

``truth`` has one row per object and sample time (sorted by time, then object):

==========================  ===========================================================
``object_id``               ``<raid>-<k>`` (dictionary-encoded string)
``kind``                    ``ballistic`` or ``hgv``
``time``                    ``timestamp[ns, UTC]``, on the grid ``epoch + j * step_s``
``x, y, z``                 ECEF (WGS84/ITRS) position, m
``vx, vy, vz``              ECEF (Earth-relative) velocity, m/s
``lat, lon``                geodetic latitude and longitude, **rad**
``alt``                     height above the ellipsoid, m
``phase``                   boost, midcourse, reentry, pullup, glide, manoeuvre, terminal
``intensity_<band>_w_sr``   in-band radiant intensity per configured band, W/sr
==========================  ===========================================================

With ``earth.model: spherical`` latitude is geocentric and height is above the sphere.
``events`` has ``object_id``, ``event`` (staging, burnout, release, reentry, pullup_end,
manoeuvre_start, terminal_start, impact) and ``time``. An object has rows from its first
grid time after launch until impact or the end of the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from tracklayer.constants import DEG, KM
from tracklayer.errors import ScenarioError
from tracklayer.threats.ballistic import solve_ballistic
from tracklayer.threats.boost import H_BOOST_S, BoostControls, build_batch, solve_release
from tracklayer.threats.config import HGVConfig, ThreatsConfig
from tracklayer.threats.dynamics import F64, FlightModel, VehicleBatch
from tracklayer.threats.earth import EarthModel, bearing
from tracklayer.threats.guidance import PHASES, Guidance, GuidanceParams
from tracklayer.threats.integrate import SampleSpec, Trajectories, fly
from tracklayer.threats.raid import RaidDraw, draw_raids
from tracklayer.threats.signature import (
    heated_body_intensity,
    plume_intensity_default,
)

#: Without ``duration_s``, objects are flown for at most this long after launch, s.
MAX_FLIGHT_S = 3600.0
#: Integration step after boost, s (guidance runs once per step). RK4 at 2 s resolves the
#: glide's phugoid (minutes) and the dive's 4 s time constant; samples are interpolated.
H_FLIGHT_S = 2.0

_BODY_FIELDS = (
    "nose_radius_m",
    "emissivity",
    "visible_area_m2",
    "body_heating_fraction",
    "cold_temperature_k",
)


@dataclass(frozen=True)
class FlyoutPlan:
    """Everything integrated in one batch: vehicles, guidance, launch states and metadata."""

    earth: EarthModel
    draws: list[RaidDraw]
    batch: VehicleBatch
    guidance: GuidanceParams
    r0: F64
    launch_time: F64
    is_hgv: np.ndarray
    plume: dict[str, F64]
    body: dict[str, F64]
    object_ids: list[str]


def plan_flyout(config: ThreatsConfig, seed: int) -> FlyoutPlan:
    """Draw the raids and solve every booster's steering (the expensive, seeded part)."""
    earth = EarthModel.from_options(config.earth)
    draws = draw_raids(config, seed)
    if not draws:
        raise ScenarioError("threats.raids: no raid to fly (add at least one raid)")
    batches, r0s, gparams, plumes, bodies = [], [], [], [], []
    s_max = max(len(v.stages) for v in config.vehicles.values())
    for k, d in enumerate(draws):
        cfg = config.vehicles[d.config.vehicle]
        where = f"threats.raids[{k}] ({d.name}, vehicle {d.config.vehicle})"
        n = d.count
        if isinstance(cfg, HGVConfig):
            centre = np.array([d.config.launch.lat_deg, d.config.launch.lon_deg]) * DEG
            aim = np.array([d.config.aim.lat_deg, d.config.aim.lon_deg]) * DEG
            az_c = bearing(centre[:1], centre[1:], aim[:1], aim[1:])
            sol = solve_release(
                cfg, centre[:1], centre[1:], az_c, earth, f"threats.vehicles.{d.config.vehicle}"
            )
            az = bearing(d.launch_lat, d.launch_lon, d.aim_lat, d.aim_lon)
            az = az + d.offset_sign * cfg.crossrange_offset_deg * DEG
            ones = np.ones(n)
            ctl = BoostControls(sol.kick * ones, az, sol.alpha * ones, sol.cutoff * ones)
        else:
            shape = d.config.trajectory or "minimum_energy"
            ctl = solve_ballistic(
                cfg,
                d.launch_lat,
                d.launch_lon,
                d.aim_lat,
                d.aim_lon,
                shape,
                d.config.trajectory_offset_deg * DEG,
                earth,
                where,
            )
        batch, r0 = build_batch(cfg, d.launch_lat, d.launch_lon, ctl, earth)
        batches.append(batch)
        r0s.append(r0)
        zeros = np.zeros(n)
        g = {
            "is_hgv": np.full(n, isinstance(cfg, HGVConfig)),
            "aim": earth.ecef(d.aim_lat, d.aim_lon, zeros),
            "manoeuvre_range": zeros.copy(),
            "terminal_range": zeros.copy(),
            "weave_amp": zeros.copy(),
            "weave_period": zeros + 1.0,
            "weave_phase": d.weave_phase,
            "turn_limit": zeros.copy(),
        }
        if isinstance(cfg, HGVConfig):
            g["manoeuvre_range"] += cfg.manoeuvre_range_km * KM
            g["terminal_range"] += cfg.terminal_range_km * KM
            g["weave_amp"] += cfg.weave_amplitude_deg * DEG
            g["weave_period"] = zeros + cfg.weave_period_s
            g["turn_limit"] += cfg.turn_bank_limit_deg * DEG
        gparams.append(g)
        table = np.zeros((len(config.bands), s_max))
        for b, (band, um) in enumerate(config.bands.items()):
            for s, st in enumerate(cfg.stages):
                given = (st.plume_intensity_w_sr or {}).get(band)
                table[b, s] = (
                    given
                    if given is not None
                    else plume_intensity_default(
                        st.thrust_n,
                        st.exhaust_velocity_m_s,
                        st.plume_radiative_fraction,
                        st.plume_temperature_k,
                        um,
                    )
                )
        plumes.append(np.repeat(table[:, :, None], n, axis=2))
        bodies.append({f: np.full(n, float(getattr(cfg, f))) for f in _BODY_FIELDS})
    guidance = GuidanceParams(
        **{key: np.concatenate([g[key] for g in gparams], axis=-1) for key in gparams[0]}
    )
    plume_all = np.concatenate(plumes, axis=2)
    return FlyoutPlan(
        earth=earth,
        draws=draws,
        batch=VehicleBatch.concat(batches),
        guidance=guidance,
        r0=np.concatenate(r0s, axis=1),
        launch_time=np.concatenate([d.launch_time for d in draws]),
        is_hgv=guidance.is_hgv,
        plume={band: plume_all[b] for b, band in enumerate(config.bands)},
        body={f: np.concatenate([b[f] for b in bodies]) for f in _BODY_FIELDS},
        object_ids=[oid for d in draws for oid in d.object_ids],
    )


def sample_spec(launch_time: F64, step_s: float, duration_s: float | None) -> SampleSpec:
    """Per-object samples on the grid ``j * step_s`` after the epoch, from launch on."""
    j0 = np.ceil(launch_time / step_s - 1e-9).astype(np.int64)
    tau0 = j0 * step_s - launch_time
    if duration_s is None:
        count = np.full(launch_time.shape, int(MAX_FLIGHT_S // step_s) + 1, dtype=np.int64)
    else:
        j_last = int(np.floor(duration_s / step_s + 1e-9))
        count = np.maximum(j_last - j0 + 1, 0).astype(np.int64)
    n_rows = int((j0 + count).max(initial=0))
    return SampleSpec(tau0=tau0, step=step_s, count=count, j0=j0, n_rows=n_rows)


def fly_plan(
    plan: FlyoutPlan, step_s: float, duration_s: float | None
) -> tuple[Trajectories, Guidance]:
    """Integrate a planned batch and sample it (no table building)."""
    n = plan.batch.n
    samples = sample_spec(plan.launch_time, step_s, duration_s)
    if duration_s is None:
        t_end = np.full(n, MAX_FLIGHT_S)
    else:
        t_end = np.maximum(duration_s - plan.launch_time, 0.0)
    guidance = Guidance(plan.guidance)
    traj = fly(
        FlightModel(plan.earth, plan.batch),
        guidance,
        plan.r0,
        np.zeros((3, n)),
        samples,
        t_end,
        h_boost=H_BOOST_S,
        h_max=H_FLIGHT_S,
    )
    return traj, guidance


def intensities(
    plan: FlyoutPlan,
    bands: dict[str, tuple[float, float]],
    vid: np.ndarray,
    tau: F64,
    alt: F64,
    speed: F64,
) -> dict[str, F64]:
    """In-band radiant intensity (W/sr) per band for samples of objects ``vid`` at ``tau``."""
    batch = plan.batch
    stage = np.full(vid.shape, -1, dtype=np.int64)
    for s in range(batch.stage_on.shape[0]):
        on = (tau >= batch.stage_on[s, vid]) & (tau < batch.stage_off[s, vid])
        stage[on] = s
    boosting = stage >= 0
    atm = plan.earth.atmosphere
    rho = atm.density(alt) if atm is not None else np.zeros_like(alt)
    body = {f: plan.body[f][vid] for f in _BODY_FIELDS}
    out = {}
    for band, um in bands.items():
        heated = heated_body_intensity(rho, speed, um, **body)
        plume = plan.plume[band][np.maximum(stage, 0), vid]
        out[band] = np.where(boosting, plume, heated)
    return out


def run_flyout_with_events(
    config: ThreatsConfig,
    *,
    epoch: datetime,
    seed: int,
    step_s: float,
    duration_s: float | None = None,
) -> tuple[pa.Table, pa.Table]:
    """Fly every raid; return the ``truth`` and ``events`` tables (see the module docstring).

    Parameters
    ----------
    config
        The scenario's ``threats`` section.
    epoch
        Scenario epoch, timezone-aware UTC; sample ``j`` is at ``epoch + j * step_s``.
    seed
        Seed of every random draw.
    step_s
        Sample interval, s (> 0).
    duration_s
        Length of the run from the epoch, s; ``None`` flies every object to impact (at
        most :data:`MAX_FLIGHT_S` after its launch).

    Raises
    ------
    ScenarioError
        For an unreachable aim point or release condition, or bad arguments.
    """
    if epoch.tzinfo is None:
        raise ScenarioError("epoch: must be timezone-aware UTC")
    if not step_s > 0:
        raise ScenarioError(f"step_s: must be > 0, got {step_s}")
    plan = plan_flyout(config, seed)
    traj, guidance = fly_plan(plan, step_s, duration_s)
    samples = traj.samples
    n = plan.batch.n
    rows = np.flatnonzero(traj.filled)
    vid = rows % n
    k = rows // n - samples.j0[vid]
    tau = samples.tau0[vid] + k * step_s
    t_abs = plan.launch_time[vid] + tau
    pos = traj.pos[:, rows]
    vel = traj.vel[:, rows]
    lat, lon, alt = plan.earth.geodetic(pos)
    speed = np.sqrt((vel * vel).sum(axis=0))
    inten = intensities(plan, config.bands, vid, tau, alt, speed)

    epoch_ns = int(epoch.astimezone(UTC).timestamp() * 1e9)
    ids = pa.array(plan.object_ids, pa.string())
    kinds = pa.array(["ballistic", "hgv"], pa.string())
    phases = pa.array(list(PHASES), pa.string())
    time_ns = epoch_ns + np.round(t_abs * 1e9).astype(np.int64)
    cols: dict[str, pa.Array] = {
        "object_id": pa.DictionaryArray.from_arrays(pa.array(vid.astype(np.int32)), ids),
        "kind": pa.DictionaryArray.from_arrays(pa.array(plan.is_hgv[vid].astype(np.int8)), kinds),
        "time": pa.array(time_ns, pa.timestamp("ns", tz="UTC")),
        "x": pa.array(pos[0]),
        "y": pa.array(pos[1]),
        "z": pa.array(pos[2]),
        "vx": pa.array(vel[0]),
        "vy": pa.array(vel[1]),
        "vz": pa.array(vel[2]),
        "lat": pa.array(lat),
        "lon": pa.array(lon),
        "alt": pa.array(alt),
        "phase": pa.DictionaryArray.from_arrays(pa.array(traj.phase[rows]), phases),
    }
    for band, val in inten.items():
        cols[f"intensity_{band}_w_sr"] = pa.array(val)
    truth = pa.table(cols)

    ev_vid = np.concatenate([e.index for e in guidance.events] + [np.zeros(0, np.intp)])
    ev_t = np.concatenate([e.time for e in guidance.events] + [np.zeros(0)])
    ev_name = [e.name for e in guidance.events for _ in range(e.index.size)]
    ev_abs = plan.launch_time[ev_vid] + ev_t
    keep = np.ones(ev_abs.shape, bool) if duration_s is None else ev_abs <= duration_s + 1e-9
    order = np.lexsort((ev_abs[keep], ev_vid[keep]))
    ev_ids = np.asarray(plan.object_ids, dtype=object)[ev_vid[keep]][order]
    events = pa.table(
        {
            "object_id": pa.array(list(ev_ids), pa.string()),
            "event": pa.array(list(np.asarray(ev_name, dtype=object)[keep][order]), pa.string()),
            "time": pa.array(
                epoch_ns + np.round(ev_abs[keep][order] * 1e9).astype(np.int64),
                pa.timestamp("ns", tz="UTC"),
            ),
        }
    )
    return truth, events


def run_flyout(
    config: ThreatsConfig,
    *,
    epoch: datetime,
    seed: int,
    step_s: float,
    duration_s: float | None = None,
) -> pa.Table:
    """The ``truth`` table of every raid; see :func:`run_flyout_with_events`."""
    return run_flyout_with_events(
        config, epoch=epoch, seed=seed, step_s=step_s, duration_s=duration_s
    )[0]
