"""Invariants of the network's pure functions, as property tests."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tracklayer.network.nodes import report_times
from tracklayer.network.routes import earliest_arrival

times = arrays(np.float64, st.integers(1, 40), elements=st.floats(0.0, 100.0))


@settings(max_examples=60, deadline=None)
@given(times, st.data())
def test_report_times_are_late_enough_and_never_go_back(det_t: np.ndarray, data) -> None:  # type: ignore[no-untyped-def]
    delay = data.draw(arrays(np.float64, det_t.size, elements=st.floats(0.0, 30.0)))
    frames = np.sort(data.draw(arrays(np.float64, st.integers(1, 20), elements=st.floats(0, 120))))
    report = report_times(frames, det_t, det_t + delay)
    assert np.all(report >= frames)
    assert np.all(np.diff(report) >= 0.0)  # a later frame is never known earlier
    for f, r in zip(frames, report, strict=True):  # every earlier detection has arrived
        before = det_t <= f + 1e-9
        assert not np.any(before) or r >= np.max((det_t + delay)[before])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.integers(1, 4), st.integers(0, 1000))
def test_waiting_never_beats_leaving_now_and_never_arrives_before_now(
    t: int, n: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    seconds = np.cumsum(rng.uniform(0.5, 2.0, t))
    delay = np.where(rng.uniform(size=(t, n)) < 0.5, np.inf, rng.uniform(0.0, 10.0, (t, n)))
    hops = rng.integers(1, 5, (t, n))
    arrival, taken = earliest_arrival(seconds, delay, hops)
    assert np.all(arrival <= seconds[:, None] + delay)
    assert np.all(arrival >= seconds[:, None])
    assert np.all(arrival[1:] >= arrival[:-1])  # made later, never delivered earlier
    assert np.array_equal(taken >= 1, np.isfinite(arrival))
