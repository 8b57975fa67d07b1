"""Command-line commands of the picture service: ``serve`` and ``partner add|list|rotate|revoke``.

The main ``tracklayer`` command mounts them with :func:`register`. A token is printed once,
on stdout alone (so ``TOKEN=$(tracklayer partner add USA)`` works), when it is issued; the
database keeps only its hash.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

# Light modules (constants and small classes); the database and web stacks load when a
# command runs, not for --help.
from tracklayer.service.clock import (
    DEFAULT_MAX_AGE_S,
    DEFAULT_MAX_CLOCK_SKEW_S,
    MAX_RATE,
    PictureClock,
    ScaledTime,
    scaled_clock,
)
from tracklayer.service.guard import DEFAULT_MAX_BODY_BYTES

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["register"]

_err = Console(stderr=True)


def _default_db_url() -> str:
    # The database modules (SQLAlchemy) load when a command runs, not for --help.
    from tracklayer.service.db import default_db_url

    return default_db_url()


DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        help="Database: sqlite:///path, a file path, or postgresql://user:pw@host/db "
        "(default: $TRACKLAYER_DB or ~/.local/share/tracklayer/picture.db)",
        default_factory=_default_db_url,
        show_default=False,
    ),
]
CodeArg = Annotated[str, typer.Argument(help="ISO 3166-1 alpha-3 code, e.g. USA")]


MaxBodyOption = Annotated[
    float,
    typer.Option(
        help="Largest request body, MB (10^6 bytes), counted as it is read: a message of "
        "10,000 track states is about 9.3 MB",
        min=0.001,
        max=1024.0,
    ),
]
DocsOption = Annotated[
    bool,
    typer.Option(
        help="Serve the interactive API pages /docs and /redoc (their scripts "
        "come from a public CDN)"
    ),
]
CertOption = Annotated[
    str | None,
    typer.Option(help="TLS certificate chain (PEM): serve HTTPS and WSS (with --ssl-keyfile)"),
]
KeyOption = Annotated[str | None, typer.Option(help="TLS private key (PEM) of --ssl-certfile")]


DeflateOption = Annotated[
    bool,
    typer.Option(
        help="Offer per-message deflate on the live stream (less traffic on slow links, "
        "one compression per subscriber and update on the server)"
    ),
]
WorkersOption = Annotated[
    int,
    typer.Option(
        help="Worker processes sharing the port; they see each other's commits through "
        "a local bus, so every stream shows every partner's messages",
        min=1,
        max=64,
    ),
]
SkewOption = Annotated[
    float,
    typer.Option(
        help="Refuse (422) track states and detections timed more than this many "
        "seconds after the server clock",
        min=0.0,
        max=3600.0,
    ),
]
AgeOption = Annotated[
    float,
    typer.Option(
        help="A track not updated for this many seconds (by the server clock) leaves the picture",
        min=0.001,
        max=1.0e7,
    ),
]
FusedIntervalOption = Annotated[
    float,
    typer.Option(
        help="Store every partner's fused (system) tracks this often, s, for their "
        "history and export (0: never)",
        min=0.0,
        max=3600.0,
    ),
]

ClockRateOption = Annotated[
    float,
    typer.Option(
        help="Picture seconds per wall second: the server clock of an exercise replayed "
        "faster than real time (tracklayer exercise --speed); set here only, no request "
        "moves it",
        min=0.001,
        max=MAX_RATE,
    ),
]
ClockStartOption = Annotated[
    str | None,
    typer.Option(help="The picture's time at the clock's anchor, ISO 8601 with zone"),
]
ClockAnchorOption = Annotated[
    str | None,
    typer.Option(
        help="Wall time at which the clock reads --clock-start, ISO 8601 with zone "
        "(default: now; a restarted service passes the one printed at start)"
    ),
]


def _utc_ns(text: str | None, option: str) -> int | None:
    """An ISO 8601 time with zone as UTC ns since the Unix epoch (None stays None)."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time", param_hint=option) from None
    if when.tzinfo is None:
        raise typer.BadParameter(f"{text!r} needs a time zone (e.g. Z)", param_hint=option)
    return round(when.timestamp() * 1e6) * 1000


def _server_clock(
    skew_s: float, age_s: float, rate: float, start: str | None, anchor: str | None
) -> tuple[PictureClock, dict[str, Any]]:
    """``serve``'s clock, and its options for worker processes (the anchor fixed now)."""
    start_ns = _utc_ns(start, "--clock-start")
    anchor_ns = _utc_ns(anchor, "--clock-anchor")
    if rate != 1.0 or start_ns is not None:
        anchor_ns = time.time_ns() if anchor_ns is None else anchor_ns
    clock = scaled_clock(skew_s, age_s, rate, start_ns, anchor_ns)
    times: dict[str, Any] = {"max_clock_skew_s": skew_s, "max_track_age_s": age_s}
    scaled = clock.now_ns
    if isinstance(scaled, ScaledTime):
        times.update(clock_rate=rate, clock_start_ns=scaled.start_ns, clock_anchor_ns=anchor_ns)
        _err.print(
            f"picture clock: {rate:g}x wall time, {_iso(scaled.start_ns)} at wall time "
            f"{_iso(scaled.anchor_ns)} (a restart resumes it with --clock-rate {rate:g} "
            f"--clock-start {_iso(scaled.start_ns)} --clock-anchor {_iso(scaled.anchor_ns)})",
            highlight=False,
        )
    return clock, times


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="microseconds")


