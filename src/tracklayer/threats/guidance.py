"""Flight phases and the per-step controller: phase changes, events and bank commands.

The controller runs once per integration step (its commands are held over the step), for
the vehicles still flying. A ballistic missile goes boost -> midcourse -> reentry; a
boost-glide vehicle goes boost -> pullup -> glide -> manoeuvre -> terminal. Impact is
detected by the integrator.

The phase machine runs inside the compiled flight loop
(:func:`tracklayer.threats._flight_kernels.fly_batch`, per vehicle); this module holds its
parameters and state: a stage burnt out logs ``staging``; separation logs ``burnout`` (and
``release`` for a glider) at the separation time; a descending missile below
:data:`REENTRY_ALTITUDE_M` enters ``reentry``; a glider's phases and bank commands follow
:mod:`tracklayer.threats.glide`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
from numpy.typing import NDArray

from tracklayer.constants import DEG, KM
from tracklayer.threats import _flight_kernels as K
from tracklayer.threats.config import HGVConfig
from tracklayer.threats.glide import LEVEL_RAD, GlideGains
from tracklayer.threats.phases import (
    BOOST,
    DONE,
    GLIDE,
    MANOEUVRE,
    MIDCOURSE,
    PHASES,
    PULLUP,
    REENTRY,
    TERMINAL,
)

F64 = NDArray[np.float64]

__all__ = [
    "BOOST",
    "DONE",
    "GLIDE",
    "MANOEUVRE",
    "MIDCOURSE",
    "MIN_GLIDE_SPEED_M_S",
    "PHASES",
    "PULLUP",
    "REENTRY",
    "REENTRY_ALTITUDE_M",
    "SUTTON_GRAVES_K",
    "TERMINAL",
    "Event",
    "Guidance",
    "GuidanceParams",
    "glider_params",
    "missile_params",
]

#: Altitude below which a descending re-entry vehicle is in the re-entry phase, m.
REENTRY_ALTITUDE_M = 100_000.0
#: A glider whose speed falls below this starts its terminal dive wherever it is, m/s.
MIN_GLIDE_SPEED_M_S = 1000.0
#: Sutton-Graves stagnation-point heating constant for air, ``q = k sqrt(rho / R_n) V^3``
#: in W/m^2 with rho in kg/m^3, R_n in m, V in m/s (Sutton & Graves, NASA TR R-376, 1971).
SUTTON_GRAVES_K = 1.7415e-4


@dataclass(frozen=True)
class GuidanceParams:
    """Per-vehicle guidance settings, ``(N,)`` unless noted, SI.

    ``aim`` is the aim point's ECEF position ``(3, N)``; ranges are ground ranges (m) to
    the aim point at which the weave and the terminal dive begin; ``weave_amp`` (rad),
    ``weave_period`` (s) and ``weave_phase`` (rad) set the heading weave; ``turn_limit``
    is the largest bank given to turns and S-turns (rad); ``n_max`` the largest
    lift-coefficient ratio of the drag polar (``alpha_max / alpha*``); ``terminal_speed``
    (m/s) the speed the energy management plans for the start of the dive; ``q_max`` (Pa)
    and ``heat_max`` (W/m^2) the dynamic-pressure and stagnation heat-flux limits at nose
    radius ``nose_radius`` (m). Arrays default to values that leave a missile unaffected.
    """

    is_hgv: NDArray[np.bool_]
    aim: F64
    manoeuvre_range: F64
    terminal_range: F64
    weave_amp: F64
    weave_period: F64
    weave_phase: F64
    turn_limit: F64
    n_max: F64 | None = None
    terminal_speed: F64 | None = None
    q_max: F64 | None = None
    heat_max: F64 | None = None
    nose_radius: F64 | None = None

    @staticmethod
    def concat(params: list[GuidanceParams]) -> GuidanceParams:
        """Join the parameters of several batches along the vehicle axis."""
        return GuidanceParams(
            **{
                f.name: np.concatenate([getattr(p, f.name) for p in params], axis=-1)
                for f in fields(GuidanceParams)
            }
        )

    def kernel_array(self) -> F64:
        """The parameters as the flight kernel's ``gpar`` ``(18, N)`` rows.

        Ranges become the cosines of their central angles at the aim point's radius
        (``cos theta >= cos(R / |aim|)`` is ``ground range <= R``), so that the kernel
        compares ranges without an ``atan2``; the bank limit becomes its sine; the limits
        become the largest ``rho V^2`` (``2 q_max``) and ``rho V^6``
        (``R_n (q_max / k)^2`` with the Sutton-Graves constant ``k``).
        """
        n = self.is_hgv.shape[0]
        aim_n = np.sqrt((self.aim * self.aim).sum(axis=0))
        rows = np.empty((K.G_SIZE, n))
        rows[K.G_IS_HGV] = self.is_hgv
        rows[K.G_AIM_X : K.G_AIM_Z + 1] = self.aim
        rows[K.G_AIM_UX : K.G_AIM_UZ + 1] = self.aim / aim_n
        for row, rng in (
            (K.G_COS_MANOEUVRE, self.manoeuvre_range),
            (K.G_COS_TERMINAL, self.terminal_range),
        ):
            angle = rng / aim_n
            # No range reached below zero; every range at or beyond the antipode.
            rows[row] = np.where(angle < 0.0, 2.0, np.where(angle >= np.pi, -2.0, np.cos(angle)))
        rows[K.G_WEAVE_AMP] = self.weave_amp
        rows[K.G_WEAVE_PERIOD] = self.weave_period
        rows[K.G_WEAVE_PHASE] = self.weave_phase
        rows[K.G_SIN_TURN] = np.sin(self.turn_limit)
        ones = np.ones(n)
        rows[K.G_N_MAX] = 2.0 * ones if self.n_max is None else self.n_max
        rows[K.G_TERMINAL_RANGE] = self.terminal_range
        rows[K.G_V_TERMINAL] = (
            MIN_GLIDE_SPEED_M_S * ones if self.terminal_speed is None else self.terminal_speed
        )
        rows[K.G_RHO_Q] = 2.0 * (np.inf * ones if self.q_max is None else self.q_max)
        heat = np.inf * ones if self.heat_max is None else self.heat_max
        r_n = 0.1 * ones if self.nose_radius is None else self.nose_radius
        rows[K.G_RHO_HEAT] = r_n * (heat / SUTTON_GRAVES_K) ** 2
        return rows


def glider_params(cfg: HGVConfig, aim: F64, weave_phase: F64) -> GuidanceParams:
    """Guidance parameters of N gliders of type ``cfg`` toward ECEF aim points ``(3, N)``."""
    ones = np.ones(aim.shape[1])
    return GuidanceParams(
        is_hgv=np.ones(aim.shape[1], dtype=bool),
        aim=aim,
        manoeuvre_range=cfg.manoeuvre_range_km * KM * ones,
        terminal_range=cfg.terminal_range_km * KM * ones,
        weave_amp=cfg.weave_amplitude_deg * DEG * ones,
        weave_period=cfg.weave_period_s * ones,
        weave_phase=np.asarray(weave_phase, dtype=np.float64) * ones,
        turn_limit=cfg.turn_bank_limit_deg * DEG * ones,
        n_max=cfg.alpha_max_deg / cfg.alpha_max_ld_deg * ones,
        terminal_speed=cfg.terminal_speed_km_s * KM * ones,
        q_max=cfg.max_dynamic_pressure_kpa * KM * ones,
        heat_max=cfg.max_heat_flux_mw_m2 * 1e6 * ones,
        nose_radius=cfg.nose_radius_m * ones,
    )


def missile_params(aim: F64, nose_radius: float) -> GuidanceParams:
    """Guidance parameters of N ballistic missiles (no glide guidance) ``(3, N)`` aims."""
    n = aim.shape[1]
    zeros = np.zeros(n)
    return GuidanceParams(
        is_hgv=np.zeros(n, dtype=bool),
        aim=aim,
        manoeuvre_range=zeros,
        terminal_range=zeros,
        weave_amp=zeros,
        weave_period=zeros + 1.0,
        weave_phase=zeros,
        turn_limit=zeros,
        n_max=zeros + 1.0,
        terminal_speed=zeros + 1.0,
        q_max=zeros + np.inf,
        heat_max=zeros + np.inf,
        nose_radius=zeros + nose_radius,
    )


@dataclass
class Event:
    """Vehicles ``index`` passed event ``name`` at launch-relative times ``time``."""

    name: str
    index: NDArray[np.intp]
    time: F64


@dataclass
class Guidance:
    """Phase machine state and parameters of a batch; state arrays cover all N vehicles.

    ``phase`` (codes of :data:`PHASES`), ``stage`` (stages burnt out), ``weave_t0``
    (start of the weave, s), ``bank_sign`` (side of the S-turn bank, 0 before the first)
    and ``limits`` (bits of the limits exceeded) are updated in place by the integrator;
    ``events`` collects what happened.
    """

    params: GuidanceParams
    gains: GlideGains = field(default_factory=GlideGains)

    def __post_init__(self) -> None:
        n = self.params.is_hgv.shape[0]
        self.phase = np.zeros(n, dtype=np.int8)
        self.stage = np.zeros(n, dtype=np.int8)
        self.weave_t0 = np.zeros(n)
        self.bank_sign = np.zeros(n)
        self.limits = np.zeros(n, dtype=np.int8)
        self.events: list[Event] = []

    def gain_array(self) -> F64:
        """Gains and thresholds as the flight kernel's ``gains`` ``(14,)`` array."""
        g = self.gains
        out = np.empty(K.K_SIZE)
        out[K.K_DIVE] = g.k_dive
        out[K.K_PSI] = g.k_psi
        out[K.K_SIN_LEVEL] = np.sin(LEVEL_RAD)
        out[K.K_MIN_SPEED] = MIN_GLIDE_SPEED_M_S
        out[K.K_REENTRY_ALT] = REENTRY_ALTITUDE_M
        out[K.K_H] = g.k_h
        out[K.K_HDOT] = g.k_hdot
        out[K.K_HDOT_MAX] = g.hdot_max
        out[K.K_DEADBAND_MAX] = g.deadband_max
        out[K.K_DEADBAND_MIN] = g.deadband_min
        out[K.K_DEADBAND_RANGE] = g.deadband_range
        out[K.K_COS_S_TURN] = np.cos(g.s_turn_min_bank)
        out[K.K_DIVE_ANGLE] = g.dive_angle
        out[K.K_DIVE_SPEED] = g.dive_speed
        return out
