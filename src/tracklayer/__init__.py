"""tracklayer: design, simulate and operate a jointly run satellite tracking layer.

The few names most users need; each stage's module holds the rest.

>>> import tracklayer as tl
>>> scenario = tl.load_scenario("examples/demo.yaml")          # doctest: +SKIP
>>> result = tl.coverage(scenario)                             # doctest: +SKIP
>>> result.summary_table()                                     # doctest: +SKIP
"""

from __future__ import annotations

from tracklayer.errors import InputFormatError, ScenarioError, TracklayerError
from tracklayer.pipeline import (
    coverage,
    demo_scenario_path,
    ephemeris,
    space_segment,
    truth_table,
    write_coverage,
    write_ephemeris,
    write_flyout,
)
from tracklayer.scenario import Scenario, load_scenario, scenario_json_schema

__version__ = "0.1.0"

__all__ = [
    "InputFormatError",
    "Scenario",
    "ScenarioError",
    "TracklayerError",
    "__version__",
    "coverage",
    "demo_scenario_path",
    "ephemeris",
    "load_scenario",
    "scenario_json_schema",
    "space_segment",
    "truth_table",
    "write_coverage",
    "write_ephemeris",
    "write_flyout",
]