def serve(
    db: DbOption,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port", min=1, max=65535)] = 8000,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
    ws_deflate: DeflateOption = False,
    workers: WorkersOption = 1,
    max_body_mb: MaxBodyOption = DEFAULT_MAX_BODY_BYTES / 1e6,
    docs: DocsOption = False,
    ssl_certfile: CertOption = None,
    ssl_keyfile: KeyOption = None,
    max_clock_skew_s: SkewOption = DEFAULT_MAX_CLOCK_SKEW_S,
    max_track_age_s: AgeOption = DEFAULT_MAX_AGE_S,
    fused_record_interval_s: FusedIntervalOption = 1.0,
    clock_rate: ClockRateOption = 1.0,
    clock_start: ClockStartOption = None,
    clock_anchor: ClockAnchorOption = None,
) -> None:
    """Run the picture service (FastAPI on uvicorn); migrates the database first.

    Tokens travel in every request: serve HTTPS, either with --ssl-certfile and
    --ssl-keyfile or behind a TLS-terminating reverse proxy on the same host.
    """
    import uvicorn

    from tracklayer.service.app import ENV_OPTIONS, create_app
    from tracklayer.service.logs import configure_logging

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise typer.BadParameter("give both --ssl-certfile and --ssl-keyfile, or neither")
    configure_logging(log_level)
    options = {
        "max_body_bytes": int(max_body_mb * 1e6),
        "docs": docs,
        "fused_record_interval_s": fused_record_interval_s,
    }
    server = {
        "host": host,
        "port": port,
        "log_config": None,
        "log_level": log_level.lower(),
        "ws_per_message_deflate": ws_deflate,
        "ssl_certfile": ssl_certfile,
        "ssl_keyfile": ssl_keyfile,
    }
    clock, times = _server_clock(
        max_clock_skew_s, max_track_age_s, clock_rate, clock_start, clock_anchor
    )
    if workers > 1:
        os.environ[ENV_OPTIONS] = json.dumps({**options, **times})
        _serve_workers(db, workers, server)
        return
    app = create_app(db, writer_process=True, fusion_process=True, clock=clock, **options)  # type: ignore[arg-type]
    # Everything allocated so far (the imported libraries, the app) lives as long as the
    # process: moved out of the collector's view, a full collection scans only what requests
    # allocate (without this, ~150k objects and ~100 ms per full collection under load).
    gc.collect()
    gc.freeze()
    # Unfrozen again at exit: extension modules that count their live objects when the
    # interpreter ends (DuckDB's) would otherwise report the frozen ones as leaks.
    atexit.register(gc.unfreeze)
    uvicorn.run(app, **server)  # type: ignore[arg-type]


def _serve_workers(db: str, workers: int, server: dict[str, Any]) -> None:
    """``serve`` as several uvicorn worker processes joined by a commit bus."""
    import shutil

    import uvicorn

    from tracklayer.service.app import ENV_BUS, ENV_DB
    from tracklayer.service.bus import BusBroker, new_bus_path

    _engine(db).dispose()  # migrated once here, before the workers start
    broker = BusBroker(new_bus_path())
    broker.start()
    os.environ[ENV_DB] = db
    os.environ[ENV_BUS] = str(broker.path)
    try:
        uvicorn.run(
            "tracklayer.service.app:app_from_environment",
            factory=True,
            workers=workers,
            **server,
        )
    finally:
        broker.stop()
        shutil.rmtree(broker.path.parent, ignore_errors=True)


def _engine(db: str) -> Engine:
    from tracklayer.service.db import make_engine, migrate

    engine = make_engine(db)
    migrate(engine)
    return engine


def partner_add(
    code: CodeArg,
    db: DbOption,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
) -> None:
    """Register a partner and print its token (shown only this once)."""
    from tracklayer.service.auth import add_partner

    token = add_partner(_engine(db), code, name)
    _err.print(f"partner {code} added; its token (store it now, it is not kept):")
    typer.echo(token)


def partner_rotate(code: CodeArg, db: DbOption) -> None:
    """Issue a new token for a partner and print it; the old token stops working."""
    from tracklayer.service.auth import rotate_token

    token = rotate_token(_engine(db), code)
    _err.print(f"partner {code}: new token (the previous one no longer works):")
    typer.echo(token)


def partner_revoke(code: CodeArg, db: DbOption) -> None:
    """Refuse every further request of a partner (its records stay in the picture)."""
    from tracklayer.service.auth import revoke_partner

    revoke_partner(_engine(db), code)
    _err.print(f"partner {code} revoked")


def partner_list(db: DbOption) -> None:
    """List partners, their state and when their token was issued."""
    from rich.table import Table

    from tracklayer.service.auth import list_partners

    table = Table("code", "name", "state", "token issued (UTC)")
    for p in list_partners(_engine(db)):
        issued = datetime.fromtimestamp(p.token_issued_ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M")
        table.add_row(p.code, p.name, "active" if p.active else "revoked", issued)
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``serve`` and the ``partner`` command group to the ``tracklayer`` command."""
    app.command("serve")(serve)
    partner = typer.Typer(help="Manage partner nations and their tokens.", no_args_is_help=True)
    partner.command("add")(partner_add)
    partner.command("list")(partner_list)
    partner.command("rotate")(partner_rotate)
    partner.command("revoke")(partner_revoke)
    app.add_typer(partner, name="partner")
