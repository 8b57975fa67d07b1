"""Run a sweep's cases on Dask and append each finished case to the results dataset.

The driver submits every pending case as one task (:func:`run_case`), gathers results as
they complete, and writes each case's file itself: workers need no shared file system, and
a case's rows reach the dataset only whole. A case that raises is recorded with its error
and the sweep goes on; a case whose worker died more often than Dask allows
(``distributed.scheduler.allowed-failures``) is recorded as failed the same way. Re-running
skips the cases already in the dataset (and retries failed ones with ``retry_failed``).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from distributed import Client, LocalCluster, as_completed
from distributed.scheduler import KilledWorker

from tracklayer.errors import TracklayerError
from tracklayer.sweep.cases import Case, SweepPlan
from tracklayer.sweep.config import SweepError
from tracklayer.sweep.evaluate import evaluate_case
from tracklayer.sweep.results import (
    RESULTS,
    case_table,
    check_manifest,
    finished_cases,
    write_case,
)

__all__ = ["SweepOutcome", "SweepProgress", "dask_client", "run_case", "run_sweep"]

#: ``(done, total, failed)`` after each finished case of this run.
SweepProgress = Callable[[int, int, int], None]


@dataclass
class SweepOutcome:
    """What a run of :func:`run_sweep` did.

    Attributes
    ----------
    total
        Cases in the sweep.
    skipped
        Cases found finished in the dataset and not run again.
    ran
        Cases finished by this run (including failed ones).
    failed
        (case id, error) of the cases that failed in this run.
    elapsed_s
        Wall time of this run, s.
    """

    out_dir: Path
    total: int
    skipped: int
    ran: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def results_dir(self) -> Path:
        """The Parquet dataset's folder."""
        return self.out_dir / RESULTS


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, TracklayerError):
        return str(exc)
    frames = traceback.extract_tb(exc.__traceback__)
    where = (
        f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno} in {frames[-1].name})"
        if frames
        else ""
    )
    return f"{type(exc).__name__}: {exc}{where}"


def run_case(
    case: Case, measures: Sequence[str], axis_columns: Sequence[tuple[str, bool]]
) -> pa.Table:
    """Evaluate one case (on a worker) and return its rows of the results dataset.

    Never raises for a problem of the case itself: the error text is recorded in the
    ``error`` column with ``status = failed``.
    """
    start = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        n_satellites, rows = evaluate_case(case.scenario, measures, case.replicate)
        error = None
    except Exception as exc:  # a failed case is data, not a crash of the sweep
        n_satellites, rows, error = None, [], _error_text(exc)
    return case_table(
        case,
        axis_columns,
        n_satellites=n_satellites,
        rows=rows,
        error=error,
        elapsed_s=time.perf_counter() - start,
        worker=worker,
    )


def _worker_threads(workers: int) -> str:
    # Each worker runs one case at a time; numba's own threads share the cores among them.
    return str(max(1, (os.cpu_count() or 1) // max(1, workers)))


@contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2) -> Iterator[Client]:
    """A Dask client: of the running cluster at ``scheduler`` (``tcp://HOST:PORT``), or of
    a new local cluster of ``workers`` processes (one thread each), closed on exit.

    Raises
    ------
    SweepError
        The scheduler cannot be reached, or ``workers`` < 1.
    """
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="5s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SweepError(
                f"cannot connect to the Dask scheduler at {scheduler}: {exc}"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    if workers < 1:
        raise SweepError(f"--workers must be >= 1, got {workers}")
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        env={"NUMBA_NUM_THREADS": _worker_threads(workers)},
    )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        with _quiet_worker_shutdown():
            cluster.close()


