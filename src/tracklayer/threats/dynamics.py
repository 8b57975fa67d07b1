"""Batched point-mass (3-DOF) equations of motion for N vehicles in the ECEF frame.

Every vehicle flies the same launch-relative clock ``t`` (seconds since its own launch),
so the staged boost of all vehicles is one schedule of arrays ``(S, N)``. Accelerations
(``(3, N)``, m/s^2, ECEF) are

    a = g(r) + a_frame(r, v) + (F/m) d + a_drag + a_lift,

with the thrust along the steering direction ``d`` (vertical rise, pitch-over kick, then a
gravity turn along the Earth-relative velocity, optionally pitched by ``alpha`` in the last
stage), drag ``-rho V v / (2 beta)`` and lift. The thrust at ambient pressure ``p`` is
``F = F_vac - (F_vac - F_sl) p / p0`` (the nozzle exit area's pressure thrust ``-p A_e``
of the rocket thrust equation: Sutton & Biblarz, *Rocket Propulsion Elements*, 9th ed.,
2017, ch. 2), which interpolates the
specific impulse between its sea-level and vacuum values. A glider's lift and drag follow
its drag polar (:mod:`tracklayer.threats.aero`): with the lift-coefficient ratio
``n = C_L / C_L*`` and bank ``sigma`` set by the controls ``(cs, ss) = n (cos sigma,
sin sigma)``, lift ``(L/D)max n rho V^2 / (2 beta)`` and drag ``(1 + n^2)/2 rho V^2 /
(2 beta)``, ``beta = m / (C_D* S)`` at the polar's maximum L/D. After separation ``beta``
and ``L/D`` are those of the payload (re-entry vehicle or glider); during boost the
stack's ``beta = m / (Cd A)`` and no lift. Winds are zero, so the Earth-relative velocity is the
air-relative one. The mass is the launch mass less the propellant burnt so far (mass flow
times the time each stage has burnt) and the stages dropped at their burnouts.

The equations are evaluated per vehicle by compiled kernels
(:mod:`tracklayer.threats._flight_kernels`): inside the integrator's loop, and through
:meth:`FlightModel.accel` for reference integrators and checks.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from tracklayer.threats import _flight_kernels as K
from tracklayer.threats.earth import EarthModel

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class VehicleBatch:
    """Per-vehicle parameters of N vehicles, SI, launch-relative times.

    Attributes
    ----------
    stage_on, stage_off : (S, N)
        Ignition and burnout (or cut-off) times of each stage, s; unused stages have
        ``stage_on = stage_off = 0`` and zero thrust.
    thrust, mdot, drop : (S, N)
        Vacuum thrust (N), propellant mass flow (kg/s), and the mass dropped at burnout
        (dry mass plus any propellant left by a cut-off), kg.
    thrust_loss : (S, N)
        Thrust lost at sea-level pressure, ``F_vac - F_sl`` (N).
    m0 : (N,)
        Launch mass, kg.
    sep_time : (N,)
        Separation of the payload (last stage's ``stage_off``), s.
    cda_boost : (N,)
        Booster drag area ``Cd A``, m^2.
    beta, ld : (N,)
        Payload ballistic coefficient (kg/m^2) and lift-to-drag ratio (0 for a re-entry
        vehicle).
    t_vertical, t_kick_end : (N,)
        End of the vertical rise and of the pitch-over kick, s.
    kick_dir : (3, N)
        Fixed ECEF thrust direction during the kick.
    alpha : (N,)
        Thrust pitch-up from the velocity during the last stage, rad.
    last_on : (N,)
        Ignition time of the last stage, s.
    """

    stage_on: F64
    stage_off: F64
    thrust: F64
    mdot: F64
    drop: F64
    thrust_loss: F64
    m0: F64
    sep_time: F64
    cda_boost: F64
    beta: F64
    ld: F64
    t_vertical: F64
    t_kick_end: F64
    kick_dir: F64
    alpha: F64
    last_on: F64

    @property
    def n(self) -> int:
        return int(self.m0.shape[0])

    def take(self, idx: NDArray[np.intp]) -> VehicleBatch:
        """The sub-batch of vehicles ``idx`` (last axis of every array)."""
        return VehicleBatch(**{f.name: getattr(self, f.name)[..., idx] for f in fields(self)})

    @staticmethod
    def concat(batches: list[VehicleBatch]) -> VehicleBatch:
        """Join batches along the vehicle axis, padding stage arrays to the most stages."""
        s_max = max(b.stage_on.shape[0] for b in batches)
        out: dict[str, F64] = {}
        for f in fields(VehicleBatch):
            parts = []
            for b in batches:
                x = getattr(b, f.name)
                if f.name.startswith(("stage_", "thrust", "mdot", "drop")) and x.shape[0] < s_max:
                    x = np.concatenate([x, np.zeros((s_max - x.shape[0], x.shape[1]))])
                parts.append(x)
            out[f.name] = np.concatenate(parts, axis=-1)
        return VehicleBatch(**out)

    def breakpoints(self) -> F64:
        """Sorted distinct times of the thrust and steering discontinuities, s."""
        t = np.concatenate(
            (self.stage_off.ravel(), self.stage_on.ravel(), self.t_vertical, self.t_kick_end)
        )
        return np.unique(t[t > 0])


@dataclass(frozen=True)
class FlightModel:
    """The equations of motion of a batch over one Earth model."""

    earth: EarthModel
    vehicles: VehicleBatch

    @property
    def boost_end(self) -> float:
        """Latest separation time in the batch, s (no thrust anywhere after it)."""
        return float(self.vehicles.sep_time.max(initial=0.0))

    def take(self, idx: NDArray[np.intp]) -> FlightModel:
        return FlightModel(self.earth, self.vehicles.take(idx))

    @cached_property
    def kernel_arrays(self) -> tuple[F64, F64, F64, F64, F64]:
        """The model as the compiled kernels' arrays ``(earth, log_rho, log_p, stages, veh)``.

        Layouts are those of :mod:`tracklayer.threats._flight_kernels` (C-contiguous
        float64, so that every call reuses one compiled signature); built once.
        """
        veh = self.vehicles
        rows = np.empty((K.V_SIZE, veh.n))
        rows[K.V_M0] = veh.m0
        rows[K.V_SEP] = veh.sep_time
        rows[K.V_CDA] = veh.cda_boost
        rows[K.V_BETA] = veh.beta
        rows[K.V_LD] = veh.ld
        rows[K.V_T_VERTICAL] = veh.t_vertical
        rows[K.V_T_KICK_END] = veh.t_kick_end
        rows[K.V_ALPHA] = veh.alpha
        rows[K.V_LAST_ON] = veh.last_on
        rows[K.V_KICK_X : K.V_KICK_Z + 1] = veh.kick_dir
        stages = np.ascontiguousarray(
            np.stack(
                (veh.stage_on, veh.stage_off, veh.thrust, veh.mdot, veh.drop, veh.thrust_loss)
            ),
            dtype=np.float64,
        )
        earth_p, log_rho = self.earth.kernel_arrays()
        atm = self.earth.atmosphere
        log_p = np.zeros(2) if atm is None else np.ascontiguousarray(atm.log_pressure_ratio)
        return earth_p, log_rho, log_p, stages, rows

    def accel(self, t: float, r: F64, v: F64, cs: F64, ss: F64, t_ref: float | None = None) -> F64:
        """Acceleration ``(3, N)`` at launch-relative time ``t``, ECEF position/velocity.

        ``cs``, ``ss`` ``(N,)`` are the lift's components along the in-plane "up" normal and
        the right-hand normal to the velocity, as lift-coefficient ratios
        (``n cos sigma``, ``n sin sigma`` for bank ``sigma``; their norm ``n`` is 1 at the
        polar's maximum L/D).
        ``t_ref`` (default ``t``) decides which stage burns and the steering mode: the
        integrator passes the middle of its step, whose ends fall on discontinuities.
        The integrator itself runs the same compiled equations
        (:func:`tracklayer.threats._flight_kernels.accel_batch`) inside its loop.
        """
        earth_p, log_rho, log_p, stages, rows = self.kernel_arrays
        out = np.empty((3, self.vehicles.n))
        K.accel_batch(
            earth_p,
            log_rho,
            log_p,
            stages,
            rows,
            float(t),
            float(t if t_ref is None else t_ref),
            np.ascontiguousarray(r, dtype=np.float64),
            np.ascontiguousarray(v, dtype=np.float64),
            np.ascontiguousarray(np.broadcast_to(cs, (self.vehicles.n,)), dtype=np.float64),
            np.ascontiguousarray(np.broadcast_to(ss, (self.vehicles.n,)), dtype=np.float64),
            out,
        )
        return out
