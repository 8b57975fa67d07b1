"""Bursts of many satellites at one instant feed a shared link as one superposed burst
(the analytic chain case is in ``test_links.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from tracklayer.network.routes import ReportLoad, batch_wait_s, tree_loads
from tracklayer.network.stage import report_load

from .conftest import space_states


def _simulated_wait(epochs: np.ndarray, sizes: np.ndarray, service_s: float) -> float:
    """Mean wait per report of a FIFO link of fixed service time fed by bursts of
    ``sizes`` reports at ``epochs`` (Lindley's recursion on the work each burst finds; a
    report also waits for those ahead of it in its burst)."""
    found = np.empty(sizes.size)
    work, last = 0.0, 0.0
    for n in range(sizes.size):
        work = max(0.0, work - (epochs[n] - last))
        last = epochs[n]
        found[n] = work
        work += sizes[n] * service_s
    within = sizes * (sizes - 1) / 2 * service_s
    return float((np.sum(found * sizes) + np.sum(within)) / np.sum(sizes))


def test_a_shared_link_queues_as_the_simulated_superposed_bursts() -> None:
    """Reference: a simulated FIFO queue fed by the superposed bursts. Five satellites
    relay through one satellite R to the node S (tree S <- R <- 1..5); frames come at
    Poisson epochs (0.4 per s, 100,000 s), every satellite reporting 1..12 detections of
    each frame at that instant. R's edge carries one burst per frame, the sum of five.
    The M^X/D/1 wait from the load's moments (window: the whole run) agrees with the
    simulation to 2 % (0.6 % with this seed); taking the five streams as independent
    gives under a quarter of it (0.24)."""
    rng = np.random.default_rng(11)
    duration, lam, m = 100_000, 0.4, 5
    epochs = np.sort(rng.uniform(0.0, duration, rng.poisson(lam * duration)))
    sizes = rng.integers(1, 13, (epochs.size, m)).astype(np.float64)
    seconds = np.arange(float(duration))
    frame = np.repeat(np.arange(epochs.size), m)
    sat = np.tile(np.arange(m), epochs.size)
    step = np.repeat(np.floor(epochs).astype(np.int64), m)
    load = ReportLoad.from_bursts(sat, step, sizes.ravel(), m, seconds, 2.0 * duration, frame)
    # Vertices: satellites 0..4, R = 5, S = 6; one tree for every step.
    parent = np.broadcast_to(np.array([5, 5, 5, 5, 5, 6, -1]), (duration, 7))
    edges = np.broadcast_to(np.array([2, 2, 2, 2, 2, 1, 0]), (duration, 7))
    rate = np.zeros((duration, 7))
    rate[:, :m] = load.rate_hz.T
    square = np.zeros((duration, 7))
    square[:, :m] = load.square_rate_hz.T
    on_r = tree_loads(parent, edges, rate)[0, 5]
    alone = tree_loads(parent, edges, square)[0, 5]
    together = alone + load.superposed_square_hz(parent, edges, np.ones(m), seconds)[0, 5]
    total = sizes.sum(axis=1)
    assert on_r == pytest.approx(total.sum() / duration, rel=1e-12)
    assert together == pytest.approx(np.sum(total**2) / duration, rel=1e-12)
    service = 0.6 / on_r  # 60 % utilisation
    expected = batch_wait_s(np.array([on_r]), np.array([together]), np.array([service]))[0]
    simulated = _simulated_wait(epochs, total, service)
    assert expected == pytest.approx(simulated, rel=0.02)
    independent = batch_wait_s(np.array([on_r]), np.array([alone]), np.array([service]))[0]
    assert independent < 0.25 * simulated


def test_report_load_groups_the_satellites_frames_of_one_instant() -> None:
    """By hand: SAT0000 and SAT0001 report at t = 2 s (3 and 2 detections: one instant,
    shared), SAT0000 again at 2.5 s (alone), SAT0002 at 4 s (alone): only the two bursts of
    t = 2 s are simultaneous, in slot 0 of step 2."""
    space = space_states(np.zeros((3, 6, 3)), np.arange(6.0), ["USA"])
    sensor = np.array(["SAT0000"] * 3 + ["SAT0001"] * 2 + ["SAT0000", "SAT0002"])
    time_s = np.array([2.0, 2.0, 2.0, 2.0, 2.0, 2.5, 4.0])
    together = report_load(space, sensor, time_s, window_s=1.0).together
    assert together is not None
    assert sorted(zip(together.sat.tolist(), together.size.tolist(), strict=True)) == [
        (0, 3.0),
        (1, 2.0),
    ]
    assert set(together.step.tolist()) == {2} and set(together.slot.tolist()) == {0}


def test_two_instants_in_one_step_take_two_slots() -> None:
    """Frames at 0.25 s and 0.75 s, each shared by two satellites, fall in one step: two
    slots. A relay carrying both satellites sees two bursts of 2 in that step, not one of
    4: each adds (1 + 1)^2 - (1 + 1) = 2 to the squared sum, 4 per second with a 1 s
    window."""
    seconds = np.arange(4.0)
    load = ReportLoad.from_bursts(
        np.array([0, 1, 0, 1]), np.array([1, 1, 1, 1]), np.ones(4), 2, seconds, 1.0,
        frame=np.array([250, 250, 750, 750]),
    )  # fmt: skip
    assert load.together is not None and load.together.n_slots == 2
    parent = np.broadcast_to(np.array([2, 2, -1]), (4, 3))
    edges = np.broadcast_to(np.array([1, 1, 0]), (4, 3))
    cross = load.superposed_square_hz(parent, edges, np.ones(2), seconds)
    assert np.all(cross == 0.0)  # each edge carries one satellite's bursts: nothing added
    parent = np.broadcast_to(np.array([2, 2, 3, -1]), (4, 4))
    edges = np.broadcast_to(np.array([2, 2, 1, 0]), (4, 4))
    cross = load.superposed_square_hz(parent, edges, np.ones(2), seconds)
    np.testing.assert_allclose(cross[1], [0.0, 0.0, 4.0, 0.0])
