"""Infrared signal chain: path through the atmosphere, background, irradiance, SNR and Pd.

Every function broadcasts over pairs (a flat axis of sensor-target pairs, or any shape).
Positions are ECEF, m; angles rad; irradiance W/m²; intensity W/sr.

Atmosphere
----------
Band transmission lives in :mod:`tracklayer.sensors.atmosphere` (LOWTRAN7 tables, or one
exponential layer integrated exactly); :func:`path_lowest_height` gives a path's lowest
point. Heights here are measured on the sphere that the z scaling ``a / b`` makes of the
WGS84 ellipsoid (as in :mod:`tracklayer.sensors.geometry`), within ``h e²`` (≈ 0.3 km at
40 km) of the geodetic height.

Detection
---------
A constant signal in additive white Gaussian noise against a fixed threshold T (both in units
of the noise's standard deviation) is detected with probability ``Pd = Q(T - SNR)``
(Kay, *Fundamentals of Statistical Signal Processing, Vol. II: Detection Theory*, 1998,
sec. 3.3). Clutter leakage adds in variance to the sensor's noise-equivalent irradiance, with a
larger level when the line of sight ends on the Earth (look-down) than against space.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

from tracklayer.constants import WGS84_A_M, WGS84_B_M

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: z scale that maps the WGS84 ellipsoid onto the sphere of radius a.
_K_EARTH = WGS84_A_M / WGS84_B_M

__all__ = [
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
