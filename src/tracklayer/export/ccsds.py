"""CCSDS files of a run folder: OEM (satellites, threats, tracks), OMM and TDM (KVN, XML)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.export.folder import STATE_COLUMNS, RunFolder
from tracklayer.io.oem import write_oem_files
from tracklayer.io.omm_kvn import write_omm_kvn_files
from tracklayer.io.outputs import safe_file_name
from tracklayer.io.tdm import write_tdm_files
from tracklayer.io.tdm_xml import write_tdm_xml
from tracklayer.io.track_oem import write_track_oems
from tracklayer.io.truth_oem import write_truth_oems

__all__ = ["write_oem", "write_omm", "write_tdm", "write_tdm_xml_files"]


def write_oem(run: RunFolder, out: Path, created: datetime) -> list[Path]:
    catalog, states = run.space()
    files = write_oem_files(out / "oem" / "satellites", catalog, states, creation_date=created)
    if run.has("truth"):
        truth = run.table("truth", ["object_id", "time", *STATE_COLUMNS])
        files += write_truth_oems(truth, out / "oem" / "threats", creation_date=created)
    if run.has("tracks"):
        tracks = run.table("tracks", ["track_id", "tracker", "time", *STATE_COLUMNS, "cov"])
        files += write_track_oems(tracks, out / "oem" / "tracks", creation_date=created)
    return files


def write_omm(run: RunFolder, out: Path, created: datetime) -> list[Path]:
    catalog, _ = run.space()
    return write_omm_kvn_files(
        out / "omm", catalog.sat_id.tolist(), catalog.satrecs, creation_date=created
    )


def _detections(run: RunFolder) -> pa.Table:
    return run.table("detections", ["sensor_id", "time", "los_x", "los_y", "los_z", "range_m"])


def write_tdm(run: RunFolder, out: Path, created: datetime) -> list[Path]:
    sites = {r.name: (r.lat_rad, r.lon_rad) for r in run.scenario.radars}
    return write_tdm_files(_detections(run), out / "tdm", sites=sites, creation_date=created)


def write_tdm_xml_files(run: RunFolder, out: Path, created: datetime) -> list[Path]:
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
