"""Ingest: check a partner's message beyond its schema, and store it whole or not at all.

A message is one transaction: its header, its releases, every record and the audit row
commit together or not at all, so a crash never leaves part of a message behind. The
pair (sender, message id) is unique: a retry of a stored message is acknowledged again
without storing anything, and a different message reusing the id is refused (409).
"""

from __future__ import annotations

import hashlib
import json
import logging
import operator
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import numpy as np
import sqlalchemy as sa
from pydantic import TypeAdapter
from pydantic_core import to_json
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from tracklayer.constants import WGS84_A_M, WGS84_B_M
from tracklayer.fusion.releasability import Release
from tracklayer.service.audit import audit_row
from tracklayer.service.clock import PictureClock
from tracklayer.service.db import (
    audit_log,
    detections,
    message_releases,
    messages,
    track_releases,
    track_states,
    write_transaction,
)
from tracklayer.service.schemas import DetectionIn, DetectionMessage, TrackMessage, TrackStateIn

__all__ = [
    "TRACK_COLUMNS",
    "Committer",
    "IngestJob",
    "IngestRejected",
    "IngestResult",
    "MessageConflict",
    "commit_batch",
    "detection_job",
    "ingest_detections",
    "ingest_tracks",
    "ns_to_datetime",
    "ns_to_iso",
    "ns_to_iso_many",
    "to_ns",
    "track_job",
]

log = logging.getLogger("tracklayer.service.ingest")

_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
#: Deepest position accepted below the WGS84 ellipsoid, m (a track state or a sensor):
#: the deepest ocean trench (Challenger Deep, about 10.9 km) with a margin; anything
#: deeper is inside the Earth, where no sensor sits and no tracker estimates a threat.
MAX_DEPTH_M = 12_000.0
#: A covariance is accepted when symmetric to this relative tolerance...
_SYMMETRY_RTOL = 1e-9
#: ...and its smallest eigenvalue exceeds this fraction of its largest (condition < 1e14).
_MIN_EIG_RATIO = 1e-14


class IngestRejected(Exception):
    """A message fails a check; ``loc`` is the path of the offending field in the body."""

    def __init__(self, loc: tuple[str | int, ...], msg: str) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.loc, self.msg))


class MessageConflict(Exception):
    """The message id was used before by the same sender for different content."""


@dataclass(frozen=True)
class IngestResult:
    """What was stored: records accepted, and whether the message had been stored before."""

    message_id: str
    accepted: int
    duplicate: bool


