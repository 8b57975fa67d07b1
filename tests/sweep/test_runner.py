"""Running sweeps on Dask: the dataset, resume, failed cases, interrupted drivers."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from distributed import Client

from tests.sweep.conftest import GRID_SWEEP, write_sweep
from tracklayer.sweep.cases import SweepPlan, expand_sweep
from tracklayer.sweep.config import SweepError, load_sweep
from tracklayer.sweep.runner import run_sweep

#: A scheduler nobody listens on: a run that tried to contact it would fail.
NOWHERE = "tcp://127.0.0.1:9"


def _plan(folder: Path, text: str = GRID_SWEEP) -> SweepPlan:
    config, base_folder = load_sweep(write_sweep(folder, text))
    return expand_sweep(config, base_folder)


def _counts(results: Path) -> dict[str, int]:
    """Rows with a metric per case id, over the whole dataset."""
    rows = duckdb.sql(
        f"SELECT case_id, count(metric) FROM read_parquet('{results}/*.parquet') GROUP BY 1"
    ).fetchall()
    return {str(c): int(n) for c, n in rows}


def test_sweep_writes_one_file_per_case_and_resume_skips_all(
    tmp_path: Path, local_client: Client
) -> None:
    """6 cases give 6 files, each holding the case's satellites and coverage rows; a second
    run finds every case finished and runs nothing (it never contacts a scheduler)."""
    plan = _plan(tmp_path / "s")
    out = tmp_path / "out"
    seen: list[tuple[int, int, int]] = []
    first = run_sweep(plan, out, local_client, progress=lambda *a: seen.append(a))
    assert (first.ran, first.skipped, first.failed) == (6, 0, [])
    assert seen[-1] == (6, 6, 0)
    files = sorted(p.stem for p in (out / "results").glob("*.parquet"))
    assert files == sorted(c.case_id for c in plan.cases)
    counts = _counts(out / "results")
    assert set(counts) == set(files) and min(counts.values()) > 10
    # n_satellites follows the design: 12 (A) + 6 (B) in every design of this sweep.
    sats = duckdb.sql(
        f"SELECT DISTINCT n_satellites FROM read_parquet('{out}/results/*.parquet')"
    ).fetchall()
    assert sats == [(18,)]
    again = run_sweep(plan, out, scheduler=NOWHERE)
    assert (again.ran, again.skipped) == (0, 6)
    assert _counts(out / "results") == counts


def test_failed_case_is_recorded_and_others_continue(tmp_path: Path, local_client: Client) -> None:
    """A 30 deg cell has no centre inside the 20 x 30 deg box: that design fails on the
    worker with the grid's message; the two others finish. --retry-failed runs only the
    failed case again, replacing its file (still 3 files, one per case)."""
    text = """\
base: base.yaml
set: {coverage.duration_s: 3600, coverage.step_s: 600}
axes:
  - {name: cell, path: coverage.cell_size_deg, values: [5, 30, 10]}
"""
    plan = _plan(tmp_path / "s", text)
    out = tmp_path / "out"
    outcome = run_sweep(plan, out, local_client)
    assert outcome.ran == 3 and len(outcome.failed) == 1
    failed_id, error = outcome.failed[0]
    assert "no grid cell centre falls inside the region" in error
    rows = duckdb.sql(
        f"SELECT case_id, status, cell, error FROM read_parquet('{out}/results/*.parquet') "
        "WHERE status = 'failed'"
    ).fetchall()
    assert rows == [(failed_id, "failed", 30.0, error)]
    assert run_sweep(plan, out, scheduler=NOWHERE).ran == 0
    retry = run_sweep(plan, out, local_client, retry_failed=True)
    assert (retry.ran, retry.skipped, len(retry.failed)) == (1, 2, 1)
    assert len(list((out / "results").glob("*.parquet"))) == 3


def test_interrupted_driver_resumes_without_loss_or_double_count(
    tmp_path: Path, local_client: Client
) -> None:
    """The driver stops (KeyboardInterrupt) after 2 cases: those 2 are saved whole; the
    next run does the other 4; every case is in the dataset exactly once, with the same
    rows as an uninterrupted run."""
    plan = _plan(tmp_path / "s")
    out = tmp_path / "out"

    def stop_after_two(done: int, total: int, failed: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(plan, out, local_client, progress=stop_after_two)
    assert len(list((out / "results").glob("*.parquet"))) == 2
    rest = run_sweep(plan, out, local_client)
    assert (rest.ran, rest.skipped) == (4, 2)
    reference = tmp_path / "reference"
    run_sweep(plan, reference, local_client)
    assert _counts(out / "results") == _counts(reference / "results")
    assert len(_counts(out / "results")) == 6


def test_folder_of_another_sweep_is_refused(tmp_path: Path, local_client: Client) -> None:
    """Results of one base scenario are never mixed with another's."""
    out = tmp_path / "out"
    run_sweep(_plan(tmp_path / "a"), out, local_client)
    other = GRID_SWEEP.replace("cell_size_deg: 10", "cell_size_deg: 15")
    with pytest.raises(SweepError, match="holds the results of another sweep"):
        run_sweep(_plan(tmp_path / "b", other), out, scheduler=NOWHERE)


def test_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SweepError, match="cannot connect to the Dask scheduler at tcp://127"):
        run_sweep(_plan(tmp_path / "s"), tmp_path / "out", scheduler=NOWHERE)
