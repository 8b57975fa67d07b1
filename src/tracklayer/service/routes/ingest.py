"""Ingest routes: partners post track states and detections (JSON), or a CCSDS TDM.

Every route answers the same way (:func:`acknowledge`): 201 once its message is durably
committed (group commit: concurrent messages share one transaction), 200 for a retry of
a stored message, 409 for a reused id, 422 naming the field of a bad one (nothing stored).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from tracklayer.errors import InputFormatError
from tracklayer.service.audit import Auditor
from tracklayer.service.auth import Partner
from tracklayer.service.body import parse_json_body, request_body_openapi
from tracklayer.service.deps import UNAUTHORIZED, PartnerDep, StateDep
from tracklayer.service.errors import RETRY
from tracklayer.service.ingest import (
    IngestJob,
    IngestRejected,
    MessageConflict,
    detection_job,
    track_job,
)
from tracklayer.service.schemas import DetectionMessage, IngestAck, TrackMessage
from tracklayer.service.state import ServiceState
from tracklayer.service.tdm_ingest import (
    TdmSensor,
    check_tdm_epochs,
    parse_tdm_body,
    position_from_parts,
    site_from_degrees,
    tdm_detection_message,
)
from tracklayer.service.writer import WriterUnavailable

__all__ = ["INLINE_BODY_BYTES", "acknowledge", "router"]

#: Largest JSON ingest body validated on the event loop itself, bytes (about 800 track
#: states); larger ones are validated in a worker thread.
INLINE_BODY_BYTES = 256 * 1024

router = APIRouter(responses=UNAUTHORIZED, tags=["ingest"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": IngestAck, "description": "A retry of a stored message"},
    400: {"description": "The body is not readable JSON"},
    409: {"description": "The message id was used for different content"},
    413: {"description": "The body is too large"},
    503: {"description": RETRY},
}


async def acknowledge(
    state: ServiceState,
    partner: Partner,
    response: Response,
    action: str,
    prepare: Callable[[], IngestJob],
    inline: bool,
) -> IngestAck:
    """Prepare a message's job, await its group commit, and answer it.

    ``prepare`` (validation and checks) runs on the event loop when ``inline`` (a small
    body: about 1 ms for 50 track states, as cheap as handing it to a thread, and
    CPU-bound threads make every thread wait for the interpreter lock), else in a worker
    thread. No thread waits for the commit: the loop awaits its future. A refused or
    conflicting message is audited here and answered by :mod:`tracklayer.service.errors`.
    """
    job: IngestJob | None = None
    rejected = state.metrics.rejected
    try:
        job = prepare() if inline else await anyio.to_thread.run_sync(prepare)
        with state.metrics.timing(state.metrics.commit_seconds):
            result = await asyncio.wrap_future(state.committer.submit(job))
    except RequestValidationError:
        rejected("schema").inc()
        raise
    except IngestRejected as exc:
        rejected("check").inc()
        target = ".".join(map(str, exc.loc))
        await _audit(state, partner, action, target, 422)
        raise
    except MessageConflict:
        rejected("reused_id").inc()
        assert job is not None
        await _audit(state, partner, action, job.message_id, 409)
        raise
    except WriterUnavailable:
        rejected("writer_unavailable").inc()
        raise
    state.metrics.ingested(job.kind, "retry" if result.duplicate else "stored").inc()
    if result.duplicate:
        response.status_code = 200
    else:
        state.metrics.records(job.kind).inc(result.accepted)
    return IngestAck(
        message_id=result.message_id, accepted=result.accepted, duplicate=result.duplicate
    )


async def _audit(
    state: ServiceState, partner: Partner, action: str, target: str, status: int
) -> None:
    await Auditor(state.engine, partner.code, target).off_loop(action, 0, status)


async def _ingest_json(
    request: Request,
    response: Response,
    state: ServiceState,
    partner: Partner,
    model: type[TrackMessage] | type[DetectionMessage],
    make_job: Callable[[Any], IngestJob],
) -> IngestAck:
    body = await request.body()
    content_type = request.headers.get("content-type")

    def prepare() -> IngestJob:
        return make_job(parse_json_body(model, body, content_type))

    action = "ingest_tracks" if model is TrackMessage else "ingest_detections"
    inline = len(body) <= INLINE_BODY_BYTES
    return await acknowledge(state, partner, response, action, prepare, inline)


@router.post(
    "/api/v1/tracks",
    response_model=IngestAck,
    status_code=201,
    responses=_RESPONSES,
    openapi_extra=request_body_openapi(TrackMessage),
)
async def post_tracks(
    request: Request, response: Response, state: StateDep, partner: PartnerDep
) -> IngestAck:
    """Store a batch of the partner's national track states (all or nothing)."""
    return await _ingest_json(
        request,
        response,
        state,
        partner,
        TrackMessage,
        lambda m: track_job(partner.code, m, state.clock),
    )


