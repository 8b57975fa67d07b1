"""Export routes: a partner's visible picture as a CZML document or a Parquet table."""

from __future__ import annotations

import json

from fastapi import APIRouter, Response

from tracklayer.service.deps import (
    UNAUTHORIZED,
    AuditDep,
    Limit,
    MaxAge,
    PartnerDep,
    RangeDep,
    StateDep,
)
from tracklayer.service.export import czml_document, tracks_parquet
from tracklayer.service.fused_store import history_with_fused
from tracklayer.service.picture import build_picture, track_history

__all__ = ["router"]

router = APIRouter(responses=UNAUTHORIZED, tags=["export"])


@router.get(
    "/api/v1/export/czml",
    responses={200: {"content": {"application/json": {}}, "description": "CZML"}},
)
def export_czml(
    partner: PartnerDep,
    state: StateDep,
    audit: AuditDep,
    when: RangeDep,
    max_age_s: MaxAge = None,
    limit: Limit = 100_000,
) -> Response:
    """Visible track histories and the current fused tracks as a CZML document."""
    engine = state.engine
    history, _ = track_history(engine, partner.code, when.start_ns, when.end_ns, None, None, limit)
    view = build_picture(engine, partner.code, state.clock, when.end_ns, max_age_s, state.settings)
    doc = czml_document(partner.code, history, view.fused if len(view.fused) else None)
    audit("export_czml", len(doc) - 1)
    return Response(
        json.dumps(doc, separators=(",", ":")),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="picture.czml"'},
    )


@router.get(
    "/api/v1/export/parquet",
    responses={200: {"content": {"application/vnd.apache.parquet": {}}}},
)
def export_parquet(
    partner: PartnerDep,
    state: StateDep,
    audit: AuditDep,
    when: RangeDep,
    limit: Limit = 100_000,
) -> Response:
    """Visible track states in a time range, and the partner's stored system tracks
    (``tracker`` ``fused``), as a Parquet ``tracks`` table."""
    engine = state.engine
    history, _ = history_with_fused(
        engine, partner.code, when.start_ns, when.end_ns, None, None, limit
    )
    body = tracks_parquet(history)
    audit("export_parquet", len(history))
    return Response(
        body,
        media_type="application/vnd.apache.parquet",
        headers={"Content-Disposition": 'attachment; filename="tracks.parquet"'},
    )
