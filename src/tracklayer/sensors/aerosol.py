"""Aerosol extinction on the path from a target to space: LOWTRAN7's aerosol models.

The models are those of Shettle and Fenn (*Models for the aerosols of the lower atmosphere
and the effects of humidity variations on their optical properties*, AFGL-TR-79-0214,
1979) as LOWTRAN7 carries them (Kneizys et al., *Users Guide to LOWTRAN 7*,
AFGL-TR-88-0177, 1988; the ``PRFDTA`` and ``EXTDTA`` block data of its source):

* **Profile** at 0.55 µm, km⁻¹ (:func:`extinction_055_per_km`): 0-2 km the boundary layer
  of the surface meteorological range ``V`` (at sea level Koschmieder's ``3.912 / V`` less
  the air's Rayleigh 0.0116 km⁻¹), interpolated in ``1 / V`` between LOWTRAN's profiles for
  50, 23, 10, 5 and 2 km; 3-10 km the tropospheric background (spring-summer or
  fall-winter; 23 km profiles below 23 km visibility); 11-30 km the background
  stratosphere; 30-100 km the normal upper atmosphere. Between levels the extinction varies
  exponentially (as LOWTRAN integrates its layers).
* **Spectrum**: the extinction relative to 0.55 µm of the boundary-layer model (``rural``,
  ``urban`` or ``maritime``) below 2 km and of the tropospheric model above, at 70 %
  relative humidity, interpolated linearly in wavelength between LOWTRAN's 47 wavelengths
  (0.2-300 µm; here 0.2-15 µm).

The optical depth of a straight ray is the sum of its boundary-layer and upper columns at
0.55 µm (:func:`ray_columns`, midpoint rule on 1,000 steps from the target to the 100 km
top: relative error below 2e-4 against the closed form of the piecewise-exponential profile),
each times its model's spectral factor; :mod:`tracklayer.sensors.atmosphere` multiplies the
molecular spectral transmittance by ``exp(-τ_aerosol)`` at each wavenumber before the band
average. Validity: surface visibility 2-50 km, the tables' 1.25-14 µm, relative humidity
near 70 % (LOWTRAN interpolates by the layer's humidity: at 80 % the rural extinction at 4
µm rises by about 10 %); the stratosphere takes the tropospheric spectrum (its optical
depth is below 0.01 at 0.55 µm); no volcanic aerosol, fog or rain; extinction only (light
scattered into the line of sight is not added).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]

__all__ = [
    "AEROSOL_MODELS",
    "AerosolKey",
    "extinction_055_per_km",
    "ray_columns",
    "spectral_factor",
]

AerosolModel = Literal["rural", "urban", "maritime"]
#: The boundary-layer models (LOWTRAN ``IHAZE`` 1 rural, 5 urban, 4 maritime).
AEROSOL_MODELS: tuple[str, ...] = ("rural", "urban", "maritime")
#: ``(model, visibility_km)``: the aerosol of a run.
AerosolKey = tuple[str, float]

#: LOWTRAN7's profile levels, km (``ZHT``, to its 100 km top).
LEVELS_KM = np.array([*range(26), 30, 35, 40, 45, 50, 70, 100], dtype=np.float64)
#: Boundary-layer extinction at 0, 1, 2 km, km⁻¹, for visibilities ``_VS_KM`` (``HZ2K``).
_VS_KM = (50.0, 23.0, 10.0, 5.0, 2.0)
_BOUNDARY = np.array([
    [6.62e-02, 1.58e-01, 3.79e-01, 7.70e-01, 1.94e00],
    [4.15e-02, 9.91e-02, 3.79e-01, 7.70e-01, 1.94e00],
    [2.60e-02, 6.21e-02, 6.21e-02, 6.21e-02, 6.21e-02],
])  # fmt: skip
#: Tropospheric background, 3-10 km, km⁻¹: (50 km, 23 km) visibility, by season.
_TROPOSPHERE = {
    "summer": (
        [1.46e-02, 1.02e-02, 9.31e-03, 7.71e-03, 6.23e-03, 3.37e-03, 1.82e-03, 1.14e-03],
        [3.46e-02, 1.85e-02, 9.31e-03, 7.71e-03, 6.23e-03, 3.37e-03, 1.82e-03, 1.14e-03],
    ),
    "winter": (
        [1.14e-02, 6.43e-03, 4.85e-03, 3.54e-03, 2.31e-03, 1.41e-03, 9.80e-04, 7.87e-04],
        [2.72e-02, 1.20e-02, 4.85e-03, 3.54e-03, 2.31e-03, 1.41e-03, 9.80e-04, 7.87e-04],
    ),
}
#: Background stratosphere, 11-25 and 30 km, km⁻¹ (``BASTSS``, ``BASTFW``).
_STRATOSPHERE = {
    "summer": [7.99e-04, 6.41e-04, 5.17e-04, 4.42e-04, 3.95e-04, 3.82e-04, 4.25e-04,
               5.20e-04, 5.81e-04, 5.89e-04, 5.02e-04, 4.20e-04, 3.00e-04, 1.98e-04,
               1.31e-04, 3.32e-05],
    "winter": [7.14e-04, 6.64e-04, 6.23e-04, 6.45e-04, 6.43e-04, 6.41e-04, 6.00e-04,
               5.62e-04, 4.91e-04, 4.23e-04, 3.52e-04, 2.95e-04, 2.42e-04, 1.90e-04,
               1.50e-04, 3.32e-05],
}  # fmt: skip
#: Normal upper atmosphere, 35-100 km, km⁻¹ (``UPNATM``).
_UPPER = [1.64e-05, 7.99e-06, 4.01e-06, 2.10e-06, 1.60e-07, 9.31e-10]

#: LOWTRAN7's aerosol wavelengths to 15 µm (``VX2``).
WAVELENGTH_UM = np.array([
    0.2, 0.3, 0.3371, 0.55, 0.6943, 1.06, 1.536, 2.0, 2.25, 2.5, 2.7, 3.0, 3.3923, 3.75,
    4.5, 5.0, 5.5, 6.0, 6.2, 6.5, 7.2, 7.9, 8.2, 8.7, 9.0, 9.2, 10.0, 10.591, 11.0, 11.5,
    12.5, 14.8, 15.0,
])  # fmt: skip
#: Extinction relative to 0.55 µm at 70 % humidity (``RURE2``, ``URBE2``, ``OCNE2``,
#: ``TROE2``), at :data:`WAVELENGTH_UM`.
RELATIVE_EXTINCTION: dict[str, F64] = {
    "rural": np.array([
        2.09544, 1.74165, 1.59981, 1.0, 0.75316, 0.42171, 0.24323, 0.15108, 0.13608,
        0.12430, 0.13222, 0.13823, 0.11076, 0.10323, 0.09475, 0.08728, 0.08076, 0.07639,
        0.07797, 0.07576, 0.07943, 0.04899, 0.04525, 0.12165, 0.12741, 0.12778, 0.09032,
        0.07962, 0.07380, 0.06880, 0.06329, 0.05791, 0.06646,
    ]),
    "urban": np.array([
        1.95582, 1.64994, 1.53070, 1.0, 0.77614, 0.46639, 0.29487, 0.21051, 0.18943,
        0.17285, 0.17209, 0.21418, 0.15354, 0.14051, 0.12728, 0.11861, 0.11089, 0.11329,
        0.11323, 0.10563, 0.10247, 0.08696, 0.08361, 0.12013, 0.12418, 0.12304, 0.09614,
        0.08842, 0.08487, 0.08285, 0.08361, 0.08430, 0.08880,
    ]),
    "maritime": np.array([
        1.36924, 1.25443, 1.20835, 1.0, 0.91367, 0.77089, 0.64987, 0.54886, 0.50247,
        0.45038, 0.38209, 0.50589, 0.43766, 0.38076, 0.31658, 0.27475, 0.22215, 0.21019,
        0.27570, 0.21057, 0.16949, 0.14209, 0.14215, 0.16956, 0.17082, 0.16025, 0.11665,
        0.09759, 0.09215, 0.09373, 0.10532, 0.12570, 0.13000,
    ]),
    "tropospheric": np.array([
        2.21519, 1.82266, 1.66557, 1.0, 0.72525, 0.35481, 0.15449, 0.05475, 0.04044,
        0.03082, 0.04620, 0.05272, 0.01867, 0.01266, 0.01127, 0.00886, 0.00886, 0.01449,
        0.01399, 0.01228, 0.01728, 0.01475, 0.02285, 0.03215, 0.03494, 0.04285, 0.01652,
        0.01304, 0.01101, 0.01120, 0.01297, 0.01753, 0.02468,
    ]),
}  # fmt: skip
#: Top of the boundary layer, km: the boundary-layer model's spectrum below, the
#: tropospheric model's above.
BOUNDARY_TOP_KM = 2.0
#: Earth radius of the path geometry, km (LOWTRAN7's, as the molecular tables).
EARTH_RADIUS_KM = 6371.23
TOP_KM = 100.0
_STEPS = 1000
_CHUNK = 64


def _interp_inverse_visibility(values_50: F64, values_23: F64, visibility_km: float) -> F64:
    """LOWTRAN's interpolation between two profiles linear in ``1 / V`` (``AERPRF``)."""
    w = (1.0 / visibility_km - 1.0 / 50.0) / (1.0 / 23.0 - 1.0 / 50.0)
    return np.asarray(values_50 + w * (values_23 - values_50))


