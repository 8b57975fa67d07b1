"""Energy management to the aim point, the reach check, and the corridor's limits.

References: the aim points themselves (miss distance of the impact, ECEF, m) and the
reach of :func:`tracklayer.threats.reach.glide_reach`; the stated dynamic-pressure limit
(``rho V^2 / 2`` from the US76 density at the truth's altitude).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from tests.threats.helpers import SECTION
from tracklayer.constants import DEG
from tracklayer.errors import ScenarioError
from tracklayer.threats.atmosphere import us1976
from tracklayer.threats.config import parse_threats_config
from tracklayer.threats.dynamics import FlightModel
from tracklayer.threats.earth import destination
from tracklayer.threats.flyout import fly_plan, plan_flyout, run_flyout_with_events
from tracklayer.threats.guidance import Guidance
from tracklayer.threats.integrate import SampleSpec, fly

#: The stated miss of energy management plus the terminal dive, m.
STATED_MISS_M = 250.0
LAUNCH = {"lat_deg": 27.0, "lon_deg": 118.5}


def _section(aim: dict[str, float], count: int, **vehicle: Any) -> dict[str, Any]:
    sec = copy.deepcopy(SECTION)
    sec["vehicles"]["hgv"].update(vehicle)
    sec["raids"] = [{"name": "gv", "vehicle": "hgv", "count": count, "launch": LAUNCH, "aim": aim}]
    return sec


def _aim_at(range_km: float, radius_km: float) -> dict[str, float]:
    lat, lon = destination(
        np.array([LAUNCH["lat_deg"] * DEG]),
        np.array([LAUNCH["lon_deg"] * DEG]),
        np.array([100.0 * DEG]),
        np.array([range_km / 6371.0]),
    )
    return {"lat_deg": float(lat[0] / DEG), "lon_deg": float(lon[0] / DEG), "radius_km": radius_km}


def test_hundred_random_reachable_aims_within_stated_miss() -> None:
    """100 aims drawn over a 400 km disc, 430 to 1,230 km from the launch point (the
    glider's reach is about 400 to 1,250 km): every impact within 250 m of its aim, and
    the nearest and farthest aims are both flown (energy dissipated by S-turns and the
    polar for the near ones, none to spare for the far ones)."""
    plan = plan_flyout(parse_threats_config(_section(_aim_at(830.0, 400.0), 100)), seed=5)
    traj, _ = fly_plan(plan, 1.0, None)
    d = plan.draws[0]
    aim = plan.earth.ecef(d.aim_lat, d.aim_lon, np.zeros(d.count))
    miss = np.linalg.norm(traj.impact_pos - aim, axis=0)
    assert np.all(np.isfinite(miss))
    assert miss.max() < STATED_MISS_M, np.sort(miss)[-5:]


def test_aim_beyond_reach_is_refused_naming_the_raid() -> None:
    """An aim 2,000 km away (reach about 1,250 km) and one 150 km away (pull-up ends near
    400 km) are refused before the flyout, naming the raid and both reach limits."""
    for km in (2000.0, 150.0):
        cfg = parse_threats_config(_section(_aim_at(km, 0.0), 2))
        with pytest.raises(ScenarioError, match=r"threats\.raids\[0\] \(gv, vehicle hgv\)"):
            plan_flyout(cfg, seed=1)


def test_pressure_limit_respected_or_reported() -> None:
    """With a 35 kPa limit (the corridor sits near ``beta g / (L/D)``, 45 kPa) the glide
    flies higher, on more lift (``n`` about 1.5 of the polar's 2): 100 s after the pull-up
    its dynamic pressure stays under the limit, and the pull-up's overshoot above it is
    reported (``pressure_limit``) exactly when the truth shows one. Limits the polar
    cannot respect (2 kPa, 0.2 MW/m^2) are reported."""
    epoch = datetime(2030, 1, 1, tzinfo=UTC)
    aim = _aim_at(950.0, 0.0)
    truth, events = run_flyout_with_events(
        parse_threats_config(_section(aim, 1, max_dynamic_pressure_kpa=35.0)),
        epoch=epoch,
        seed=1,
        step_s=1.0,
    )
    phase = truth["phase"].cast("string").to_numpy(zero_copy_only=False)
    v2 = sum(truth[c].to_numpy() ** 2 for c in ("vx", "vy", "vz"))
    q = 0.5 * us1976().density(truth["alt_m"].to_numpy()) * v2
    gliding = np.flatnonzero(np.isin(phase, ["glide", "manoeuvre"]))
    assert gliding.size > 200
    assert q[gliding[100:]].max() < 35e3
    before_dive = np.isin(phase, ["pullup", "glide", "manoeuvre"])
    exceeded = bool((q[before_dive] > 35e3).any())
    assert exceeded == ("pressure_limit" in events["event"].to_pylist())
    _, events = run_flyout_with_events(
        parse_threats_config(
            _section(aim, 1, max_dynamic_pressure_kpa=2.0, max_heat_flux_mw_m2=0.2)
        ),
        epoch=epoch,
        seed=1,
        step_s=1.0,
    )
    assert {"pressure_limit", "heating_limit"} <= set(events["event"].to_pylist())


def test_near_aim_flown_with_bank_reversals() -> None:
    """An aim 700 km away (reach about 400 to 1,250 km, no weave) leaves energy to spare:
    between pull-up and dive the glider flies S-turns at its 60 deg bank limit on
    alternating sides (at least three reversals) and still lands within the stated miss."""
    sec = _section(_aim_at(700.0, 0.0), 1, manoeuvre_range_km=0)
    plan = plan_flyout(parse_threats_config(sec), seed=2)
    guidance = Guidance(plan.guidance)
    samples = SampleSpec(np.zeros(1), 1.0, np.array([1500]), np.zeros(1, np.int64), 1500)
    traj = fly(
        FlightModel(plan.earth, plan.batch),
        guidance,
        plan.r0,
        np.zeros((3, 1)),
        samples,
        np.array([1500.0]),
        h_boost=0.5,
        h_max=2.0,
        trace=np.array([0]),
        trace_steps=5000,
    )
    assert traj.trace is not None
    when = {e.name: float(e.time[0]) for e in guidance.events}
    t = traj.trace.t[:-1]
    glide = (t >= when["pullup_end"]) & (t < when["terminal_start"])
    bank = np.rad2deg(np.arctan2(traj.trace.ss[glide, 0], traj.trace.cs[glide, 0]))
    assert np.abs(bank).max() == pytest.approx(60.0, abs=1.0)
    assert np.count_nonzero(np.diff(np.sign(bank[np.abs(bank) > 20.0])) != 0) >= 3
    miss = np.linalg.norm(traj.impact_pos[:, 0] - plan.guidance.aim[:, 0])
    assert miss < STATED_MISS_M


@pytest.mark.parametrize("azimuth_deg", [0.0, 90.0])
def test_long_range_glider_reaches_aims_north_and_east(azimuth_deg: float) -> None:
    """The ``hgv-long`` preset with a 10 deg cross-range offset, 40 aims over a 1,800 km
    disc centred 5,000 km north (over the ellipsoid's flattening) or east (energy to
    spare: near aims 3,200 km away against a reach near 8,000 km): all within the stated
    miss."""
    lat, lon = destination(
        np.array([35.0 * DEG]),
        np.array([100.0 * DEG]),
        np.array([azimuth_deg * DEG]),
        np.array([5000.0 / 6371.0]),
    )
    sec = {
        "vehicles": {"g": {"preset": "hgv-long", "crossrange_offset_deg": 10}},
        "raids": [
            {
                "name": "gl",
                "vehicle": "g",
                "count": 40,
                "launch": {"lat_deg": 35.0, "lon_deg": 100.0, "radius_km": 100},
                "aim": {
                    "lat_deg": float(lat[0] / DEG),
                    "lon_deg": float(lon[0] / DEG),
                    "radius_km": 1800,
                },
            }
        ],
    }
    plan = plan_flyout(parse_threats_config(sec), seed=3)
    traj, _ = fly_plan(plan, 1.0, None)
    miss = np.linalg.norm(traj.impact_pos - plan.guidance.aim, axis=0)
    assert np.all(np.isfinite(miss)) and miss.max() < STATED_MISS_M, np.sort(miss)[-3:]
