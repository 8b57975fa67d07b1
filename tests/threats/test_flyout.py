"""End-to-end flyout: truth and events tables, miss distance, release conditions, seeds.

References: the aim points of the scenario (miss distance); the glider's configured
release conditions (boost solve); DESIGN.md's truth-table columns.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest

from tests.threats.helpers import SECTION
from tracklayer.threats.ballistic import burnout_gamma
from tracklayer.threats.boost import inertial_velocity, speed_gamma_alt
from tracklayer.threats.config import ThreatsConfig, parse_threats_config
from tracklayer.threats.dynamics import FlightModel
from tracklayer.threats.earth import central_angle
from tracklayer.threats.flyout import FlyoutPlan, fly_plan, plan_flyout, run_flyout_with_events
from tracklayer.threats.integrate import SampleSpec, Unguided, fly

EPOCH = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def config() -> ThreatsConfig:
    return parse_threats_config(SECTION)


@pytest.fixture(scope="module")
def plan(config: ThreatsConfig) -> FlyoutPlan:
    return plan_flyout(config, seed=3)


@pytest.fixture(scope="module")
def tables(config: ThreatsConfig) -> tuple[pa.Table, pa.Table]:
    return run_flyout_with_events(config, epoch=EPOCH, seed=3, step_s=2.0)


def test_truth_columns_and_order(tables: tuple[pa.Table, pa.Table]) -> None:
    """DESIGN columns, SI units, UTC nanosecond times on the 2 s grid, sorted by time."""
    truth, _ = tables
    names = [
        "object_id",
        "kind",
        "time",
        "x",
        "y",
        "z",
        "vx",
        "vy",
        "vz",
        "lat_rad",
        "lon_rad",
        "alt_m",
    ]
    assert truth.column_names[:12] == names
    assert truth.column_names[12:] == [
        "phase", "propellant", "intensity_swir_w_sr", "intensity_mwir_w_sr"
    ]  # fmt: skip
    assert truth.schema.field("time").type == pa.timestamp("ns", tz="UTC")
    t = truth["time"].cast(pa.int64()).to_numpy()
    assert np.all(np.diff(t) >= 0)
    assert np.all((t - t[0]) % 2_000_000_000 == 0)
    # Spent upper stages (threats.separation) fly beside the missiles after burnout.
    assert set(truth["kind"].cast(pa.string()).to_pylist()) == {"ballistic", "hgv", "stage"}
    lat = truth["lat_rad"].to_numpy()
    assert np.all(np.abs(lat) < np.pi / 2) and np.abs(lat).max() > 0.4  # radians
    assert np.all(truth["intensity_mwir_w_sr"].to_numpy() > 0)


def test_propellant_marks_the_burning_stages(tables: tuple[pa.Table, pa.Table]) -> None:
    """The ``propellant`` column names the burning stage's class on every boost row of a
    missile or glider, and is null on every other row (coast, glide, spent stages)."""
    truth, _ = tables
    phase = np.asarray(truth["phase"].cast(pa.string()).to_pylist(), dtype=object)
    prop = np.asarray(truth["propellant"].to_pylist(), dtype=object)
    boost = phase == "boost"
    assert boost.any() and (~boost).any()
    assert set(prop[boost]) == {"solid"}
    assert all(p is None for p in prop[~boost])


def test_phases_and_events(tables: tuple[pa.Table, pa.Table]) -> None:
    """Each ballistic missile stages, burns out, re-enters and impacts; the glider releases,
    ends its pull-up, starts its weave and dive, and impacts, in that order."""
    truth, events = tables
    ev: dict[str, list[str]] = {}
    for oid, name in zip(events["object_id"].to_pylist(), events["event"].to_pylist(), strict=True):
        ev.setdefault(oid, []).append(name)
    assert ev["bm-1"] == ["staging", "burnout", "reentry", "impact"]
    assert ev["gv-1"] == [
        "staging",
        "burnout",
        "release",
        "pullup_end",
        "manoeuvre_start",
        "terminal_start",
        "impact",
    ]
    oid = truth["object_id"].cast(pa.string()).to_numpy(zero_copy_only=False)
    phase = truth["phase"].cast(pa.string()).to_numpy(zero_copy_only=False)
    assert list(dict.fromkeys(phase[oid == "gv-1"])) == [
        "boost",
        "pullup",
        "glide",
        "manoeuvre",
        "terminal",
    ]
    assert list(dict.fromkeys(phase[oid == "bm-2"])) == ["boost", "midcourse", "reentry"]


def test_ballistic_impact_within_miss_distance(plan: FlyoutPlan) -> None:
    """Ballistic impact within 200 m of the aim point (solve tolerance 50 m; the flyout
    integrates at 2 s where the solve used 5 s coast steps), over the rotating WGS84 Earth
    with J2 and drag. The glider, guided in its dive, lands within 250 m (the stated miss of
    energy management and the dive)."""
    traj, _ = fly_plan(plan, 2.0, None)
    miss = np.linalg.norm(traj.impact_pos - plan.guidance.aim, axis=0)
    assert np.all(miss[~plan.is_hgv] < 200.0)
    assert np.all(miss[plan.is_hgv] < 250.0)


def test_release_conditions_reached(config: ThreatsConfig, plan: FlyoutPlan) -> None:
    """The glider separates at the configured speed (5 m/s), altitude (300 m) and
    flight-path angle (0.05 deg): the boost of the planned batch, flown again alone."""
    i = np.flatnonzero(plan.is_hgv)
    veh = config.vehicles["hgv"]
    b = plan.batch.take(i)
    traj = fly(
        FlightModel(plan.earth, b),
        Unguided(1),
        plan.r0[:, i],
        np.zeros((3, 1)),
        SampleSpec.single(b.sep_time),
        b.sep_time + 1e-6,
    )
    speed, gamma, alt = speed_gamma_alt(traj.pos, traj.vel, plan.earth)
    assert speed[0] == pytest.approx(veh.release_speed_km_s * 1e3, abs=5.0)
    assert alt[0] == pytest.approx(veh.release_altitude_km * 1e3, abs=300.0)
    assert np.rad2deg(gamma[0]) == pytest.approx(veh.release_flight_path_angle_deg, abs=0.05)


def test_minimum_energy_angle_on_inertial_flight_path(plan: FlyoutPlan) -> None:
    """At burnout the inertial velocity ``v + w x r`` (not the Earth-relative one) has the
    flight-path angle of the trajectory shape, ``(pi - Psi)/4`` lowered by the depressed
    offset (Wheelon 1959), within the solve's 0.05 deg."""
    i = np.flatnonzero(~plan.is_hgv)
    b = plan.batch.take(i)
    traj = fly(
        FlightModel(plan.earth, b),
        Unguided(i.size),
        plan.r0[:, i],
        np.zeros((3, i.size)),
        SampleSpec.single(b.sep_time),
        b.sep_time + 1e-6,
    )
    d = plan.draws[0]
    psi = central_angle(d.launch_lat, d.launch_lon, d.aim_lat, d.aim_lon)
    expected = burnout_gamma(psi, "depressed", np.deg2rad(15.0))
    v_i = inertial_velocity(traj.pos, traj.vel, plan.earth)
    _, gamma, _ = speed_gamma_alt(traj.pos, v_i, plan.earth)
    np.testing.assert_allclose(np.rad2deg(gamma), np.rad2deg(expected), atol=0.05)
    _, gamma_rel, _ = speed_gamma_alt(traj.pos, traj.vel, plan.earth)
    assert np.all(np.abs(gamma_rel - expected) > np.deg2rad(0.1))


@pytest.mark.slow
def test_same_seed_same_tables(config: ThreatsConfig, tables: tuple[pa.Table, pa.Table]) -> None:
    """The same configuration and seed give identical truth and events tables."""
    again = run_flyout_with_events(config, epoch=EPOCH, seed=3, step_s=2.0)
    assert again[0].equals(tables[0])
    assert again[1].equals(tables[1])
