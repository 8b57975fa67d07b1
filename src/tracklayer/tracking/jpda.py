"""Joint probabilistic data association (JPDA) for angles-only detections, batched.

Each sensor's detections are associated separately (a sensor sees a target at most once
per frame). A *node* is a (track, sensor) pair with at least one gated detection; nodes
and detections linked by the gate form clusters (connected components,
``scipy.sparse.csgraph.connected_components``), which never span two sensors.

In a cluster of ``T`` nodes and ``D`` detections, a joint event gives each detection to at
most one node and each node at most one detection; its weight is
``prod_assigned P_D N(y_td; 0, S_t) / lambda * prod_missed (1 - P_D P_G)``
(Bar-Shalom, Willett and Tian, *Tracking and Data Fusion*, 2011, sec. 6.2, parametric
JPDA with clutter density ``lambda`` per steradian; the two tangent-plane angles are
radians, so a density in their plane is per steradian). The marginal probabilities
``beta_td`` (node t took detection d) and ``beta_t0`` (missed) are the sums over all events,
computed exactly for ``T, D <= jpda.max_cluster`` by a forward-backward recursion over the
subsets of detections already taken (``O(T D 2^D)`` instead of enumerating events), batched
over all clusters of a frame; larger clusters fall back to global nearest neighbour.

Each node's update is the PDA update of Bar-Shalom, Daum and Huang, "The probabilistic
data association filter", IEEE Control Systems 29(6), 2009, eqs. (28)-(32), in the
tangent plane of the node's *predicted* line of sight so that all its detections share
one measurement frame: ``x+ = x + K y_bar``, ``y_bar = sum_d beta_d y_d``,
``P+ = P - (1 - beta_0) K S K^T + K (sum_d beta_d y_d y_d^T - y_bar y_bar^T) K^T``.
A track seen by several sensors takes their nodes one after another.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tracklayer.tracking.association import bipartite_components, gnn
from tracklayer.tracking.filters import angles_model, enforce_spd, tangent_basis

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def jpda_marginals(like: F64, miss: F64) -> tuple[F64, F64]:
    """Exact JPDA association probabilities of clusters, batched.

    Parameters
    ----------
    like : ndarray, shape (C, T, D)
        Likelihood ratio of node ``t`` having produced detection ``d``,
        ``P_D N(y; 0, S) / lambda``; 0 where the pair is outside the gate (and for padding).
    miss : ndarray, shape (C, T)
        Weight of node ``t`` taking no detection, ``1 - P_D P_G`` (1 for padding nodes).

    Returns
    -------
    beta : ndarray, shape (C, T, D)
        Probability that node ``t`` took detection ``d``.
    beta0 : ndarray, shape (C, T)
        Probability that node ``t`` took none.
    """
    c, t_n, d_n = like.shape
    # Scaling a node's row (its miss weight and likelihoods) by one factor scales every
    # event by it, which leaves the probabilities unchanged and keeps the sums in range.
    scale = np.maximum(miss, like.max(axis=2, initial=0.0))
    scale = np.where(scale > 0.0, scale, 1.0)
    like = like / scale[:, :, None]
    miss = miss / scale
    n_mask = 1 << d_n
    masks = np.arange(n_mask)
    with_j = [masks[(masks >> j) & 1 == 1] for j in range(d_n)]
    fwd = np.zeros((t_n + 1, c, n_mask))
    fwd[0, :, 0] = 1.0
    for t in range(t_n):
        nxt = fwd[t] * miss[:, t, None]
        for j in range(d_n):
            w = with_j[j]
            nxt[:, w] += fwd[t][:, w ^ (1 << j)] * like[:, t, j, None]
        fwd[t + 1] = nxt
    bwd = np.ones((t_n + 1, c, n_mask))
    for t in range(t_n - 1, -1, -1):
        prev = bwd[t + 1] * miss[:, t, None]
        for j in range(d_n):
            w = with_j[j]
            prev[:, w ^ (1 << j)] += like[:, t, j, None] * bwd[t + 1][:, w]
        bwd[t] = prev
    z = fwd[t_n].sum(axis=1)
    beta = np.zeros((c, t_n, d_n))
    beta0 = np.empty((c, t_n))
    for t in range(t_n):
        beta0[:, t] = (fwd[t] * bwd[t + 1]).sum(axis=1) * miss[:, t] / z
        for j in range(d_n):
            w = with_j[j]
            beta[:, t, j] = (fwd[t][:, w ^ (1 << j)] * bwd[t + 1][:, w]).sum(axis=1)
            beta[:, t, j] *= like[:, t, j] / z
    return beta, beta0


def jpda_update(
    x: F64,
    p: F64,
    track_idx: I64,
    det_idx: I64,
    los: F64,
    sensor_pos: F64,
    sigma_rad: F64,
    tau: F64,
    sensor: I64,
    *,
    detection_probability: float,
    gate_probability: float,
    clutter_density_per_sr: float,
    max_cluster: int = 8,
) -> tuple[F64, F64, NDArray[np.bool_]]:
    """Associate gated (track, detection) pairs by JPDA and update the tracks.

    Parameters
    ----------
    x : (K, 6); p : (K, 6, 6)
        Predicted tracks (ECEF, m, m/s).
    track_idx, det_idx : (G,) int
        Gated pairs (:func:`tracklayer.tracking.association.gate`).
    los, sensor_pos : (D, 3); sigma_rad, tau : (D,); sensor : (D,) int
        All of the frame's detections.
    detection_probability, gate_probability : float
        ``P_D`` and ``P_G``.
    clutter_density_per_sr : float
        False alarms per steradian per sensor and frame.
    max_cluster : int
        Largest number of nodes, and of detections, solved exactly.

    Returns
    -------
    x, p : updated tracks
    hit : (K,) bool
        Tracks that more probably than not took a detection from some sensor.
    """
    k = x.shape[0]
    hit = np.zeros(k, dtype=bool)
    if track_idx.size == 0:
        return x.copy(), p.copy(), hit
    nodes = _nodes(x, p, track_idx, det_idx, los, sensor_pos, sigma_rad, tau, sensor)
    like = (
        detection_probability
        * np.exp(-0.5 * nodes.d2)
        / (2.0 * np.pi * np.sqrt(nodes.det_s) * clutter_density_per_sr)
    )
    miss_w = 1.0 - detection_probability * gate_probability
    beta_pair, beta0_node = _cluster_probabilities(
        nodes.of_pair, det_idx, like, nodes.d2, nodes.track.size, miss_w, sensor, max_cluster
    )
    return _pda_rounds(x, p, nodes, beta_pair, beta0_node)


@dataclass(frozen=True)
class _Nodes:
    """(track, sensor) nodes of the gated pairs: each node's measurement frame and the
    innovation of each of its pairs.

    Attributes
    ----------
    track : (N,) the node's track; of_pair : (G,) each pair's node
    e0 : (N, 3) predicted line of sight; basis : (N, 2, 3) its tangent basis
    sensor_pos : (N, 3); tau : (N,) s; r2 : (N,) mean angular variance, rad^2
    y : (G, 2) innovation of each pair in its node's tangent plane, rad
    d2 : (G,) squared Mahalanobis distance; det_s : (G,) det of the node's S
    """

    track: I64
    of_pair: I64
    e0: F64
    basis: F64
    sensor_pos: F64
    tau: F64
    r2: F64
    y: F64
    d2: F64
    det_s: F64


def _nodes(
    x: F64,
    p: F64,
    track_idx: I64,
    det_idx: I64,
    los: F64,
    sensor_pos: F64,
    sigma_rad: F64,
    tau: F64,
    sensor: I64,
) -> _Nodes:
    """The nodes of the gated pairs and the pairs' innovations."""
    n_sens = int(sensor.max()) + 1
    key = track_idx * n_sens + sensor[det_idx]
    nodes, node_of_pair = np.unique(key, return_inverse=True)
    node_track = nodes // n_sens
    first_pair = np.unique(node_of_pair, return_index=True)[1]
    node_det = det_idx[first_pair]
    node_s = sensor_pos[node_det]
    node_tau = tau[node_det]
    d_rel = x[node_track, :3] + node_tau[:, None] * x[node_track, 3:] - node_s
    e0 = d_rel / np.linalg.norm(d_rel, axis=1, keepdims=True)
    basis = tangent_basis(e0)
    # Detections in the node's tangent plane: the innovation, since h(x_pred) = 0 there.
    u = los[det_idx]
    eb = basis[node_of_pair]
    y = np.einsum("gji,gi->gj", eb, u) / np.einsum("gi,gi->g", e0[node_of_pair], u)[:, None]
    _, jac, _ = angles_model(x[node_track], e0, node_s, node_tau, basis)
    s_mat = jac @ p[node_track] @ np.swapaxes(jac, -1, -2)
    r2 = np.bincount(node_of_pair, weights=sigma_rad[det_idx] ** 2) / np.bincount(node_of_pair)
    s_mat[:, [0, 1], [0, 1]] += r2[:, None]
    s_inv = np.linalg.inv(s_mat)
    sp = s_inv[node_of_pair]
    d2 = np.einsum("gi,gij,gj->g", y, sp, y)
    det_s = np.linalg.det(s_mat)[node_of_pair]
    return _Nodes(node_track, node_of_pair, e0, basis, node_s, node_tau, r2, y, d2, det_s)


