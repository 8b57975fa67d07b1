"""The demo's boosters are first seen after they leave the ground, never at launch."""

from __future__ import annotations

import numpy as np
import pytest

from tracklayer import pipeline
from tracklayer.scenario import load_scenario


@pytest.mark.slow
def test_no_threat_of_the_demo_is_seen_at_launch() -> None:
    """Every boosting threat's first infrared detection comes after launch, above the ground.

    Reference: the physics of the demo's absorption bands (2.7 and 4.3 µm): the lowest air
    passes at most about 1 % of a plume's in-band emission on the slant paths to the
    sensors, and a launch under cloud is hidden until it clears the cloud top. Each
    missile and glider (not the spent stages, which appear at burnout) must be first seen at
    least one second after launch, above 50 m.
    """
    scenario = load_scenario(pipeline.demo_scenario_path())
    truth = pipeline.truth_table(scenario)
    det = pipeline.detections(scenario, truth)
    ids = np.asarray(truth.column("object_id").to_pylist(), dtype=object)
    kinds = np.asarray(truth.column("kind").to_pylist(), dtype=object)
    t_truth = truth.column("time").cast("int64").to_numpy()
    alt = truth.column("alt_m").to_numpy()
    det_ids = np.asarray(det.column("truth_id").to_pylist(), dtype=object)
    ir = np.asarray(det.column("sensor_kind").to_pylist(), dtype=object) == "ir"
    t_det = det.column("time").cast("int64").to_numpy()
    boosters = sorted({str(o) for o, k in zip(ids, kinds, strict=True) if k != "stage"})
    assert len(boosters) == 9
    for oid in boosters:
        rows = ids == oid
        launch = t_truth[rows].min()
        seen = ir & (det_ids == oid)
        assert seen.any(), oid
        first = t_det[seen].min()
        assert (first - launch) / 1e9 >= 1.0, oid
        at = alt[rows][np.argmin(np.abs(t_truth[rows] - first))]
        assert at > 50.0, (oid, at)
