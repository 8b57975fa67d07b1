"""Sunlight scattered by the limb: Rayleigh cross-section, limb column, single scattering."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from tracklayer.constants import WGS84_A_M
from tracklayer.sensors.background import LIMB, Scene, band_background
from tracklayer.sensors.scattering import (
    STANDARD_AIR_PER_M3,
    limb_column_m2,
    limb_scatter_table,
    rayleigh_cross_section_m2,
    rayleigh_phase,
)

H_M = 7.0e3  # scale height of the analytic atmosphere, m


def _exponential(h: np.ndarray) -> np.ndarray:
    return STANDARD_AIR_PER_M3 * np.exp(-h / H_M)


def _limb_scene(heights_m: np.ndarray) -> Scene:
    n = heights_m.size
    return Scene(np.full(n, LIMB), np.zeros((n, 3)), heights_m, np.zeros(n))


def test_rayleigh_cross_section_of_air() -> None:
    """σ at 0.55 µm against the value tabulated for standard air, and its λ⁻⁴ law.

    Reference: Bodhaine et al., J. Atmos. Oceanic Technol. 16, 1854 (1999): 4.51e-27 cm² at
    550 nm (from memory, unverified; with their King factor 1.0497 there, ours is the
    long-wave 1.048), tolerance 0.5 %; and the sea-level Rayleigh optical depth at 550 nm,
    0.097 (σ times the 2.15e29 m⁻² column of 1013.25 hPa), 2 %. Past 1.25 µm the
    refractive index hardly changes, so σ λ⁴ is constant within 1 %.
    """
    sigma = rayleigh_cross_section_m2(np.array([0.55, 1.25, 2.5, 10.0]))
    assert sigma[0] * 1e4 == pytest.approx(4.51e-27, rel=5e-3)
    column = 101325.0 / 9.80665 / (28.9644e-3 / 6.02214076e23)
    assert sigma[0] * column == pytest.approx(0.097, rel=0.02)
    lam4 = sigma[1:] * np.array([1.25, 2.5, 10.0]) ** 4
    assert np.ptp(lam4) / lam4.mean() < 1e-2


@pytest.mark.parametrize("tangent_km", [0.0, 20.0, 50.0])
def test_limb_column_is_the_chapman_grazing_column(tangent_km: float) -> None:
    """Limb column of an exponential atmosphere: ``n(h_t) sqrt(2 π r H)``.

    Reference: Chapman's grazing-incidence column (both halves), ``N = n(h_t) sqrt(2 π r_t
    H)`` for ``r / H >> 1`` (Chapman 1931; the asymptotic form of the exact integral has a
    relative correction of order ``H / r`` ≈ 1e-3); tolerance 0.1 %.
    """
    h = tangent_km * 1e3
    got = limb_column_m2(np.array([h]), _exponential)[0]
    want = _exponential(np.array([h]))[0] * math.sqrt(2 * math.pi * (WGS84_A_M + h) * H_M)
    assert got == pytest.approx(want, rel=1e-3)


def test_single_scattering_in_the_optically_thin_limit() -> None:
    """With no absorption, the limb's scattered radiance is ``P E_σ N / (4π)``.

    Reference: the closed form of the optically thin single-scattering limb: Chapman's column
    of an exponential atmosphere (H = 7 km) times ``∫ E_λ σ(λ) dλ`` over 2.0-2.4 µm,
    integrated here by quadrature of a 5772 K blackbody Sun at 1 au (IAU 2015 radius) and
    the Rayleigh law with a constant refractivity (2.73e-4 at 2.2 µm, Peck and Reeder 1972;
    within 0.1 % over the band), over 4π, times the Rayleigh phase function at 90°
    (3/4). Tolerance 1 % (the 20 cm⁻¹ grid of the sum).
    """
    wn = np.arange(1e4 / 2.4, 1e4 / 2.0, 20.0)
    h = np.array([20e3, 40e3])
    c1, c2 = 1.191042972e-16, 1.438776877e-2  # 2 h c², h c / k (SI)
    dilution = math.pi * (6.957e8 / 1.495978707e11) ** 2

    def sun_per_cm(nu: float) -> float:  # W/(m² cm⁻¹)
        nu_m = nu * 100.0
        return dilution * 100.0 * c1 * nu_m**3 / math.expm1(c2 * nu_m / 5772.0)

    got = limb_scatter_table(
        wn,
        np.array([sun_per_cm(x) for x in wn]),
        np.ones((2, 1, wn.size)),
        np.ones((2, wn.size)),
        limb_column_m2(h, _exponential),
    )[:, 0] * rayleigh_phase(0.0)
    n_s = 1.0 + 2.73e-4
    k = 24 * math.pi**3 * ((n_s**2 - 1) / (n_s**2 + 2)) ** 2 / STANDARD_AIR_PER_M3**2 * 1.048

    def integrand(nu: float) -> float:
        return sun_per_cm(nu) * k * (nu * 100.0) ** 4

    e_sigma = quad(integrand, wn[0] - 10.0, wn[-1] + 10.0)[0]
    column = _exponential(h) * np.sqrt(2 * math.pi * (WGS84_A_M + h) * H_M)
    np.testing.assert_allclose(got, 0.75 * e_sigma * column / (4 * math.pi), rtol=0.01)


def test_scattered_sunlight_in_the_limb_by_day_and_night() -> None:
    """By day the short-wave limb is scattered sunlight; at night, in shadow and in the long
    wave only thermal emission remains.

    Reference: the module's physics. With the Sun overhead the 2.0-2.4 µm limb at 20-40 km
    is more than 1,000 times its thermal emission; at a 100° solar zenith the sunward ray
    from a tangent point below 100 km meets the Earth (shadow: thermal only, exactly); in
    the 8-12 µm window scattering adds below 2 %. Between 30 and 40 km tangents (a nearly
    transparent window) the scattered light falls like the air column, within 20 %.
    """
    h = np.array([20e3, 30e3, 40e3])
    scene = _limb_scene(h)
    zeros = np.zeros(h.size)
    swir = band_background("mid_latitude_summer", (2.0, 2.4))
    thermal = np.interp(h, swir.altitude_m, swir.limb)
    day = swir.radiance(scene, zeros, zeros, np.ones(h.size), zeros)
    night = swir.radiance(scene, zeros, zeros, np.full(h.size, -0.5), zeros)
    shadow = swir.radiance(scene, zeros, zeros, np.full(h.size, math.cos(math.radians(100))))
    assert np.all(day > 1e3 * thermal)
    np.testing.assert_allclose(night, thermal, rtol=1e-12)
    np.testing.assert_allclose(shadow, thermal, rtol=1e-12)
    ratio = (day[1] - thermal[1]) / (day[2] - thermal[2])
    column = limb_column_m2(h[1:])
    assert ratio == pytest.approx(column[0] / column[1], rel=0.2)
    forward = swir.radiance(scene, zeros, zeros, np.ones(h.size), np.ones(h.size))
    np.testing.assert_allclose((forward - thermal) / (day - thermal), 2.0, rtol=1e-9)
    lwir = band_background("mid_latitude_summer", (8.0, 12.0))
    warm = np.interp(h, lwir.altitude_m, lwir.limb)
    assert np.all(lwir.radiance(scene, zeros, zeros, np.ones(h.size), zeros) < 1.02 * warm)
