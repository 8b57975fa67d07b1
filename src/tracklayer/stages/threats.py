"""The threats stage: the scenario's raids flown, as the ``truth`` table."""

from __future__ import annotations

import pyarrow as pa

from tracklayer.errors import ScenarioError
from tracklayer.scenario import Scenario

__all__ = ["truth_table"]


def truth_table(scenario: Scenario) -> pa.Table:
    """The ``truth`` table of the scenario's threats (see :mod:`tracklayer.threats`).

    Raises
    ------
    ScenarioError
        The scenario has no ``threats`` section.
    """
    if scenario.threats is None:
        raise ScenarioError("the scenario has no `threats` section to fly")
    # The flyout pulls in the compiled trajectory kernels: loaded when a raid is flown.
    from tracklayer.threats.flyout import run_flyout

    return run_flyout(
        scenario.threats,
        epoch=scenario.epoch,
        seed=scenario.seed,
        step_s=scenario.step_s,
        duration_s=scenario.duration_s,
    )
