"""Work beside the caller: a forked worker gives the same value as the work run inline,
its errors reach the caller, and arguments that cannot be pickled still reach it."""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pytest
from sgp4.api import Satrec

from tracklayer.background import (
    MIN_SPARE_CORES,
    Background,
    can_fork,
    spare_cores,
    usable_cores,
)
from tracklayer.errors import ScenarioError

FORK = can_fork() and usable_cores() > 1


def _table(n: int, seed: int) -> pa.Table:
    values = np.random.default_rng(seed).normal(size=n)
    return pa.table({"i": np.arange(n), "x": values, "pid": np.full(n, os.getpid())})


def _fails(message: str) -> None:
    raise ScenarioError(message)


def _mean_motion(satellite: Satrec) -> float:
    return float(satellite.no_kozai)


@pytest.mark.parametrize("parallel", [False, True])
def test_worker_value_equals_the_inline_value(parallel: bool) -> None:
    """The same table, bit for bit, from the worker and inline; the worker is another
    process only where workers are used."""
    if parallel and not FORK:
        pytest.skip("no fork or a single core here")
    with Background(parallel) as background:
        pending = background.submit(_table, 50_000, seed=3)
        got = pending.result()
    assert got.drop(["pid"]).equals(_table(50_000, 3).drop(["pid"]))
    other = got["pid"][0].as_py() != os.getpid()
    assert other == parallel


@pytest.mark.parametrize("parallel", [False, True])
def test_errors_reach_the_caller(parallel: bool) -> None:
    if parallel and not FORK:
        pytest.skip("no fork or a single core here")
    with Background(parallel) as background:
        pending = background.submit(_fails, "losses.counts[1]: too many")
        with pytest.raises(ScenarioError, match=r"losses\.counts\[1\]: too many"):
            pending.result()


def test_unpicklable_arguments_reach_the_worker() -> None:
    """SGP4's records cannot be pickled; a forked worker inherits them as they are."""
    if not FORK:
        pytest.skip("no fork or a single core here")
    line1 = "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927"
    line2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"
    satellite = Satrec.twoline2rv(line1, line2)
    with Background(True) as background:
        assert background.submit(_mean_motion, satellite).result() == satellite.no_kozai


def test_an_unfinished_worker_is_ended_on_leaving() -> None:
    """Leaving the block (here on an error) ends a worker whose result nobody asked for."""
    if not FORK:
        pytest.skip("no fork or a single core here")
    with pytest.raises(RuntimeError), Background(True) as background:
        background.submit(_table, 10, seed=1)
        workers = list(background._workers)
        raise RuntimeError("the raid failed")
    assert all(not w._process.is_alive() for w in workers)


def test_workers_only_where_a_core_is_spare() -> None:
    """The default takes a worker only where most of a core beyond the caller's is spare."""
    assert spare_cores() <= usable_cores() - 1
    assert Background().parallel == (can_fork() and spare_cores() >= MIN_SPARE_CORES)
    assert not Background(False).parallel
