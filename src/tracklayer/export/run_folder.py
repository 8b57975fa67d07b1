"""A run folder's scenario in the standards other tools read: CCSDS, STK, GeoJSON/KML.

:func:`export_run` reads a run folder (``scenario.yaml`` and the tables ``tracklayer
run`` writes) and writes, per format asked for:

========== =====================================================================
format     files
========== =====================================================================
``oem``    ``oem/satellites/*.oem`` (the space segment propagated over the span),
           ``oem/threats/*.oem`` (truth), ``oem/tracks/*.oem`` (with covariance)
``omm``    ``omm/*.omm``: each satellite's SGP4 elements, OMM in KVN
``tdm``    ``tdm/*.tdm``: each sensor's detections, TDM in KVN
``tdm-xml`` ``tdm-xml/*.xml``: the same in the XML encoding
``stk``    ``stk/satellites/*.e``, ``stk/threats/*.e``, ``stk/tracks/*.e`` (covariance),
           ``stk/threats/*_boost.int`` (each threat's powered flight)
``geojson`` ``geo/*.geojson``: coverage cells, ground tracks of satellites and threats,
           tracks' predicted impact areas, the threats' true impacts, radar fans
``kml``    ``geo/*.kml``: the same layers in KML 2.2
========== =====================================================================

All times are UTC, all states ECEF (CCSDS ``ITRF``, STK ``Fixed``); every STK file
carries the scenario's epoch as ``ScenarioEpoch``. A table a format needs that the folder
lacks is an error naming the file (nothing is written then: the command stages its output).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from tracklayer.errors import TracklayerError
from tracklayer.export.ccsds import write_oem, write_omm, write_tdm, write_tdm_xml_files
from tracklayer.export.folder import RunFolder
from tracklayer.export.geo_layers import write_geojson, write_kml
from tracklayer.export.stk_files import write_stk

__all__ = ["FORMATS", "export_run"]

FORMATS = ("oem", "omm", "tdm", "tdm-xml", "stk", "geojson", "kml")


def _relative(out: Path, paths: Iterable[Path]) -> list[Path]:
    return [p.relative_to(out) for p in paths]


_WRITERS: dict[str, Callable[[RunFolder, Path, datetime], list[Path]]] = {
    "oem": write_oem,
    "omm": write_omm,
    "tdm": write_tdm,
    "tdm-xml": write_tdm_xml_files,
    "stk": write_stk,
    "geojson": write_geojson,
    "kml": write_kml,
}


def export_run(
    run_dir: Path,
    out_dir: Path,
    formats: Iterable[str] = FORMATS,
    *,
    creation_date: datetime | None = None,
) -> list[Path]:
    """Write a run folder's scenario in ``formats`` (module notes) under ``out_dir``.

    Returns
    -------
    list of Path
        The files written, relative to ``out_dir``.

    Raises
    ------
    TracklayerError
        An unknown format, a missing run folder, scenario or table (named).
    """
    asked = list(dict.fromkeys(formats))
    unknown = [f for f in asked if f not in _WRITERS]
    if unknown:
        raise TracklayerError(f"--format: unknown {unknown}; choose from {', '.join(FORMATS)}")
    run = RunFolder(run_dir)
    created = creation_date or datetime.now(UTC)
    files: list[Path] = []
    for name in asked:
        files += _WRITERS[name](run, out_dir, created)
    return _relative(out_dir, files)
