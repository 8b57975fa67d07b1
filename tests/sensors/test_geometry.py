"""Sensor visibility geometry against hand-built cases and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from tracklayer.constants import DEG, KM, WGS84_A_M, WGS84_B_M, WGS84_E2
from tracklayer.sensors.config import SensorPayload
from tracklayer.sensors.geometry import (
    VisibilityConstraints,
    earth_clear,
    elevation,
    geodetic_up,
    max_central_angle,
    visible,
    visible_central_angles,
)

A, B = WGS84_A_M, WGS84_B_M


def _geodetic(lat: float, lon: float, h: float) -> np.ndarray:
    """ECEF of geodetic coordinates, NIMA TR8350.2 eq. 4-14 (independent of the module)."""
    n = A / math.sqrt(1.0 - WGS84_E2 * math.sin(lat) ** 2)
    return np.array(
        [
            (n + h) * math.cos(lat) * math.cos(lon),
            (n + h) * math.cos(lat) * math.sin(lon),
            (n * (1.0 - WGS84_E2) + h) * math.sin(lat),
        ]
    )


def _height(p: np.ndarray) -> np.ndarray:
    """Geodetic height by 10 fixed-point iterations (Heiskanen & Moritz 1967, sec. 5-3)."""
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    r = np.hypot(x, y)
    lat = np.arctan2(z, r * (1 - WGS84_E2))
    for _ in range(10):
        n = A / np.sqrt(1 - WGS84_E2 * np.sin(lat) ** 2)
        h = r / np.cos(lat) - n
        lat = np.arctan2(z, r * (1 - WGS84_E2 * n / (n + h)))
    n = A / np.sqrt(1 - WGS84_E2 * np.sin(lat) ** 2)
    return np.asarray(r / np.cos(lat) - n)


def test_target_behind_earth_is_hidden() -> None:
    """Reference: a target at the antipode of the sub-satellite point is behind the Earth;
    the sub-satellite point itself is in plain view. Exact (boolean)."""
    s = np.array([A + 1000 * KM, 0.0, 0.0])
    c = VisibilityConstraints()
    assert not visible(s, np.array([-A, 0.0, 0.0]), c)
    assert visible(s, np.array([A, 0.0, 0.0]), c)
    assert not visible(s, np.array([0.0, 0.0, -B]), c)


@pytest.mark.parametrize("where", ["equator", "pole"])
def test_grazing_just_above_and_below(where: str) -> None:
    """Reference: a line tangent to the Earth at a known geodetic height h (over the equator
    or the pole, where the model shell is exact); visible iff h >= grazing altitude g.
    Tolerance: lines 100 m above and below g."""
    g = 20 * KM
    c = VisibilityConstraints(grazing_altitude_m=g)
    half = 2000 * KM
    for dh, expect in ((100.0, True), (-100.0, False)):
        if where == "equator":
            x = A + g + dh
            s, t = np.array([x, -half, 0.0]), np.array([x, half, 0.0])
        else:
            z = B + g + dh
            s, t = np.array([-half, 0.0, z]), np.array([half, 0.0, z])
        assert bool(visible(s, t, c)) is expect
        assert bool(earth_clear(s, t, g)) is expect


def test_grazing_model_against_dense_geodetic_heights() -> None:
    """Reference: the lowest geodetic height along the segment, found by dense sampling
    (15 m steps around the tangent point) with an independent geodetic-height routine, at mid
    latitudes where the model shell (an ellipsoid of semi-axes a+g, b+g) is least exact.
    Tolerance: the model's verdict is right for every line whose lowest point is more than
    100 m from g (the shell's error is below g e^2/2 = 67 m)."""
    rng = np.random.default_rng(3)
    g = 20 * KM
    c = VisibilityConstraints(grazing_altitude_m=g)
    checked = 0
    for _ in range(100):
        lat, lon = rng.uniform(-80, 80) * DEG, rng.uniform(-180, 180) * DEG
        az = rng.uniform(0, 2 * math.pi)
        h_tan = g + rng.uniform(-2000.0, 2000.0)
        p = _geodetic(lat, lon, h_tan)
        up = geodetic_up(p)
        east = np.cross([0.0, 0.0, 1.0], up)
        east /= np.linalg.norm(east)
        north = np.cross(up, east)
        d = math.cos(az) * north + math.sin(az) * east
        s, t = p - 1500 * KM * d, p + 1500 * KM * d
        u = np.linspace(0.45, 0.55, 20_001)
        h_min = _height(s[None, :] + u[:, None] * (t - s)[None, :]).min()
        if abs(h_min - g) > 100.0:
            checked += 1
            assert bool(visible(s, t, c)) == bool(h_min >= g)
    assert checked > 75


def test_target_below_grazing_seen_from_above() -> None:
    """Reference: a boost plume at 0 km straight below the satellite is seen although it lies
    below the 20 km grazing altitude (the line's lowest point is the target itself). Exact."""
    c = VisibilityConstraints(grazing_altitude_m=20 * KM)
    t = _geodetic(30 * DEG, 40 * DEG, 0.0)
    s = _geodetic(30 * DEG, 40 * DEG, 1000 * KM)
    assert visible(s, t, c)


def test_nadir_cone_edge() -> None:
    """Reference: lines of sight built at off-nadir angles 1e-6 rad inside and outside a 30 deg
    cone, 100 km long (no Earth in the way). Exact (boolean)."""
    s = np.array([0.0, A + 1000 * KM, 0.0])
    nadir = -s / np.linalg.norm(s)
    side = np.array([0.0, 0.0, 1.0])
    c = VisibilityConstraints(nadir_half_angle_rad=30 * DEG)
    for d_eta, expect in ((-1e-6, True), (1e-6, False)):
        eta = 30 * DEG + d_eta
        t = s + 100 * KM * (math.cos(eta) * nadir + math.sin(eta) * side)
        assert bool(visible(s, t, c)) is expect


def test_earth_limb_field() -> None:
    """Reference: the limb cone's half angle arcsin(a/r) + margin, checked with lines 1e-6 rad
    inside and outside it, 100 km long. Exact (boolean)."""
    r = A + 1000 * KM
    s = np.array([r, 0.0, 0.0])
    c = VisibilityConstraints(above_limb_rad=2 * DEG)
    edge = math.asin(A / r) + 2 * DEG
    for d_eta, expect in ((-1e-6, True), (1e-6, False)):
        eta = edge + d_eta
        t = s + 100 * KM * np.array([-math.cos(eta), math.sin(eta), 0.0])
        assert bool(visible(s, t, c)) is expect


@pytest.mark.parametrize("lat_deg", [0.0, 45.0, -60.0])
def test_elevation_hand_computed(lat_deg: float) -> None:
    """Reference: the sensor placed at distance 1500 km from the target along
    cos(e) north + sin(e) up, with up and north from the geodetic latitude by hand, so the
    elevation is e = 30 deg by construction. Tolerance 1e-9 rad."""
    lat, lon = lat_deg * DEG, 20 * DEG
    t = _geodetic(lat, lon, 0.0)
    up = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
    north = np.array(
        [-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon), math.cos(lat)]
    )
    e = 30 * DEG
    s = t + 1500 * KM * (math.cos(e) * north + math.sin(e) * up)
    assert elevation(s, t) == pytest.approx(e, abs=1e-9)
    assert visible(s, t, VisibilityConstraints(min_elevation_rad=e - 1e-7))
    assert not visible(s, t, VisibilityConstraints(min_elevation_rad=e + 1e-7))


