"""Sunlight scattered by the air of the limb, in the single-scattering approximation.

A line of sight that passes the Earth at tangent height ``h_t`` crosses a column of air
that scatters sunlight toward the sensor. With one scattering per photon (Liou, *An
Introduction to Atmospheric Radiation*, 2nd ed., 2002, sec. 3.4 and 6.1; the limb form of
e.g. Rault, "Ozone profile retrieval from SAGE III limb scatter measurements", JGR 110,
D09309, 2005 — from memory, unverified), the path radiance per wavenumber is

``L_ν = E_ν P(Θ) / (4π) ∫ β_ν(s) T_sun,ν(s) T_obs,ν(s) ds``

with ``E_ν`` the solar spectral irradiance, ``β_ν = σ_ν n`` the molecular (Rayleigh)
scattering coefficient, ``P(Θ) = 3/4 (1 + cos² Θ)`` the Rayleigh phase function at the
scattering angle Θ, and ``T_sun``, ``T_obs`` the transmittances from the Sun to the
scattering point and from there to the sensor. The scattering is concentrated within
``sqrt(2 r H)`` (about 300 km) of the tangent point, so both transmittances are taken
there: ``T_sun`` along the sunward ray from the tangent point (at its solar zenith angle,
grazing and shadowed past 90°), and ``T_obs`` over the near half of the limb path,
``sqrt(T_limb)``. Then

``L_ν = E_ν P(Θ) / (4π) σ_ν N(h_t) T_sun,ν sqrt(T_limb,ν)``

with ``N(h_t) = 2 ∫ n(r(s)) ds`` the limb's air column (:func:`limb_column_m2`); for an
exponential atmosphere ``N = n(h_t) sqrt(2 π r H)`` (Chapman's grazing column).

Cross-section: the Rayleigh formula with the refractive index of air,
``σ = 24 π³ (n_s² - 1)² / (λ⁴ N_s² (n_s² + 2)²) F_K`` (Bates, "Rayleigh scattering by air",
Planet. Space Sci. 32, 785, 1984; Bodhaine, Wood, Dutton and Slusser, "On Rayleigh optical
depth calculations", J. Atmos. Oceanic Technol. 16, 1854, 1999), ``n_s`` of standard air
from Peck and Reeder, J. Opt. Soc. Am. 62, 958, 1972 (valid 0.23-1.69 µm, extrapolated: its
dispersion is below 1e-6 past 2 µm), ``N_s`` at 288.15 K and 1013.25 hPa, the King
factor ``F_K = 1.048`` (its long-wave limit, Bates 1984).

Validity: an optically thin limb for scattering (its Rayleigh optical depth is 0.2 at
1.25 µm for a tangent at sea level, below 0.02 above 15 km, ``∝ λ⁻⁴`` beyond), molecular
scattering only (stratospheric aerosol, left out, adds as much again or more in the short
wave: this is a lower bound), no multiple scattering or light reflected from below.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tracklayer.constants import WGS84_A_M
from tracklayer.threats.atmosphere import us1976

F64 = NDArray[np.float64]

__all__ = [
    "KING_FACTOR",
    "STANDARD_AIR_PER_M3",
    "air_number_density_m3",
    "limb_column_m2",
    "rayleigh_cross_section_m2",
    "rayleigh_phase",
]

#: Molecules of standard air per m³ at 288.15 K and 1013.25 hPa (Bodhaine et al. 1999).
STANDARD_AIR_PER_M3 = 2.546899e25
#: King correction factor of air for depolarization, long-wave limit (Bates 1984).
KING_FACTOR = 1.048
#: Molar mass of dry air, kg/mol (US Standard Atmosphere 1976), and Avogadro's number.
_AIR_MOLAR_MASS = 28.9644e-3
_AVOGADRO = 6.02214076e23


def _refractivity(wavelength_um: F64) -> F64:
    """``n_s - 1`` of standard air (Peck and Reeder 1972, 288.15 K, 1013.25 hPa)."""
    s2 = (1.0 / wavelength_um) ** 2
    return np.asarray(1e-8 * (8060.51 + 2480990.0 / (132.274 - s2) + 17455.7 / (39.32957 - s2)))


def rayleigh_cross_section_m2(wavelength_um: ArrayLike) -> F64:
    """Rayleigh scattering cross-section of one molecule of air, m² (module notes)."""
    lam_m = np.asarray(wavelength_um, dtype=np.float64) * 1e-6
    n = 1.0 + _refractivity(np.asarray(wavelength_um, dtype=np.float64))
    ratio = (n * n - 1.0) / (n * n + 2.0)
    return np.asarray(
        24.0 * math.pi**3 * ratio**2 / (lam_m**4 * STANDARD_AIR_PER_M3**2) * KING_FACTOR
    )


def rayleigh_phase(cos_scatter: ArrayLike) -> F64:
    """Rayleigh phase function ``3/4 (1 + cos² Θ)`` (unit mean over the sphere)."""
    c = np.asarray(cos_scatter, dtype=np.float64)
    return np.asarray(0.75 * (1.0 + c * c))


def air_number_density_m3(alt_m: ArrayLike) -> F64:
    """Molecules of air per m³ at a height, from the US Standard Atmosphere 1976 density."""
    return np.asarray(us1976().density(alt_m) * _AVOGADRO / _AIR_MOLAR_MASS)


def limb_column_m2(
    tangent_m: ArrayLike, number_density: Callable[[F64], F64] = air_number_density_m3
) -> F64:
    """Molecules per m² along a straight line through the atmosphere at tangent height
    ``tangent_m`` (both halves), ``2 ∫ n(sqrt(r_t² + s²) - a) ds`` over ``s`` from 0 to
    2,000 km, by the trapezoid rule in ``u = sqrt(s)`` (dense near the tangent point).

    Parameters
    ----------
    tangent_m
        Tangent heights above the sphere of radius ``a`` (the WGS84 equatorial radius), m.
    number_density
        Molecules per m³ as a function of height (m), vectorized.
    """
    h = np.asarray(tangent_m, dtype=np.float64)
    u = np.linspace(0.0, math.sqrt(2.0e6), 4001)
    s = u * u
    r_t = WGS84_A_M + h[..., None]
    heights = np.sqrt(r_t * r_t + s * s) - WGS84_A_M
    integrand = number_density(heights) * 2.0 * u  # ds = 2 u du
    return np.asarray(2.0 * np.trapezoid(integrand, u, axis=-1))


#: Solar zenith angles at the tangent point of the scattered-light tables past the
#: horizontal, degrees (the sunward ray grazes the Earth; shadow once it meets it).
GRAZING_SUN_DEG: tuple[float, ...] = (91.0, 92.0, 93.0, 94.0, 96.0, 98.0, 100.0, 105.0)


def solar_path_transmittance(
    up: F64, limb: F64, altitude_m: F64, zenith_rad: F64
) -> tuple[F64, F64]:
    """Spectral transmittance from the Sun to each table altitude, by solar zenith angle.

    Parameters
    ----------
    up : ndarray, shape (A, Z, K)
        Look-down paths from altitude ``i`` at zenith ``j`` (``zenith_rad``, up to 90°).
    limb : ndarray, shape (A, A, K)
        Paths from altitude ``i`` through tangent height ``altitude_m[j]`` (``j < i``).
    altitude_m, zenith_rad
        The tables' grids ``(A,)``, ``(Z,)``.

    Returns
    -------
    sun_zenith_rad : ndarray, shape (Z + G,)
        The table's zenith grid followed by :data:`GRAZING_SUN_DEG`.
    transmittance : ndarray, shape (A, Z + G, K)
        Up to 90° the look-down table itself; past it the limb path through the sunward
        ray's tangent height ``(a + h) sin θ - a``, interpolated in optical depth between
        tangent nodes (between the highest node below and the horizontal path above it);
        zero where the ray meets the Earth.
    """
    grazing = np.radians(np.asarray(GRAZING_SUN_DEG))
    n_alt = altitude_m.size
    extra = np.zeros((n_alt, grazing.size, up.shape[-1]))
    floor = 1e-30
    for i in range(1, n_alt):
        # Optical depth at the tangent nodes below this altitude, then the horizontal path.
        nodes = np.append(altitude_m[:i], altitude_m[i])
        depth = -np.log(np.maximum(np.vstack([limb[i, :i], up[i, -1][None, :]]), floor))
        for g, theta in enumerate(grazing):
            tangent = (WGS84_A_M + altitude_m[i]) * math.sin(theta) - WGS84_A_M
            if tangent < 0.0:
                continue
            k = min(int(np.searchsorted(nodes, tangent, side="right")) - 1, i - 1)
            w = (tangent - nodes[k]) / (nodes[k + 1] - nodes[k])
            extra[i, g] = np.exp(-((1.0 - w) * depth[k] + w * depth[k + 1]))
    return (
        np.concatenate([zenith_rad, grazing]),
        np.concatenate([up, extra], axis=1),
    )


def limb_scatter_table(
    wavenumber_cm: F64,
    solar_irradiance: F64,
    t_sun: F64,
    t_limb: F64,
    column_m2: F64,
) -> F64:
    """Single-scattered limb radiance per unit phase function, W/(m² sr) (module notes).

    ``∫ E_ν σ_ν N T_sun,ν sqrt(T_limb,ν) dν / (4π)`` on a uniform wavenumber grid.

    Parameters
    ----------
    wavenumber_cm : ndarray, shape (K,)
        Uniform grid, cm⁻¹.
    solar_irradiance : ndarray, shape (K,)
        Solar spectral irradiance at the top of the atmosphere, W/(m² cm⁻¹).
    t_sun : ndarray, shape (A, Z, K)
        Transmittance from the Sun to the tangent point, by tangent height and solar zenith.
    t_limb : ndarray, shape (A, K)
        Transmittance of the whole limb path by tangent height.
    column_m2 : ndarray, shape (A,)
        Air column of the limb by tangent height, molecules/m².
    """
    step = float(np.diff(wavenumber_cm).mean()) if wavenumber_cm.size > 1 else 0.0
    sigma = rayleigh_cross_section_m2(1e4 / wavenumber_cm)
    per_nu = solar_irradiance * sigma * np.sqrt(np.clip(t_limb, 0.0, 1.0))  # (A, K)
    inner = np.einsum("azk,ak->az", t_sun, per_nu)
    return np.asarray(inner * column_m2[:, None] * step / (4.0 * math.pi))
