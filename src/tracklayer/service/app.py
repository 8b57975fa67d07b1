"""The picture service: a FastAPI application over the picture database.

Routes (all under ``/api/v1`` need a partner's bearer token; ``/health`` and the OpenAPI
schema do not), one module per resource in :mod:`tracklayer.service.routes`:

- ingest (:mod:`~tracklayer.service.routes.ingest`): ``POST /api/v1/tracks``,
  ``POST /api/v1/detections``, ``POST /api/v1/detections/tdm`` (a CCSDS TDM body; see
  :mod:`tracklayer.service.tdm_ingest`): 201 once the message is durably committed (group
  commit: concurrent messages share one transaction), 200 for a retry of a stored
  message, 409 for a reused id, 422 naming the field of a bad one (nothing stored).
- reads (:mod:`~tracklayer.service.routes.reads`): ``GET /api/v1/picture`` (current
  national tracks and their fusion); ``GET /api/v1/tracks``,
  ``/api/v1/tracks/{tracker}/{track_id}``, ``/api/v1/detections``: history by time range.
- export (:mod:`~tracklayer.service.routes.export`): ``GET /api/v1/export/czml``,
  ``/api/v1/export/parquet``.
- admin (:mod:`~tracklayer.service.routes.admin`): ``GET /health``, ``/api/v1/me``,
  ``/api/v1/audit`` (own entries).
- stream (:mod:`~tracklayer.service.routes.stream`): ``WS /api/v1/stream``, live updates.
  The stream's pictures come from a :class:`~tracklayer.service.live_picture.LivePicture`,
  kept up to date from the service's commits (this process's, and with several workers
  the others' through the commit bus, :mod:`tracklayer.service.bus`) plus a seed read once
  per partner; ``GET /api/v1/picture`` reads the database on each call.

The application's parts live in one :class:`~tracklayer.service.state.ServiceState`
reached through the dependencies of :mod:`tracklayer.service.deps`; domain errors map to
status codes in :mod:`tracklayer.service.errors`. A partner sees only records released to
it, by every route; a track it may not see gets the same 404 as one that does not exist.
Static files in ``service/static/`` (the web page), when present, are served at ``/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from tracklayer.service.body import declare_body_schemas
from tracklayer.service.clock import (
    DEFAULT_MAX_AGE_S,
    DEFAULT_MAX_CLOCK_SKEW_S,
    PictureClock,
    scaled_clock,
)
from tracklayer.service.deps import current_partner
from tracklayer.service.errors import install_error_handlers
from tracklayer.service.guard import DEFAULT_MAX_BODY_BYTES, GuardMiddleware
from tracklayer.service.logs import RequestLogMiddleware
from tracklayer.service.picture import FusionSettings
from tracklayer.service.routes import admin, export, ingest, reads, stream
from tracklayer.service.schemas import DetectionMessage, TrackMessage
from tracklayer.service.state import ServiceOptions, ServiceState, build_state

__all__ = ["STATIC_DIR", "create_app", "current_partner"]

#: Where the web page's built files go; served at ``/`` when the folder exists.
STATIC_DIR = Path(__file__).resolve().parent / "static"


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
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    docs: bool = False,
    clock: PictureClock | None = None,
    fused_record_interval_s: float = 0.0,
) -> FastAPI:
    """Build the service on the database at ``db_url`` (created and migrated if needed).

    Parameters
    ----------
    db_url : str
        ``sqlite:///path``, a plain file path (SQLite), or ``postgresql://user:pw@host/db``.
    static_dir : Path, optional
        Folder served at ``/`` when it exists (the web page).
    max_body_bytes : int
        Largest request body, bytes, counted as it is read (413 past it).
    docs : bool
        Serve the interactive API pages (``/docs``, ``/redoc``); off by default, since
        their scripts come from a public CDN. The OpenAPI document (``/openapi.json``) is
        always served.
    fusion, picture_interval_s, stream_queue_size, commit_max_batch, commit_linger_s
        How the service runs: fields of :class:`~tracklayer.service.state.ServiceOptions`,
        documented there.
    bus_path, writer_process, fusion_process, clock, fused_record_interval_s
        The same.
    """
    options = ServiceOptions(
        fusion=fusion or FusionSettings(),
        picture_interval_s=picture_interval_s,
        stream_queue_size=stream_queue_size,
        commit_max_batch=commit_max_batch,
        commit_linger_s=commit_linger_s,
        bus_path=bus_path,
        writer_process=writer_process,
        fusion_process=fusion_process,
        clock=clock or PictureClock(),
        fused_record_interval_s=fused_record_interval_s,
    )
    return _assemble(build_state(db_url, options), static_dir, max_body_bytes, docs)


def _assemble(
    state: ServiceState, static_dir: Path | None, max_body_bytes: int, docs: bool
) -> FastAPI:
    """The application over ``state``: its middleware, error handlers and routers."""
    app = FastAPI(
        title="tracklayer picture service",
        version="1",
        description="Allied track sharing with releasability and track-to-track fusion.",
        lifespan=_lifespan(state),
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
    )
    _expose(app, state)
    too_large = state.metrics.rejected("too_large").inc
    app.add_middleware(GuardMiddleware, max_body_bytes=max_body_bytes, on_too_large=too_large)
    # The outermost: it logs and counts the guard's 413s too.
    app.add_middleware(RequestLogMiddleware, metrics=state.metrics)
    install_error_handlers(app)
    for router in (
        admin.health_router,
        admin.router,
        ingest.router,
        reads.router,
        export.router,
        stream.router,
    ):
        app.include_router(router)
    declare_body_schemas(app, (TrackMessage, DetectionMessage))
    if static_dir is not None and static_dir.is_dir():
        app.mount("/", StaticFiles(directory=static_dir, html=True), name="static")
    return app


def _lifespan(state: ServiceState) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start the state's background parts with the application, and stop them after it."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await state.stop()

    return lifespan


def _expose(app: FastAPI, state: ServiceState) -> None:
    """Put the state on ``app.state``: whole for the dependencies, and its main parts by
    name for operators and tests."""
    app.state.service = state
    app.state.engine = state.engine
    app.state.clock = state.clock
    app.state.hub = state.hub
    app.state.live_picture = state.live
    app.state.committer = state.committer


#: Environment variables read by :func:`app_from_environment` (set by ``serve --workers``):
#: the database URL, the commit bus socket, and ``create_app``'s options as JSON.
ENV_DB, ENV_BUS = "TRACKLAYER_SERVE_DB", "TRACKLAYER_SERVE_BUS"
ENV_OPTIONS = "TRACKLAYER_SERVE_OPTIONS"


def app_from_environment() -> FastAPI:
    """The service of one worker process of ``tracklayer serve --workers N``.

    Reads the database URL from ``$TRACKLAYER_SERVE_DB``, the commit bus socket from
    ``$TRACKLAYER_SERVE_BUS`` and options (``max_body_bytes``, ``docs``,
    ``max_clock_skew_s``, ``max_track_age_s``, ``fused_record_interval_s``, and a scaled
    clock's ``clock_rate``, ``clock_start_ns``, ``clock_anchor_ns``) as a JSON object from
    ``$TRACKLAYER_SERVE_OPTIONS``; the objects allocated while starting are frozen out of
    the garbage collector, as ``serve`` does for a single process.
    """
    import atexit
    import gc
    import json
    import os

    options = json.loads(os.environ.get(ENV_OPTIONS) or "{}")
    app = create_app(
        os.environ[ENV_DB],
        bus_path=os.environ.get(ENV_BUS) or None,
        writer_process=True,
        fusion_process=True,
        max_body_bytes=int(options.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
        docs=bool(options.get("docs", False)),
        clock=scaled_clock(
            float(options.get("max_clock_skew_s", DEFAULT_MAX_CLOCK_SKEW_S)),
            float(options.get("max_track_age_s", DEFAULT_MAX_AGE_S)),
            float(options.get("clock_rate", 1.0)),
            options.get("clock_start_ns"),
            options.get("clock_anchor_ns"),
        ),
        fused_record_interval_s=float(options.get("fused_record_interval_s", 1.0)),
    )
    gc.collect()
    gc.freeze()
    atexit.register(gc.unfreeze)  # as serve does
    return app