def _boundary_layer(visibility_km: float) -> F64:
    """Extinction at 0, 1 and 2 km for the visibility, km⁻¹ (``AERPRF``)."""
    j = next((k for k in range(1, 5) if visibility_km >= _VS_KM[k]), 4)
    lo, hi = _VS_KM[j], _VS_KM[j - 1]
    w = (1.0 / visibility_km - 1.0 / hi) / (1.0 / lo - 1.0 / hi)
    return np.asarray(_BOUNDARY[:, j - 1] + w * (_BOUNDARY[:, j] - _BOUNDARY[:, j - 1]))


def extinction_055_per_km(visibility_km: float, season: str) -> F64:
    """Aerosol extinction at 0.55 µm at each of :data:`LEVELS_KM`, km⁻¹ (module notes).

    Parameters
    ----------
    visibility_km
        Surface meteorological range, km (2-50).
    season
        ``summer`` (spring-summer) or ``winter`` (fall-winter).
    """
    if not 2.0 <= visibility_km <= 50.0:
        raise ValueError(f"visibility_km: expected 2-50 km, got {visibility_km}")
    low, high = (np.array(p) for p in _TROPOSPHERE[season])
    trop = high if visibility_km <= 23.0 else _interp_inverse_visibility(low, high, visibility_km)
    if visibility_km > 23.0:
        trop[2:] = low[2:]  # above 4 km the 50 km profile (the two agree there)
    return np.concatenate(
        [_boundary_layer(visibility_km), trop, _STRATOSPHERE[season], _UPPER]
    ).astype(np.float64)


