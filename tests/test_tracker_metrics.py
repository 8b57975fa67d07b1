"""The per-tracker metrics table of the scoring stage, against hand-computed figures."""

from __future__ import annotations

import pytest

from tests.test_vocabulary import _metrics, _tracker_scores
from tracklayer.stages.scoring import TRACKER_METRICS_SCHEMA, tracker_metrics_table
from tracklayer.vocabulary import FUSED, JOINT


def test_one_row_per_tracker_with_the_summary_figures() -> None:
    """Reference, by hand from the three threats of the vocabulary test: USA detected 2 of
    3 and tracked 2, first track (45 + 50)/2 = 47.5 s, custody (0.8 + 0.6 + 0)/3 =
    0.4667, RMSE (900 + 1100)/2 = 1000 m, 1 identity switch, GOSPA 5000 m, 2 false tracks;
    the fused picture's detections do not apply (null), its tracks do (3 of 3)."""
    table = tracker_metrics_table(_metrics(), _tracker_scores())
    assert table.schema == TRACKER_METRICS_SCHEMA
    rows = {r["tracker"]: r for r in table.to_pylist()}
    assert list(rows) == ["JPN", "USA", JOINT, FUSED]
    usa = rows["USA"]
    assert (usa["n_threats"], usa["n_detected"], usa["n_tracked"]) == (3, 2, 2)
    assert usa["first_track_s"] == pytest.approx(47.5)
    assert usa["custody_fraction"] == pytest.approx(1.4 / 3.0)
    assert usa["rmse_pos_m"] == pytest.approx(1000.0)
    assert (usa["id_switches"], usa["mean_gospa_m"], usa["false_tracks"]) == (1, 5000.0, 2)
    assert rows[FUSED]["n_detected"] is None and rows[FUSED]["n_tracked"] == 3
