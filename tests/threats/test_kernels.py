"""The flyout's compiled geodetic conversion against the package's reference conversion."""

from __future__ import annotations

import numpy as np

from tracklayer.frames import ecef_to_geodetic, geodetic_to_ecef
from tracklayer.threats.config import EarthOptions
from tracklayer.threats.earth import EarthModel


def test_compiled_geodetic_matches_frames() -> None:
    """Reference: tracklayer.frames.ecef_to_geodetic (verified against Skyfield's wgs84 in
    tests/test_frames.py). 20,000 random points from -1 to 1,000 km height; tolerance 1e-9
    rad in latitude and longitude, 1 mm in height (Bowring with two refinements is
    sub-millimetre below 1,000 km)."""
    rng = np.random.default_rng(7)
    lat = rng.uniform(-np.pi / 2, np.pi / 2, 20_000)
    lon = rng.uniform(-np.pi, np.pi, 20_000)
    alt = rng.uniform(-1e3, 1e6, 20_000)
    r = geodetic_to_ecef(lat, lon, alt)
    model = EarthModel.from_options(EarthOptions())
    lat_k, lon_k, alt_k = model.geodetic(r.T)
    lat_f, lon_f, alt_f = ecef_to_geodetic(r)
    np.testing.assert_allclose(lat_k, lat_f, atol=1e-9)
    np.testing.assert_allclose(np.angle(np.exp(1j * (lon_k - lon_f))), 0.0, atol=1e-9)
    np.testing.assert_allclose(alt_k, alt_f, atol=1e-3)
