"""Group commit: one writer thread that commits queued writes together.

A durable commit costs one fsync (SQLite WAL with ``synchronous=FULL``) or one WAL flush
(PostgreSQL), whatever the transaction holds, and a database takes one writer at a time.
Committing each message on its own therefore caps the message rate at one per fsync.
Here request threads hand their prepared writes (jobs) to a queue; a single writer thread
takes every job queued (waiting up to ``linger_s`` for more, at most ``max_batch``),
applies them in one transaction, commits once, and only then resolves each job's future,
so a request is acknowledged exactly when its message is durable, as before. While one
batch commits, the next one gathers: the batch size adapts to the load by itself.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["GroupCommitter", "Job"]

log = logging.getLogger("tracklayer.service.groupcommit")


class Job(Protocol):
    """A queued write; the commit function resolves its future."""

    @property
    def future(self) -> Future[Any]:
        """Set to the job's result (or exception) once its batch is committed."""
        ...


J = TypeVar("J", bound=Job)


class GroupCommitter(Generic[J]):
    """A writer thread applying queued jobs in batches with ``commit``.

    Parameters
    ----------
    commit : callable
        ``commit(jobs)`` applies a batch in one transaction and resolves every job's future
        after the commit returns. A future it leaves unresolved gets the exception it
        raised (or a ``RuntimeError``).
    max_batch : int
        Most jobs in one transaction.
    linger_s : float
        Longest wait for more jobs once one is queued, s (a few ms at most: it is added
        to the latency of a lone message).
    """

    def __init__(
        self, commit: Callable[[list[J]], None], max_batch: int = 256, linger_s: float = 0.002
    ) -> None:
        self._commit = commit
        self._max_batch = max_batch
        self._linger_s = linger_s
        self._queue: queue.SimpleQueue[J | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def submit(self, job: J) -> Future[Any]:
        """Queue ``job`` (starting the writer if needed); its future resolves after commit.

        After :meth:`stop`, the job is committed on the calling thread instead.
        """
        with self._lock:
            if self._stopped:
                self._run_batch([job])
                return job.future
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="tracklayer-group-commit", daemon=True
                )
                self._thread.start()
            self._queue.put(job)
        return job.future

    def stop(self) -> None:
        """Commit what is queued, then end the writer thread."""
        with self._lock:
            self._stopped = True
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join()

    def _gather(self, first: J) -> tuple[list[J], bool]:
        batch = [first]
        deadline = time.monotonic() + self._linger_s
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, last = self._gather(first)
            self._run_batch(batch)
            if last:
                return

    def _run_batch(self, batch: list[J]) -> None:
        error: BaseException | None = None
        try:
            self._commit(batch)
        except Exception as exc:
            log.exception("group commit failed")
            error = exc
        for job in batch:
            if not job.future.done():
                job.future.set_exception(error or RuntimeError("write was not committed"))
