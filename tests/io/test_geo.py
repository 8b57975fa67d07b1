"""GeoJSON and KML of coverage cells and ground tracks."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from lxml import etree

from tracklayer.constants import DEG
from tracklayer.frames import geodetic_to_ecef
from tracklayer.io.geo import coverage_cells_geojson, geojson_to_kml, ground_tracks_geojson

KML = "{http://www.opengis.net/kml/2.2}"


def test_coverage_cells_are_points_with_their_figures() -> None:
    cells = pa.table(
        {
            "group": ["USA", "joint"],
            "cell": [4, 5],
            "lat_deg": [35.5, -10.0],
            "lon_deg": [139.0, 190.0],
            "max_gap_s": [120.0, float("nan")],
        }
    )
    doc = json.loads(json.dumps(coverage_cells_geojson(cells)))  # plain JSON
    first, second = doc["features"]
    assert first["geometry"] == {"type": "Point", "coordinates": [139.0, 35.5]}
    assert first["properties"] == {"group": "USA", "cell": 4, "max_gap_s": 120.0}
    # RFC 7946: longitude in [-180, 180]; 190 E is 170 W. NaN has no JSON form: null.
    assert second["geometry"]["coordinates"] == [-170.0, -10.0]
    assert second["properties"]["max_gap_s"] is None
    with pytest.raises(ValueError, match="lat_deg"):
        coverage_cells_geojson(cells.drop_columns(["lat_deg"]))


def test_ground_track_points_and_the_antimeridian_cut() -> None:
    """Reference: geodetic positions the samples were built from (WGS 84, 500 km up), to
    1e-9 degrees; (R, 0, 0) lies over 0 N 0 E. A track from 170 E to 170 W eastwards is cut
    at the antimeridian into two lines (RFC 7946 section 3.1.9)."""
    lon = np.array([160.0, 170.0, 179.0, -179.0, -170.0]) * DEG
    lat = np.array([10.0, 11.0, 12.0, 13.0, 14.0]) * DEG
    r = geodetic_to_ecef(lat, lon, np.full(5, 5e5))
    r_sat = np.vstack([r, [[7.0e6, 0.0, 0.0], [np.nan, 0.0, 0.0]]])
    ids = np.array(["THREAT-1"] * 5 + ["SAT-1", "SAT-1"])
    time = np.array([4, 3, 2, 1, 0, 0, 1]) * 10**9  # out of order: sorted by time
    doc = ground_tracks_geojson(ids, time, r_sat)
    sat, threat = doc["features"]
    assert sat["properties"] == {"id": "SAT-1"}
    assert sat["geometry"]["type"] == "LineString"
    assert np.allclose(sat["geometry"]["coordinates"], [[0.0, 0.0]] * 2, atol=1e-9)
    assert threat["geometry"]["type"] == "MultiLineString"
    # Westward in time (-170 at t=0 ... 160 at t=4); the cut between -179 and 179 at
    # latitude 12.5 (half way in unwrapped longitude).
    west, east = threat["geometry"]["coordinates"]
    assert np.allclose(west, [[-170.0, 14.0], [-179.0, 13.0], [-180.0, 12.5]], atol=1e-9)
    assert np.allclose(
        east, [[180.0, 12.5], [179.0, 12.0], [170.0, 11.0], [160.0, 10.0]], atol=1e-9
    )


def test_kml_has_one_placemark_per_feature() -> None:
    """The KML parses as XML in the KML 2.2 namespace; coordinates are lon,lat as in the
    GeoJSON (to the written 1e-6 degrees)."""
    lon = np.array([170.0, -170.0]) * DEG
    r = geodetic_to_ecef(np.zeros(2), lon, np.zeros(2))
    tracks = ground_tracks_geojson(np.array(["A&B", "A&B"]), np.array([0, 1]), r)
    cells = coverage_cells_geojson(pa.table({"lat_deg": [1.0], "lon_deg": [2.0], "cell": [7]}))
    for collection, count in ((tracks, 1), (cells, 1)):
        root = etree.fromstring(geojson_to_kml(collection).encode())
        assert root.tag == f"{KML}kml"
        assert len(root.findall(f".//{KML}Placemark")) == count
    root = etree.fromstring(geojson_to_kml(tracks).encode())
    assert root.findtext(f".//{KML}Placemark/{KML}name") == "A&B"  # escaped, read back
    lines = [e.text for e in root.iter(f"{KML}coordinates")]
    assert lines == [
        "170.000000,0.000000 180.000000,0.000000",
        "-180.000000,0.000000 -170.000000,0.000000",
    ]
    point = etree.fromstring(geojson_to_kml(cells).encode())
    assert point.findtext(f".//{KML}Point/{KML}coordinates") == "2.000000,1.000000"
