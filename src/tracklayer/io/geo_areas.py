"""GeoJSON (RFC 7946) areas on the ground: tracks' predicted impact areas and radar fans.

* **Impact area**: for each track, its latest state flown ballistically to the ground
  with its covariance (:func:`tracklayer.metrics.impact.predict_impacts`); the polygon is
  the ellipse holding the predicted impact with the stated probability (95 % by default),
  its axes from the east/north covariance at the mean impact. The properties state the
  model (ballistic: no drag, thrust or lift), the probability, the axes and the times.
* **Radar fan**: the ground footprint of where a ground radar sees a target at a stated
  altitude (100 km by default): in each azimuth, out to the nearer of the central angle
  where the target sinks below ``min_elevation_deg`` (over the 4/3-Earth of the radar's
  ``refraction_k``) and the one where it leaves the detection range against
  ``target_rcs_m2`` (or ``instrumented_range_km``); a ``max_elevation_deg`` below 90
  leaves a hole over the site (the cone of silence). The radars here have no azimuth
  limits, so a fan is a full ring.

A fan's ring is traced on the geocentric sphere of the site's radius (central angles
between geocentric directions, as the sensing geometry measures them), its points put on
the WGS84 ellipsoid; an impact ellipse is laid on the tangent plane at the mean impact
through the ellipsoid's radii of curvature. A ring that
crosses the antimeridian is cut there into the polygons of a ``MultiPolygon`` (RFC 7946
section 3.1.9); a ring holding a pole is not handled.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tracklayer.constants import DEG, WGS84_A_M, WGS84_B_M, WGS84_E2
from tracklayer.io.truth_oem import object_rows
from tracklayer.metrics.impact import ellipse_axes, predict_impacts
from tracklayer.sensors.radar_config import GroundRadar

__all__ = [
    "impact_areas_geojson",
    "impact_points_geojson",
    "radar_fan_ring",
    "radar_fans_geojson",
    "ring_geometry",
]

FloatArray = NDArray[np.float64]


def _local_radius(lat_rad: float) -> float:
    """Geocentric radius of the WGS84 ellipsoid at a geodetic latitude, m."""
    c, s = math.cos(lat_rad), math.sin(lat_rad)
    a, b = WGS84_A_M, WGS84_B_M
    return math.sqrt(((a * a * c) ** 2 + (b * b * s) ** 2) / ((a * c) ** 2 + (b * s) ** 2))


def _geocentric(lat_rad: float) -> float:
    """Geocentric latitude of a point on the WGS84 ellipsoid at a geodetic latitude."""
    return math.atan((1.0 - WGS84_E2) * math.tan(lat_rad))


def _destination(lat: float, lon: float, azimuth: FloatArray, angle: FloatArray) -> FloatArray:
    """Ground points at geocentric central ``angle`` (rad) along ``azimuth`` (rad, on the
    geocentric sphere) from the geodetic (lat, lon): (n, 2) longitude and geodetic
    latitude, degrees, longitudes unwrapped about the start. Central angles between
    geocentric directions are what the sensing geometry measures."""
    psi = _geocentric(lat)
    sin_psi = np.sin(psi) * np.cos(angle) + np.cos(psi) * np.sin(angle) * np.cos(azimuth)
    psi2 = np.arcsin(np.clip(sin_psi, -1.0, 1.0))
    dlon = np.arctan2(
        np.sin(azimuth) * np.sin(angle) * np.cos(psi), np.cos(angle) - np.sin(psi) * sin_psi
    )
    lat2 = np.arctan(np.tan(psi2) / (1.0 - WGS84_E2))
    return np.column_stack([(lon + dlon) / DEG, lat2 / DEG])


def _offsets(lat: float, lon: float, east_m: FloatArray, north_m: FloatArray) -> FloatArray:
    """Ground points at east/north offsets (m) from (lat, lon) through the ellipsoid's
    radii of curvature (tangent plane: exact to (d/R)^2): (n, 2) lon, lat degrees."""
    w = math.sqrt(1.0 - WGS84_E2 * math.sin(lat) ** 2)
    prime = WGS84_A_M / w  # N, east-west
    meridian = WGS84_A_M * (1.0 - WGS84_E2) / w**3  # M, north-south
    return np.column_stack(
        [(lon + east_m / (prime * math.cos(lat))) / DEG, (lat + north_m / meridian) / DEG]
    )


def _clip(ring: list[list[float]], edge: float, keep_below: bool) -> list[list[float]]:
    """Sutherland-Hodgman clip of a closed ring against the meridian line x = edge."""
    inside = (lambda p: p[0] <= edge) if keep_below else (lambda p: p[0] >= edge)
    out: list[list[float]] = []
    for a, b in itertools.pairwise(ring):
        if inside(b):
            if not inside(a):
                out.append(_cross(a, b, edge))
            out.append(b)
        elif inside(a):
            out.append(_cross(a, b, edge))
    return [*out, out[0]] if out else out


def _cross(a: list[float], b: list[float], edge: float) -> list[float]:
    f = (edge - a[0]) / (b[0] - a[0])
    return [edge, a[1] + f * (b[1] - a[1])]


def ring_geometry(rings: Sequence[FloatArray]) -> dict[str, Any]:
    """A Polygon (outer ring, then holes) of unwrapped (lon, lat) degree rings, or a
    MultiPolygon when the outer ring crosses the antimeridian (cut, and each side's part
    brought back into -180..180)."""
    closed = [np.vstack([r, r[:1]]).tolist() for r in rings]
    shift = 360.0 * math.floor((float(np.mean(rings[0][:, 0])) + 180.0) / 360.0)
    closed = [[[x - shift, y] for x, y in ring] for ring in closed]
    xs = [p[0] for p in closed[0]]
    if -180.0 <= min(xs) and max(xs) <= 180.0:
        return {"type": "Polygon", "coordinates": closed}
    edge = 180.0 if max(xs) > 180.0 else -180.0
    parts = []
    sides = ((True, 0.0), (False, -360.0)) if edge > 0 else ((True, 360.0), (False, 0.0))
    for keep_below, offset in sides:
        piece = [_clip(ring, edge, keep_below) for ring in closed]
        piece = [[[x + offset, y] for x, y in ring] for ring in piece if len(ring) >= 4]
        if piece:
            parts.append(piece)
    return {"type": "MultiPolygon", "coordinates": parts}


def _feature(geometry: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _fan_angle(radar: GroundRadar, target_alt_m: float, elevation_deg: float) -> float:
    """Central angle (rad) from the site to where a target at ``target_alt_m`` is seen at
    ``elevation_deg``, or leaves the radar's range if nearer; NaN if never in range."""
    earth_r = _local_radius(radar.lat_rad)
    k, e = radar.refraction_k, elevation_deg * DEG
    # Refraction as the effective Earth: radius k R, heights unchanged; its arc k R θ'
    # is the true arc, so the true central angle is k θ'.
    eff_site, eff_target = k * earth_r + radar.alt_m, k * earth_r + target_alt_m
    angle_elevation = k * (math.acos(min(1.0, eff_site * math.cos(e) / eff_target)) - e)
    site_r, target_r = earth_r + radar.alt_m, earth_r + target_alt_m
    limit = min(radar.max_range_m(), radar.instrumented_range_km * 1e3)
    if limit <= abs(target_r - site_r):
        return math.nan
    cos_range = (site_r**2 + target_r**2 - limit**2) / (2.0 * site_r * target_r)
    return min(angle_elevation, math.acos(max(-1.0, min(1.0, cos_range))))


