"""Infrared signatures: boost plumes and aerodynamically heated bodies, per sensor band.

* Plume: a stage's in-band radiant intensity is given in the scenario (then scaled by
  altitude as below), or defaults to ``I = f_rad (F v_e / 2) F_band(T_p) / (4 pi)``: a
  fraction ``f_rad`` of the jet's kinetic power radiated isotropically, split over
  wavenumber like the exhaust's banded spectrum at ``T_p`` (``F_band`` the band's share,
  see "Plume by altitude and band"). ``f_rad`` of a few per cent gives
  1e4-1e6 W/sr for 0.1-1 MN boosters, the orders of magnitude of the open literature
  (e.g. Simmons, *Rocket Exhaust Plume Phenomenology*, Aerospace Press, 2000). Set
  ``plume_intensity_w_sr`` where a better figure is known.
* Heated body: stagnation-point convective heat flux from Sutton & Graves (NASA TR R-376,
  1971), ``q = 1.7415e-4 sqrt(rho / R_n) V^3`` W/m^2; the radiative-equilibrium wall
  temperature ``eps sigma (T^4 - T_c^4) = q`` (wall re-radiating all it receives, above a
  cold temperature ``T_c``); the nose cap (``pi R_n^2``) at that temperature and the rest of
  the visible area at the temperature of ``body_heating_fraction * q``. Radiance is Planck's
  law integrated over the band, times the emissivity and the visible area.

Plume by altitude and band
--------------------------
The exhaust radiates in the bands of its hot products, H₂O (1.9, 2.7 and 6.3 µm) and CO₂
(2.7 and 4.3 µm; hot bands shift the 4.3 µm band red to 4.4-4.5 µm), over a grey
continuum of particles (alumina from solid propellants, soot from liquids): the spectral
intensity is ``ε(ν) B_ν(T_p)`` with ``ε`` a sum of Gaussian bands (:data:`PLUME_GAS_BANDS`)
plus the continuum (:data:`PLUME_CONTINUUM`) (band centres and the shape of measured
exhaust spectra: Simmons, *Rocket Exhaust Plume Phenomenology*, Aerospace Press, 2000,
ch. 4; Wolfe and Zissis, *The Infrared Handbook*, ERIM, 1985, figs. 2-52 to 2-56). The
band's share of that spectrum times ``f_rad F v_e / (8 π)`` is the vacuum-core intensity.
Altitude changes the gas emission (:func:`plume_altitude_factor`): at low altitude the
fuel-rich exhaust burns again with entrained air (afterburning, a factor of a few at sea
level, gone by 60-70 km as the air thins), then the plume expands in near-vacuum and its
emitting volume grows above about 90 km: the in-band intensity goes through a trough near
70-90 km (the "trough" of the plume seen from space: Forden, "SBIRS - signal and
background", 2008, after the Titan II data of the *Rocket Radiation Handbook*, AiResearch,
1974; Simmons 2000 ch. 1). The continuum is not afterburning and is held constant.

Propellant classes
------------------
A stage's ``propellant`` sets its exhaust's make-up (:data:`PROPELLANTS`): ``solid``
(aluminized AP/HTPB: alumina continuum over H₂O, CO₂ and HCl), ``kerosene`` (RP-1 with LOX,
or kerosene with nitric acid: H₂O and CO₂ in nearly equal parts, a little soot) and
``udmh_n2o4`` (the storable hypergols: H₂O-rich, almost no continuum). The H₂O/CO₂ split
follows from each propellant's elements (:func:`water_fraction`) and scales the bands; the
same spectrum weights the atmosphere's band transmittance on the path to each sensor
(:mod:`tracklayer.sensors.atmosphere`), so a water-rich exhaust loses more at 2.7 µm and
less at 4.3 µm than a carbon-rich one. Validity: the far plume after afterburning (every C
to CO₂, every H not in HCl to H₂O); band strengths scaled linearly (optically thin bands);
continuum emissivities are orders of magnitude (alumina 0.1, soot 0.01), not fits.

Thermal state of bodies
-----------------------
After burnout a body's skin is a lumped thermal mass per unit area ``C`` (J/(m² K)) at the
nose and over the body: ``C dT/dt = q_aero + q_sun + q_earth - ε σ T⁴`` (lumped
capacitance: Incropera and DeWitt, *Fundamentals of Heat and Mass Transfer*, 6th ed.,
sec. 5.3, with radiation), with the Sutton-Graves heating above, absorbed sunlight
``α S / 4`` in sunlight (a sphere's mean), and the Earth's thermal emission (240 W/m²) and
reflected sunlight (albedo 0.3) times the sphere-to-Earth view factor
``(1 - sqrt(1 - (R/r)²)) / 2``. It starts at the launch temperature and is integrated on
the truth's samples (:func:`skin_temperatures`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tracklayer.constants import (
    BOLTZMANN_J_K,
    PLANCK_J_S,
    SPEED_OF_LIGHT_M_S,
    STEFAN_BOLTZMANN_W_M2_K4,
)
from tracklayer.threats import _truth_kernels as TK

F64 = NDArray[np.float64]

#: Sutton-Graves constant for Earth's air, kg^0.5 / m (NASA TR R-376, 1971).
SUTTON_GRAVES_K = 1.7415e-4
#: Propellant classes of a stage (``liquid``, the former generic liquid, reads as kerosene).
Propellant = Literal["solid", "kerosene", "udmh_n2o4", "liquid"]
#: The classes the exhaust model knows, in the order of their codes (truth and sensing).
PROPELLANTS: tuple[str, ...] = ("solid", "kerosene", "udmh_n2o4")
#: Elements per 100 g of propellant, mol: (C, H, Cl). Solid: AP/HTPB/Al 68/14/18 by mass
#: (NH₄ClO₄ 117.49 g/mol, HTPB as (C₄H₆)ₙ, the composite of large solid motors: Sutton and
#: Biblarz, *Rocket Propulsion Elements*, 9th ed., ch. 13); kerosene: CH₁.₉₅ (RP-1's H/C
#: ratio; the same fuel burnt with LOX or nitric acid); UDMH/N₂O₄: (CH₃)₂N₂H₂ with N₂O₄
#: (the oxidizer adds no C or H).
PROPELLANT_ELEMENTS: dict[str, tuple[float, float, float]] = {
    "solid": (14.0 / 13.523, 14.0 / 13.523 * 1.5 + 4.0 * 68.0 / 117.49, 68.0 / 117.49),
    "kerosene": (100.0 / 13.976, 1.95 * 100.0 / 13.976, 0.0),
    "udmh_n2o4": (2.0, 8.0, 0.0),
}
#: Hot-gas emission bands of exhaust: (centre cm⁻¹, 1/e half-width cm⁻¹, peak emissivity of
#: an exhaust with equal H₂O and CO₂, share of H₂O in the band): H₂O 1.87 µm, H₂O + CO₂
#: 2.7 µm, CO₂ 4.3 µm (hot bands, red-shifted), H₂O 6.3 µm.
PLUME_GAS_BANDS: tuple[tuple[float, float, float, float], ...] = (
    (5330.0, 180.0, 0.10, 1.0),
    (3650.0, 280.0, 0.50, 0.7),
    (2260.0, 130.0, 0.90, 0.0),
    (1600.0, 220.0, 0.30, 1.0),
)
#: Grey particle continuum of the exhaust's emissivity, by propellant: alumina droplets of
#: an aluminized solid, soot of kerosene, next to nothing from the clean-burning hypergols.
PLUME_CONTINUUM: dict[str, float] = {"solid": 0.10, "kerosene": 0.01, "udmh_n2o4": 0.002}
#: Afterburning: gas emission at sea level is ``1 + PLUME_AFTERBURN_GAIN`` times the core's,
#: falling as ``1 / (1 + rho_ab / rho)`` with ``rho_ab`` the density at 50 km.
PLUME_AFTERBURN_GAIN = 2.0
PLUME_AFTERBURN_DENSITY_KG_M3 = 1.03e-3
#: Plume growth in near-vacuum: up to ``1 + PLUME_GROWTH_GAIN`` times the core's emission,
#: rising as ``1 / (1 + rho / rho_g)`` with ``rho_g`` the density at 90 km.
PLUME_GROWTH_GAIN = 1.0
PLUME_GROWTH_DENSITY_KG_M3 = 3.4e-6
#: Temperature of the exhaust spectrum that weights a band's atmospheric transmittance, K.
PLUME_REFERENCE_TEMPERATURE_K = 1800.0
#: Temperature of the grey-body spectrum weighting a heated body's transmittance, K.
BODY_REFERENCE_TEMPERATURE_K = 1000.0
#: A source spectrum: ``("plume", propellant)`` or ``("body", "")``.
SourceKey = tuple[str, str]
#: The wavenumber grid, cm⁻¹, on which plume band shares are integrated (0.67-20 µm).
_WN_GRID = np.arange(500.0, 15000.0, 2.0)
_T_GRID = np.geomspace(50.0, 6000.0, 1200)


def planck_spectral_radiance(wavelength_m: ArrayLike, temperature_k: ArrayLike) -> F64:
    """Blackbody spectral radiance ``B_lambda``, W / (m^2 sr m)."""
    lam = np.asarray(wavelength_m, dtype=np.float64)
    t = np.asarray(temperature_k, dtype=np.float64)
    c1 = 2.0 * PLANCK_J_S * SPEED_OF_LIGHT_M_S**2
    c2 = PLANCK_J_S * SPEED_OF_LIGHT_M_S / BOLTZMANN_J_K
    with np.errstate(over="ignore"):
        return np.asarray(c1 / lam**5 / np.expm1(c2 / (lam * t)))


@lru_cache(maxsize=32)
def _band_table(lo_um: float, hi_um: float) -> F64:
    # Simpson's rule on 2001 points uniform in ln(lambda), where B_lambda * lambda is smooth:
    # relative error below 1e-7 for any band and temperature of the table (see tests).
    x = np.linspace(np.log(lo_um * 1e-6), np.log(hi_um * 1e-6), 2001)
    lam = np.exp(x)
    w = np.ones(x.size)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    w *= (x[1] - x[0]) / 3.0
    radiance = (planck_spectral_radiance(lam[None, :], _T_GRID[:, None]) * (lam * w)).sum(axis=1)
    return np.log(np.maximum(radiance, 1e-300))


def band_radiance(temperature_k: ArrayLike, band_um: tuple[float, float]) -> F64:
    """Blackbody radiance in ``band_um`` (micrometres), W/(m^2 sr), at any temperatures.

    Interpolates, in log radiance against log temperature, a table integrated once per
    band (50-6000 K; relative error below 1e-5, see the tests).
    """
    t = np.clip(np.asarray(temperature_k, dtype=np.float64), _T_GRID[0], _T_GRID[-1])
    table = _band_table(float(band_um[0]), float(band_um[1]))
    return np.exp(np.interp(np.log(t), np.log(_T_GRID), table))


def blackbody_band_fraction(temperature_k: float, band_um: tuple[float, float]) -> float:
    """Fraction of a blackbody's total emission that falls in the band."""
    total = STEFAN_BOLTZMANN_W_M2_K4 * temperature_k**4 / np.pi
    return float(band_radiance(temperature_k, band_um) / total)


