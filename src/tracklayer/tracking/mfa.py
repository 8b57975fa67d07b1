"""Multi-frame assignment: a frame's assignment decided after N more frames (N-scan pruning).

Global nearest neighbour (:func:`tracklayer.tracking.association.gnn`) commits each frame's
assignment at once. Where two targets' gates overlap (crossing or closely spaced objects
seen at a coarse angular resolution) the cheapest assignment of one frame may be the wrong
one, and the error shows only in later frames, whose detections the swapped tracks then
explain badly. Multi-frame (S-D) assignment (Poore, "Multidimensional assignment
formulation of data association problems arising from multitarget and multisensor
tracking", Computational Optimization and Applications 3, 1994; Blackman and Popoli,
*Design and Analysis of Modern Tracking Systems*, 1999, sec. 7.3 and 16.3) decides a frame
over a sliding window of the frames after it. The same window is the N-scan pruning of a
track-oriented MHT (Blackman, "Multiple hypothesis tracking for multiple target tracking",
IEEE AES Magazine 19(1), 2004): hypotheses that differ only in frames older than N are
pruned to the best.

This implementation, batched around the tracker:

1. the oldest undecided frame's conflicted pairs fall into clusters (tracks and detections
   linked by shared gates); each cluster's ``k`` best assignments come from Murty's
   algorithm (Murty, "An algorithm for ranking all the assignments in order of increasing
   cost", Operations Research 16(3), 1968) over scipy's ``linear_sum_assignment``, a pair
   costing ``d2 - gate`` (its squared Mahalanobis distance minus the gate's: the negative
   log-likelihood ratio of a detection against a miss, up to constants shared by the
   pairs) and a miss nothing;
2. hypothesis ``m`` gives every cluster its ``m``-th best assignment; each hypothesis is
   carried through the later frames of the window by the tracker with GNN;
3. each cluster keeps the hypothesis whose updates of the cluster's tracks cost least over
   the window (the summed ``d2 - gate`` of every pair that updated them); the frame is
   updated with these choices and decided;
4. the tracks reported at the newest frame are those of the decided frames carried on
   through the undecided ones by GNN.

Validity: clusters that do not interact within the window (their choices are compared
separately); ``hypotheses`` alternatives per cluster (Murty's ranking is exact for each
cluster, while hypotheses beyond a cluster's own count reuse its best). A window of
``scan_depth`` frames costs about ``(hypotheses + 1) (scan_depth + 1)`` tracker steps per
frame. Limitation: on some crossings it does worse than GNN, for a reason not found
(``docs/design.md``); with ``hypotheses: 1`` it is GNN.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from tracklayer.tracking.association import bipartite_components

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Clusters with more (track, sensor) rows than this take their best assignment only
#: (Murty's ranking solves ``rows`` assignment problems per hypothesis).
MAX_CLUSTER_ROWS = 64


@dataclass(frozen=True)
class Hypotheses:
    """Alternative assignments of one frame.

    Attributes
    ----------
    pairs : list of (track_idx, det_idx) int arrays, one per hypothesis: hypothesis ``m``
        gives each cluster its ``m``-th best assignment (its last when it has fewer);
        hypothesis 0 is every cluster's best
    cluster_of_track : (K,) int, the cluster of each track (-1: it gates nothing)
    cluster_choices : per cluster, its assignments best first, each a (G,) mask over the
        gated pairs
    track_idx, det_idx : (G,) int, the gated pairs
    """

    pairs: list[tuple[I64, I64]]
    cluster_of_track: I64
    cluster_choices: list[list[NDArray[np.bool_]]]
    track_idx: I64
    det_idx: I64


def murty(cost: F64, k: int) -> list[tuple[I64, float]]:
    """The ``k`` cheapest complete assignments of the rows of ``cost`` to distinct columns.

    Parameters
    ----------
    cost : (R, C) float, ``R <= C``; ``inf`` forbids a pair
    k : int

    Returns
    -------
    list of (columns (R,) int, total cost), cheapest first (Murty 1968's partitioning).
    """
    best = _solve(cost)
    if best is None:
        return []
    heap: list[tuple[float, int, F64, I64]] = [(best[1], 0, cost, best[0])]
    out: list[tuple[I64, float]] = []
    serial = 1
    while heap and len(out) < k:
        total, _, mat, cols = heapq.heappop(heap)
        out.append((cols, total))
        node = mat.copy()
        # Partition the rest of this node's solutions: row i differs, rows < i agree.
        for i in range(mat.shape[0]):
            child = node.copy()
            child[i, cols[i]] = np.inf
            got = _solve(child)
            if got is not None:
                heapq.heappush(heap, (got[1], serial, child, got[0]))
                serial += 1
            kept = node[i, cols[i]]
            node[i, :] = np.inf
            node[:, cols[i]] = np.inf
            node[i, cols[i]] = kept
    return out


def _solve(cost: F64) -> tuple[I64, float] | None:
    """The cheapest assignment of every row, or None if none is finite."""
    try:
        rows, cols = linear_sum_assignment(cost)
    except ValueError:  # infeasible: some row has no finite column left
        return None
    total = float(cost[rows, cols].sum())
    if rows.size < cost.shape[0] or not np.isfinite(total):
        return None
    return cols.astype(np.int64), total


def hypotheses(
    track_idx: I64, det_idx: I64, cost: F64, det_sensor: I64, n_tracks: int, k: int
) -> Hypotheses:
    """Each cluster's ``k`` best assignments of one frame's gated pairs.

    Parameters
    ----------
    track_idx, det_idx : (G,) int
        Gated pairs.
    cost : (G,) float
        Their costs, negative (``d2 - gate``); a miss costs 0.
    det_sensor : (D,) int
        Sensor of every detection (a track takes at most one detection per sensor).
    n_tracks : int
    k : int
        Hypotheses wanted.
    """
    cluster_of_track = np.full(n_tracks, -1, np.int64)
    if track_idx.size == 0:
        empty = np.zeros(0, np.int64)
        return Hypotheses([(empty, empty)], cluster_of_track, [], track_idx, det_idx)
    rows = _row_keys(track_idx, det_idx, det_sensor)
    # Clusters of tracks and detections linked by gates: a track's rows of all sensors
    # fall in one cluster, since its later costs cannot be told apart by sensor.
    label = bipartite_components(track_idx, det_idx, n_tracks, int(det_idx.max()) + 1)
    pair_cluster = label[track_idx]
    clusters, pair_cluster = np.unique(pair_cluster, return_inverse=True)
    cluster_of_track[track_idx] = pair_cluster
    choices = [_cluster_choices(rows, det_idx, cost, pair_cluster == c, k) for c in
               range(clusters.size)]  # fmt: skip
    pairs = []
    for m in range(k):
        chosen = np.zeros(track_idx.size, dtype=bool)
        for options in choices:
            chosen |= options[min(m, len(options) - 1)]
        pairs.append((track_idx[chosen], det_idx[chosen]))
    return Hypotheses(pairs, cluster_of_track, choices, track_idx, det_idx)


def _row_keys(track_idx: I64, det_idx: I64, det_sensor: I64) -> I64:
    """A dense index of each pair's (track, sensor): one row of the assignment."""
    key = track_idx.astype(np.int64) * (int(det_sensor.max()) + 1) + det_sensor[det_idx]
    return np.unique(key, return_inverse=True)[1].astype(np.int64)


def _cluster_choices(
    rows: I64, det_idx: I64, cost: F64, members: NDArray[np.bool_], k: int
) -> list[NDArray[np.bool_]]:
    """The cluster's best assignments, each as a mask over all gated pairs."""
    idx = np.nonzero(members)[0]
    ru, r_inv = np.unique(rows[idx], return_inverse=True)
    du, d_inv = np.unique(det_idx[idx], return_inverse=True)
    # Columns: the detections, then one "miss" column per row (cost 0, its own row only).
    mat = np.full((ru.size, du.size + ru.size), np.inf)
    mat[r_inv, d_inv] = cost[idx]
    mat[np.arange(ru.size), du.size + np.arange(ru.size)] = 0.0
    # A cluster without conflict (each row gates one detection that gates only it) has
    # one sensible assignment: its alternatives would only drop detections.
    conflicted = idx.size > max(ru.size, du.size) or ru.size != du.size
    ranked = murty(mat, k if conflicted and ru.size <= MAX_CLUSTER_ROWS else 1)
    out = []
    for cols, _ in ranked:
        taken = np.zeros(rows.size, dtype=bool)
        taken[idx] = cols[r_inv] == d_inv
        out.append(taken)
    return out


def compose(hyp: Hypotheses, cluster_best: I64) -> tuple[I64, I64]:
    """The assignment that gives each cluster its chosen hypothesis.

    Parameters
    ----------
    cluster_best : (C,) int, the hypothesis each cluster keeps
    """
    chosen = np.zeros(hyp.track_idx.size, dtype=bool)
    for options, m in zip(hyp.cluster_choices, cluster_best.tolist(), strict=True):
        chosen |= options[min(m, len(options) - 1)]
    return hyp.track_idx[chosen], hyp.det_idx[chosen]


def cluster_costs(hyp: Hypotheses, track_ids: I64, updated_ids: I64, pair_costs: F64) -> F64:
    """Summed costs of each cluster's tracks' updates over the window, for one hypothesis.

    Parameters
    ----------
    track_ids : (K,) int, the ids of the oldest frame's tracks
    updated_ids : (U,) int, the track of every update over the window
    pair_costs : (U,) float, each update's ``d2 - gate``

    Returns
    -------
    (C,) float
    """
    n_clusters = len(hyp.cluster_choices)
    in_cluster = hyp.cluster_of_track >= 0
    ids, cluster = track_ids[in_cluster], hyp.cluster_of_track[in_cluster]
    order = np.argsort(ids)
    ids, cluster = ids[order], cluster[order]
    at = np.minimum(np.searchsorted(ids, updated_ids), max(ids.size - 1, 0))
    found = (ids[at] == updated_ids) if ids.size else np.zeros(updated_ids.size, dtype=bool)
    costs = np.bincount(cluster[at[found]], weights=pair_costs[found], minlength=n_clusters)
    return costs.astype(np.float64)
