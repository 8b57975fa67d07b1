"""Multi-frame assignment: Murty's ranking against exhaustive enumeration, the clusters'
hypotheses, and the tracker with ``association: mfa``."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tracklayer.tracking import mfa
from tracklayer.tracking.config import TrackingConfig


def _brute_force(cost: np.ndarray) -> list[float]:
    """Every complete assignment's cost, sorted: the reference for Murty's ranking."""
    rows, cols = cost.shape
    totals = []
    for perm in itertools.permutations(range(cols), rows):
        total = float(cost[np.arange(rows), list(perm)].sum())
        if np.isfinite(total):
            totals.append(total)
    return sorted(totals)


@pytest.mark.parametrize("seed", range(5))
def test_murty_ranks_as_exhaustive_enumeration(seed: int) -> None:
    """Reference: all assignments of a 4 x 6 matrix with forbidden pairs, enumerated and
    sorted; Murty's first 12 costs equal the 12 smallest to 1e-9 (exact arithmetic on the
    same numbers), in order, and its assignments are distinct and use each column once."""
    rng = np.random.default_rng(seed)
    cost = rng.uniform(-5.0, 0.0, (4, 6))
    cost[rng.random(cost.shape) < 0.3] = np.inf
    cost[np.arange(4), 2 + np.arange(4)] = 0.0  # a finite "miss" column per row
    ranked = mfa.murty(cost, 12)
    expected = _brute_force(cost)[:12]
    assert [c for _, c in ranked] == pytest.approx(expected, abs=1e-9)
    assert len({tuple(cols.tolist()) for cols, _ in ranked}) == len(ranked)
    for cols, total in ranked:
        assert np.unique(cols).size == cols.size
        assert cost[np.arange(4), cols].sum() == pytest.approx(total)


def test_murty_of_an_infeasible_problem_is_empty() -> None:
    assert mfa.murty(np.full((2, 2), np.inf), 3) == []


def test_hypotheses_rank_each_cluster_and_leave_unconflicted_pairs_alone() -> None:
    """Two tracks sharing two detections of one sensor (a cluster: the best assignment
    and its swap), and a third track alone with its own detection (one option)."""
    track = np.array([0, 0, 1, 1, 2])
    det = np.array([0, 1, 0, 1, 2])
    cost = np.array([-9.0, -2.0, -3.0, -8.0, -5.0])
    sensor = np.zeros(3, np.int64)
    hyp = mfa.hypotheses(track, det, cost, sensor, n_tracks=3, k=4)
    best = {(int(t), int(d)) for t, d in zip(*hyp.pairs[0], strict=True)}
    second = {(int(t), int(d)) for t, d in zip(*hyp.pairs[1], strict=True)}
    assert best == {(0, 0), (1, 1), (2, 2)}
    # The cluster's second best drops one pair (cost -9 - 0 ... -8 vs swap -5): keep (0, 0).
    assert (2, 2) in second and second != best
    assert hyp.cluster_of_track[0] == hyp.cluster_of_track[1] != hyp.cluster_of_track[2]
    assert [len(c) for c in hyp.cluster_choices] == [4, 1]
    swap = mfa.compose(hyp, np.array([1, 0]))
    assert (2, 2) in set(zip(swap[0].tolist(), swap[1].tolist(), strict=True))


def test_config_selects_multi_frame_assignment() -> None:
    cfg = TrackingConfig(association="mfa", mfa={"scan_depth": 3, "hypotheses": 5})
    assert cfg.mfa.scan_depth == 3
    with pytest.raises(ValueError, match="scan_depth"):
        TrackingConfig(association="mfa", mfa={"scan_depth": 0})
