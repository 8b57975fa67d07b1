"""A scenario's network section in the end-to-end raid: tables, node trackers, warning."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import yaml

from tests.conftest import SMALL_SCENARIO
from tracklayer.losses.apply import apply_losses
from tracklayer.network.delivery import deliver
from tracklayer.network.layer import build_network
from tracklayer.pipeline import demo_scenario_path
from tracklayer.raid import NETWORK, run_raid, run_stages
from tracklayer.scenario import validate_scenario
from tracklayer.stages.network import space_states
from tracklayer.stages.space import space_segment
from tracklayer.tracking.run import run_tracking
from tracklayer.tracking.synthetic import make_raid

NETWORK_SECTION = """
network:
  crosslinks: [{constellation: A, terminals: 2, max_range_km: 8000, acquisition_s: 0}]
  ground_stations:
    - {name: GUAM, owner: USA, lat_deg: 13.4, lon_deg: 144.8, min_elevation_deg: 5}
    - {name: TOKYO, owner: JPN, lat_deg: 35.7, lon_deg: 139.7, min_elevation_deg: 5}
  nodes: [{owner: USA, name: US}, {owner: JPN, name: JP}, {owner: joint, name: C2}]
  sharing:
    - {from: USA, to: joint, what: [detections, tracks]}
    - {from: JPN, to: joint, what: [detections, tracks]}
"""


def _scenario(**changes: object):  # type: ignore[no-untyped-def]
    data = yaml.safe_load(SMALL_SCENARIO + NETWORK_SECTION)
    data["epoch"] = "2027-03-01T00:00:00Z"
    data.pop("coverage")
    data.update(changes)
    return validate_scenario(data)


def test_the_scenarios_own_satellites_reach_their_nodes() -> None:
    scenario = _scenario()
    space = space_states(scenario, space_segment(scenario))
    assert scenario.network is not None
    network = build_network(scenario.network, space)
    step = np.arange(space.seconds.size)
    owner = np.repeat(space.owner[None], step.size, 0).ravel()
    arrivals = deliver(
        network,
        np.repeat(space.seconds, space.sat_id.size),
        np.tile(space.sat_id, step.size),
        owner,
    )
    nodes = set(arrivals.node.tolist())
    assert nodes == {"US", "JP", "C2"}
    assert set(owner[arrivals.row[arrivals.node == "US"]]) == {"USA"}
    assert np.sum(network.links.kind == 0) > 0 and np.sum(network.links.kind == 1) > 0


def test_run_raid_with_a_network_writes_its_tables_and_warning_times() -> None:
    raid = make_raid(2, 12, duration_s=60.0, false_alarms_per_frame=0.2, seed=2)
    demo = yaml.safe_load(demo_scenario_path().read_text())
    scenario = _scenario(
        epoch=raid.epoch.isoformat(), duration_s=60.0, step_s=1.0, threats=demo["threats"]
    )  # the threats section makes the raid's stages run; its truth is given here
    run = run_raid(scenario, truth=raid.truth, detections=raid.detections)
    network_tables = {"links", "deliveries", "latency", "node_tracks", "warning"}
    assert network_tables <= set(run.tables)
    today = run_tracking(raid.detections, scenario.tracking, epoch=raid.epoch)
    trackers = set(run.tracks.column("tracker").to_pylist())
    assert trackers == {*today.column("tracker").to_pylist(), "fused"}
    # The synthetic sensors are not the scenario's satellites: ground sensors, 50 ms away.
    latency = {r["node"]: r for r in run.tables["latency"].to_pylist()}
    assert abs(latency["US"]["latency_max_s"] - 0.05) < 1e-6
    warning = run.tables["warning"]
    assert warning.filter(pc.is_valid(warning["warning_s"])).num_rows > 0
    assert "network_attacks" not in run.tables  # the raid's group leaves attacks out


def test_attacks_run_after_the_raid_in_their_own_group() -> None:
    raid = make_raid(2, 12, duration_s=40.0, false_alarms_per_frame=0.2, seed=2)
    demo = yaml.safe_load(demo_scenario_path().read_text())
    data = yaml.safe_load(SMALL_SCENARIO + NETWORK_SECTION)
    data["network"]["attacks"] = {"pool": "nodes", "owner": "joint", "counts": [0, 1]}
    scenario = _scenario(
        epoch=raid.epoch.isoformat(), duration_s=40.0, step_s=1.0, threats=demo["threats"],
        network=data["network"],
    )  # fmt: skip
    run = run_raid(scenario, truth=raid.truth, detections=raid.detections)
    after = run_stages(scenario, NETWORK, given=run.tables)
    summary = after.tables["network_attacks_summary"].to_pylist()
    joint = {r["k"]: r["warned_fraction"] for r in summary if r["tracker"] == "joint"}
    assert set(joint) == {0}  # with the C2 node cut off (k = 1) it has no row at all
    assert {r["k"] for r in summary} == {0, 1}


def test_satellites_out_of_service_neither_link_nor_relay() -> None:
    """A resilience draw's outage reaches the network: lost satellites hold no link."""
    scenario = _scenario()
    catalog = space_segment(scenario)
    lost = catalog.owner == "USA"
    space = space_states(scenario, catalog, lambda eph: apply_losses(eph, lost=lost, at_s=300.0))
    assert scenario.network is not None
    links = build_network(scenario.network, space).links
    late = space.seconds[links.step] >= 300.0
    ends = np.r_[links.a[late], links.b[late]]
    assert not np.any(np.isin(ends, np.flatnonzero(lost)))
    early = ~late
    assert np.any(np.isin(np.r_[links.a[early], links.b[early]], np.flatnonzero(lost)))