def test_range_limits() -> None:
    """Reference: a target 1000 km straight below; range limits 1 m either side. Exact."""
    s, t = np.array([A + 1000 * KM, 0.0, 0.0]), np.array([A, 0.0, 0.0])
    assert visible(s, t, VisibilityConstraints(min_range_m=999_999.0, max_range_m=1_000_001.0))
    assert not visible(s, t, VisibilityConstraints(min_range_m=1_000_001.0))
    assert not visible(s, t, VisibilityConstraints(max_range_m=999_999.0))


def test_broadcasting_shapes() -> None:
    """Reference: shapes only; (4, 1, 3) sensors against (5, 3) targets give (4, 5)."""
    s = np.tile([A + 800 * KM, 0.0, 0.0], (4, 1, 1))
    t = np.tile([A, 0.0, 0.0], (5, 1))
    assert visible(s, t, VisibilityConstraints()).shape == (4, 5)


def test_classic_coverage_angle() -> None:
    """Reference: Wertz (SMAD, sec. 5.2) lambda = arccos(R cos e / (R + h)) - e, here for
    R = 6378.137 km, h = 1000 km, e = 10 deg: 21.64 deg (by hand: arccos(0.85133) - 10 deg
    = 0.37775 rad). Tolerance 1e-5 rad."""
    c = VisibilityConstraints(min_elevation_rad=10 * DEG)
    lam = max_central_angle(A + 1000 * KM, A, c, A)
    hand = math.acos(6378.137 * math.cos(10 * DEG) / 7378.137) - 10 * DEG
    assert lam == pytest.approx(hand, abs=1e-12)
    assert lam == pytest.approx(0.37775, abs=1e-5)


