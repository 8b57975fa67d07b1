"""Impact areas and radar fans as GeoJSON/KML: the fan against the radar's own visibility
model and the horizon formula, the impact ellipse against the prediction, antimeridian cuts."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pyarrow as pa
import pytest

from tracklayer.constants import DEG, WGS84_A_M
from tracklayer.frames import ecef_to_geodetic, geodetic_to_ecef
from tracklayer.io.geo import geojson_to_kml
from tracklayer.io.geo_areas import (
    impact_areas_geojson,
    radar_fan_ring,
    radar_fans_geojson,
    ring_geometry,
)
from tracklayer.metrics.impact import ellipse_axes, predict_impacts
from tracklayer.sensors.radar import effective_earth_view
from tracklayer.sensors.radar_config import GroundRadar
from tracklayer.vocabulary import TRACKS_SCHEMA


def _radar(**extra: object) -> GroundRadar:
    values = {"name": "R-1", "owner": "JPN", "lat_deg": 26.5, "lon_deg": 128.0, "alt_km": 0.1}
    return GroundRadar.model_validate({**values, **extra})


def test_fan_edge_is_where_the_radar_model_sees_the_min_elevation() -> None:
    """Reference: the sensing model's own effective-Earth elevation
    (``sensors.radar.effective_earth_view``). A target 100 km up over the fan's edge is
    seen at the radar's minimum elevation within 0.05 deg, in every azimuth; with k = 1
    and no range limit the edge is the geometric horizon angle acos(R/(R+h)) (1 %)."""
    radar = _radar(min_elevation_deg=2.0, instrumented_range_km=40000.0, target_rcs_m2=100.0)
    ring = radar_fan_ring(radar, 100e3, radar.min_elevation_deg, n=36)
    site = geodetic_to_ecef(radar.lat_rad, radar.lon_rad, radar.alt_m)
    target = geodetic_to_ecef(ring[:, 1] * DEG, ring[:, 0] * DEG, np.full(36, 100e3))
    _, elevation = effective_earth_view(site, radar.alt_m, target, np.full(36, 100e3), 4 / 3)
    np.testing.assert_allclose(elevation / DEG, 2.0, atol=0.05)
    flat = _radar(min_elevation_deg=0.0, refraction_k=1.0, alt_km=0.0, target_rcs_m2=100.0)
    edge = radar_fan_ring(flat, 100e3, 0.0, n=4)
    lat0, lon0 = flat.lat_rad, flat.lon_rad
    lat1, lon1 = edge[0, 1] * DEG, edge[0, 0] * DEG
    angle = math.acos(
        math.sin(lat0) * math.sin(lat1) + math.cos(lat0) * math.cos(lat1) * math.cos(lon1 - lon0)
    )
    radius = float(np.linalg.norm(geodetic_to_ecef(lat0, lon0, 0.0)))
    assert angle == pytest.approx(math.acos(radius / (radius + 100e3)), rel=0.01)


def test_fan_limited_by_range_and_cone_of_silence() -> None:
    """A radar whose detection range (900 km against 1 m² as its reference, 0.1 m² target:
    900 (0.1)^(1/4) = 506 km) ends before its horizon: the edge's slant range to a
    target at 100 km is that range (1 km); max_elevation_deg < 90 adds a hole."""
    radar = _radar(reference_range_km=900.0, reference_rcs_m2=1.0, target_rcs_m2=0.1,
                   max_elevation_deg=70.0)  # fmt: skip
    limit = radar.max_range_m()
    assert limit == pytest.approx(900e3 * 0.1**0.25, rel=1e-9)
    ring = radar_fan_ring(radar, 100e3, radar.min_elevation_deg, n=8)
    site = geodetic_to_ecef(radar.lat_rad, radar.lon_rad, radar.alt_m)
    target = geodetic_to_ecef(ring[:, 1] * DEG, ring[:, 0] * DEG, np.full(8, 100e3))
    np.testing.assert_allclose(np.linalg.norm(target - site, axis=1), limit, atol=1e3)
    (feature,) = radar_fans_geojson([radar])["features"]
    assert feature["geometry"]["type"] == "Polygon"
    outer, hole = feature["geometry"]["coordinates"]
    assert len(outer) == 181 and outer[0] == outer[-1] and len(hole) == 181
    assert feature["properties"]["detection_range_km"] == pytest.approx(limit / 1e3)
    short = _radar(reference_range_km=50.0, reference_rcs_m2=1.0, target_rcs_m2=1.0)
    assert radar_fans_geojson([short])["features"] == []  # never reaches 100 km up


def test_ring_cut_at_the_antimeridian() -> None:
    """A ring around 179.5 E spanning 4 degrees of longitude becomes a MultiPolygon of
    two parts, one each side, meeting at +-180 at the same latitudes."""
    theta = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    ring = np.column_stack([179.5 + 2 * np.cos(theta), 10 + 2 * np.sin(theta)])
    geometry = ring_geometry([ring])
    assert geometry["type"] == "MultiPolygon"
    east, west = geometry["coordinates"]
    assert max(x for x, _ in east[0]) == 180.0 and min(x for x, _ in west[0]) == -180.0
    assert all(-180 <= x <= 180 for part in (east, west) for x, _ in part[0])
    edge_east = sorted(y for x, y in east[0] if x == 180.0)
    edge_west = sorted(y for x, y in west[0] if x == -180.0)
    np.testing.assert_allclose(edge_east[0], edge_west[0]) and np.testing.assert_allclose(
        edge_east[-1], edge_west[-1]
    )
    kml = geojson_to_kml({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": geometry, "properties": {"id": "x"}}]})  # fmt: skip
    root = ET.fromstring(kml)
    assert len(root.findall(".//{http://www.opengis.net/kml/2.2}Polygon")) == 2


def _tracks() -> pa.Table:
    """Two tracks falling toward the ground (300 km up, 5.5 km/s, 20 deg up), the second
    in three states of which the last is used."""
    r = WGS84_A_M + 300e3
    g = math.radians(20.0)
    state = np.array([r, 0.0, 0.0, 5500 * math.sin(g), 5500 * math.cos(g), 100.0])
    cov = np.diag([300.0**2] * 3 + [5.0**2] * 3)
    n = 4
    t0 = np.datetime64("2027-03-01T00:10:00", "ns").astype(np.int64)
    states = np.tile(state, (n, 1))
    states[1:, 2] += np.array([1e5, 2e5, 3e5])
    return pa.table(
        {
            "track_id": ["A", "B", "B", "B"],
            "tracker": ["fused"] * n,
            "time": pa.array(t0 + np.array([0, 0, 10, 20]) * 10**9, pa.timestamp("ns", "UTC")),
            **{c: states[:, i] for i, c in enumerate(("x", "y", "z", "vx", "vy", "vz"))},
            "cov": pa.array(np.tile(cov.ravel(), (n, 1)).tolist(), pa.list_(pa.float64(), 36)),
            "status": ["confirmed"] * n,
        },
        schema=TRACKS_SCHEMA,
    )


def test_impact_area_is_the_prediction_ellipse() -> None:
    """Reference: ``predict_impacts`` and ``ellipse_axes`` of the latest states. Each
    polygon's vertices lie on the 95 % ellipse: their east/north offsets from the mean
    impact give a Mahalanobis distance of sqrt(-2 ln 0.05) (0.5 %)."""
    table = _tracks()
    collection = impact_areas_geojson(table)
    assert [f["properties"]["track_id"] for f in collection["features"]] == ["A", "B"]
    b = collection["features"][1]
    states = np.array([[table[c][3].as_py() for c in ("x", "y", "z", "vx", "vy", "vz")]])
    pred = predict_impacts(states, np.array(table["cov"][3].as_py()).reshape(1, 6, 6))
    major, _, _ = ellipse_axes(pred.cov_en_m2)
    assert b["properties"]["semi_major_m"] == pytest.approx(major[0])
    assert b["properties"]["impact_lat_deg"] == pytest.approx(pred.lat_rad[0] / DEG)
    assert b["properties"]["state_time"] == "2027-03-01T00:10:20.000Z"
    from tracklayer.frames import enu_basis

    ring = np.array(b["geometry"]["coordinates"][0])
    centre = geodetic_to_ecef(pred.lat_rad[0], pred.lon_rad[0], 0.0)
    points = geodetic_to_ecef(ring[:, 1] * DEG, ring[:, 0] * DEG, np.zeros(len(ring)))
    en = (points - centre) @ enu_basis(pred.lat_rad[0], pred.lon_rad[0])[:2].T
    d2 = np.einsum("ni,ij,nj->n", en, np.linalg.inv(pred.cov_en_m2[0]), en)
    np.testing.assert_allclose(np.sqrt(d2), math.sqrt(-2 * math.log(0.05)), rtol=5e-3)
    assert abs(ecef_to_geodetic(points)[2]).max() < 1.0
    assert impact_areas_geojson(table, trackers=["USA"])["features"] == []
