"""The picture service: a FastAPI application over the picture database.

Routes (all under ``/api/v1`` need a partner's bearer token; ``/health`` and the OpenAPI
schema do not):

- ``POST /api/v1/tracks``, ``POST /api/v1/detections``, ``POST /api/v1/detections/tdm`` (a
  CCSDS TDM body; see :mod:`tracklayer.service.tdm_ingest`): ingest a message; 201 once it is
  durably committed (group commit: concurrent messages share one transaction), 200 for a
  retry of a stored message, 409 for a reused id, 422 naming the field of a bad one
  (nothing stored).
- ``GET /api/v1/picture``: current national tracks and their fusion; ``GET /api/v1/tracks``,
  ``/api/v1/tracks/{tracker}/{track_id}``, ``/api/v1/detections``: history by time range.
- ``GET /api/v1/export/czml``, ``/api/v1/export/parquet``; ``GET /api/v1/audit`` (own
  entries); ``GET /api/v1/me``.
- ``WS /api/v1/stream``: live updates; the token comes in an ``Authorization`` header or,
  from a browser, as the first message ``{"token": "..."}``. Messages: ``hello``, then the
  whole ``picture`` (national and system tracks), then each national message released to
  the partner (``tracks``, ``detections``) as it is committed, and every
  ``picture_interval_s`` the system tracks alone (``fused``). The stream's pictures come
  from a :class:`~tracklayer.service.live_picture.LivePicture`, kept up to date from the
  service's commits (the ones the stream publishes: this process's, and with several
  workers the others' through the commit bus, :mod:`tracklayer.service.bus`) plus a seed
  read once per partner; ``GET /api/v1/picture`` reads the database on each call.

A partner sees only records released to it, by every route; a track it may not see gets
the same 404 as one that does not exist. Static files in ``service/static/`` (the web
page), when present, are served at ``/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, TypeAdapter
from pydantic_core import to_json
from starlette.websockets import WebSocketDisconnect, WebSocketState

from tracklayer.errors import InputFormatError
from tracklayer.fusion.releasability import Release
from tracklayer.service import audit
from tracklayer.service.auth import Partner, authenticate, cached_authentication
from tracklayer.service.body import parse_json_body, request_body_openapi
from tracklayer.service.bus import BusClient
from tracklayer.service.clock import DEFAULT_MAX_AGE_S, DEFAULT_MAX_CLOCK_SKEW_S, PictureClock
from tracklayer.service.db import (
    WalCheckpointer,
    make_engine,
    migrate,
    normalize_db_url,
    schema_revision,
)
from tracklayer.service.export import czml_document, tracks_parquet
from tracklayer.service.fusion_process import FusionProcess
from tracklayer.service.groupcommit import GroupCommitter
from tracklayer.service.ingest import (
    IngestJob,
    IngestRejected,
    IngestResult,
    MessageConflict,
    commit_batch,
    detection_job,
    ingest_detections,
    ns_to_iso,
    to_ns,
    track_job,
)
from tracklayer.service.live_picture import LivePicture, StoredTracks
from tracklayer.service.logs import RequestLogMiddleware
from tracklayer.service.picture import (
    FusedTracks,
    FusionSettings,
    PictureView,
    TrackRows,
    build_picture,
    detection_history,
    track_history,
)
from tracklayer.service.schemas import (
    AuditPage,
    DetectionMessage,
    DetectionPage,
    Health,
    History,
    IngestAck,
    Me,
    Picture,
    TrackMessage,
    UtcTime,
)
from tracklayer.service.stream import StreamHub, Subscriber
from tracklayer.service.tdm_ingest import (
    TdmSensor,
    check_tdm_epochs,
    parse_tdm_body,
    position_from_parts,
    site_from_degrees,
    tdm_detection_message,
)
from tracklayer.service.writer import WriterProcess, WriterUnavailable

__all__ = ["STATIC_DIR", "create_app", "current_partner"]

_RETRY = (
    "The writer process ended before answering (it is being restarted): the message may "
    "or may not be stored; send it again with the same message id"
)


def _writer_unavailable() -> HTTPException:
    return HTTPException(503, _RETRY, headers={"Retry-After": "1"})


#: Where the web page's built files go; served at ``/`` when the folder exists.
STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Largest JSON ingest body validated on the event loop itself, bytes (about 800 track
#: states); larger ones are validated in a worker thread.
INLINE_BODY_BYTES = 256 * 1024
#: Seconds a WebSocket client has to send its token.
WS_AUTH_TIMEOUT_S = 5.0
#: WebSocket close codes: policy violation (refused token), try again later (too slow).
WS_REFUSED, WS_TOO_SLOW = 1008, 1013

log = logging.getLogger("tracklayer.service")

_REFUSED = "missing, unknown or revoked token"
_NOT_FOUND = "no such track"
_bearer = HTTPBearer(auto_error=False, description="A partner token (tracklayer partner add)")

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


async def current_partner(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Partner:
    """The partner of the request's bearer token; 401 (and an audit row) otherwise.

    A token checked in the last second is answered from the cache on the event loop; only
    a database lookup or an audit row goes to a worker thread.
    """
    engine = request.app.state.engine
    token = None if credentials is None else credentials.credentials
    known, partner = cached_authentication(engine, token)
    if not known:
        partner = await anyio.to_thread.run_sync(authenticate, engine, token)
    if partner is None:
        await anyio.to_thread.run_sync(
            audit.record, engine, None, "auth_refused", request.url.path, 0, 401
        )
        raise HTTPException(401, _REFUSED, headers={"WWW-Authenticate": "Bearer"})
    request.state.partner = partner.code
    return partner


PartnerDep = Annotated[Partner, Depends(current_partner)]


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _declare_body_schemas(app: FastAPI, models: tuple[type[BaseModel], ...]) -> None:
    """Add the JSON schemas of bodies read by hand (see :mod:`.body`) to the OpenAPI document.

    FastAPI lists only models that appear in a route's signature; these are parsed from
    the raw bytes instead, so their schemas are generated here the way FastAPI would.
    """
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = base()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                doc = TypeAdapter(model).json_schema(
                    ref_template="#/components/schemas/{model}", mode="validation"
                )
                # FastAPI writes its document without null values (no "default": null).
                doc = _without_nulls(doc)
                components.update(doc.pop("$defs", {}))
                components[model.__name__] = doc
            schema["components"]["schemas"] = dict(sorted(components.items()))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _ns(value: datetime | None) -> int | None:
    return None if value is None else to_ns(value)


def create_app(
    db_url: str,
    *,
    static_dir: Path | None = STATIC_DIR,
    fusion: FusionSettings | None = None,
    picture_interval_s: float = 1.0,
    stream_queue_size: int = 10_000,
    commit_max_batch: int = 256,
    commit_linger_s: float = 0.0,
    bus_path: Path | str | None = None,
    writer_process: bool = False,
    fusion_process: bool = False,
    clock: PictureClock | None = None,
) -> FastAPI:
    """Build the service on the database at ``db_url`` (created and migrated if needed).

    Parameters
    ----------
    db_url : str
        ``sqlite:///path``, a plain file path (SQLite), or ``postgresql://user:pw@host/db``.
    static_dir : Path, optional
        Folder served at ``/`` when it exists (the web page).
    fusion : FusionSettings, optional
        Track-to-track fusion parameters.
    picture_interval_s : float
        Shortest interval between two fused pictures pushed to one stream subscriber, s
        (0 pushes none).
    stream_queue_size : int
        Updates queued per stream subscriber before it is dropped as too slow.
    commit_max_batch : int
        Most ingest messages committed in one transaction (group commit).
    commit_linger_s : float
        Longest wait for more messages to join a commit, s.
    bus_path : Path or str, optional
        The commit bus socket of a service run as several worker processes (see
        :mod:`tracklayer.service.bus`): each commit is sent to the other workers, and
        theirs reach this one's stream and live picture.
    writer_process : bool
        Run the group commit in a child process (:mod:`tracklayer.service.writer`, as
        ``serve`` does) instead of a thread: the database work of ingest then never waits
        for, or holds up, the event loop's interpreter lock.
    fusion_process : bool
        Fuse the live stream's pictures in a worker process
        (:mod:`tracklayer.service.fusion_process`, as ``serve`` does) instead of a thread.
    clock : PictureClock, optional
        The server clock, the clock skew accepted at ingest and the age after which a
        track leaves the picture (default: the system clock, 5 s, 60 s; see
        :mod:`tracklayer.service.clock`).
    """
    engine = make_engine(db_url, background_checkpoints=True)
    migrate(engine)
    checkpointer = WalCheckpointer(engine)
    settings = fusion or FusionSettings()
    clock = clock or PictureClock()
    database = "postgresql" if normalize_db_url(db_url).startswith("postgresql") else "sqlite"
    instance = uuid.uuid4().hex[:12]

    def view_dict(view: PictureView) -> dict[str, Any]:
        return {
            "partner": view.partner,
            "time": ns_to_iso(view.time_ns),
            "national": view.national.records(),
            "fused": view.fused.records(),
        }

    def picture_dict(partner: str, at_ns: int | None, max_age_s: float | None) -> dict[str, Any]:
        return view_dict(build_picture(engine, partner, clock, at_ns, max_age_s, settings))

    # The stream's picture is kept incrementally from the service's commits (and a seed
    # per partner), not re-queried each tick; see tracklayer.service.live_picture.
    fusion_worker = FusionProcess() if fusion_process else None
    fuser = None if fusion_worker is None else fusion_worker.fuse
    live = LivePicture(engine, settings, clock, fuser=fuser)

    # Partners with the same visible inputs share one national table and one fusion result
    # (LivePicture's cache); their records are then serialized once, not once per partner.
    last_json: list[tuple[Any, str]] = []

    def records_json(rows: TrackRows | FusedTracks) -> str:
        for seen, text in last_json:
            if seen is rows:
                return text
        text = to_json(rows.records()).decode()
        last_json[:] = [(rows, text), *last_json[:15]]
        return text

    def stream_head(kind: str, partner: str, time_ns: int) -> str:
        time = ns_to_iso(time_ns)
        return to_json({"type": kind, "partner": partner, "time": time}).decode()[:-1]

    async def stream_picture(partner: str) -> str:
        """The whole picture, sent when a subscription opens."""

        def compute() -> str:
            view = live.picture(partner)
            head = stream_head("picture", partner, view.time_ns)
            national, fused = records_json(view.national), records_json(view.fused)
            return f'{head},"national":{national},"fused":{fused}}}'

        return await anyio.to_thread.run_sync(compute)

    async def stream_fused(partners: list[str]) -> dict[str, str]:
        """The system tracks of each partner, sent every ``picture_interval_s``: the
        subscribers already have the national tracks (the picture, the updates since)."""

        def compute() -> dict[str, str]:
            out = {}
            for partner, view in live.pictures(partners).items():
                head = stream_head("fused", partner, view.time_ns)
                out[partner] = f'{head},"fused":{records_json(view.fused)}}}'
            return out

        return await anyio.to_thread.run_sync(compute)

    hub = StreamHub(stream_fused, picture_interval_s, stream_queue_size)

    def from_other_worker(payload: tuple[list[tuple[Release, str]], list[StoredTracks]]) -> None:
        updates, tracks = payload
        live.add(tracks)
        hub.publish_texts(updates)

    bus = None if bus_path is None else BusClient(Path(bus_path), from_other_worker)

    def feed_live(stored: list[tuple[IngestJob, int]]) -> None:
        tracks = [(job.release, pk, job.rows) for job, pk in stored if job.kind == "tracks"]
        live.add(tracks)
        if bus is not None and stored:
            bus.send(([(job.release, job.update) for job, _ in stored], tracks))

    committer: GroupCommitter[IngestJob] | WriterProcess
    if writer_process:
        committer = WriterProcess(
            db_url,
            publish=hub.publish_texts,
            on_commit=feed_live,
            max_batch=commit_max_batch,
            linger_s=commit_linger_s,
        )
    else:
        committer = GroupCommitter(
            lambda jobs: commit_batch(engine, jobs, hub.publish_texts, feed_live),
            max_batch=commit_max_batch,
            linger_s=commit_linger_s,
        )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        checkpointer.start()
        await hub.start()
        if isinstance(committer, WriterProcess):
            await anyio.to_thread.run_sync(committer.start, asyncio.get_running_loop())
        if fusion_worker is not None:
            await anyio.to_thread.run_sync(fusion_worker.start)
        if bus is not None:
            await anyio.to_thread.run_sync(bus.connect)
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(committer.stop)
            if bus is not None:
                await anyio.to_thread.run_sync(bus.close)
            await hub.stop()
            if fusion_worker is not None:
                await anyio.to_thread.run_sync(fusion_worker.stop)
            await anyio.to_thread.run_sync(checkpointer.stop)
            engine.dispose()

    app = FastAPI(
        title="tracklayer picture service",
        version="1",
        description="Allied track sharing with releasability and track-to-track fusion.",
        lifespan=lifespan,
    )
    api = APIRouter(responses={401: {"description": _REFUSED}})
    app.state.engine = engine
    app.state.clock = clock
    app.state.hub = hub
    app.state.live_picture = live
    app.state.committer = committer
    app.add_middleware(RequestLogMiddleware)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        partner = getattr(request.state, "partner", None)
        if partner is not None:
            await anyio.to_thread.run_sync(
                audit.record, engine, partner, "rejected", request.url.path, 0, 422
            )
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return JSONResponse({"detail": "internal error"}, status_code=500)

    def _rejected(partner: str, action: str, exc: IngestRejected) -> JSONResponse:
        audit.record(engine, partner, action, ".".join(map(str, exc.loc)), 0, 422)
        return JSONResponse(
            {"detail": [{"loc": list(exc.loc), "msg": exc.msg, "type": "value_error"}]},
            status_code=422,
        )

    def _acknowledge(
        partner: str,
        action: str,
        message_id: str,
        response: Response,
        ingest: Callable[[], IngestResult],
    ) -> IngestAck | JSONResponse:
        """Run one ingest and answer it: 201 stored, 200 retry, 409 reused id, 422 refused."""
        try:
            result = ingest()
        except IngestRejected as exc:
            return _rejected(partner, action, exc)
        except MessageConflict as exc:
            audit.record(engine, partner, action, message_id, 0, 409)
            raise HTTPException(409, str(exc)) from None
        except WriterUnavailable:
            raise _writer_unavailable() from None
        if result.duplicate:
            response.status_code = 200
        return IngestAck(
            message_id=result.message_id, accepted=result.accepted, duplicate=result.duplicate
        )

    async def _ingest_json(
        request: Request,
        response: Response,
        partner: Partner,
        model: type[TrackMessage] | type[DetectionMessage],
        action: str,
        make_job: Callable[[Any], IngestJob],
    ) -> IngestAck | JSONResponse:
        """Validate a JSON body in one pass, prepare its job, and await its group commit.

        A body up to ``INLINE_BODY_BYTES`` is validated on the event loop (about 1 ms for
        50 track states): handing it to a worker thread would cost as much, and CPU-bound
        threads make every thread wait for the interpreter lock. A larger body is validated
        in a worker thread. No thread waits for the commit: the loop awaits its future.
        """
        body = await request.body()
        content_type = request.headers.get("content-type")

        def prepare() -> IngestJob:
            return make_job(parse_json_body(model, body, content_type))

        try:
            if len(body) <= INLINE_BODY_BYTES:
                job = prepare()
            else:
                job = await anyio.to_thread.run_sync(prepare)
            result = await asyncio.wrap_future(committer.submit(job))
        except IngestRejected as exc:
            return await anyio.to_thread.run_sync(_rejected, partner.code, action, exc)
        except MessageConflict as exc:
            await anyio.to_thread.run_sync(
                audit.record, engine, partner.code, action, job.message_id, 0, 409
            )
            raise HTTPException(409, str(exc)) from None
        except WriterUnavailable:
            raise _writer_unavailable() from None
        if result.duplicate:
            response.status_code = 200
        return IngestAck(
            message_id=result.message_id, accepted=result.accepted, duplicate=result.duplicate
        )

    @app.get("/health", response_model=Health, tags=["service"])
    def health() -> Health:
        """Liveness and the database schema revision (no token needed)."""
        return Health(
            status="ok",
            database=database,
            schema_revision=schema_revision(engine),
            instance=instance,
        )

    @api.get("/api/v1/me", response_model=Me, tags=["service"])
    def me(partner: PartnerDep) -> Me:
        """The partner the token belongs to."""
        audit.record(engine, partner.code, "me", "/api/v1/me")
        return Me(code=partner.code, name=partner.name)

    ingest_responses: dict[int | str, dict[str, Any]] = {
        200: {"model": IngestAck, "description": "A retry of a stored message"},
        400: {"description": "The body is not readable JSON"},
        409: {"description": "The message id was used for different content"},
        413: {"description": "The body is too large"},
        503: {"description": _RETRY},
    }

    @api.post(
        "/api/v1/tracks",
        response_model=IngestAck,
        status_code=201,
        responses=ingest_responses,
        tags=["ingest"],
        openapi_extra=request_body_openapi(TrackMessage),
    )
    async def post_tracks(
        request: Request, response: Response, partner: PartnerDep
    ) -> IngestAck | JSONResponse:
        """Store a batch of the partner's national track states (all or nothing)."""
        return await _ingest_json(
            request,
            response,
            partner,
            TrackMessage,
            "ingest_tracks",
            lambda m: track_job(partner.code, m, clock),
        )

    @api.post(
        "/api/v1/detections",
        response_model=IngestAck,
        status_code=201,
        responses=ingest_responses,
        tags=["ingest"],
        openapi_extra=request_body_openapi(DetectionMessage),
    )
    async def post_detections(
        request: Request, response: Response, partner: PartnerDep
    ) -> IngestAck | JSONResponse:
        """Store a batch of the partner's detections (all or nothing)."""
        return await _ingest_json(
            request,
            response,
            partner,
            DetectionMessage,
            "ingest_detections",
            lambda m: detection_job(partner.code, m, clock=clock),
        )

    @api.post(
        "/api/v1/detections/tdm",
        response_model=IngestAck,
        status_code=201,
        responses=ingest_responses,
        tags=["ingest"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "A CCSDS TDM (KVN) of one sensor's angles (and ranges)",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    )
    async def post_tdm(
        request: Request,
        response: Response,
        partner: PartnerDep,
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
    ) -> IngestAck | JSONResponse:
        """Store a sensor's detections from a CCSDS TDM (KVN) body (all or nothing).

        The sensor's site (``site_*``, required for AZEL angles) or ECEF position
        (``sensor_*_m``, a space sensor at the message's epochs) comes as query
        parameters, exactly one of the two; RADEC angles must be in ITRF. A malformed
        TDM is refused with 422 naming its line, and nothing is stored.
        """
        body = await request.body()
        release: Any = (
            "all"
            if releasable_to.strip() == "all"
            else [c.strip() for c in releasable_to.split(",") if c.strip()]
        )

        def convert() -> DetectionMessage:
            sensor = TdmSensor(
                kind=sensor_kind,
                sigma_rad=sigma_rad,
                sigma_range_m=sigma_range_m,
                site_lat_lon_alt=site_from_degrees(site_lat_deg, site_lon_deg, site_alt_m),
                position_m=position_from_parts(sensor_x_m, sensor_y_m, sensor_z_m),
            )
            segments = parse_tdm_body(body)
            check_tdm_epochs(body, segments, clock)
            return tdm_detection_message(segments, partner.code, message_id, release, sensor)

        def store() -> IngestAck | JSONResponse:
            try:
                message = convert()
            except InputFormatError as exc:
                return _rejected(partner.code, "ingest_tdm", IngestRejected(("body",), str(exc)))
            return _acknowledge(
                partner.code,
                "ingest_tdm",
                message_id,
                response,
                lambda: ingest_detections(
                    engine, partner.code, message, committer, "ingest_tdm", clock
                ),
            )

        return await anyio.to_thread.run_sync(store)

    @api.get("/api/v1/picture", response_model=Picture, tags=["read"])
    def picture(partner: PartnerDep, at: At = None, max_age_s: MaxAge = None) -> dict[str, Any]:
        """The picture now (or ``at``): each visible track's latest current state, and
        their fusion at that time (see the service documentation's time semantics)."""
        out = picture_dict(partner.code, _ns(at), max_age_s)
        n = len(out["national"]) + len(out["fused"])
        audit.record(engine, partner.code, "read_picture", "/api/v1/picture", n)
        return out

    @api.get("/api/v1/tracks", response_model=History, tags=["read"])
    def tracks(
        partner: PartnerDep,
        start: Start = None,
        end: End = None,
        tracker: Annotated[str | None, Query(max_length=8)] = None,
        limit: Limit = 10_000,
    ) -> dict[str, Any]:
        """Visible track states in a time range, oldest first."""
        rows, truncated = track_history(
            engine, partner.code, _ns(start), _ns(end), tracker, None, limit
        )
        audit.record(engine, partner.code, "read_history", "/api/v1/tracks", len(rows))
        return {"tracks": rows.records(), "truncated": truncated}

    @api.get(
        "/api/v1/tracks/{tracker}/{track_id}",
        response_model=History,
        responses={404: {"description": _NOT_FOUND}},
        tags=["read"],
    )
    def one_track(
        partner: PartnerDep,
        tracker: str,
        track_id: str,
        start: Start = None,
        end: End = None,
        limit: Limit = 10_000,
    ) -> dict[str, Any]:
        """The visible history of one national track (404 if none is visible)."""
        rows, truncated = track_history(
            engine, partner.code, _ns(start), _ns(end), tracker, track_id, limit
        )
        target = f"/api/v1/tracks/{tracker}/{track_id}"
        if len(rows) == 0:
            audit.record(engine, partner.code, "read_track", target, 0, 404)
            raise HTTPException(404, _NOT_FOUND)
        audit.record(engine, partner.code, "read_track", target, len(rows))
        return {"tracks": rows.records(), "truncated": truncated}

    @api.get("/api/v1/detections", response_model=DetectionPage, tags=["read"])
    def get_detections(
        partner: PartnerDep, start: Start = None, end: End = None, limit: Limit = 10_000
    ) -> dict[str, Any]:
        """Visible detections in a time range, oldest first."""
        recs, truncated = detection_history(engine, partner.code, _ns(start), _ns(end), limit)
        audit.record(engine, partner.code, "read_detections", "/api/v1/detections", len(recs))
        return {"detections": recs, "truncated": truncated}

    @api.get(
        "/api/v1/export/czml",
        tags=["export"],
        responses={200: {"content": {"application/json": {}}, "description": "CZML"}},
    )
    def export_czml(
        partner: PartnerDep,
        start: Start = None,
        end: End = None,
        max_age_s: MaxAge = None,
        limit: Limit = 100_000,
    ) -> Response:
        """Visible track histories and the current fused tracks as a CZML document."""
        history, _ = track_history(engine, partner.code, _ns(start), _ns(end), None, None, limit)
        view = build_picture(engine, partner.code, clock, _ns(end), max_age_s, settings)
        doc = czml_document(partner.code, history, view.fused if len(view.fused) else None)
        audit.record(engine, partner.code, "export_czml", "/api/v1/export/czml", len(doc) - 1)
        return Response(
            json.dumps(doc, separators=(",", ":")),
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="picture.czml"'},
        )

    @api.get(
        "/api/v1/export/parquet",
        tags=["export"],
        responses={200: {"content": {"application/vnd.apache.parquet": {}}}},
    )
    def export_parquet(
        partner: PartnerDep, start: Start = None, end: End = None, limit: Limit = 100_000
    ) -> Response:
        """Visible track states in a time range as a Parquet ``tracks`` table."""
        history, _ = track_history(engine, partner.code, _ns(start), _ns(end), None, None, limit)
        body = tracks_parquet(history)
        audit.record(engine, partner.code, "export_parquet", "/api/v1/export/parquet", len(history))
        return Response(
            body,
            media_type="application/vnd.apache.parquet",
            headers={"Content-Disposition": 'attachment; filename="tracks.parquet"'},
        )

    @api.get("/api/v1/audit", response_model=AuditPage, tags=["read"])
    def get_audit(partner: PartnerDep, limit: Limit = 1000) -> dict[str, Any]:
        """The partner's own audit entries, newest first."""
        entries = audit.read_audit(engine, partner.code, limit)
        audit.record(engine, partner.code, "read_audit", "/api/v1/audit", len(entries))
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

    @app.websocket("/api/v1/stream")
    async def stream(ws: WebSocket) -> None:
        """Live updates visible to the partner: national messages and fused pictures."""
        header = ws.headers.get("authorization", "")
        token: str | None = header[7:].strip() if header.lower().startswith("bearer ") else None
        await ws.accept()
        if token is None:
            with contextlib.suppress(Exception):
                first = await asyncio.wait_for(ws.receive_json(), WS_AUTH_TIMEOUT_S)
                token = first.get("token") if isinstance(first, dict) else None
                token = token if isinstance(token, str) else None
        partner = await anyio.to_thread.run_sync(authenticate, engine, token)
        if partner is None:
            await anyio.to_thread.run_sync(
                audit.record, engine, None, "auth_refused", "/api/v1/stream", 0, 401
            )
            await ws.close(WS_REFUSED, _REFUSED)
            return
        sub = hub.subscribe(partner.code)
        await anyio.to_thread.run_sync(
            audit.record, engine, partner.code, "stream_open", "/api/v1/stream"
        )
        try:
            await ws.send_json({"type": "hello", "partner": partner.code})
            await ws.send_text(await stream_picture(partner.code))
            await _pump(ws, sub)
        finally:
            hub.unsubscribe(sub)
            await anyio.to_thread.run_sync(
                audit.record, engine, partner.code, "stream_close", "/api/v1/stream", sub.sent
            )
            if ws.application_state == WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):
                    await ws.close(WS_TOO_SLOW if sub.overflowed else 1000)

    async def _pump(ws: WebSocket, sub: Subscriber) -> None:
        async def drain() -> None:
            # Reading detects a client that went away; clients send nothing else.
            with contextlib.suppress(WebSocketDisconnect):
                while True:
                    msg = await ws.receive()
                    if msg["type"] == "websocket.disconnect":
                        return

        async def send() -> None:
            while True:
                text = await sub.queue.get()
                if text is None:
                    return
                await ws.send_text(text)
                sub.sent += 1

        tasks = [asyncio.create_task(drain()), asyncio.create_task(send())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    app.include_router(api)
    _declare_body_schemas(app, (TrackMessage, DetectionMessage))
    if static_dir is not None and static_dir.is_dir():
        app.mount("/", StaticFiles(directory=static_dir, html=True), name="static")
    return app


#: Environment variables read by :func:`app_from_environment` (set by ``serve --workers``).
ENV_DB, ENV_BUS = "TRACKLAYER_SERVE_DB", "TRACKLAYER_SERVE_BUS"
#: ... and the picture clock's settings (``serve --max-clock-skew-s``, ``--max-track-age-s``).
ENV_SKEW, ENV_AGE = "TRACKLAYER_SERVE_MAX_CLOCK_SKEW_S", "TRACKLAYER_SERVE_MAX_TRACK_AGE_S"


def app_from_environment() -> FastAPI:
    """The service of one worker process of ``tracklayer serve --workers N``.

    Reads the database URL from ``$TRACKLAYER_SERVE_DB``, the commit bus socket from
    ``$TRACKLAYER_SERVE_BUS`` and the picture clock's settings from :data:`ENV_SKEW` and
    :data:`ENV_AGE` (defaults when unset); the objects allocated while starting are
    frozen out of the garbage collector, as ``serve`` does for a single process.
    """
    import atexit
    import gc
    import os

    app = create_app(
        os.environ[ENV_DB],
        bus_path=os.environ.get(ENV_BUS) or None,
        writer_process=True,
        fusion_process=True,
        clock=PictureClock(
            max_clock_skew_s=float(os.environ.get(ENV_SKEW, DEFAULT_MAX_CLOCK_SKEW_S)),
            max_age_s=float(os.environ.get(ENV_AGE, DEFAULT_MAX_AGE_S)),
        ),
    )
    gc.collect()
    gc.freeze()
    atexit.register(gc.unfreeze)  # as serve does
    return app
