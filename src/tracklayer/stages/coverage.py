"""The coverage stage: figures of merit of the space segment over the scenario's region."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tracklayer.errors import ScenarioError
from tracklayer.metrics.coverage import CoverageResult, compute_coverage
from tracklayer.metrics.grid import CoverageGrid, equal_area_grid
from tracklayer.scenario import Scenario
from tracklayer.space import Ephemeris, SatelliteCatalog, propagate
from tracklayer.stages.space import space_segment

__all__ = ["Outage", "Progress", "coverage", "coverage_grid"]

#: ``(done, total)`` callback of a long computation.
Progress = Callable[[int, int], None]
#: Edits propagated states before they are used (NaN states: satellites out of service).
Outage = Callable[[Ephemeris], Ephemeris]


def coverage_grid(scenario: Scenario) -> CoverageGrid:
    """The equal-area grid of the scenario's coverage region.

    Raises
    ------
    ScenarioError
        No ``coverage`` section, or a region the grid cannot cover (named in the message).
    """
    if scenario.coverage is None:
        raise ScenarioError("the scenario has no `coverage` section to analyse")
    try:
        return equal_area_grid(scenario.coverage.cell_size_deg, scenario.coverage.region)
    except ValueError as exc:
        raise ScenarioError(f"coverage.region: {exc}") from None


def coverage(
    scenario: Scenario,
    catalog: SatelliteCatalog | None = None,
    progress: Progress | None = None,
    *,
    outage: Outage | None = None,
) -> CoverageResult:
    """Coverage figures of merit of the scenario's ``coverage`` section, per owner and joint.

    Parameters
    ----------
    scenario
        A scenario with a ``coverage`` section.
    catalog
        The space segment when already built (built from the scenario otherwise).
    progress
        Called with ``(done, total)`` as the grid's blocks finish.
    outage
        Edits the propagated states before they are used (e.g.
        :func:`tracklayer.losses.apply.apply_losses`: NaN states are satellites out of
        service).

    Raises
    ------
    ScenarioError
        No ``coverage`` section, or a region the grid cannot cover.
    """
    config = scenario.coverage
    if config is None:
        raise ScenarioError("the scenario has no `coverage` section to analyse")
    catalog = space_segment(scenario) if catalog is None else catalog
    grid = coverage_grid(scenario)
    seconds = config.sample_seconds(scenario.epoch)
    states = propagate(catalog, scenario.epoch, seconds)
    if outage is not None:
        states = outage(states)
    sensor_names = sorted(set(catalog.sensor.tolist()))
    constraints = [config.constraints_for(scenario.sensors[name]) for name in sensor_names]
    constraint_index = np.searchsorted(sensor_names, catalog.sensor)
    return compute_coverage(
        states.r_ecef,
        seconds,
        constraints,
        constraint_index,
        catalog.owner,
        grid,
        altitudes_m=config.altitudes_m,
        ks=config.k,
        progress=progress,
        end_s=float(seconds[0] + config.duration_s),
    )
