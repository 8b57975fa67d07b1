"""Dependencies of the service's routes: its state, the current partner, the request's
audit, and the query parameters several routes share.

Each is declared once as an ``Annotated`` type (``PartnerDep``, ``AuditDep``...) that a
route names in its signature, as FastAPI's own project template does; a route never
reaches the application's objects any other way. Dependencies that only look things up
are ``async`` so they run on the event loop, not in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import anyio
from fastapi import Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from starlette.requests import HTTPConnection

from tracklayer.service import audit
from tracklayer.service.auth import Partner, authenticate, cached_authentication
from tracklayer.service.ingest import Committer, to_ns
from tracklayer.service.schemas import UtcTime
from tracklayer.service.state import ServiceState

__all__ = [
    "REFUSED",
    "UNAUTHORIZED",
    "At",
    "AuditDep",
    "CommitterDep",
    "End",
    "EngineDep",
    "Limit",
    "MaxAge",
    "PartnerDep",
    "RangeDep",
    "Start",
    "StateDep",
    "TimeRange",
    "current_partner",
    "ns",
    "service_state",
]

#: The answer to a request without a valid token.
REFUSED = "missing, unknown or revoked token"
#: The ``responses`` entry of every route that needs a token.
UNAUTHORIZED: dict[int | str, dict[str, str]] = {401: {"description": REFUSED}}

_bearer = HTTPBearer(auto_error=False, description="A partner token (tracklayer partner add)")


async def service_state(connection: HTTPConnection) -> ServiceState:
    """The application's :class:`~tracklayer.service.state.ServiceState`."""
    state: ServiceState = connection.app.state.service
    return state


StateDep = Annotated[ServiceState, Depends(service_state)]


async def _engine(state: StateDep) -> Engine:
    return state.engine


async def _committer(state: StateDep) -> Committer:
    return state.committer


EngineDep = Annotated[Engine, Depends(_engine)]
CommitterDep = Annotated[Committer, Depends(_committer)]


async def current_partner(
    request: Request,
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Partner:
    """The partner of the request's bearer token; 401 otherwise (audited in aggregate,
    :class:`~tracklayer.service.audit.RefusalAudit`).

    A token checked in the last second is answered from the cache on the event loop; only
    a database lookup or an audit row goes to a worker thread.
    """
    token = None if credentials is None else credentials.credentials
    known, partner = cached_authentication(state.engine, token)
    if not known:
        partner = await anyio.to_thread.run_sync(authenticate, state.engine, token)
    if partner is None:
        await anyio.to_thread.run_sync(state.refusals.note, request.url.path)
        raise HTTPException(401, REFUSED, headers={"WWW-Authenticate": "Bearer"})
    request.state.partner = partner.code
    return partner


PartnerDep = Annotated[Partner, Depends(current_partner)]


async def _request_audit(request: Request, state: StateDep, partner: PartnerDep) -> audit.Auditor:
    return audit.Auditor(state.engine, partner.code, request.url.path)


AuditDep = Annotated[audit.Auditor, Depends(_request_audit)]

Start = Annotated[UtcTime | None, Query(description="Earliest time, ISO 8601 with zone")]
End = Annotated[UtcTime | None, Query(description="Latest time, ISO 8601 with zone")]
Limit = Annotated[int, Query(ge=1, le=100_000, description="Most records returned")]
MaxAge = Annotated[
    float | None,
    Query(
        gt=0.0,
        le=1.0e7,
        description="Leave out tracks not updated for this long, s (default: the server's)",
    ),
]
At = Annotated[
    UtcTime | None,
    Query(description="Picture time, ISO 8601 with zone (default: the server clock's now)"),
]


def ns(value: datetime | None) -> int | None:
    """Integer nanoseconds since the Unix epoch of an optional query time."""
    return None if value is None else to_ns(value)


@dataclass(frozen=True)
class TimeRange:
    """A query's time range, integer ns since the Unix epoch (None: unbounded)."""

    start_ns: int | None
    end_ns: int | None


async def _time_range(start: Start = None, end: End = None) -> TimeRange:
    """The ``start``/``end`` query parameters; a range that ends before it starts is a 422."""
    if start is not None and end is not None and end < start:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query", "end"),
                    "msg": "Value error, must not be before start",
                    "input": end.isoformat(),
                }
            ]
        )
    return TimeRange(ns(start), ns(end))


RangeDep = Annotated[TimeRange, Depends(_time_range)]