def ns_to_iso(ns: int) -> str:
    """ISO 8601 UTC text (``...Z``, microseconds) of integer nanoseconds since the Unix epoch."""
    return (_UNIX + timedelta(microseconds=ns // 1000)).isoformat().replace("+00:00", "Z")


def ns_to_iso_many(ns: np.ndarray) -> list[str]:
    """:func:`ns_to_iso` of each of an int64 array of shape ``(n,)``, without a Python
    datetime per element (numpy formats; whole seconds drop their ``.000000`` as
    :meth:`datetime.isoformat` does)."""
    text = np.datetime_as_string((np.asarray(ns, dtype=np.int64) // 1000).astype("M8[us]"))
    return [t[:-7] + "Z" if t.endswith(".000000") else t + "Z" for t in text.tolist()]


def ns_to_datetime(ns: int) -> datetime:
    """Aware UTC datetime of integer nanoseconds since the Unix epoch (to the µs)."""
    return _UNIX + timedelta(microseconds=ns // 1000)


def to_ns(value: datetime) -> int:
    """Integer nanoseconds since the Unix epoch of an aware datetime (exact to the µs)."""
    delta = value - _UNIX
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def inside_earth(pos: np.ndarray) -> np.ndarray:
    """Whether ECEF points of shape ``(n, 3)`` (m) lie deeper than :data:`MAX_DEPTH_M`
    below the WGS84 ellipsoid, shape ``(n,)``.

    The test is against the ellipsoid with both semi-axes shortened by the depth, which
    differs from a true constant-depth surface by under 100 m at 12 km (the offset of an
    ellipsoid's parallel surface is of order e² times the offset).
    """
    a, b = WGS84_A_M - MAX_DEPTH_M, WGS84_B_M - MAX_DEPTH_M
    p2 = pos[:, 0] ** 2 + pos[:, 1] ** 2
    return np.asarray(p2 / (a * a) + pos[:, 2] ** 2 / (b * b) < 1.0)


def _check_above_ground(pos: np.ndarray, records: str, field: str) -> None:
    bad = np.flatnonzero(inside_earth(pos))
    if len(bad):
        raise IngestRejected(
            ("body", records, int(bad[0]), field),
            f"position is inside the Earth (more than {MAX_DEPTH_M / 1e3:.0f} km below "
            "the WGS84 ellipsoid; ECEF, m)",
        )


def _check_covariances(cov: np.ndarray) -> None:
    sym_err = np.max(np.abs(cov - np.swapaxes(cov, -1, -2)), axis=(-2, -1))
    scale = np.max(np.abs(cov), axis=(-2, -1))
    bad = np.flatnonzero(sym_err > _SYMMETRY_RTOL * scale)
    if len(bad):
        raise IngestRejected(("body", "tracks", int(bad[0]), "cov"), "must be symmetric")
    eig = np.linalg.eigvalsh(cov)
    bad = np.flatnonzero((eig[:, 0] <= _MIN_EIG_RATIO * eig[:, -1]) | (eig[:, -1] <= 0.0))
    if len(bad):
        raise IngestRejected(
            ("body", "tracks", int(bad[0]), "cov"),
            "must be positive definite (smallest eigenvalue > 1e-14 x largest)",
        )


def _check_tracks(message: TrackMessage, sender: str) -> np.ndarray:
    for i, t in enumerate(message.tracks):
        if t.tracker != sender:
            raise IngestRejected(
                ("body", "tracks", i, "tracker"), f"must be your partner code {sender}"
            )
    pos = np.array([(t.x, t.y, t.z) for t in message.tracks])
    _check_above_ground(pos, "tracks", "x")
    cov = np.array([t.cov for t in message.tracks], dtype=np.float64).reshape(-1, 6, 6)
    _check_covariances(cov)
    return cov


def _check_detections(message: DetectionMessage, sender: str) -> None:
    for i, d in enumerate(message.detections):
        if d.owner != sender:
            raise IngestRejected(
                ("body", "detections", i, "owner"), f"must be your partner code {sender}"
            )
    los = np.array([(d.los_x, d.los_y, d.los_z) for d in message.detections])
    norm = np.linalg.norm(los, axis=-1)
    bad = np.flatnonzero(np.abs(norm - 1.0) > 1e-6)
    if len(bad):
        raise IngestRejected(
            ("body", "detections", int(bad[0]), "los_x"),
            f"line of sight must be a unit vector, norm is {norm[bad[0]]:.9g}",
        )
    sensors = np.array([(d.sensor_x, d.sensor_y, d.sensor_z) for d in message.detections])
    _check_above_ground(sensors, "detections", "sensor_x")


def _check_not_ahead(times_ns: list[int], field: str, clock: PictureClock | None) -> None:
    """Refuse the first record timed more than the clock's skew after the server clock."""
    if clock is None or not times_ns:
        return
    latest = clock.latest_accepted_ns()
    ahead = np.flatnonzero(np.asarray(times_ns, dtype=np.int64) > latest)
    if len(ahead):
        i = int(ahead[0])
        seconds = (times_ns[i] - latest) * 1e-9 + clock.max_clock_skew_s
        raise IngestRejected(
            ("body", field, i, "time"),
            f"is {seconds:.3f} s ahead of the server clock; at most "
            f"{clock.max_clock_skew_s:g} s ahead is accepted",
        )


def _digest(message: TrackMessage | DetectionMessage, records_json: bytes) -> str:
    """SHA-256 of ``message.model_dump_json()``, assembled around ``records_json`` (its
    records, as the stream update already serialized them) instead of serializing every
    record a second time."""
    field = b"tracks" if isinstance(message, TrackMessage) else b"detections"
    text = b"".join(
        (
            b'{"message_id":',
            to_json(message.message_id),
            b',"releasable_to":',
            to_json(message.releasable_to),
            b',"',
            field,
            b'":',
            records_json,
            b"}",
        )
    )
    return hashlib.sha256(text).hexdigest()


@dataclass(eq=False)
class IngestJob:
    """A checked message ready to store, queued for the group commit.

    ``update`` is the stream event (JSON text), serialized once on the request thread and
    published after the commit to every subscriber the release lets see it.
    """

    sender: str
    message_id: str
    kind: str
    digest: str
    release: Release
    rows: list[tuple[Any, ...]] = field(repr=False)
    table: sa.Table = field(repr=False)
    columns: tuple[str, ...] = field(repr=False)
    audit_action: str
    update: str = field(repr=False)
    future: Future[IngestResult] = field(default_factory=Future, repr=False)


def _duplicate(found: tuple[str, int], digest: str, message_id: str) -> IngestResult:
    if found[0] != digest:
        raise MessageConflict(f"message_id {message_id!r} was already used for a different message")
    return IngestResult(message_id=message_id, accepted=found[1], duplicate=True)


def _existing(conn: Connection, jobs: list[IngestJob]) -> dict[tuple[str, str], tuple[str, int]]:
    """``(content_sha256, n_records)`` of each stored message among the jobs' keys.

    One statement for every sender (per chunk of :data:`_CHUNKS` keys in ``VALUES``): a
    join of the keys with ``messages`` on its unique ``(owner, message_id)`` index (SQLite
    scans the whole table for a row-value ``IN``).
    """
    keys = list(dict.fromkeys((job.sender, job.message_id) for job in jobs))
    found: dict[tuple[str, str], tuple[str, int]] = {}
    if _arrays(conn):
        result = conn.exec_driver_sql(
            _EXISTING_PG, ([k[0] for k in keys], [k[1] for k in keys])
        ).fetchall()
        found.update({(r[0], r[1]): (r[2], r[3]) for r in result})
        return found
    for start, size in _chunks(len(keys)):
        sql = _values_sql(conn, _EXISTING_HEAD, 2, size, _EXISTING_TAIL)
        params = tuple(v for key in keys[start : start + size] for v in key)
        found.update({(r[0], r[1]): (r[2], r[3]) for r in conn.exec_driver_sql(sql, params)})
    return found


Outcome = IngestResult | IngestRejected | MessageConflict
#: ``on_commit`` of :func:`commit_batch`: the stored jobs and their ``messages.pk``.
OnCommit = Callable[[list[tuple["IngestJob", int]]], None]

#: Rows per multi-row INSERT, largest first: a batch is split into at most one statement
#: of each size, so a few statement texts serve every batch size.
_CHUNKS = (256, 128, 64, 32, 16, 8, 4, 2, 1)

#: Driver SQL text by (dialect, statement, shape): built once, so a batch runs no
#: SQLAlchemy compilation (the drivers cache their own parse of a repeated text).
_SQL: dict[tuple[Any, ...], str] = {}

_EXISTING_HEAD = "SELECT m.owner, m.message_id, m.content_sha256, m.n_records FROM (VALUES"
_EXISTING_TAIL = ") AS k JOIN messages AS m ON m.owner = k.column1 AND m.message_id = k.column2"
_EXISTING_PG = (
    "SELECT m.owner, m.message_id, m.content_sha256, m.n_records"
    " FROM unnest(%b::text[], %b::text[]) AS k(owner, message_id)"
    " JOIN messages AS m ON m.owner = k.owner AND m.message_id = k.message_id"
)
_MESSAGE_COLUMNS = (
    "owner",
    "message_id",
    "kind",
    "release_all",
    "content_sha256",
    "n_records",
    "received_ns",
)
_AUDIT_COLUMNS = ("time_ns", "partner", "action", "target", "n_records", "status")
_audit_values = operator.itemgetter(*_AUDIT_COLUMNS)


def _arrays(conn: Connection) -> bool:
    """Whether to send columns as arrays: PostgreSQL through psycopg 3 (``%b`` binary
    parameters); other connections send multi-row ``VALUES``."""
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def _chunks(n: int) -> Iterator[tuple[int, int]]:
    """``(start, size)`` of the pieces of ``n`` rows, sizes from :data:`_CHUNKS`."""
    start = 0
    while start < n:
        size = next(c for c in _CHUNKS if c <= n - start)
        yield start, size
        start += size


def _values_sql(conn: Connection, head: str, width: int, size: int, tail: str = "") -> str:
    """``head`` + ``size`` tuples of ``width`` driver placeholders + ``tail`` (cached)."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    key = ("values", mark, head, width, size, tail)
    sql = _SQL.get(key)
    if sql is None:
        one = f"({', '.join([mark] * width)})"
        sql = _SQL[key] = f"{head} {', '.join([one] * size)}{tail}"
    return sql


def _unnest_sql(conn: Connection, table: sa.Table, names: tuple[str, ...], tail: str) -> str:
    """PostgreSQL ``INSERT ... SELECT FROM unnest(arrays)``: one array parameter per column.

    The text does not depend on the number of rows, and it has few parameters: psycopg
    caches its parse of a statement only below 50 parameters and 4 kB, so a multi-row
    ``VALUES`` of a batch would be parsed again (a regular expression over every
    placeholder) on each call. Strings travel as ``text[]``: an explicit cast to
    ``varchar(n)`` would truncate silently where the insert refuses a long value.
    ``ORDER BY ord`` assigns serial keys in row order, as a ``VALUES`` list does.
    """
    key = ("unnest", table.name, names, tail)
    sql = _SQL.get(key)
    if sql is None:
        types = [
            "text"
            if isinstance(table.c[n].type, sa.String)
            else table.c[n].type.compile(conn.dialect)
            for n in names
        ]
        cols = ", ".join(f"c{i}" for i in range(len(names)))
        arrays = ", ".join(f"%b::{t}[]" for t in types)
        sql = _SQL[key] = (
            f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {cols}"
            f" FROM unnest({arrays}) WITH ORDINALITY AS u({cols}, ord) ORDER BY ord{tail}"
        )
    return sql


def _array_columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]] | None:
    """The columns of ``rows`` as lists, or None when psycopg could not send one as an
    array: rows of another width, or values of two Python types in a column (an int among
    floats), which a ``VALUES`` list accepts and a typed array refuses."""
    if any(len(row) != width for row in rows):
        return None
    columns = [list(c) for c in zip(*rows, strict=True)]
    for column in columns:
        kinds = set(map(type, column))
        kinds.discard(type(None))
        if len(kinds) > 1:
            return None
    return columns


def _insert(
    conn: Connection,
    table: sa.Table,
    names: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    returning: str = "",
    conflict: str = "",
) -> list[Any]:
    """Insert tuples of ``names`` values in few statements of driver SQL; the rows
    ``RETURNING`` gives (in no particular order), when ``returning`` names columns.
    ``conflict`` is an ``ON CONFLICT`` clause (rows sorted by the caller, so that two
    writers of PostgreSQL never take the same keys' locks in opposite orders).

    Plain tuples skip SQLAlchemy's per-row parameter processing, the largest cost of a
    bulk insert of a few thousand rows. Several rows per statement run in one call into
    the database, which releases the interpreter lock once for all of them: a driver's
    ``executemany`` releases and re-acquires it for every row, and under load each
    re-acquisition can wait a whole thread switch interval (5 ms).
    """
    tail = conflict + (f" RETURNING {returning}" if returning else "")
    out: list[Any] = []
    if _arrays(conn):
        columns = _array_columns(rows, len(names))
        if columns is not None:
            result = conn.exec_driver_sql(_unnest_sql(conn, table, names, tail), tuple(columns))
            return list(result.fetchall()) if returning else out
    head = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES"
    for start, size in _chunks(len(rows)):
        sql = _values_sql(conn, head, len(names), size, tail)
        params = tuple(v for row in rows[start : start + size] for v in row)
        result = conn.exec_driver_sql(sql, params)
        if returning:
            out.extend(result.fetchall())
    return out


def _insert_many(
    conn: Connection, table: sa.Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Insert ``(message_pk, *columns)`` tuples (see :func:`_insert`)."""
    _insert(conn, table, ("message_pk", *columns), rows)


_GRANT_COLUMNS = ("tracker", "track_id", "partner")
_GRANT_CONFLICT = " ON CONFLICT (tracker, track_id, partner) DO NOTHING"


def _track_grants(jobs: list[IngestJob]) -> list[tuple[str, str, str]]:
    """``track_releases`` rows of stored track jobs: each track with each partner it is
    released to (``*``: everyone); the owner needs none (it is the tracker)."""
    grants: set[tuple[str, str, str]] = set()
    for job in jobs:
        if job.kind != "tracks" or not (job.release.everyone or job.release.to):
            continue
        audience = ("*",) if job.release.everyone else tuple(job.release.to)
        tracks = {(row[2], row[1]) for row in job.rows}
        grants.update((tracker, tid, p) for tracker, tid in tracks for p in audience)
    return sorted(grants)


def _apply(
    conn: Connection, jobs: list[IngestJob]
) -> tuple[dict[IngestJob, Outcome], list[IngestJob], list[int], list[IngestJob]]:
    """Stage a batch in ``conn``: (outcome per job, jobs stored, their pks, jobs deferred)."""
    found = _existing(conn, jobs)
    outcomes: dict[IngestJob, Outcome] = {}
    new: list[IngestJob] = []
    deferred: list[IngestJob] = []
    seen: set[tuple[str, str]] = set()
    pks: list[int] = []
    audits: list[tuple[Any, ...]] = []
    for job in jobs:
        key = (job.sender, job.message_id)
        if key in seen:
            # The same id twice in one batch: settle it once the first one is committed.
            deferred.append(job)
            continue
        seen.add(key)
        if key in found:
            try:
                outcomes[job] = _duplicate(found[key], job.digest, job.message_id)
            except MessageConflict as exc:
                outcomes[job] = exc
                continue
            audits.append(
                _audit_values(audit_row(job.sender, job.audit_action, job.message_id, 0, 200))
            )
            continue
        new.append(job)
    if new:
        now = time.time_ns()
        returned = _insert(
            conn,
            messages,
            _MESSAGE_COLUMNS,
            [
                (
                    job.sender,
                    job.message_id,
                    job.kind,
                    job.release.everyone,
                    job.digest,
                    len(job.rows),
                    now,
                )
                for job in new
            ],
            returning="owner, message_id, pk",
        )
        # RETURNING order is unspecified for a multi-row insert: match on the unique key.
        pk_of = {(r[0], r[1]): r[2] for r in returned}
        pks = [pk_of[(job.sender, job.message_id)] for job in new]
        releases = [
            (pk, p) for job, pk in zip(new, pks, strict=True) for p in sorted(job.release.to)
        ]
        if releases:
            _insert_many(conn, message_releases, ("partner",), releases)
        by_table: dict[tuple[str, tuple[str, ...]], list[tuple[Any, ...]]] = {}
        tables: dict[str, sa.Table] = {}
        for job, pk in zip(new, pks, strict=True):
            tables[job.table.name] = job.table
            by_table.setdefault((job.table.name, job.columns), []).extend(
                (pk, *row) for row in job.rows
            )
            audits.append(
                _audit_values(
                    audit_row(job.sender, job.audit_action, job.message_id, len(job.rows), 201)
                )
            )
            outcomes[job] = IngestResult(
                message_id=job.message_id, accepted=len(job.rows), duplicate=False
            )
        for (name, columns), rows in by_table.items():
            _insert_many(conn, tables[name], columns, rows)
        grants = _track_grants(new)
        if grants:
            _insert(conn, track_releases, _GRANT_COLUMNS, grants, conflict=_GRANT_CONFLICT)
    if audits:
        _insert(conn, audit_log, _AUDIT_COLUMNS, audits)
    return outcomes, new, pks, deferred


def commit_batch(
    engine: Engine,
    jobs: list[IngestJob],
    publish: Callable[[list[tuple[Release, str]]], None] | None = None,
    on_commit: OnCommit | None = None,
) -> None:
    """Store a batch of jobs in one durable transaction, then resolve each job's future.

    Each job's outcome is what committing it alone would give: stored (201), a retry of a
    stored message (200), :class:`MessageConflict` or :class:`IngestRejected`. Futures are
    resolved only after the commit; ``publish`` then gets the stored jobs' updates, in
    commit order. If the batch fails as a whole (a concurrent writer stored one of its
    ids, or a database error), each job is retried in a transaction of its own.

    ``on_commit``, just before ``publish``, gets ``(job, messages.pk)`` of each job stored
    by that commit, in commit order (the live picture's feed). It runs on the writer
    thread, so it must be quick; an exception it raises is logged, not propagated: the
    messages are durable and their futures are resolved as committed.
    """
    try:
        with write_transaction(engine) as conn:
            outcomes, new, pks, deferred = _apply(conn, jobs)
    except IntegrityError:
        if len(jobs) > 1:
            _commit_each(engine, jobs, publish, on_commit)
            return
        # Another process stored the same (sender, message id) between our check and insert.
        job = jobs[0]
        with engine.connect() as conn:
            found = _existing(conn, jobs).get((job.sender, job.message_id))
        if found is None:
            raise
        try:
            job.future.set_result(_duplicate(found, job.digest, job.message_id))
        except MessageConflict as exc:
            job.future.set_exception(exc)
        return
    except Exception:
        if len(jobs) == 1:
            raise
        _commit_each(engine, jobs, publish, on_commit)
        return
    if on_commit is not None and new:
        try:
            on_commit(list(zip(new, pks, strict=True)))
        except Exception:
            log.exception("on_commit callback failed")
    if publish is not None and new:
        publish([(job.release, job.update) for job in new])
    for job, outcome in outcomes.items():
        if isinstance(outcome, IngestResult):
            job.future.set_result(outcome)
        else:
            job.future.set_exception(outcome)
    if deferred:
        commit_batch(engine, deferred, publish, on_commit)


def _commit_each(
    engine: Engine,
    jobs: list[IngestJob],
    publish: Callable[[list[tuple[Release, str]]], None] | None,
    on_commit: OnCommit | None = None,
) -> None:
    # A failed batch: each job alone, so one message's failure is not its neighbours'.
    for job in jobs:
        try:
            commit_batch(engine, [job], publish, on_commit)
        except Exception as exc:
            if not job.future.done():
                job.future.set_exception(exc)


class Committer(Protocol):
    """Stores queued jobs in batches: a :class:`GroupCommitter` or a writer process."""

    def submit(self, job: IngestJob) -> Future[Any]:
        """Queue ``job``; its future resolves once its message is durable."""
        ...


def _store(engine: Engine, job: IngestJob, committer: Committer | None) -> IngestResult:
    if committer is None:
        commit_batch(engine, [job])
        return job.future.result()
    return committer.submit(job).result()


_TRACKS_JSON: TypeAdapter[list[TrackStateIn]] = TypeAdapter(list[TrackStateIn])
_DETECTIONS_JSON: TypeAdapter[list[DetectionIn]] = TypeAdapter(list[DetectionIn])
#: The ``track_states`` columns of a track row as ingest prepares it (before its
#: ``message_pk``): the row layout of :data:`~tracklayer.service.live_picture.StoredTracks`.
TRACK_COLUMNS = (
    "owner",
    "track_id",
    "tracker",
    "time_ns",
    *("x", "y", "z", "vx", "vy", "vz"),
    "cov",
    "status",
)
_DETECTION_COLUMNS = (
    "owner",
    "det_id",
    "sensor_id",
    "sensor_kind",
    "time_ns",
    *("los_x", "los_y", "los_z", "sensor_x", "sensor_y", "sensor_z", "sigma_rad"),
    *("snr", "range_m", "sigma_range_m"),
)


def _update_text(kind: str, sender: str, message_id: str, records_json: bytes) -> str:
    # The records are serialized by pydantic (in Rust), once; times as ISO 8601 UTC "Z".
    head = json.dumps({"type": kind, "owner": sender, "message_id": message_id})
    return f'{head[:-1]}, "{kind}": {records_json.decode()}}}'


def track_job(sender: str, message: TrackMessage, clock: PictureClock | None = None) -> IngestJob:
    """Check a track message from ``sender`` and prepare it for storing (nothing stored).

    ``clock``, when given, refuses states timed more than its skew after the server clock.

    Raises
    ------
    IngestRejected
        A record fails a check: its tracker is not the sender, its position is inside
        the Earth, its covariance is not symmetric positive definite, or its time is too
        far ahead of the server clock.
    """
    cov = _check_tracks(message, sender)
    cov_bytes = cov.astype("<f8").tobytes()
    times = [to_ns(t.time) for t in message.tracks]
    _check_not_ahead(times, "tracks", clock)
    records_json = _TRACKS_JSON.dump_json(message.tracks)
    rows = [
        (
            sender,
            t.track_id,
            t.tracker,
            times[i],
            t.x,
            t.y,
            t.z,
            t.vx,
            t.vy,
            t.vz,
            cov_bytes[i * 288 : (i + 1) * 288],
            t.status,
        )
        for i, t in enumerate(message.tracks)
    ]
    return IngestJob(
        sender=sender,
        message_id=message.message_id,
        kind="tracks",
        digest=_digest(message, records_json),
        release=Release.of(sender, message.releasable_to),
        rows=rows,
        table=track_states,
        columns=TRACK_COLUMNS,
        audit_action="ingest_tracks",
        update=_update_text("tracks", sender, message.message_id, records_json),
    )


def ingest_tracks(
    engine: Engine,
    sender: str,
    message: TrackMessage,
    committer: Committer | None = None,
    clock: PictureClock | None = None,
) -> IngestResult:
    """Check and store a track message from ``sender``; return once it is durable.

    With a ``committer``, the message is stored by its writer together with the
    other queued messages (and published to the stream after the commit); without one,
    in a transaction of its own.

    Raises
    ------
    IngestRejected
        A record fails a check (its tracker is not the sender, its position is inside
        the Earth, or its covariance is not symmetric positive definite). Nothing is
        stored. A release naming a code that is no partner is stored as named (a refusal
        would tell the sender which codes are partners).
    MessageConflict
        The message id was used before by ``sender`` for other content.
    """
    return _store(engine, track_job(sender, message, clock), committer)


def detection_job(
    sender: str,
    message: DetectionMessage,
    audit_action: str = "ingest_detections",
    clock: PictureClock | None = None,
) -> IngestJob:
    """Check a detection message from ``sender`` and prepare it for storing (see
    :func:`track_job`); ``IngestRejected`` names a record whose owner is not the sender,
    whose line of sight is not a unit vector, or whose time is too far ahead of ``clock``."""
    _check_detections(message, sender)
    times = [to_ns(d.time) for d in message.detections]
    _check_not_ahead(times, "detections", clock)
    rows = [
        (
            sender,
            d.det_id,
            d.sensor_id,
            d.sensor_kind,
            times[i],
            d.los_x,
            d.los_y,
            d.los_z,
            d.sensor_x,
            d.sensor_y,
            d.sensor_z,
            d.sigma_rad,
            d.snr,
            d.range_m,
            d.sigma_range_m,
        )
        for i, d in enumerate(message.detections)
    ]
    records_json = _DETECTIONS_JSON.dump_json(message.detections)
    return IngestJob(
        sender=sender,
        message_id=message.message_id,
        kind="detections",
        digest=_digest(message, records_json),
        release=Release.of(sender, message.releasable_to),
        rows=rows,
        table=detections,
        columns=_DETECTION_COLUMNS,
        audit_action=audit_action,
        update=_update_text("detections", sender, message.message_id, records_json),
    )


def ingest_detections(
    engine: Engine,
    sender: str,
    message: DetectionMessage,
    committer: Committer | None = None,
    audit_action: str = "ingest_detections",
    clock: PictureClock | None = None,
) -> IngestResult:
    """Check and store a detection message from ``sender`` (see :func:`ingest_tracks`)."""
    return _store(engine, detection_job(sender, message, audit_action, clock), committer)
