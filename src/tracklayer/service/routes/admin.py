"""Service routes: health (no token), the partner's identity, and its own audit entries."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from tracklayer.service import audit as audit_log
from tracklayer.service.db import schema_revision
from tracklayer.service.deps import UNAUTHORIZED, AuditDep, Limit, PartnerDep, StateDep
from tracklayer.service.ingest import ns_to_iso
from tracklayer.service.metrics import loopback_only
from tracklayer.service.schemas import AuditPage, Health, Me

__all__ = ["health_router", "router"]

#: Routes without a token.
health_router = APIRouter(tags=["service"])
#: Routes of a partner.
router = APIRouter(responses=UNAUTHORIZED)


@health_router.get("/health", response_model=Health)
def health(state: StateDep) -> Health:
    """Liveness, the database schema revision and the server clock (no token needed)."""
    return Health(
        status="ok",
        database=state.database,
        schema_revision=schema_revision(state.engine),
        instance=state.instance,
        clock_time=ns_to_iso(state.clock.now_ns()),
        clock_rate=state.clock.rate,
    )


@health_router.get("/metrics", include_in_schema=False)
def metrics(request: Request, state: StateDep) -> Response:
    """The service's metrics, Prometheus text format, to this host only (see
    :mod:`tracklayer.service.metrics`)."""
    refused = loopback_only(request)
    return state.metrics.exposition() if refused is None else refused


@router.get("/api/v1/me", response_model=Me, tags=["service"])
def me(partner: PartnerDep, audit: AuditDep) -> Me:
    """The partner the token belongs to."""
    audit("me")
    return Me(code=partner.code, name=partner.name)


@router.get("/api/v1/audit", response_model=AuditPage, tags=["read"])
def get_audit(
    partner: PartnerDep, state: StateDep, audit: AuditDep, limit: Limit = 1000
) -> dict[str, Any]:
    """The partner's own audit entries, newest first."""
    entries = audit_log.read_audit(state.engine, partner.code, limit)
    audit("read_audit", len(entries))
    return {
        "entries": [
            {
                "time": ns_to_iso(e.time_ns),
                "partner": e.partner,
                "action": e.action,
                "target": e.target,
                "n_records": e.n_records,
                "status": e.status,
            }
            for e in entries
        ]
    }
