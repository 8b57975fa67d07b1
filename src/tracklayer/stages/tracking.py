"""The tracking stage: each owner's tracker, the joint tracker, and their fused picture."""

from __future__ import annotations

import pyarrow as pa

from tracklayer.fusion.timeline import fuse_timeline
from tracklayer.scenario import Scenario
from tracklayer.tracking.run import run_tracking

__all__ = ["tracks_table"]


def tracks_table(scenario: Scenario, detections: pa.Table) -> pa.Table:
    """The ``tracks`` table of a raid: national and joint tracks, then the fused ones.

    Each owner's tracker reads its own detections, the joint tracker all of them
    (:func:`tracklayer.tracking.run.run_tracking`); the national tracks are then fused
    (:func:`tracklayer.fusion.timeline.fuse_timeline`) at the raid's cadence, so the
    fused picture is scored on the same clock as the trackers.
    """
    national = run_tracking(detections, scenario.tracking, epoch=scenario.epoch)
    fused = fuse_timeline(national, scenario.epoch, interval_s=scenario.step_s)
    return pa.concat_tables([national, fused])
