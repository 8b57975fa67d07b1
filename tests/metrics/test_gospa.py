"""GOSPA against Stone Soup's ``GOSPAMetric`` on the same point sets, and closed forms."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from tracklayer.metrics.gospa import gospa


def test_gospa_closed_forms() -> None:
    """Rahmathullah et al. 2017, eq. 2, alpha = 2: empty sets give 0; only missed targets
    give (c^p/2 m)^(1/p); one pair at distance d < c gives d; a pair beyond c counts as one
    missed plus one false, c."""
    c = 10.0
    assert gospa(np.zeros((0, 3)), np.zeros((0, 3)), c).distance == 0.0
    assert gospa(np.zeros((3, 3)), np.zeros((0, 3)), c).distance == pytest.approx(
        (c**2 / 2 * 3) ** 0.5
    )
    one = gospa([[0.0, 0.0, 0.0]], [[3.0, 4.0, 0.0]], c)
    assert one.distance == pytest.approx(5.0) and one.truth_idx.tolist() == [0]
    far = gospa([[0.0, 0.0, 0.0]], [[30.0, 40.0, 0.0]], c)
    assert far.distance == pytest.approx(c) and far.truth_idx.size == 0


def test_gospa_matches_stone_soup() -> None:
    """200 random pairs of point sets (0-8 truths, 0-8 estimates, 3-D, c = 5, p = 1 and 2):
    distance, localisation, missed and false equal Stone Soup 1.x ``GOSPAMetric`` to 1e-9
    relative."""
    pytest.importorskip("stonesoup")
    from stonesoup.measures import Euclidean
    from stonesoup.metricgenerator.ospametric import GOSPAMetric
    from stonesoup.types.state import State

    rng = np.random.default_rng(0)
    t = datetime(2030, 1, 1)
    for p in (1.0, 2.0):
        ss = GOSPAMetric(c=5.0, p=p, measure=Euclidean(mapping=(0, 1, 2)))
        for k in range(100):
            m, n = rng.integers(0, 9, 2)
            x = rng.uniform(0.0, 10.0, (m, 3))
            y = rng.uniform(0.0, 10.0, (n, 3))
            ts = t + timedelta(seconds=k)
            truth = [State(v.reshape(3, 1), timestamp=ts) for v in x]
            est = [State(v.reshape(3, 1), timestamp=ts) for v in y]
            ours = gospa(x, y, 5.0, p)
            if m == n == 0:  # Stone Soup needs a state to read the time from
                assert ours.distance == 0.0
                continue
            ref = ss.compute_gospa_metric(est, truth)[0].value
            assert ours.distance == pytest.approx(ref["distance"], rel=1e-9, abs=1e-12)
            assert ours.localisation == pytest.approx(ref["localisation"], rel=1e-9, abs=1e-12)
            assert ours.missed == pytest.approx(ref["missed"], rel=1e-9, abs=1e-12)
            assert ours.false == pytest.approx(ref["false"], rel=1e-9, abs=1e-12)
