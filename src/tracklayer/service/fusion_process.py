"""Track-to-track fusion in a process of its own, for the live stream's periodic picture.

Fusing a picture (association, then covariance intersection per group) is a few to tens
of ms of numpy and Python, every ``picture_interval_s``. In a thread of the server it holds
the interpreter lock in switch-interval slices against the event loop, and every request
arriving meanwhile waits. :class:`FusionProcess` runs
:func:`tracklayer.service.picture.fuse` in a child process
(``python -m tracklayer.service.fusion_process``, which imports the fusion and nothing of
the command line) fed through a Unix socket pair: the server sends the national rows
(arrays) and reads back the system tracks.

It also fuses the stored system tracks of each partner (:meth:`FusionProcess.fused_rows`,
for the :class:`~tracklayer.service.fused_store.FusedRecorder`): the server sends each
partner's national tracks and their releases, the child fuses them and answers with the
``fused_states`` rows (:func:`~tracklayer.service.fused_store.fused_rows_at`), which the
ingest writer child inserts. The fusion of a recording then never holds the server's
interpreter lock.

The child is started by :meth:`FusionProcess.start` (or the first fusion), and started
again if it dies; a fusion under way when it died is run once more by the new one. It exits
when its socket closes: on :meth:`FusionProcess.stop`, or when the server ends, however.
"""

from __future__ import annotations

import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

from tracklayer.service.child import reap, spawn
from tracklayer.service.fused_store import NationalReleases, fused_rows_at
from tracklayer.service.picture import FusedTracks, FusionSettings, TrackRows, fuse

__all__ = ["FusionProcess", "FusionUnavailable"]

#: Longest wait for the child to start (imports), s.
_START_TIMEOUT_S = 60.0


class FusionUnavailable(RuntimeError):
    """The fusion process could not be started, or died twice on the same fusion."""


class FusionProcess:
    """:func:`~tracklayer.service.picture.fuse` in a child process (thread-safe: one
    request at a time).

    Parameters
    ----------
    settings : FusionSettings, optional
        The fusion parameters of :meth:`fused_rows` (which needs them).
    """

    def __init__(self, settings: FusionSettings | None = None) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> int:
        """Start the child (if none runs), wait until it has imported the fusion, and
        return its process id."""
        with self._lock:
            return self._ensure()[1].pid

    def fuse(self, national: TrackRows, at_ns: int, settings: FusionSettings) -> FusedTracks:
        """System tracks at ``at_ns`` from ``national``, as
        :func:`~tracklayer.service.picture.fuse` gives them (its exceptions included)."""
        result: FusedTracks = self._call(("fuse", national, at_ns, settings))
        return result

    def fused_rows(
        self, inputs: Mapping[str, NationalReleases], at_ns: int
    ) -> list[tuple[Any, ...]]:
        """The ``fused_states`` rows of each partner's system tracks at ``at_ns``, fused in
        the child (:func:`~tracklayer.service.fused_store.fused_rows_at`)."""
        if self._settings is None:
            raise ValueError("recording needs the fusion settings")
        rows: list[tuple[Any, ...]] = self._call(("rows", dict(inputs), at_ns, self._settings))
        return rows

    def _call(self, message: tuple[Any, ...]) -> Any:
        """Send one request and return the child's answer (its exceptions raised here)."""
        request = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            for attempt in range(2):
                conn, _ = self._ensure()
                try:
                    conn.send_bytes(request)
                    ok, value = pickle.loads(conn.recv_bytes())
                except (EOFError, OSError) as exc:
                    self._drop()
                    if attempt == 1:
                        raise FusionUnavailable(f"fusion process ended: {exc}") from None
                    continue
                if not ok:
                    raise value
                return value
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """End the child."""
        with self._lock:
            self._drop()

    def _ensure(self) -> tuple[Connection, subprocess.Popen[bytes]]:
        if self._conn is not None and self._proc is not None:
            return self._conn, self._proc
        conn, proc = spawn("tracklayer.service.fusion_process")
        try:
            conn.send_bytes(pickle.dumps("start"))
            if not conn.poll(_START_TIMEOUT_S) or pickle.loads(conn.recv_bytes()) != "ready":
                raise FusionUnavailable("fusion process did not start in time")
        except (OSError, EOFError, FusionUnavailable) as exc:
            conn.close()
            proc.kill()
            proc.wait()
            raise FusionUnavailable(f"fusion process failed to start: {exc}") from None
        self._conn, self._proc = conn, proc
        return conn, proc

    def _drop(self) -> None:
        conn, proc = self._conn, self._proc
        self._conn = self._proc = None
        if conn is not None:
            conn.close()  # the child reads EOF and exits
        if proc is not None:
            reap(proc)


def _portable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _answer(message: tuple[Any, ...]) -> Any:
    """The child's answer to a ``fuse`` or ``rows`` request."""
    kind, *args = message
    if kind == "fuse":
        national, at_ns, settings = args
        return fuse(national, at_ns, settings)
    if kind == "rows":
        inputs, at_ns, settings = args
        return fused_rows_at(inputs, at_ns, settings)
    raise ValueError(f"unknown request {kind!r}")


def main(fd: int) -> None:
    """Answer what arrives on the socket ``fd`` until the server closes it."""
    # Ctrl-C reaches the whole process group: the server stops, then closes the socket.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(fd)
    try:
        conn.recv_bytes()
    except EOFError:  # the server ended before starting this child
        return
    conn.send_bytes(pickle.dumps("ready"))
    _serve(conn)


def _serve(conn: Connection) -> None:
    while True:
        try:
            message = pickle.loads(conn.recv_bytes())
        except EOFError:
            return
        reply: tuple[bool, Any]
        try:
            reply = (True, _answer(message))
        except Exception as exc:
            reply = (False, _portable(exc))
        try:
            conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        except (BrokenPipeError, ConnectionResetError):
            return  # the server is gone


if __name__ == "__main__":
    main(int(sys.argv[1]))
