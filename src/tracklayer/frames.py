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
from sgp4.api import jday

from tracklayer.constants import DAY_S, WGS84_A_M, WGS84_B_M, WGS84_E2

if TYPE_CHECKING:
    import pyarrow as pa
    from numpy.typing import ArrayLike, NDArray
    from skyfield.timelib import Time, Timescale

__all__ = [
    "datetime64_ns",
    "ecef_to_geodetic",
    "enu_basis",
    "geodetic_to_ecef",
    "rotate_teme_to_ecef",
    "sgp4_julian_dates",
    "skyfield_time",
    "teme_to_ecef",
    "teme_to_ecef_rotation",
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
    # Skyfield loads here, on first use, not when the module is imported: reading a
    # scenario needs none of it.
    from skyfield.api import load

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

    Skyfield defines its TEME frame (:class:`skyfield.sgp4lib.TEME`) by
    ``R_TEME = R_z(θ − GAST) · M`` and its ITRS frame (:data:`skyfield.framelib.itrs`) by
    ``R_ITRS = R_z(−GAST) · M`` (``M`` precession-nutation, GAST the apparent sidereal
    time), so ECEF-from-TEME is ``R_ITRS · R_TEMEᵀ = R_z(−θ)``, a rotation about the z
    axis by the Greenwich mean sidereal time of IAU 1982 at UT1,
    :func:`skyfield.sgp4lib.theta_GMST1982` (AIAA 2006-6753, Appendix C). It is computed
    in that closed form: composing the two frame objects gives the same positions within
    5e-8 m (tests) but evaluates the IAU 2000A nutation series, about 1 ms per time, only
    to cancel it. Velocity is relative to the rotating Earth: the rotated velocity minus
    ``ω × r`` with ω the rate of θ, so a point fixed in this frame has zero velocity.
    Skyfield's built-in timescale has no polar motion, so the ECEF frame is the pseudo
    Earth-fixed frame, within about 10-15 m of the true ITRS at LEO radii, far below
    SGP4's own error of about a kilometre. Valid for any epoch Skyfield's built-in UT1
    tables cover (1973 to a few months past the package's release, extrapolated after).

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
    return rotate_teme_to_ecef(r, v, teme_to_ecef_rotation(epoch, s))


def teme_to_ecef_rotation(
    epoch: datetime, seconds: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The sidereal angle of :func:`teme_to_ecef` at each time, and its rate.

    Returns
    -------
    theta : ndarray, shape (T,)
        Greenwich mean sidereal time (IAU 1982) at UT1, rad: ECEF = R_z(−θ) · TEME.
    theta_rate : ndarray, shape (T,)
        Its rate, rad per day of UT1.
    """
    from skyfield.sgp4lib import theta_GMST1982

    t = skyfield_time(epoch, np.atleast_1d(np.asarray(seconds, dtype=np.float64)))
    theta, theta_rate = theta_GMST1982(t.whole, t.ut1_fraction)
    return np.asarray(theta, dtype=np.float64), np.asarray(theta_rate, dtype=np.float64)


def rotate_teme_to_ecef(
    r_teme: NDArray[np.float64],
    v_teme: NDArray[np.float64],
    rotation: tuple[NDArray[np.float64], NDArray[np.float64]],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Apply a :func:`teme_to_ecef_rotation` to TEME states of shape (..., T, 3), m and m/s.

    Velocities are carried in m per day, the unit of the angle's rate, so that the result
    equals Skyfield's former ``TEME_to_ITRF`` to the last bit.
    """
    theta, rate = rotation
    cos, sin = np.cos(theta), np.sin(theta)  # (T,), broadcast over (..., T)
    x, y, z = r_teme[..., 0], r_teme[..., 1], r_teme[..., 2]
    r_out = np.stack([cos * x + sin * y + 0.0 * z, -sin * x + cos * y + 0.0 * z, z], axis=-1)
    vx, vy, vz = (v_teme[..., i] * DAY_S for i in range(3))
    v_out = np.stack(
        [
            cos * vx + sin * vy + 0.0 * vz + rate * r_out[..., 1],
            -sin * vx + cos * vy + 0.0 * vz - rate * r_out[..., 0],
            vz,
        ],
        axis=-1,
    )
    return r_out, v_out / DAY_S


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
    import pyarrow as pa

    values = np.atleast_1d(datetime64_ns(epoch, seconds).astype(np.int64))
    return pa.array(values, type=pa.timestamp("ns", tz="UTC"))
