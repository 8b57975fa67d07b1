"""The network stage of a scenario: its satellites at the raid's samples, then
:func:`tracklayer.network.stage.run_network`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from tracklayer.network.layer import NetworkOutage, SpaceSegmentStates
from tracklayer.network.stage import NetworkTables, run_network
from tracklayer.scenario import Scenario
from tracklayer.space import build_space_segment, propagate


def scenario_space_states(scenario: Scenario) -> SpaceSegmentStates:
    """Every satellite's ECEF states at the raid's samples ``0 .. duration_s`` every ``step_s``."""
    catalog = build_space_segment(scenario.space.constellations, scenario.epoch, Path.cwd())
    seconds = np.arange(0.0, scenario.duration_s + 1e-9, scenario.step_s)
    states = propagate(catalog, scenario.epoch, seconds)
    return SpaceSegmentStates(
        catalog.sat_id, catalog.owner, catalog.constellation, seconds, states.r_ecef, states.valid
    )


def scenario_network(
    scenario: Scenario,
    detections: pa.Table,
    *,
    outage: NetworkOutage | None = None,
    space: SpaceSegmentStates | None = None,
) -> NetworkTables:
    """Links, deliveries, node trackers and the C2 picture of a scenario with a network.

    Raises
    ------
    ValueError
        The scenario has no ``network`` section.
    """
    if scenario.network is None:
        raise ValueError("the scenario has no network section")
    return run_network(
        scenario.network,
        scenario.tracking,
        space if space is not None else scenario_space_states(scenario),
        detections,
        scenario.epoch,
        outage=outage,
        fusion_interval_s=scenario.step_s,
    )
