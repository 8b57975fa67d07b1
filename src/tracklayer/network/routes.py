"""Shortest-delay routes from every satellite to every national node, over all steps at once.

Each step's network is one block of a block-diagonal sparse graph (vertices: satellites,
ground stations, then the national nodes; weights: per-hop delays, s). One Dijkstra
search per node over the whole run (``scipy.sparse.csgraph.dijkstra`` with ``min_only``,
every step's copy of the node a source) gives each satellite's delay to that node at
every step: blocks are disconnected, so the nearest source is always the node of the
same step. Hop counts come from the predecessor tree by pointer jumping.

Store and forward: a report made at step ``s`` leaves at the first step ``s' >= s`` that
gives the earliest arrival ``t[s'] + delay[s']`` (it waits on board until a route
exists). A satellite without crosslinks therefore delivers at its next ground contact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

# Zero delays would be dropped by some sparse constructions; a femtosecond is below any
# figure the network reports.
_MIN_WEIGHT_S = 1.0e-15


@dataclass(frozen=True)
class Routes:
    """Earliest arrival of a report at each node, by the step it was made and its satellite.

    Attributes
    ----------
    arrival_s : (P, T, N) float64
        Arrival time at node p of a report made at sample t by satellite n (store and
        forward included), s since the epoch; ``inf`` where it never arrives.
    hops : (P, T, N) int64
        Space links used (crosslinks and the downlink); -1 where it never arrives.
    delay_s : (P, T, N) float64
        Delay of the best route at step t itself (no waiting), s; ``inf`` without a route.
    """

    arrival_s: F64
    hops: I64
    delay_s: F64


def shortest_delays(
    n_vertices: int,
    n_steps: int,
    step: I64,
    a: I64,
    b: I64,
    weight_s: F64,
    sources: I64,
) -> tuple[F64, I64]:
    """Shortest-delay distances and edge counts from per-step sources, all steps at once.

    Parameters
    ----------
    n_vertices
        Vertices per step, V.
    n_steps
        Steps, T.
    step, a, b, weight_s : (E,)
        Directed edges *towards* the sources (``a -> b`` carries a report from ``b`` to
        ``a``): the step, the two vertex indices in ``0..V-1`` and the delay, s. At most
        one edge per ordered vertex pair and step.
    sources : (S,) int64
        Vertex indices (in ``0..V-1``) of the destinations; each gets its own search.

    Returns
    -------
    distance_s : (S, T, V) float64
        Delay from each vertex to the source at each step, s (the path read along the
        edges from the source); ``inf`` if unreachable.
    edges : (S, T, V) int64
        Edges on that shortest path; -1 if unreachable.
    """
    dist, edges, _ = shortest_trees(n_vertices, n_steps, step, a, b, weight_s, sources)
    return dist, edges


def shortest_trees(
    n_vertices: int,
    n_steps: int,
    step: I64,
    a: I64,
    b: I64,
    weight_s: F64,
    sources: I64,
) -> tuple[F64, I64, I64]:
    """:func:`shortest_delays` and the shortest-path trees: each vertex's next vertex
    towards the source (``(S, T, V)``, index in ``0..V-1`` of the same step; -1 at the
    source and where unreachable)."""
    size = n_vertices * n_steps
    offset = step * n_vertices
    w = np.maximum(weight_s, _MIN_WEIGHT_S)
    graph = sp.csr_matrix((w, (offset + a, offset + b)), shape=(size, size))
    per_step = np.arange(n_steps) * n_vertices
    shape = (sources.size, n_steps, n_vertices)
    dist, edges, parent = np.empty(shape), np.empty(shape, np.int64), np.empty(shape, np.int64)
    for k, source in enumerate(sources):  # one search per destination node, not per step
        d, pred, _ = dijkstra(
            graph,
            directed=True,
            indices=per_step + source,
            min_only=True,
            return_predecessors=True,
        )
        dist[k] = d.reshape(n_steps, n_vertices)
        depth = path_edges(pred)
        edges[k] = np.where(np.isfinite(d), depth, -1).reshape(n_steps, n_vertices)
        parent[k] = np.where(pred >= 0, pred % n_vertices, -1).reshape(n_steps, n_vertices)
    return dist, edges, parent


def tree_loads(parent: I64, edges: I64, rate_hz: F64) -> F64:
    """Reports per second through each vertex's first edge towards the source.

    Every vertex sends ``rate_hz`` reports per second along its shortest path; the load of
    the edge from v to its parent is the sum of the rates of v's subtree (v included).

    Parameters
    ----------
    parent, edges : (T, V) int64
        One search's trees (:func:`shortest_trees`): parents and depths.
    rate_hz : (V,) or (T, V)
        Reports each vertex sends per second.

    Returns
    -------
    load_hz : (T, V)
        Load on the edge from each vertex to its parent (0 at the source or unreached).
    """
    t, v = parent.shape
    load = np.where(edges >= 0, np.broadcast_to(rate_hz, (t, v)), 0.0).ravel()
    flat_parent = (parent + np.arange(t)[:, None] * v).ravel()
    depth = edges.ravel()
    for level in range(int(depth.max(initial=0)), 0, -1):  # leaves first, one pass per level
        at = np.flatnonzero(depth == level)
        np.add.at(load, flat_parent[at], load[at])
    return np.where(edges >= 1, load.reshape(t, v), 0.0)


def md1_wait_s(load_hz: F64, service_s: F64) -> F64:
    """Mean wait in an M/D/1 queue: ``rho s / (2 (1 - rho))`` with ``rho = load s``, s.

    Poisson arrivals of reports, a fixed service (serialisation) time ``s`` per report
    (Kleinrock, *Queueing Systems* vol. 1, 1975, eq. 5.73, the Pollaczek-Khinchine mean
    for deterministic service). ``inf`` at or above saturation (``rho >= 1``). The case
    of :func:`batch_wait_s` with reports one at a time.
    """
    return batch_wait_s(load_hz, load_hz, service_s)


def batch_wait_s(rate_hz: F64, square_rate_hz: F64, service_s: F64) -> F64:
    """Mean wait of a report in an M^X/D/1 queue (reports arrive in bursts), s.

    Bursts (a satellite's reports of one frame, sent together) arrive as a Poisson
    stream at ``lambda`` per second, of ``X`` reports each; every report takes the fixed
    serialisation time ``s``. A report waits for the bursts found queued (the M/G/1 wait
    of a whole burst as one job, ``lambda E[X^2] s^2 / (2 (1 - rho))``) and for the
    reports ahead of it in its own burst (``s (E[X^2] / E[X] - 1) / 2``), with
    ``rho = lambda E[X] s`` (Tijms, *A First Course in Stochastic Models*, 2003, the
    M^X/G/1 queue; Gross & Harris, *Fundamentals of Queueing Theory*, the M^[X]/G/1
    queue). Independent burst streams add: ``lambda E[X]`` and ``lambda E[X^2]`` of a
    link are the sums over the satellites whose reports it carries; bursts that leave at
    one instant are one burst of their summed size
    (:meth:`ReportLoad.superposed_square_hz`).

    Single reports (``X = 1``) give M/D/1 (:func:`md1_wait_s`); a burst of ``k`` on an
    idle link (``lambda -> 0``) gives the D/D/1 ``(k - 1) s / 2``.

    Parameters
    ----------
    rate_hz : (L,)
        Reports per second, ``lambda E[X]``.
    square_rate_hz : (L,)
        ``lambda E[X^2]``: the sum over bursts of their squared sizes per second.
    service_s : (L,)
        Serialisation time of one report, s.

    Returns
    -------
    wait_s : (L,)
        Mean wait, s; 0 without load; ``inf`` at or above saturation (``rho >= 1``).
    """
    rho = rate_hz * service_s
    with np.errstate(divide="ignore", invalid="ignore"):
        queued = square_rate_hz * service_s**2 / (2.0 * (1.0 - rho))
        ahead = 0.5 * service_s * np.maximum(square_rate_hz / rate_hz - 1.0, 0.0)
        wait = np.where(rate_hz > 0.0, queued + ahead, 0.0)
    return np.asarray(np.where(rho < 1.0, wait, np.inf), dtype=np.float64)


@dataclass(frozen=True)
class SimultaneousBursts:
    """Bursts of different satellites sent at the same instant (one frame time).

    A raid makes many satellites report the same frame at once: on a link that carries
    several of them their bursts arrive together, one burst of their summed size, not as
    independent streams. Only frame times shared by two or more satellites are kept here
    (a lone burst is its own stream, already in :class:`ReportLoad`'s per-satellite sums).

    Attributes
    ----------
    sat, step : (B,) int64
        Satellite (``0..N-1``) and step of each burst.
    slot : (B,) int64
        Which of its step's shared frame times the burst belongs to (``0..S-1``): bursts
        with equal ``(step, slot)`` leave together.
    size : (B,) float64
        Reports in each burst.
    """

    sat: I64
    step: I64
    slot: I64
    size: F64

    @property
    def n_slots(self) -> int:
        """Shared frame times in the busiest step."""
        return int(self.slot.max(initial=-1)) + 1


@dataclass(frozen=True)
class ReportLoad:
    """What each satellite offers the network at each step, as bursts of reports.

    Attributes
    ----------
    rate_hz : (N, T) float64
        Reports per second around each step, ``lambda E[X]``.
    square_rate_hz : (N, T) float64
        ``lambda E[X^2]``: squared burst sizes per second around each step, each
        satellite's bursts taken alone.
    together : SimultaneousBursts, optional
        The bursts that left at the same instant as another satellite's; a link that
        carries several of them is fed their sum (:meth:`superposed_square_hz`).
    window_s : float
        Width of the window the rates are counted over, s.
    """

    rate_hz: F64
    square_rate_hz: F64
    together: SimultaneousBursts | None = None
    window_s: float = 0.0

    @classmethod
    def poisson(cls, rate_hz: F64, n_steps: int) -> ReportLoad:
        """Reports one at a time at a steady ``rate_hz`` (N,): M/D/1 queues."""
        rate = np.repeat(np.asarray(rate_hz, dtype=np.float64)[:, None], n_steps, axis=1)
        return cls(rate, rate.copy())

    @classmethod
    def from_bursts(
        cls,
        sat: I64,
        step: I64,
        size: F64,
        n_sats: int,
        seconds: F64,
        window_s: float,
        frame: I64 | None = None,
    ) -> ReportLoad:
        """The load of bursts (one per satellite frame) over a window around each step.

        Parameters
        ----------
        sat, step : (B,) int64
            Satellite (``0..N-1``) and step of each burst.
        size : (B,)
            Reports in each burst.
        n_sats
            N.
        seconds : (T,)
            Sample times, s.
        window_s
            Width of the window centred on each step over which bursts are counted, s
            (cut at the run's ends); the run's length gives its mean rate.
        frame : (B,) int64, optional
            The instant each burst leaves (any integer clock, e.g. microseconds): bursts
            of different satellites with equal ``frame`` leave together. None: every
            burst at an instant of its own (independent streams).
        """
        size = np.asarray(size, dtype=np.float64)
        counts, squares = np.zeros((n_sats, seconds.size)), np.zeros((n_sats, seconds.size))
        np.add.at(counts, (sat, step), size)
        np.add.at(squares, (sat, step), size**2)
        together = None if frame is None else _simultaneous(sat, step, size, frame)
        return cls(
            window_mean(counts, seconds, window_s),
            window_mean(squares, seconds, window_s),
            together,
            window_s,
        )

    def superposed_square_hz(self, parent: I64, edges: I64, sends: F64, seconds: F64) -> F64:
        """What simultaneous bursts add to ``lambda E[X^2]`` on each vertex's route edge.

        A link fed at one instant by bursts ``x_1..x_m`` of different satellites sees one
        burst of ``sum x_i``: its ``E[X^2]`` gains the cross terms ``(sum x_i)^2 - sum
        x_i^2``, counted per frame on that frame's routing tree and then over the window
        around each step (the per-satellite ``square_rate_hz`` holds the ``x_i^2``). The
        superposed stream is then an M^X/D/1 queue's input (Tijms 2003, the M^X/G/1
        queue: a batch is whatever arrives at one instant). Valid as far as the frame
        instants on a link are near a Poisson stream; frames at a strict cadence queue
        less (D^X/D/1), so near saturation the wait is an upper estimate.

        Parameters
        ----------
        parent, edges : (T, V) int64
            One node's shortest-path trees (:func:`shortest_trees`).
        sends : (N,)
            1 for the satellites whose reports go to that node, else 0.
        seconds : (T,)
            Sample times, s.

        Returns
        -------
        square_hz : (T, V)
            Added squared reports per second on the edge from each vertex to its parent.
        """
        t, v = parent.shape
        cross = np.zeros((t, v))
        b = self.together
        if b is None or b.sat.size == 0:
            return cross
        n = sends.size
        for slot in range(b.n_slots):  # one pass per shared frame time of a step
            mine = b.slot == slot
            x = np.zeros((t, v))
            x[b.step[mine], b.sat[mine]] = b.size[mine]
            x[:, :n] *= sends
            summed = tree_loads(parent, edges, x)
            cross += summed**2 - tree_loads(parent, edges, x**2)
        return window_mean(cross.T, seconds, self.window_s).T


def window_mean(per_step: F64, seconds: F64, window_s: float) -> F64:
    """Sums over a window centred on each step, per second: ``(..., T)`` in and out.

    The window holds ``round(window_s / step / 2)`` steps either side (cut at the run's
    ends, the divisor cut with it), the step being the median sample spacing.
    """
    t = seconds.size
    step_s = float(np.median(np.diff(seconds))) if t > 1 else 1.0
    half = max(0, round(window_s / step_s / 2.0))
    lo = np.maximum(np.arange(t) - half, 0)
    hi = np.minimum(np.arange(t) + half + 1, t)
    width = (hi - lo) * step_s
    zeros = np.zeros((*per_step.shape[:-1], 1))
    total = np.concatenate([zeros, np.cumsum(per_step, axis=-1)], axis=-1)
    return np.asarray((total[..., hi] - total[..., lo]) / width)


def _simultaneous(sat: I64, step: I64, size: F64, frame: I64) -> SimultaneousBursts:
    """The bursts whose frame time another satellite shares, with their slot in the step."""
    _, inverse, senders = np.unique(frame, return_inverse=True, return_counts=True)
    shared = senders[inverse.ravel()] >= 2
    # (step, frame time) pairs sorted by step then time; a slot is the rank in its step.
    pairs, which = np.unique(
        np.column_stack([step[shared], frame[shared]]).astype(np.int64).reshape(-1, 2),
        axis=0,
        return_inverse=True,
    )
    rank = np.arange(len(pairs)) - np.searchsorted(pairs[:, 0], pairs[:, 0])
    return SimultaneousBursts(
        sat[shared].astype(np.int64), step[shared].astype(np.int64),
        rank[which.ravel()].astype(np.int64), np.asarray(size, np.float64)[shared],
    )  # fmt: skip


def path_edges(predecessors: I64) -> I64:
    """Edges from each vertex to the root of its shortest-path tree (pointer jumping).

    Parameters
    ----------
    predecessors : (V,) int
        Predecessor of each vertex; negative for roots and unreached vertices.
    """
    has = predecessors >= 0
    return np.asarray(path_totals(predecessors, has.astype(np.int64)), dtype=np.int64)


def path_totals(predecessors: I64, edge_value: NDArray[np.generic]) -> NDArray[np.generic]:
    """Sum of ``edge_value`` along each vertex's path to the root, by pointer jumping.

    Parameters
    ----------
    predecessors : (V,) int
        Predecessor of each vertex; negative for roots and unreached vertices.
    edge_value : (V,)
        Value of the edge from each vertex to its predecessor (ignored at roots).
    """
    n = predecessors.size
    has = predecessors >= 0
    ancestor = np.where(has, predecessors, np.arange(n))
    total = np.where(has, edge_value, 0)
    while True:  # about log2(longest path) passes
        jumped = ancestor[ancestor]
        if np.array_equal(jumped, ancestor):
            return total
        total = total + total[ancestor]
        ancestor = jumped


def earliest_arrival(seconds: F64, delay_s: F64, hops: I64) -> tuple[F64, I64]:
    """Arrival by store and forward: the best departure at or after each step.

    Parameters
    ----------
    seconds : (T,)
        Sample times, s.
    delay_s : (..., T, N)
        Route delay at each step, s (``inf``: no route).
    hops : (..., T, N)
        Hops of that route.

    Returns
    -------
    arrival_s, hops : (..., T, N)
        ``min over s' >= s of seconds[s'] + delay_s[s']`` and the hops of the route taken
        (the earliest such ``s'``).
    """
    leave = seconds[:, None] + delay_s
    best = np.flip(np.minimum.accumulate(np.flip(leave, axis=-2), axis=-2), axis=-2)
    t = seconds.size
    step_index = np.broadcast_to(np.arange(t)[:, None], leave.shape)
    own = np.where(np.isfinite(leave) & (leave <= best), step_index, t)
    first = np.flip(np.minimum.accumulate(np.flip(own, axis=-2), axis=-2), axis=-2)
    taken = np.take_along_axis(hops, np.minimum(first, t - 1), axis=-2)
    return best, np.where(np.isfinite(best), taken, -1)
