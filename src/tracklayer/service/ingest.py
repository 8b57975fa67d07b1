"""Ingest: check a partner's message beyond its schema, and store it whole or not at all.

A message is one transaction: its header, its releases, every record and the audit row
commit together or not at all, so a crash never leaves part of a message behind. The
pair (sender, message id) is unique: a retry of a stored message is acknowledged again
without storing anything, and a different message reusing the id is refused (409).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from tracklayer.fusion.releasability import ALL, Release
from tracklayer.service.audit import record_in
from tracklayer.service.db import (
    detections,
    message_releases,
    messages,
    partners,
    track_states,
    write_transaction,
)
from tracklayer.service.schemas import DetectionMessage, TrackMessage

__all__ = [
    "IngestRejected",
    "IngestResult",
    "MessageConflict",
    "ingest_detections",
    "ingest_tracks",
    "ns_to_datetime",
    "ns_to_iso",
    "to_ns",
]

_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
#: Smallest and largest position norm of a track state, m: below the WGS84 polar radius
#: by 350 km (no tracker estimates inside the Earth) up to the schema's bound.
_MIN_RADIUS_M = 6.0e6
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


class MessageConflict(Exception):
    """The message id was used before by the same sender for different content."""


@dataclass(frozen=True)
class IngestResult:
    """What was stored; ``event`` is the stream event of a newly stored message."""

    message_id: str
    accepted: int
    duplicate: bool
    event: dict[str, Any] | None = field(default=None, repr=False)


def ns_to_iso(ns: int) -> str:
    """ISO 8601 UTC text (``...Z``, microseconds) of integer nanoseconds since the Unix epoch."""
    return (_UNIX + timedelta(microseconds=ns // 1000)).isoformat().replace("+00:00", "Z")


def ns_to_datetime(ns: int) -> datetime:
    """Aware UTC datetime of integer nanoseconds since the Unix epoch (to the µs)."""
    return _UNIX + timedelta(microseconds=ns // 1000)


def to_ns(value: datetime) -> int:
    """Integer nanoseconds since the Unix epoch of an aware datetime (exact to the µs)."""
    delta = value - _UNIX
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


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
    radius = np.linalg.norm(pos, axis=-1)
    bad = np.flatnonzero(radius < _MIN_RADIUS_M)
    if len(bad):
        raise IngestRejected(
            ("body", "tracks", int(bad[0]), "x"),
            f"position norm must be at least {_MIN_RADIUS_M:.0f} m (ECEF, from the geocentre)",
        )
    cov = np.array([t.cov for t in message.tracks], dtype=np.float64).reshape(-1, 6, 6)
    _check_covariances(cov)
    return cov


def _check_detections(message: DetectionMessage, sender: str) -> None:
    for i, d in enumerate(message.detections):
        if d.owner != sender:
            raise IngestRejected(
                ("body", "detections", i, "owner"), f"must be your partner code {sender}"
            )
        norm = float(np.sqrt(d.los_x**2 + d.los_y**2 + d.los_z**2))
        if abs(norm - 1.0) > 1e-6:
            raise IngestRejected(
                ("body", "detections", i, "los_x"),
                f"line of sight must be a unit vector, norm is {norm:.9g}",
            )


def _check_release(conn: Connection, message: TrackMessage | DetectionMessage) -> None:
    if message.releasable_to == ALL:
        return
    known = set(conn.execute(sa.select(partners.c.code)).scalars())
    for i, code in enumerate(message.releasable_to):
        if code not in known:
            raise IngestRejected(("body", "releasable_to", i), f"unknown partner {code}")


def _digest(message: TrackMessage | DetectionMessage) -> str:
    return hashlib.sha256(message.model_dump_json().encode()).hexdigest()


def _existing(conn: Connection, sender: str, message_id: str) -> tuple[str, int] | None:
    row = conn.execute(
        sa.select(messages.c.content_sha256, messages.c.n_records).where(
            messages.c.owner == sender, messages.c.message_id == message_id
        )
    ).first()
    return None if row is None else (row[0], row[1])


def _duplicate(found: tuple[str, int], digest: str, message_id: str) -> IngestResult:
    if found[0] != digest:
        raise MessageConflict(f"message_id {message_id!r} was already used for a different message")
    return IngestResult(message_id=message_id, accepted=found[1], duplicate=True)


def _store(
    engine: Engine,
    sender: str,
    message: TrackMessage | DetectionMessage,
    kind: str,
    rows: list[dict[str, Any]],
    table: sa.Table,
    audit_action: str,
) -> IngestResult:
    digest = _digest(message)
    release = Release.of(sender, message.releasable_to)
    try:
        with write_transaction(engine) as conn:
            found = _existing(conn, sender, message.message_id)
            if found is not None:
                result = _duplicate(found, digest, message.message_id)
                record_in(conn, sender, audit_action, message.message_id, 0, 200)
                return result
            _check_release(conn, message)
            pk = conn.execute(
                messages.insert()
                .values(
                    owner=sender,
                    message_id=message.message_id,
                    kind=kind,
                    release_all=release.everyone,
                    content_sha256=digest,
                    n_records=len(rows),
                    received_ns=time.time_ns(),
                )
                .returning(messages.c.pk)
            ).scalar_one()
            if release.to:
                conn.execute(
                    message_releases.insert(),
                    [{"message_pk": pk, "partner": p} for p in sorted(release.to)],
                )
            for row in rows:
                row["message_pk"] = pk
            conn.execute(table.insert(), rows)
            record_in(conn, sender, audit_action, message.message_id, len(rows), 201)
    except IntegrityError:
        # Another process stored the same (sender, message id) between our check and insert.
        with engine.connect() as conn:
            found = _existing(conn, sender, message.message_id)
        if found is None:
            raise
        return _duplicate(found, digest, message.message_id)
    event = {"kind": kind, "release": release, "message_id": message.message_id}
    return IngestResult(
        message_id=message.message_id, accepted=len(rows), duplicate=False, event=event
    )


def ingest_tracks(engine: Engine, sender: str, message: TrackMessage) -> IngestResult:
    """Check and store a track message from ``sender``.

    Raises
    ------
    IngestRejected
        A record fails a check (its tracker is not the sender, its position is inside
        the Earth, its covariance is not symmetric positive definite) or a release names
        an unknown partner. Nothing is stored.
    MessageConflict
        The message id was used before by ``sender`` for other content.
    """
    cov = _check_tracks(message, sender)
    cov_bytes = cov.astype("<f8").tobytes()
    rows = [
        {
            "owner": sender,
            "track_id": t.track_id,
            "tracker": t.tracker,
            "time_ns": to_ns(t.time),
            "x": t.x,
            "y": t.y,
            "z": t.z,
            "vx": t.vx,
            "vy": t.vy,
            "vz": t.vz,
            "cov": cov_bytes[i * 288 : (i + 1) * 288],
            "status": t.status,
        }
        for i, t in enumerate(message.tracks)
    ]
    result = _store(engine, sender, message, "tracks", rows, track_states, "ingest_tracks")
    if result.event is not None:
        result.event["records"] = [
            {
                "track_id": t.track_id,
                "tracker": t.tracker,
                "time": ns_to_iso(to_ns(t.time)),
                **{k: row[k] for k in ("x", "y", "z", "vx", "vy", "vz")},
                "cov": list(t.cov),
                "status": t.status,
            }
            for t, row in zip(message.tracks, rows, strict=True)
        ]
    return result


def ingest_detections(engine: Engine, sender: str, message: DetectionMessage) -> IngestResult:
    """Check and store a detection message from ``sender`` (see :func:`ingest_tracks`)."""
    _check_detections(message, sender)
    rows = []
    for d in message.detections:
        row = d.model_dump(exclude={"time"})
        row["time_ns"] = to_ns(d.time)
        rows.append(row)
    result = _store(engine, sender, message, "detections", rows, detections, "ingest_detections")
    if result.event is not None:
        result.event["records"] = [
            {
                **{k: v for k, v in row.items() if k not in ("message_pk", "time_ns")},
                "time": ns_to_iso(int(row["time_ns"])),
            }
            for row in rows
        ]
    return result
