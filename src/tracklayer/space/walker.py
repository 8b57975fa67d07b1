"""Walker delta and star constellations as SGP4 element sets.

Geometry (Walker, "Satellite constellations", JBIS 37, 1984, pp. 559-572): a pattern
T/P/F has P planes of S = T/P satellites. Plane ``j`` has its ascending node at
``Ω_j = Ω_0 + j·ΔΩ/P`` (ΔΩ = 360° for delta, 180° for star) and satellite ``k`` of
plane ``j`` has mean argument of latitude ``u_jk = k·360°/S + j·F·360°/T``.

Altitude to mean motion
-----------------------
``altitude_km`` is the orbit's mean altitude: its mean geocentric radius over one orbit
minus the WGS84 equatorial radius, the convention of constellation studies (a = R_E + h).
SGP4 works with Brouwer mean elements, whose semi-major axis ``a''`` differs from the
orbit-averaged radius by the constant part of SGP4's J2 short-period radius correction
(Hoots & Roehrich, Spacetrack Report #3, eq. for ``r_k``):
``⟨r⟩ = a'' − (3/4)·J2·R²·(3cos²i − 1)/a''`` for a circular orbit (a few km at LEO).
We solve that quadratic for ``a''``, take the Brouwer mean motion
``n'' = k_e·(R/a'')^{3/2}`` with SGP4's WGS72 constants, and invert SGP4's
Kozai-to-Brouwer conversion (``initl``) by fixed-point iteration to get the Kozai mean
motion that :meth:`Satrec.sgp4init` takes. There is no drag (B* = 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray
from sgp4.api import WGS72, Satrec
from sgp4.earth_gravity import wgs72

from tracklayer.constants import DEG, KM, WGS84_A_M
from tracklayer.space.config import WalkerConstellation

__all__ = [
    "WalkerLayout",
    "brouwer_to_kozai_mean_motion",
    "mean_sma_for_mean_radius",
    "walker_layout",
    "walker_satrecs",
]

#: SGP4's epoch origin: sgp4init counts days from 1949 December 31 00:00 UTC.
_SGP4_EPOCH0 = datetime(1949, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class WalkerLayout:
    """Per-satellite angles of a Walker pattern, all arrays of shape (T,).

    Attributes
    ----------
    plane, slot : ndarray of int
        0-based plane index ``j`` and in-plane index ``k``.
    raan : ndarray
        Right ascension of the ascending node, rad, in [0, 2π).
    arg_lat : ndarray
        Mean argument of latitude at epoch, rad, in [0, 2π).
    """

    plane: NDArray[np.int64]
    slot: NDArray[np.int64]
    raan: NDArray[np.float64]
    arg_lat: NDArray[np.float64]


def walker_layout(
    total: int, planes: int, phasing: int, raan_spread: float, raan0: float = 0.0
) -> WalkerLayout:
    """Nodes and phases of a Walker T/P/F pattern.

    Parameters
    ----------
    total, planes, phasing : int
        T, P and F; T must be a multiple of P and 0 <= F < P.
    raan_spread : float
        Span of the nodes, rad (2π for delta, π for star).
    raan0 : float
        Node of plane 0, rad.

    Returns
    -------
    WalkerLayout
        Satellites ordered plane by plane.
    """
    if total % planes != 0 or not 0 <= phasing < planes:
        raise ValueError(f"invalid Walker pattern {total}/{planes}/{phasing}")
    per_plane = total // planes
    index = np.arange(total)
    plane = index // per_plane
    slot = index % per_plane
    raan = np.mod(raan0 + plane * (raan_spread / planes), 2.0 * math.pi)
    arg_lat = np.mod(
        slot * (2.0 * math.pi / per_plane) + plane * (phasing * 2.0 * math.pi / total),
        2.0 * math.pi,
    )
    return WalkerLayout(plane=plane, slot=slot, raan=raan, arg_lat=arg_lat)


def mean_sma_for_mean_radius(mean_radius_m: float, inclination: float) -> float:
    """Brouwer mean semi-major axis (m) whose SGP4 orbit has the given mean radius.

    Solves ``⟨r⟩ = a − (3/4)·J2·R²·(3cos²i − 1)/a`` for ``a`` with SGP4's WGS72 J2 and R,
    the constant term of SGP4's short-period radius correction for a circular orbit.
    """
    r_eq = wgs72.radiusearthkm * KM
    c = 0.75 * wgs72.j2 * r_eq * r_eq * (3.0 * math.cos(inclination) ** 2 - 1.0)
    return 0.5 * (mean_radius_m + math.sqrt(mean_radius_m * mean_radius_m + 4.0 * c))


def brouwer_to_kozai_mean_motion(n_brouwer: float, ecc: float, inclination: float) -> float:
    """Kozai mean motion (rad/min) that SGP4's ``initl`` turns into ``n_brouwer`` (rad/min).

    ``initl`` computes ``a1 = (k_e/n_K)^{2/3}``, ``δ1 = (3/4)·J2·(3cos²i−1)/((1−e²)^{3/2}·a1²)``,
    ``a0 = a1·(1 − δ1/3 − δ1² − 134δ1³/81)``, ``δ0`` likewise with ``a0`` and
    ``n'' = n_K/(1+δ0)`` (Spacetrack Report #3). We iterate ``n_K = n''·(1+δ0(n_K))``,
    which converges to machine precision in a few steps since δ0 ≈ 1e-3.
    """
    xke, j2 = wgs72.xke, wgs72.j2
    d1 = 0.75 * j2 * (3.0 * math.cos(inclination) ** 2 - 1.0) / (1.0 - ecc * ecc) ** 1.5
    n_k = n_brouwer
    for _ in range(20):
        ak = (xke / n_k) ** (2.0 / 3.0)
        delta = d1 / (ak * ak)
        adel = ak * (1.0 - delta * delta - delta * (1.0 / 3.0 + 134.0 * delta * delta / 81.0))
        delta = d1 / (adel * adel)
        n_next = n_brouwer * (1.0 + delta)
        if abs(n_next - n_k) <= 1e-15 * n_brouwer:
            return n_next
        n_k = n_next
    return n_k


def walker_satrecs(config: WalkerConstellation, epoch: datetime) -> list[Satrec]:
    """SGP4 records of every satellite of a Walker constellation, ordered plane by plane.

    Parameters
    ----------
    config : WalkerConstellation
        The pattern, altitude and inclination.
    epoch : datetime
        Epoch of the elements (the scenario epoch), timezone-aware UTC.

    Returns
    -------
    list of Satrec
        Initialised with WGS72 constants in SGP4's improved mode, B* = 0, argument of
        perigee 0 (so the mean anomaly is the argument of latitude), catalogue numbers
        1..T.
    """
    inc = config.inclination_deg * DEG
    ecc = config.eccentricity
    a_mean = mean_sma_for_mean_radius(WGS84_A_M + config.altitude_km * KM, inc)
    r_eq = wgs72.radiusearthkm * KM
    n_brouwer = wgs72.xke * (r_eq / a_mean) ** 1.5  # rad/min, SGP4's unit
    n_kozai = brouwer_to_kozai_mean_motion(n_brouwer, ecc, inc)
    layout = walker_layout(
        config.total, config.planes, config.phasing, config.raan_spread_rad, config.raan0_deg * DEG
    )
    epoch_days = (epoch.astimezone(UTC) - _SGP4_EPOCH0).total_seconds() / 86400.0
    satrecs: list[Satrec] = []
    for i in range(config.total):
        sat = Satrec()
        sat.sgp4init(
            WGS72,
            "i",
            i + 1,
            epoch_days,
            0.0,  # bstar
            0.0,  # ndot
            0.0,  # nddot
            ecc,
            0.0,  # argument of perigee
            inc,
            float(layout.arg_lat[i]),  # mean anomaly
            n_kozai,
            float(layout.raan[i]),
        )
        satrecs.append(sat)
    return satrecs
