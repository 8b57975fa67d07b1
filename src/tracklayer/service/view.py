"""``tracklayer view DIR``: a finished run's output on the picture page's 3D globe.

A small FastAPI app on 127.0.0.1 serves the built page (``service/static/``) and the run's
scene, ``/scene.czml``: the folder's own ``scene.czml`` when it has one, or else one built
by :func:`tracklayer.io.scene.scene_czml` from its ``truth``, ``tracks``, ``ephemeris``,
``satellites`` and ``detections`` Parquet tables. The page opens in "file mode"
(``/?scene=scene.czml``): satellites, threat truth, tracks and lines of sight on a
timeline, over the threats' region with the clock playing the raid window. Nothing but
the page and the scene is served; no file of the folder is reachable by path.

The main command mounts it with :func:`register_view`; ``python -m
tracklayer.service.view DIR`` runs it alone. The app is :mod:`tracklayer.service.scene_app`.
"""

from __future__ import annotations

import threading
import time
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tracklayer._lazy import lazy_exports
from tracklayer.errors import TracklayerError

if TYPE_CHECKING:
    from tracklayer.service.scene_app import BUILD_HINT, load_scene, view_app

__all__ = ["BUILD_HINT", "load_scene", "register_view", "view", "view_app"]

# The app and its scene (FastAPI, the CZML writer) load when the command runs, so that
# `tracklayer --help` does not import them.
__getattr__, _ = lazy_exports(
    __name__,
    dict.fromkeys(("BUILD_HINT", "load_scene", "view_app"), "tracklayer.service.scene_app"),
    globals(),
)


def _open_later(url: str, server: Any) -> None:
    def wait_and_open() -> None:
        deadline = time.monotonic() + 30.0
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        if server.started:
            webbrowser.open(url)

    threading.Thread(target=wait_and_open, daemon=True).start()


def view(
    run_dir: Annotated[
        Path, typer.Argument(help="A run's output folder", file_okay=False, show_default=False)
    ],
    port: Annotated[
        int, typer.Option(help="TCP port on 127.0.0.1 (0: any free port)", min=0, max=65535)
    ] = 8765,
    browser: Annotated[
        bool, typer.Option("--browser/--no-browser", help="Open the page in a web browser")
    ] = True,
) -> None:
    """Show a finished run on the 3D globe (served on 127.0.0.1): it opens on the raid,
    playing; select an object for its figures."""
    import socket

    import uvicorn

    from tracklayer.service.scene_app import view_app

    app = view_app(run_dir)
    if port == 0:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
    url = f"http://127.0.0.1:{port}/?scene=scene.czml"
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    typer.echo(f"tracklayer view: {run_dir} at {url} (Ctrl-C to stop)", err=True)
    typer.echo(url)
    if browser:
        _open_later(url, server)
    server.run()


def register_view(app: typer.Typer) -> None:
    """Add the ``view`` command to the ``tracklayer`` command."""
    app.command("view")(view)


def main() -> None:
    """``python -m tracklayer.service.view DIR``: the command alone (errors as messages)."""
    import sys

    cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    cli.command()(view)
    try:
        cli()
    except TracklayerError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
