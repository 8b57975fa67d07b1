"""Boost-glide vehicle: pull-up, equilibrium glide, bank manoeuvres and terminal dive.

The glider's lift and drag come from its lift-to-drag ratio ``L/D`` and ballistic
coefficient ``beta = m / (Cd A)``: drag acceleration ``D/m = rho V^2 / (2 beta)``, lift
acceleration ``(L/D) D/m``. Guidance only orients (and, in the dive, reduces) the lift:

* pull-up: full lift up until the flight path is level and lift can carry the weight;
* glide: vertical lift ``(g - V^2/r) cos(gamma) - K_gamma V gamma`` (equilibrium glide,
  flight path held level), lateral lift turning the heading toward the aim point at a
  rate ``K_psi * heading error`` within a bank limit (the cross-range turn);
* manoeuvre: the same with a sinusoidal weave added to the commanded heading;
* terminal: the flight path steered onto the line of sight to the aim point.

Turning takes lift from the vertical, so manoeuvres cost altitude and range, as they do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tracklayer.threats.dynamics import F64
from tracklayer.threats.earth import EarthModel

_PULLUP, _GLIDE, _MANOEUVRE, _TERMINAL = 3, 4, 5, 6
#: A glider is level enough to end its pull-up above this flight-path angle, rad.
_LEVEL_RAD = np.deg2rad(-0.25)


@dataclass(frozen=True)
class GlideGains:
    """Guidance gains (1/s): flight-path hold in glide and in the dive, heading capture."""

    k_gamma: float = 1.0 / 20.0
    k_dive: float = 1.0 / 4.0
    k_psi: float = 1.0 / 30.0


@dataclass(frozen=True)
class GlideControls:
    """New phase codes and lift-direction controls ``cs``, ``ss`` of gliding vehicles."""

    phase: NDArray[np.int8]
    cs: F64
    ss: F64


def glide_controls(
    t: float,
    r: F64,
    v: F64,
    phase: NDArray[np.int8],
    earth: EarthModel,
    *,
    lift_to_drag: F64,
    beta: F64,
    aim: F64,
    manoeuvre_range: F64,
    terminal_range: F64,
    weave_amp: F64,
    weave_period: F64,
    weave_phase: F64,
    weave_t0: F64,
    turn_limit: F64,
    gains: GlideGains,
    min_speed: float,
) -> GlideControls:
    """Phase changes and bank commands of gliders at ECEF ``r``, ``v`` ``(3, M)``.

    ``lift_to_drag`` and ``beta`` (kg/m^2) are the gliders'; ``aim`` is ``(3, M)`` ECEF;
    ranges in m; angles in rad (see :class:`tracklayer.threats.guidance.GuidanceParams`).
    """
    rn = np.sqrt((r * r).sum(axis=0))
    rh = r / rn
    speed = np.sqrt((v * v).sum(axis=0))
    vh = v / np.maximum(speed, 1e-9)
    sin_g = np.clip((rh * vh).sum(axis=0), -1.0, 1.0)
    gamma = np.arcsin(sin_g)
    cos_g = np.sqrt(1.0 - sin_g * sin_g)
    atm = earth.atmosphere
    rho = atm.density(earth.altitude_fast(r, rn)) if atm is not None else np.zeros_like(rn)
    a_lift = lift_to_drag * rho * speed * speed / (2.0 * beta)
    n_req = (earth.mu / (rn * rn) - speed * speed / rn) * cos_g

    # Local east/north (geocentric) for headings.
    rxy = np.maximum(np.hypot(rh[0], rh[1]), 1e-12)
    east = np.stack((-rh[1] / rxy, rh[0] / rxy, np.zeros_like(rxy)))
    north = np.stack(
        (
            rh[1] * east[2] - rh[2] * east[1],
            rh[2] * east[0] - rh[0] * east[2],
            rh[0] * east[1] - rh[1] * east[0],
        )
    )
    aim_n = np.sqrt((aim * aim).sum(axis=0))
    ah = aim / aim_n
    cross = np.stack(
        (
            rh[1] * ah[2] - rh[2] * ah[1],
            rh[2] * ah[0] - rh[0] * ah[2],
            rh[0] * ah[1] - rh[1] * ah[0],
        )
    )
    ground_range = np.arctan2(np.sqrt((cross * cross).sum(axis=0)), (rh * ah).sum(axis=0)) * aim_n
    psi_aim = np.arctan2((ah * east).sum(axis=0), (ah * north).sum(axis=0))
    psi_v = np.arctan2((v * east).sum(axis=0), (v * north).sum(axis=0))

    new = phase.copy()
    level = (phase == _PULLUP) & (gamma >= _LEVEL_RAD) & (a_lift >= 0.9 * n_req)
    new[level] = _GLIDE
    weave = (new == _GLIDE) & (ground_range <= manoeuvre_range) & (weave_amp > 0)
    new[weave] = _MANOEUVRE
    dive = (new >= _PULLUP) & ((ground_range <= terminal_range) | (speed < min_speed))
    new[dive] = _TERMINAL

    t0 = np.where(weave, t, weave_t0)
    psi_cmd = psi_aim + np.where(
        new == _MANOEUVRE,
        weave_amp * np.sin(2.0 * np.pi * (t - t0) / weave_period + weave_phase),
        0.0,
    )
    dpsi = (psi_cmd - psi_v + np.pi) % (2.0 * np.pi) - np.pi

    terminal = new == _TERMINAL
    los = aim - r
    los_n = np.sqrt((los * los).sum(axis=0))
    gamma_los = np.arcsin(np.clip((los * rh).sum(axis=0) / los_n, -1.0, 1.0))
    gamma_cmd = np.where(terminal, gamma_los, 0.0)
    k_gamma = np.where(terminal, gains.k_dive, gains.k_gamma)
    a_v_des = n_req + k_gamma * speed * (gamma_cmd - gamma)
    a_h_des = gains.k_psi * speed * cos_g * dpsi

    lim = np.where(terminal, 1.0, np.sin(turn_limit)) * a_lift
    a_h = np.clip(a_h_des, -lim, lim)
    a_v_max = np.sqrt(np.maximum(a_lift * a_lift - a_h * a_h, 0.0))
    a_v = np.clip(a_v_des, -a_v_max, a_v_max)
    pull = new == _PULLUP
    a_v = np.where(pull, a_lift, a_v)
    a_h = np.where(pull, 0.0, a_h)
    inv = 1.0 / np.maximum(a_lift, 1e-30)
    cs = np.where(a_lift > 0, a_v * inv, 1.0)
    ss = np.where(a_lift > 0, a_h * inv, 0.0)
    return GlideControls(new, cs, ss)


def analytic_glide_range(
    v0: ArrayLike, vf: ArrayLike, lift_to_drag: ArrayLike, r: float, g: float
) -> NDArray[np.float64]:
    """Equilibrium-glide ground range from speed ``v0`` to ``vf`` (m/s), m.

    ``R = (L/D) (r/2) ln[(g r - vf^2) / (g r - v0^2)]`` for constant ``g`` and ``r`` and a
    small flight-path angle (Vinh, Busemann & Culp, *Hypersonic and Planetary Entry
    Flight Mechanics*, 1980, ch. 8; Regan & Anandakrishnan, *Dynamics of Atmospheric
    Re-Entry*, 1993).
    """
    v0, vf, ld = (np.asarray(x, dtype=np.float64) for x in (v0, vf, lift_to_drag))
    return np.asarray(ld * r / 2.0 * np.log((g * r - vf**2) / (g * r - v0**2)))


def equilibrium_glide_density(
    speed: ArrayLike, lift_to_drag: ArrayLike, beta: ArrayLike, r: float, g: float
) -> NDArray[np.float64]:
    """Air density (kg/m^3) at which lift balances weight less centrifugal relief.

    From ``(L/D) rho V^2 / (2 beta) = g - V^2 / r``: ``rho = 2 beta (g - V^2/r) / ((L/D) V^2)``
    (same references as :func:`analytic_glide_range`).
    """
    v, ld, beta = (np.asarray(x, dtype=np.float64) for x in (speed, lift_to_drag, beta))
    return np.asarray(2.0 * beta * (g - v * v / r) / (ld * v * v))
