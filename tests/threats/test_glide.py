"""Equilibrium glide against the analytic laws, and the corridor's damped phugoid.

References: Vinh, Busemann & Culp, *Hypersonic and Planetary Entry Flight Mechanics*
(1980), ch. 8, and Regan & Anandakrishnan, *Dynamics of Atmospheric Re-Entry* (1993),
sec. 9.3: for lift ``(L/D) rho V^2 / (2 beta)`` balancing ``g - V^2/r`` at small flight-path
angles, the speed decays as ``-dV/dt = (g - V^2/r) / (L/D)``, the range from ``v0`` to ``vf``
is ``(L/D)(r/2) ln[(g r - vf^2)/(g r - v0^2)]`` and the glide follows the density
``rho = 2 beta (g - V^2/r) / ((L/D) V^2)``. The gliders fly straight (aim nearly at the
antipode, no weave, no turn), so energy management never banks and they fly at the polar's
maximum L/D.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from tests.threats.helpers import coasting_batch, earth
from tracklayer.threats.dynamics import FlightModel
from tracklayer.threats.earth import EarthModel
from tracklayer.threats.glide import analytic_glide_range, equilibrium_glide_density
from tracklayer.threats.guidance import GLIDE, PULLUP, Guidance, GuidanceParams
from tracklayer.threats.integrate import SampleSpec, Trajectories, fly

LD = np.array([2.6, 2.6, 3.5])
BETA = np.array([13_000.0, 6_000.0, 13_000.0])
V0, VF = 5500.0, 2500.0
T_MAX = 2400


def _straight_params(em: EarthModel, n: int) -> GuidanceParams:
    return GuidanceParams(
        is_hgv=np.ones(n, bool),
        aim=em.ecef(np.zeros(n), np.full(n, np.pi * 0.999), np.zeros(n)),
        manoeuvre_range=np.zeros(n),
        terminal_range=np.full(n, 1.0),
        weave_amp=np.zeros(n),
        weave_period=np.ones(n),
        weave_phase=np.zeros(n),
        turn_limit=np.full(n, np.deg2rad(45.0)),
    )


def _fly_straight(em: EarthModel, h0: np.ndarray, phase: int) -> Trajectories:
    """Gliders level at heights ``h0`` on the equator heading east at V0, 1 s samples."""
    n = LD.size
    r0 = np.stack((em.a_m + h0, np.zeros(n), np.zeros(n)))
    v0 = np.stack((np.zeros(n), np.full(n, V0), np.zeros(n)))
    guid = Guidance(_straight_params(em, n))
    guid.phase[:] = phase
    samples = SampleSpec(
        np.zeros(n), 1.0, np.full(n, T_MAX, np.int64), np.zeros(n, np.int64), T_MAX
    )
    return fly(
        FlightModel(em, replace(coasting_batch(n), beta=BETA, ld=LD)),
        guid,
        r0,
        v0,
        samples,
        np.full(n, float(T_MAX)),
        h_max=1.0,
    )


def _equilibrium_height(em: EarthModel, speed: float) -> np.ndarray:
    atm = em.atmosphere
    assert atm is not None
    h0 = np.full(LD.size, 40_000.0)
    for _ in range(3):  # g(r) at the height found: converges to 1 m in three passes
        r = em.a_m + h0
        h0 = atm.altitude_for_density(equilibrium_glide_density(speed, LD, BETA, r, em.mu / r**2))
    return np.asarray(h0)


@lru_cache(maxsize=2)
def _glide(offset_m: float = 0.0):  # type: ignore[no-untyped-def]
    """Straight glides from ``offset_m`` above the equilibrium height at V0."""
    em = earth(atmosphere=True)
    h0 = _equilibrium_height(em, V0)
    traj = _fly_straight(em, h0 + offset_m, GLIDE if offset_m == 0.0 else PULLUP)
    pos = traj.pos.reshape(3, T_MAX, LD.size)
    vel = traj.vel.reshape(3, T_MAX, LD.size)
    return em, h0, pos, vel


def test_glide_range_matches_analytic() -> None:
    """Range from 5.5 to 2.5 km/s within 2.5 % of the analytic equilibrium-glide range
    (the issue's bound is 10 %).

    The closed form holds g and r fixed (here at the start of the glide) and neglects the
    flight-path angle; the simulation flies the full point-mass equations.
    """
    em, h0, pos, vel = _glide()
    speed = np.linalg.norm(vel, axis=0)  # (T, n)
    for i in range(LD.size):
        k = int(np.argmax(speed[:, i] < VF))
        assert k > 0
        p = pos[:, k, i]
        angle = np.arctan2(p[1], p[0])
        r = em.a_m + h0[i]
        expected = analytic_glide_range(V0, VF, LD[i], r, em.mu / r**2) / r
        assert abs(angle / expected - 1.0) < 0.025


def test_lift_to_drag_recovered_from_speed_decay() -> None:
    """``(g - V^2/r) / (-dV/dt)`` within 10 % of the polar's (L/D)max at every speed from
    5 to 3 km/s (the glide flies at the maximum-L/D angle of attack, not on partial lift)."""
    em, _, pos, vel = _glide()
    speed = np.linalg.norm(vel, axis=0)
    rn = np.linalg.norm(pos, axis=0)
    dv = np.gradient(speed, axis=0)  # 1 s samples: m/s^2
    g_net = em.mu / rn**2 - speed**2 / rn
    for i in range(LD.size):
        sel = (speed[:, i] < 5000.0) & (speed[:, i] > 3000.0)
        ld = g_net[sel, i] / -dv[sel, i]
        assert np.all(np.abs(ld / LD[i] - 1.0) < 0.10), (LD[i], ld.min(), ld.max())


def _height_error(offset_m: float) -> list[np.ndarray]:
    """Altitude above the equilibrium-glide altitude at each sample's speed and radius (m),
    per glider, until it slows below VF."""
    em, _, pos, vel = _glide(offset_m)
    atm = em.atmosphere
    assert atm is not None
    speed = np.linalg.norm(vel, axis=0)
    rn = np.linalg.norm(pos, axis=0)
    out = []
    for i in range(LD.size):
        end = int(np.argmax(speed[:, i] < VF))
        v, r = speed[:end, i], rn[:end, i]
        h_eq = atm.altitude_for_density(
            equilibrium_glide_density(v, LD[i], BETA[i], r, em.mu / r**2)
        )
        out.append(r - em.a_m - h_eq)
    return out


def test_glide_altitude_follows_equilibrium() -> None:
    """After the first 100 s, altitude within 100 m of the equilibrium-glide altitude."""
    for err in _height_error(0.0):
        assert np.max(np.abs(err[100:])) < 100.0


def test_phugoid_damped_after_pull_up() -> None:
    """Released 8 km above the corridor, the glider falls, pulls up and settles: from 300 s
    on its altitude stays within 100 m of the equilibrium-glide altitude, and it never
    undershoots the corridor by more than 500 m (the climb-rate loop is critically damped)."""
    for err in _height_error(8000.0):
        assert err.min() > -500.0
        assert np.max(np.abs(err[300:])) < 100.0
