"""The scoring stage: each tracker's tracks against the truth."""

from __future__ import annotations

import pyarrow as pa

from tracklayer.metrics.tracking import tracking_scores
from tracklayer.scenario import Scenario
from tracklayer.vocabulary import FUSED, tracker_summary

__all__ = ["TRACKER_METRICS_SCHEMA", "score", "tracker_metrics_table"]

#: One row per tracker: its figures over the raid's threats
#: (:func:`tracklayer.vocabulary.tracker_summary`, the figures the console and report print).
TRACKER_METRICS_SCHEMA = pa.schema(
    [
        ("tracker", pa.string()),
        ("n_threats", pa.int64()),
        ("n_detected", pa.int64()),  # null for the fused picture: it has no sensors
        ("n_tracked", pa.int64()),
        ("tracked_fraction", pa.float64()),
        ("first_detection_s", pa.float64()),  # means over the threats where defined
        ("first_track_s", pa.float64()),
        ("cue_time_s", pa.float64()),
        ("custody_fraction", pa.float64()),  # mean over every threat (0 where never tracked)
        ("rmse_pos_m", pa.float64()),
        ("rmse_vel_mps", pa.float64()),
        ("id_switches", pa.int64()),  # summed over the threats
        ("mean_gospa_m", pa.float64()),
        ("false_tracks", pa.int64()),
    ]
)

_COUNTS = {"n_threats": "threats", "n_detected": "detected", "n_tracked": "tracked"}


def tracker_metrics_table(metrics: pa.Table, trackers: pa.Table) -> pa.Table:
    """The per-tracker table (:data:`TRACKER_METRICS_SCHEMA`) of a ``metrics`` table (per
    threat and tracker) and the per-tracker scores
    (:data:`tracklayer.metrics.tracking.TRACKER_SCORES_SCHEMA`)."""
    rows = []
    for tracker, figures in tracker_summary(metrics, trackers).items():
        row: dict[str, object] = {"tracker": tracker}
        for name in TRACKER_METRICS_SCHEMA.names[1:]:
            value = figures.get(_COUNTS.get(name, name))
            integer = pa.types.is_integer(TRACKER_METRICS_SCHEMA.field(name).type)
            row[name] = None if value is None else (round(value) if integer else value)
        if tracker == FUSED:
            row["n_detected"] = None
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=TRACKER_METRICS_SCHEMA)


def score(
    scenario: Scenario, truth: pa.Table, tracks: pa.Table, detections: pa.Table
) -> dict[str, pa.Table]:
    """The ``metrics`` (per threat and tracker), ``tracker_metrics`` (per tracker) and
    ``gospa`` (per tracker and time) tables.

    See :func:`tracklayer.metrics.tracking.tracking_scores`; the scoring settings are the
    scenario's ``tracking`` section.
    """
    scores = tracking_scores(truth, tracks, detections, scenario.tracking)
    return {
        "metrics": scores.metrics,
        "tracker_metrics": tracker_metrics_table(scores.metrics, scores.trackers),
        "gospa": scores.gospa,
    }
