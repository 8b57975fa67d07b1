"""Fixed-step RK4 over N vehicles at once, with step control, sampling and impact events.

All vehicles share one launch-relative clock. The step is ``h_boost`` while any vehicle
is boosting (staging is a thrust discontinuity RK4 only resolves to ``O(h)``), then
``h_max``; wherever drag is stiff (``h rho V / beta`` above ``stiff_limit``) the step of the
whole batch shrinks to keep RK4 well inside its stability region; steps end exactly on
staging and steering switches, so that RK4 never straddles one. Outputs are sampled at
arbitrary per-vehicle times by cubic Hermite interpolation inside each step (position
from position and velocity, velocity from velocity and acceleration), so the sampling
cadence is independent of the step. Impact is the first step ending below the surface
while descending; its time and point are interpolated within that step.

The loop over steps and vehicles is compiled (:mod:`tracklayer.threats._flight_kernels`):
per step it costs a few hundred nanoseconds per vehicle, with no per-step allocation, so
that one vehicle and ten thousand cost the same per trajectory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tracklayer.threats import _flight_kernels as K
from tracklayer.threats.dynamics import F64, FlightModel
from tracklayer.threats.guidance import Event, Guidance
from tracklayer.threats.phases import EVENTS


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
    ``(3, N)`` ECEF; ``trace`` holds the recorded bank controls when ``fly`` was asked
    for them.
    """

    samples: SampleSpec
    pos: F64
    vel: F64
    phase: NDArray[np.int8]
    filled: NDArray[np.bool_]
    impact_time: F64
    impact_pos: F64
    events: list[Event] = field(default_factory=list)
    trace: ControlTrace | None = None


@dataclass(frozen=True)
class ControlTrace:
    """Step start times ``t`` ``(steps + 1,)`` (the last one the end of the run) and the bank
    controls ``cs``, ``ss`` ``(steps, V)`` vehicles ``index`` ``(V,)`` held over each step."""

    index: NDArray[np.int64]
    t: F64
    cs: F64
    ss: F64


class Unguided:
    """No lift commands and no phase logic (boost and ballistic solves): full lift up."""

    def __init__(self, n: int) -> None:
        self.phase = np.zeros(n, dtype=np.int8)
        self.events: list[Event] = []


