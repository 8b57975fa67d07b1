"""Command-line commands of the picture service: ``serve`` and ``partner add|list|rotate|revoke``.

The main ``tracklayer`` command mounts them with :func:`register`. A token is printed once,
on stdout alone (so ``TOKEN=$(tracklayer partner add USA)`` works), when it is issued; the
database keeps only its hash.
"""

from __future__ import annotations

import atexit
import gc
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

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


def serve(
    db: DbOption,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port", min=1, max=65535)] = 8000,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
    ws_deflate: Annotated[
        bool,
        typer.Option(
            help="Offer per-message deflate on the live stream (less traffic on slow links, "
            "one compression per subscriber and update on the server)"
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            help="Worker processes sharing the port; they see each other's commits through "
            "a local bus, so every stream shows every partner's messages",
            min=1,
            max=64,
        ),
    ] = 1,
) -> None:
    """Run the picture service (FastAPI on uvicorn); migrates the database first."""
    import uvicorn

    from tracklayer.service.app import ENV_BUS, ENV_DB, create_app
    from tracklayer.service.logs import configure_logging

    configure_logging(log_level)
    if workers > 1:
        _serve_workers(db, host, port, log_level, ws_deflate, workers, ENV_DB, ENV_BUS)
        return
    app = create_app(db, writer_process=True, fusion_process=True)
    # Everything allocated so far (the imported libraries, the app) lives as long as the
    # process: moved out of the collector's view, a full collection scans only what requests
    # allocate (without this, ~150k objects and ~100 ms per full collection under load).
    gc.collect()
    gc.freeze()
    # Unfrozen again at exit: extension modules that count their live objects when the
    # interpreter ends (DuckDB's) would otherwise report the frozen ones as leaks.
    atexit.register(gc.unfreeze)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        log_level=log_level.lower(),
        ws_per_message_deflate=ws_deflate,
    )


def _serve_workers(
    db: str,
    host: str,
    port: int,
    log_level: str,
    ws_deflate: bool,
    workers: int,
    env_db: str,
    env_bus: str,
) -> None:
    """``serve`` as several uvicorn worker processes joined by a commit bus."""
    import os
    import shutil

    import uvicorn

    from tracklayer.service.bus import BusBroker, new_bus_path

    _engine(db).dispose()  # migrated once here, before the workers start
    broker = BusBroker(new_bus_path())
    broker.start()
    os.environ[env_db] = db
    os.environ[env_bus] = str(broker.path)
    try:
        uvicorn.run(
            "tracklayer.service.app:app_from_environment",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_config=None,
            log_level=log_level.lower(),
            ws_per_message_deflate=ws_deflate,
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
