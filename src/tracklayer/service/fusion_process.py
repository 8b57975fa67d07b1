"""Track-to-track fusion in a process of its own, for the live stream's periodic picture.

Fusing a picture (association, then covariance intersection per group) is a few to tens
of ms of numpy and Python, every ``picture_interval_s``. In a thread of the server it holds
the interpreter lock in switch-interval slices against the event loop, and every request
arriving meanwhile waits. :class:`FusionProcess` runs
:func:`tracklayer.service.picture.fuse` in one spawned worker process instead: the server
only sends the national rows (arrays) and reads back the system tracks.

The worker is started by :meth:`FusionProcess.start` (or the first fusion), and started
again if it dies; a fusion that was under way when it died is run once more. It exits by
itself when the server's process ends, even when killed outright.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from tracklayer.service.picture import FusedTracks, FusionSettings, TrackRows, fuse

__all__ = ["FusionProcess"]


def _worker_init(server_pid: int) -> None:
    # What the worker imported lives as long as it does: out of the collector's scans.
    gc.collect()
    gc.freeze()
    threading.Thread(
        target=_exit_with, args=(server_pid,), name="tracklayer-orphan-watch", daemon=True
    ).start()


def _exit_with(server_pid: int, interval_s: float = 0.5) -> None:
    """End this worker once the server that started it is gone, however it ended (a
    worker of a server killed outright would otherwise wait for work forever)."""
    while os.getppid() == server_pid:
        time.sleep(interval_s)
    os._exit(0)


def _ready() -> int:
    return os.getpid()


class FusionProcess:
    """:func:`~tracklayer.service.picture.fuse` in a worker process (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def start(self) -> int:
        """Start the worker (if none runs), wait until it has imported the fusion, and
        return its process id."""
        return self._get().submit(_ready).result()

    def fuse(self, national: TrackRows, at_ns: int, settings: FusionSettings) -> FusedTracks:
        """System tracks at ``at_ns`` from ``national``, as
        :func:`~tracklayer.service.picture.fuse` gives them."""
        for attempt in range(2):
            executor = self._get()
            try:
                return executor.submit(fuse, national, at_ns, settings).result()
            except BrokenProcessPool:
                with self._lock:
                    if self._executor is executor:
                        self._executor = None
                executor.shutdown(wait=False)
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """End the worker."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_worker_init,
                    initargs=(os.getpid(),),
                )
            return self._executor