def radar_fan_ring(
    radar: GroundRadar, target_alt_m: float, elevation_deg: float, n: int = 180
) -> FloatArray:
    """The ground ring (n, 2: lon, lat degrees) under where a target at ``target_alt_m``
    is seen at ``elevation_deg``, or at the radar's range limit if nearer (NaN rows if the
    altitude is out of range)."""
    angle = _fan_angle(radar, target_alt_m, elevation_deg)
    azimuth = np.linspace(0.0, 2.0 * math.pi, n, endpoint=False)
    return _destination(radar.lat_rad, radar.lon_rad, azimuth, np.full(n, angle))


def radar_fans_geojson(
    radars: Sequence[GroundRadar], target_alt_m: float = 100e3
) -> dict[str, Any]:
    """Each radar's fan on the ground for a target at ``target_alt_m`` (module notes)."""
    features = []
    for radar in radars:
        rings = [radar_fan_ring(radar, target_alt_m, radar.min_elevation_deg)]
        if not np.isfinite(rings[0]).all():
            continue  # the radar's range does not reach the altitude: no fan
        if radar.max_elevation_deg < 90.0:
            rings.append(radar_fan_ring(radar, target_alt_m, radar.max_elevation_deg)[::-1])
        properties = {
            "id": radar.name,
            "owner": radar.owner,
            "kind": "radar_fan",
            "target_alt_km": target_alt_m / 1e3,
            "min_elevation_deg": radar.min_elevation_deg,
            "max_elevation_deg": radar.max_elevation_deg,
            "detection_range_km": min(radar.max_range_m(), radar.instrumented_range_km * 1e3) / 1e3,
            "target_rcs_m2": radar.target_rcs_m2,
        }
        features.append(_feature(ring_geometry(rings), properties))
    return {"type": "FeatureCollection", "features": features}


