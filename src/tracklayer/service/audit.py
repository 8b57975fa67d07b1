"""The audit log: one row per request, by partner: who read or wrote what, and the outcome."""

from __future__ import annotations

import time
from dataclasses import dataclass

import anyio
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tracklayer.service.db import audit_log, write_transaction

__all__ = ["AuditRecord", "Auditor", "audit_row", "read_audit", "record", "record_in"]

_MAX_TARGET = 300


@dataclass(frozen=True)
class AuditRecord:
    """One audited action."""

    time_ns: int
    partner: str | None
    action: str
    target: str
    n_records: int
    status: int


def audit_row(
    partner: str | None, action: str, target: str, n_records: int, status: int
) -> dict[str, object]:
    """The values of one ``audit_log`` row, stamped now (for bulk inserts)."""
    return {
        "time_ns": time.time_ns(),
        "partner": partner,
        "action": action,
        "target": target[:_MAX_TARGET],
        "n_records": n_records,
        "status": status,
    }


def record_in(
    conn: Connection,
    partner: str | None,
    action: str,
    target: str,
    n_records: int = 0,
    status: int = 200,
) -> None:
    """Audit inside a caller's write transaction (so a write and its audit commit together)."""
    conn.execute(audit_log.insert().values(**audit_row(partner, action, target, n_records, status)))


def record(
    engine: Engine,
    partner: str | None,
    action: str,
    target: str,
    n_records: int = 0,
    status: int = 200,
) -> None:
    """Audit a read (or a refusal) in its own committed transaction."""
    with write_transaction(engine) as conn:
        record_in(conn, partner, action, target, n_records, status)


@dataclass(frozen=True)
class Auditor:
    """The audit of one request: its database, partner and path filled in.

    Call it from a synchronous route (it runs in a worker thread already); await
    :meth:`off_loop` from the event loop, which writes the row in a worker thread.
    """

    engine: Engine
    partner: str | None
    path: str

    def __call__(
        self, action: str, n_records: int = 0, status: int = 200, target: str | None = None
    ) -> None:
        """Audit ``action`` on ``target`` (default: the request's path)."""
        record(self.engine, self.partner, action, target or self.path, n_records, status)

    async def off_loop(
        self, action: str, n_records: int = 0, status: int = 200, target: str | None = None
    ) -> None:
        """:meth:`__call__` in a worker thread, awaited from the event loop."""
        await anyio.to_thread.run_sync(self.__call__, action, n_records, status, target)


def read_audit(engine: Engine, partner: str | None = None, limit: int = 1000) -> list[AuditRecord]:
    """Audit entries, newest first: one partner's, or everyone's when ``partner`` is None."""
    query = sa.select(
        audit_log.c.time_ns,
        audit_log.c.partner,
        audit_log.c.action,
        audit_log.c.target,
        audit_log.c.n_records,
        audit_log.c.status,
    ).order_by(audit_log.c.pk.desc())
    if partner is not None:
        query = query.where(audit_log.c.partner == partner)
    with engine.connect() as conn:
        rows = conn.execute(query.limit(limit)).all()
    return [AuditRecord(*row) for row in rows]
