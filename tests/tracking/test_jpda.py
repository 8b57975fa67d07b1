"""JPDA: exact association probabilities against enumeration of joint events, the
two-target textbook case by hand, and the tracker holding a raid with JPDA."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest

from tracklayer.metrics.tracking import tracking_scores
from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.jpda import jpda_marginals
from tracklayer.tracking.run import run_tracking
from tracklayer.tracking.synthetic import make_raid


def _enumerate(like: np.ndarray, miss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Marginals by listing every feasible joint event (independent reference)."""
    t_n, d_n = like.shape
    beta, beta0, z = np.zeros((t_n, d_n)), np.zeros(t_n), 0.0
    # Event: for each track a detection index or -1, detections used at most once.
    options = list(range(-1, d_n))
    stack: list[list[int]] = [[]]
    events = []
    while stack:
        e = stack.pop()
        if len(e) == t_n:
            events.append(e)
            continue
        for o in options:
            if o < 0 or o not in e:
                stack.append([*e, o])
    for e in events:
        w = np.prod([miss[t] if o < 0 else like[t, o] for t, o in enumerate(e)])
        z += w
        for t, o in enumerate(e):
            if o < 0:
                beta0[t] += w
            else:
                beta[t, o] += w
    return beta / z, beta0 / z


def test_marginals_match_enumeration_of_joint_events() -> None:
    """Random clusters up to 4 tracks x 5 detections with gaps in the gate: the
    forward-backward marginals equal brute-force sums over all feasible events (Bar-Shalom,
    Willett and Tian 2011, sec. 6.2) to 1e-12; each track's probabilities sum to 1."""
    rng = np.random.default_rng(21)
    shapes = [(1, 1), (2, 2), (3, 2), (2, 4), (4, 5), (4, 4)]
    for t_n, d_n in shapes:
        like = rng.exponential(5.0, (3, t_n, d_n)) * (rng.random((3, t_n, d_n)) < 0.7)
        miss = np.full((3, t_n), 0.1)
        beta, beta0 = jpda_marginals(like, miss)
        for c in range(3):
            b_ref, b0_ref = _enumerate(like[c], miss[c])
            np.testing.assert_allclose(beta[c], b_ref, atol=1e-12)
            np.testing.assert_allclose(beta0[c], b0_ref, atol=1e-12)
        np.testing.assert_allclose(beta.sum(axis=2) + beta0, 1.0, atol=1e-12)


def test_two_tracks_two_detections_by_hand() -> None:
    """The textbook two-target case (Bar-Shalom and Fortmann 1988, sec. 9.3): tracks 1, 2
    and detections a, b, with a shared by both gates and b only in track 2's. Events:
    {} w=m1 m2; {1a} L1a m2; {2a} m1 L2a; {2b} m1 L2b; {1a,2b} L1a L2b. By hand with
    L1a=4, L2a=1, L2b=3, m=0.2: Z = 0.04 + 0.8 + 0.2 + 0.6 + 12 = 13.64, beta_1a =
    12.8/13.64, beta_2a = 0.2/13.64, beta_2b = 12.6/13.64; tolerance 1e-12."""
    like = np.array([[[4.0, 0.0], [1.0, 3.0]]])
    beta, beta0 = jpda_marginals(like, np.full((1, 2), 0.2))
    z = 13.64
    np.testing.assert_allclose(beta[0], [[12.8 / z, 0.0], [0.2 / z, 12.6 / z]], atol=1e-12)
    np.testing.assert_allclose(beta0[0], [(0.04 + 0.2 + 0.6) / z, (0.04 + 0.8) / z], atol=1e-12)


def test_jpda_tracker_holds_the_raid() -> None:
    """5 threats, 30 satellites, 1 false alarm per sensor and frame: with JPDA the joint
    tracker keeps each threat >= 90 % of its flight, one identity each, within 300 m RMS,
    and confirms no false track (as the GNN test in test_tracker.py)."""
    raid = make_raid(5, 30, duration_s=90.0, false_alarms_per_frame=1.0, seed=1)
    cfg = TrackingConfig(association="jpda")
    out = run_tracking(raid.detections, cfg)
    m, trackers, _ = tracking_scores(raid.truth, out, None, cfg)
    joint = m.filter(pc.equal(m.column("tracker"), "joint")).to_pylist()
    assert len(joint) == 5
    for row in joint:
        assert row["custody_fraction"] >= 0.9
        assert row["id_switches"] == 0
        assert row["rmse_pos_m"] < 300.0
    assert trackers.filter(pc.equal(trackers["tracker"], "joint"))["false_tracks"][0].as_py() == 0


def test_jpda_rejects_unsupported_filters() -> None:
    """JPDA runs with the EKF only; other combinations are refused with a message."""
    with pytest.raises(ValueError, match="not supported"):
        TrackingConfig(filter="imm", association="jpda")
    with pytest.raises(ValueError, match="needs filter 'ekf'"):
        TrackingConfig(filter="ckf", association="jpda")
