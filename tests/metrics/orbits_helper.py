"""Test orbits: circular two-body Walker delta patterns, rotated into ECEF.

Independent of ``tracklayer.space`` on purpose: the coverage tests need exact, simple
satellite positions, not SGP4. The Earth rotates uniformly at the WGS84 rate from an
Earth rotation angle of 0 at t = 0 (ECI x axis = ECEF x axis at the epoch).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tracklayer.constants import DEG, MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S, WGS84_A_M


def walker_delta_ecef(
    t: int,
    p: int,
    f: int,
    altitude_m: float,
    inclination_deg: float,
    seconds: NDArray[np.float64],
    raan_spread_deg: float = 360.0,
    radius_m: float = WGS84_A_M,
) -> NDArray[np.float64]:
    """ECEF positions of a Walker delta pattern t/p/f, shape ``(t, len(seconds), 3)``, m.

    Plane j has RAAN ``j * spread / p``; satellite i of plane j has argument of latitude
    ``2 pi (i / s + f j / t)`` at t = 0, with s = t / p satellites per plane (Walker 1984).
    """
    s = t // p
    a = radius_m + altitude_m
    n = np.sqrt(MU_EARTH_M3_S2 / a**3)
    plane = np.repeat(np.arange(p), s)
    slot = np.tile(np.arange(s), p)
    raan = plane * raan_spread_deg * DEG / p
    u0 = 2.0 * np.pi * (slot / s + f * plane / t)
    inc = inclination_deg * DEG
    u = u0[:, None] + n * seconds[None, :]
    # Position in the orbit plane, then rotate by inclination and RAAN.
    xo, yo = np.cos(u), np.sin(u)
    co, so = np.cos(raan)[:, None], np.sin(raan)[:, None]
    ci, si = np.cos(inc), np.sin(inc)
    x = a * (co * xo - so * ci * yo)
    y = a * (so * xo + co * ci * yo)
    z = a * (si * yo) * np.ones_like(co)
    theta = OMEGA_EARTH_RAD_S * seconds[None, :]
    ct, st = np.cos(theta), np.sin(theta)
    return np.stack([ct * x + st * y, -st * x + ct * y, z], axis=-1)
