"""GeoJSON and KML layers of a run folder: coverage cells, ground tracks, predicted impact
areas, the threats' true impacts and radar fans."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.export.folder import STATE_COLUMNS, RunFolder
from tracklayer.io.geo import coverage_cells_geojson, geojson_to_kml, ground_tracks_geojson
from tracklayer.io.geo_areas import (
    impact_areas_geojson,
    impact_points_geojson,
    radar_fans_geojson,
)
from tracklayer.io.outputs import write_text_atomic
from tracklayer.vocabulary import FUSED

__all__ = ["geo_layers", "write_geojson", "write_kml"]


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
        if {"lat_rad", "lon_rad", "alt_m", "kind"} <= set(truth.column_names):
            layers["threat_impacts"] = impact_points_geojson(truth)
        layers["threat_ground_tracks"] = ground_tracks_geojson(
            np.asarray(pc.cast(truth["object_id"], pa.string()).to_pylist()),
            pc.cast(truth["time"], pa.int64()).to_numpy(zero_copy_only=False),
            np.column_stack([truth[c].to_numpy(zero_copy_only=False) for c in ("x", "y", "z")]),
        )
    if run.has("tracks"):
        tracks = run.table(
            "tracks", ["track_id", "tracker", "time", *STATE_COLUMNS, "cov", "status"]
        )
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


def write_geojson(run: RunFolder, out: Path, created: datetime) -> list[Path]:
    return [
        write_text_atomic(out / "geo" / f"{name}.geojson", json.dumps(layer, allow_nan=False))
        for name, layer in _layers(run).items()
    ]


def write_kml(run: RunFolder, out: Path, created: datetime) -> list[Path]:
    return [
        write_text_atomic(out / "geo" / f"{name}.kml", geojson_to_kml(layer, name), "utf-8")
        for name, layer in _layers(run).items()
    ]
