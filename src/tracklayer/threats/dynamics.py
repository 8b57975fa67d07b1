"""Batched point-mass (3-DOF) equations of motion for N vehicles in the ECEF frame.

Every vehicle flies the same launch-relative clock ``t`` (seconds since its own launch),
so the staged boost of all vehicles is one schedule of arrays ``(S, N)``. Accelerations
(``(3, N)``, m/s^2, ECEF) are

    a = g(r) + a_frame(r, v) + (F/m) d + a_drag + a_lift,

with the thrust along the steering direction ``d`` (vertical rise, pitch-over kick, then a
gravity turn along the Earth-relative velocity, optionally pitched by ``alpha`` in the last
stage), drag ``-rho V v / (2 beta)`` and lift ``(L/D) rho V^2 / (2 beta)`` in the direction
set by the bank controls ``(cos sigma, sin sigma)``. After separation ``beta`` and ``L/D``
are those of the payload (re-entry vehicle or glider); during boost the stack's
``beta = m / (Cd A)`` and no lift. Winds are zero, so the Earth-relative velocity is the
air-relative one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

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
        Thrust (N), propellant mass flow (kg/s), and the mass dropped at burnout (dry mass
        plus any propellant left by a cut-off), kg.
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

    def mass(self, t: float, t_ref: float | None = None) -> F64:
        """Mass at launch-relative time ``t``, kg, ``(N,)``.

        Stages count as dropped when ``t_ref`` (default ``t``) is past their burnout: the
        integrator passes the middle of its step so that a step ending exactly at a
        staging time still sees the stage it burnt.
        """
        t_ref = t if t_ref is None else t_ref
        burned = self.mdot * np.clip(t - self.stage_on, 0.0, self.stage_off - self.stage_on)
        dropped = np.where(t_ref >= self.stage_off, self.drop, 0.0)
        return self.m0 - (burned + dropped).sum(axis=0)

    def thrust_at(self, t: float) -> F64:
        """Thrust at ``t``, N, ``(N,)``."""
        on = (t >= self.stage_on) & (t < self.stage_off)
        return np.where(on, self.thrust, 0.0).sum(axis=0)

    def breakpoints(self) -> F64:
        """Sorted distinct times of the thrust and steering discontinuities, s."""
        t = np.concatenate(
            (self.stage_off.ravel(), self.stage_on.ravel(), self.t_vertical, self.t_kick_end)
        )
        return np.unique(t[t > 0])

    def stage_index(self, t: F64) -> NDArray[np.int8]:
        """Burning stage (0-based) at launch-relative times ``t`` ``(N, ...)``; -1 if none."""
        out = np.full(np.shape(t), -1, dtype=np.int8)
        for s in range(self.stage_on.shape[0]):
            on_s = self.stage_on[s].reshape((-1,) + (1,) * (np.ndim(t) - 1))
            off_s = self.stage_off[s].reshape(on_s.shape)
            out[(t >= on_s) & (t < off_s)] = s
        return out


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

    def density(self, r: F64, rn: F64) -> F64:
        atm = self.earth.atmosphere
        if atm is None:
            return np.zeros_like(rn)
        return atm.density(self.earth.altitude_fast(r, rn))

    def accel(self, t: float, r: F64, v: F64, cs: F64, ss: F64, t_ref: float | None = None) -> F64:
        """Acceleration ``(3, N)`` at launch-relative time ``t``, ECEF position/velocity.

        ``cs``, ``ss`` are the lift direction's components along the in-plane "up" normal
        and the right-hand normal to the velocity (``cos sigma``, ``sin sigma`` for bank
        ``sigma``; their norm may be below 1 where guidance asks for less lift).
        ``t_ref`` (default ``t``) decides which stage burns and the steering mode: the
        integrator passes the middle of its step, whose ends fall on discontinuities.
        """
        t_ref = t if t_ref is None else t_ref
        veh = self.vehicles
        rn = np.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2])
        a = self.earth.gravity(r, rn)
        if self.earth.omega != 0.0:
            a += self.earth.frame_acceleration(r, v)
        speed = np.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
        inv_v = 1.0 / np.maximum(speed, 1e-9)
        vh = v * inv_v
        rh = r * (1.0 / rn)
        boosting = t_ref < self.boost_end
        if boosting:
            m = veh.mass(t, t_ref)
            a += self._thrust_accel(t_ref, m, rh, vh, speed)
            beta = np.where(t_ref < veh.sep_time, m / veh.cda_boost, veh.beta)
            ld = np.where(t_ref < veh.sep_time, 0.0, veh.ld)
        else:
            beta, ld = veh.beta, veh.ld
        if self.earth.atmosphere is None:
            return a
        rho = self.density(r, rn)
        q = rho * speed * speed / (2.0 * beta)
        a -= q * vh
        if np.any(ld > 0.0):
            up_perp, right = _lift_axes(rh, vh)
            lift = ld * q
            a += lift * (cs * up_perp + ss * right)
        return a

    def _thrust_accel(self, t: float, m: F64, rh: F64, vh: F64, speed: F64) -> F64:
        veh = self.vehicles
        f_over_m = veh.thrust_at(t) / m
        direction = vh
        if np.any(veh.alpha != 0.0):
            up_perp, _ = _lift_axes(rh, vh)
            ca, sa = np.cos(veh.alpha), np.sin(veh.alpha)
            pitched = ca * vh + sa * up_perp
            direction = np.where(t >= veh.last_on, pitched, vh)
        # Until the kick ends, or while the velocity is too small to steer along.
        direction = np.where(t < veh.t_kick_end, veh.kick_dir, direction)
        direction = np.where((t < veh.t_vertical) | (speed < 1.0), rh, direction)
        return f_over_m * direction

    def stiffness(self, r: F64, v: F64, t: float) -> float:
        """Largest drag eigenvalue ``rho V / beta`` (1/s) over the batch, for step control."""
        if self.earth.atmosphere is None or r.shape[1] == 0:
            return 0.0
        rn = np.sqrt((r * r).sum(axis=0))
        speed = np.sqrt((v * v).sum(axis=0))
        veh = self.vehicles
        beta = veh.beta
        if t < self.boost_end:
            beta = np.where(t < veh.sep_time, veh.mass(t) / veh.cda_boost, veh.beta)
        return float(np.max(self.density(r, rn) * speed / beta))


def _lift_axes(rh: F64, vh: F64) -> tuple[F64, F64]:
    """Unit "up" normal to the velocity in the vertical plane, and the right-hand normal.

    ``up_perp = unit(r_hat - (r_hat . v_hat) v_hat)``; ``right = unit(v_hat x r_hat)``
    (to the right of the track seen from above, so a positive bank turns right).
    """
    c = (rh * vh).sum(axis=0)
    up = rh - c * vh
    right = np.stack(
        (
            vh[1] * rh[2] - vh[2] * rh[1],
            vh[2] * rh[0] - vh[0] * rh[2],
            vh[0] * rh[1] - vh[1] * rh[0],
        )
    )
    inv = 1.0 / np.sqrt(np.maximum(1.0 - c * c, 1e-18))
    return up * inv, right * inv