def stagnation_heat_flux(density: ArrayLike, speed: ArrayLike, nose_radius_m: ArrayLike) -> F64:
    """Sutton-Graves stagnation-point convective heat flux, W/m^2."""
    rho = np.asarray(density, dtype=np.float64)
    v = np.asarray(speed, dtype=np.float64)
    return np.asarray(SUTTON_GRAVES_K * np.sqrt(rho / np.asarray(nose_radius_m)) * v**3)


def wall_temperature(
    heat_flux: ArrayLike, emissivity: ArrayLike, cold_temperature_k: ArrayLike = 0.0
) -> F64:
    """Radiative-equilibrium wall temperature, K: ``eps sigma (T^4 - T_c^4) = q``."""
    q = np.asarray(heat_flux, dtype=np.float64)
    tc = np.asarray(cold_temperature_k, dtype=np.float64)
    return np.asarray((q / (np.asarray(emissivity) * STEFAN_BOLTZMANN_W_M2_K4) + tc**4) ** 0.25)


def planck_wavenumber_radiance(wavenumber_cm: ArrayLike, temperature_k: ArrayLike) -> F64:
    """Blackbody spectral radiance per unit wavenumber, W / (m² sr cm⁻¹)."""
    nu = np.asarray(wavenumber_cm, dtype=np.float64) * 100.0  # m⁻¹
    t = np.asarray(temperature_k, dtype=np.float64)
    c1 = 2.0 * PLANCK_J_S * SPEED_OF_LIGHT_M_S**2
    c2 = PLANCK_J_S * SPEED_OF_LIGHT_M_S / BOLTZMANN_J_K
    with np.errstate(over="ignore"):
        return np.asarray(100.0 * c1 * nu**3 / np.expm1(c2 * nu / t))


