"""The file-mode app of ``tracklayer view``: the picture page and one run's scene.

A small FastAPI app on 127.0.0.1 serves the built page (``service/static/``) and the run's
scene, ``/scene.czml``: the folder's own ``scene.czml`` when it has one, or else one built
by :func:`tracklayer.io.scene.scene_czml` from its ``truth``, ``tracks``, ``ephemeris``,
``satellites`` and ``detections`` Parquet tables. Nothing but the page and the scene is
served; no file of the folder is reachable by path. The command itself is
:mod:`tracklayer.service.view`, which loads this module (and FastAPI) only when it runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from tracklayer.errors import InputFormatError, TracklayerError
from tracklayer.io.parquet import read_table
from tracklayer.io.scene import scene_czml

__all__ = ["BUILD_HINT", "SCENE_TABLES", "load_scene", "view_app"]

#: The tables a scene is built from, by file name in a run's output folder.
SCENE_TABLES = ("truth", "tracks", "ephemeris", "satellites", "detections")
#: How to build the page when ``service/static/`` is missing.
BUILD_HINT = (
    "the web page is not built: run `make` in the repository (it needs Node 20 and npm), "
    "or `cd web && npm ci && node build.mjs`"
)


def _static_ready(static_dir: Path) -> bool:
    return (static_dir / "index.html").is_file() and (static_dir / "cesium" / "Cesium.js").is_file()


def load_scene(run_dir: Path, max_samples: int = 400) -> bytes:
    """The CZML scene of a run's output folder, as JSON bytes.

    Parameters
    ----------
    run_dir : Path
        A run's output folder: ``scene.czml`` is used as it is (checked to be a CZML
        document: a JSON list starting with the ``document`` packet); otherwise the scene
        is built from whichever of ``truth.parquet``, ``tracks.parquet``,
        ``ephemeris.parquet``, ``satellites.parquet`` and ``detections.parquet`` are there.
    max_samples : int
        Most samples per object in a built scene.

    Raises
    ------
    TracklayerError
        The folder does not exist or holds none of those files.
    InputFormatError
        ``scene.czml`` is not a CZML document, or a table is unreadable.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise TracklayerError(f"{run_dir}: no such folder")
    czml = run_dir / "scene.czml"
    if czml.is_file():
        body = czml.read_bytes()
        try:
            doc = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputFormatError(f"{czml}: not JSON ({exc})") from None
        if not (isinstance(doc, list) and doc and isinstance(doc[0], dict)):
            raise InputFormatError(f"{czml}: a CZML document is a JSON list of packets")
        if doc[0].get("id") != "document":
            raise InputFormatError(f"{czml}: packet 0 must be the 'document' packet")
        return body
    tables: dict[str, Any] = {}
    for name in SCENE_TABLES:
        path = run_dir / f"{name}.parquet"
        if path.is_file():
            tables[name] = read_table(path)
    if not {"truth", "tracks", "ephemeris"} & tables.keys():
        raise TracklayerError(
            f"{run_dir}: nothing to show (expected scene.czml, truth.parquet, tracks.parquet "
            "or ephemeris.parquet)"
        )
    name = f"tracklayer run {run_dir.resolve().name}"
    packets = scene_czml(**tables, name=name, max_samples=max_samples)
    return json.dumps(packets, separators=(",", ":")).encode()


def view_app(run_dir: Path, static_dir: Path | None = None) -> FastAPI:
    """The file-mode app: the page at ``/`` (``/?scene=scene.czml``) and ``/scene.czml``.

    Raises :class:`TracklayerError` when the page is not built (``static_dir`` lacks
    ``index.html`` or Cesium) or the run has nothing to show; the scene is read once, here.
    """
    if static_dir is None:
        from tracklayer.service.app import STATIC_DIR

        static_dir = STATIC_DIR
    if not _static_ready(static_dir):
        raise TracklayerError(BUILD_HINT)
    scene = load_scene(run_dir)
    app = FastAPI(title="tracklayer view", openapi_url=None, docs_url=None, redoc_url=None)
    index = static_dir / "index.html"

    @app.get("/", include_in_schema=False)
    def page(request: Request) -> Response:
        if "scene" not in request.query_params:
            return RedirectResponse("/?scene=scene.czml", status_code=307)
        return FileResponse(index, headers={"Cache-Control": "no-store"})

    @app.get("/scene.czml", include_in_schema=False)
    def scene_file() -> Response:
        return Response(scene, media_type="application/json", headers={"Cache-Control": "no-store"})

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.mount("/", StaticFiles(directory=static_dir), name="static")
    return app
