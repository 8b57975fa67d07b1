"""GeoJSON (RFC 7946) and KML 2.2 (OGC 07-147r2) of coverage cells and ground tracks.

:func:`geojson_to_kml` also writes the polygons of :mod:`tracklayer.io.geo_areas`
(impact areas, radar fans) as KML ``Polygon``/``MultiGeometry`` placemarks.

Coordinates are WGS 84 longitude, latitude in degrees (GeoJSON's and KML's order), heights
dropped (ground tracks are the sub-object points). A ground track that crosses the
antimeridian is cut there into the parts of a ``MultiLineString`` (RFC 7946 section 3.1.9),
so no segment spans the map the wrong way round. A track of one sample is a LineString of
that point twice (RFC 7946 wants two positions or more).
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from tracklayer.constants import DEG
from tracklayer.frames import ecef_to_geodetic

__all__ = ["coverage_cells_geojson", "geojson_to_kml", "ground_tracks_geojson"]


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def coverage_cells_geojson(cells: pa.Table) -> dict[str, Any]:
    """The ``coverage_cells`` table as Point features at the cells' centres.

    Parameters
    ----------
    cells : pyarrow.Table
        Rows with ``lat_deg`` and ``lon_deg`` (degrees); every other column becomes a
        property of its feature (NaN as null).
    """
    for column in ("lat_deg", "lon_deg"):
        if column not in cells.column_names:
            raise ValueError(f"coverage cells lack column {column!r}")
    lat = np.asarray(cells["lat_deg"].to_numpy(zero_copy_only=False), dtype=np.float64)
    lon = np.asarray(cells["lon_deg"].to_numpy(zero_copy_only=False), dtype=np.float64)
    lon = (lon + 180.0) % 360.0 - 180.0
    props = cells.drop_columns(["lat_deg", "lon_deg"]).to_pylist()
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {k: (None if v != v else v) for k, v in p.items()},
        }
        for x, y, p in zip(lon.tolist(), lat.tolist(), props, strict=True)
    ]
    return _collection(features)


def _cut_at_antimeridian(lon_deg: NDArray[np.float64], lat_deg: NDArray[np.float64]) -> list[Any]:
    """Parts of a track, cut where consecutive longitudes jump by more than 180 degrees.

    Each cut ends one part and starts the next at the antimeridian (+-180 degrees), at the
    latitude interpolated linearly in unwrapped longitude, so every part has two points or
    more and the parts join on the map.
    """
    jumps = np.flatnonzero(np.abs(np.diff(lon_deg)) > 180.0)
    parts: list[Any] = []
    start = 0
    entry: list[list[float]] = []
    for j in jumps.tolist():
        a, b = lon_deg[j], lon_deg[j + 1]
        edge = 180.0 if a > 0 else -180.0
        b_unwrapped = b + 360.0 if a > 0 else b - 360.0
        frac = (edge - a) / (b_unwrapped - a)
        lat_x = float(lat_deg[j] + frac * (lat_deg[j + 1] - lat_deg[j]))
        body = np.column_stack([lon_deg[start : j + 1], lat_deg[start : j + 1]]).tolist()
        parts.append([*entry, *body, [edge, lat_x]])
        entry, start = [[-edge, lat_x]], j + 1
    body = np.column_stack([lon_deg[start:], lat_deg[start:]]).tolist()
    parts.append([*entry, *body])
    return parts


def ground_tracks_geojson(
    object_ids: NDArray[Any], time_ns: NDArray[np.int64], r_ecef: NDArray[np.float64]
) -> dict[str, Any]:
    """Each object's ground track as one LineString (or MultiLineString) feature.

    Parameters
    ----------
    object_ids : ndarray, shape (n,)
        The object of each sample (satellite or threat id).
    time_ns : ndarray, shape (n,)
        Sample times, ns since 1970-01-01 UTC (the track follows them).
    r_ecef : ndarray, shape (n, 3)
        ECEF positions, m; non-finite rows are skipped.
    """
    ids = np.asarray(object_ids)
    r = np.asarray(r_ecef, dtype=np.float64)
    ok = np.isfinite(r).all(axis=1)
    ids, t, r = ids[ok], np.asarray(time_ns)[ok], r[ok]
    lat, lon, _ = ecef_to_geodetic(r)
    lat_deg, lon_deg = np.asarray(lat) / DEG, np.asarray(lon) / DEG
    features = []
    for name in sorted(set(ids.tolist())):
        idx = np.flatnonzero(ids == name)
        idx = idx[np.argsort(t[idx], kind="stable")]
        if idx.size == 1:
            idx = np.repeat(idx, 2)
        parts = _cut_at_antimeridian(lon_deg[idx], lat_deg[idx])
        geometry = (
            {"type": "LineString", "coordinates": parts[0]}
            if len(parts) == 1
            else {"type": "MultiLineString", "coordinates": parts}
        )
        features.append({"type": "Feature", "geometry": geometry, "properties": {"id": name}})
    return _collection(features)


def _kml_coordinates(points: list[list[float]]) -> str:
    return " ".join(f"{x:.6f},{y:.6f}" for x, y in points)


def _kml_geometry(geometry: dict[str, Any]) -> str:
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return f"<Point><coordinates>{_kml_coordinates([coords])}</coordinates></Point>"
    if kind == "LineString":
        return f"<LineString><coordinates>{_kml_coordinates(coords)}</coordinates></LineString>"
    if kind == "MultiLineString":
        lines = "".join(_kml_geometry({"type": "LineString", "coordinates": c}) for c in coords)
        return f"<MultiGeometry>{lines}</MultiGeometry>"
    if kind == "Polygon":
        outer, *holes = coords
        inner = "".join(
            f"<innerBoundaryIs><LinearRing><coordinates>{_kml_coordinates(h)}</coordinates>"
            "</LinearRing></innerBoundaryIs>"
            for h in holes
        )
        return (
            "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
            f"{_kml_coordinates(outer)}</coordinates></LinearRing></outerBoundaryIs>{inner}"
            "</Polygon>"
        )
    if kind == "MultiPolygon":
        polygons = "".join(_kml_geometry({"type": "Polygon", "coordinates": c}) for c in coords)
        return f"<MultiGeometry>{polygons}</MultiGeometry>"
    raise ValueError(f"geometry type {kind!r} has no KML form here")


def geojson_to_kml(collection: dict[str, Any], name: str = "tracklayer") -> str:
    """A KML 2.2 document of a FeatureCollection: one Placemark per feature, properties as
    ``ExtendedData``."""
    placemarks = []
    for feature in collection["features"]:
        props = feature.get("properties") or {}
        data = "".join(
            f'<Data name="{escape(str(k))}"><value>{escape(str(v))}</value></Data>'
            for k, v in props.items()
        )
        title = escape(str(props.get("id", props.get("cell", ""))))
        placemarks.append(
            f"<Placemark><name>{title}</name><ExtendedData>{data}</ExtendedData>"
            f"{_kml_geometry(feature['geometry'])}</Placemark>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<name>{escape(name)}</name>{''.join(placemarks)}</Document></kml>\n"
    )
