"""The space segment stage: the scenario's satellites and their ECEF states."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tracklayer.scenario import Scenario
from tracklayer.space import Ephemeris, SatelliteCatalog, build_space_segment, propagate

__all__ = ["ephemeris", "raid_seconds", "space_segment"]


def space_segment(scenario: Scenario) -> SatelliteCatalog:
    """Every satellite of the scenario, with its owner, constellation and sensor.

    Data-file paths still relative in the scenario resolve against the working directory.
    """
    return build_space_segment(scenario.space.constellations, scenario.epoch, Path.cwd())


def raid_seconds(scenario: Scenario) -> NDArray[np.float64]:
    """The raid's time grid, s since the epoch: ``0 .. duration_s`` every ``step_s``."""
    return np.arange(0.0, scenario.duration_s + 1e-9, scenario.step_s)


def ephemeris(
    scenario: Scenario, catalog: SatelliteCatalog, seconds: NDArray[np.float64] | None = None
) -> Ephemeris:
    """ECEF states of every satellite at ``seconds`` since the epoch.

    The default samples the raid span (:func:`raid_seconds`).
    """
    if seconds is None:
        seconds = raid_seconds(scenario)
    return propagate(catalog, scenario.epoch, seconds)
