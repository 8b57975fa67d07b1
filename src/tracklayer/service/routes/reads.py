"""Read routes: the current picture, and track and detection history by time range.

A partner sees only records released to it; a track it may not see gets the same 404 as
one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from tracklayer.service.deps import (
    UNAUTHORIZED,
    At,
    AuditDep,
    Limit,
    MaxAge,
    PartnerDep,
    RangeDep,
    StateDep,
    ns,
)
from tracklayer.service.fused_store import history_with_fused
from tracklayer.service.ingest import ns_to_iso
from tracklayer.service.picture import PictureView, build_picture, detection_history
from tracklayer.service.schemas import DetectionPage, History, Picture

__all__ = ["NOT_FOUND", "router", "view_dict"]

NOT_FOUND = "no such track"

router = APIRouter(responses=UNAUTHORIZED, tags=["read"])


def view_dict(view: PictureView) -> dict[str, Any]:
    """A partner's picture as the ``Picture`` schema's JSON object."""
    return {
        "partner": view.partner,
        "time": ns_to_iso(view.time_ns),
        "national": view.national.records(),
        "fused": view.fused.records(),
    }


@router.get("/api/v1/picture", response_model=Picture)
def picture(
    partner: PartnerDep, state: StateDep, audit: AuditDep, at: At = None, max_age_s: MaxAge = None
) -> dict[str, Any]:
    """The picture now (or ``at``): each visible track's latest current state, and their
    fusion at that time (docs/service.md states which states are current)."""
    view = build_picture(state.engine, partner.code, state.clock, ns(at), max_age_s, state.settings)
    out = view_dict(view)
    audit("read_picture", len(out["national"]) + len(out["fused"]))
    return out


@router.get("/api/v1/tracks", response_model=History)
def tracks(
    partner: PartnerDep,
    state: StateDep,
    audit: AuditDep,
    when: RangeDep,
    tracker: Annotated[str | None, Query(max_length=8)] = None,
    limit: Limit = 10_000,
) -> dict[str, Any]:
    """Visible track states in a time range, oldest first, with the partner's stored
    system tracks (``tracker`` ``fused``)."""
    rows, truncated = history_with_fused(
        state.engine, partner.code, when.start_ns, when.end_ns, tracker, None, limit
    )
    audit("read_history", len(rows))
    return {"tracks": rows.records(), "truncated": truncated}


@router.get(
    "/api/v1/tracks/{tracker}/{track_id}",
    response_model=History,
    responses={404: {"description": NOT_FOUND}},
)
def one_track(
    partner: PartnerDep,
    state: StateDep,
    audit: AuditDep,
    tracker: str,
    track_id: str,
    when: RangeDep,
    limit: Limit = 10_000,
) -> dict[str, Any]:
    """The visible history of one national track, or of one of the partner's system
    tracks (``tracker`` ``fused``); 404 if none is visible."""
    rows, truncated = history_with_fused(
        state.engine, partner.code, when.start_ns, when.end_ns, tracker, track_id, limit
    )
    target = f"/api/v1/tracks/{tracker}/{track_id}"
    if len(rows) == 0:
        audit("read_track", 0, 404, target=target)
        raise HTTPException(404, NOT_FOUND)
    audit("read_track", len(rows), target=target)
    return {"tracks": rows.records(), "truncated": truncated}


@router.get("/api/v1/detections", response_model=DetectionPage)
def get_detections(
    partner: PartnerDep,
    state: StateDep,
    audit: AuditDep,
    when: RangeDep,
    limit: Limit = 10_000,
) -> dict[str, Any]:
    """Visible detections in a time range, oldest first."""
    recs, truncated = detection_history(
        state.engine, partner.code, when.start_ns, when.end_ns, limit
    )
    audit("read_detections", len(recs))
    return {"detections": recs, "truncated": truncated}
