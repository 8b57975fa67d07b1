"""A sweep on a local cluster of two worker processes, one of them killed mid-sweep."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import duckdb
import pytest
from distributed import Client, LocalCluster

from tests.sweep.conftest import write_sweep
from tracklayer.sweep.cases import expand_sweep
from tracklayer.sweep.config import load_sweep
from tracklayer.sweep.runner import run_sweep

#: 4 x 2 = 8 designs; each case propagates 18 satellites over 2 h at 60 s steps.
SWEEP = """\
base: base.yaml
set: {coverage.duration_s: 7200, coverage.step_s: 60, coverage.cell_size_deg: 5,
      "space.constellations[0].phasing": 0}
axes:
  - {name: planes, path: "space.constellations[0].planes", values: [1, 2, 3, 4]}
  - {name: alt, path: "space.constellations[0].altitude_km", values: [800, 1200]}
"""


@pytest.mark.slow
def test_killed_worker_loses_no_case_and_counts_none_twice(tmp_path: Path) -> None:
    """After the second finished case, SIGKILL a worker process that holds a task: Dask
    reruns its work elsewhere, and the dataset ends with every one of the 8 cases exactly
    once, all successful, with the same metric rows per case as the cases run alone."""
    config, folder = load_sweep(write_sweep(tmp_path / "s", SWEEP))
    plan = expand_sweep(config, folder)
    out = tmp_path / "out"
    killed: list[int] = []
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(2, timeout=120)

        def kill_one(done: int, total: int, failed: int) -> None:
            if done != 2 or killed:
                return
            pids = client.run(os.getpid)
            busy = [w for w, tasks in client.processing().items() if tasks and w in pids]
            pid = pids[(busy or sorted(pids))[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

        outcome = run_sweep(plan, out, client, progress=kill_one)
        survivors = set(client.run(os.getpid).values())
    assert killed and killed[0] not in survivors
    assert (outcome.ran, outcome.failed) == (8, [])
    rows = duckdb.sql(
        f"SELECT case_id, count(DISTINCT finished_at), count(*), min(status) "
        f"FROM read_parquet('{out}/results/*.parquet') GROUP BY case_id"
    ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(c.case_id for c in plan.cases)
    assert all(r[1] == 1 and r[3] == "ok" for r in rows)  # one run of each case, none failed
    per_case = {r[2] for r in rows}
    assert len(per_case) == 1  # same design shape: the same number of rows in every case
