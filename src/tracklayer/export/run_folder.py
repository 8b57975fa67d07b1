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

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tracklayer.errors import InputFormatError, TracklayerError
from tracklayer.io.geo import coverage_cells_geojson, geojson_to_kml, ground_tracks_geojson
from tracklayer.io.geo_areas import (
    impact_areas_geojson,
    impact_points_geojson,
    radar_fans_geojson,
)
from tracklayer.io.oem import write_oem_files
from tracklayer.io.omm_kvn import write_omm_kvn_files
from tracklayer.io.outputs import safe_file_name, write_text_atomic
from tracklayer.io.parquet import read_table
from tracklayer.io.stk import interval_list_text, stk_ephemeris_text, utcg
from tracklayer.io.tdm import write_tdm_files
from tracklayer.io.tdm_xml import write_tdm_xml
from tracklayer.io.track_oem import write_track_oems
from tracklayer.io.truth_oem import object_rows, split_by_object, write_truth_oems
from tracklayer.scenario import Scenario, load_scenario
from tracklayer.space import SatelliteCatalog
from tracklayer.space.propagate import Ephemeris
from tracklayer.stages.space import ephemeris, space_segment
from tracklayer.vocabulary import FUSED

__all__ = ["FORMATS", "RunFolder", "export_run"]

FORMATS = ("oem", "omm", "tdm", "tdm-xml", "stk", "geojson", "kml")
#: Satellite states are sampled this often for OEM and STK files, s (about 190 points a
#: revolution in low orbit, well above STK's 90).
SATELLITE_STEP_S = 30.0
_STATE = ("x", "y", "z", "vx", "vy", "vz")


class RunFolder:
    """A run folder's scenario and tables, each read once when first asked for."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise TracklayerError(f"{self.path}: no such run folder")
        scenario = self.path / "scenario.yaml"
        if not scenario.is_file():
            raise TracklayerError(f"{scenario}: not found; export reads a `tracklayer run` folder")
        self.scenario: Scenario = load_scenario(scenario)
        self._tables: dict[str, pa.Table] = {}
        self._space: tuple[SatelliteCatalog, Ephemeris] | None = None
        self.geo: dict[str, dict[str, Any]] | None = None

    def table(self, name: str, columns: Iterable[str]) -> pa.Table:
        """The table ``name.parquet``, checked to hold ``columns``."""
        if name not in self._tables:
            path = self.path / f"{name}.parquet"
            if not path.is_file():
                raise InputFormatError(f"{path}: not found (this export needs the {name} table)")
            self._tables[name] = read_table(path)
        table = self._tables[name]
        missing = [c for c in columns if c not in table.column_names]
        if missing:
            raise InputFormatError(f"{self.path / name}.parquet: lacks column(s) {missing}")
        return table

    def has(self, name: str) -> bool:
        return (self.path / f"{name}.parquet").is_file()

    def space(self) -> tuple[SatelliteCatalog, Ephemeris]:
        """The space segment and its states every :data:`SATELLITE_STEP_S` over the span."""
        if self._space is None:
            catalog = space_segment(self.scenario)
            seconds = np.arange(0.0, self.scenario.duration_s + 1e-9, SATELLITE_STEP_S)
            self._space = (catalog, ephemeris(self.scenario, catalog, seconds))
        return self._space

    @property
    def epoch_ns(self) -> int:
        return int(self.scenario.epoch.timestamp() * 1e9)


def _relative(out: Path, paths: Iterable[Path]) -> list[Path]:
    return [p.relative_to(out) for p in paths]


def _oem(run: RunFolder, out: Path, created: datetime) -> list[Path]:
    catalog, states = run.space()
    files = write_oem_files(out / "oem" / "satellites", catalog, states, creation_date=created)
    if run.has("truth"):
        truth = run.table("truth", ["object_id", "time", *_STATE])
        files += write_truth_oems(truth, out / "oem" / "threats", creation_date=created)
    if run.has("tracks"):
        tracks = run.table("tracks", ["track_id", "tracker", "time", *_STATE, "cov"])
        files += write_track_oems(tracks, out / "oem" / "tracks", creation_date=created)
    return files


def _omm(run: RunFolder, out: Path, created: datetime) -> list[Path]:
    catalog, _ = run.space()
    return write_omm_kvn_files(
        out / "omm", catalog.sat_id.tolist(), catalog.satrecs, creation_date=created
    )


def _detections(run: RunFolder) -> pa.Table:
    return run.table("detections", ["sensor_id", "time", "los_x", "los_y", "los_z", "range_m"])


def _tdm(run: RunFolder, out: Path, created: datetime) -> list[Path]:
    sites = {r.name: (r.lat_rad, r.lon_rad) for r in run.scenario.radars}
    return write_tdm_files(_detections(run), out / "tdm", sites=sites, creation_date=created)


def _tdm_xml(run: RunFolder, out: Path, created: datetime) -> list[Path]:
    sites = {r.name: (r.lat_rad, r.lon_rad) for r in run.scenario.radars}
    table = _detections(run)
    files = []
    for name, time_ns, rows in _by_sensor(table):
        site = sites.get(name)
        los = np.column_stack(
            [rows[c].to_numpy(zero_copy_only=False) for c in ("los_x", "los_y", "los_z")]
        )
        rng = rows["range_m"].to_numpy(zero_copy_only=False) if site is not None else None
        files.append(
            write_tdm_xml(
                out / "tdm-xml" / safe_file_name(name, ".xml"),
                name,
                time_ns,
                los,
                range_m=rng,
                site_lat_lon_rad=site,
                creation_date=created,
            )
        )
    return files


def _by_sensor(table: pa.Table) -> list[tuple[str, np.ndarray, pa.Table]]:
    """Each sensor's detections in time order: (sensor_id, time ns, rows)."""
    ordered = table.sort_by([("sensor_id", "ascending"), ("time", "ascending")])
    names = np.asarray(pc.cast(ordered["sensor_id"], pa.string()).to_pylist(), dtype=np.str_)
    time_ns = np.asarray(pc.cast(ordered["time"], pa.int64()).to_numpy(zero_copy_only=False))
    unique, starts = np.unique(names, return_index=True)
    ends = np.append(starts[1:], names.size)
    return [
        (str(n), time_ns[a:b], ordered.slice(a, b - a))
        for n, a, b in zip(unique.tolist(), starts.tolist(), ends.tolist(), strict=True)
    ]


