"""Time scales and frame conversions against Skyfield, sgp4 and analytic identities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pyarrow as pa
import pytest
from sgp4.api import jday
from skyfield.api import wgs84
from skyfield.framelib import itrs
from skyfield.sgp4lib import TEME, TEME_to_ITRF
from skyfield.toposlib import ITRSPosition
from skyfield.units import Distance

from tracklayer.constants import DAY_S, WGS84_A_M
from tracklayer.frames import (
    datetime64_ns,
    ecef_to_geodetic,
    enu_basis,
    geodetic_to_ecef,
    sgp4_julian_dates,
    skyfield_time,
    teme_to_ecef,
    timescale,
    utc_timestamps,
)

EPOCH = datetime(2024, 3, 1, 23, 30, 15, 250000, tzinfo=UTC)


def _random_geodetic(n: int, seed: int, alt_max_m: float) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    lat = np.arcsin(rng.uniform(-1.0, 1.0, n))
    lon = rng.uniform(-np.pi, np.pi, n)
    alt = rng.uniform(-1.0e4, alt_max_m, n)
    return lat, lon, alt


def test_sgp4_julian_dates_match_jday() -> None:
    """Split UTC Julian dates equal sgp4's ``jday`` of ``epoch + timedelta(seconds)``,
    across midnight and month ends. Reference: sgp4.api.jday; tolerance 1e-11 day (1 µs).
    """
    seconds = np.array([0.0, 1784.75, 86400.0 * 3.25, -7200.0])
    jd, fr = sgp4_julian_dates(EPOCH, seconds)
    assert np.all((fr >= 0.0) & (fr < 1.0))
    for k, s in enumerate(seconds):
        t = EPOCH + timedelta(seconds=float(s))
        ref_jd, ref_fr = jday(
            t.year, t.month, t.day, t.hour, t.minute, t.second + t.microsecond * 1e-6
        )
        assert abs((jd[k] - ref_jd) + (fr[k] - ref_fr)) < 1e-11


def test_epoch_must_be_timezone_aware() -> None:
    """A naive datetime is refused; another zone is converted to UTC (same instant)."""
    with pytest.raises(ValueError, match="timezone-aware"):
        sgp4_julian_dates(datetime(2024, 1, 1), np.zeros(1))
    tokyo = EPOCH.astimezone(timezone(timedelta(hours=9)))
    np.testing.assert_array_equal(
        np.sum(sgp4_julian_dates(tokyo, [10.0]), axis=0),
        np.sum(sgp4_julian_dates(EPOCH, [10.0]), axis=0),
    )


def test_skyfield_time_is_the_same_instant() -> None:
    """``skyfield_time`` names the instants ``epoch + timedelta(seconds)``.
    Reference: Python datetime arithmetic through Skyfield's ``utc_datetime``;
    tolerance 2 µs (Skyfield rounds to the microsecond)."""
    seconds = np.array([0.0, 12345.678, 2.5 * 86400.0])
    t = skyfield_time(EPOCH, seconds)
    for got, s in zip(t.utc_datetime(), seconds, strict=True):
        assert abs((got - (EPOCH + timedelta(seconds=float(s)))).total_seconds()) < 2e-6


def test_teme_to_ecef_matches_skyfield_frames() -> None:
    """TEME → ECEF positions against Skyfield's frame objects composed the long way,
    TEME → GCRS (``TEME.rotation_at``) → ITRS (``itrs.rotation_at``: precession-nutation,
    GAST), for a grid of LEO-to-GEO positions over a day.

    Reference: Skyfield frame rotations. Tolerance: 1 mm at GEO radius (observed ~1e-8
    relative, floating-point only, since both reduce to the GMST 1982 rotation).
    """
    rng = np.random.default_rng(7)
    seconds = np.linspace(0.0, 86400.0, 25)
    r_teme = rng.normal(size=(4, seconds.size, 3))
    r_teme *= rng.uniform(7.0e6, 4.3e7, size=(4, seconds.size, 1)) / np.linalg.norm(
        r_teme, axis=-1, keepdims=True
    )
    v_teme = np.zeros_like(r_teme)
    r_ecef, _ = teme_to_ecef(r_teme, v_teme, EPOCH, seconds)
    t = skyfield_time(EPOCH, seconds)
    gcrs_from_teme = np.einsum("jit->tij", TEME.rotation_at(t))  # transpose of GCRS→TEME
    itrs_from_gcrs = np.einsum("ijt->tij", itrs.rotation_at(t))
    ref = np.einsum("tij,tjk,ntk->nti", itrs_from_gcrs, gcrs_from_teme, r_teme)
    np.testing.assert_allclose(r_ecef, ref, rtol=0, atol=1e-3)


def test_teme_to_ecef_equals_skyfields_deprecated_teme_to_itrf() -> None:
    """The closed-form rotation gives the states of Skyfield's deprecated
    ``TEME_to_ITRF`` (the previous path: GMST 1982 about z, ``ω × r`` with ω its rate,
    no polar motion) for LEO-to-GEO states over two days.

    Reference: ``skyfield.sgp4lib.TEME_to_ITRF``. Tolerance: none, bit for bit (the same
    operations in the same order), so runs keep their tables.
    """
    rng = np.random.default_rng(11)
    seconds = np.linspace(0.0, 2.0 * 86400.0, 49)
    r_teme = rng.normal(size=(5, seconds.size, 3))
    r_teme *= rng.uniform(6.6e6, 4.3e7, size=(5, seconds.size, 1)) / np.linalg.norm(
        r_teme, axis=-1, keepdims=True
    )
    v_teme = rng.normal(scale=5000.0, size=r_teme.shape)
    r_ecef, v_ecef = teme_to_ecef(r_teme, v_teme, EPOCH, seconds)
    t = skyfield_time(EPOCH, seconds)
    # TEME_to_ITRF wants (3, T, N) with the time axis broadcast as (T, 1), and m/day.
    r_ref, v_ref = TEME_to_ITRF(
        t.whole[:, None],
        r_teme.transpose(2, 1, 0),
        v_teme.transpose(2, 1, 0) * DAY_S,
        0.0,
        0.0,
        t.ut1_fraction[:, None],
    )
    np.testing.assert_array_equal(r_ecef, r_ref.transpose(2, 1, 0))
    np.testing.assert_array_equal(v_ecef, v_ref.transpose(2, 1, 0) / DAY_S)


def test_teme_to_ecef_velocity_of_an_earth_fixed_point() -> None:
    """A point at rest on the rotating Earth, whose TEME velocity is taken by central
    differences of its TEME positions (1 s apart), comes out with zero ECEF velocity.
    Checks the ω × r term against the time derivative of the rotation itself, and that
    leading axes broadcast: shape (2, 3, T, 3).

    Reference: finite differences (truncation error ω³·r·dt²/6 ≈ 5e-7 m/s).
    Tolerance: 1e-5 m/s in velocity, 1e-6 m in position.
    """
    seconds = np.array([0.0, 3600.0, 50000.0])
    r_ecef = np.broadcast_to(np.array([WGS84_A_M, 0.0, 1.0e6]), (2, 3, 3, 3)).copy()

    def to_teme(s: np.ndarray) -> np.ndarray:
        # ECEF = R_z(-θ)·TEME, so TEME = R_z(θ)·ECEF, with θ read from our own rotation.
        probe, _ = teme_to_ecef(
            np.broadcast_to([1.0, 0.0, 0.0], r_ecef.shape), np.zeros_like(r_ecef), EPOCH, s
        )
        theta = -np.arctan2(probe[..., 1], probe[..., 0])
        c, sn = np.cos(theta), np.sin(theta)
        x, y, z = r_ecef[..., 0], r_ecef[..., 1], r_ecef[..., 2]
        return np.stack([c * x - sn * y, sn * x + c * y, z], axis=-1)

    r_teme = to_teme(seconds)
    v_teme = (to_teme(seconds + 1.0) - to_teme(seconds - 1.0)) / 2.0
    r_back, v_back = teme_to_ecef(r_teme, v_teme, EPOCH, seconds)
    assert r_back.shape == (2, 3, 3, 3)
    np.testing.assert_allclose(r_back, r_ecef, rtol=0, atol=1e-6)
    np.testing.assert_allclose(v_back, 0.0, atol=1e-5)


def test_geodetic_round_trip() -> None:
    """ecef_to_geodetic inverts geodetic_to_ecef from 10 km below the ellipsoid to GEO.
    Reference: the forward formula (NIMA TR8350.2 eq. 4-14). Tolerance: 1e-6 m in height,
    1e-6 m along the surface in latitude and longitude."""
    lat, lon, alt = _random_geodetic(20000, seed=1, alt_max_m=4.0e7)
    r = geodetic_to_ecef(lat, lon, alt)
    la, lo, h = ecef_to_geodetic(r)
    np.testing.assert_allclose(h, alt, rtol=0, atol=1e-6)
    np.testing.assert_allclose(la * WGS84_A_M, lat * WGS84_A_M, rtol=0, atol=1e-6)
    dlon = np.angle(np.exp(1j * (lo - lon)))
    assert np.abs(dlon * WGS84_A_M * np.cos(lat)).max() < 1e-6


def test_geodetic_special_points() -> None:
    """Poles, equator and the ellipsoid's axes: b at the pole, a at the equator.
    Reference: WGS84 a and b; tolerance 1e-6 m."""
    b = WGS84_A_M * (1.0 - 1.0 / 298.257223563)
    r = np.array([[0.0, 0.0, b], [0.0, 0.0, -b - 1000.0], [WGS84_A_M, 0.0, 0.0], [0, 7e6, 0]])
    lat, lon, alt = ecef_to_geodetic(r)
    np.testing.assert_allclose(lat, [np.pi / 2, -np.pi / 2, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(alt, [0.0, 1000.0, 0.0, 7e6 - WGS84_A_M], atol=1e-6)
    assert lon[3] == pytest.approx(np.pi / 2)


def test_geodetic_matches_skyfield_both_ways() -> None:
    """Both directions against Skyfield's WGS84 model: ``wgs84.latlon(...).itrs_xyz`` for
    geodetic → ECEF and ``wgs84.geographic_position_of`` for ECEF → geodetic, from the
    ground to 2,000 km.

    Reference: Skyfield 1.4x ``wgs84``. Tolerance: 1e-6 m for the forward direction
    (observed 2e-8 m); 5 mm for the inverse, Skyfield's own iteration being converged to
    about a millimetre (ours round-trips to 1e-6 m, test above).
    """
    lat, lon, alt = _random_geodetic(5000, seed=2, alt_max_m=2.0e6)
    ref = wgs84.latlon(np.degrees(lat), np.degrees(lon), elevation_m=alt).itrs_xyz.m.T
    np.testing.assert_allclose(geodetic_to_ecef(lat, lon, alt), ref, rtol=0, atol=1e-6)
    r = geodetic_to_ecef(lat, lon, alt)
    pos = ITRSPosition(Distance(m=r.T)).at(timescale().utc(2024, 1, 1))
    gp = wgs84.geographic_position_of(pos)
    la, lo, h = ecef_to_geodetic(r)
    np.testing.assert_allclose(la * WGS84_A_M, gp.latitude.radians * WGS84_A_M, atol=5e-3)
    np.testing.assert_allclose(np.angle(np.exp(1j * (lo - gp.longitude.radians))), 0, atol=1e-9)
    np.testing.assert_allclose(h, gp.elevation.m, rtol=0, atol=5e-3)


def test_enu_basis_matches_derivatives() -> None:
    """East, north and up are the normalised derivatives of geodetic_to_ecef with respect
    to longitude, latitude and height, and form a right-handed orthonormal basis.
    Reference: central differences of the forward map; tolerance 1e-7 (unit vectors)."""
    lat, lon, _ = _random_geodetic(200, seed=3, alt_max_m=0.0)
    basis = enu_basis(lat, lon)
    assert basis.shape == (200, 3, 3)
    eye = np.broadcast_to(np.eye(3), basis.shape)
    np.testing.assert_allclose(basis @ np.swapaxes(basis, -1, -2), eye, atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(basis), 1.0, atol=1e-12)
    h = 1e-6

    def unit(d: np.ndarray) -> np.ndarray:
        return d / np.linalg.norm(d, axis=-1, keepdims=True)

    alt = np.full_like(lat, 500.0)
    d_lon = geodetic_to_ecef(lat, lon + h, alt) - geodetic_to_ecef(lat, lon - h, alt)
    d_lat = geodetic_to_ecef(lat + h, lon, alt) - geodetic_to_ecef(lat - h, lon, alt)
    d_alt = geodetic_to_ecef(lat, lon, alt + 1.0) - geodetic_to_ecef(lat, lon, alt - 1.0)
    np.testing.assert_allclose(basis[:, 0], unit(d_lon), atol=1e-7)
    np.testing.assert_allclose(basis[:, 1], unit(d_lat), atol=1e-7)
    np.testing.assert_allclose(basis[:, 2], unit(d_alt), atol=1e-7)


def test_utc_timestamps() -> None:
    """Arrow timestamps equal ``epoch + timedelta(seconds)`` to the nanosecond.
    Reference: Python datetime arithmetic."""
    seconds = np.array([0.0, 0.5, 86400.0 + 1e-3])
    arr = utc_timestamps(EPOCH, seconds)
    assert arr.type == pa.timestamp("ns", tz="UTC")
    got = arr.to_pylist()
    for g, s in zip(got, seconds, strict=True):
        assert g == EPOCH + timedelta(seconds=float(s))
    assert datetime64_ns(EPOCH, [0.0])[0] == np.datetime64("2024-03-01T23:30:15.250", "ns")
