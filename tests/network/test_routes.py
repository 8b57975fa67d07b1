"""Routes against networkx shortest paths; store and forward against a brute-force scan."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from tracklayer.network.routes import earliest_arrival, path_edges, shortest_delays

#: Distances are sums of float64 delays of a few ms: agreement to a picosecond.
ONE_PICOSECOND = 1e-12


def _random_steps(rng: np.random.Generator, n_vertices: int, n_steps: int, p: float):
    rows = []
    for step in range(n_steps):
        graph = nx.gnp_random_graph(n_vertices, p, seed=int(rng.integers(1 << 30)), directed=True)
        for a, b in graph.edges:
            rows.append((step, a, b, float(rng.uniform(1e-4, 5e-2))))
    step, a, b, w = (np.array(c) for c in zip(*rows, strict=True))
    return step.astype(np.int64), a.astype(np.int64), b.astype(np.int64), w


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shortest_delays_equal_networkx_on_random_graphs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_vertices, n_steps = 40, 6
    step, a, b, w = _random_steps(rng, n_vertices, n_steps, 0.08)
    sources = np.array([0, 7, 39])
    dist, edges = shortest_delays(n_vertices, n_steps, step, a, b, w, sources)
    for s in range(n_steps):
        graph = nx.DiGraph()
        graph.add_nodes_from(range(n_vertices))
        here = step == s
        graph.add_weighted_edges_from(zip(a[here], b[here], w[here], strict=True))
        for k, source in enumerate(sources):
            lengths, paths = nx.single_source_dijkstra(graph, int(source))
            expected = np.full(n_vertices, np.inf)
            hops = np.full(n_vertices, -1)
            for v, d in lengths.items():
                expected[v] = d
                hops[v] = len(paths[v]) - 1
            np.testing.assert_allclose(dist[k, s], expected, rtol=0, atol=ONE_PICOSECOND)
            # Random real weights: shortest paths are unique, so edge counts agree exactly.
            np.testing.assert_array_equal(edges[k, s], hops)


def test_path_edges_of_a_chain_and_a_star() -> None:
    chain = np.array([-9999, 0, 1, 2, 3, 4])
    np.testing.assert_array_equal(path_edges(chain), [0, 1, 2, 3, 4, 5])
    star = np.array([-9999, 0, 0, -9999])
    np.testing.assert_array_equal(path_edges(star), [0, 1, 1, 0])


def test_earliest_arrival_equals_a_brute_force_scan() -> None:
    rng = np.random.default_rng(3)
    seconds = np.arange(0.0, 50.0, 2.0)
    delay = rng.uniform(0.01, 30.0, (2, seconds.size, 5))
    delay[rng.uniform(size=delay.shape) < 0.6] = np.inf  # no route at most steps
    hops = rng.integers(1, 9, delay.shape)
    arrival, taken = earliest_arrival(seconds, delay, hops)
    for p in range(2):
        for s in range(seconds.size):
            for n in range(5):
                leave = seconds[s:] + delay[p, s:, n]
                best = leave.min()
                assert arrival[p, s, n] == best
                if np.isfinite(best):
                    assert taken[p, s, n] == hops[p, s + int(np.argmin(leave)), n]
                else:
                    assert taken[p, s, n] == -1