def _stk(run: RunFolder, out: Path, created: datetime) -> list[Path]:
    del created  # STK files carry no creation date
    epoch = run.epoch_ns
    catalog, states = run.space()
    stamps = epoch + np.round(states.seconds * 1e9).astype(np.int64)
    files = []
    for i, sat_id in enumerate(catalog.sat_id.tolist()):
        ok = states.valid[i]
        if ok.any():
            text = stk_ephemeris_text(
                stamps[ok], np.concatenate([states.r_ecef[i][ok], states.v_ecef[i][ok]], axis=1),
                epoch, interpolation=("Lagrange", 7), comment=f"satellite {sat_id}",
            )  # fmt: skip
            files.append(
                write_text_atomic(out / "stk" / "satellites" / safe_file_name(sat_id, ".e"), text)
            )
    if run.has("truth"):
        files += _stk_threats(run, out, epoch)
    if run.has("tracks"):
        files += _stk_tracks(run, out, epoch)
    files.append(write_text_atomic(out / "stk" / "README.txt", _stk_readme(run)))
    return files


def _stk_readme(run: RunFolder) -> str:
    """How an STK user loads the files: the scenario's time span, frame and units."""
    start = utcg(run.epoch_ns)
    stop = utcg(run.epoch_ns + int(run.scenario.duration_s * 1e9))
    return (
        f"STK external files of the tracklayer scenario {run.scenario.name!r}\n\n"
        f"Scenario analysis period: {start} UTCG to {stop} UTCG; every .e file's\n"
        "ScenarioEpoch is the start, its times seconds after it.\n"
        "States: Earth-fixed axes (CentralBody Earth, CoordinateSystem Fixed), metres and\n"
        "metres per second; tracks carry 6x6 covariances (CovarianceTimePosVel, m^2...).\n\n"
        "satellites/*.e  the space segment, every 30 s (Lagrange, 7 samples)\n"
        "threats/*.e     each threat's true flight (Hermite); threats/*_boost.int its\n"
        "                powered flight, an interval list (e.g. for a constraint)\n"
        "tracks/*.e      each tracker's tracks, TRACKER_TRACKID (Hermite, covariance)\n\n"
        "To load: insert a Satellite (satellites) or a Missile/Aircraft object (threats,\n"
        "tracks), set its propagator to StkExternal and pick the .e file.\n"
    )


