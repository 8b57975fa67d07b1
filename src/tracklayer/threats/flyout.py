"""The threat flyout: raids in, the ``truth`` and ``events`` tables out.

``truth`` has one row per object and sample time (sorted by time, then object):

==========================  ===========================================================
``object_id``               ``<raid>-<k>`` (dictionary-encoded string)
``kind``                    ``ballistic``, ``hgv`` or ``stage`` (a spent upper stage,
                            :mod:`tracklayer.threats.separation`)
``time``                    ``timestamp[ns, UTC]``, on the grid ``epoch + j * step_s``
``x, y, z``                 ECEF (WGS84/ITRS) position, m
``vx, vy, vz``              ECEF (Earth-relative) velocity, m/s
``lat_rad, lon_rad``        geodetic latitude and longitude, rad
``alt_m``                   height above the ellipsoid, m
``phase``                   boost, midcourse, reentry, pullup, glide, manoeuvre, terminal
``propellant``              propellant class of the stage burning (``solid``, ``kerosene``,
                            ``udmh_n2o4``), null where none burns
``intensity_<band>_w_sr``   in-band radiant intensity per configured band, W/sr, at the
                            source (no atmosphere): :mod:`tracklayer.threats.emission`
==========================  ===========================================================

With ``earth.model: spherical`` latitude is geocentric and height is above the sphere.
``events`` has ``object_id``, ``event`` (staging, burnout, release, reentry, pullup_end,
manoeuvre_start, terminal_start, heating_limit, pressure_limit, impact) and ``time``. An
object has rows from its first grid time after launch until impact or the end of the run.

The flight (:func:`tracklayer.threats.integrate.fly`) and the derived columns
(:func:`truth_columns`) are compiled loops; the rest is batched numpy and Arrow.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from tracklayer.constants import DEG, EARTH_MEAN_RADIUS_M
from tracklayer.errors import ScenarioError
from tracklayer.threats import _flight_kernels as K
from tracklayer.threats import _truth_kernels as TK
from tracklayer.threats.ballistic import solve_ballistic
from tracklayer.threats.boost import H_BOOST_S, BoostControls, build_batch, solve_release
from tracklayer.threats.config import BallisticVehicleConfig, HGVConfig, ThreatsConfig
from tracklayer.threats.dynamics import F64, FlightModel, VehicleBatch
from tracklayer.threats.earth import EarthModel, bearing, central_angle
from tracklayer.threats.emission import burning_stage, truth_intensities, truth_propellant
from tracklayer.threats.guidance import (
    PHASES,
    Guidance,
    GuidanceParams,
    glider_params,
    missile_params,
)
from tracklayer.threats.integrate import SampleSpec, Trajectories, fly
from tracklayer.threats.raid import RaidDraw, draw_raids
from tracklayer.threats.reach import check_reach, glide_reach
from tracklayer.threats.separation import add_spent_stages
from tracklayer.threats.signature import (
    KERNEL_CONSTANTS,
    PROPELLANTS,
    band_table,
    plume_intensity_default,
)

#: Without ``duration_s``, objects are flown for at most this long after launch, s.
MAX_FLIGHT_S = 3600.0
#: Integration step after boost, s (guidance runs once per step). RK4 at 2 s resolves the
#: glide's phugoid (minutes) and the dive's 4 s time constant; samples are interpolated.
H_FLIGHT_S = 2.0

#: Threads sharing the truth-table pass (the development and CI machines have 2 cores).
TRUTH_THREADS = min(2, os.cpu_count() or 1)

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
    """Draw the raids, check every glider raid's aims against its reach, and solve every
    booster's steering (the expensive, seeded part).

    Raises
    ------
    ScenarioError
        Naming the raid, for an aim out of reach or release conditions out of the
        booster's reach.
    """
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
        ctl = _boost_controls(cfg, d, earth, where)
        batch, r0 = build_batch(cfg, d.launch_lat, d.launch_lon, ctl, earth)
        batches.append(batch)
        r0s.append(r0)
        aim_ecef = earth.ecef(d.aim_lat, d.aim_lon, np.zeros(n))
        if isinstance(cfg, HGVConfig):
            g = glider_params(cfg, aim_ecef, d.weave_phase)
        else:
            g = missile_params(aim_ecef, cfg.nose_radius_m)
        gparams.append(g)
        table = _plume_table(cfg, config.bands, s_max)
        plumes.append(np.repeat(table[:, :, None], n, axis=2))
        bodies.append({f: np.full(n, float(getattr(cfg, f))) for f in _BODY_FIELDS})
    guidance = GuidanceParams.concat(gparams)
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


def _boost_controls(
    cfg: BallisticVehicleConfig | HGVConfig, draw: RaidDraw, earth: EarthModel, where: str
) -> BoostControls:
    """The boosters' steering of one raid: a glider's release solved for the raid's
    centre line (its aims checked against the glide's reach, ``where`` naming the raid in
    errors), or each missile's ballistic solution to its aim."""
    d = draw
    if not isinstance(cfg, HGVConfig):
        shape = d.config.trajectory or "minimum_energy"
        return solve_ballistic(
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
    centre = np.array([d.config.launch.lat_deg, d.config.launch.lon_deg]) * DEG
    aim = np.array([d.config.aim.lat_deg, d.config.aim.lon_deg]) * DEG
    az_c = bearing(centre[:1], centre[1:], aim[:1], aim[1:])
    sol = solve_release(
        cfg, centre[:1], centre[1:], az_c, earth, f"threats.vehicles.{d.config.vehicle}"
    )
    offset = cfg.crossrange_offset_deg * DEG
    reach = glide_reach(cfg, centre[0], centre[1], az_c[0], earth, where, sol, offset)
    ranges = central_angle(d.launch_lat, d.launch_lon, d.aim_lat, d.aim_lon)
    check_reach(reach, ranges * EARTH_MEAN_RADIUS_M, d.aim_lat, d.aim_lon, where)
    az = bearing(d.launch_lat, d.launch_lon, d.aim_lat, d.aim_lon)
    az = az + d.offset_sign * cfg.crossrange_offset_deg * DEG
    ones = np.ones(d.count)
    return BoostControls(sol.kick * ones, az, sol.alpha * ones, sol.cutoff * ones)


def _plume_table(
    cfg: BallisticVehicleConfig | HGVConfig, bands: Mapping[str, tuple[float, float]], s_max: int
) -> NDArray[np.float64]:
    """Vacuum-core plume intensity (W/sr) of each band and stage, shape ``(bands, s_max)``:
    the stage's given value, else the default of its thrust, exhaust and propellant."""
    table = np.zeros((len(bands), s_max))
    for b, (band, um) in enumerate(bands.items()):
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
                    st.propellant,
                )
            )
    return table


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


