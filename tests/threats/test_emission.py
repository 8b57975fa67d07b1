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