@router.post(
    "/api/v1/detections",
    response_model=IngestAck,
    status_code=201,
    responses=_RESPONSES,
    openapi_extra=request_body_openapi(DetectionMessage),
)
async def post_detections(
    request: Request, response: Response, state: StateDep, partner: PartnerDep
) -> IngestAck:
    """Store a batch of the partner's detections (all or nothing)."""
    return await _ingest_json(
        request,
        response,
        state,
        partner,
        DetectionMessage,
        lambda m: detection_job(partner.code, m, clock=state.clock),
    )


@dataclass(frozen=True)
class TdmQuery:
    """The query parameters of a TDM post: the message's id and release, and its sensor."""

    message_id: str
    releasable_to: str
    sensor_kind: str
    sigma_rad: float
    sigma_range_m: float | None
    site_deg: tuple[float | None, float | None, float | None]
    position_m: tuple[float | None, float | None, float | None]

    def release(self) -> Any:
        """``"all"`` or the list of named partner codes."""
        if self.releasable_to.strip() == "all":
            return "all"
        return [c.strip() for c in self.releasable_to.split(",") if c.strip()]

    def sensor(self) -> TdmSensor:
        """The sensor of the message (``InputFormatError`` when its place is not one)."""
        return TdmSensor(
            kind=self.sensor_kind,
            sigma_rad=self.sigma_rad,
            sigma_range_m=self.sigma_range_m,
            site_lat_lon_alt=site_from_degrees(*self.site_deg),
            position_m=position_from_parts(*self.position_m),
        )


def tdm_query(
    message_id: Annotated[
        str,
        Query(
            min_length=1,
            max_length=128,
            pattern=r"^[A-Za-z0-9._:-]+$",
            description="Unique per sending partner (a retry is stored once)",
        ),
    ],
    sensor_kind: Annotated[str, Query(min_length=1, max_length=16, pattern=r"^[a-z_]+$")],
    sigma_rad: Annotated[float, Query(gt=0.0, le=3.2, description="LOS sigma, rad")],
    releasable_to: Annotated[
        str,
        Query(
            max_length=1200,
            description='"all", or partner codes separated by commas (empty: owner only)',
        ),
    ] = "",
    sigma_range_m: Annotated[float | None, Query(gt=0.0, le=1e8)] = None,
    site_lat_deg: Annotated[float | None, Query(ge=-90.0, le=90.0)] = None,
    site_lon_deg: Annotated[float | None, Query(ge=-180.0, le=360.0)] = None,
    site_alt_m: Annotated[float | None, Query(ge=-1.2e4, le=1.0e5)] = None,
    sensor_x_m: Annotated[float | None, Query(ge=-1e8, le=1e8)] = None,
    sensor_y_m: Annotated[float | None, Query(ge=-1e8, le=1e8)] = None,
    sensor_z_m: Annotated[float | None, Query(ge=-1e8, le=1e8)] = None,
) -> TdmQuery:
    """The TDM route's query parameters, gathered (checked when the body is converted)."""
    return TdmQuery(
        message_id=message_id,
        releasable_to=releasable_to,
        sensor_kind=sensor_kind,
        sigma_rad=sigma_rad,
        sigma_range_m=sigma_range_m,
        site_deg=(site_lat_deg, site_lon_deg, site_alt_m),
        position_m=(sensor_x_m, sensor_y_m, sensor_z_m),
    )


@router.post(
    "/api/v1/detections/tdm",
    response_model=IngestAck,
    status_code=201,
    responses=_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A CCSDS TDM (KVN or XML) of one sensor's angles (and ranges)",
            "content": {
                "text/plain": {"schema": {"type": "string"}},
                "application/xml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def post_tdm(
    request: Request,
    response: Response,
    state: StateDep,
    partner: PartnerDep,
    query: Annotated[TdmQuery, Depends(tdm_query)],
) -> IngestAck:
    """Store a sensor's detections from a CCSDS TDM body, KVN or XML (all or nothing).

    The sensor's site (``site_*``, required for AZEL angles) or ECEF position
    (``sensor_*_m``, a space sensor at the message's epochs) comes as query
    parameters, exactly one of the two; RADEC angles in an ITRF realisation or in
    EME2000, GCRF or ICRF (rotated to ECEF at each epoch). A malformed
    TDM is refused with 422 naming its line, an XML one with a DTD, entities or past
    the bounds of ``tdm_ingest.BODY_XML_LIMITS`` with 422 naming the rule; nothing is
    stored.
    """
    body = await request.body()

    def prepare() -> IngestJob:
        try:
            sensor = query.sensor()
            segments = parse_tdm_body(body)
            check_tdm_epochs(body, segments, state.clock)
            message = tdm_detection_message(
                segments, partner.code, query.message_id, query.release(), sensor
            )
        except InputFormatError as exc:
            raise IngestRejected(("body",), str(exc)) from None
        return detection_job(partner.code, message, "ingest_tdm", state.clock)

    return await acknowledge(state, partner, response, "ingest_tdm", prepare, inline=False)