def propellant_class(propellant: str) -> str:
    """The exhaust class of a propellant name (``liquid`` is kerosene).

    Raises
    ------
    ValueError
        Not one of :data:`PROPELLANTS` or ``liquid``.
    """
    name = "kerosene" if propellant == "liquid" else propellant
    if name not in PROPELLANTS:
        raise ValueError(f"propellant: expected one of {list(PROPELLANTS)}, got {propellant!r}")
    return name


def water_fraction(propellant: str) -> float:
    """H₂O's share of the H₂O and CO₂ of the afterburnt exhaust, by element balance.

    Every carbon atom ends as CO₂, every hydrogen not bound to chlorine (HCl) as H₂O (the far
    plume after afterburning with air): ``n_H₂O / (n_H₂O + n_CO₂)`` with
    ``n_H₂O = (H - Cl) / 2`` and ``n_CO₂ = C`` (:data:`PROPELLANT_ELEMENTS`): 0.61 for the
    aluminized solid, 0.49 for kerosene, 0.67 for UDMH/N₂O₄.
    """
    c, h, cl = PROPELLANT_ELEMENTS[propellant_class(propellant)]
    water = 0.5 * (h - cl)
    return water / (water + c)


def plume_spectral_emissivity(wavenumber_cm: ArrayLike, propellant: str) -> tuple[F64, F64]:
    """The exhaust's gas and particle emissivity at each wavenumber (module notes).

    Each band's peak is its value for an exhaust of equal H₂O and CO₂, scaled linearly
    (optically thin) by the propellant's share of the band's emitters:
    ``peak (w x_H₂O + (1 - w) x_CO₂) / 0.5`` with ``w`` the band's H₂O share and ``x`` from
    :func:`water_fraction`.

    Returns
    -------
    gas, continuum : ndarray
        Emissivity of the H₂O/CO₂ bands (at most 1) and of the particle continuum.
    """
    name = propellant_class(propellant)
    x_water = water_fraction(name)
    nu = np.asarray(wavenumber_cm, dtype=np.float64)
    gas = np.zeros_like(nu)
    for centre, width, peak, water_share in PLUME_GAS_BANDS:
        scale = (water_share * x_water + (1.0 - water_share) * (1.0 - x_water)) / 0.5
        gas += peak * scale * np.exp(-(((nu - centre) / width) ** 2))
    gas = np.minimum(gas, 1.0)
    return gas, np.full_like(nu, PLUME_CONTINUUM[name])