class _WorkerKilledAtClose(logging.Filter):
    """Drops the nanny's "Worker process still alive after 4.0 seconds, killing": at the
    end of a sweep every case is done and its result written, and a worker interpreter
    that takes over the nanny's fixed 4 s to exit on a busy machine loses nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "still alive after" not in record.getMessage()


@contextmanager
def _quiet_worker_shutdown() -> Iterator[None]:
    nanny = logging.getLogger("distributed.nanny")
    quiet = _WorkerKilledAtClose()
    nanny.addFilter(quiet)
    try:
        yield
    finally:
        nanny.removeFilter(quiet)


def _pending(plan: SweepPlan, results_dir: Path, retry_failed: bool) -> list[Case]:
    done = finished_cases(results_dir)
    return [
        c
        for c in plan.cases
        if c.case_id not in done or (retry_failed and done[c.case_id] == "failed")
    ]


def _clean_temporaries(results_dir: Path) -> None:
    # A driver killed inside write_table leaves its temporary file; never part of the data.
    for tmp in results_dir.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def run_sweep(
    plan: SweepPlan,
    out_dir: Path,
    client: Client | None = None,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    retry_failed: bool = False,
    progress: SweepProgress | None = None,
) -> SweepOutcome:
    """Run the plan's unfinished cases on Dask; write each finished case to the dataset.

    Parameters
    ----------
    plan
        The expanded sweep (:func:`tracklayer.sweep.cases.expand_sweep`).
    out_dir
        Output folder: ``sweep.json`` and ``results/<case_id>.parquet``.
    client
        A connected Dask client. Without one, :func:`dask_client` makes one from
        ``scheduler`` and ``workers``, only when some case is left to run.
    retry_failed
        Run again the cases recorded as failed.
    progress
        Called with ``(done, total, failed)`` after each case of this run.

    Raises
    ------
    SweepError
        ``out_dir`` holds another sweep, the scheduler is unreachable, or the cluster went
        away (finished cases stay in the dataset: running again resumes).
    """
    start = time.perf_counter()
    check_manifest(plan, out_dir)
    results_dir = out_dir / RESULTS
    results_dir.mkdir(parents=True, exist_ok=True)
    _clean_temporaries(results_dir)
    pending = _pending(plan, results_dir, retry_failed)
    outcome = SweepOutcome(out_dir, total=len(plan.cases), skipped=len(plan.cases) - len(pending))
    if pending and client is None:
        with dask_client(scheduler, workers) as own:
            _run_pending(plan, pending, results_dir, own, outcome, progress)
    elif pending:
        assert client is not None
        _run_pending(plan, pending, results_dir, client, outcome, progress)
    outcome.elapsed_s = time.perf_counter() - start
    return outcome


def _run_pending(
    plan: SweepPlan,
    pending: list[Case],
    results_dir: Path,
    client: Client,
    outcome: SweepOutcome,
    progress: SweepProgress | None,
) -> None:
    axis_columns = plan.axis_columns
    by_key = {}
    futures = []
    for case in pending:
        future = client.submit(
            run_case, case, plan.measures, axis_columns, key=f"sweep-case-{case.case_id}"
        )
        by_key[future.key] = case
        futures.append(future)
    if progress is not None:
        progress(0, len(pending), 0)
    try:
        for future in as_completed(futures):
            case = by_key[future.key]
            try:
                table = future.result()
            except (CancelledError, OSError, TimeoutError) as exc:
                raise SweepError(
                    f"the Dask cluster stopped answering ({type(exc).__name__}: {exc}); "
                    f"{outcome.ran} cases of this run are saved; run again to resume"
                ) from None
            except Exception as exc:  # KilledWorker, or the task could not run at all
                reason = (
                    f"the worker running this case died repeatedly ({exc})"
                    if isinstance(exc, KilledWorker)
                    else f"the case could not run on the cluster: {_error_text(exc)}"
                )
                table = case_table(
                    case,
                    axis_columns,
                    n_satellites=None,
                    rows=[],
                    error=reason,
                    elapsed_s=0.0,
                    worker="",
                )
            write_case(table, results_dir)
            future.release()
            outcome.ran += 1
            error = table.column("error")[0].as_py()
            if error is not None:
                outcome.failed.append((case.case_id, str(error)))
            if progress is not None:
                progress(outcome.ran, len(pending), len(outcome.failed))
    finally:
        client.cancel([f for f in futures if not f.done()])
