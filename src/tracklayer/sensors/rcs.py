"""Radar cross-section of a cone-shaped body by aspect, physical optics.

A right circular cone of half-angle α and base radius a (axial height ``h = a / tan α``,
slant length ``L = a / sin α``), seen at aspect θ from its nose (0 nose-on, π base-on) at
wavelength λ (``k = 2π / λ``). Three scatterers, added in power (their phases are
uncorrelated over the small attitude motions of a real body):

* **tip**: ``λ² tan⁴α / (16 π)`` (Knott, Shaeffer and Tuley, *Radar Cross Section*, 2nd ed.,
  2004, table 6.1; Ruck et al., *Radar Cross Section Handbook*, 1970, sec. 3.2);
* **side**: the specular flash where the line of sight is normal to a generator
  (``θ_n = π/2 - α``), ``8 π h³ sin α / (9 λ cos⁴α)`` (the frustum formula with its small
  end at the apex: Knott et al., table 6.1; Mahafza and Elsherbeni, *MATLAB Simulations for
  Radar Systems Design*, 2004, eq. 11.42), falling off the flash as the pattern of a straight
  generator of length L, ``sinc²(k L sin(θ - θ_n))``;
* **base**: a flat circular plate seen at ``θ' = π - θ`` from its normal,
  ``4 π (π a²)² / λ² cos²θ' [2 J1(2 k a sin θ') / (2 k a sin θ')]²`` (Knott et al., ch. 5;
  Balanis, *Advanced Engineering Electromagnetics*, 2nd ed., sec. 11.3), hidden for
  ``θ < π/2``.

Validity: ``k a ≫ 1`` (optical region: a 0.3 m base from UHF up); a sharp-tipped, flat-based
cone (a rounded nose or base edge changes the nose-on and rim returns); the nose taken
along the velocity (a stable re-entry vehicle).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import j1

FloatArray = NDArray[np.float64]

__all__ = ["cone_rcs_m2"]


def _sinc2(x: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(np.abs(x) < 1e-9, 1.0, (np.sin(x) / x) ** 2))


def _airy2(x: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(np.abs(x) < 1e-9, 1.0, (2.0 * j1(x) / x) ** 2))


def cone_rcs_m2(
    aspect_rad: ArrayLike, wavelength_m: float, half_angle_rad: float, base_radius_m: float
) -> FloatArray:
    """Monostatic RCS of the cone at aspects θ from its nose (module notes), m², any shape."""
    theta = np.asarray(aspect_rad, dtype=np.float64)
    lam, alpha, a = wavelength_m, half_angle_rad, base_radius_m
    k = 2.0 * math.pi / lam
    height = a / math.tan(alpha)
    slant = a / math.sin(alpha)
    tip = lam * lam * math.tan(alpha) ** 4 / (16.0 * math.pi)
    flash = 8.0 * math.pi * height**3 * math.sin(alpha) / (9.0 * lam * math.cos(alpha) ** 4)
    side = flash * _sinc2(k * slant * np.sin(theta - (0.5 * math.pi - alpha)))
    off = math.pi - theta
    plate = 4.0 * math.pi * (math.pi * a * a) ** 2 / (lam * lam)
    base = plate * np.cos(off) ** 2 * _airy2(2.0 * k * a * np.sin(off))
    base = np.where(theta >= 0.5 * math.pi, base, 0.0)
    return np.asarray(tip + side + base, dtype=np.float64)