def _pda_rounds(
    x: F64, p: F64, nodes: _Nodes, beta_pair: F64, beta0_node: F64
) -> tuple[F64, F64, NDArray[np.bool_]]:
    """Sequential PDA updates: round r takes each track's r-th node."""
    node_track, node_of_pair, n = nodes.track, nodes.of_pair, nodes.track.size
    hit = np.zeros(x.shape[0], dtype=bool)
    order = np.argsort(node_track, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - np.searchsorted(node_track[order], node_track[order])
    x, p = x.copy(), p.copy()
    pair_order = np.argsort(node_of_pair, kind="stable")
    for rnd in range(int(rank.max()) + 1):
        nsel = np.nonzero(rank == rnd)[0]
        tk = node_track[nsel]
        h, jac_n, _ = angles_model(
            x[tk], nodes.e0[nsel], nodes.sensor_pos[nsel], nodes.tau[nsel], nodes.basis[nsel]
        )
        pn = p[tk]
        pht = pn @ np.swapaxes(jac_n, -1, -2)
        sn = jac_n @ pht
        sn[:, [0, 1], [0, 1]] += nodes.r2[nsel][:, None]
        gain = pht @ np.linalg.inv(sn)
        # Per-node sums over its pairs of beta y and beta y y^T, with y relative to h.
        local = np.full(n, -1, dtype=np.int64)
        local[nsel] = np.arange(nsel.size)
        pairs = pair_order[local[node_of_pair[pair_order]] >= 0]
        li = local[node_of_pair[pairs]]
        yy = nodes.y[pairs] - h[li]
        bw = beta_pair[pairs]
        ybar = np.zeros((nsel.size, 2))
        np.add.at(ybar, li, bw[:, None] * yy)
        yyt = np.zeros((nsel.size, 2, 2))
        np.add.at(yyt, li, bw[:, None, None] * yy[:, :, None] * yy[:, None, :])
        b0 = beta0_node[nsel]
        spread = yyt - ybar[:, :, None] * ybar[:, None, :]
        kt = np.swapaxes(gain, -1, -2)
        p_new = pn - (1.0 - b0)[:, None, None] * (gain @ sn @ kt) + gain @ spread @ kt
        x[tk] = x[tk] + np.einsum("kij,kj->ki", gain, ybar)
        p[tk] = enforce_spd(p_new)
        hit[tk[b0 < 0.5]] = True
    return x, p, hit


def _cluster_probabilities(
    node_of_pair: I64,
    det_idx: I64,
    like: F64,
    d2: F64,
    n_nodes: int,
    miss_w: float,
    sensor: I64,
    max_cluster: int,
) -> tuple[F64, F64]:
    """``beta`` per gated pair and ``beta0`` per node, cluster by cluster."""
    dets, det_local = np.unique(det_idx, return_inverse=True)
    n_d = dets.size
    label = bipartite_components(node_of_pair, det_local, n_nodes, n_d)
    pair_cl = label[node_of_pair]
    cl, cl_inv = np.unique(pair_cl, return_inverse=True)
    n_nodes_cl = np.bincount(label[:n_nodes], minlength=label.max() + 1)[cl]
    n_dets_cl = np.bincount(label[n_nodes:], minlength=label.max() + 1)[cl]
    exact = (n_nodes_cl <= max_cluster) & (n_dets_cl <= max_cluster)
    beta_pair = np.zeros(node_of_pair.size)
    beta0_node = np.ones(n_nodes)
    # Exact clusters: pad to (C, T, D) with each node's and detection's rank in its cluster.
    ex_pairs = np.nonzero(exact[cl_inv])[0]
    if ex_pairs.size:
        c_idx = cl_inv[ex_pairs]
        c_map = np.cumsum(exact) - 1
        cc = c_map[c_idx]
        t_rank = _rank_within(cc, node_of_pair[ex_pairs])
        d_rank = _rank_within(cc, det_local[ex_pairs])
        n_c = int(exact.sum())
        tm, dm = int(t_rank.max()) + 1, int(d_rank.max()) + 1
        lk = np.zeros((n_c, tm, dm))
        lk[cc, t_rank, d_rank] = like[ex_pairs]
        ms = np.ones((n_c, tm))
        ms[cc, t_rank] = miss_w
        beta, beta0 = jpda_marginals(lk, ms)
        beta_pair[ex_pairs] = beta[cc, t_rank, d_rank]
        beta0_node[node_of_pair[ex_pairs]] = beta0[cc, t_rank]
    big = np.nonzero(~exact[cl_inv])[0]
    if big.size:
        ti, di = gnn(node_of_pair[big], det_idx[big], d2[big], sensor)
        width = int(det_idx.max()) + 1
        keys = node_of_pair[big] * width + det_idx[big]
        order = np.argsort(keys)
        chosen = big[order[np.searchsorted(keys[order], ti * width + di)]]
        beta_pair[chosen] = 1.0
        beta0_node[node_of_pair[big]] = 1.0
        beta0_node[node_of_pair[chosen]] = 0.0
    return beta_pair, beta0_node


def _rank_within(group: I64, item: I64) -> I64:
    """Dense rank of ``item`` among the distinct items of its ``group``."""
    pairs = np.unique(np.stack([group, item], axis=1), axis=0)
    first = np.searchsorted(pairs[:, 0], pairs[:, 0], side="left")
    ranks = np.arange(pairs.shape[0]) - first
    width = int(item.max()) + 1
    idx = np.searchsorted(pairs[:, 0] * width + pairs[:, 1], group * width + item)
    out: I64 = ranks[idx]
    return out
