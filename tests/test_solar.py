"""The Sun's direction against Skyfield with a JPL ephemeris; illumination of points."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import numpy as np
import skyfield
from skyfield.api import load
from skyfield.framelib import itrs

from tracklayer.constants import WGS84_A_M
from tracklayer.solar import AU_M, sun_direction_ecef, sunlit

#: Skyfield's own test kernel (JPL DE430 around 2015-03-02), shipped with the package.
DE430 = os.path.join(os.path.dirname(skyfield.__file__), "tests", "data", "de430-2015-03-02.bsp")


def test_sun_direction_matches_skyfield_and_jpl_de430() -> None:
    """Apparent Sun direction in ITRS within 0.005° (18 arcsec), distance within 1e-4 au.

    Reference: Skyfield ``earth.at(t).observe(sun).apparent()`` in its ITRS frame with JPL
    DE430 (the Astronomical Almanac's low-precision formulae promise 0.01°).
    """
    eph = load(DE430)
    epoch = datetime(2015, 3, 2, tzinfo=UTC)
    seconds = np.array([0.0, 7200.0, 43200.0, 80000.0])
    direction, dist = sun_direction_ecef(epoch, seconds)
    t = load.timescale(builtin=True).utc(2015, 3, 2, 0, 0, seconds)
    ref = eph["earth"].at(t).observe(eph["sun"]).apparent().frame_xyz(itrs).m.T
    eph.close()
    ref_dist = np.linalg.norm(ref, axis=-1)
    angle = np.degrees(np.arccos(np.clip(np.sum(direction * ref / ref_dist[:, None], -1), -1, 1)))
    assert np.all(angle < 0.005)
    np.testing.assert_allclose(dist / AU_M, ref_dist / AU_M, atol=1e-4)


def test_cylindrical_shadow() -> None:
    """Points behind the Earth within its radius of the axis are dark; the rest lit."""
    sun = np.array([1.0, 0.0, 0.0])
    pts = np.array(
        [
            [WGS84_A_M + 500e3, 0.0, 0.0],  # day side
            [-(WGS84_A_M + 500e3), 0.0, 0.0],  # behind the Earth
            [-(WGS84_A_M + 500e3), WGS84_A_M + 100e3, 0.0],  # behind but outside the shadow
        ]
    )
    assert sunlit(pts, sun, WGS84_A_M).tolist() == [True, False, True]
