"""Flight phases and the per-step controller: phase changes, events and bank commands.

The controller runs once per integration step (its commands are held over the step), for
the vehicles still flying. A ballistic missile goes boost -> midcourse -> reentry; a
boost-glide vehicle goes boost -> pullup -> glide -> manoeuvre -> terminal. Impact is
detected by the integrator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tracklayer.threats.dynamics import F64, FlightModel
from tracklayer.threats.glide import GlideGains, glide_controls

#: Phase names, indexed by the phase codes below (the ``phase`` column of ``truth``).
PHASES: tuple[str, ...] = (
    "boost",
    "midcourse",
    "reentry",
    "pullup",
    "glide",
    "manoeuvre",
    "terminal",
)
BOOST, MIDCOURSE, REENTRY, PULLUP, GLIDE, MANOEUVRE, TERMINAL = range(7)
#: Code of a vehicle that has landed or is no longer needed (no row carries it).
DONE = 7

#: Altitude below which a descending re-entry vehicle is in the re-entry phase, m.
REENTRY_ALTITUDE_M = 100_000.0
#: A glider whose speed falls below this starts its terminal dive wherever it is, m/s.
MIN_GLIDE_SPEED_M_S = 1000.0


@dataclass(frozen=True)
class GuidanceParams:
    """Per-vehicle guidance settings, ``(N,)`` unless noted, SI.

    ``aim`` is the aim point's ECEF position ``(3, N)``; ranges are ground ranges (m) to
    the aim point at which the weave and the terminal dive begin; ``weave_amp`` (rad),
    ``weave_period`` (s) and ``weave_phase`` (rad) set the heading weave; ``turn_limit``
    is the largest bank given to turning (rad).
    """

    is_hgv: NDArray[np.bool_]
    aim: F64
    manoeuvre_range: F64
    terminal_range: F64
    weave_amp: F64
    weave_period: F64
    weave_phase: F64
    turn_limit: F64


@dataclass
class Event:
    """Vehicles ``index`` passed event ``name`` at launch-relative times ``time``."""

    name: str
    index: NDArray[np.intp]
    time: F64


@dataclass
class Guidance:
    """Phase machine and bank commands of a batch; state arrays cover all N vehicles."""

    params: GuidanceParams
    gains: GlideGains = field(default_factory=GlideGains)

    def __post_init__(self) -> None:
        n = self.params.is_hgv.shape[0]
        self.phase = np.zeros(n, dtype=np.int8)
        self.stage = np.zeros(n, dtype=np.int8)
        self.weave_t0 = np.zeros(n)
        self.events: list[Event] = []

    def _event(self, name: str, idx: NDArray[np.intp], t: float | F64) -> None:
        if idx.size:
            self.events.append(Event(name, idx, np.broadcast_to(np.asarray(t, float), idx.shape)))

    def update(
        self, t: float, r: F64, v: F64, live: NDArray[np.intp], model: FlightModel
    ) -> tuple[F64, F64]:
        """Advance phases at time ``t`` and return the bank controls ``(cs, ss)``.

        ``r``, ``v`` are ``(3, len(live))``; ``model`` is the batch restricted to ``live``.
        """
        p = self.params
        veh = model.vehicles
        phase = self.phase[live]
        hgv = p.is_hgv[live]
        n_live = live.shape[0]
        cs = np.zeros(n_live)
        ss = np.zeros(n_live)

        boosting = phase == BOOST
        if np.any(boosting) and t < model.boost_end + 1e-9:
            # Staging events: a stage burnt out at or before t that the vehicle hadn't left.
            s_now = np.where(t >= veh.stage_off, 1, 0).sum(axis=0).astype(np.int8)
            n_stages = (veh.thrust > 0).sum(axis=0)
            staged = boosting & (s_now > self.stage[live]) & (s_now < n_stages)
            self._event("staging", live[staged], t)
            self.stage[live] = np.maximum(self.stage[live], s_now)
        sep = boosting & (t >= veh.sep_time)
        if np.any(sep):
            self._event("burnout", live[sep], veh.sep_time[sep])
            self._event("release", live[sep & hgv], veh.sep_time[sep & hgv])
            phase[sep] = np.where(hgv[sep], PULLUP, MIDCOURSE)

        rn = np.sqrt((r * r).sum(axis=0))
        if np.any(phase == MIDCOURSE):
            alt = model.earth.altitude_fast(r, rn)
            down = (r * v).sum(axis=0) < 0
            entering = (phase == MIDCOURSE) & down & (alt < REENTRY_ALTITUDE_M)
            self._event("reentry", live[entering], t)
            phase[entering] = REENTRY

        gliding = hgv & (phase >= PULLUP) & (phase <= TERMINAL)
        if np.any(gliding):
            if gliding.all():
                g: NDArray[np.intp] | slice = slice(None)
                gi = live
            else:
                g = np.flatnonzero(gliding)
                gi = live[g]
            out = glide_controls(
                t,
                r[:, g],
                v[:, g],
                phase[g],
                model.earth,
                lift_to_drag=veh.ld[g],
                beta=veh.beta[g],
                aim=p.aim[:, gi],
                manoeuvre_range=p.manoeuvre_range[gi],
                terminal_range=p.terminal_range[gi],
                weave_amp=p.weave_amp[gi],
                weave_period=p.weave_period[gi],
                weave_phase=p.weave_phase[gi],
                weave_t0=self.weave_t0[gi],
                turn_limit=p.turn_limit[gi],
                gains=self.gains,
                min_speed=MIN_GLIDE_SPEED_M_S,
            )
            old = phase[g]
            self._event("pullup_end", gi[(old == PULLUP) & (out.phase != PULLUP)], t)
            for name, code in (("manoeuvre_start", MANOEUVRE), ("terminal_start", TERMINAL)):
                self._event(name, gi[(out.phase == code) & (old != code)], t)
            started = (out.phase == MANOEUVRE) & (phase[g] != MANOEUVRE)
            self.weave_t0[gi[started]] = t
            phase[g] = out.phase
            cs[g] = out.cs
            ss[g] = out.ss
        self.phase[live] = phase
        return cs, ss
