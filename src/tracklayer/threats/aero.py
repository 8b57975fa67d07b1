"""A glider's aerodynamics by angle of attack: the parabolic drag polar.

``C_D = C_D0 + k C_L^2`` with a linear lift curve ``C_L = C_L_alpha alpha`` (Anderson,
*Hypersonic and High-Temperature Gas Dynamics*, 2nd ed., 2006; Vinh, Busemann
& Culp, *Hypersonic and Planetary Entry Flight Mechanics*, 1980). The polar's
maximum lift-to-drag ratio ``(L/D)max = 1 / (2 sqrt(k C_D0))`` is reached at
``C_L* = sqrt(C_D0 / k)``, where ``C_D* = 2 C_D0``; the scenario states ``(L/D)max``, the
ballistic coefficient there ``beta* = m / (C_D* S)`` and the angles of attack of maximum
L/D and of maximum lift. In the lift-coefficient ratio ``n = C_L / C_L* = alpha / alpha*``
every quantity is one of these numbers and ``n``:

* lift acceleration ``L/m = (L/D)max n rho V^2 / (2 beta*)``,
* drag acceleration ``D/m = (1 + n^2) / 2 rho V^2 / (2 beta*)``,
* ``L/D = (L/D)max 2n / (1 + n^2)``,

so that lift and drag both follow the commanded angle of attack, and a glider flying less
lift than its polar's optimum also pays less drag. Validity: hypersonic continuum flow
(Mach above about 5, below about 70 km), where the coefficients depend little on Mach
(Mach-number independence, Anderson 2006); the flight kernels use the same relations
(:mod:`tracklayer.threats._flight_kernels`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class DragPolar:
    """Parabolic drag polar of a glider in the scenario's terms (SI, angles in rad).

    Attributes
    ----------
    max_lift_to_drag
        ``(L/D)max``.
    beta_star
        Ballistic coefficient at maximum L/D, ``m / (C_D* S)``, kg/m^2.
    alpha_star
        Angle of attack of maximum L/D, rad.
    alpha_max
        Largest angle of attack flown, rad (``>= alpha_star``).
    """

    max_lift_to_drag: float
    beta_star: float
    alpha_star: float
    alpha_max: float

    @property
    def n_max(self) -> float:
        """Largest lift-coefficient ratio ``C_L,max / C_L*``."""
        return self.alpha_max / self.alpha_star

    def lift_ratio(self, alpha: ArrayLike) -> F64:
        """Lift-coefficient ratio ``n = C_L / C_L*`` at angles of attack ``alpha`` (rad)."""
        return np.asarray(alpha, dtype=np.float64) / self.alpha_star

    def alpha(self, n: ArrayLike) -> F64:
        """Angle of attack (rad) of lift-coefficient ratios ``n``."""
        return np.asarray(n, dtype=np.float64) * self.alpha_star

    @staticmethod
    def drag_factor(n: ArrayLike) -> F64:
        """``C_D / C_D* = (1 + n^2) / 2``."""
        n = np.asarray(n, dtype=np.float64)
        return np.asarray(0.5 * (1.0 + n * n))

    def lift_to_drag(self, n: ArrayLike) -> F64:
        """``L/D = (L/D)max 2n / (1 + n^2)``."""
        n = np.asarray(n, dtype=np.float64)
        return np.asarray(self.max_lift_to_drag * 2.0 * n / (1.0 + n * n))

    def coefficients(self, cd0: float) -> tuple[float, float]:
        """``(k, C_L*)`` of the polar for a zero-lift drag coefficient ``cd0``."""
        k = 1.0 / (4.0 * cd0 * self.max_lift_to_drag**2)
        return k, float(np.sqrt(cd0 / k))

    def accelerations(self, rho: ArrayLike, speed: ArrayLike, n: ArrayLike) -> tuple[F64, F64]:
        """Lift and drag accelerations (m/s^2) at density ``rho`` (kg/m^3), speed (m/s)."""
        q_beta = np.asarray(rho) * np.asarray(speed) ** 2 / (2.0 * self.beta_star)
        n = np.asarray(n, dtype=np.float64)
        return (
            np.asarray(self.max_lift_to_drag * n * q_beta),
            np.asarray(self.drag_factor(n) * q_beta),
        )
