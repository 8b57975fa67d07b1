"""Physical constants, in SI units, shared by every stage.

Earth figures are WGS84 (NIMA TR8350.2); the gravitational parameter is WGS84's
GM including the atmosphere; J2 is the EGM96 normalized C20 value un-normalized.
"""

from __future__ import annotations

import math

#: WGS84 semi-major axis (equatorial radius), m.
WGS84_A_M = 6378137.0
#: WGS84 flattening.
WGS84_F = 1.0 / 298.257223563
#: WGS84 semi-minor axis (polar radius), m.
WGS84_B_M = WGS84_A_M * (1.0 - WGS84_F)
#: WGS84 first eccentricity squared.
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
#: Mean Earth radius (IUGG, 2a+b)/3, m: the radius of the spherical-Earth options.
EARTH_MEAN_RADIUS_M = (2.0 * WGS84_A_M + WGS84_B_M) / 3.0
#: WGS84 Earth gravitational parameter GM, m^3/s^2.
MU_EARTH_M3_S2 = 3.986004418e14
#: Second zonal harmonic J2 (dimensionless), EGM96.
J2_EARTH = 1.08262668e-3
#: WGS84 nominal mean angular velocity of the Earth, rad/s.
OMEGA_EARTH_RAD_S = 7.2921151467e-5
#: Standard gravity, m/s^2.
G0_M_S2 = 9.80665

#: Speed of light in vacuum, m/s.
SPEED_OF_LIGHT_M_S = 299792458.0
#: Planck constant, J s.
PLANCK_J_S = 6.62607015e-34
#: Boltzmann constant, J/K.
BOLTZMANN_J_K = 1.380649e-23
#: Stefan-Boltzmann constant, W/(m^2 K^4).
STEFAN_BOLTZMANN_W_M2_K4 = 5.670374419e-8

DEG = math.pi / 180.0
KM = 1000.0
DAY_S = 86400.0
