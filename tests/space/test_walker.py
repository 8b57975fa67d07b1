"""Walker constellations: configuration checks, T/P/F geometry and SGP4 mean altitude."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from sgp4.earth_gravity import wgs72

from tracklayer.constants import WGS84_A_M
from tracklayer.frames import sgp4_julian_dates
from tracklayer.space.config import ConstellationConfig, WalkerConstellation
from tracklayer.space.propagate import propagate_teme
from tracklayer.space.walker import walker_layout, walker_satrecs

EPOCH = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
TWO_PI = 2.0 * math.pi


def _walker(**kw: object) -> WalkerConstellation:
    base: dict[str, object] = {
        "kind": "walker_delta",
        "name": "TRK",
        "owner": "USA",
        "sensor": "ir_wide",
        "total": 24,
        "planes": 6,
        "phasing": 1,
        "altitude_km": 1000.0,
        "inclination_deg": 53.0,
    }
    base.update(kw)
    return WalkerConstellation.model_validate(base)


def _wrap(a: np.ndarray) -> np.ndarray:
    """Angle difference wrapped to (-π, π]."""
    return np.angle(np.exp(1j * a))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"total": 25}, "must be a multiple of planes"),
        ({"phasing": 6}, "phasing must be in 0..planes-1"),
        ({"planes": 0}, "greater than or equal to 1"),
        ({"altitude_km": -5}, "greater than 0"),
        ({"inclination_deg": 181}, "less than or equal to 180"),
        ({"owner": "usa"}, "should match pattern"),
        ({"spare": 1}, "Extra inputs are not permitted"),
    ],
)
def test_walker_config_rejects_bad_patterns(changes: dict[str, object], message: str) -> None:
    """Each bad field gives a validation error that says what was expected."""
    with pytest.raises(ValidationError, match=message):
        _walker(**changes)


def test_constellation_union_dispatches_on_kind() -> None:
    """The discriminated union picks the model from ``kind`` and names it in errors."""
    adapter: TypeAdapter[ConstellationConfig] = TypeAdapter(ConstellationConfig)
    star = adapter.validate_python(
        {
            "kind": "walker_star",
            "name": "S",
            "owner": "JPN",
            "sensor": "ir",
            "total": 6,
            "planes": 3,
            "phasing": 0,
            "altitude_km": 800,
            "inclination_deg": 87,
        }
    )
    assert isinstance(star, WalkerConstellation)
    assert star.raan_spread_rad == pytest.approx(math.pi)
    assert _walker().raan_spread_rad == pytest.approx(TWO_PI)
    with pytest.raises(ValidationError, match="tle"):
        adapter.validate_python({"kind": "tle", "name": "X", "owner": "USA", "sensor": "ir"})
    with pytest.raises(ValidationError, match=r"\.json, \.csv, \.xml, \.omm or \.kvn"):
        adapter.validate_python(
            {"kind": "omm", "name": "X", "owner": "USA", "sensor": "ir", "file": "a.txt"}
        )


def test_walker_layout_matches_the_definition() -> None:
    """Layout of 24/6/1 against Walker's definition (JBIS 37, 1984): nodes 360/P apart,
    satellites 360/S apart in a plane, adjacent planes offset by F·360/T.
    Reference: the closed-form pattern; tolerance 1e-12 rad."""
    lay = walker_layout(24, 6, 1, TWO_PI)
    assert lay.raan.shape == (24,)
    np.testing.assert_allclose(np.unique(lay.raan), np.arange(6) * TWO_PI / 6, atol=1e-12)
    by_plane = lay.arg_lat.reshape(6, 4)
    np.testing.assert_allclose(_wrap(np.diff(by_plane, axis=1) - TWO_PI / 4), 0.0, atol=1e-12)
    np.testing.assert_allclose(
        _wrap(by_plane[1:, 0] - by_plane[:-1, 0] - TWO_PI / 24), 0, atol=1e-12
    )


def test_walker_satellites_realise_the_pattern_in_sgp4() -> None:
    """SGP4 states over one orbit show the pattern: orbit-averaged nodes (from the
    angular momentum h = r × v) 360/P apart and equal within a plane; orbit-averaged
    arguments of latitude (u − n̄t) 360/S apart in a plane and F·360/T between adjacent
    planes; inclination as asked. Star patterns spread the nodes over 180°.

    Averaging over an orbit removes SGP4's periodic terms (the J2 short-period ones and
    the J3 long-period eccentricity of ~1e-3, which moves the osculating argument of
    latitude by up to 0.13°). Reference: Walker's definition; tolerance 0.01°.
    """
    for kind, spread in (("walker_delta", 360.0), ("walker_star", 180.0)):
        cfg = _walker(kind=kind, total=30, planes=5, phasing=2, inclination_deg=86.4)
        recs = walker_satrecs(cfg, EPOCH)
        period = TWO_PI / (recs[0].no_kozai / 60.0)
        seconds = np.linspace(0.0, period, 721)[:-1]
        r, v, ok = propagate_teme(recs, *sgp4_julian_dates(EPOCH, seconds))
        assert ok.all()
        h = np.cross(r, v)
        h_hat = h / np.linalg.norm(h, axis=-1, keepdims=True)
        node = np.arctan2(h[..., 0], -h[..., 1])
        inc = np.arccos(h_hat[..., 2])
        n_hat = np.stack([np.cos(node), np.sin(node), np.zeros_like(node)], axis=-1)
        u = np.arctan2(
            np.einsum("...j,...j->...", np.cross(n_hat, r), h_hat),
            np.einsum("...j,...j->...", n_hat, r),
        )
        u_mean = np.angle(
            np.exp(1j * (np.unwrap(u, axis=1) - TWO_PI * seconds / period)).mean(axis=1)
        )
        node_mean = np.angle(np.exp(1j * node).mean(axis=1))
        tol = math.radians(0.01)
        np.testing.assert_allclose(inc.mean(axis=1), math.radians(86.4), atol=tol)
        node_p = node_mean.reshape(5, 6)
        np.testing.assert_allclose(_wrap(node_p - node_p[:, :1]), 0.0, atol=tol)
        steps = _wrap(np.diff(node_p[:, 0]) - math.radians(spread / 5))
        np.testing.assert_allclose(steps, 0.0, atol=tol)
        u_p = u_mean.reshape(5, 6)
        np.testing.assert_allclose(_wrap(np.diff(u_p, axis=1) - TWO_PI / 6), 0.0, atol=tol)
        phase = _wrap(np.diff(u_p[:, 0]) - 2 * TWO_PI / 30)
        np.testing.assert_allclose(phase, 0.0, atol=tol)


@pytest.mark.parametrize("inclination", [0.0, 30.0, 53.0, 90.0, 98.0])
@pytest.mark.parametrize("altitude_km", [500.0, 1200.0, 20200.0])
def test_mean_altitude_over_one_orbit(inclination: float, altitude_km: float) -> None:
    """The geocentric radius averaged over one orbit (2,000 samples of SGP4 output) minus
    the WGS84 equatorial radius equals the requested altitude.

    Reference: the definition of ``altitude_km``. Tolerance: 25 m (observed under 10 m;
    without the J2 short-period correction the error would reach 9.6 km at 500 km).
    """
    cfg = _walker(
        total=4, planes=2, phasing=0, altitude_km=altitude_km, inclination_deg=inclination
    )
    recs = walker_satrecs(cfg, EPOCH)
    period = TWO_PI / (recs[0].no_kozai / 60.0)
    seconds = np.linspace(0.0, period, 2001)[:-1]
    r, _, ok = propagate_teme(recs, *sgp4_julian_dates(EPOCH, seconds))
    assert ok.all()
    mean_alt = np.linalg.norm(r, axis=-1).mean(axis=1) - WGS84_A_M
    np.testing.assert_allclose(mean_alt, altitude_km * 1000.0, rtol=0, atol=25.0)


def test_sgp4_mean_elements_are_the_intended_ones() -> None:
    """After ``sgp4init``, SGP4's own Brouwer semi-major axis ``a`` (computed inside SGP4
    from the un-Kozai'd mean motion) is the one whose mean radius
    a'' − (3/4)·J2·R²·(3cos²i − 1)/a'' is R_WGS84 + h, i.e. our inversion of SGP4's
    Kozai-to-Brouwer conversion is exact; epoch, eccentricity and B* are as set.
    Reference: sgp4's ``Satrec.a``; tolerance 1 cm."""
    cfg = _walker(altitude_km=1100.0, inclination_deg=63.4, eccentricity=0.01)
    rec = walker_satrecs(cfg, EPOCH)[0]
    a_er = rec.a
    c = 0.75 * wgs72.j2 * (3.0 * math.cos(math.radians(63.4)) ** 2 - 1.0)
    mean_radius = (a_er - c / a_er) * wgs72.radiusearthkm * 1000.0
    assert mean_radius == pytest.approx(WGS84_A_M + 1.1e6, abs=1e-2)
    assert rec.ecco == pytest.approx(0.01)
    assert rec.bstar == 0.0
    epoch_jd = sum(sgp4_julian_dates(EPOCH, [0.0]))[0]
    assert abs((rec.jdsatepoch - epoch_jd) + rec.jdsatepochF) * 86400.0 < 1e-5
