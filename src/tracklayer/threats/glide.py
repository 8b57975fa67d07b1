"""Boost-glide vehicle guidance: pull-up, equilibrium-glide corridor, energy management,
S-turns with bank reversals, weave and terminal dive.

The glider's lift and drag follow its drag polar (:mod:`tracklayer.threats.aero`): guidance
commands the lift-coefficient ratio ``n = alpha / alpha*`` and the bank ``sigma``, lift
``(L/D)max n rho V^2 / (2 beta*)``, drag ``(1 + n^2) / 2 rho V^2 / (2 beta*)``.

* **Corridor.** The glide tracks the equilibrium-glide density
  ``rho_eq = 2 beta* (g - V^2/r) / ((L/D)max V^2)`` (:func:`equilibrium_glide_density`,
  Vinh, Busemann & Culp 1980 ch. 8), divided by ``n_ref cos(sigma_ref)`` when energy
  management asks for a lower along-track L/D, and kept below 0.85 of the densities at
  which the dynamic pressure ``rho V^2 / 2`` and the Sutton-Graves stagnation heat flux
  ``k sqrt(rho / R_n) V^3`` (Sutton & Graves, NASA TR R-376, 1971) reach their stated
  limits. The altitude error ``H ln(rho / rho_ref)`` (``H`` the local scale height) feeds a
  climb-rate loop: ``hdot_cmd = hdot_eq + k_h dh`` (bounded by ``hdot_max``), vertical
  lift ``(g - V^2/r) cos(gamma) + k_hdot (hdot_cmd - hdot)``. The closed loop is
  ``hddot + k_hdot hdot + k_hdot k_h h = 0`` (period about 2.5 min, critically damped with
  the default gains), which damps the phugoid that a lift-balanced glide leaves lightly
  damped (Vinh et al. 1980 ch. 7). Lift beyond ``n_max`` is not available; a glider that
  cannot hold the corridor (a release far above it, or limits it cannot respect) logs a
  ``heating_limit`` or ``pressure_limit`` event when it exceeds them.
* **Pull-up.** From release, the same law (lift saturates at ``n_max`` while the glider
  falls toward the corridor), turning toward the aim only with the lift the vertical
  leaves; it ends once the density reaches 0.6 of the corridor's (within about 3.5 km of
  it) with the flight path level (above :data:`LEVEL_RAD`, or descending no faster than
  the equilibrium glide). Climb rates are the altitude's over the ellipsoid (the geocentric
  radius rate less that of the surface beneath, which reaches 20 m/s on a hypersonic
  north-south glide).
* **Energy management.** The range the glide would fly at ``(L/D)max`` from the current
  speed down to the planned terminal speed ``v_T``,
  ``(L/D)max (r/2) ln[(g r - v_T^2)/(g r - V^2)]`` (:func:`analytic_glide_range`), is
  compared with the ground range to the start of the dive; their ratio ``f < 1`` is the
  along-track L/D fraction to fly: first by banking (``cos sigma = f``, down to the bank
  limit), then on the polar's high-alpha branch (``2n/(1+n^2)``). The prediction is
  re-made every step, so the loop absorbs rotation, J2 and the turns (as shuttle entry
  guidance does with its range-to-go: Harpold & Graves, *Shuttle entry guidance*, J.
  Astronaut. Sci. 27, 1979).
* **Cross-range.** Banking for energy is flown as S-turns: the bank's side reverses each
  time the heading error to the aim leaves a deadband that narrows from ``deadband_max``
  to ``deadband_min`` over the last ``deadband_range`` (Harpold & Graves 1979). Without
  an energy bank (below ``s_turn_min_bank``) the lateral lift turns the heading toward
  the aim at a rate ``k_psi * heading error``, within the bank limit.
* **Manoeuvre.** Inside ``manoeuvre_range`` a sinusoidal weave is added to the commanded
  heading (energy managed by the polar alone).
* **Terminal.** Inside ``terminal_range``, once the aim lies ``dive_angle`` below the
  horizon (a glider high above its aim needs room to push over; less above
  ``dive_speed``, as ``(dive_speed / V)^2``), or below the minimum
  glide speed, the flight path and heading are steered onto the line of sight to the aim
  point with a gain ``max(k_dive, 3 V / R)`` (its time constant under a third of the time
  to go), the polar's maximum lift shared between the two planes.

Turning takes lift from the vertical, so manoeuvres cost altitude and range, as they do.
The laws run per vehicle inside the compiled flight loop
(:func:`tracklayer.threats._flight_kernels._glide_controls`). Validity: hypersonic glide
(Mach 5 to 25, 20 to 80 km), small flight-path angles outside the pull-up and the dive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: A glider is level enough to end its pull-up above this flight-path angle, rad.
LEVEL_RAD = float(np.deg2rad(-0.25))


@dataclass(frozen=True)
class GlideGains:
    """Guidance gains and thresholds (SI: 1/s, m/s, rad, m).

    ``k_h`` and ``k_hdot``: corridor altitude and climb-rate loops; ``hdot_max``: largest
    commanded climb or descent rate; ``deadband_*``: the S-turns' heading deadband, from
    ``deadband_max`` at ``deadband_range`` or more before the dive to ``deadband_min`` at
    it; ``s_turn_min_bank``: smallest energy bank flown as S-turns; ``dive_angle``: the
    dive starts once the aim lies this far below the horizon, scaled down by
    ``(dive_speed / V)^2`` above ``dive_speed`` (the push-over's turn radius grows with
    ``V^2``); ``k_dive``: dive
    flight-path gain; ``k_psi``: heading-capture gain.
    """

    k_h: float = 1.0 / 50.0
    k_hdot: float = 1.0 / 12.5
    hdot_max: float = 150.0
    deadband_max: float = float(np.deg2rad(15.0))
    deadband_min: float = float(np.deg2rad(3.0))
    deadband_range: float = 1_500_000.0
    s_turn_min_bank: float = float(np.deg2rad(10.0))
    dive_angle: float = float(np.deg2rad(20.0))
    dive_speed: float = 2500.0
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
