"""Routes against networkx shortest paths; store and forward against a brute-force scan."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from tracklayer.network.routes import (
    ReportLoad,
    batch_wait_s,
    earliest_arrival,
    md1_wait_s,
    path_edges,
    shortest_delays,
)
from tracklayer.network.stage import report_load

from .conftest import space_states

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


def _simulated_batch_wait(lam: float, sizes: np.ndarray, service_s: float, seed: int) -> float:
    """Mean wait per report of a simulated M^X/D/1 queue (Lindley's recursion on the
    work found by each burst; a report waits that plus the reports ahead in its burst)."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1.0 / lam, sizes.size)
    found = np.empty(sizes.size)
    work = 0.0
    for n in range(sizes.size):
        work = max(0.0, work - gaps[n])
        found[n] = work
        work += sizes[n] * service_s
    within = sizes * (sizes - 1) / 2 * service_s  # sum over a burst of the reports ahead
    return float((np.sum(found * sizes) + np.sum(within)) / np.sum(sizes))


@pytest.mark.parametrize(("lam", "rho"), [(20.0, 0.3), (5.0, 0.7)])
def test_batch_wait_equals_a_simulated_mx_d_1_queue(lam: float, rho: float) -> None:
    """Reference: 400,000 simulated bursts of 1..30 reports; agreement to 1 % of the wait
    (the simulation matches to 0.2 % with this seed)."""
    rng = np.random.default_rng(7)
    sizes = rng.integers(1, 31, 400_000).astype(np.float64)
    service = rho / (lam * sizes.mean())
    rate, square = lam * sizes.mean(), lam * np.mean(sizes**2)
    expected = batch_wait_s(np.array([rate]), np.array([square]), np.array([service]))[0]
    assert _simulated_batch_wait(lam, sizes, service, seed=8) == pytest.approx(expected, rel=0.01)


def test_batch_wait_reduces_to_md1_and_to_dd1() -> None:
    """Single reports: M/D/1 (Kleinrock eq. 5.73); a burst of k on an idle link (D/D/1):
    ``(k - 1) s / 2``, to a nanosecond; saturation: infinite; no load: no wait."""
    s = np.array([4e-4])
    for load in (1.0, 100.0, 2000.0):
        rho = load * s[0]
        md1 = rho * s[0] / (2 * (1 - rho))
        got = batch_wait_s(np.array([load]), np.array([load]), s)[0]
        assert got == pytest.approx(md1, abs=1e-12)
        assert md1_wait_s(np.array([load]), s)[0] == pytest.approx(md1, abs=1e-12)
    k, lam = 50.0, 1e-9
    idle = batch_wait_s(np.array([lam * k]), np.array([lam * k * k]), s)[0]
    assert idle == pytest.approx((k - 1) * s[0] / 2, abs=1e-9)
    assert np.isinf(batch_wait_s(np.array([1.0 / s[0]]), np.array([1.0 / s[0]]), s)[0])
    assert batch_wait_s(np.zeros(1), np.zeros(1), s)[0] == 0.0


def test_report_load_counts_bursts_over_the_window_around_each_step() -> None:
    """By hand: satellite 0 sends bursts of 3 and 5 at steps 4 and 6 of 1 s steps; a 5 s
    window (steps 2..6 around step 4): 8 reports and 9 + 25 squared per 5 s."""
    seconds = np.arange(10.0)
    load = ReportLoad.from_bursts(
        np.array([0, 0]), np.array([4, 6]), np.array([3.0, 5.0]), 2, seconds, window_s=5.0
    )
    assert load.rate_hz.shape == (2, 10)
    assert load.rate_hz[0, 4] == pytest.approx(8 / 5)
    assert load.square_rate_hz[0, 4] == pytest.approx(34 / 5)
    assert load.rate_hz[0, 0] == pytest.approx(0.0)
    assert load.rate_hz[0, 8] == pytest.approx(5 / 4)  # steps 6..9: cut at the run's end
    assert np.all(load.rate_hz[1] == 0.0)
    whole = ReportLoad.from_bursts(
        np.array([0, 0]), np.array([4, 6]), np.array([3.0, 5.0]), 2, seconds, window_s=100.0
    )
    np.testing.assert_allclose(whole.rate_hz[0], 8 / 10)  # the run's mean


def test_report_load_makes_one_burst_per_satellite_frame() -> None:
    """By hand: SAT0000 reports 3 detections at t = 2 s (one frame, sent at step 2 of 1 s
    steps) and 1 at t = 2.5 s (sent at step 3); SAT0001 2 at t = 4 s; a radar's are
    skipped. A 1 s window holds one step: at step 2 a burst of 3 (3 reports/s, 9 squared),
    at step 3 one of 1, at step 4 SAT0001's 2 (2 and 4)."""
    space = space_states(np.zeros((2, 6, 3)), np.arange(6.0), ["USA"])
    sensor = np.array(["SAT0000"] * 4 + ["SAT0001"] * 2 + ["RADAR"])
    time_s = np.array([2.0, 2.0, 2.0, 2.5, 4.0, 4.0, 3.0])
    load = report_load(space, sensor, time_s, window_s=1.0)
    np.testing.assert_allclose(load.rate_hz[0], [0, 0, 3, 1, 0, 0])
    np.testing.assert_allclose(load.square_rate_hz[0], [0, 0, 9, 1, 0, 0])
    np.testing.assert_allclose(load.rate_hz[1], [0, 0, 0, 0, 2, 0])
    np.testing.assert_allclose(load.square_rate_hz[1], [0, 0, 0, 0, 4, 0])
