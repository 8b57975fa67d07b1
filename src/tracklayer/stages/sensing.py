"""The sensing stage: every satellite payload and ground radar against the threats."""

from __future__ import annotations

import pyarrow as pa

from tracklayer.errors import ScenarioError
from tracklayer.scenario import Scenario
from tracklayer.sensors.detect import detect
from tracklayer.sensors.geometry import VisibilityConstraints
from tracklayer.sensors.ir_config import InfraredParameters
from tracklayer.sensors.sightlines import sightlines
from tracklayer.space import SatelliteCatalog
from tracklayer.space.propagate import Ephemeris
from tracklayer.stages.coverage import Outage
from tracklayer.stages.space import ephemeris, space_segment

__all__ = ["detections", "infrared_payloads", "sightlines_table"]


def infrared_payloads(
    scenario: Scenario,
) -> dict[str, tuple[VisibilityConstraints, InfraredParameters]]:
    """Payload name to (geometry, infrared parameters), for payloads that sense."""
    return {
        name: (payload.constraints(), payload.infrared)
        for name, payload in scenario.sensors.items()
        if payload.infrared is not None
    }


def detections(
    scenario: Scenario,
    truth: pa.Table,
    catalog: SatelliteCatalog | None = None,
    *,
    outage: Outage | None = None,
) -> pa.Table:
    """The ``detections`` table: every satellite payload and ground radar against ``truth``.

    Parameters
    ----------
    scenario
        The scenario: sensors, space segment, radars, environment, seed, raid span.
    truth
        The ``truth`` table of the threats (:func:`tracklayer.stages.threats.truth_table`).
    catalog
        The space segment when already built.
    outage
        Edits the propagated states before sensing (e.g.
        :func:`tracklayer.losses.apply.apply_losses`: invalid states sense nothing).

    Raises
    ------
    ScenarioError
        A sensor setting the sensing models refuse (the message names it).
    """
    catalog = space_segment(scenario) if catalog is None else catalog
    return _detect(scenario, truth, catalog, _states(scenario, catalog, outage))


def sightlines_table(
    scenario: Scenario,
    truth: pa.Table,
    catalog: SatelliteCatalog | None = None,
    *,
    outage: Outage | None = None,
) -> pa.Table:
    """The ``sightlines`` table: why each threat was or was not seen.

    Per threat in flight, grid time and owner, the owner's infrared satellites with a clear
    line of sight, the threat in their field of regard, and in view above the clouds
    (:mod:`tracklayer.sensors.sightlines`), on the sensing grid and cloud draw of
    :func:`detections` (parameters as there).
    """
    catalog = space_segment(scenario) if catalog is None else catalog
    return sightlines(
        catalog,
        _states(scenario, catalog, outage),
        truth,
        {name: geometry for name, (geometry, _) in infrared_payloads(scenario).items()},
        seed=scenario.seed,
        environment=scenario.environment,
    )


def _states(scenario: Scenario, catalog: SatelliteCatalog, outage: Outage | None) -> Ephemeris:
    states = ephemeris(scenario, catalog)
    return states if outage is None else outage(states)


def _detect(
    scenario: Scenario, truth: pa.Table, catalog: SatelliteCatalog, states: Ephemeris
) -> pa.Table:
    bands = None if scenario.threats is None else dict(scenario.threats.bands)
    try:
        return detect(
            catalog,
            states,
            truth,
            infrared_payloads(scenario),
            scenario.radars,
            seed=scenario.seed,
            bands=bands,
            environment=scenario.environment,
        )
    except ValueError as exc:
        raise ScenarioError(f"sensors: {exc}") from None
