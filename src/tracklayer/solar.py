"""The Sun: its direction in ECEF, illumination of points, and the solar constant.

The Sun's apparent geocentric direction comes from the low-precision formulae of the
*Astronomical Almanac* (section C, "Low precision formulas for the Sun": mean longitude,
mean anomaly, ecliptic longitude with the equation of centre, obliquity), accurate to
0.01° between 1950 and 2050, in the true equator and equinox of date; Earth rotation to
ECEF is :func:`tracklayer.frames.teme_to_ecef` (Skyfield's GMST at UT1). The tests check
the direction against Skyfield with a JPL ephemeris (within 0.02°). No ephemeris file is
needed at run time.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tracklayer.constants import DEG
from tracklayer.frames import skyfield_time, teme_to_ecef

F64 = NDArray[np.float64]

__all__ = ["AU_M", "SOLAR_CONSTANT_W_M2", "solar_zenith_cos", "sun_direction_ecef", "sunlit"]

#: Astronomical unit, m (IAU 2012).
AU_M = 149_597_870_700.0
#: Total solar irradiance at 1 au, W/m² (Kopp and Lean, GRL 38, L01706, 2011).
SOLAR_CONSTANT_W_M2 = 1361.0
#: Solar radius, m (IAU 2015 nominal).
SUN_RADIUS_M = 6.957e8
#: Solar effective temperature, K (IAU 2015 nominal).
SUN_TEMPERATURE_K = 5772.0


def sun_direction_ecef(epoch: datetime, seconds: ArrayLike) -> tuple[F64, F64]:
    """Unit vector from the Earth's centre to the Sun, ECEF, and the Sun's distance.

    Parameters
    ----------
    epoch
        Timezone-aware UTC epoch.
    seconds
        Seconds since the epoch, shape ``(T,)``.

    Returns
    -------
    direction : ndarray, shape (T, 3)
    distance_m : ndarray, shape (T,)
    """
    s = np.atleast_1d(np.asarray(seconds, dtype=np.float64))
    t = skyfield_time(epoch, s)
    n = np.asarray(t.tt - 2451545.0)
    mean_lon = (280.460 + 0.9856474 * n) * DEG
    g = (357.528 + 0.9856003 * n) * DEG
    ecl_lon = mean_lon + (1.915 * np.sin(g) + 0.020 * np.sin(2.0 * g)) * DEG
    obliquity = (23.439 - 0.0000004 * n) * DEG
    dist_au = 1.00014 - 0.01671 * np.cos(g) - 0.00014 * np.cos(2.0 * g)
    u = np.stack(
        [
            np.cos(ecl_lon),
            np.cos(obliquity) * np.sin(ecl_lon),
            np.sin(obliquity) * np.sin(ecl_lon),
        ],
        axis=-1,
    )
    r, _ = teme_to_ecef(u[None], np.zeros_like(u)[None], epoch, s)
    return r[0], dist_au * AU_M


def solar_zenith_cos(points_ecef: ArrayLike, sun_dir: ArrayLike) -> F64:
    """Cosine of the Sun's zenith angle at points (geocentric up), shapes broadcast ``(..., 3)``."""
    p = np.asarray(points_ecef, dtype=np.float64)
    up = p / np.linalg.norm(p, axis=-1, keepdims=True)
    return np.asarray(np.einsum("...i,...i->...", up, np.asarray(sun_dir, dtype=np.float64)))


def sunlit(points_ecef: ArrayLike, sun_dir: ArrayLike, earth_radius_m: float) -> NDArray[np.bool_]:
    """Whether points see the Sun past the Earth (cylindrical shadow of a sphere).

    A point is in shadow when it lies behind the Earth (``p · s < 0``) within
    ``earth_radius_m`` of the Earth-Sun axis; the penumbra (0.5° wide) is ignored.
    """
    p = np.asarray(points_ecef, dtype=np.float64)
    s = np.asarray(sun_dir, dtype=np.float64)
    along = np.einsum("...i,...i->...", p, s)
    perp2 = np.einsum("...i,...i->...", p, p) - along * along
    return np.asarray((along > 0.0) | (perp2 > earth_radius_m**2), dtype=np.bool_)