#: What flies a batch: the phase machine and glide guidance, or none.
Controller = Guidance | Unguided


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
    trace: NDArray[np.int64] | None = None,
    trace_steps: int = 0,
) -> Trajectories:
    """Integrate N vehicles from launch-relative time 0 until impact or ``t_end`` ``(N,)``.

    One compiled loop (:func:`tracklayer.threats._flight_kernels.fly_batch`) takes every
    step of the whole batch: guidance for each vehicle still flying, the step size, one
    RK4 step per vehicle (four evaluations of the equations of motion), the samples due
    within the step, impact; finished vehicles drop out of the loop.

    Parameters
    ----------
    model
        Equations of motion of the batch.
    controller
        :class:`~tracklayer.threats.guidance.Guidance` (its state arrays are updated in
        place and its ``events`` filled), or :class:`Unguided`.
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
    trace, trace_steps
        Vehicles whose bank controls to record, over at most ``trace_steps`` steps
        (:attr:`Trajectories.trace`); none by default.
    """
    n = model.vehicles.n
    earth_p, log_rho, log_p, stages, veh = model.kernel_arrays
    m_total = samples.total
    pos = np.full((3, m_total), np.nan)
    vel = np.full((3, m_total), np.nan)
    phase_out = np.zeros(m_total, dtype=np.int8)
    filled = np.zeros(m_total, dtype=np.bool_)
    impact_time = np.full(n, np.nan)
    impact_pos = np.full((3, n), np.nan)
    cap = n * (stages.shape[1] + len(EVENTS))
    ev_vid, ev_code, ev_time = np.zeros(cap, np.int64), np.zeros(cap, np.int8), np.zeros(cap)
    tr_idx, tr_t, tr_cs, tr_ss = _trace_buffers(trace, trace_steps)
    guided, gpar, gains, stage, weave_t0, bank_sign, limits = _guidance_arrays(controller, n)
    f64 = np.float64
    n_ev, n_steps = K.fly_batch(
        earth_p, log_rho, log_p, stages, veh,
        guided, gpar, gains, controller.phase, stage, weave_t0, bank_sign, limits,
        np.ascontiguousarray(r0, dtype=f64),
        np.ascontiguousarray(v0, dtype=f64),
        np.ascontiguousarray(samples.tau0, dtype=f64),
        float(samples.step),
        np.ascontiguousarray(samples.count, dtype=np.int64),
        np.ascontiguousarray(samples.j0, dtype=np.int64),
        np.ascontiguousarray(np.broadcast_to(t_end, (n,)), dtype=f64),
        model.vehicles.breakpoints().astype(f64),
        float(h_boost), float(h_max), float(stiff_limit),
        pos, vel, phase_out, filled, impact_time, impact_pos,
        ev_vid, ev_code, ev_time,
        tr_idx, tr_t, tr_cs, tr_ss,
    )  # fmt: skip
    controller.events.extend(_events_by_kind(ev_vid[:n_ev], ev_code[:n_ev], ev_time[:n_ev]))
    traj = Trajectories(
        samples, pos, vel, phase_out, filled, impact_time, impact_pos, controller.events
    )
    if tr_idx.size:
        k = min(n_steps, trace_steps)
        traj.trace = ControlTrace(tr_idx, tr_t[: k + 1], tr_cs[:k], tr_ss[:k])
    return traj


def _trace_buffers(
    trace: NDArray[np.int64] | None, trace_steps: int
) -> tuple[NDArray[np.int64], F64, F64, F64]:
    """The traced vehicles' indices and the buffers of their step times ``(C,)`` and bank
    controls ``(C, V)`` (``C = trace_steps + 1``; all empty without a trace)."""
    tr_idx = np.zeros(0, np.int64) if trace is None else np.asarray(trace, dtype=np.int64)
    tr_t = np.zeros(trace_steps + 1 if tr_idx.size else 0)
    return tr_idx, tr_t, np.zeros((tr_t.size, tr_idx.size)), np.zeros((tr_t.size, tr_idx.size))


def _guidance_arrays(
    controller: Controller, n: int
) -> tuple[bool, F64, F64, NDArray[np.int8], F64, F64, NDArray[np.int8]]:
    """The compiled loop's guidance inputs: whether guided, the parameters ``(G, N)`` and
    gains, and the state arrays (stage, weave start, bank sign, limit flags) that it
    updates in place: the controller's own, or blank ones for :class:`Unguided`."""
    if isinstance(controller, Guidance):
        return (
            True,
            controller.params.kernel_array(),
            controller.gain_array(),
            controller.stage,
            controller.weave_t0,
            controller.bank_sign,
            controller.limits,
        )
    return (
        False,
        np.zeros((K.G_SIZE, n)),
        np.zeros(K.K_SIZE),
        np.zeros(n, dtype=np.int8),
        np.zeros(n),
        np.zeros(n),
        np.zeros(n, dtype=np.int8),
    )


def _events_by_kind(vehicle: NDArray[np.int64], code: NDArray[np.int8], time: F64) -> list[Event]:
    """The event log (vehicle, event code, launch-relative time, s) as one
    :class:`~tracklayer.threats.guidance.Event` per kind present, kinds in the order they
    happen within a step, so that a stable sort by time keeps that order."""
    events = []
    for kind, name in enumerate(EVENTS):
        sel = np.flatnonzero(code == kind)
        if sel.size:
            events.append(Event(name, vehicle[sel].astype(np.intp), time[sel]))
    return events
