"""Time scales and the conversions between SGP4's TEME, ECEF (ITRS) and WGS84 geodetic.

Every function is vectorized: positions have shape ``(..., T, 3)`` with the time axis
second to last, times are float64 seconds since a scenario epoch (a timezone-aware UTC
``datetime``), and everything is SI (m, m/s, rad).

Time convention
---------------
Seconds since the epoch are counted on the UTC clock as POSIX time does (and as Python's
``datetime``, numpy's ``datetime64`` and Arrow timestamps do): a leap second inside a run
is not represented. SGP4 element epochs are UTC (AIAA 2006-6753, section II), so the
Julian dates handed to SGP4 are UTC Julian dates. Earth rotation needs UT1, which comes
from Skyfield's built-in timescale (its shipped leap-second and delta-T tables, no
download).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from sgp4.api import jday
from skyfield.api import load
from skyfield.sgp4lib import TEME_to_ITRF

from tracklayer.constants import DAY_S, WGS84_A_M, WGS84_B_M, WGS84_E2

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray
    from skyfield.timelib import Time, Timescale

__all__ = [
    "datetime64_ns",
    "ecef_to_geodetic",
    "enu_basis",
    "geodetic_to_ecef",
    "sgp4_julian_dates",
    "skyfield_time",
    "teme_to_ecef",
    "timescale",
    "utc_timestamps",
]

#: Second eccentricity squared of WGS84, e'^2 = (a^2 - b^2) / b^2.
_EP2 = (WGS84_A_M**2 - WGS84_B_M**2) / WGS84_B_M**2


def _require_utc(epoch: datetime) -> datetime:
    """Return ``epoch`` in UTC; naive datetimes are refused, they hide timezone mistakes."""
    if epoch.tzinfo is None or epoch.utcoffset() is None:
        raise ValueError(f"epoch must be timezone-aware (UTC), got naive {epoch!r}")
    return epoch.astimezone(UTC)


@cache
def timescale() -> Timescale:
    """Skyfield's built-in timescale (offline), loaded once per process."""
    return load.timescale(builtin=True)


