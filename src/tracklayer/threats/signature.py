"""Infrared signatures: boost plumes and aerodynamically heated bodies, per sensor band.

* Plume: a stage's in-band radiant intensity is given in the scenario, or defaults to
  ``I = f_rad (F v_e / 2) F_band(T_p) / (4 pi)``: a fraction ``f_rad`` of the jet's kinetic
  power radiated isotropically, split over wavelength like a blackbody at ``T_p``
  (``F_band`` the blackbody fraction in the band). ``f_rad`` of a few per cent gives
  1e4-1e6 W/sr for 0.1-1 MN boosters, the orders of magnitude of the open literature
  (e.g. Simmons, *Rocket Exhaust Plume Phenomenology*, Aerospace Press, 2000). Set
  ``plume_intensity_w_sr`` where a better figure is known.
* Heated body: stagnation-point convective heat flux from Sutton & Graves (NASA TR R-376,
  1971), ``q = 1.7415e-4 sqrt(rho / R_n) V^3`` W/m^2; the radiative-equilibrium wall
  temperature ``eps sigma (T^4 - T_c^4) = q`` (wall re-radiating all it receives, above a
  cold temperature ``T_c``); the nose cap (``pi R_n^2``) at that temperature and the rest of
  the visible area at the temperature of ``body_heating_fraction * q``. Radiance is Planck's
  law integrated over the band, times the emissivity and the visible area.
"""

from __future__ import annotations

from functools import lru_cache

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


def plume_intensity_default(
    thrust_n: float,
    exhaust_velocity_m_s: float,
    radiative_fraction: float,
    plume_temperature_k: float,
    band_um: tuple[float, float],
) -> float:
    """Default in-band plume radiant intensity, W/sr (see the module docstring)."""
    jet_power = 0.5 * thrust_n * exhaust_velocity_m_s
    frac = blackbody_band_fraction(plume_temperature_k, band_um)
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
