"""Fixed-step RK4 over N vehicles at once, with step control, sampling and impact events.

All vehicles share one launch-relative clock. The step is ``h_boost`` while any vehicle
is boosting (staging is a thrust discontinuity RK4 only resolves to ``O(h)``), then
``h_max``; wherever drag is stiff (``h rho V / beta`` above ``stiff_limit``) the step of the
whole batch shrinks to keep RK4 well inside its stability region. Outputs are sampled at
arbitrary per-vehicle times by cubic Hermite interpolation inside each step (position
from position and velocity, velocity from velocity and acceleration), so the sampling
cadence is independent of the step. Impact is the first step ending below the surface
while descending; its time and point are interpolated within that step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from tracklayer.threats.dynamics import F64, FlightModel
from tracklayer.threats.guidance import DONE, Event


@dataclass(frozen=True)
class SampleSpec:
    """Per-vehicle sample times ``tau0 + k * step``, ``k < count`` (launch-relative, s).

    Sample ``k`` of vehicle ``i`` is stored at row ``j0[i] + k`` of a time-major grid of
    ``n_rows`` rows by N vehicles (``j0`` the grid index of the vehicle's first sample),
    so that the samples of one step land side by side in memory and the flattened
    arrays come out sorted by time, then vehicle.
    """

    tau0: F64
    step: float
    count: NDArray[np.int64]
    j0: NDArray[np.int64]
    n_rows: int

    @classmethod
    def single(cls, tau: F64) -> SampleSpec:
        """One sample per vehicle at launch-relative times ``tau`` ``(N,)``."""
        n = tau.shape[0]
        return cls(tau, 1.0, np.ones(n, np.int64), np.zeros(n, np.int64), 1)

    @property
    def total(self) -> int:
        return self.n_rows * int(self.count.shape[0])

    def flat_index(self, vehicle: NDArray[np.intp], k: NDArray[np.int64]) -> NDArray[np.int64]:
        """Flat storage index of samples ``k`` of vehicles ``vehicle``."""
        return (self.j0[vehicle] + k) * self.count.shape[0] + vehicle


@dataclass
class Trajectories:
    """Sampled flight of N vehicles in flat time-major arrays of ``M = samples.total`` rows.

    ``pos``, ``vel`` are ``(3, M)`` ECEF (m, m/s); ``phase`` ``(M,)`` phase codes;
    ``filled`` marks samples reached before impact or the end of the run. ``impact_time``
    ``(N,)`` is launch-relative (NaN if the vehicle did not come down) and ``impact_pos``
    ``(3, N)`` ECEF.
    """

    samples: SampleSpec
    pos: F64
    vel: F64
    phase: NDArray[np.int8]
    filled: NDArray[np.bool_]
    impact_time: F64
    impact_pos: F64
    events: list[Event] = field(default_factory=list)


class Controller(Protocol):
    """What the integrator asks of guidance once per step (see :class:`Guidance`)."""

    phase: NDArray[np.int8]
    events: list[Event]

    def update(
        self, t: float, r: F64, v: F64, live: NDArray[np.intp], model: FlightModel
    ) -> tuple[F64, F64]: ...


class Unguided:
    """No lift commands and no phase logic (boost and ballistic solves)."""

    def __init__(self, n: int) -> None:
        self.phase = np.zeros(n, dtype=np.int8)
        self.events: list[Event] = []

    def update(
        self, t: float, r: F64, v: F64, live: NDArray[np.intp], model: FlightModel
    ) -> tuple[F64, F64]:
        z = np.zeros(live.shape[0])
        return z + 1.0, z


def _hermite(s: F64, h: float, p0: F64, d0: F64, p1: F64, d1: F64) -> F64:
    """Cubic Hermite at fractions ``s`` of a step ``h`` between values and derivatives."""
    s2 = s * s
    s3 = s2 * s
    h00 = 2 * s3 - 3 * s2 + 1
    h10 = s3 - 2 * s2 + s
    h01 = -2 * s3 + 3 * s2
    h11 = s3 - s2
    return h00 * p0 + (h * h10) * d0 + h01 * p1 + (h * h11) * d1


def _parking(r: F64, radius: float) -> F64:
    """Where parked vehicles wait: 1000 km above the surface, over their positions.

    Gravity still acts there, so parking is re-imposed after every step; the point only
    needs to be finite and outside the atmosphere (no drag, no stiffness).
    """
    rn = np.sqrt((r * r).sum(axis=0))
    return r * ((radius + 1.0e6) / np.maximum(rn, 1.0))


def fly(
    model: FlightModel,
    controller: Controller,
    r0: F64,
    v0: F64,
    samples: SampleSpec,
    t_end: F64,
    *,
    h_boost: float = 0.2,
    h_max: float = 1.0,
    stiff_limit: float = 0.2,
) -> Trajectories:
    """Integrate N vehicles from launch-relative time 0 until impact or ``t_end`` ``(N,)``.

    Parameters
    ----------
    model
        Equations of motion of the batch.
    controller
        Guidance, called once per step for the vehicles still flying.
    r0, v0
        Initial ECEF position (m) and Earth-relative velocity (m/s), ``(3, N)``.
    samples
        Output sample times per vehicle.
    t_end
        Launch-relative time after which each vehicle is no longer needed, s.
    h_boost, h_max
        Step while any vehicle boosts, and otherwise, s.
    stiff_limit
        Largest ``h * rho V / beta`` allowed (RK4 is stable to 2.78 on the real axis).
    """
    n = model.vehicles.n
    earth = model.earth
    m_total = samples.total
    pos = np.full((3, m_total), np.nan)
    vel = np.full((3, m_total), np.nan)
    phase_out = np.zeros(m_total, dtype=np.int8)
    filled = np.zeros(m_total, dtype=np.bool_)
    impact_time = np.full(n, np.nan)
    impact_pos = np.full((3, n), np.nan)
    next_k = np.zeros(n, dtype=np.int64)

    live = np.arange(n)
    sub = model
    r = np.array(r0, dtype=np.float64)
    v = np.array(v0, dtype=np.float64)
    alt = earth.altitude_fast(r, np.sqrt((r * r).sum(axis=0)))
    parked = np.zeros(n, dtype=np.bool_)
    r_park = _parking(r, earth.a_m)
    t = 0.0
    # Steps end exactly on staging and steering switches, so RK4 never straddles one.
    breaks = model.vehicles.breakpoints()
    ib = 0
    while live.size:
        cs, ss = controller.update(t, r, v, live, sub)
        h = h_boost if t < sub.boost_end else h_max
        lam = sub.stiffness(r, v, t)
        if lam * h > stiff_limit:
            h = stiff_limit / lam
        while ib < breaks.size and breaks[ib] <= t + 1e-9:
            ib += 1
        if ib < breaks.size and breaks[ib] < t + h:
            h = float(breaks[ib]) - t
        tm = t + 0.5 * h
        a1 = sub.accel(t, r, v, cs, ss, tm)
        r2 = r + (0.5 * h) * v
        v2 = v + (0.5 * h) * a1
        a2 = sub.accel(tm, r2, v2, cs, ss, tm)
        r3 = r + (0.5 * h) * v2
        v3 = v + (0.5 * h) * a2
        a3 = sub.accel(tm, r3, v3, cs, ss, tm)
        r4 = r + h * v3
        v4 = v + h * a3
        a4 = sub.accel(t + h, r4, v4, cs, ss, tm)
        r_new = r + (h / 6.0) * (v + 2.0 * (v2 + v3) + v4)
        v_new = v + (h / 6.0) * (a1 + 2.0 * (a2 + a3) + a4)
        rn_new = np.sqrt((r_new * r_new).sum(axis=0))
        alt_new = earth.altitude_fast(r_new, rn_new)
        hit = (alt_new < 0.0) & ((r_new * v_new).sum(axis=0) < 0.0) & ~parked
        s_hit = np.where(hit, alt / np.where(hit, alt - alt_new, 1.0), 1.0)
        s_hit = np.clip(s_hit, 0.0, 1.0)
        t_stop = np.where(hit, t + s_hit * h, np.inf)

        phase_live = controller.phase[live]
        while True:
            k = next_k[live]
            tau = samples.tau0[live] + k * samples.step
            due = (k < samples.count[live]) & (tau < t + h) & (tau <= t_stop) & ~parked
            if not due.any():
                break
            j: NDArray[np.intp] | slice = slice(None) if due.all() else np.flatnonzero(due)
            s = (tau[j] - t) / h
            flat = samples.flat_index(live[j], k[j])
            pos[:, flat] = _hermite(s, h, r[:, j], v[:, j], r_new[:, j], v_new[:, j])
            vel[:, flat] = _hermite(s, h, v[:, j], a1[:, j], v_new[:, j], a4[:, j])
            phase_out[flat] = phase_live[j]
            filled[flat] = True
            next_k[live[j]] += 1

        if hit.any():
            j = np.flatnonzero(hit)
            impact_time[live[j]] = t_stop[j]
            impact_pos[:, live[j]] = _hermite(
                s_hit[j], h, r[:, j], v[:, j], r_new[:, j], v_new[:, j]
            )
            controller.events.append(Event("impact", live[j], t_stop[j]))
        t = t + h if ib >= breaks.size or abs(t + h - breaks[ib]) > 1e-9 else float(breaks[ib])
        r, v, alt = r_new, v_new, alt_new
        done = hit | (t >= t_end[live])
        if done.any():
            # Finished vehicles are parked (at rest, above ground) and the batch is only
            # compacted once a tenth of it is parked: compaction copies every parameter.
            parked |= done
            controller.phase[live[done]] = DONE
            r[:, parked] = r_park[:, parked]
            v[:, parked] = 0.0
            alt[parked] = 0.0
            if parked.sum() * 10 >= parked.size or parked.all():
                keep = np.flatnonzero(~parked)
                live = live[keep]
                r, v, alt = r[:, keep], v[:, keep], alt[keep]
                sub = model.take(live)
                parked = np.zeros(live.size, dtype=np.bool_)
                r_park = _parking(r, earth.a_m)
    return Trajectories(
        samples, pos, vel, phase_out, filled, impact_time, impact_pos, controller.events
    )
