"""The scoring stage: each tracker's tracks against the truth."""

from __future__ import annotations

import pyarrow as pa

from tracklayer.metrics.tracking import tracking_metrics
from tracklayer.scenario import Scenario

__all__ = ["score"]


def score(
    scenario: Scenario, truth: pa.Table, tracks: pa.Table, detections: pa.Table
) -> dict[str, pa.Table]:
    """The ``metrics`` (per threat and tracker) and ``gospa`` (per tracker and time) tables.

    See :func:`tracklayer.metrics.tracking.tracking_metrics`; the scoring settings are the
    scenario's ``tracking`` section.
    """
    metrics, gospa = tracking_metrics(truth, tracks, detections, scenario.tracking)
    return {"metrics": metrics, "gospa": gospa}
