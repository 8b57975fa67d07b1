"""The Earth a threat flies over: gravity, frame rotation, altitude and surface geometry.

Arrays are component-major, ``(3, N)``, so that each component is one contiguous row in the
integrator's hot loop. Positions and velocities are ECEF (rotating with the Earth), SI.

Gravity is point mass plus the J2 zonal term (Vallado, *Fundamentals of Astrodynamics and
Applications*, 4th ed., 2013, ch. 8); in the rotating frame the Coriolis ``-2 w x v`` and
centrifugal ``-w x (w x r)`` accelerations are added. Both are evaluated per vehicle by the
compiled flight kernels (:mod:`tracklayer.threats._flight_kernels`) from
:meth:`EarthModel.kernel_arrays`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tracklayer.constants import (
    EARTH_MEAN_RADIUS_M,
    J2_EARTH,
    MU_EARTH_M3_S2,
    OMEGA_EARTH_RAD_S,
    WGS84_A_M,
    WGS84_B_M,
)
from tracklayer.threats import _truth_kernels as TK
from tracklayer.threats.atmosphere import DZ_M, TOP_M, Atmosphere, us1976
from tracklayer.threats.config import EarthOptions

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class EarthModel:
    """Shape, gravity, rotation and atmosphere, as SI numbers for the dynamics kernels."""

    a_m: float
    b_m: float
    mu: float
    j2: float
    omega: float
    atmosphere: Atmosphere | None

    @classmethod
    def from_options(cls, opts: EarthOptions) -> EarthModel:
        """Build the model the scenario's ``threats.earth`` options describe."""
        if opts.model == "wgs84":
            a, b = WGS84_A_M, WGS84_B_M
        else:
            a = b = EARTH_MEAN_RADIUS_M
        return cls(
            a_m=a,
            b_m=b,
            mu=MU_EARTH_M3_S2,
            j2=J2_EARTH if opts.j2 else 0.0,
            omega=OMEGA_EARTH_RAD_S if opts.rotating else 0.0,
            atmosphere=us1976() if opts.atmosphere else None,
        )

    @property
    def spherical(self) -> bool:
        return self.a_m == self.b_m

    @property
    def e2(self) -> float:
        return 1.0 - (self.b_m / self.a_m) ** 2

    def kernel_arrays(self) -> tuple[F64, F64]:
        """The model as the flight kernels' ``earth`` ``(8,)`` and ``log_rho`` ``(K,)`` arrays.

        Gravity (point mass plus J2) and the frame terms are evaluated by
        :func:`tracklayer.threats._flight_kernels.accel_batch` from these numbers.
        """
        atm = self.atmosphere
        earth = np.array(
            [
                self.a_m,
                self.b_m,
                self.mu,
                self.j2,
                self.omega,
                TOP_M,
                1.0 / DZ_M,
                0.0 if atm is None else 1.0,
            ]
        )
        log_rho = np.zeros(2) if atm is None else np.ascontiguousarray(atm.log_density)
        return earth, log_rho

    def altitude_fast(self, r: F64, rn: F64) -> F64:
        """Height above the ellipsoid along the radius, m: ``|r| - R(geocentric lat)``.

        For the WGS84 model this differs from the geodetic height by less than 1 m below
        200 km (the two directions differ by at most 0.2 deg), which is far inside the
        atmosphere's own uncertainty; :func:`geodetic` gives the exact value.
        """
        if self.spherical:
            return rn - self.a_m
        s2 = (r[2] / rn) ** 2
        radius = self.a_m * self.b_m / np.sqrt(self.b_m**2 * (1.0 - s2) + self.a_m**2 * s2)
        return rn - radius

    def geodetic(self, r: F64) -> tuple[F64, F64, F64]:
        """Latitude (rad), longitude (rad) and height (m) of ECEF points ``(3, ...)``.

        WGS84: Bowring's method with two refinements (sub-millimetre below 1000 km,
        Bowring 1976, Survey Review 23(181)). Spherical: geocentric latitude and the
        height above the sphere. Computed per point by
        :func:`tracklayer.threats._truth_kernels.geodetic_batch`.
        """
        r = np.asarray(r, dtype=np.float64)
        shape = r.shape[1:]
        out = np.empty((3, int(np.prod(shape, dtype=np.int64))))
        TK.geodetic_batch(np.ascontiguousarray(r.reshape(3, -1)), self.a_m, self.b_m, out)
        return out[0].reshape(shape), out[1].reshape(shape), out[2].reshape(shape)

    def ecef(self, lat: F64, lon: F64, h: F64) -> F64:
        """ECEF position ``(3, ...)`` of geodetic (or, spherical, geocentric) coordinates."""
        lat, lon, h = np.broadcast_arrays(
            np.asarray(lat, float), np.asarray(lon, float), np.asarray(h, float)
        )
        sl, cl = np.sin(lat), np.cos(lat)
        n = self.a_m / np.sqrt(1.0 - self.e2 * sl * sl)
        return np.stack(
            ((n + h) * cl * np.cos(lon), (n + h) * cl * np.sin(lon), (n * (1 - self.e2) + h) * sl)
        )

    def up(self, lat: F64, lon: F64) -> F64:
        """Unit normal to the surface (ellipsoidal up) ``(3, ...)``."""
        return enu_basis(lat, lon)[2]


def enu_basis(lat: F64, lon: F64) -> tuple[F64, F64, F64]:
    """East, north and up unit vectors ``(3, ...)`` at geodetic latitude/longitude (rad)."""
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    east = np.stack((-so, co, 0.0 * so))
    north = np.stack((-sl * co, -sl * so, cl))
    up = np.stack((cl * co, cl * so, sl))
    return east, north, up


def bearing(lat1: F64, lon1: F64, lat2: F64, lon2: F64) -> F64:
    """Initial great-circle azimuth from point 1 to point 2 (rad, clockwise from north)."""
    dlon = lon2 - lon1
    y = np.sin(dlon) * np.cos(lat2)
    x = np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dlon)
    return np.arctan2(y, x)


def central_angle(lat1: F64, lon1: F64, lat2: F64, lon2: F64) -> F64:
    """Great-circle angle between two points (rad), haversine form."""
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def destination(lat: F64, lon: F64, azimuth: F64, angle: F64) -> tuple[F64, F64]:
    """Point reached along a great circle from (lat, lon) at ``azimuth`` over ``angle`` (rad)."""
    lat2 = np.arcsin(np.sin(lat) * np.cos(angle) + np.cos(lat) * np.sin(angle) * np.cos(azimuth))
    lon2 = lon + np.arctan2(
        np.sin(azimuth) * np.sin(angle) * np.cos(lat), np.cos(angle) - np.sin(lat) * np.sin(lat2)
    )
    return lat2, (lon2 + np.pi) % (2 * np.pi) - np.pi