def _intervals(time_ns: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Starts and stops of the runs of samples no more than 1.5 median steps apart."""
    if time_ns.size < 3:
        return time_ns[:1], time_ns[-1:]
    step = np.diff(time_ns)
    gaps = np.flatnonzero(step > 1.5 * np.median(step))
    return time_ns[np.append(0, gaps + 1)], time_ns[np.append(gaps, time_ns.size - 1)]


def _stk_threats(run: RunFolder, out: Path, epoch: int) -> list[Path]:
    truth = run.table("truth", ["object_id", "time", "phase", *_STATE])
    folder = out / "stk" / "threats"
    files = [
        write_text_atomic(
            folder / safe_file_name(name, ".e"),
            stk_ephemeris_text(
                time_ns, state, epoch, interpolation=("Hermite", 1), comment=f"threat {name}"
            ),
        )
        for name, time_ns, state in split_by_object(truth)
    ]
    boost = truth.filter(pc.equal(pc.cast(truth["phase"], pa.string()), "boost"))
    for name, time_ns, _ in split_by_object(boost):
        text = interval_list_text(*_intervals(time_ns))
        files.append(write_text_atomic(folder / safe_file_name(f"{name}_boost", ".int"), text))
    return files


def _stk_tracks(run: RunFolder, out: Path, epoch: int) -> list[Path]:
    tracks = run.table("tracks", ["track_id", "tracker", "time", *_STATE, "cov"])
    key = pc.binary_join_element_wise(tracks["tracker"], tracks["track_id"], "_")
    time_ns = np.asarray(pc.cast(tracks["time"], pa.int64()).to_numpy(zero_copy_only=False))
    states = np.column_stack([tracks[c].to_numpy(zero_copy_only=False) for c in _STATE])
    cov = np.asarray(tracks["cov"].combine_chunks().flatten().to_numpy(), np.float64)
    cov = cov.reshape(-1, 6, 6)
    files = []
    for name, rows in object_rows(tracks.append_column("object_id", key)):
        text = stk_ephemeris_text(
            time_ns[rows], states[rows], epoch, covariance=cov[rows],
            interpolation=("Hermite", 1), comment=f"track {name}",
        )  # fmt: skip
        files.append(write_text_atomic(out / "stk" / "tracks" / safe_file_name(name, ".e"), text))
    return files


def geo_layers(run: RunFolder) -> dict[str, dict[str, Any]]:
    """The GeoJSON layers a run folder holds, by name (module notes)."""
    layers: dict[str, dict[str, Any]] = {}
    if run.has("coverage_cells"):
        layers["coverage_cells"] = coverage_cells_geojson(
            run.table("coverage_cells", ["lat_deg", "lon_deg"])
        )
    catalog, states = run.space()
    n, t = states.r_ecef.shape[:2]
    stamps = run.epoch_ns + np.round(states.seconds * 1e9).astype(np.int64)
    layers["satellite_ground_tracks"] = ground_tracks_geojson(
        np.repeat(catalog.sat_id, t), np.tile(stamps, n), states.r_ecef.reshape(-1, 3)
    )
    if run.has("truth"):
        truth = run.table("truth", ["object_id", "time", "x", "y", "z"])
        if {"lat", "lon", "alt", "kind"} <= set(truth.column_names):
            layers["threat_impacts"] = impact_points_geojson(truth)
        layers["threat_ground_tracks"] = ground_tracks_geojson(
            np.asarray(pc.cast(truth["object_id"], pa.string()).to_pylist()),
            pc.cast(truth["time"], pa.int64()).to_numpy(zero_copy_only=False),
            np.column_stack([truth[c].to_numpy(zero_copy_only=False) for c in ("x", "y", "z")]),
        )
    if run.has("tracks"):
        tracks = run.table("tracks", ["track_id", "tracker", "time", *_STATE, "cov", "status"])
        confirmed = tracks.filter(pc.equal(tracks["status"], "confirmed"))
        trackers = set(pc.unique(confirmed["tracker"]).to_pylist())
        layers["impact_areas"] = impact_areas_geojson(
            confirmed, trackers=[FUSED] if FUSED in trackers else None
        )
    if run.scenario.radars:
        layers["radar_fans"] = radar_fans_geojson(run.scenario.radars)
    return layers


def _layers(run: RunFolder) -> dict[str, dict[str, Any]]:
    if run.geo is None:
        run.geo = geo_layers(run)
    return run.geo


def _geojson(run: RunFolder, out: Path, created: datetime) -> list[Path]:
    return [
        write_text_atomic(out / "geo" / f"{name}.geojson", json.dumps(layer, allow_nan=False))
        for name, layer in _layers(run).items()
    ]


def _kml(run: RunFolder, out: Path, created: datetime) -> list[Path]:
    return [
        write_text_atomic(out / "geo" / f"{name}.kml", geojson_to_kml(layer, name), "utf-8")
        for name, layer in _layers(run).items()
    ]


_WRITERS: dict[str, Callable[[RunFolder, Path, datetime], list[Path]]] = {
    "oem": _oem,
    "omm": _omm,
    "tdm": _tdm,
    "tdm-xml": _tdm_xml,
    "stk": _stk,
    "geojson": _geojson,
    "kml": _kml,
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
