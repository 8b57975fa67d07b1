"""Group commit in a process of its own: the writer that stores every ingest message.

:class:`WriterProcess` has the interface of :class:`~tracklayer.service.groupcommit.GroupCommitter`
(``submit(job)`` returns a future resolved once the job's message is durable), but the
transactions run in a child process (``python -m tracklayer.service.writer``) fed through a
Unix socket pair. The database work of a commit (SQLite's inserts, index updates and
fsync, or psycopg's) then never competes with the event loop for the server's interpreter
lock: on a busy server a writer thread re-acquiring the lock after each statement waits up
to a whole switch interval (5 ms) every time, and the loop waits on it in turn.

The child takes every job queued in the socket (waiting up to ``linger_s`` for more, at most
``max_batch``), applies them with :func:`~tracklayer.service.ingest.commit_batch`, and
answers with each job's outcome and the ``messages.pk`` of each job stored, in commit order.
The server reads the answers (on its event loop, or in a thread of their own), runs
``on_commit`` and ``publish`` with the stored jobs (as the writer thread of a
``GroupCommitter`` does) and resolves the futures: a message is acknowledged exactly when
its transaction is durable.

It also inserts the stored system tracks (:meth:`WriterProcess.insert_fused`, rows fused
by the fusion child each recording interval), between two group commits: on SQLite the
ingest transactions and that insert then never contend for the single write lock from two
processes (a waiting connection sleeps in the busy handler's steps of up to 100 ms, far
longer than the insert takes), and on PostgreSQL it costs one more transaction.

The child exits when its socket closes: after :meth:`WriterProcess.stop` (every queued job
committed and answered first), or when the server dies, however hard (a transaction under
way then commits or not, whole, and its messages were not acknowledged). If the child dies,
the jobs waiting on it fail (the server answers them 503: retried with the same message id,
they are stored once), and the next job starts a new one in a thread, without holding up
the event loop; jobs submitted while it starts are sent to it once it is ready.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from tracklayer.fusion.releasability import Release
from tracklayer.service.child import reap, spawn
from tracklayer.service.ingest import (
    IngestJob,
    IngestRejected,
    IngestResult,
    MessageConflict,
    OnCommit,
    commit_batch,
)

__all__ = ["FusedRows", "WriterProcess", "WriterUnavailable"]

log = logging.getLogger("tracklayer.service.writer")

#: Socket buffer asked for each direction, bytes (the kernel caps it at ``wmem_max``): a
#: few hundred queued messages fit before ``submit`` would block.
_SOCKET_BUFFER_BYTES = 8 * 1024 * 1024
#: Longest wait for the child to start (import, connect, ready), s.
_START_TIMEOUT_S = 60.0

#: What travels for one job: (sequence number, sender, message id, kind, digest, release,
#: named partners, rows, table name, columns, audit action). The stream update and the
#: future stay in the server.
JobPayload = tuple[int, str, str, str, str, Release, list[Any], str, tuple[str, ...], str]
#: The child's answer to a batch: ``(seq, messages.pk)`` of each job stored, in commit
#: order, and ``(seq, outcome)`` of every job (of an insert of system tracks: the rows
#: stored).
Reply = tuple[list[tuple[int, int]], list[tuple[int, IngestResult | int | BaseException]]]


class WriterUnavailable(RuntimeError):
    """The writer process ended before answering (the message may or may not be stored)."""


@dataclass(frozen=True)
class FusedRows:
    """What travels for one insert of stored system tracks: its sequence number and the
    ``fused_states`` rows (:func:`~tracklayer.service.fused_store.fused_rows`)."""

    seq: int
    rows: list[tuple[Any, ...]]


@dataclass(eq=False)
class _FusedInsert:
    """An insert of system tracks waiting for the child: its future gets the rows stored."""

    future: Future[Any]


#: What waits for the child's answer, by sequence number.
_Waiting = IngestJob | _FusedInsert


def _payload(seq: int, job: IngestJob) -> JobPayload:
    return (
        seq,
        job.sender,
        job.message_id,
        job.kind,
        job.digest,
        job.release,
        job.rows,
        job.table.name,
        job.columns,
        job.audit_action,
    )


def _half_close(conn: Connection) -> None:
    """No more writes from this end; the other end reads what was sent, then EOF."""
    sock = socket.socket(fileno=os.dup(conn.fileno()))
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        sock.close()


class WriterProcess:
    """Group commit of ingest jobs in a child process (see the module docstring).

    Parameters
    ----------
    db_url : str
        The database the child writes to (the server's; see
        :func:`~tracklayer.service.db.make_engine`).
    publish : callable, optional
        ``publish(updates)`` with ``(release, update text)`` of the jobs each commit stored,
        in commit order (the live stream).
    on_commit : callable, optional
        ``on_commit([(job, messages.pk), ...])`` of each commit's stored jobs, just before
        ``publish`` (the live picture's feed); an exception it raises is logged.
    max_batch : int
        Most jobs in one transaction.
    linger_s : float
        Longest wait for more jobs once one is queued, s.
    """

    def __init__(
        self,
        db_url: str,
        publish: Callable[[list[tuple[Release, str]]], None] | None = None,
        on_commit: OnCommit | None = None,
        max_batch: int = 256,
        linger_s: float = 0.002,
    ) -> None:
        self._db_url = db_url
        self._publish = publish
        self._on_commit = on_commit
        self._max_batch = max_batch
        self._linger_s = linger_s
        self._lock = threading.Lock()
        self._pending: dict[int, _Waiting] = {}
        self._seq = 0
        self._conn: Connection | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ended = threading.Event()
        self._starting = False
        self._stopped = False
        self._backlog: list[tuple[int, bytes]] = []

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Start the child and wait until it is connected to the database.

        With ``loop``, the child's answers are read by that event loop (its futures, the
        publishing and ``on_commit`` then run there, with no thread waiting for the
        interpreter lock in between); otherwise by a thread of their own.
        """
        with self._lock:
            self._loop = loop
            self._stopped = False
        conn, proc = self._spawn()
        with self._lock:
            self._attach(conn, proc)

    def submit(self, job: IngestJob) -> Future[IngestResult]:
        """Queue ``job`` for the child; its future resolves after its commit. Thread-safe,
        and never waits for a child to start: when none runs (it died), one is started in
        a thread and the jobs queued meanwhile are sent to it once it is ready."""
        self._send(job, lambda seq: _payload(seq, job))
        return job.future

    def insert_fused(self, rows: list[tuple[Any, ...]], timeout_s: float = 60.0) -> int:
        """Insert stored system tracks (``fused_states`` rows, in the column order of
        :func:`~tracklayer.service.fused_store.insert_fused`) in the child, after the
        commit under way; the rows stored. Blocks (not on the event loop); raises the
        child's error, or :class:`WriterUnavailable`."""
        if not rows:
            return 0
        waiting = _FusedInsert(Future())
        self._send(waiting, lambda seq: FusedRows(seq, rows))
        stored: int = waiting.future.result(timeout_s)
        return stored

    def _send(self, waiting: _Waiting, payload_of: Callable[[int], Any]) -> None:
        """Number ``waiting``'s payload and send it to the child (or queue it while one
        starts); a failure is set on its future."""
        with self._lock:
            if self._stopped:
                waiting.future.set_exception(WriterUnavailable("writer process stopped"))
                return
            self._seq += 1
            self._pending[self._seq] = waiting
            data = pickle.dumps(payload_of(self._seq), protocol=pickle.HIGHEST_PROTOCOL)
            if self._conn is None:
                self._backlog.append((self._seq, data))
                if not self._starting:
                    self._starting = True
                    threading.Thread(
                        target=self._restart, name="tracklayer-writer-start", daemon=True
                    ).start()
                return
            try:
                self._conn.send_bytes(data)
            except OSError as exc:
                del self._pending[self._seq]
                waiting.future.set_exception(
                    WriterUnavailable(f"writer process unreachable: {exc}")
                )

    def stop(self) -> None:
        """Commit and answer every queued job, then end the child (not on the event loop
        that reads its answers)."""
        with self._lock:
            self._stopped = True
            conn, proc, ended = self._conn, self._proc, self._ended
            self._conn = self._proc = None
        if conn is None or proc is None:
            return
        _half_close(conn)
        ended.wait()
        conn.close()
        reap(proc)

    @property
    def pid(self) -> int | None:
        """The child's process id (None when none runs)."""
        proc = self._proc
        return None if proc is None else proc.pid

    def _spawn(self) -> tuple[Connection, subprocess.Popen[bytes]]:
        """A new child, connected to the database (raises WriterUnavailable)."""
        conn, proc = spawn("tracklayer.service.writer", _SOCKET_BUFFER_BYTES)
        try:
            conn.send_bytes(
                pickle.dumps(
                    {
                        "db_url": self._db_url,
                        "max_batch": self._max_batch,
                        "linger_s": self._linger_s,
                        "log_level": logging.getLogger("tracklayer").getEffectiveLevel(),
                    }
                )
            )
            if not conn.poll(_START_TIMEOUT_S):
                raise WriterUnavailable("writer process did not start in time")
            ready = pickle.loads(conn.recv_bytes())
        except (OSError, EOFError, WriterUnavailable) as exc:
            conn.close()
            proc.kill()
            proc.wait()
            raise WriterUnavailable(f"writer process failed to start: {exc}") from None
        if ready != "ready":
            conn.close()
            proc.wait()
            raise WriterUnavailable(f"writer process failed to start: {ready}")
        return conn, proc

    def _attach(self, conn: Connection, proc: subprocess.Popen[bytes]) -> None:
        """Make ``conn`` the current child's and start reading its answers (lock held)."""
        self._conn, self._proc = conn, proc
        self._ended = ended = threading.Event()
        if self._loop is not None:
            self._loop.call_soon_threadsafe(
                self._loop.add_reader, conn.fileno(), self._on_readable, conn, ended
            )
        else:
            threading.Thread(
                target=self._read, args=(conn, ended), name="tracklayer-writer", daemon=True
            ).start()

    def _restart(self) -> None:
        """Start a child in place of one that died, then send it the jobs queued meanwhile."""
        try:
            conn, proc = self._spawn()
        except WriterUnavailable as exc:
            with self._lock:
                self._starting = False
                failed = [self._pending.pop(seq) for seq, _ in self._backlog]
                self._backlog.clear()
            for job in failed:
                job.future.set_exception(exc)
            return
        with self._lock:
            self._starting = False
            if self._stopped:  # stopped while this one started: nothing to send it
                failed = [self._pending.pop(seq) for seq, _ in self._backlog]
                self._backlog.clear()
                conn.close()
                reap(proc)
                for job in failed:
                    job.future.set_exception(WriterUnavailable("writer process stopped"))
                return
            log.warning("writer process restarted", extra={"pid": proc.pid})
            self._attach(conn, proc)
            backlog, self._backlog = self._backlog, []
            for seq, data in backlog:
                try:
                    conn.send_bytes(data)
                except OSError as exc:
                    job = self._pending.pop(seq)
                    job.future.set_exception(WriterUnavailable(f"writer unreachable: {exc}"))

    def _on_readable(self, conn: Connection, ended: threading.Event) -> None:
        try:
            while True:
                self._settle(pickle.loads(conn.recv_bytes()))
                if not conn.poll(0):
                    return
        except (EOFError, OSError):
            assert self._loop is not None
            self._loop.remove_reader(conn.fileno())
            self._end(conn, ended)

    def _read(self, conn: Connection, ended: threading.Event) -> None:
        while True:
            try:
                reply: Reply = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError):
                break
            self._settle(reply)
        self._end(conn, ended)

    def _end(self, conn: Connection, ended: threading.Event) -> None:
        """The child has closed its end: fail what it left unanswered."""
        with self._lock:
            lost, self._pending = self._pending, {}
            proc = self._proc if self._conn is conn else None
            if proc is not None:  # died on its own: the next submit starts another
                self._conn = self._proc = None
        if proc is not None:
            log.error("writer process ended unexpectedly", extra={"jobs_lost": len(lost)})
            conn.close()
            reap(proc)
        ended.set()
        for job in lost.values():
            if not job.future.done():
                job.future.set_exception(WriterUnavailable("writer process ended"))

    def _settle(self, reply: Reply) -> None:
        stored_seqs, outcomes = reply
        with self._lock:
            jobs = {seq: self._pending.pop(seq) for seq, _ in outcomes if seq in self._pending}
        stored = [
            (job, pk) for seq, pk in stored_seqs if isinstance(job := jobs.get(seq), IngestJob)
        ]
        if stored and self._on_commit is not None:
            try:
                self._on_commit(stored)
            except Exception:
                log.exception("on_commit callback failed")
        if stored and self._publish is not None:
            self._publish([(job.release, job.update) for job, _ in stored])
        for seq, outcome in outcomes:
            job = jobs.get(seq)
            if job is None or job.future.done():
                continue
            if isinstance(outcome, BaseException):
                job.future.set_exception(outcome)
            else:  # an IngestResult for a job, the rows stored for an insert
                future: Future[Any] = job.future
                future.set_result(outcome)


