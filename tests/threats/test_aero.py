"""Drag polar and thrust at altitude: the flight kernels against the closed forms.

References: the parabolic drag polar ``C_D = C_D0 + k C_L^2`` (Anderson, *Hypersonic and
High-Temperature Gas Dynamics*, 2006): ``(L/D)max = 1 / (2 sqrt(k C_D0))`` at
``C_L* = sqrt(C_D0 / k)``; the rocket thrust equation ``F = mdot v_e + (p_e - p_a) A_e``
(Sutton & Biblarz 2017, ch. 2): thrust falls linearly with ambient pressure from its
vacuum to its sea-level value.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.threats.helpers import coasting_batch, earth
from tracklayer.constants import G0_M_S2
from tracklayer.threats.aero import DragPolar
from tracklayer.threats.config import StageConfig
from tracklayer.threats.dynamics import FlightModel


def test_polar_identities() -> None:
    """L/D peaks at n = 1 with the stated value; the coefficients of the polar give it back."""
    polar = DragPolar(2.6, 13_000.0, np.deg2rad(10.0), np.deg2rad(20.0))
    n = np.linspace(0.05, polar.n_max, 400)
    ld = polar.lift_to_drag(n)
    assert n[np.argmax(ld)] == pytest.approx(1.0, abs=0.01)
    assert ld.max() == pytest.approx(2.6, rel=1e-4)
    k, cl_star = polar.coefficients(cd0=0.02)
    assert 1.0 / (2.0 * np.sqrt(k * 0.02)) == pytest.approx(2.6, rel=1e-12)
    cl = n * cl_star
    np.testing.assert_allclose(cl / (0.02 + k * cl**2), ld, rtol=1e-12)
    assert polar.alpha(polar.lift_ratio(0.1)) == pytest.approx(0.1)


def test_kernel_lift_and_drag_follow_the_polar() -> None:
    """At 40 km, level and horizontal at 4 km/s, the kernel's drag (along -v) and lift
    (along the vertical, less gravity) equal the polar's to 1e-9 for n from 0 to 2 and
    banks of 0 and 60 deg: a glider using a third of its lift pays the polar's drag."""
    em = earth(atmosphere=True)
    atm = em.atmosphere
    assert atm is not None
    polar = DragPolar(2.6, 13_000.0, np.deg2rad(10.0), np.deg2rad(20.0))
    n = np.array([0.0, 1.0 / 3.0, 1.0, 2.0, 1.0])
    bank = np.deg2rad([0.0, 0.0, 0.0, 0.0, 60.0])
    m = n.size
    model = FlightModel(
        em, replace(coasting_batch(m), beta=polar.beta_star + 0 * n, ld=2.6 + 0 * n)
    )
    r = np.stack((np.full(m, em.a_m + 40e3), np.zeros(m), np.zeros(m)))
    v = np.stack((np.zeros(m), np.full(m, 4000.0), np.zeros(m)))
    acc = model.accel(1.0, r, v, n * np.cos(bank), n * np.sin(bank))
    lift, drag = polar.accelerations(atm.density(40e3), 4000.0, n)
    g = em.mu / r[0] ** 2
    np.testing.assert_allclose(-acc[1], drag, rtol=1e-9)
    np.testing.assert_allclose(acc[0] + g, lift * np.cos(bank), rtol=1e-9, atol=1e-12)


def test_thrust_interpolated_with_ambient_pressure() -> None:
    """Lift-off thrust is the sea-level thrust (``mdot g0 Isp_sl``), vacuum thrust above the
    atmosphere, and at 10 km the interpolation ``F_vac - (F_vac - F_sl) p/p0`` (US76
    ``p/p0 = 0.2615`` at 10 km); tolerance 1e-9 relative."""
    stage = StageConfig(
        propellant_mass_kg=10_000, dry_mass_kg=1000, burn_time_s=50, isp_s=280, isp_sea_level_s=250
    )
    mdot = 200.0
    f_vac, f_sl = mdot * G0_M_S2 * 280, mdot * G0_M_S2 * 250
    assert stage.thrust_n == pytest.approx(f_vac) and stage.thrust_sea_level_n == pytest.approx(
        f_sl
    )
    em = earth(atmosphere=True)
    atm = em.atmosphere
    assert atm is not None
    heights = np.array([0.0, 10e3, 250e3])
    m = heights.size
    one = np.ones((1, m))
    batch = replace(
        coasting_batch(m, beta=1e12),
        stage_on=0 * one,
        stage_off=50 * one,
        thrust=f_vac * one,
        mdot=mdot * one,
        drop=1000 * one,
        thrust_loss=(f_vac - f_sl) * one,
        m0=np.full(m, 20_000.0),
        sep_time=np.full(m, 50.0),
        cda_boost=np.full(m, 1e-12),
    )
    model = FlightModel(em, batch)
    r = np.stack((em.a_m + heights, np.zeros(m), np.zeros(m)))
    acc = model.accel(0.0, r, np.zeros((3, m)), np.zeros(m), np.zeros(m))
    thrust = (acc[0] + em.mu / r[0] ** 2) * 20_000.0
    assert atm.pressure_ratio(10e3) == pytest.approx(0.2615, abs=2e-4)
    expected = f_vac - (f_vac - f_sl) * atm.pressure_ratio(heights)
    np.testing.assert_allclose(thrust, expected, rtol=1e-9)
    assert thrust[0] == pytest.approx(f_sl, rel=1e-9) and thrust[2] == pytest.approx(f_vac)
