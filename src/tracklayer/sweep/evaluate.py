"""What one case measures: satellites, coverage figures of merit, raid tracking metrics.

Every evaluation returns *metric rows* ``(source, group, target_altitude_km, object_id, metric,
value)``, the long form the results dataset stores, so that new metrics need no change of
schema:

- ``source = "design"``: ``n_satellites`` per owner and for ``joint`` (all owners).
- ``source = "coverage"``: one row per owner (and ``joint``), target altitude and column
  of :meth:`tracklayer.metrics.coverage.CoverageResult.summary_table`
  (``pct_time_k{k}``, ``gain_pct_time_k{k}`` on joint rows, ``max_gap_s``...).
- ``source = "raid"``: one row per threat (``object_id``), tracker (``group``) and numeric
  column of the raid's ``metrics`` table (``first_track_s``, ``custody_fraction``...),
  plus ``tracked`` (1 when the tracker ever held the threat, else 0); and one row per
  tracker (``object_id`` null) for each figure that belongs to no threat (``mean_gospa_m``,
  ``false_tracks``, from the raid's ``tracker_metrics``).

Values are SI (s, m) except percentages; ``target_altitude_km`` is km, as in scenario files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from tracklayer.constants import KM
from tracklayer.scenario import Scenario
from tracklayer.space import SatelliteCatalog
from tracklayer.stages.coverage import coverage
from tracklayer.stages.space import space_segment
from tracklayer.vocabulary import JOINT

__all__ = [
    "MetricRow",
    "coverage_rows",
    "evaluate_case",
    "raid_rows",
    "satellite_rows",
]

#: (source, group, target_altitude_km, object_id, metric, value).
MetricRow = tuple[str, str, float | None, str | None, str, float | None]

_COVERAGE_KEYS = {"group", "altitude_m", "n_cells", "area_m2"}
#: Raid figures of a whole tracker, which no threat owns (``tracker_metrics`` columns).
_PER_TRACKER_METRICS = ("mean_gospa_m", "false_tracks")


def satellite_rows(catalog: SatelliteCatalog) -> list[MetricRow]:
    """``n_satellites`` per owner and for ``joint``: the cost proxy of a design."""
    owners, counts = np.unique(np.asarray(catalog.owner), return_counts=True)
    rows: list[MetricRow] = [
        ("design", str(o), None, None, "n_satellites", float(c))
        for o, c in zip(owners, counts, strict=True)
    ]
    rows.append(("design", JOINT, None, None, "n_satellites", float(len(catalog))))
    return rows


def coverage_rows(scenario: Scenario, catalog: SatelliteCatalog) -> list[MetricRow]:
    """The coverage summary of the scenario as metric rows (see the module docstring)."""
    summary = coverage(scenario, catalog).summary_table()
    rows: list[MetricRow] = []
    for record in summary.to_pylist():
        group = str(record["group"])
        altitude_km = float(record["altitude_m"]) / KM
        for name, value in record.items():
            if name in _COVERAGE_KEYS or value is None:
                continue
            rows.append(("coverage", group, altitude_km, None, name, float(value)))
    return rows


def _numeric_columns(table: pa.Table) -> list[str]:
    return [
        f.name
        for f in table.schema
        if pa.types.is_floating(f.type)
        or pa.types.is_integer(f.type)
        or pa.types.is_boolean(f.type)
    ]


def raid_rows(scenario: Scenario) -> list[MetricRow]:
    """Fly the scenario's raid end to end and return its tracking metrics as rows.

    Calls ``tracklayer.raid.run_raid(scenario).metrics`` (one row per threat and tracker, with
    ``object_id``, ``tracker`` and numeric columns such as ``first_detection_s``,
    ``first_track_s``, ``custody_fraction``, ``rmse_pos_m``, ``rmse_vel_mps``,
    ``id_switches``); every numeric column becomes a metric. A null value (never
    detected, never tracked) is not stored; ``tracked`` records whether ``first_track_s``
    exists, so averages of ``first_track_s`` can be read with the tracked fraction. The
    per-tracker figures of ``tracker_metrics`` that no threat owns (``mean_gospa_m``,
    ``false_tracks``) come once per tracker, with no ``object_id``.
    """
    from tracklayer.raid import run_raid

    raid = run_raid(scenario)
    metrics: pa.Table = raid.metrics
    numeric = _numeric_columns(metrics)
    rows: list[MetricRow] = []
    for record in metrics.to_pylist():
        tracker = str(record["tracker"])
        object_id = str(record["object_id"])
        for name in numeric:
            value = record[name]
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                rows.append(("raid", tracker, None, object_id, name, float(value)))
        if "first_track_s" in record:
            first = record["first_track_s"]
            tracked = first is not None and not (isinstance(first, float) and math.isnan(first))
            rows.append(("raid", tracker, None, object_id, "tracked", float(tracked)))
    for record in raid.tracker_metrics.to_pylist():
        for name in _PER_TRACKER_METRICS:
            if record[name] is not None:
                rows.append(("raid", str(record["tracker"]), None, None, name, float(record[name])))
    return rows


def evaluate_case(
    scenario: Scenario, measures: Sequence[str], replicate: int
) -> tuple[int, list[MetricRow]]:
    """Run every measure of one case.

    Coverage has no random draw, so it is computed in replicate 0 only: its value would be
    the same in every replicate, and averaging copies would only understate its spread.

    Returns
    -------
    n_satellites, rows
        The design's satellite count and its metric rows.
    """
    catalog = space_segment(scenario)
    rows = satellite_rows(catalog)
    if "coverage" in measures and replicate == 0 and scenario.coverage is not None:
        rows += coverage_rows(scenario, catalog)
    if "raid" in measures and scenario.threats is not None:
        rows += raid_rows(scenario)
    return len(catalog), rows