def truth_columns(
    plan: FlyoutPlan, traj: Trajectories, bands: dict[str, tuple[float, float]], epoch_ns: int
) -> tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.int8], F64, dict[str, F64]]:
    """Derived columns of the filled samples, in row order (time, then object).

    Returns the object index ``(R,)``, the time in ns since the Unix epoch ``(R,)``, the
    phase code ``(R,)``, ``x, y, z, vx, vy, vz, lat, lon, alt`` ``(9, R)`` and the in-band
    radiant intensity (W/sr) per band ``(R,)``: the burning stage's plume during boost,
    else the heated body at radiative equilibrium at the geodetic height's US76 density (one
    compiled pass, :func:`tracklayer.threats._truth_kernels.truth_rows`); the truth table
    takes its intensities from :func:`tracklayer.threats.emission.truth_intensities`
    instead (plume by altitude, bodies by thermal state).
    """
    samples = traj.samples
    n_rows = int(np.count_nonzero(traj.filled))
    earth = plan.earth
    earth_p, log_rho = earth.kernel_arrays()
    ek = np.array([earth.a_m, earth.b_m, earth_p[K.E_ATM], earth_p[K.E_TOP], earth_p[K.E_INV_DZ]])
    band_list = list(bands)
    n_bands = len(band_list)
    tables_grid = [band_table(bands[b]) for b in band_list]
    tables = np.stack([t for t, _ in tables_grid]) if n_bands else np.zeros((0, 2))
    grid = tables_grid[0][1] if n_bands else np.zeros(2)
    body = np.ascontiguousarray(np.stack([plan.body[f] for f in _BODY_FIELDS]), dtype=np.float64)
    plume = np.ascontiguousarray(
        np.stack([plan.plume[b] for b in band_list])
        if n_bands
        else np.zeros((0, *plan.batch.stage_on.shape)),
        dtype=np.float64,
    )
    vid = np.empty(n_rows, dtype=np.int32)
    time_ns = np.empty(n_rows, dtype=np.int64)
    phase = np.empty(n_rows, dtype=np.int8)
    cols = np.empty((TK.C_SIZE, n_rows))
    inten = np.empty((n_bands, n_rows))
    args = (
        traj.filled,
        traj.pos,
        traj.vel,
        traj.phase,
        np.ascontiguousarray(samples.j0, dtype=np.int64),
        np.ascontiguousarray(samples.tau0, dtype=np.float64),
        float(samples.step),
        np.ascontiguousarray(plan.launch_time, dtype=np.float64),
        epoch_ns,
        ek,
        log_rho,
        np.ascontiguousarray(plan.batch.stage_on, dtype=np.float64),
        np.ascontiguousarray(plan.batch.stage_off, dtype=np.float64),
        plume,
        body,
        tables,
        grid,
        KERNEL_CONSTANTS,
        vid,
        time_ns,
        phase,
        cols,
        inten,
    )
    # Rows are independent: split them between threads, each writing its own range.
    m = traj.filled.shape[0]
    n_chunks = min(TRUTH_THREADS, max(1, m // 100_000))
    bounds = [m * c // n_chunks for c in range(n_chunks + 1)]
    starts = [int(np.count_nonzero(traj.filled[:lo])) for lo in bounds[:-1]]
    with ThreadPoolExecutor(n_chunks) as pool:
        jobs = [
            pool.submit(TK.truth_rows, bounds[c], bounds[c + 1], starts[c], *args)
            for c in range(n_chunks)
        ]
        for job in jobs:
            job.result()
    return vid, time_ns, phase, cols, {b: inten[j] for j, b in enumerate(band_list)}


def _events_table(
    plan: FlyoutPlan, guidance: Guidance, duration_s: float | None, epoch_ns: int
) -> pa.Table:
    """The ``events`` table (module notes): each vehicle's events in time order."""
    ev_vid = np.concatenate([e.index for e in guidance.events] + [np.zeros(0, np.intp)])
    ev_t = np.concatenate([e.time for e in guidance.events] + [np.zeros(0)])
    ev_name = [e.name for e in guidance.events for _ in range(e.index.size)]
    ev_abs = plan.launch_time[ev_vid] + ev_t
    keep = np.ones(ev_abs.shape, bool) if duration_s is None else ev_abs <= duration_s + 1e-9
    order = np.lexsort((ev_abs[keep], ev_vid[keep]))
    ev_ids = np.asarray(plan.object_ids, dtype=object)[ev_vid[keep]][order]
    return pa.table(
        {
            "object_id": pa.array(list(ev_ids), pa.string()),
            "event": pa.array(list(np.asarray(ev_name, dtype=object)[keep][order]), pa.string()),
            "time": pa.array(
                epoch_ns + np.round(ev_abs[keep][order] * 1e9).astype(np.int64),
                pa.timestamp("ns", tz="UTC"),
            ),
        }
    )


def _propellant_column(
    config: ThreatsConfig,
    plan: FlyoutPlan,
    vid: NDArray[np.int32],
    time_ns: NDArray[np.int64],
    epoch_ns: int,
) -> pa.Array:
    """The propellant class of the stage burning at each row (null where none burns)."""
    t_s = np.asarray((time_ns - epoch_ns) * 1e-9, dtype=np.float64)
    stage = burning_stage(plan.batch.stage_on, plan.batch.stage_off, plan.launch_time, vid, t_s)
    codes = truth_propellant(config, plan.draws, stage, vid)
    names = np.asarray(PROPELLANTS, dtype=object)[np.maximum(codes, 0)]
    return pa.array(names, pa.string(), mask=codes < 0)


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
        For an aim point out of a missile's or a glider's reach
        (:mod:`tracklayer.threats.reach`), an unreachable release condition, or bad
        arguments.
    """
    if epoch.tzinfo is None:
        raise ScenarioError("epoch: must be timezone-aware UTC")
    if not step_s > 0:
        raise ScenarioError(f"step_s: must be > 0, got {step_s}")
    plan = plan_flyout(config, seed)
    traj, guidance = fly_plan(plan, step_s, duration_s)
    epoch_ns = int(epoch.astimezone(UTC).timestamp() * 1e9)
    vid, time_ns, phase, xyz, _ = truth_columns(plan, traj, config.bands, epoch_ns)
    inten = truth_intensities(
        config,
        plan.draws,
        np.stack([plan.plume[b] for b in config.bands]),
        plan.batch.stage_on,
        plan.batch.stage_off,
        plan.launch_time,
        vid,
        time_ns,
        xyz,
        epoch_ns,
    )
    ids = pa.array(plan.object_ids, pa.string())
    kinds = pa.array(["ballistic", "hgv"], pa.string())
    phases = pa.array(list(PHASES), pa.string())
    cols: dict[str, pa.Array] = {
        "object_id": pa.DictionaryArray.from_arrays(pa.array(vid), ids),
        "kind": pa.DictionaryArray.from_arrays(pa.array(plan.is_hgv.astype(np.int8)[vid]), kinds),
        "time": pa.array(time_ns, pa.timestamp("ns", tz="UTC")),
    }
    for j, name in enumerate(("x", "y", "z", "vx", "vy", "vz", "lat_rad", "lon_rad", "alt_m")):
        cols[name] = pa.array(xyz[j])
    cols["phase"] = pa.DictionaryArray.from_arrays(pa.array(phase), phases)
    cols["propellant"] = _propellant_column(config, plan, vid, time_ns, epoch_ns)
    for band, val in inten.items():
        cols[f"intensity_{band}_w_sr"] = pa.array(val)
    truth = pa.table(cols)

    events = _events_table(plan, guidance, duration_s, epoch_ns)
    return add_spent_stages(truth, events, config.separation, config.bands, epoch), events


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
