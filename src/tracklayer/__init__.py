"""tracklayer: design, simulate and operate a jointly run satellite tracking layer.

The few names most users need; each stage's module holds the rest. Names load lazily, so
``import tracklayer`` stays cheap for the service and the command line.

>>> import tracklayer as tl
>>> scenario = tl.load_scenario("examples/demo.yaml")          # doctest: +SKIP
>>> result = tl.coverage(scenario)                             # doctest: +SKIP
>>> result.summary_table()                                     # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracklayer._lazy import lazy_exports

if TYPE_CHECKING:
    from tracklayer.errors import InputFormatError, ScenarioError, TracklayerError
    from tracklayer.pipeline import (
        demo_scenario_path,
        write_coverage,
        write_detections,
        write_ephemeris,
        write_flyout,
    )
    from tracklayer.raid import run_raid
    from tracklayer.scenario import Scenario, load_scenario, scenario_json_schema
    from tracklayer.stages.coverage import coverage
    from tracklayer.stages.sensing import detections
    from tracklayer.stages.space import ephemeris, space_segment
    from tracklayer.stages.threats import truth_table
    from tracklayer.vocabulary import tracker_summary

from tracklayer._version import __version__

_EXPORTS = {
    "InputFormatError": "tracklayer.errors",
    "ScenarioError": "tracklayer.errors",
    "TracklayerError": "tracklayer.errors",
    "Scenario": "tracklayer.scenario",
    "load_scenario": "tracklayer.scenario",
    "scenario_json_schema": "tracklayer.scenario",
    "coverage": "tracklayer.stages.coverage",
    "demo_scenario_path": "tracklayer.pipeline",
    "run_raid": "tracklayer.raid",
    "detections": "tracklayer.stages.sensing",
    "ephemeris": "tracklayer.stages.space",
    "space_segment": "tracklayer.stages.space",
    "truth_table": "tracklayer.stages.threats",
    "tracker_summary": "tracklayer.vocabulary",
    "write_coverage": "tracklayer.pipeline",
    "write_detections": "tracklayer.pipeline",
    "write_ephemeris": "tracklayer.pipeline",
    "write_flyout": "tracklayer.pipeline",
}

__all__ = [
    "InputFormatError",
    "Scenario",
    "ScenarioError",
    "TracklayerError",
    "__version__",
    "coverage",
    "demo_scenario_path",
    "detections",
    "ephemeris",
    "load_scenario",
    "run_raid",
    "scenario_json_schema",
    "space_segment",
    "tracker_summary",
    "truth_table",
    "write_coverage",
    "write_detections",
    "write_ephemeris",
    "write_flyout",
]


__getattr__, __dir__ = lazy_exports("tracklayer", _EXPORTS, globals())
