"""A payload's focal plane at work: its sensitivity, its step-stare revisit, its false alarms.

* **Sensitivity.** The noise-equivalent irradiance against the Earth (look-down) and against
  space (above the limb) from the pixel budget of :mod:`tracklayer.sensors.radiometry`, with
  the Earth as a blackbody at its in-band brightness temperature and space at its given
  radiance; or the scenario's ``nei_w_m2`` override for both.
* **Step-stare.** Arrays of ``rows x columns`` pixels of angular size IFOV cover
  ``n_pix IFOV²`` sr per field; a field of regard of Ω sr takes ``ceil(Ω / n_pix IFOV²)``
  fields, each held for the integration plus the mirror's step and settle, so the revisit is
  ``max(revisit_s, fields x dwell)`` (the frame period wanted, or the time the fields take).
* **False alarms.** A pixel whose noise is Gaussian exceeds a threshold of T standard
  deviations with probability ``Q(T)`` (Kay, *Fundamentals of Statistical Signal Processing,
  Vol. II*, 1998, sec. 3.3), the same Gaussian that gives ``Pd = Q(T - SNR)``; a revisit
  looks at ``Ω / IFOV²`` pixels of the field of regard (at least the arrays' pixels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from tracklayer.constants import PLANCK_J_S, SPEED_OF_LIGHT_M_S
from tracklayer.sensors.ir_config import InfraredParameters
from tracklayer.sensors.radiometry import (
    ELEMENTARY_CHARGE_C,
    PixelBudget,
    airy_ensquared_energy,
    band_centre_m,
    band_photon_radiance,
    nei_from_d_star,
    pixel_budget,
    rule07_dark_current_a_m2,
)

__all__ = [
    "Sensitivity",
    "false_alarm_probability",
    "fields_per_revisit",
    "payload_sensitivity",
    "revisit_s",
]

#: Gaussian approximation of the Airy core: σ = 0.42 λ / D (Zhang, Zerubia and
#: Olivo-Marin, "Gaussian approximations of fluorescence microscope point-spread function
#: models", Appl. Opt. 46, 1819, 2007: σ = 0.21 λ / NA with NA = D / 2f).
AIRY_GAUSS_SIGMA = 0.42


@dataclass(frozen=True)
class Sensitivity:
    """What a payload's design gives the sensing chain.

    Attributes
    ----------
    nei_look_down_w_m2, nei_above_limb_w_m2
        Noise-equivalent irradiance at the aperture against the Earth and against space, W/m²;
        infinite against the Earth where its background fills the well (the pixel is blind).
    ensquared_energy
        Fraction of a point source's energy on its pixel.
    psf_sigma_rad
        Standard deviation of the Gaussian that approximates the blur, rad.
    budget
        The pixel budget (look-down, above-limb), None for the NEI override or a D* detector.
    """

    nei_look_down_w_m2: float
    nei_above_limb_w_m2: float
    ensquared_energy: float
    psf_sigma_rad: float
    budget: PixelBudget | None


def dark_current_e_s(ir: InfraredParameters, band_um: tuple[float, float]) -> float:
    """Dark electrons per second per pixel: as given, else Rule 07 at the band's long edge."""
    fp = ir.focal_plane
    if fp.dark_current_e_s is not None:
        return fp.dark_current_e_s
    density = float(rule07_dark_current_a_m2(band_um[1], fp.temperature_k))
    return density * (fp.pixel_pitch_um * 1e-6) ** 2 / ELEMENTARY_CHARGE_C


def payload_pixel_budget(
    ir: InfraredParameters, band_um: tuple[float, float], scene_photon_radiance: np.ndarray
) -> PixelBudget:
    """:func:`~tracklayer.sensors.radiometry.pixel_budget` of ``ir``'s design in ``band_um``
    against scenes of the given photon radiance (photons s⁻¹ m⁻² sr⁻¹, any shape)."""
    fp = ir.focal_plane
    return pixel_budget(
        aperture_m=ir.aperture_m,
        ifov_rad=ir.ifov_rad,
        band_um=band_um,
        optics_transmission=ir.optics_transmission,
        optics_emissivity=ir.optics_emissivity_value,
        optics_temperature_k=ir.optics_temperature_k,
        quantum_efficiency=fp.quantum_efficiency,
        integration_s=fp.integration_s,
        dark_current_e_s=dark_current_e_s(ir, band_um),
        read_noise_e=fp.read_noise_e,
        well_depth_e=fp.well_depth_ke * 1e3,
        scene_photon_radiance=scene_photon_radiance,
    )


def payload_sensitivity(
    ir: InfraredParameters, band_um: tuple[float, float], *, where: str = "infrared"
) -> Sensitivity:
    """The payload's sensitivity in its band (module notes).

    Raises
    ------
    ValueError
        The background and dark current fill the well against space (naming ``where``):
        shorten ``integration_ms``. A well filled by the Earth alone makes the payload
        blind against the Earth (an above-the-horizon sensor).
    """
    lam = band_centre_m(band_um)
    ee = airy_ensquared_energy(ir.ifov_rad, ir.aperture_m, lam)
    sigma = AIRY_GAUSS_SIGMA * lam / ir.aperture_m
    fp = ir.focal_plane
    if ir.nei_w_m2 is not None:
        return Sensitivity(ir.nei_w_m2, ir.nei_w_m2, ee, sigma, None)
    if fp.d_star_cm_sqrt_hz_w is not None:
        nei = nei_from_d_star(
            d_star_m_sqrt_hz_w=fp.d_star_cm_sqrt_hz_w * 1e-2,
            pixel_pitch_m=fp.pixel_pitch_um * 1e-6,
            integration_s=fp.integration_s,
            aperture_m=ir.aperture_m,
            ifov_rad=ir.ifov_rad,
            wavelength_m=lam,
            optics_transmission=ir.optics_transmission,
        )
        return Sensitivity(nei, nei, ee, sigma, None)
    space_q = ir.space_radiance_w_m2_sr * lam / (PLANCK_J_S * SPEED_OF_LIGHT_M_S)
    scene = np.array([float(band_photon_radiance(ir.earth_temperature_k, band_um)), space_q])
    budget = payload_pixel_budget(ir, band_um, scene)
    fill = budget.well_fill
    if fill[1] >= 1.0:
        raise ValueError(
            f"{where}: background and dark current fill {fill[1]:.1f} wells in "
            f"{fp.integration_ms} ms against space; shorten focal_plane.integration_ms"
        )
    # A pixel that the Earth's background saturates sees nothing against the Earth.
    down = float(budget.nei_w_m2[0]) if fill[0] < 1.0 else math.inf
    return Sensitivity(down, float(budget.nei_w_m2[1]), ee, sigma, budget)


def fields_per_revisit(ir: InfraredParameters, regard_sr: float) -> int:
    """Fields of the arrays needed to cover ``regard_sr`` steradians (at least 1)."""
    per_field = ir.focal_plane.pixels * ir.ifov_rad**2
    return max(1, math.ceil(regard_sr / per_field - 1e-9))


def revisit_s(ir: InfraredParameters, regard_sr: float) -> float:
    """Revisit of the field of regard: the frame period wanted or the step-stare's, s."""
    return max(ir.revisit_s, fields_per_revisit(ir, regard_sr) * ir.focal_plane.dwell_s)


def false_alarm_probability(threshold_snr: float) -> float:
    """Probability that one pixel's Gaussian noise exceeds the threshold, ``Q(T)``."""
    return float(ndtr(-threshold_snr))
