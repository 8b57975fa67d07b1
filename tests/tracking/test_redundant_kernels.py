"""The dominated/sharing test of a frame gives the same answer with its incidence matrices
dense (small frames) or sparse (raid-scale frames).

Reference: the sparse (CSR) form, which the tracker used for every frame before the dense
form was added; both count the same integer pairs exactly, so the flags must be equal.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tracklayer.tracking import manager
from tracklayer.tracking.manager import TrackSet, redundant


def _frame(seed: int) -> tuple[TrackSet, tuple[np.ndarray, ...]]:
    """A random frame: tracks of mixed status, precision and age, gated and assigned pairs
    (one detection per track at most), detections from four sensors."""
    rng = np.random.default_rng(seed)
    k, n_det = int(rng.integers(2, 40)), int(rng.integers(1, 60))
    x = rng.normal(7.0e6, 1.0e4, (k, 6))
    p = np.stack([np.eye(6) * s for s in rng.uniform(10.0, 1e6, k)])
    tracks = TrackSet.born(0, x, p, 0.0)
    tracks = replace(
        tracks,
        status=rng.integers(0, 4, k).astype(np.int8),
        age=rng.integers(1, 6, k).astype(np.int64),
        origin_sensor=np.where(rng.random(k) < 0.2, 0, -1).astype(np.int64),
    )
    gated = np.unique(rng.integers(0, [k, n_det], (int(rng.integers(1, 4 * k)), 2)), axis=0)
    chosen = gated[rng.permutation(len(gated))]
    _, first_of_track = np.unique(chosen[:, 0], return_index=True)
    assigned = chosen[first_of_track]
    _, first_of_det = np.unique(assigned[:, 1], return_index=True)
    assigned = assigned[first_of_det]
    sensors = rng.integers(0, 4, n_det).astype(np.int64)
    return tracks, (gated[:, 0], gated[:, 1], assigned[:, 0], assigned[:, 1], sensors)


@pytest.mark.parametrize("seed", range(40))
def test_dense_and_sparse_frames_agree(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    tracks, pairs = _frame(seed)
    dense = redundant(tracks, *pairs)
    monkeypatch.setattr(manager, "_DENSE_WORK", -1)  # every frame sparse
    sparse = redundant(tracks, *pairs)
    assert np.array_equal(dense[0], sparse[0]) and np.array_equal(dense[1], sparse[1])


def test_the_random_frames_exercise_both_flags() -> None:
    """The frames above are not trivially all False: several have dominated tracks and
    several have tracks sharing one object's detections."""
    flags = [redundant(*(lambda f: (f[0], *f[1]))(_frame(seed))) for seed in range(40)]
    assert sum(d.any() for d, _ in flags) >= 5 and sum(s.any() for _, s in flags) >= 5
