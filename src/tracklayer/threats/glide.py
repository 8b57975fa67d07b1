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
The pull-up ends once the flight path is above :data:`LEVEL_RAD` and the available lift
reaches 0.9 of ``(g - V^2/r) cos(gamma)``; the weave starts inside ``manoeuvre_range`` and
the dive inside ``terminal_range`` of the aim point (or below the minimum glide speed).
The laws run per vehicle inside the compiled flight loop
(:func:`tracklayer.threats._flight_kernels._glide_controls`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: A glider is level enough to end its pull-up above this flight-path angle, rad.
LEVEL_RAD = float(np.deg2rad(-0.25))


@dataclass(frozen=True)
class GlideGains:
    """Guidance gains (1/s): flight-path hold in glide and in the dive, heading capture."""

    k_gamma: float = 1.0 / 20.0
    k_dive: float = 1.0 / 4.0
    k_psi: float = 1.0 / 30.0


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