CASES = [
    VisibilityConstraints(min_elevation_rad=10 * DEG),
    VisibilityConstraints(grazing_altitude_m=20 * KM),
    VisibilityConstraints(grazing_altitude_m=20 * KM, max_range_m=2500 * KM),
    VisibilityConstraints(grazing_altitude_m=20 * KM, nadir_half_angle_rad=40 * DEG),
    VisibilityConstraints(grazing_altitude_m=20 * KM, above_limb_rad=1 * DEG),
    VisibilityConstraints(grazing_altitude_m=20 * KM, above_limb_rad=0.3 * DEG),
    VisibilityConstraints(grazing_altitude_m=20 * KM, above_limb_rad=0.5 * DEG),
    VisibilityConstraints(min_range_m=1500 * KM, max_range_m=3000 * KM),
]


@pytest.mark.parametrize("c", CASES)
@pytest.mark.parametrize("h_target", [0.0, 50 * KM, 80 * KM])
def test_central_angles_match_exact_test_in_equatorial_plane(
    c: VisibilityConstraints, h_target: float
) -> None:
    """Reference: the exact ``visible`` test in the equatorial plane, where the WGS84
    ellipsoid is the circle of radius a and geodetic up is radial, so the spherical closed
    forms must agree with it. Targets every 1e-4 rad of central angle; tolerance: verdicts
    agree except within 2e-4 rad of an interval end."""
    rs, rt = A + 1000 * KM, A + h_target
    lam = np.arange(0.0, 1.2, 1e-4)
    s = np.array([rs, 0.0, 0.0])
    t = np.stack([rt * np.cos(lam), rt * np.sin(lam), np.zeros_like(lam)], axis=-1)
    exact = visible(s, t, c)
    iv = visible_central_angles(rs, rt, c, A)
    inside = np.zeros(lam.shape, dtype=bool)
    near_edge = np.zeros(lam.shape, dtype=bool)
    for lo, hi in iv:
        if lo <= hi:
            inside |= (lam >= lo) & (lam <= hi)
            near_edge |= (np.abs(lam - lo) < 2e-4) | (np.abs(lam - hi) < 2e-4)
    assert np.array_equal(exact[~near_edge], inside[~near_edge])
    if inside.any():
        assert max_central_angle(rs, rt, c, A) == pytest.approx(lam[inside].max(), abs=2e-4)


def test_far_side_interval_exists() -> None:
    """Reference: a limb field 0.5 deg above the limb grazes at about 32 km (hand value
    rs sin(arcsin(a/rs) + 0.5 deg) - a), above the 20 km shell but below 80 km, so the 80 km
    target sphere is seen near the sub-satellite point and again beyond its own horizon:
    two disjoint intervals (checked against ``visible`` above)."""
    c = VisibilityConstraints(grazing_altitude_m=20 * KM, above_limb_rad=0.5 * DEG)
    iv = visible_central_angles(A + 1000 * KM, A + 80 * KM, c, A)
    assert iv[0, 0] <= iv[0, 1] < iv[1, 0] <= iv[1, 1]


def test_payload_model_to_constraints() -> None:
    """Reference: unit conversion by hand (km -> m, deg -> rad); validation messages."""
    p = SensorPayload.model_validate(
        {
            "field_of_regard": {"kind": "nadir_cone", "half_angle_deg": 55},
            "grazing_altitude_km": 25,
            "max_range_km": 4000,
        }
    )
    c = p.constraints(min_elevation_deg=5)
    assert c.nadir_half_angle_rad == pytest.approx(55 * math.pi / 180)
    assert c.above_limb_rad is None
    assert c.grazing_altitude_m == 25_000.0
    assert c.max_range_m == 4_000_000.0
    assert c.min_elevation_rad == pytest.approx(5 * math.pi / 180)
    limb = SensorPayload().constraints()
    assert limb.above_limb_rad == 0.0 and limb.grazing_altitude_m == 20_000.0
    with pytest.raises(ValidationError, match="max_range_km must be greater"):
        SensorPayload(min_range_km=500, max_range_km=100)
    with pytest.raises(ValidationError, match="half_angle_deg"):
        SensorPayload.model_validate({"field_of_regard": {"kind": "nadir_cone"}})
    with pytest.raises(ValidationError, match="extra"):
        SensorPayload.model_validate({"fov": 3})