def source_spectrum(wavenumber_cm: ArrayLike, source: SourceKey) -> F64:
    """Spectral intensity shape of a source (arbitrary scale) per unit wavenumber.

    ``("plume", propellant)``: the exhaust at :data:`PLUME_REFERENCE_TEMPERATURE_K`;
    ``("body", "")``: a grey body at :data:`BODY_REFERENCE_TEMPERATURE_K`.
    """
    kind, detail = source
    nu = np.asarray(wavenumber_cm, dtype=np.float64)
    if kind == "plume":
        gas, cont = plume_spectral_emissivity(nu, detail)
        return (gas + cont) * planck_wavenumber_radiance(nu, PLUME_REFERENCE_TEMPERATURE_K)
    if kind == "body":
        return planck_wavenumber_radiance(nu, BODY_REFERENCE_TEMPERATURE_K)
    raise ValueError(f"unknown source spectrum {source!r}")


@lru_cache(maxsize=64)
def plume_band_shares(
    temperature_k: float, band_um: tuple[float, float], propellant: str
) -> tuple[float, float]:
    """The band's share of the exhaust's total emission, and the gas bands' share of it.

    Returns
    -------
    band_fraction
        ``∫_band ε B_ν dν / ∫ ε B_ν dν`` (0.67-20 µm), the ``F_band`` of the module notes.
    gas_fraction
        Part of the in-band emission that comes from the gas bands (not the continuum).
    """
    nu = _WN_GRID
    b = planck_wavenumber_radiance(nu, temperature_k)
    gas, cont = plume_spectral_emissivity(nu, propellant)
    inside = (nu >= 1e4 / band_um[1]) & (nu <= 1e4 / band_um[0])
    total = float(((gas + cont) * b).sum())
    in_gas, in_cont = float((gas * b)[inside].sum()), float((cont * b)[inside].sum())
    in_band = in_gas + in_cont
    return in_band / total, (in_gas / in_band if in_band > 0.0 else 0.0)


