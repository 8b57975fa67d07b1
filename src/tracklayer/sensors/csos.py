"""Closely spaced objects: targets a sensor cannot resolve merge into one detection.

Two targets seen by one sensor in one frame are unresolved when the angle between their lines
of sight is below the sensor's resolution; unresolved pairs link into clusters (single
linkage, so a chain of near neighbours forms one blob, as on a focal plane), and each cluster
gives one detection at the irradiance-weighted centroid of its lines of sight with the summed
irradiance. The brightest member names the cluster's ``truth_id``.

Cost: the angle test only runs on target pairs that are close in space at that time
(separation below the largest resolution times the largest possible range), so it grows with
the pairs of near neighbours, not with all pairs of detections in a frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

__all__ = ["Clusters", "close_target_pairs", "merge_closely_spaced"]

#: Target pairs handled per block of the spatial pre-filter (bounds its memory).
_PAIR_BLOCK = 4_000_000


@dataclass(frozen=True)
class Clusters:
    """Clusters of unresolved rows.

    Attributes
    ----------
    label : ndarray of int64, shape (n,)
        Cluster of each input row, ``0 .. n_clusters - 1``, numbered by first row.
    representative : ndarray of int64, shape (n_clusters,)
        The brightest row of each cluster.
    los : ndarray, shape (n_clusters, 3)
        Irradiance-weighted centroid lines of sight, unit vectors.
    weight : ndarray, shape (n_clusters,)
        Summed irradiance of each cluster.
    size : ndarray of int64, shape (n_clusters,)
        Rows in each cluster.
    """

    label: IntArray
    representative: IntArray
    los: FloatArray
    weight: FloatArray
    size: IntArray


def close_target_pairs(
    target_pos: FloatArray, alive: NDArray[np.bool_], max_separation_m: float
) -> tuple[IntArray, IntArray, IntArray]:
    """Target pairs ``i < j`` closer than ``max_separation_m`` at each time.

    Parameters
    ----------
    target_pos
        Target ECEF positions, m, shape ``(M, T, 3)``.
    alive
        Where each target exists, shape ``(M, T)``.
    max_separation_m
        Separation threshold, m.

    Returns
    -------
    i, j, k
        Target indices (``i < j``) and time indices of the close pairs.
    """
    m, t = alive.shape
    ii, jj = np.triu_indices(m, k=1)
    out_i: list[IntArray] = []
    out_j: list[IntArray] = []
    out_k: list[IntArray] = []
    if ii.size == 0 or t == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    step = max(1, _PAIR_BLOCK // (ii.size * 1))
    limit2 = max_separation_m * max_separation_m
    for k0 in range(0, t, step):
        k1 = min(t, k0 + step)
        d = target_pos[ii, k0:k1] - target_pos[jj, k0:k1]
        d2 = np.einsum("...i,...i->...", d, d)
        hit = (d2 < limit2) & alive[ii, k0:k1] & alive[jj, k0:k1]
        p, q = np.nonzero(hit)
        out_i.append(ii[p].astype(np.int64))
        out_j.append(jj[p].astype(np.int64))
        out_k.append((q + k0).astype(np.int64))
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_k)


def merge_closely_spaced(
    sensor: IntArray,
    target: IntArray,
    time_index: IntArray,
    los: FloatArray,
    weight: FloatArray,
    resolution_rad: FloatArray,
    pairs: tuple[IntArray, IntArray, IntArray],
) -> Clusters:
    """Cluster rows (one sensor, one target, one frame each) that the sensor cannot resolve.

    Parameters
    ----------
    sensor, target, time_index
        Sensor, target and time index of each row, shape ``(n,)``; one row per triple.
    los
        True unit lines of sight, sensor to target, shape ``(n, 3)``.
    weight
        Irradiance of each row, W/m², shape ``(n,)``.
    resolution_rad
        Angular resolution of the row's sensor, rad, shape ``(n,)``.
    pairs
        Candidate target pairs ``(i, j, k)`` from :func:`close_target_pairs`: only rows of
        these targets at these times are compared.

    Returns
    -------
    Clusters
    """
    edges_a, edges_b = _unresolved_edges(sensor, target, time_index, los, resolution_rad, pairs)
    label = _single_linkage_labels(sensor.shape[0], edges_a, edges_b)
    _, first, label = np.unique(label, return_index=True, return_inverse=True)
    # np.unique sorts by label value = smallest row, so clusters are numbered by first row.
    n_clusters = first.size
    wsum = np.bincount(label, weights=weight, minlength=n_clusters).astype(np.float64)
    centroid = np.stack(
        [np.bincount(label, weights=weight * los[:, a], minlength=n_clusters) for a in range(3)],
        axis=-1,
    ).astype(np.float64)
    # Brightest member: sort by (label, -weight) and take each label's first.
    by = np.lexsort((-weight, label))
    starts = np.searchsorted(label[by], np.arange(n_clusters))
    representative = by[starts].astype(np.int64)
    norm = np.linalg.norm(centroid, axis=-1, keepdims=True)
    # A cluster of dark members (zero irradiance) has no weighted centroid: use its first.
    dark = ~(norm[:, 0] > 0.0)
    centroid[dark] = los[representative[dark]]
    norm[dark] = 1.0
    centroid /= norm
    size = np.bincount(label, minlength=n_clusters).astype(np.int64)
    return Clusters(
        label=label.astype(np.int64),
        representative=representative,
        los=centroid,
        weight=wsum,
        size=size,
    )


def _unresolved_edges(
    sensor: IntArray,
    target: IntArray,
    time_index: IntArray,
    los: FloatArray,
    resolution_rad: FloatArray,
    pairs: tuple[IntArray, IntArray, IntArray],
) -> tuple[IntArray, IntArray]:
    """Row pairs ``(a, b)``: the same sensor and frame, the candidate targets ``pairs``,
    lines of sight closer than the sensor's resolution (arguments as
    :func:`merge_closely_spaced`)."""
    n = sensor.shape[0]
    ci, cj, ck = pairs
    if not (n and ci.size):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    n_sensors = int(sensor.max()) + 1
    n_targets = int(target.max()) + 1
    key = (time_index * n_targets + target) * n_sensors + sensor
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    # Rows of (k, i, *) form one run of the sorted keys; look up (k, j, same sensor).
    lo = np.searchsorted(sorted_key, (ck * n_targets + ci) * n_sensors)
    hi = np.searchsorted(sorted_key, (ck * n_targets + ci + 1) * n_sensors)
    count = hi - lo
    cand = np.repeat(np.arange(ci.size), count)
    start = np.repeat(lo - np.cumsum(count) + count, count)
    rows_a = order[start + np.arange(cand.size)]
    want = (ck[cand] * n_targets + cj[cand]) * n_sensors + sensor[rows_a]
    pos = np.minimum(np.searchsorted(sorted_key, want), n - 1)
    found = sorted_key[pos] == want
    rows_a = rows_a[found]
    rows_b = order[pos[found]]
    chord = np.linalg.norm(los[rows_a] - los[rows_b], axis=-1)
    close = chord < 2.0 * np.sin(0.5 * resolution_rad[rows_a])
    return rows_a[close], rows_b[close]


def _single_linkage_labels(n: int, edges_a: IntArray, edges_b: IntArray) -> IntArray:
    """Each of ``n`` rows labelled by the smallest row of its connected component under
    the edges ``(edges_a, edges_b)`` (a row without edges labels itself)."""
    label = np.arange(n, dtype=np.int64)
    if not edges_a.size:
        return label
    nodes, inv = np.unique(np.concatenate([edges_a, edges_b]), return_inverse=True)
    half = edges_a.size
    graph = coo_matrix(
        (np.ones(half, dtype=np.int8), (inv[:half], inv[half:])),
        shape=(nodes.size, nodes.size),
    )
    _, comp = connected_components(graph, directed=False)
    # Every member of a component takes the component's smallest row as its label.
    smallest = np.full(int(comp.max()) + 1, n, dtype=np.int64)
    np.minimum.at(smallest, comp, nodes)
    label[nodes] = smallest[comp]
    return label
