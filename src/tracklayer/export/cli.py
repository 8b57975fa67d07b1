"""The ``tracklayer export`` command: a run folder in CCSDS, STK and GeoJSON/KML files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["register"]

_FORMATS = "oem, omm, tdm, tdm-xml, stk, geojson, kml"


def export(
    run_dir: Annotated[
        Path, typer.Argument(help="A run folder written by `tracklayer run`", show_default=False)
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (default: RUN_DIR/export)")
    ] = None,
    formats: Annotated[
        list[str] | None,
        typer.Option("--format", "-f", help=f"Repeat for several: {_FORMATS} (default: all)"),
    ] = None,
) -> None:
    """Write a run's satellites, threats, tracks and detections in standard formats:
    CCSDS OEM/OMM/TDM, STK .e/.int, GeoJSON and KML (coverage, ground tracks, impact
    areas, radar fans)."""
    from tracklayer.errors import TracklayerError
    from tracklayer.export.run_folder import FORMATS, export_run
    from tracklayer.io.outputs import staged_output

    if not Path(run_dir).is_dir():  # before staging, which would create the folder
        raise TracklayerError(f"{run_dir}: no such run folder")
    target = out if out is not None else Path(run_dir) / "export"
    with staged_output(target) as stage:
        written = export_run(run_dir, stage, formats or FORMATS)
    console = Console()
    console.print(f"[bold]{len(written)} files[/] in {target}/")
    folders: dict[str, int] = {}
    for path in written:
        folder = path.parent.as_posix()
        folders[folder] = folders.get(folder, 0) + 1
    for folder, count in sorted(folders.items()):
        console.print(f"  {folder}/ ({count} files)")


def register(app: typer.Typer) -> None:
    """Add ``export`` to the ``tracklayer`` command."""
    app.command(name="export")(export)
