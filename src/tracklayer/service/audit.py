"""The audit log: one row per request, by partner: who read or wrote what, and the outcome.

Requests without a valid token are the exception: anyone can send them, as fast as they
like, so one row each would let a stranger fill the database. They are aggregated
(:class:`RefusalAudit`): the first refusal after a quiet interval is written at once,
and the ones that follow within :data:`REFUSAL_INTERVAL_S` are counted and written
together with the next refusal after it (or when the service stops), one ``auth_refused``
row per path whose ``n_records`` is the number of refusals, at most
:data:`REFUSAL_TARGETS` paths per row set (the rest under ``(other paths)``).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass

import anyio
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tracklayer.service.db import audit_log, write_transaction

__all__ = [
    "REFUSAL_INTERVAL_S",
    "REFUSAL_TARGETS",
    "AuditRecord",
    "Auditor",
    "RefusalAudit",
    "audit_row",
    "read_audit",
    "record",
    "record_in",
]

_MAX_TARGET = 300
#: Shortest interval between two writes of aggregated refusals, s.
REFUSAL_INTERVAL_S = 10.0
#: Most distinct paths in one write of refusals.
REFUSAL_TARGETS = 32
_OTHER_PATHS = "(other paths)"


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


class RefusalAudit:
    """Aggregated ``auth_refused`` rows of one database (see the module notes).

    Parameters
    ----------
    engine : Engine
        The database.
    interval_s : float
        Shortest interval between two writes, s.
    """

    def __init__(self, engine: Engine, interval_s: float = REFUSAL_INTERVAL_S) -> None:
        self._engine = engine
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._pending: Counter[str] = Counter()
        self._next_write = 0.0

    def note(self, target: str) -> None:
        """Count one refused request to ``target``; write the counts when they are due
        (call from a worker thread: it may write to the database)."""
        with self._lock:
            if target in self._pending or len(self._pending) < REFUSAL_TARGETS:
                self._pending[target] += 1
            else:
                self._pending[_OTHER_PATHS] += 1
            now = time.monotonic()
            if now < self._next_write:
                return
            self._next_write = now + self._interval_s
            pending, self._pending = self._pending, Counter()
        self._write(pending)

    def flush(self) -> None:
        """Write the counts not yet written (when the service stops)."""
        with self._lock:
            pending, self._pending = self._pending, Counter()
        self._write(pending)

    def _write(self, pending: Counter[str]) -> None:
        if not pending:
            return
        with write_transaction(self._engine) as conn:
            conn.execute(
                audit_log.insert(),
                [audit_row(None, "auth_refused", t, n, 401) for t, n in sorted(pending.items())],
            )


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
