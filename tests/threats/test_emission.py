"""Plumes by altitude and band, and the thermal state of bodies (lumped capacitance)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from tracklayer.constants import STEFAN_BOLTZMANN_W_M2_K4
from tracklayer.threats.atmosphere import us1976
from tracklayer.threats.emission import skin_temperatures
from tracklayer.threats.signature import (
    plume_altitude_factor,
    plume_band_shares,
    plume_intensity_default,
    plume_spectral_emissivity,
    propellant_class,
    water_fraction,
)


def _analytic_time(t0: float, t1: float, q: float, c: float, es: float) -> float:
    """Time for ``c dT/dt = q - es T^4`` to go from t0 to t1 (closed form).

    With ``Te = (q / es)^(1/4)``: ``t = c / (4 es Te^3) [ln((Te+T)/(Te-T)) + 2 atan(T/Te)]``
    between the two temperatures (Incropera and DeWitt, sec. 5.3, radiation-only lumped
    capacitance, eq. 5.18 with the surroundings' term replaced by the constant heating).
    """
    te = (q / es) ** 0.25

    def f(t: float) -> float:
        return math.log((te + t) / abs(te - t)) + 2.0 * math.atan(t / te)

    return c / (4.0 * es * te**3) * (f(t1) - f(t0))


@pytest.mark.parametrize(("t0", "q"), [(300.0, 2e5), (1500.0, 1e3), (300.0, 5e4)])
def test_skin_temperature_matches_lumped_capacitance_solution(t0: float, q: float) -> None:
    """Heating and cooling under constant flux against the closed-form lumped solution.

    Reference: the closed form above, inverted with ``brentq`` at each sample time; 1 s
    samples, C = 10 kJ/(m² K), ε = 0.85, 300 s. Tolerance: 0.5 K (the implicit trapezoid is
    second order; time constants here are 5-60 s).
    """
    c, eps = 1e4, 0.85
    es = eps * STEFAN_BOLTZMANN_W_M2_K4
    te = (q / es) ** 0.25
    times = np.arange(0.0, 301.0, 1.0)
    temps = skin_temperatures(
        np.zeros(times.size, dtype=np.int32), times, np.full(times.size, q),
        np.array([t0]), np.array([c]), np.array([eps]), STEFAN_BOLTZMANN_W_M2_K4,
    )  # fmt: skip
    for k in (5, 20, 60, 150, 300):
        lo, hi = sorted((t0, te))
        elapsed = float(times[k])
        want = brentq(
            lambda t, e=elapsed: _analytic_time(t0, t, q, c, es) - e, lo + 1e-9, hi - 1e-9
        )
        assert temps[k] == pytest.approx(want, abs=0.5)


def test_skin_temperatures_keep_objects_apart() -> None:
    """Interleaved rows of two objects integrate each on its own (same result as alone)."""
    times = np.repeat(np.arange(0.0, 50.0), 2)
    vid = np.tile(np.array([0, 1], dtype=np.int32), 50)
    q = np.where(vid == 0, 1e5, 0.0)
    both = skin_temperatures(
        vid, times, q, np.array([300.0, 1200.0]), np.array([1e4, 2e4]), np.array([0.8, 0.9]),
        STEFAN_BOLTZMANN_W_M2_K4,
    )  # fmt: skip
    alone = skin_temperatures(
        np.zeros(50, dtype=np.int32), times[1::2], np.zeros(50), np.array([1200.0]),
        np.array([2e4]), np.array([0.9]), STEFAN_BOLTZMANN_W_M2_K4,
    )  # fmt: skip
    np.testing.assert_allclose(both[1::2], alone, rtol=0, atol=1e-12)
    assert both[0] == 300.0 and np.all(np.diff(both[0::2]) > 0)


def test_plume_altitude_shape() -> None:
    """Afterburning at low altitude, a trough at 70-90 km, growth to the vacuum value.

    Reference: the shape of plume intensity with altitude in Forden (2008, the Titan II data
    of the Rocket Radiation Handbook, 1974) and Simmons (2000, ch. 1): brighter low down
    (afterburning), dimmest between 70 and 90 km, recovering above 100 km.
    """
    atm = us1976()
    h = np.array([0.0, 20e3, 50e3, 75e3, 85e3, 110e3, 150e3])
    f = plume_altitude_factor(atm.density(h))
    assert f[0] == pytest.approx(1.5, rel=0.01)
    assert f[-1] == pytest.approx(1.0, rel=0.01)
    trough = int(np.argmin(f))
    assert h[trough] in (75e3, 85e3)
    assert f[0] > f[2] > f[trough] < f[5]


def test_plume_band_shares_follow_the_exhaust_bands() -> None:
    """The 2.7 and 4.3 µm bands hold more of the exhaust's emission per micrometre than the
    3.5-4.1 µm window, and a solid propellant's particles raise the window's share.

    Reference: the band structure of exhaust spectra (Wolfe and Zissis 1985, figs. 2-52 to
    2-56): H₂O/CO₂ at 2.7 µm and CO₂ at 4.3 µm dominate; the window holds the continuum.
    """
    per_um = {
        band: plume_band_shares(1800.0, band, "liquid")[0] / (band[1] - band[0])
        for band in ((2.6, 2.9), (4.2, 4.5), (3.5, 4.1))
    }
    assert per_um[(2.6, 2.9)] > 3 * per_um[(3.5, 4.1)]
    assert per_um[(4.2, 4.5)] > 3 * per_um[(3.5, 4.1)]
    solid = plume_band_shares(1800.0, (3.5, 4.1), "solid")
    liquid = plume_band_shares(1800.0, (3.5, 4.1), "liquid")
    assert solid[0] > liquid[0] and solid[1] < liquid[1]
    # Default intensity: 2 % of a 1 MN, 2.5 km/s jet's power, a fraction in the band.
    i = plume_intensity_default(1e6, 2500.0, 0.02, 1800.0, (2.6, 2.9), "solid")
    share = plume_band_shares(1800.0, (2.6, 2.9), "solid")[0]
    assert i == pytest.approx(0.02 * 0.5 * 1e6 * 2500.0 * share / (4 * math.pi))


def test_exhaust_water_share_by_element_balance() -> None:
    """H₂O's share of the afterburnt exhaust's H₂O + CO₂, from each propellant's formula.

    Reference: stoichiometry worked by hand. UDMH/N₂O₄: (CH₃)₂N₂H₂ + 2 N₂O₄ → 2 CO₂ + 4 H₂O
    + 3 N₂, so 4/6. Kerosene CH₁.₉₅: 0.975 H₂O per CO₂, so 0.975/1.975. AP/HTPB/Al 68/14/18
    per 100 g: 0.5788 mol NH₄ClO₄ (117.49 g/mol) gives 2.315 mol H and 0.5788 mol Cl (to
    HCl); 14 g of (C₄H₆)ₙ (54.09 g/mol per C₄H₆) gives 1.035 mol C and 1.553 mol H; so
    H₂O = (3.868 - 0.579) / 2 = 1.645 mol against 1.035 mol CO₂. Tolerance 1e-3 (rounding
    of the hand figures).
    """
    assert water_fraction("udmh_n2o4") == pytest.approx(4.0 / 6.0, abs=1e-3)
    assert water_fraction("kerosene") == pytest.approx(0.975 / 1.975, abs=1e-3)
    assert water_fraction("solid") == pytest.approx(1.645 / (1.645 + 1.035), abs=1e-3)
    assert propellant_class("liquid") == "kerosene"
    with pytest.raises(ValueError, match="propellant"):
        propellant_class("hydrazine")


def test_propellant_sets_the_exhaust_spectrum() -> None:
    """A water-rich exhaust (UDMH/N₂O₄) is brighter in the H₂O bands and dimmer at 4.3 µm
    than kerosene; alumina gives the solid the strongest window continuum.

    Reference: the element balance above and the species of each band (module notes):
    the 1.87 and 6.3 µm bands are H₂O's, the 4.3 µm band CO₂'s, so their peaks scale with
    each species' share (2/3 against 0.494 for H₂O). Tolerance: 1e-3 on the ratios (the
    far wings of the neighbouring bands).
    """
    nu = np.array([5330.0, 2260.0, 2800.0])  # H₂O 1.87 µm, CO₂ 4.3 µm, the 3.6 µm window
    gas = {p: plume_spectral_emissivity(nu, p) for p in ("kerosene", "udmh_n2o4", "solid")}
    x_k, x_u = water_fraction("kerosene"), water_fraction("udmh_n2o4")
    assert gas["udmh_n2o4"][0][0] / gas["kerosene"][0][0] == pytest.approx(x_u / x_k, rel=1e-3)
    ratio_co2 = (1.0 - x_u) / (1.0 - x_k)
    assert gas["udmh_n2o4"][0][1] / gas["kerosene"][0][1] == pytest.approx(ratio_co2, rel=1e-3)
    window = {p: g[0][2] + g[1][2] for p, g in gas.items()}
    assert window["solid"] > 5 * window["kerosene"] > 5 * window["udmh_n2o4"]
    # The band's share follows: H₂O-rich exhaust puts more of itself at 2.7 µm.
    shares = {p: plume_band_shares(1800.0, (2.6, 2.9), p)[0] for p in gas}
    assert shares["udmh_n2o4"] > shares["kerosene"] > shares["solid"]