def plume_altitude_factor(density_kg_m3: ArrayLike) -> F64:
    """Gas emission relative to the vacuum core at ambient density (afterburning, growth).

    ``(1 + g_ab / (1 + rho_ab / rho)) (1 + g_gr / (1 + rho / rho_gr)) / (1 + g_gr)``: 1.5
    from sea level to 30 km, 1.0 at 50 km, a trough of 0.6 at 70-80 km, 0.93 at 100 km and
    1 in vacuum (module notes; US76 densities).
    """
    rho = np.maximum(np.asarray(density_kg_m3, dtype=np.float64), 0.0)
    with np.errstate(divide="ignore"):
        after = 1.0 + PLUME_AFTERBURN_GAIN * rho / (rho + PLUME_AFTERBURN_DENSITY_KG_M3)
        growth = 1.0 + PLUME_GROWTH_GAIN * PLUME_GROWTH_DENSITY_KG_M3 / (
            rho + PLUME_GROWTH_DENSITY_KG_M3
        )
    return np.asarray(after * growth / (1.0 + PLUME_GROWTH_GAIN))


def plume_intensity_default(
    thrust_n: float,
    exhaust_velocity_m_s: float,
    radiative_fraction: float,
    plume_temperature_k: float,
    band_um: tuple[float, float],
    propellant: str = "solid",
) -> float:
    """Default in-band vacuum-core plume radiant intensity, W/sr (module notes)."""
    jet_power = 0.5 * thrust_n * exhaust_velocity_m_s
    frac, _ = plume_band_shares(float(plume_temperature_k), tuple(band_um), propellant)
    return radiative_fraction * jet_power * frac / (4.0 * np.pi)


def band_table(band_um: tuple[float, float]) -> tuple[F64, F64]:
    """The band's log-radiance table on the temperature grid, and the grid as
    ``(log T0, 1 / d log T)`` (uniform in log temperature), for the compiled kernels."""
    table = _band_table(float(band_um[0]), float(band_um[1]))
    log_t = np.log(_T_GRID)
    return table, np.array([log_t[0], (log_t.size - 1) / (log_t[-1] - log_t[0])])


#: Sutton-Graves and Stefan-Boltzmann constants as the compiled kernels take them.
KERNEL_CONSTANTS = np.array([SUTTON_GRAVES_K, STEFAN_BOLTZMANN_W_M2_K4])


def heated_body_intensity(
    density: ArrayLike,
    speed: ArrayLike,
    band_um: tuple[float, float],
    *,
    nose_radius_m: ArrayLike,
    emissivity: ArrayLike,
    visible_area_m2: ArrayLike,
    body_heating_fraction: ArrayLike,
    cold_temperature_k: ArrayLike,
) -> F64:
    """In-band radiant intensity (W/sr) of an aerodynamically heated body, any shape.

    ``density`` (kg/m^3) and ``speed`` (m/s) broadcast against the per-vehicle parameters.
    The nose cap (``pi R_n^2``, at most the visible area) radiates at the wall temperature
    of :func:`stagnation_heat_flux`, the rest of the visible area at that of
    ``body_heating_fraction`` times it; each times the emissivity and :func:`band_radiance`
    (computed per element by :func:`tracklayer.threats._truth_kernels.heated_batch`, the
    kernel the truth table uses).
    """
    parts = np.broadcast_arrays(
        *(
            np.asarray(x, dtype=np.float64)
            for x in (
                density,
                speed,
                nose_radius_m,
                emissivity,
                visible_area_m2,
                body_heating_fraction,
                cold_temperature_k,
            )
        )
    )
    shape = parts[0].shape
    flat = [np.ascontiguousarray(x).reshape(-1) for x in parts]
    body = np.empty((TK.B_SIZE, flat[0].size))
    body[TK.B_NOSE_RADIUS], body[TK.B_EMISSIVITY], body[TK.B_AREA] = flat[2:5]
    body[TK.B_HEATING_FRACTION], body[TK.B_COLD_T] = flat[5:7]
    table, grid = band_table(band_um)
    out = np.empty(flat[0].size)
    TK.heated_batch(flat[0], flat[1], table[None, :], 0, grid, body, KERNEL_CONSTANTS, out)
    return out.reshape(shape)
