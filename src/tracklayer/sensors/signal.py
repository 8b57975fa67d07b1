"""Infrared signal chain: path through the atmosphere, background, irradiance, SNR and Pd.

Every function broadcasts over pairs (a flat axis of sensor-target pairs, or any shape).
Positions are ECEF, m; angles rad; irradiance W/m²; intensity W/sr.

Atmosphere
----------
The in-band absorbers are taken as one exponential layer of scale height H and zenith
optical depth ``tau0`` above sea level, so the optical depth above height h looking straight
up is ``tau0 exp(-h / H)``. A path's optical depth is that value at the path's lowest point
times an air mass:

* **limb path** (the lowest point lies strictly between sensor and target, at the tangent
  height h_t): the column of an exponential atmosphere along a horizontal line through the
  tangent point is ``sqrt(2 π r H)`` times the vertical column above it (Chapman's grazing
  integral, e.g. Goody and Yung, *Atmospheric Radiation*, 2nd ed., sec. 2.3), air mass
  ``sqrt(2 π (a + h_t) / H)`` (about 75 for H = 7 km);
* **look-down path** (the lowest point is the target): ``1 / sin(e)`` with e the elevation of
  the sensor above the target's horizon, capped at the one-sided grazing value
  ``sqrt(π (a + h) / (2 H))``.

Heights here are measured on the sphere that the z scaling ``a / b`` makes of the WGS84
ellipsoid (as in :mod:`tracklayer.sensors.geometry`), within ``h e²`` (≈ 0.3 km at 40 km)
of the geodetic height, well inside what the one-layer model knows about the atmosphere.

Detection
---------
A constant signal in additive white Gaussian noise against a fixed threshold T (both in units
of the noise's standard deviation) is detected with probability ``Pd = Q(T - SNR)``
(Kay, *Fundamentals of Statistical Signal Processing, Vol. II: Detection Theory*, 1998,
sec. 3.3). Clutter leakage adds in variance to the sensor's noise-equivalent irradiance, with a
larger level when the line of sight ends on the Earth (look-down) than against space.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

from tracklayer.constants import WGS84_A_M, WGS84_B_M

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: z scale that maps the WGS84 ellipsoid onto the sphere of radius a.
_K_EARTH = WGS84_A_M / WGS84_B_M

__all__ = [
    "atmospheric_transmission",
    "earth_background",
    "irradiance",
    "path_lowest_height",
    "probability_of_detection",
    "snr",
]


def _scaled(p: FloatArray) -> FloatArray:
    out = np.array(p, dtype=np.float64, copy=True)
    out[..., 2] *= _K_EARTH
    return out


def path_lowest_height(
    sensor_pos: ArrayLike, target_pos: ArrayLike
) -> tuple[FloatArray, BoolArray]:
    """Height of the lowest point of the segment sensor→target, and whether it is a limb path.

    Parameters
    ----------
    sensor_pos, target_pos
        ECEF positions, m, shapes ``(..., 3)`` that broadcast.

    Returns
    -------
    height_m
        Height of the lowest point above the ellipsoid (scaled-sphere height, see module
        notes), m, shape ``(...)``.
    limb
        True where the lowest point is strictly between the ends (a tangent point).
    """
    s = _scaled(np.asarray(sensor_pos, dtype=np.float64))
    t = _scaled(np.asarray(target_pos, dtype=np.float64))
    d = t - s
    dd = np.einsum("...i,...i->...", d, d)
    sd = np.einsum("...i,...i->...", s, d)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = -sd / dd
    limb = (u > 0.0) & (u < 1.0)
    ss = np.einsum("...i,...i->...", s, s)
    tt = np.einsum("...i,...i->...", t, t)
    with np.errstate(invalid="ignore", divide="ignore"):
        tangent2 = ss - sd * sd / dd
    end2 = np.minimum(ss, tt)
    r2 = np.where(limb, tangent2, end2)
    return np.sqrt(np.maximum(r2, 0.0)) - WGS84_A_M, np.asarray(limb, dtype=np.bool_)


def atmospheric_transmission(
    sensor_pos: ArrayLike,
    target_pos: ArrayLike,
    zenith_optical_depth: ArrayLike,
    scale_height_m: ArrayLike,
) -> FloatArray:
    """In-band transmission of the path sensor→target (module notes give the model).

    Parameters
    ----------
    sensor_pos, target_pos
        ECEF positions, m, shapes ``(..., 3)`` that broadcast.
    zenith_optical_depth
        Optical depth of the whole atmosphere looking up from sea level (per pair or scalar).
    scale_height_m
        Absorber scale height, m.

    Returns
    -------
    transmission
        Values in (0, 1], shape ``(...)``.
    """
    s = np.asarray(sensor_pos, dtype=np.float64)
    t = np.asarray(target_pos, dtype=np.float64)
    tau0 = np.asarray(zenith_optical_depth, dtype=np.float64)
    big_h = np.asarray(scale_height_m, dtype=np.float64)
    h, limb = path_lowest_height(s, t)
    r = WGS84_A_M + np.maximum(h, 0.0)
    limb_mass = np.sqrt(2.0 * math.pi * r / big_h)
    # Elevation of the sensor seen from the target, against the radial up.
    d = s - t
    t_norm = np.sqrt(np.einsum("...i,...i->...", t, t))
    d_norm = np.sqrt(np.einsum("...i,...i->...", d, d))
    with np.errstate(invalid="ignore", divide="ignore"):
        sin_el = np.einsum("...i,...i->...", d, t) / (d_norm * t_norm)
        down_mass = np.minimum(1.0 / np.maximum(sin_el, 1e-9), 0.5 * limb_mass)
    mass = np.where(limb, limb_mass, down_mass)
    tau = tau0 * np.exp(-h / big_h) * mass
    return np.asarray(np.exp(-tau), dtype=np.float64)


def earth_background(sensor_pos: ArrayLike, target_pos: ArrayLike) -> BoolArray:
    """Whether the line of sight, continued beyond the target, ends on the Earth (look-down).

    True when the ray from the sensor through the target meets the WGS84 ellipsoid (exactly,
    by the z scaling ``a / b``); False when it passes above the limb against space.
    """
    s = _scaled(np.asarray(sensor_pos, dtype=np.float64))
    t = _scaled(np.asarray(target_pos, dtype=np.float64))
    d = t - s
    dd = np.einsum("...i,...i->...", d, d)
    sd = np.einsum("...i,...i->...", s, d)
    ss = np.einsum("...i,...i->...", s, s)
    with np.errstate(invalid="ignore", divide="ignore"):
        closest2 = ss - sd * sd / dd
    ahead = sd < 0.0
    inside = ss < WGS84_A_M * WGS84_A_M
    return np.asarray(inside | (ahead & (closest2 < WGS84_A_M * WGS84_A_M)), dtype=np.bool_)


def irradiance(
    intensity_w_sr: ArrayLike, range_m: ArrayLike, transmission: ArrayLike
) -> FloatArray:
    """Irradiance at the aperture, ``E = I τ / R²``, W/m² (point source, inverse square)."""
    i = np.asarray(intensity_w_sr, dtype=np.float64)
    r = np.asarray(range_m, dtype=np.float64)
    return np.asarray(i * np.asarray(transmission, dtype=np.float64) / (r * r), dtype=np.float64)


def snr(irradiance_w_m2: ArrayLike, nei_w_m2: ArrayLike, clutter_w_m2: ArrayLike) -> FloatArray:
    """Signal-to-noise ratio ``E / sqrt(NEI² + C²)``: sensor noise and clutter in variance."""
    e = np.asarray(irradiance_w_m2, dtype=np.float64)
    n = np.asarray(nei_w_m2, dtype=np.float64)
    c = np.asarray(clutter_w_m2, dtype=np.float64)
    return np.asarray(e / np.sqrt(n * n + c * c), dtype=np.float64)


def probability_of_detection(snr_value: ArrayLike, threshold_snr: ArrayLike) -> FloatArray:
    """``Pd = Q(T - SNR) = Φ(SNR - T)``: constant signal, Gaussian noise (Kay, sec. 3.3)."""
    x = np.asarray(snr_value, dtype=np.float64) - np.asarray(threshold_snr, dtype=np.float64)
    return np.asarray(ndtr(x), dtype=np.float64)
