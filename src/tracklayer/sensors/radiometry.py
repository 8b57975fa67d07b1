"""Infrared payload sensitivity from its design: photons, electrons, noise per pixel, NEI.

The pixel budget of a photon-counting focal plane over one integration of length ``t``
(Dereniak and Boreman, *Infrared Detectors and Systems*, Wiley 1996, ch. 5-6 and 12;
Holst, *Electro-Optical Imaging System Performance*, 5th ed., ch. 12):

* étendue of one pixel ``G = A Ω`` with ``A = π D² / 4`` the aperture and ``Ω = IFOV²``;
* signal electrons from a point source of in-band irradiance E at the aperture,
  ``S = E (λ̄ / h c) A τ_o η EE t``: photons counted at the band's centre wavelength λ̄
  (exact for a narrow band; a flat photon spectrum over 8-12 µm stays within 5 %),
  ``EE`` the fraction of the point's energy on its pixel (:func:`airy_ensquared_energy`);
* background electrons ``B = (τ_o L_q,scene + ε_o L_q(T_o)) G η t``: the scene's in-band
  photon radiance through the optics, and the optics' own emission (emissivity ε_o at
  temperature T_o) through the cold stop, which sees the optics over the same étendue;
* dark electrons ``I_d t`` (given, or Rule 07 for HgCdTe, :func:`rule07_dark_current_a_m2`);
* read noise ``R`` electrons.

Background and dark electrons are Poisson, so the noise is ``σ = sqrt(B + I_d t + R²)``
electrons and the noise-equivalent irradiance is ``NEI = σ / (S / E)``. The pixel is
*background-limited* where B exceeds the detector's own variance ``I_d t + R²``, else
*detector-limited*. In the background-limited limit ``NEP = h c / λ · sqrt(Φ_B / η t)``,
which with ``Δf = 1 / 2t`` is the photovoltaic ``D*_BLIP = λ / (h c) sqrt(η / 2 Q_B)``
(Dereniak and Boreman, eq. 5.24). A detector known by its D* instead gives
``NEP = sqrt(A_d Δf) / D*`` and ``NEI = NEP / (A τ_o EE)`` (:func:`nei_from_d_star`); its
pixel budget (:func:`d_star_pixel_budget`) counts band-centre photons at unit efficiency and
takes the NEP as its noise, so the same NEdT follows for it.

For an extended scene filling the pixel (an Earth imager's figure of merit) the
noise-equivalent temperature difference is ``NEdT = σ / (dB / dT)``, with ``B(T)`` the scene
electrons of a blackbody at ``T`` (:func:`scene_nedt_k`).

Validity: point targets (unresolved), signals well below the background (the signal's
own shot noise is left out of the NEI, as in its usual definition), bands narrow enough for
one mean photon energy (Δλ / λ̄ ≤ 0.5), linear detectors below their well depth.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import j1

from tracklayer.constants import BOLTZMANN_J_K, PLANCK_J_S, SPEED_OF_LIGHT_M_S

FloatArray = NDArray[np.float64]

__all__ = [
    "ELEMENTARY_CHARGE_C",
    "PixelBudget",
    "airy_ensquared_energy",
    "band_centre_m",
    "band_photon_radiance",
    "d_star_pixel_budget",
    "nei_from_d_star",
    "pixel_budget",
    "rule07_dark_current_a_m2",
    "scene_nedt_k",
]

#: Elementary charge, C (SI 2019, exact).
ELEMENTARY_CHARGE_C = 1.602176634e-19


def band_centre_m(band_um: tuple[float, float]) -> float:
    """Centre wavelength of a band given in µm, m."""
    return 0.5 * (band_um[0] + band_um[1]) * 1e-6


def band_photon_radiance(temperature_k: ArrayLike, band_um: tuple[float, float]) -> FloatArray:
    """In-band photon radiance of a blackbody, photons / (s m² sr), any temperatures.

    ``L_q = ∫ 2 c / λ⁴ / (exp(h c / λ k T) - 1) dλ`` over the band, by Simpson's rule on 801
    points uniform in ln λ (relative error below 1e-8 for bands of the infrared and
    temperatures above 20 K; see the tests). Zero at and below 0 K.
    """
    t = np.asarray(temperature_k, dtype=np.float64)
    x = np.linspace(math.log(band_um[0] * 1e-6), math.log(band_um[1] * 1e-6), 801)
    lam = np.exp(x)
    w = np.ones(x.size)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    w *= (x[1] - x[0]) / 3.0
    c2 = PLANCK_J_S * SPEED_OF_LIGHT_M_S / BOLTZMANN_J_K
    t_safe = np.where(t > 0.0, t, 1.0)
    with np.errstate(over="ignore"):
        spectral = 2.0 * SPEED_OF_LIGHT_M_S / lam**4 / np.expm1(c2 / (lam * t_safe[..., None]))
    out = (spectral * lam * w).sum(axis=-1)
    return np.asarray(np.where(t > 0.0, out, 0.0), dtype=np.float64)


@lru_cache(maxsize=256)
def _airy_square(half_width: float) -> float:
    # Airy density in the plane of x = π D θ / λ: [2 J1(r) / r]² / (4π), unit total.
    # Simpson's rule over the square's first quadrant (symmetry ±x, ±y), about 12 points per
    # period of the rings (at least 401, at most 2001 per axis).
    n = min(2001, max(401, 2 * int(2.0 * half_width) + 1))
    x = np.linspace(0.0, half_width, n)
    w = np.ones(n)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    w *= (x[1] - x[0]) / 3.0
    r = np.hypot(x[:, None], x[None, :])
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(r > 1e-12, (2.0 * j1(r) / r) ** 2, 1.0)
    return float(4.0 * (w @ f @ w) / (4.0 * math.pi))


def airy_ensquared_energy(ifov_rad: float, aperture_m: float, wavelength_m: float) -> float:
    """Fraction of a point source's energy on one square pixel centred on its image.

    The Airy pattern of an unobscured circular aperture (Born and Wolf, *Principles of
    Optics*, sec. 8.5.2) integrated over a square of side IFOV, centred; a perfect lens
    (no aberrations, no jitter). 0.838 of the energy lies within the first dark ring.
    """
    half = math.pi * aperture_m * (0.5 * ifov_rad) / wavelength_m
    return _airy_square(round(half, 6))


def rule07_dark_current_a_m2(cutoff_um: ArrayLike, temperature_k: ArrayLike) -> FloatArray:
    """Dark current density of state-of-the-art HgCdTe photodiodes by Rule 07, A/m².

    ``J = J0 exp(C · 1.24 / (λ_e k T))`` with λ_e in µm and k T in eV, J0 = 8367 A/cm²,
    C = -1.1624; λ_e is the cutoff λ_c above 4.635 µm and
    ``λ_c / (1 - (0.2008 / λ_c - 0.2008 / 4.635)^0.544)`` below (Tennant, Lee, Zandian,
    Piquette and Carmody, "MBE HgCdTe technology: a very general solution to IR detection,
    described by 'Rule 07'", J. Electron. Mater. 37, 1406, 2008). Valid for cutoffs of
    1.7-18 µm and temperatures of 40-300 K (the fit's range), within a factor of about 2.5.
    """
    lam = np.asarray(cutoff_um, dtype=np.float64)
    t = np.asarray(temperature_k, dtype=np.float64)
    threshold, scale, power = 4.635, 0.200847413, 0.544071282
    short = lam < threshold
    with np.errstate(invalid="ignore"):
        lam_e = np.where(
            short,
            lam / (1.0 - np.abs(scale / lam - scale / threshold) ** power),
            lam,
        )
    k_ev = BOLTZMANN_J_K / ELEMENTARY_CHARGE_C
    j_a_cm2 = 8367.000019 * np.exp(-1.16239721 * 1.24 / (lam_e * k_ev * t))
    return np.asarray(j_a_cm2 * 1e4, dtype=np.float64)


@dataclass(frozen=True)
class PixelBudget:
    """Electrons in one pixel over one integration, and the sensitivity they give.

    Attributes (arrays broadcast over the inputs of :func:`pixel_budget`)
    ----------
    electrons_per_w_m2
        Signal electrons per W/m² of in-band irradiance at the aperture.
    background_e, dark_e
        Background (scene and optics) and dark electrons.
    read_e
        Read noise, electrons rms.
    noise_e
        Total noise, electrons rms.
    nei_w_m2
        Noise-equivalent irradiance at the aperture, W/m².
    background_limited
        True where the background's variance exceeds the detector's.
    well_fill
        Fraction of the well filled by background and dark electrons.
    """

    electrons_per_w_m2: FloatArray
    background_e: FloatArray
    dark_e: FloatArray
    read_e: float
    noise_e: FloatArray
    nei_w_m2: FloatArray
    background_limited: NDArray[np.bool_]
    well_fill: FloatArray


def pixel_budget(
    *,
    aperture_m: float,
    ifov_rad: float,
    band_um: tuple[float, float],
    optics_transmission: float,
    optics_emissivity: float,
    optics_temperature_k: float,
    quantum_efficiency: float,
    integration_s: float,
    dark_current_e_s: float,
    read_noise_e: float,
    well_depth_e: float,
    scene_photon_radiance: ArrayLike,
) -> PixelBudget:
    """The pixel budget of the module notes, SI throughout.

    Parameters
    ----------
    scene_photon_radiance
        In-band photon radiance of the scene behind the target, photons / (s m² sr), any
        shape (e.g. look-down and above-limb); everything returned broadcasts over it.
    """
    area = math.pi * aperture_m**2 / 4.0
    etendue = area * ifov_rad**2
    lam = band_centre_m(band_um)
    ee = airy_ensquared_energy(ifov_rad, aperture_m, lam)
    per_w = lam / (PLANCK_J_S * SPEED_OF_LIGHT_M_S) * area * optics_transmission
    per_w *= quantum_efficiency * ee * integration_s
    optics_q = float(band_photon_radiance(optics_temperature_k, band_um))
    scene = np.asarray(scene_photon_radiance, dtype=np.float64)
    photons = optics_transmission * scene + optics_emissivity * optics_q
    background = photons * etendue * quantum_efficiency * integration_s
    dark = np.full(scene.shape, dark_current_e_s * integration_s)
    noise = np.sqrt(background + dark + read_noise_e**2)
    with np.errstate(divide="ignore"):
        nei = noise / per_w  # infinite for a pixel that collects none of the point's energy
    return PixelBudget(
        electrons_per_w_m2=np.full(scene.shape, per_w),
        background_e=np.asarray(background, dtype=np.float64),
        dark_e=dark,
        read_e=read_noise_e,
        noise_e=np.asarray(noise, dtype=np.float64),
        nei_w_m2=np.asarray(nei, dtype=np.float64),
        background_limited=np.asarray(background > dark + read_noise_e**2, dtype=np.bool_),
        well_fill=np.asarray((background + dark) / well_depth_e, dtype=np.float64),
    )


def nei_from_d_star(
    *,
    d_star_m_sqrt_hz_w: float,
    pixel_pitch_m: float,
    integration_s: float,
    aperture_m: float,
    ifov_rad: float,
    wavelength_m: float,
    optics_transmission: float,
) -> float:
    """NEI of a detector known by its specific detectivity D*, W/m².

    ``NEP = sqrt(A_d Δf) / D*`` with ``Δf = 1 / (2 t)`` (the noise bandwidth of an
    integrate-and-dump sampler, Holst ch. 12), then ``NEI = NEP / (A τ_o EE)``.
    """
    nep = math.sqrt(pixel_pitch_m**2 / (2.0 * integration_s)) / d_star_m_sqrt_hz_w
    area = math.pi * aperture_m**2 / 4.0
    ee = airy_ensquared_energy(ifov_rad, aperture_m, wavelength_m)
    return nep / (area * optics_transmission * ee)


def d_star_pixel_budget(
    *,
    d_star_m_sqrt_hz_w: float,
    pixel_pitch_m: float,
    aperture_m: float,
    ifov_rad: float,
    band_um: tuple[float, float],
    optics_transmission: float,
    integration_s: float,
    scene_photon_radiance: ArrayLike,
) -> PixelBudget:
    """The pixel budget of a detector known by its D*, in photon-equivalent electrons.

    The detector is counted as an ideal photon counter (unit efficiency, photons of the
    band's centre wavelength λ̄) whose noise is its NEP over the integrate-and-dump
    bandwidth ``Δf = 1 / (2 t)`` (Holst ch. 12): ``σ = NEP t λ̄ / (h c)`` with
    ``NEP = sqrt(A_d Δf) / D*``. The scene gives ``τ_o L_q G t`` such counts (``G = A IFOV²``
    the pixel's étendue, ``A`` the aperture's area), so the NEdT of :func:`scene_nedt_k` is
    the textbook ``NEP / (τ_o G dL/dT)`` (Dereniak and Boreman, *Infrared Detectors and
    Systems*, 1996, the NETD of a staring imager, with ``G = A_d π / 4F²``), the band's
    energy radiance counted at λ̄ (1.4 % low over 8-12 µm at 300 K; the same narrow-band
    rule as the signal above).
    The NEI is :func:`nei_from_d_star`'s. No dark current or read noise apart: D* holds all
    the detector's noise. Well fill is unknown (NaN); ``background_limited`` marks where the
    scene's photon variance exceeds the rest of the D*'s.

    Validity: detectors whose D* is quoted for the same bandwidth and background as used
    (D* of a photon detector depends on the background it was measured against).
    """
    area = math.pi * aperture_m**2 / 4.0
    lam = band_centre_m(band_um)
    counts_per_j = lam / (PLANCK_J_S * SPEED_OF_LIGHT_M_S)
    ee = airy_ensquared_energy(ifov_rad, aperture_m, lam)
    nep = math.sqrt(pixel_pitch_m**2 / (2.0 * integration_s)) / d_star_m_sqrt_hz_w
    scene = np.asarray(scene_photon_radiance, dtype=np.float64)
    background = optics_transmission * scene * area * ifov_rad**2 * integration_s
    noise = np.full(scene.shape, nep * integration_s * counts_per_j)
    per_w = counts_per_j * area * optics_transmission * ee * integration_s
    return PixelBudget(
        electrons_per_w_m2=np.full(scene.shape, per_w),
        background_e=np.asarray(background, dtype=np.float64),
        dark_e=np.zeros(scene.shape),
        read_e=0.0,
        noise_e=noise,
        nei_w_m2=noise / per_w,
        background_limited=np.asarray(background > noise**2 - background, dtype=np.bool_),
        well_fill=np.full(scene.shape, np.nan),
    )


def scene_nedt_k(
    scene_temperature_k: float,
    band_um: tuple[float, float],
    budget_of: Callable[[FloatArray], PixelBudget],
) -> float:
    """Noise-equivalent temperature difference of a blackbody scene filling the pixel, K.

    ``σ / (dB/dT)`` with σ and the scene electrons ``B`` of the pixel budget at
    ``scene_temperature_k`` (``dB/dT`` by a central difference of ±0.05 K; the band
    integral is smooth, so its error is below 1e-6 relative). The scene's own shot noise is
    the background noise here (no separate target).

    Parameters
    ----------
    scene_temperature_k
        Temperature of the scene, K.
    band_um
        Band edges, µm.
    budget_of
        The payload's pixel budget as a function of the scene's in-band photon radiance
        (photons / (s m² sr), shape ``(3,)``): e.g. :func:`pixel_budget` with the design
        bound (``functools.partial``), :func:`d_star_pixel_budget` for a detector known by
        its D*, or a payload's :func:`tracklayer.sensors.focalplane.payload_pixel_budget`.
    """
    temps = scene_temperature_k + np.array([-0.05, 0.0, 0.05])
    budget = budget_of(band_photon_radiance(temps, band_um))
    slope = (budget.background_e[2] - budget.background_e[0]) / 0.1
    return float(budget.noise_e[1] / slope)
