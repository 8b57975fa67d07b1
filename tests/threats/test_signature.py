"""Infrared signature models against independent references.

References: Planck's law and the Stefan-Boltzmann law (CODATA 2018 constants); Sutton &
Graves, NASA TR R-376 (1971); Detra, Kemp & Riddell, Jet Propulsion 27 (1957) 1256,
in the form quoted by Anderson, *Hypersonic and High-Temperature Gas Dynamics*, 2nd ed.
(2006): ``q = 11030 / sqrt(R_n) (rho / rho_sl)^0.5 (V / V_c)^3.15`` W/cm^2 with
``V_c = 7925 m/s``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from tracklayer.constants import STEFAN_BOLTZMANN_W_M2_K4
from tracklayer.threats.atmosphere import us1976
from tracklayer.threats.signature import (
    band_radiance,
    blackbody_band_fraction,
    planck_spectral_radiance,
    plume_intensity_default,
    stagnation_heat_flux,
    wall_temperature,
)


@pytest.mark.parametrize("temp", [300.0, 900.0, 1800.0, 3000.0])
@pytest.mark.parametrize("band", [(1.4, 3.0), (3.0, 5.0), (8.0, 12.0)])
def test_band_radiance_matches_quadrature(temp: float, band: tuple[float, float]) -> None:
    """Tabulated band radiance within 1e-4 (relative) of adaptive quadrature of Planck."""
    lo, hi = band[0] * 1e-6, band[1] * 1e-6
    ref = quad(lambda lam: float(planck_spectral_radiance(lam, temp)), lo, hi, epsrel=1e-10)[0]
    assert band_radiance(temp, band) == pytest.approx(ref, rel=1e-4)


def test_wide_band_recovers_stefan_boltzmann() -> None:
    """0.1-100 um holds sigma T^4 / pi within 0.1 % at 1000 K (tails below 2e-4)."""
    total = STEFAN_BOLTZMANN_W_M2_K4 * 1000.0**4 / np.pi
    assert band_radiance(1000.0, (0.1, 100.0)) == pytest.approx(total, rel=1e-3)
    assert blackbody_band_fraction(1000.0, (0.1, 100.0)) == pytest.approx(1.0, rel=1e-3)


def test_wall_temperature_against_detra_kemp_riddell() -> None:
    """Radiative-equilibrium temperature within 3 % of the one from the DKR correlation.

    Operating point: a 0.1 m nose at 4 km/s and 40 km, and a 0.05 m nose at 6 km/s and
    60 km (hypersonic glide conditions). Sutton-Graves and DKR heating agree to about 10 %,
    i.e. 2.5 % in temperature (T ~ q^1/4); emissivity 0.85.
    """
    atm = us1976()
    for rn, v, h in ((0.1, 4000.0, 40_000.0), (0.05, 6000.0, 60_000.0)):
        rho = float(atm.density(h))
        q_dkr = 11030.0 / np.sqrt(rn) * np.sqrt(rho / 1.225) * (v / 7925.0) ** 3.15 * 1e4
        t_ref = (q_dkr / (0.85 * STEFAN_BOLTZMANN_W_M2_K4)) ** 0.25
        q_sg = stagnation_heat_flux(rho, v, rn)
        assert wall_temperature(q_sg, 0.85) == pytest.approx(t_ref, rel=0.03)


def test_wall_temperature_balances_heat_flux() -> None:
    """eps sigma (T^4 - Tc^4) = q to 1e-12 (the definition), and T = Tc without heating."""
    q = np.array([0.0, 1e4, 1e6])
    t = wall_temperature(q, 0.8, 300.0)
    assert np.allclose(0.8 * STEFAN_BOLTZMANN_W_M2_K4 * (t**4 - 300.0**4), q, rtol=1e-12, atol=1e-9)
    assert t[0] == pytest.approx(300.0)


def test_default_plume_intensity_order_of_magnitude() -> None:
    """A 370 kN solid first stage gives 1e4-1e6 W/sr in MWIR (orders of magnitude, Simmons 2000)."""
    i = plume_intensity_default(368e3, 2452.0, 0.02, 1800.0, (3.0, 5.0))
    assert 1e4 < i < 1e6
