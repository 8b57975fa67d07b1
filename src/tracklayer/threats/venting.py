"""Propellant vented by a spent liquid stage: a cloud of condensed particles in sunlight.

After separation a spent liquid-propellant stage vents what is left in its tanks (pressure
relief, passivation). A liquid let into vacuum boils and freezes at once: part leaves as
vapour, which is invisible in the infrared bands used here, and the rest condenses into a
cloud of small particles that scatters sunlight and radiates at its own temperature. The
cloud travels with the stage and grows; its in-band intensity is added to the stage's
signature (:mod:`tracklayer.threats.separation`).

* **Vented and condensed mass.** ``vented_mass_kg`` leaves at a constant rate over
  ``duration_s`` from ``delay_s`` after separation. The condensed fraction follows the
  flash-freezing energy balance of the liquid: the vapour carries off the heat that cools
  the liquid to its freezing point and freezes the rest,
  ``f_vap = (c ΔT + L_f) / (L_v + L_f)`` (:func:`flash_vapour_fraction`): 15 % for water from
  20 °C. Measured: of 18 kg of water released at about 100 km by a Nike-Cajun rocket over
  Wallops Island (2 March 1962), about 2 kg vaporised and the rest formed ice particles
  (Edwards 1962, as summarised in the DOE/NASA SPS atmospheric-effects assessment, 1980).
* **Particles.** A vented stream breaks up into large droplets the size of the orifice,
  which leave at the liquid's own speed, freeze and persist for orbits, and a fog of
  submicron ice spherules recondensed from the over-expanded vapour, which grows at the
  vapour's speed, cools to about 180 K within a second, sublimates over minutes and
  dominates the distant view of the sunlit trail (Pike, Knecht, Viereck, Murad, Kofsky et
  al., "Release of liquid water from the Space Shuttle", Geophys. Res. Lett. 17(2), 1990;
  the temperatures and lifetimes from the same team's analysis, Kofsky et al., *Liquid
  dispersal study*, Phillips Laboratory report, 1993: spherules at 180 K in under a
  second, the fragments a little warmer within two minutes and lasting a few orbits). Two
  populations, then (``fog`` and ``droplets``: radius, expansion speed, lifetime,
  temperature), the fog taking ``fog_fraction`` of the vented mass and the droplets the
  rest of the condensate; the vapour's limiting speed ``sqrt(2 c_p T₀) ≈ 1 km/s`` for water
  vapour from 273 K (Liepmann and Roshko, *Elements of Gasdynamics*, 1957) sets the fog's
  default growth. Each population's mass decays exponentially with its lifetime L: a mass
  vented at ``s`` is left at ``e^(-(t - s)/L)``, so it holds ``f ṁ L (1 - e^(-τ/L))``
  while venting and ``f ṁ L (e^(-(τ - t_v)/L) - e^(-τ/L))`` after
  (:func:`condensed_mass_kg`). The fog's share is not measured in the open papers: its
  default (2 %) is a guess within the vapour's 15 %.
* **Optics.** Extinction and absorption efficiencies of a sphere in van de Hulst's
  anomalous-diffraction approximation (*Light Scattering by Small Particles*, Wiley 1957,
  sec. 11.22) for the complex index ``m = n + i k`` (:func:`anomalous_diffraction`);
  scattering is their difference. A cloud of N spheres of radius a and density ρ holding
  mass M has the cross-section ``N π a² = 3 M / (4 ρ a)``.
* **Intensity** (:func:`cloud_intensity_w_sr`, summed over the populations). Optically
  thin, mean over directions (isotropic scattering, the convention of the stage's own
  reflected sunlight; for large droplets half of ``Q_sca`` is the forward diffraction peak,
  so side views get up to 2 times less):
  ``I = N π a² [Q_sca E_band / (4π) (sunlit) + Q_abs L_band(T_p)]``, ``E_band`` the Sun's
  in-band irradiance and ``L_band`` Planck's in-band radiance (Kirchhoff: a sphere's
  emissivity is its absorption efficiency). A cloud of radius ``R = u τ`` (``u`` the
  expansion speed) cannot show more than its disc: the sum is multiplied by the escape
  factor ``(1 - e^(-τ_c)) / τ_c`` of its mean optical depth ``τ_c = Q_ext N π a² / (π R²)``.

Validity: orders of magnitude. The cloud is taken as unresolved (a sensor whose pixel
footprint is smaller than the cloud sees its intensity spread over several pixels); one
particle size per population (no size distribution, no phase function: intensity per
sample, not per observer); the index is the user's per band (ice is transparent in the near
infrared, and absorbs strongly near 3 µm and beyond 10 µm); the anomalous-diffraction
approximation wants ``|m - 1|`` well below 1 and improves with size (it misses Mie's
ripple and errs most at size parameters near 1). Solid stages do not vent.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tracklayer.threats.separation_config import VentingConfig
from tracklayer.threats.signature import band_radiance

F64 = NDArray[np.float64]

__all__ = [
    "VentingConfig",
    "anomalous_diffraction",
    "cloud_intensity_w_sr",
    "condensed_mass_kg",
    "flash_vapour_fraction",
    "venting_intensity_w_sr",
]

#: Water: specific heat of the liquid, J/(kg K); latent heats of fusion and of
#: vaporisation at 0 °C, J/kg (CRC Handbook of Chemistry and Physics).
WATER_SPECIFIC_HEAT_J_KG_K = 4186.0
WATER_FUSION_J_KG = 3.34e5
WATER_VAPORISATION_J_KG = 2.501e6
WATER_FREEZING_K = 273.15


def flash_vapour_fraction(
    liquid_temperature_k: float,
    *,
    specific_heat_j_kg_k: float = WATER_SPECIFIC_HEAT_J_KG_K,
    fusion_j_kg: float = WATER_FUSION_J_KG,
    vaporisation_j_kg: float = WATER_VAPORISATION_J_KG,
    freezing_k: float = WATER_FREEZING_K,
) -> float:
    """Fraction of a liquid let into vacuum that leaves as vapour (module notes).

    ``(c (T - T_f) + L_f) / (L_v + L_f)``: the vapour's latent heat cools the whole mass to
    its freezing point and freezes the rest. Water by default.
    """
    cool = specific_heat_j_kg_k * max(liquid_temperature_k - freezing_k, 0.0)
    return (cool + fusion_j_kg) / (vaporisation_j_kg + fusion_j_kg)


def anomalous_diffraction(
    radius_m: float, wavelength_m: ArrayLike, index: complex
) -> tuple[F64, F64]:
    """Extinction and absorption efficiencies ``(Q_ext, Q_abs)`` of a sphere.

    van de Hulst (1957), sec. 11.22, for ``m = n + i k``: with the size parameter
    ``x = 2π a / λ``, the phase lag ``ρ = 2 x (n - 1)`` and ``tan β = k / (n - 1)``,
    ``Q_ext = 2 - 4 e^(-ρ tan β) (cos β / ρ) sin(ρ - β)
    - 4 e^(-ρ tan β) (cos β / ρ)² cos(ρ - 2β) + 4 (cos β / ρ)² cos 2β``, and
    ``Q_abs = 1 + e^(-w) / (w / 2) + (e^(-w) - 1) / (w² / 2)`` with ``w = 4 x k``
    (the absorption across the sphere; ``(2/3) w`` when small). Needs ``n > 1``.
    """
    n, k = float(index.real), float(index.imag)
    if n <= 1.0:
        raise ValueError(f"refractive index: real part must exceed 1, got {n}")
    x = 2.0 * np.pi * radius_m / np.asarray(wavelength_m, dtype=np.float64)
    rho = 2.0 * x * (n - 1.0)
    beta = np.arctan(k / (n - 1.0))
    c = np.cos(beta) / rho
    damp = np.exp(-rho * np.tan(beta))
    q_ext = (
        2.0
        - 4.0 * damp * c * np.sin(rho - beta)
        - 4.0 * damp * c * c * np.cos(rho - 2.0 * beta)
        + 4.0 * c * c * np.cos(2.0 * beta)
    )
    w = 4.0 * x * k
    with np.errstate(divide="ignore", invalid="ignore"):
        q_abs = 1.0 + np.exp(-w) / (0.5 * w) + np.expm1(-w) / (0.5 * w * w)
    # Below w ~ 1e-4 the closed form cancels catastrophically: its series (2/3) w - w²/2.
    q_abs = np.where(w < 1e-4, 2.0 / 3.0 * w - 0.5 * w * w, q_abs)
    return np.asarray(q_ext, dtype=np.float64), np.asarray(q_abs, dtype=np.float64)


def condensed_mass_kg(
    age_s: ArrayLike, config: VentingConfig, share: float, lifetime_s: float
) -> F64:
    """Mass of one population in the cloud ``age_s`` seconds after separation, kg: the
    ``share`` of the vented mass it takes, lost with ``lifetime_s`` (module notes)."""
    tau = np.asarray(age_s, dtype=np.float64) - config.delay_s
    rate = share * config.vented_mass_kg / config.duration_s
    during = lifetime_s * -np.expm1(-np.clip(tau, 0.0, None) / lifetime_s)
    after = lifetime_s * (
        np.exp(-(tau - config.duration_s) / lifetime_s) - np.exp(-tau / lifetime_s)
    )
    mass = np.where(tau <= config.duration_s, during, after)
    return np.asarray(np.where(tau > 0.0, rate * mass, 0.0), dtype=np.float64)


def cloud_intensity_w_sr(
    mass_kg: ArrayLike,
    radius_m: ArrayLike,
    lit: ArrayLike,
    solar_irradiance_w_m2: float,
    band_um: tuple[float, float],
    index: complex,
    particle: tuple[float, float, float],
) -> F64:
    """In-band intensity of a cloud of equal spheres, W/sr, mean over directions.

    ``mass_kg`` and the cloud's ``radius_m`` broadcast with ``lit``; ``particle`` is the
    spheres' radius (m), density (kg/m³) and temperature (K). Module notes, "Intensity".
    """
    a, density, temperature = particle
    q_ext, q_abs = anomalous_diffraction(a, 0.5 * (band_um[0] + band_um[1]) * 1e-6, index)
    q_sca = np.maximum(q_ext - q_abs, 0.0)
    cross = 3.0 * np.asarray(mass_kg, dtype=np.float64) / (4.0 * density * a)  # N π a², m²
    disc = np.pi * np.asarray(radius_m, dtype=np.float64) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = np.where(disc > 0.0, q_ext * cross / disc, 0.0)
        escape = np.where(depth > 1e-9, -np.expm1(-depth) / depth, 1.0)
    per_area = q_sca * solar_irradiance_w_m2 / (4.0 * np.pi) * np.asarray(lit, dtype=np.float64)
    per_area = per_area + q_abs * float(band_radiance(temperature, band_um))
    return np.asarray(cross * escape * per_area, dtype=np.float64)


def venting_intensity_w_sr(
    age_s: ArrayLike,
    lit: ArrayLike,
    solar_irradiance_w_m2: float,
    band_um: tuple[float, float],
    index: complex,
    config: VentingConfig,
) -> F64:
    """In-band intensity of the vented cloud (fog and droplets), W/sr (module notes).

    Parameters
    ----------
    age_s
        Seconds since separation, any shape.
    lit
        True where the stage is in sunlight, same shape.
    solar_irradiance_w_m2
        The Sun's in-band irradiance at the stage, W/m².
    band_um
        Band edges, µm (the efficiencies at its centre wavelength).
    index
        Complex refractive index ``n + i k`` of the condensate in the band.
    """
    since = np.clip(np.asarray(age_s, dtype=np.float64) - config.delay_s, 0.0, None)
    total = np.zeros(np.broadcast(since, np.asarray(lit)).shape)
    for share, cloud in config.populations():
        mass = condensed_mass_kg(age_s, config, share, cloud.lifetime_s)
        particle = (cloud.radius_um * 1e-6, config.particle_density_kg_m3, cloud.temperature_k)
        total = total + cloud_intensity_w_sr(
            mass, cloud.expansion_speed_m_s * since, lit, solar_irradiance_w_m2, band_um,
            index, particle,
        )  # fmt: skip
    return total
