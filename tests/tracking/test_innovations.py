"""The tracker's innovations: NIS of its updates against the chi-square law."""

from __future__ import annotations

import numpy as np

from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.run import INNOVATIONS_SCHEMA, run_tracking_tables
from tracklayer.tracking.synthetic import EPOCH, make_raid


def test_nis_of_a_consistent_filter_follows_chi_square_2() -> None:
    """Reference: a line-of-sight innovation is χ² with 2 degrees of freedom when the
    filter's prediction and the sensors' σ are honest: mean 2, median 2 ln 2 = 1.386.
    On a synthetic raid whose detections carry exactly their stated Gaussian noise, each
    tracker's mean NIS over its updates lies within 25 % of 2 and its median within 25 %
    of 1.386 (the process noise the filter adds for manoeuvres makes it a little
    cautious, never over-confident)."""
    raid = make_raid(n_threats=3, n_sats=10, duration_s=120.0, step_s=1.0, seed=3)
    tracks, innovations = run_tracking_tables(raid.detections, TrackingConfig(), epoch=EPOCH)
    assert innovations.schema == INNOVATIONS_SCHEMA
    assert set(innovations["track_id"].to_pylist()) <= set(tracks["track_id"].to_pylist())
    for tracker in set(innovations["tracker"].to_pylist()):
        nis = np.asarray(
            [v for v, t in zip(innovations["nis"].to_pylist(),
                               innovations["tracker"].to_pylist(), strict=True) if t == tracker]
        )  # fmt: skip
        assert nis.size > 300
        assert abs(nis.mean() - 2.0) < 0.5, (tracker, nis.mean())
        assert abs(np.median(nis) - 2.0 * np.log(2.0)) < 0.35, (tracker, np.median(nis))
