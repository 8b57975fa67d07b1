"""A case's raid metric rows: per threat from ``metrics``, per tracker from
``tracker_metrics`` (figures no threat owns come once per tracker, not once per threat)."""

from __future__ import annotations

import pytest

import tracklayer.raid
from tests.test_vocabulary import _metrics, _tracker_scores
from tracklayer.raid import StageRun
from tracklayer.scenario import Scenario
from tracklayer.stages.scoring import tracker_metrics_table
from tracklayer.sweep.evaluate import raid_rows
from tracklayer.vocabulary import JOINT


def test_per_tracker_figures_come_once_per_tracker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reference: the vocabulary test's tables (3 threats, 4 trackers); JOINT's mean GOSPA
    is 3000 m and it has no false track, USA's first track of T1 is 45 s."""
    metrics = _metrics()
    run = StageRun(
        {"metrics": metrics, "tracker_metrics": tracker_metrics_table(metrics, _tracker_scores())},
        {},
    )
    monkeypatch.setattr(tracklayer.raid, "run_raid", lambda _scenario: run)
    rows = raid_rows(Scenario.model_construct())
    gospa = [r for r in rows if r[4] == "mean_gospa_m"]
    assert len(gospa) == 4 and all(r[3] is None for r in gospa)
    assert ("raid", JOINT, None, None, "mean_gospa_m", 3000.0) in rows
    assert ("raid", JOINT, None, None, "false_tracks", 0.0) in rows
    assert ("raid", "USA", None, "T1", "first_track_s", 45.0) in rows
    assert not [r for r in rows if r[3] is not None and r[4] in ("mean_gospa_m", "false_tracks")]
