"""Sweep throughput: cases per minute on a local Dask cluster against one process in a loop.

The cases are the designs of ``examples/sweep.yaml`` (2 plane counts x 3 sizes x 3
altitudes of the demo's US layer, beside Japan's 48 satellites) with a heavier coverage
analysis than the example's (``--cell-deg`` grid over ``--hours`` at 60 s steps), so that
each case does real work.

1. Loop: :func:`tracklayer.sweep.runner.run_case` over every case in this process (numba
   uses every core inside each case), after one warm-up case.
2. Dask: :func:`tracklayer.sweep.runner.run_sweep` on a ``LocalCluster`` of 1 and then 2
   worker processes (one thread each; numba threads = cores / workers), results written
   to Parquet as in ``tracklayer sweep``. Cluster start-up is timed apart; a warm-up sweep
   of one case per worker runs first, so the timed sweep measures steady throughput.

Run: ``.venv/bin/python benchmarks/bench_sweep.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from tracklayer.sweep.cases import SweepPlan, expand_sweep
from tracklayer.sweep.config import load_sweep
from tracklayer.sweep.runner import dask_client, run_case, run_sweep

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sweep.yaml"


def make_plan(cell_deg: float, hours: float, designs: int | None) -> SweepPlan:
    config, folder = load_sweep(EXAMPLE)
    fixed = {
        "coverage.cell_size_deg": cell_deg,
        "coverage.duration_s": hours * 3600.0,
        "coverage.step_s": 60,
    }
    plan = expand_sweep(config.model_copy(update={"fixed": fixed}), folder, source=str(EXAMPLE))
    if designs is not None:
        plan.cases[:] = plan.cases[:designs]
    return plan


def time_loop(plan: SweepPlan) -> float:
    run_case(plan.cases[0], plan.measures, plan.axis_columns)  # numba compile / cache load
    start = time.perf_counter()
    for case in plan.cases:
        table = run_case(case, plan.measures, plan.axis_columns)
        assert table.column("error")[0].as_py() is None
    return time.perf_counter() - start


def time_cluster(plan: SweepPlan, warm: SweepPlan, workers: int) -> tuple[float, float]:
    """(cluster start-up s, sweep s) on a fresh local cluster of ``workers`` processes."""
    start = time.perf_counter()
    with dask_client(None, workers) as client:
        client.wait_for_workers(workers)
        startup = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as tmp:
            run_sweep(warm, Path(tmp) / "warm", client)
            begin = time.perf_counter()
            outcome = run_sweep(plan, Path(tmp) / "timed", client)
            elapsed = time.perf_counter() - begin
        assert outcome.ran == len(plan.cases) and not outcome.failed
    return startup, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell-deg", type=float, default=1.0)
    parser.add_argument("--hours", type=float, default=12.0)
    parser.add_argument("--designs", type=int, default=None, help="only the first N cases")
    parser.add_argument("--quick", action="store_true", help="5 deg, 2 h, 6 cases")
    args = parser.parse_args()
    if args.quick:
        args.cell_deg, args.hours, args.designs = 5.0, 2.0, 6
    plan = make_plan(args.cell_deg, args.hours, args.designs)
    warm = make_plan(args.cell_deg, args.hours, None)
    # Warm-up cases: the last designs, never among the timed ones when --designs is small.
    warm.cases[:] = warm.cases[-2:]
    n = len(plan.cases)
    print(
        f"{n} cases: demo coverage, {args.cell_deg:g} deg grid, {args.hours:g} h at 60 s; "
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    loop_s = time_loop(plan)
    print(f"{'runner':<22}{'start-up s':>12}{'sweep s':>10}{'cases/min':>11}{'vs loop':>9}")
    print(f"{'one process, loop':<22}{'-':>12}{loop_s:>10.1f}{60 * n / loop_s:>11.1f}{1.0:>9.2f}")
    for workers in (1, 2):
        startup, sweep_s = time_cluster(plan, warm, workers)
        label = f"Dask, {workers} worker{'s' if workers > 1 else ''}"
        print(
            f"{label:<22}{startup:>12.1f}{sweep_s:>10.1f}{60 * n / sweep_s:>11.1f}"
            f"{loop_s / sweep_s:>9.2f}"
        )
    print(f"load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