# --- the child ------------------------------------------------------------------------


def _job(payload: JobPayload, tables: dict[str, Any]) -> IngestJob:
    _, sender, message_id, kind, digest, release, rows, table, columns, action = payload
    return IngestJob(
        sender=sender,
        message_id=message_id,
        kind=kind,
        digest=digest,
        release=release,
        rows=rows,
        table=tables[table],
        columns=columns,
        audit_action=action,
        update="",
    )


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if the server can rebuild it from a pickle, else a RuntimeError naming it."""
    if isinstance(exc, IngestRejected | MessageConflict):
        return exc
    return RuntimeError(f"{type(exc).__name__}: {exc}")


def _commit_jobs(engine: Any, payloads: list[JobPayload], tables: dict[str, Any]) -> Reply:
    jobs = [_job(p, tables) for p in payloads]
    seq_of = {id(job): p[0] for job, p in zip(jobs, payloads, strict=True)}
    stored: list[tuple[IngestJob, int]] = []
    try:
        commit_batch(engine, jobs, None, stored.extend)
    except Exception as exc:  # a lone job's failure: it is its outcome
        log.exception("commit failed")
        for job in jobs:
            if not job.future.done():
                job.future.set_exception(exc)
    outcomes: list[tuple[int, IngestResult | int | BaseException]] = []
    for job in jobs:
        if not job.future.done():
            job.future.set_exception(RuntimeError("write was not committed"))
        error = job.future.exception()
        outcome = job.future.result() if error is None else _portable(error)
        outcomes.append((seq_of[id(job)], outcome))
    return [(seq_of[id(job)], pk) for job, pk in stored], outcomes


def _insert_fused(
    engine: Any, inserts: list[FusedRows]
) -> list[tuple[int, IngestResult | int | BaseException]]:
    """Each insert of system tracks in a transaction of its own: ``(seq, rows stored or
    the error)``."""
    from tracklayer.service.fused_store import insert_fused

    outcomes: list[tuple[int, IngestResult | int | BaseException]] = []
    for insert in inserts:
        try:
            outcomes.append((insert.seq, insert_fused(engine, insert.rows)))
        except Exception as exc:
            log.exception("storing the system tracks failed")
            outcomes.append((insert.seq, _portable(exc)))
    return outcomes


def _replies(
    engine: Any, batch: list[JobPayload | FusedRows], tables: dict[str, Any]
) -> Iterator[Reply]:
    """The answers to a batch, each as soon as it is durable: first its ingest jobs' (one
    group commit), then its inserts of system tracks' (so that no acknowledgement waits
    for those)."""
    payloads = [p for p in batch if not isinstance(p, FusedRows)]
    if payloads:
        yield _commit_jobs(engine, payloads, tables)
    inserts = [p for p in batch if isinstance(p, FusedRows)]
    if inserts:
        yield [], _insert_fused(engine, inserts)


def _gather(
    conn: Connection, max_batch: int, linger_s: float
) -> list[JobPayload | FusedRows] | None:
    """The jobs of the next batch (None once the server has closed the socket)."""
    try:
        first = conn.recv_bytes()
    except EOFError:
        return None
    batch: list[JobPayload | FusedRows] = [pickle.loads(first)]
    deadline = time.monotonic() + linger_s
    while len(batch) < max_batch:
        if not conn.poll(max(0.0, deadline - time.monotonic())):
            break
        try:
            batch.append(pickle.loads(conn.recv_bytes()))
        except EOFError:
            break
    return batch


def main(fd: int) -> None:
    """Serve commits on the socket ``fd`` until the server closes it."""
    # Ctrl-C reaches the whole process group: the server stops, then closes the socket.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(fd)
    try:
        config = pickle.loads(conn.recv_bytes())
    except EOFError:  # the server ended before configuring this child
        return
    from tracklayer.service.logs import configure_logging

    configure_logging(logging.getLevelName(config["log_level"]).lower())
    try:
        from tracklayer.service.db import detections, make_engine, track_states

        engine = make_engine(config["db_url"], background_checkpoints=True)
        with engine.connect():
            pass
    except Exception as exc:
        conn.send_bytes(pickle.dumps(f"{type(exc).__name__}: {exc}"))
        return
    tables = {t.name: t for t in (track_states, detections)}
    # As in the server: what start-up allocated stays out of the collector's scans.
    gc.collect()
    gc.freeze()
    conn.send_bytes(pickle.dumps("ready"))
    try:
        while (batch := _gather(conn, config["max_batch"], config["linger_s"])) is not None:
            for reply in _replies(engine, batch, tables):
                conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server is gone
    finally:
        engine.dispose()


if __name__ == "__main__":
    # The importable module's main, not this __main__ copy's: the FusedRows the server
    # pickles must unpickle to the class that main's isinstance checks name.
    from tracklayer.service.writer import main as module_main

    module_main(int(sys.argv[1]))