def _profile_at(alt_km: F64, beta: F64) -> F64:
    """Extinction at altitudes, exponential between levels (linear next to a zero)."""
    i = np.clip(np.searchsorted(LEVELS_KM, alt_km, side="right") - 1, 0, LEVELS_KM.size - 2)
    z0, z1 = LEVELS_KM[i], LEVELS_KM[i + 1]
    b0, b1 = beta[i], beta[i + 1]
    w = np.clip((alt_km - z0) / (z1 - z0), 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        expo = b0 * (b1 / b0) ** w
    out = np.where((b0 > 0.0) & (b1 > 0.0), expo, b0 + w * (b1 - b0))
    return np.asarray(np.where(alt_km >= TOP_KM, 0.0, out))


def ray_columns(
    altitude_km: F64, cos_zenith: F64, visibility_km: float, season: str
) -> tuple[F64, F64]:
    """Aerosol optical depth at 0.55 µm of rays from ``altitude_km`` toward zenith cosine
    ``cos_zenith`` (negative: through a tangent point) out to the 100 km top.

    Returns
    -------
    boundary, upper : ndarray, shapes of the broadcast inputs
        The parts below and above :data:`BOUNDARY_TOP_KM`.
    """
    h, mu = np.broadcast_arrays(
        np.asarray(altitude_km, dtype=np.float64), np.asarray(cos_zenith, dtype=np.float64)
    )
    r0 = EARTH_RADIUS_KM + np.minimum(h, TOP_KM)
    r_top = EARTH_RADIUS_KM + TOP_KM
    s_exit = -r0 * mu + np.sqrt(np.maximum(r0 * r0 * mu * mu - r0 * r0 + r_top * r_top, 0.0))
    beta = extinction_055_per_km(visibility_km, season)
    u = (np.arange(_STEPS) + 0.5) / _STEPS
    flat_r0, flat_mu, flat_exit = r0.reshape(-1), mu.reshape(-1), s_exit.reshape(-1)
    boundary = np.empty(flat_r0.size)
    upper = np.empty(flat_r0.size)
    for lo in range(0, flat_r0.size, _CHUNK):
        sl = slice(lo, lo + _CHUNK)
        s = flat_exit[sl, None] * u[None, :]
        r0c, muc = flat_r0[sl, None], flat_mu[sl, None]
        alt = np.sqrt(r0c * r0c + s * s + 2.0 * r0c * s * muc) - EARTH_RADIUS_KM
        ext = _profile_at(alt, beta) * (flat_exit[sl, None] / _STEPS)
        low = alt <= BOUNDARY_TOP_KM
        boundary[sl] = np.where(low, ext, 0.0).sum(axis=1)
        upper[sl] = np.where(low, 0.0, ext).sum(axis=1)
    boundary, upper = boundary.reshape(h.shape), upper.reshape(h.shape)
    return boundary, upper


def spectral_factor(model: str, wavenumber_cm: F64) -> tuple[F64, F64]:
    """Extinction relative to 0.55 µm of the boundary-layer model and of the tropospheric
    model at each wavenumber (cm⁻¹), linear in wavelength between LOWTRAN's wavelengths."""
    if model not in AEROSOL_MODELS:
        raise ValueError(f"aerosol model: expected one of {list(AEROSOL_MODELS)}, got {model!r}")
    lam = 1e4 / np.asarray(wavenumber_cm, dtype=np.float64)
    return (
        np.interp(lam, WAVELENGTH_UM, RELATIVE_EXTINCTION[model]),
        np.interp(lam, WAVELENGTH_UM, RELATIVE_EXTINCTION["tropospheric"]),
    )


def season_of(atmosphere: str) -> str:
    """LOWTRAN's season for a model atmosphere (``ISEASN = 0``): fall-winter for the
    mid-latitude winter model, spring-summer otherwise."""
    return "winter" if atmosphere == "mid_latitude_winter" else "summer"


@dataclass(frozen=True)
class AerosolColumns:
    """Aerosol optical depth at 0.55 µm on the molecular tables' path grid.

    Attributes
    ----------
    up_boundary, up_upper : ndarray, shape (A, Z)
        Look-down paths (target altitude, zenith angle), below and above 2 km.
    limb_boundary, limb_upper : ndarray, shape (A, A)
        Limb paths (target altitude, tangent height).
    """

    up_boundary: F64
    up_upper: F64
    limb_boundary: F64
    limb_upper: F64


@lru_cache(maxsize=16)
def grid_columns(
    altitudes_km: tuple[float, ...],
    zenith_deg: tuple[float, ...],
    visibility_km: float,
    season: str,
) -> AerosolColumns:
    """:func:`ray_columns` on the tables' grid: look-down rays at each zenith angle, and
    limb rays through each tangent height below the target (the horizontal ray where the
    tangent is at or above it), as the tables' paths (:mod:`tracklayer.sensors.lowtran_tables`)."""
    h = np.array(altitudes_km, dtype=np.float64)
    mu = np.cos(np.radians(np.array(zenith_deg, dtype=np.float64)))
    up_b, up_u = ray_columns(h[:, None], mu[None, :], visibility_km, season)
    start = np.minimum(h, TOP_KM - 0.1)
    ratio = (EARTH_RADIUS_KM + h[None, :]) / (EARTH_RADIUS_KM + start[:, None])
    mu_limb = -np.sqrt(np.maximum(1.0 - np.minimum(ratio, 1.0) ** 2, 0.0))
    limb_b, limb_u = ray_columns(start[:, None] + 0.0 * ratio, mu_limb, visibility_km, season)
    return AerosolColumns(up_b, up_u, limb_b, limb_u)


def koschmieder_extinction_per_km(visibility_km: float) -> float:
    """Koschmieder's extinction for a meteorological range (2 % contrast threshold),
    ``ln(50) / V`` km⁻¹ (Koschmieder, Beitr. Phys. freien Atm. 12, 33, 1924)."""
    return math.log(50.0) / visibility_km
