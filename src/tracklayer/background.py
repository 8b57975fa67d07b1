"""Work that runs beside the caller: one forked worker process, or inline where it cannot.

A run's stages are mostly single-threaded Python (trackers, fusion), so on a machine with
two or more cores a second process halves the wall time of work that does not depend on
the rest. :class:`Background` hands such work to one worker process started by ``fork``
(which inherits the loaded modules and compiled kernels, so it starts in milliseconds);
where ``fork`` is missing or no core is spare (one core only, or others' jobs keeping the
cores busy), the work runs inline when its result is first asked for, exactly as it would
have without a worker.

The forked worker inherits the work and its arguments as they are (nothing is pickled on
the way in, so they may hold compiled objects such as SGP4's satellite records); its value
comes back pickled through a pipe (Arrow tables, dataclasses of them), and so do its
exceptions, which reach the caller when it asks for the result.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["MIN_SPARE_CORES", "Background", "Pending", "can_fork", "spare_cores", "usable_cores"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Pending(Protocol[T_co]):
    """A result still to come."""

    def result(self) -> T_co:
        """Wait for the work and return its value (or raise its exception)."""
        ...


class _Inline(Generic[T]):
    """Work run in the calling process when its result is first asked for."""

    def __init__(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]):
        self._call: Callable[[], T] | None = lambda: fn(*args, **kwargs)
        self._value: T | None = None

    def result(self) -> T:
        if self._call is not None:
            call, self._call = self._call, None
            self._value = call()
        return self._value  # type: ignore[return-value]


def _work(fn: Callable[..., Any], args: Any, kwargs: Any, send: Connection) -> None:
    """The worker's body: the work's value, or its exception, sent back once."""
    try:
        outcome: tuple[bool, Any] = (True, fn(*args, **kwargs))
    except BaseException as error:
        outcome = (False, error)
    try:
        send.send(outcome)
    except Exception as error:
        send.send((False, RuntimeError(f"{type(outcome[1]).__name__}: {outcome[1]} ({error})")))
    send.close()


class _Forked(Generic[T]):
    """Work running in a forked worker process."""

    def __init__(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]):
        context = multiprocessing.get_context("fork")
        self._recv, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_work, args=(fn, args, kwargs, send), daemon=True)
        self._process.start()
        send.close()
        self._outcome: tuple[bool, Any] | None = None

    def result(self) -> T:
        if self._outcome is None:
            try:
                self._outcome = self._recv.recv()
            except EOFError:
                self._process.join()
                code = self._process.exitcode
                raise RuntimeError(
                    f"background work ended without a result (exit code {code})"
                ) from None
            finally:
                self._recv.close()
            self._process.join()
        ok, value = self._outcome
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        """End the worker if it still runs."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()


def usable_cores() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether worker processes can be forked here."""
    return "fork" in multiprocessing.get_all_start_methods()


def spare_cores() -> float:
    """Usable cores beyond this process's own that nothing else uses: the cores less the
    last minute's load average, less one (where the load is unknown: the cores less one).

    A worker pays only on such a core: on a machine whose two cores others' jobs already
    kept busy, a worker made the demo no shorter and cost 45 % more CPU time
    (``benchmarks/RESULTS.md``).
    """
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = 0.0
    return usable_cores() - load - 1.0


#: Spare cores (:func:`spare_cores`) from which the default takes workers: most of one.
MIN_SPARE_CORES = 0.25


class Background:
    """Runs submitted work in worker processes beside the caller (a context manager that
    ends, on leaving, any worker whose result was never asked for).

    Parameters
    ----------
    parallel
        None: workers when ``fork`` exists and most of a core is spare (:func:`spare_cores`); True:
        workers wherever ``fork`` exists; False: always inline (the work runs when its
        result is asked for).
    """

    def __init__(self, parallel: bool | None = None) -> None:
        if parallel is None:
            parallel = can_fork() and spare_cores() >= MIN_SPARE_CORES
        self.parallel = parallel
        self._workers: list[_Forked[Any]] = []

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Pending[T]:
        """Start ``fn(*args, **kwargs)``; its value comes from the returned object's
        ``result()``."""
        if not self.parallel or not can_fork():
            return _Inline(fn, args, kwargs)
        worker = _Forked(fn, args, kwargs)
        self._workers.append(worker)
        return worker

    def __enter__(self) -> Background:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers.clear()