def sgp4_julian_dates(
    epoch: datetime, seconds: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """UTC Julian dates, split as SGP4 wants them, for times after a scenario epoch.

    Parameters
    ----------
    epoch : datetime
        Scenario epoch, timezone-aware.
    seconds : array_like, shape (T,)
        Seconds since ``epoch`` on the UTC clock.

    Returns
    -------
    jd, fr : ndarray, shape (T,)
        Whole Julian date (ending in .5, i.e. midnight) and fraction of day, UTC. Splitting
        keeps the time exact to about 1e-11 day (1 µs) where a single float64 Julian date
        would round to about 40 µs.
    """
    epoch = _require_utc(epoch)
    jd0, fr0 = jday(
        epoch.year,
        epoch.month,
        epoch.day,
        epoch.hour,
        epoch.minute,
        epoch.second + epoch.microsecond * 1e-6,
    )
    fr = fr0 + np.asarray(seconds, dtype=np.float64) / DAY_S
    whole = np.floor(fr)
    return jd0 + whole, fr - whole


def skyfield_time(epoch: datetime, seconds: ArrayLike) -> Time:
    """Skyfield ``Time`` for the instants ``epoch + seconds`` (UTC clock), shape (T,)."""
    epoch = _require_utc(epoch)
    s = np.asarray(seconds, dtype=np.float64)
    return timescale().utc(
        epoch.year,
        epoch.month,
        epoch.day,
        epoch.hour,
        epoch.minute,
        epoch.second + epoch.microsecond * 1e-6 + s,
    )


def teme_to_ecef(
    r_teme: ArrayLike, v_teme: ArrayLike, epoch: datetime, seconds: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Rotate SGP4 TEME states into ECEF (ITRS).

    The rotation is Skyfield's :func:`skyfield.sgp4lib.TEME_to_ITRF`: a rotation about
    the z axis by the Greenwich mean sidereal time of IAU 1982 evaluated at UT1, plus the
    ``ω × r`` term for velocity with ω the rate of that angle (AIAA 2006-6753, Appendix C).
    Polar motion is taken as zero (xp = yp = 0): the ECEF frame is then the pseudo
    Earth-fixed frame, within about 10-15 m of the true ITRS at LEO radii, far below
    SGP4's own error of about a kilometre.

    Parameters
    ----------
    r_teme, v_teme : array_like, shape (..., T, 3)
        TEME position (m) and velocity (m/s).
    epoch : datetime
        Scenario epoch, timezone-aware.
    seconds : array_like, shape (T,)
        Seconds since ``epoch`` (UTC clock) of each sample on the time axis.

    Returns
    -------
    r_ecef, v_ecef : ndarray, shape (..., T, 3)
        ECEF position (m) and velocity (m/s), velocity relative to the rotating Earth.
    """
    r = np.asarray(r_teme, dtype=np.float64)
    v = np.asarray(v_teme, dtype=np.float64)
    s = np.atleast_1d(np.asarray(seconds, dtype=np.float64))
    if r.shape != v.shape or r.ndim < 2 or r.shape[-1] != 3 or r.shape[-2] != s.shape[0]:
        raise ValueError(
            f"r_teme and v_teme must have shape (..., T, 3) with T = len(seconds) = "
            f"{s.shape[0]}, got {r.shape} and {v.shape}"
        )
    t = skyfield_time(epoch, s)
    # Skyfield puts the xyz axis first and broadcasts the angle over the trailing axes,
    # so lay the arrays out as (3, T, rest...) and give the angle shape (T, 1, ...).
    r3 = r.reshape(-1, s.shape[0], 3).transpose(2, 1, 0)
    v3 = v.reshape(-1, s.shape[0], 3).transpose(2, 1, 0)
    whole = t.whole[:, np.newaxis]
    frac = t.ut1_fraction[:, np.newaxis]
    # TEME_to_ITRF's angular rate is per day, so velocities travel in m/day.
    r_itrf, v_itrf = TEME_to_ITRF(whole, r3, v3 * DAY_S, 0.0, 0.0, frac)
    r_out = np.ascontiguousarray(r_itrf.transpose(2, 1, 0)).reshape(r.shape)
    v_out = np.ascontiguousarray(v_itrf.transpose(2, 1, 0)).reshape(r.shape)
    v_out /= DAY_S
    return r_out, v_out


def ecef_to_geodetic(
    r: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """WGS84 geodetic latitude, longitude and ellipsoidal height of ECEF points.

    Closed form of Heikkinen (1982), as given by Zhu, "Conversion of Earth-centered
    Earth-fixed coordinates to geodetic coordinates", IEEE Trans. AES 30(3), 1994, then
    one fixed-point step on the latitude (Bowring) that removes its float64 rounding
    (sub-micrometre from the surface to GEO). Not defined within about 40 km of the
    Earth's centre.

    Parameters
    ----------
    r : array_like, shape (..., 3)
        ECEF positions, m.

    Returns
    -------
    lat, lon, alt : ndarray, shape (...)
        Geodetic latitude (rad, -π/2..π/2), longitude (rad, -π..π] and height above the
        WGS84 ellipsoid (m).
    """
    p_xyz = np.asarray(r, dtype=np.float64)
    x, y, z = p_xyz[..., 0], p_xyz[..., 1], p_xyz[..., 2]
    a, b, e2 = WGS84_A_M, WGS84_B_M, WGS84_E2
    p2 = x * x + y * y
    p = np.sqrt(p2)
    z2 = z * z
    f_ = 54.0 * b * b * z2
    g = p2 + (1.0 - e2) * z2 - e2 * (a * a - b * b)
    c = e2 * e2 * f_ * p2 / (g * g * g)
    s = np.cbrt(1.0 + c + np.sqrt(c * c + 2.0 * c))
    k = s + 1.0 + 1.0 / s
    pp = f_ / (3.0 * k * k * g * g)
    q = np.sqrt(1.0 + 2.0 * e2 * e2 * pp)
    r0 = -pp * e2 * p / (1.0 + q) + np.sqrt(
        np.maximum(
            0.5 * a * a * (1.0 + 1.0 / q) - pp * (1.0 - e2) * z2 / (q * (1.0 + q)) - 0.5 * pp * p2,
            0.0,
        )
    )
    u2 = (p - e2 * r0) ** 2
    v = np.sqrt(u2 + (1.0 - e2) * z2)
    z0 = b * b * z / (a * v)
    lat = np.arctan2(z + _EP2 * z0, p)
    # One refinement of the latitude (Bowring's fixed point), then the height
    # from the refined latitude, well conditioned at every latitude.
    sin_lat = np.sin(lat)
    cos_lat = np.cos(lat)
    n = a / np.sqrt(1.0 - e2 * sin_lat * sin_lat)
    lat = np.arctan2(z + e2 * n * sin_lat, p)
    sin_lat = np.sin(lat)
    cos_lat = np.cos(lat)
    n = a / np.sqrt(1.0 - e2 * sin_lat * sin_lat)
    alt = p * cos_lat + z * sin_lat - a * a / n
    lon = np.arctan2(y, x)
    return lat, lon, alt


def geodetic_to_ecef(lat: ArrayLike, lon: ArrayLike, alt: ArrayLike) -> NDArray[np.float64]:
    """ECEF position of WGS84 geodetic coordinates.

    Parameters
    ----------
    lat, lon : array_like, shape (...)
        Geodetic latitude and longitude, rad.
    alt : array_like, shape (...)
        Height above the ellipsoid, m.

    Returns
    -------
    r : ndarray, shape (..., 3)
        ECEF position, m (NIMA TR8350.2 eq. 4-14).
    """
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    h = np.asarray(alt, dtype=np.float64)
    sin_lat = np.sin(la)
    cos_lat = np.cos(la)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sin_lat * sin_lat)
    rho = (n + h) * cos_lat
    return np.stack(
        np.broadcast_arrays(
            rho * np.cos(lo), rho * np.sin(lo), (n * (1.0 - WGS84_E2) + h) * sin_lat
        ),
        axis=-1,
    )


def enu_basis(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """Local east-north-up unit vectors, expressed in ECEF.

    Parameters
    ----------
    lat, lon : array_like, shape (...)
        Geodetic latitude and longitude, rad.

    Returns
    -------
    basis : ndarray, shape (..., 3, 3)
        Rows are the east, north and up unit vectors, so ``basis @ d`` turns an ECEF
        vector ``d`` into its (east, north, up) components. Up is the ellipsoid normal.
    """
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    la, lo = np.broadcast_arrays(la, lo)
    sl, cl = np.sin(la), np.cos(la)
    so, co = np.sin(lo), np.cos(lo)
    zero = np.zeros_like(la)
    east = np.stack([-so, co, zero], axis=-1)
    north = np.stack([-sl * co, -sl * so, cl], axis=-1)
    up = np.stack([cl * co, cl * so, sl], axis=-1)
    return np.stack([east, north, up], axis=-2)


def datetime64_ns(epoch: datetime, seconds: ArrayLike) -> NDArray[np.datetime64]:
    """``epoch + seconds`` as naive ``datetime64[ns]`` values meaning UTC, shape (T,).

    Seconds are rounded to the nearest nanosecond.
    """
    epoch = _require_utc(epoch)
    base = np.datetime64(epoch.replace(tzinfo=None), "ns")
    s = np.asarray(seconds, dtype=np.float64)
    return base + np.rint(s * 1e9).astype("timedelta64[ns]")


def utc_timestamps(epoch: datetime, seconds: ArrayLike) -> pa.Array:
    """``epoch + seconds`` as an Arrow ``timestamp[ns, UTC]`` array, for table columns."""
    values = np.atleast_1d(datetime64_ns(epoch, seconds).astype(np.int64))
    return pa.array(values, type=pa.timestamp("ns", tz="UTC"))
