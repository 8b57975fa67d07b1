"""The tracking stage: each owner's tracker, the joint tracker, and their fused picture."""

from __future__ import annotations

import pyarrow as pa

from tracklayer.fusion.timeline import fuse_timeline
from tracklayer.scenario import Scenario
from tracklayer.tracking.run import run_tracking_tables

__all__ = ["tracking_tables", "tracks_table"]


def tracks_table(scenario: Scenario, detections: pa.Table) -> pa.Table:
    """The ``tracks`` table of a raid: national and joint tracks, then the fused ones.

    Each owner's tracker reads its own detections, the joint tracker all of them
    (:func:`tracklayer.tracking.run.run_tracking`); the national tracks are then fused
    (:func:`tracklayer.fusion.timeline.fuse_timeline`) at the raid's cadence, so the
    fused picture is scored on the same clock as the trackers.
    """
    return tracking_tables(scenario, detections)["tracks"]


def tracking_tables(scenario: Scenario, detections: pa.Table) -> dict[str, pa.Table]:
    """``tracks`` (:func:`tracks_table`) and the trackers' ``innovations`` (each detection
    that updated a track, with its NIS; :func:`tracklayer.tracking.run.run_tracking_tables`)."""
    national, innovations = run_tracking_tables(detections, scenario.tracking, epoch=scenario.epoch)
    fused = fuse_timeline(national, scenario.epoch, interval_s=scenario.step_s)
    return {"tracks": pa.concat_tables([national, fused]), "innovations": innovations}