def _latest_states(tracks: pa.Table) -> pa.Table:
    """Each track's last row (by time) of a ``tracks`` table, by tracker and track id."""
    ordered = tracks.sort_by(
        [("tracker", "ascending"), ("track_id", "ascending"), ("time", "ascending")]
    )
    tracker = np.asarray(ordered["tracker"].to_pylist(), dtype=np.str_)
    track_id = np.asarray(ordered["track_id"].to_pylist(), dtype=np.str_)
    change = (tracker[1:] != tracker[:-1]) | (track_id[1:] != track_id[:-1])
    return ordered.take(pa.array(np.flatnonzero(np.append(change, True))))


def impact_areas_geojson(
    tracks: pa.Table,
    *,
    probability: float = 0.95,
    trackers: Sequence[str] | None = None,
    n: int = 72,
) -> dict[str, Any]:
    """Each track's predicted impact area from its latest state (module notes).

    Parameters
    ----------
    tracks : pyarrow.Table
        A ``tracks`` table (``track_id``, ``tracker``, ``time``, ``x``..``vz``, ``cov``).
    probability : float
        Probability held by each ellipse.
    trackers : sequence of str, optional
        Only these trackers' tracks (default: all).
    n : int
        Vertices of each ellipse.
    """
    if trackers is not None:
        tracks = tracks.filter(pc.is_in(tracks["tracker"], pa.array(list(trackers))))
    if tracks.num_rows == 0:
        return {"type": "FeatureCollection", "features": []}
    last = _latest_states(tracks)
    states = np.column_stack(
        [last[c].to_numpy(zero_copy_only=False) for c in ("x", "y", "z", "vx", "vy", "vz")]
    )
    cov = np.asarray(last["cov"].combine_chunks().flatten().to_numpy(), np.float64).reshape(
        -1, 6, 6
    )
    pred = predict_impacts(states, cov)
    major, minor, azimuth = ellipse_axes(pred.cov_en_m2, probability)
    time_ns = pc.cast(last["time"], pa.int64()).to_numpy(zero_copy_only=False)
    theta = np.linspace(0.0, 2.0 * math.pi, n, endpoint=False)
    features = []
    for i in np.flatnonzero(np.isfinite(pred.lat_rad) & np.isfinite(major)).tolist():
        lat, lon = float(pred.lat_rad[i]), float(pred.lon_rad[i])
        # Ellipse points along its major and minor axes, turned to east and north.
        a_m, b_m = major[i] * np.cos(theta), minor[i] * np.sin(theta)
        sin_az, cos_az = math.sin(azimuth[i]), math.cos(azimuth[i])
        ring = _offsets(lat, lon, a_m * sin_az + b_m * cos_az, a_m * cos_az - b_m * sin_az)
        impact_ns = int(time_ns[i]) + round(pred.time_s[i] * 1e9)
        properties = {
            "id": f"{last['tracker'][i].as_py()}:{last['track_id'][i].as_py()}",
            "kind": "impact_area",
            "tracker": last["tracker"][i].as_py(),
            "track_id": last["track_id"][i].as_py(),
            "status": last["status"][i].as_py(),
            "state_time": str(np.datetime64(int(time_ns[i]), "ns").astype("datetime64[ms]")) + "Z",
            "impact_time": str(np.datetime64(impact_ns, "ns").astype("datetime64[ms]")) + "Z",
            "impact_lat_deg": lat / DEG,
            "impact_lon_deg": lon / DEG,
            "probability": probability,
            "semi_major_m": float(major[i]),
            "semi_minor_m": float(minor[i]),
            "major_azimuth_deg": float(azimuth[i]) / DEG,
            "model": "ballistic fall (J2, rotating Earth; no drag, thrust or lift)",
        }
        features.append(_feature(ring_geometry([ring]), properties))
    return {"type": "FeatureCollection", "features": features}


def impact_points_geojson(truth: pa.Table) -> dict[str, Any]:
    """Each object's last true position (its impact, or where the run ended) as a Point,
    to lay beside the predicted impact areas. Properties: ``id``, ``kind``, ``time``,
    ``alt_m`` (near 0 for an impact; more for an object the run cut off)."""
    rows = [int(index[-1]) for _, index in object_rows(truth)]
    last = truth.take(pa.array(rows, pa.int64()))
    lat = np.asarray(last["lat_rad"].to_numpy(zero_copy_only=False)) / DEG
    lon = np.asarray(last["lon_rad"].to_numpy(zero_copy_only=False)) / DEG
    time_ns = pc.cast(last["time"], pa.int64()).to_numpy(zero_copy_only=False)
    features = [
        _feature(
            {"type": "Point", "coordinates": [float(lon[i]), float(lat[i])]},
            {
                "id": str(last["object_id"][i].as_py()),
                "kind": str(last["kind"][i].as_py()),
                "time": str(np.datetime64(int(time_ns[i]), "ns").astype("datetime64[ms]")) + "Z",
                "alt_m": float(last["alt_m"][i].as_py()),
            },
        )
        for i in range(last.num_rows)
    ]
    return {"type": "FeatureCollection", "features": features}
