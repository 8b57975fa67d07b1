"""Compiled kernels of the threat flyout (numba): the batched RK4 flight loop and its physics.

:mod:`tracklayer.threats.integrate` (stepping, sampling, impact),
:mod:`tracklayer.threats.dynamics` (equations of motion),
:mod:`tracklayer.threats.guidance` and :mod:`tracklayer.threats.glide` (phases, bank
commands) hold the method and its references; this module is their only implementation,
written per vehicle with scalars so that one step of N vehicles costs no numpy call:

* :func:`fly_batch`: the whole integration of N vehicles, step after step, with guidance,
  step control, Hermite sampling, impact and the event log.
* :func:`accel_batch`: the accelerations of N vehicles at one time (the equations of motion
  alone, for reference integrators).

Helpers called per vehicle and per evaluation take and return scalars only (a numba
function that receives an array increments and decrements its reference count); the
per-vehicle parameters are read once per step in the loops.

Parameter layouts (all float64):

* ``earth`` ``(8,)``: columns ``E_*`` (ellipsoid axes, ``mu``, ``J2``, rotation rate, top of
  the atmosphere table, inverse table spacing, atmosphere on/off).
* ``log_rho`` ``(K,)``: natural log of the density on the atmosphere table; ``log_p``
  ``(K,)``: natural log of the pressure ratio ``p / p0`` on the same table.
* ``stages`` ``(6, S, N)``: rows ``S_*`` (ignition, burnout, vacuum thrust, mass flow,
  dropped mass, thrust lost at sea-level pressure).
* ``veh`` ``(12, N)``: rows ``V_*``.
* ``gpar`` ``(18, N)``: rows ``G_*``; ``gains`` ``(14,)``: columns ``K_*``.

Lift and drag of a glider follow its drag polar
(:class:`tracklayer.threats.aero.DragPolar`) through the lift-coefficient ratio
``n = C_L / C_L*`` (``C_L*`` the coefficient of maximum L/D): the bank controls
``(cs, ss) = n (cos sigma, sin sigma)``, lift ``(L/D)max n rho V^2 / (2 beta*)`` and drag
``(1 + n^2) / 2 rho V^2 / (2 beta*)``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from tracklayer.threats.phases import (
    BOOST,
    DONE,
    EV_BURNOUT,
    EV_HEAT_LIMIT,
    EV_IMPACT,
    EV_MANOEUVRE_START,
    EV_PRESSURE_LIMIT,
    EV_PULLUP_END,
    EV_REENTRY,
    EV_RELEASE,
    EV_STAGING,
    EV_TERMINAL_START,
    GLIDE,
    MANOEUVRE,
    MIDCOURSE,
    PULLUP,
    REENTRY,
    TERMINAL,
)

F64 = NDArray[np.float64]

E_A, E_B, E_MU, E_J2, E_OMEGA, E_TOP, E_INV_DZ, E_ATM = range(8)
E_SIZE = 8
S_ON, S_OFF, S_THRUST, S_MDOT, S_DROP, S_LOSS = range(6)
S_SIZE = 6
(
    V_M0,
    V_SEP,
    V_CDA,
    V_BETA,
    V_LD,
    V_T_VERTICAL,
    V_T_KICK_END,
    V_ALPHA,
    V_LAST_ON,
    V_KICK_X,
    V_KICK_Y,
    V_KICK_Z,
) = range(12)
V_SIZE = 12
(
    G_IS_HGV,
    G_AIM_X,
    G_AIM_Y,
    G_AIM_Z,
    G_AIM_UX,
    G_AIM_UY,
    G_AIM_UZ,
    G_COS_MANOEUVRE,
    G_COS_TERMINAL,
    G_WEAVE_AMP,
    G_WEAVE_PERIOD,
    G_WEAVE_PHASE,
    G_SIN_TURN,
    G_N_MAX,
    G_TERMINAL_RANGE,
    G_V_TERMINAL,
    G_RHO_Q,
    G_RHO_HEAT,
) = range(18)
G_SIZE = 18
(
    K_DIVE,
    K_PSI,
    K_SIN_LEVEL,
    K_MIN_SPEED,
    K_REENTRY_ALT,
    K_H,
    K_HDOT,
    K_HDOT_MAX,
    K_DEADBAND_MAX,
    K_DEADBAND_MIN,
    K_DEADBAND_RANGE,
    K_COS_S_TURN,
    K_DIVE_ANGLE,
    K_DIVE_SPEED,
) = range(14)
K_SIZE = 14
#: Bits of a glider's ``limits`` flags: heat flux and dynamic pressure exceeded.
LIMIT_HEAT, LIMIT_Q = 1, 2
#: The corridor keeps the density below this fraction of the heating and pressure limits'.
LIMIT_MARGIN = 0.85

# Thrust steering modes: along the radius, the fixed kick direction, the velocity, or the
# velocity pitched up by alpha.
_RADIAL, _KICK, _ALONG_V, _PITCHED = range(4)
_TWO_PI = 2.0 * math.pi


@njit(cache=True)
def _altitude(rx: float, ry: float, rz: float, rn: float, a: float, b: float) -> float:
    """Scalar :meth:`~tracklayer.threats.earth.EarthModel.altitude_fast`."""
    if a == b:
        return rn - a
    s2 = (rz / rn) ** 2
    return rn - a * b / math.sqrt(b * b * (1.0 - s2) + a * a * s2)


@njit(cache=True)
def density_at(alt: float, top: float, inv_dz: float, log_rho: F64) -> float:
    """Scalar :meth:`~tracklayer.threats.atmosphere.Atmosphere.density` (log-linear)."""
    if alt > top:
        return 0.0
    u = min(max(alt, 0.0), top - 1e-6) * inv_dz
    i = int(u)
    w = u - i
    return math.exp(log_rho[i] + w * (log_rho[i + 1] - log_rho[i]))


@njit(cache=True)
def _lift_axes(
    rhx: float, rhy: float, rhz: float, vhx: float, vhy: float, vhz: float
) -> tuple[float, float, float, float, float, float]:
    """Unit "up" normal to the velocity in the vertical plane, and the right-hand normal.

    ``up = unit(r_hat - (r_hat . v_hat) v_hat)``, ``right = unit(v_hat x r_hat)`` (to the
    right of the track seen from above, so a positive bank turns right).
    """
    c = rhx * vhx + rhy * vhy + rhz * vhz
    inv = 1.0 / math.sqrt(max(1.0 - c * c, 1e-18))
    return (
        (rhx - c * vhx) * inv,
        (rhy - c * vhy) * inv,
        (rhz - c * vhz) * inv,
        (vhy * rhz - vhz * rhy) * inv,
        (vhz * rhx - vhx * rhz) * inv,
        (vhx * rhy - vhy * rhx) * inv,
    )


@njit(cache=True)
def _gravity_in_rotating_frame(
    rx: float, ry: float, rz: float, vx: float, vy: float, vz: float,
    inv_rn: float, sz: float, a_m: float, mu: float, j2: float, omega: float,
) -> tuple[float, float, float]:  # fmt: skip
    """Gravity (point mass plus J2, Vallado 2013, ch. 8) with the Coriolis ``-2 w x v``
    and centrifugal ``-w x (w x r)`` terms of the rotating frame, m/s^2, ECEF; ``inv_rn``
    is ``1 / |r|``, ``sz`` the sine of the geocentric latitude."""
    inv_r2 = inv_rn * inv_rn
    inv_r3 = mu * inv_r2 * inv_rn
    sz2 = sz * sz
    if j2 == 0.0:
        fxy = -inv_r3
        fz = -inv_r3
    else:
        k = 1.5 * j2 * a_m * a_m * inv_r2
        s2 = 5.0 * sz2
        fxy = -inv_r3 * (1.0 + k * (1.0 - s2))
        fz = -inv_r3 * (1.0 + k * (3.0 - s2))
    ax = fxy * rx
    ay = fxy * ry
    az = fz * rz
    if omega != 0.0:
        ax += 2.0 * omega * vy + omega * omega * rx
        ay += -2.0 * omega * vx + omega * omega * ry
    return ax, ay, az


@njit(cache=True)
def _thrust_direction(
    mode: int, speed: float, rhx: float, rhy: float, rhz: float,
    vhx: float, vhy: float, vhz: float, kx: float, ky: float, kz: float, ca: float, sa: float,
) -> tuple[float, float, float]:  # fmt: skip
    """Unit thrust direction of steering ``mode``: the radius (also below 1 m/s), the kick
    direction ``k``, the velocity pitched up by alpha (``ca``, ``sa`` its cosine and
    sine), or the velocity."""
    if mode == _RADIAL or speed < 1.0:
        return rhx, rhy, rhz
    if mode == _KICK:
        return kx, ky, kz
    if mode == _PITCHED:
        ux, uy, uz, _, _, _ = _lift_axes(rhx, rhy, rhz, vhx, vhy, vhz)
        return ca * vhx + sa * ux, ca * vhy + sa * uy, ca * vhz + sa * uz
    return vhx, vhy, vhz


@njit(cache=True)
def _add_aerodynamics(
    ax: float, ay: float, az: float, rho: float, speed: float, beta: float, ld: float,
    cs: float, ss: float, rhx: float, rhy: float, rhz: float, vhx: float, vhy: float, vhz: float,
) -> tuple[float, float, float]:  # fmt: skip
    """``a`` plus drag ``q`` (``q (1 + cs^2 + ss^2) / 2`` with lift) against the velocity
    and lift ``ld q (cs up + ss right)``, ``q = rho V^2 / (2 beta)``, m/s^2."""
    q = rho * speed * speed / (2.0 * beta)
    drag = q
    if ld > 0.0:
        drag = q * 0.5 * (1.0 + cs * cs + ss * ss)
    ax -= drag * vhx
    ay -= drag * vhy
    az -= drag * vhz
    if ld > 0.0:
        ux, uy, uz, wx, wy, wz = _lift_axes(rhx, rhy, rhz, vhx, vhy, vhz)
        lift = ld * q
        ax += lift * (cs * ux + ss * wx)
        ay += lift * (cs * uy + ss * wy)
        az += lift * (cs * uz + ss * wz)
    return ax, ay, az


@njit(cache=True)
def _accel(
    rx: float, ry: float, rz: float, vx: float, vy: float, vz: float,
    a_m: float, b_m: float, mu: float, j2: float, omega: float,
    rho_on: bool, top: float, inv_dz: float, log_rho: F64, log_p: F64,
    boosting: bool, mass: float, thrust: float, loss: float, mode: int,
    kx: float, ky: float, kz: float, ca: float, sa: float,
    cda: float, beta: float, ld: float, cs: float, ss: float,
) -> tuple[float, float, float]:  # fmt: skip
    """Acceleration (m/s^2, ECEF) of one vehicle; see :mod:`tracklayer.threats.dynamics`.

    ``boosting``: before separation (vacuum thrust ``thrust`` N less ``loss`` times the
    ambient pressure ratio ``p / p0``, steered by ``mode``; stack ballistic coefficient
    ``mass / cda``, no lift); otherwise the payload's ``beta`` and ``ld``, lift
    ``ld q (cs, ss)`` and drag ``q (1 + cs^2 + ss^2) / 2`` of a glider's drag polar.
    Gravity: point mass plus J2 (Vallado 2013, ch. 8); rotating frame: Coriolis
    ``-2 w x v`` and centrifugal ``-w x (w x r)``.
    """
    rn = math.sqrt(rx * rx + ry * ry + rz * rz)
    inv_rn = 1.0 / rn
    sz = rz * inv_rn
    ax, ay, az = _gravity_in_rotating_frame(rx, ry, rz, vx, vy, vz, inv_rn, sz, a_m, mu, j2, omega)
    speed = math.sqrt(vx * vx + vy * vy + vz * vz)
    inv_v = 1.0 / max(speed, 1e-9)
    vhx, vhy, vhz = vx * inv_v, vy * inv_v, vz * inv_v
    rhx, rhy, rhz = rx * inv_rn, ry * inv_rn, sz
    rho = 0.0
    p_ratio = 0.0
    if rho_on:
        sz2 = sz * sz
        if a_m == b_m:
            alt = rn - a_m
        else:
            alt = rn - a_m * b_m / math.sqrt(b_m * b_m * (1.0 - sz2) + a_m * a_m * sz2)
        rho = density_at(alt, top, inv_dz, log_rho)
        if boosting and loss > 0.0:
            p_ratio = density_at(alt, top, inv_dz, log_p)
    if boosting:
        if thrust > 0.0:
            f = (thrust - loss * p_ratio) / mass
            dx, dy, dz = _thrust_direction(
                mode, speed, rhx, rhy, rhz, vhx, vhy, vhz, kx, ky, kz, ca, sa
            )
            ax += f * dx
            ay += f * dy
            az += f * dz
        beta_e = mass / cda
        ld_e = 0.0
    else:
        beta_e = beta
        ld_e = ld
    if not rho_on:
        return ax, ay, az
    return _add_aerodynamics(
        ax, ay, az, rho, speed, beta_e, ld_e, cs, ss, rhx, rhy, rhz, vhx, vhy, vhz
    )


@njit(cache=True)
def _mass(stages: F64, veh: F64, i: int, t: float, t_ref: float) -> float:
    """Mass (kg) at launch-relative ``t``; stages count as dropped once ``t_ref`` passes
    their burnout (the integrator passes the middle of its step, so that a step ending
    exactly at a staging time still sees the stage it burnt)."""
    m = veh[V_M0, i]
    for s in range(stages.shape[1]):
        on = stages[S_ON, s, i]
        off = stages[S_OFF, s, i]
        m -= stages[S_MDOT, s, i] * min(max(t - on, 0.0), off - on)
        if t_ref >= off:
            m -= stages[S_DROP, s, i]
    return m


@njit(cache=True)
def _thrust(stages: F64, i: int, t: float) -> tuple[float, float]:
    """Vacuum thrust (N) at launch-relative ``t`` of the stages burning then, and the
    thrust they lose at sea-level pressure (N)."""
    f = 0.0
    loss = 0.0
    for s in range(stages.shape[1]):
        if stages[S_ON, s, i] <= t < stages[S_OFF, s, i]:
            f += stages[S_THRUST, s, i]
            loss += stages[S_LOSS, s, i]
    return f, loss


@njit(cache=True)
def _steering(veh: F64, i: int, t_ref: float) -> int:
    """Thrust steering mode at ``t_ref``: vertical rise, kick, then the gravity turn
    (pitched by alpha in the last stage)."""
    if t_ref < veh[V_T_VERTICAL, i]:
        return _RADIAL
    if t_ref < veh[V_T_KICK_END, i]:
        return _KICK
    if veh[V_ALPHA, i] != 0.0 and t_ref >= veh[V_LAST_ON, i]:
        return _PITCHED
    return _ALONG_V


@njit(cache=True)
def accel_batch(
    earth: F64,
    log_rho: F64,
    log_p: F64,
    stages: F64,
    veh: F64,
    t: float,
    t_ref: float,
    r: F64,
    v: F64,
    cs: F64,
    ss: F64,
    out: F64,
) -> None:
    """Accelerations ``out`` ``(3, N)`` of N vehicles at ``t`` (stage and steering by
    ``t_ref``), ECEF ``r``, ``v`` ``(3, N)``, bank controls ``cs``, ``ss`` ``(N,)``."""
    rho_on = earth[E_ATM] != 0.0
    for i in range(r.shape[1]):
        boosting = t_ref < veh[V_SEP, i]
        m = _mass(stages, veh, i, t, t_ref) if boosting else 1.0
        f, loss = _thrust(stages, i, t_ref) if boosting else (0.0, 0.0)
        mode = _steering(veh, i, t_ref)
        alpha = veh[V_ALPHA, i]
        ax, ay, az = _accel(
            r[0, i], r[1, i], r[2, i], v[0, i], v[1, i], v[2, i],
            earth[E_A], earth[E_B], earth[E_MU], earth[E_J2], earth[E_OMEGA],
            rho_on, earth[E_TOP], earth[E_INV_DZ], log_rho, log_p,
            boosting, m, f, loss, mode, veh[V_KICK_X, i], veh[V_KICK_Y, i], veh[V_KICK_Z, i],
            math.cos(alpha), math.sin(alpha), veh[V_CDA, i], veh[V_BETA, i], veh[V_LD, i],
            cs[i], ss[i],
        )  # fmt: skip
        out[0, i] = ax
        out[1, i] = ay
        out[2, i] = az


@njit(cache=True)
def _log_event(
    ev_vid: NDArray[np.int64],
    ev_code: NDArray[np.int8],
    ev_time: F64,
    n_ev: int,
    i: int,
    code: int,
    t: float,
) -> int:
    ev_vid[n_ev] = i
    ev_code[n_ev] = code
    ev_time[n_ev] = t
    return n_ev + 1


@njit(cache=True)
def _heading_error(
    rhx: float, rhy: float, rhz: float, vx: float, vy: float, vz: float,
    ahx: float, ahy: float, ahz: float,
) -> float:  # fmt: skip
    """Heading error (rad, positive: the aim lies to the right), from the velocity's
    horizontal direction to the aim's, in the local (geocentric) east-north plane."""
    rxy = max(math.sqrt(rhx * rhx + rhy * rhy), 1e-12)
    ex, ey = -rhy / rxy, rhx / rxy
    nx, ny, nz = -rhz * ey, rhz * ex, rhx * ey - rhy * ex
    a_e, a_n = ahx * ex + ahy * ey, ahx * nx + ahy * ny + ahz * nz
    v_e, v_n = vx * ex + vy * ey, vx * nx + vy * ny + vz * nz
    return math.atan2(a_e * v_n - a_n * v_e, a_n * v_n + a_e * v_e)


@njit(cache=True)
def _energy_shaping(
    range_to_go: float, rn: float, mu: float, speed: float, ld: float, n_max: float,
    cos_bank_max: float, v_terminal: float,
) -> tuple[float, float]:  # fmt: skip
    """Cosine of the dissipation bank and lift-coefficient ratio ``n`` that scale the
    glide's range, flown from ``speed`` down to ``v_terminal``, to ``range_to_go`` (m).

    The equilibrium-glide range from ``speed`` at ``(L/D)max`` is
    ``(L/D)max (r/2) ln[(g r - v_T^2) / (g r - V^2)]``
    (:func:`tracklayer.threats.glide.analytic_glide_range`); the range of any other glide
    scales with its along-track lift-to-drag ratio ``(L/D)max cos(sigma) 2n / (1 + n^2)``.
    The bank takes the first share, down to ``cos_bank_max``; the polar the rest, on its
    high-alpha branch (``n > 1``, a higher and cooler glide), up to 0.8 ``n_max``. A
    glider short of energy (``range_to_go`` beyond the prediction) flies at ``(L/D)max``.
    """
    g = mu / (rn * rn)
    gr = g * rn
    v2 = min(speed * speed, 0.999 * gr)
    vt2 = v_terminal * v_terminal
    if v2 <= vt2 or range_to_go <= 0.0:
        return 1.0, 1.0
    reach = ld * 0.5 * rn * math.log((gr - vt2) / (gr - v2))
    f = range_to_go / reach
    if f >= 1.0:
        return 1.0, 1.0
    cos_b = max(f, cos_bank_max)
    rest = f / cos_b
    n = 1.0
    if rest < 1.0:
        n = min((1.0 + math.sqrt(1.0 - rest * rest)) / rest, max(0.8 * n_max, 1.0))
    return cos_b, n


@njit(cache=True)
def _corridor_accel(
    rho: float, scale_h: float, speed: float, sin_g: float, hdot: float, g_net: float,
    rn: float,
    ld_eff: float, rho_ref: float, k_h: float, k_hdot: float, hdot_max: float,
) -> float:  # fmt: skip
    """Vertical lift acceleration (m/s^2) that flies the glide corridor's reference density.

    The altitude error ``H ln(rho / rho_ref)`` (``H`` the local scale height, m) sets a
    climb-rate command ``hdot_ref + k_h dh`` within ``hdot_max``; the lift is what holds
    the flight path (``g_net``, gravity less centrifugal relief) plus ``k_hdot`` times the
    climb-rate error. The two loops give ``hddot + k_hdot hdot + k_hdot k_h dh = 0``, a
    damped second-order response in place of the glide's lightly damped phugoid.
    ``hdot_ref = -(2 H / (L/D)) (V / r + g_net / V)`` is the slow descent of the
    equilibrium glide itself (the derivative of its altitude along ``dV/dt = -g_net/(L/D)``).
    """
    if rho > 0.0 and rho_ref > 0.0:
        dh = min(max(scale_h * math.log(rho / rho_ref), -30e3), 30e3)
    else:
        dh = -30e3
    hdot_ref = -2.0 * scale_h / ld_eff * (speed / rn + g_net / speed)
    hdot_cmd = min(max(hdot_ref + k_h * dh, -hdot_max), hdot_max)
    cos_g = math.sqrt(1.0 - sin_g * sin_g)
    return g_net * cos_g + k_hdot * (hdot_cmd - hdot)


@njit(cache=True)
def _corridor_reference(
    to_go: float, rn: float, mu: float, speed: float, g_net: float, ld: float, beta: float,
    n_max: float, cos_bank_max: float, v_terminal: float, rho_cap: float, pullup: bool,
) -> tuple[float, float, float]:  # fmt: skip
    """Reference density (kg/m^3), along-track L/D and dissipation-bank cosine of the
    corridor: the equilibrium glide at the energy-managed ``n`` and bank
    (:func:`_energy_shaping`; none in the pull-up), held below the limits' ``rho_cap``."""
    cos_b, n_ref = _energy_shaping(to_go, rn, mu, speed, ld, n_max, cos_bank_max, v_terminal)
    if pullup:
        cos_b, n_ref = 1.0, 1.0
    rho_eq = 2.0 * beta * g_net / (ld * speed * speed)
    rho_ref = rho_eq / (n_ref * cos_b)
    if rho_ref > rho_cap:
        # Held above the limits' density, the glide needs more lift for the same weight:
        # the bank gives way so that 0.8 n_max still carries it.
        rho_ref = rho_cap
        cos_b = min(max(cos_b, rho_eq / (0.8 * n_max * rho_cap)), 1.0)
        n_ref = rho_eq / (rho_cap * cos_b)
    return rho_ref, ld * cos_b * 2.0 * n_ref / (1.0 + n_ref * n_ref), cos_b


@njit(cache=True)
def _s_turn(
    sign: float, dpsi: float, to_go: float, a_v: float, cos_b: float, gains: F64
) -> tuple[float, float]:
    """Lateral lift (m/s^2) of an S-turn at the dissipation bank ``acos(cos_b)``, and its
    side: reversed whenever the heading error ``dpsi`` (rad) leaves a deadband that narrows
    from ``deadband_max`` to ``deadband_min`` as the range to go falls (m)."""
    frac = min(max(to_go / gains[K_DEADBAND_RANGE], 0.0), 1.0)
    band = gains[K_DEADBAND_MIN] + frac * (gains[K_DEADBAND_MAX] - gains[K_DEADBAND_MIN])
    if sign == 0.0:
        sign = 1.0 if dpsi >= 0.0 else -1.0
    elif sign * dpsi < -band:
        sign = -sign
    return sign * abs(a_v) * math.sqrt(1.0 - cos_b * cos_b) / cos_b, sign


@njit(cache=True)
def _split_lift(
    dive: bool, a_v: float, a_h: float, h_lim: float, a_max: float
) -> tuple[float, float]:
    """Vertical and lateral lift within the polar's maximum ``a_max`` (m/s^2): the glide
    gives the vertical priority and the lateral at most ``h_lim``; the dive shares the lift
    between its two planes in proportion."""
    if dive:
        a_tot = math.sqrt(a_v * a_v + a_h * a_h)
        if a_tot > a_max:
            return a_v * a_max / a_tot, a_h * a_max / a_tot
        return a_v, a_h
    a_v = min(max(a_v, -a_max), a_max)
    h_lim = min(h_lim, math.sqrt(max(a_max * a_max - a_v * a_v, 0.0)))
    return a_v, min(max(a_h, -h_lim), h_lim)


@njit(cache=True)
def _below_horizon(sin_los: float, cos_range: float) -> float:
    """Angle (rad) of the aim below the local horizon, less the half central angle by which
    the Earth's curvature alone lowers a chord (so that only height counts)."""
    return -math.asin(sin_los) - 0.5 * math.acos(min(max(cos_range, -1.0), 1.0))


@njit(cache=True)
def _pullup_done(
    rho: float, beta: float, g_net: float, cos_g: float, ld: float, rho_cap: float,
    scale_h: float, rn: float, speed: float, sin_g: float, surf_rate: float, gains: F64,
) -> bool:  # fmt: skip
    """The pull-up ends once the air is dense enough (six tenths of the equilibrium
    glide's density, or of the limits' ``rho_cap``) and the flight level enough: climbing,
    or descending no faster than the equilibrium glide does."""
    v2 = speed * speed
    if not rho >= 0.6 * min(2.0 * beta * g_net * cos_g / (ld * v2), rho_cap):
        return False
    sin_eq = -2.0 * scale_h / ld * (1.0 / rn + g_net / (speed * speed))
    return sin_g - surf_rate / speed >= min(gains[K_SIN_LEVEL], sin_eq + gains[K_SIN_LEVEL])


@njit(cache=True)
def _dive_accel(
    sin_los: float, los_n: float, speed: float, sin_g: float, cos_g: float, g_net: float,
    dpsi: float, gains: F64,
) -> tuple[float, float]:  # fmt: skip
    """Vertical and lateral acceleration (m/s^2) of the terminal dive: the flight path
    steered onto the line of sight to the aim (``los_n`` m away, ``sin_los`` its sine
    below the local horizontal), the heading onto the aim (error ``dpsi``, rad)."""
    gamma_cmd = math.asin(sin_los)
    # The steering's time constant stays under a third of the time to go.
    k = max(gains[K_DIVE], 3.0 * speed / los_n)
    a_v = g_net * cos_g + k * speed * (gamma_cmd - math.asin(sin_g))
    a_h = max(k, gains[K_PSI]) * speed * cos_g * dpsi
    return a_v, a_h


@njit(cache=True)
def _glide_controls(
    t: float, rx: float, ry: float, rz: float, vx: float, vy: float, vz: float,
    rn: float, rho: float, scale_h: float, surf_rate: float, phase: int, sign: float,
    mu: float, ld: float, beta: float, gp: F64, i: int, gains: F64, weave_t0: float,
) -> tuple[int, float, float, float]:  # fmt: skip
    """New phase, controls ``cs``, ``ss`` (lift-coefficient ratio times the bank's cosine
    and sine) and bank-reversal sign of glider ``i`` at ``r``, ``v``.

    See :mod:`tracklayer.threats.glide` for the guidance laws and their references;
    ``gp`` is the ``gpar`` array, ``scale_h`` the local density scale height (m),
    ``surf_rate`` the rate of change of the ellipsoid's radius under the glider (m/s: the
    climb rate is ``V sin(gamma) - surf_rate``). Ground ranges to the aim point are
    compared through the cosine of the central angle.
    """
    inv_rn = 1.0 / rn
    rhx, rhy, rhz = rx * inv_rn, ry * inv_rn, rz * inv_rn
    speed = max(math.sqrt(vx * vx + vy * vy + vz * vz), 1e-9)
    sin_g = min(max((rhx * vx + rhy * vy + rhz * vz) / speed, -1.0), 1.0)
    cos_g = math.sqrt(1.0 - sin_g * sin_g)
    lift1 = ld * rho * speed * speed / (2.0 * beta)
    g_net = mu * inv_rn * inv_rn - speed * speed * inv_rn
    cos_range = rhx * gp[G_AIM_UX, i] + rhy * gp[G_AIM_UY, i] + rhz * gp[G_AIM_UZ, i]
    n_max = gp[G_N_MAX, i]

    v2 = speed * speed
    rho_cap = LIMIT_MARGIN * min(gp[G_RHO_Q, i] / v2, gp[G_RHO_HEAT, i] / (v2 * v2 * v2))
    new = phase
    if phase == PULLUP and _pullup_done(
        rho, beta, g_net, cos_g, ld, rho_cap, scale_h, rn, speed, sin_g, surf_rate, gains
    ):
        new = GLIDE
    weave = new == GLIDE and cos_range >= gp[G_COS_MANOEUVRE, i] and gp[G_WEAVE_AMP, i] > 0.0
    if weave:
        new = MANOEUVRE
    lx, ly, lz = gp[G_AIM_X, i] - rx, gp[G_AIM_Y, i] - ry, gp[G_AIM_Z, i] - rz
    los_n = math.sqrt(lx * lx + ly * ly + lz * lz)
    sin_los = min(max((lx * rhx + ly * rhy + lz * rhz) / los_n, -1.0), 1.0)
    if (
        cos_range >= gp[G_COS_TERMINAL, i]
        or speed < gains[K_MIN_SPEED]
        or _below_horizon(sin_los, cos_range)
        >= gains[K_DIVE_ANGLE] * min(1.0, (gains[K_DIVE_SPEED] / speed) ** 2)
    ):
        new = TERMINAL

    dpsi = _heading_error(
        rhx, rhy, rhz, vx, vy, vz, gp[G_AIM_UX, i], gp[G_AIM_UY, i], gp[G_AIM_UZ, i]
    )
    a_max = n_max * lift1
    a_turn = gains[K_PSI] * speed * cos_g
    h_lim = a_max
    if new == TERMINAL:
        a_v, a_h = _dive_accel(sin_los, los_n, speed, sin_g, cos_g, g_net, dpsi, gains)
    else:
        aim_r = math.sqrt(gp[G_AIM_X, i] ** 2 + gp[G_AIM_Y, i] ** 2 + gp[G_AIM_Z, i] ** 2)
        to_go = math.acos(min(max(cos_range, -1.0), 1.0)) * aim_r - gp[G_TERMINAL_RANGE, i]
        cos_bank_max = 1.0 if new != GLIDE else math.sqrt(1.0 - gp[G_SIN_TURN, i] ** 2)
        rho_ref, ld_eff, cos_b = _corridor_reference(
            to_go, rn, mu, speed, g_net, ld, beta, n_max, cos_bank_max,
            gp[G_V_TERMINAL, i], rho_cap, new == PULLUP,
        )  # fmt: skip
        a_v = _corridor_accel(
            rho, scale_h, speed, sin_g, speed * sin_g - surf_rate, g_net, rn, ld_eff, rho_ref,
            gains[K_H], gains[K_HDOT], gains[K_HDOT_MAX],
        )  # fmt: skip
        h_lim = gp[G_SIN_TURN, i] * a_max
        if new == MANOEUVRE:
            t0 = t if weave else weave_t0
            w = _TWO_PI * (t - t0) / gp[G_WEAVE_PERIOD, i] + gp[G_WEAVE_PHASE, i]
            dpsi += gp[G_WEAVE_AMP, i] * math.sin(w)
            dpsi = (dpsi + math.pi) % _TWO_PI - math.pi
        if new == GLIDE and cos_b < gains[K_COS_S_TURN]:
            a_h, sign = _s_turn(sign, dpsi, to_go, a_v, cos_b, gains)
            h_lim = a_max
        else:
            a_h = a_turn * dpsi
    a_v, a_h = _split_lift(new == TERMINAL, a_v, a_h, h_lim, a_max)
    if lift1 > 0.0:
        return new, a_v / lift1, a_h / lift1, sign
    return new, (n_max if a_v > 0.0 else -n_max), 0.0, sign


@njit(cache=True)
def _check_limits(rho: float, speed: float, gp: F64, i: int, limits: NDArray[np.int8]) -> int:
    """Set glider ``i``'s limit bits newly exceeded (dynamic pressure ``rho V^2 / 2`` above
    its limit, Sutton-Graves heat flux ``k sqrt(rho / R_n) V^3`` above its limit); return
    the bits newly set."""
    v2 = speed * speed
    bits = 0
    if rho * v2 > gp[G_RHO_Q, i]:
        bits |= LIMIT_Q
    if rho * v2 * v2 * v2 > gp[G_RHO_HEAT, i]:
        bits |= LIMIT_HEAT
    new = bits & ~limits[i]
    limits[i] |= bits
    return new


@njit(cache=True)
def _guide(
    i: int, t: float, rx: float, ry: float, rz: float, vx: float, vy: float, vz: float,
    rn: float, alt: float, rho: float, scale_h: float, surf_rate: float, mu: float,
    stages: F64, veh: F64, gpar: F64, gains: F64,
    phase: NDArray[np.int8], stage: NDArray[np.int8], weave_t0: F64,
    bank_sign: F64, limits: NDArray[np.int8],
    ev_vid: NDArray[np.int64], ev_code: NDArray[np.int8], ev_time: F64, n_ev: int,
) -> tuple[float, float, int]:  # fmt: skip
    """Advance vehicle ``i``'s phase at ``t``, log its events; return ``(cs, ss, n_ev)``.

    Boost -> midcourse -> reentry for a missile; boost -> pullup -> glide -> manoeuvre ->
    terminal for a glider (see :mod:`tracklayer.threats.guidance`). ``rn``, ``alt``,
    ``rho`` and ``scale_h`` are the vehicle's radius, altitude, air density and the
    density's scale height there.
    """
    p = phase[i]
    hgv = gpar[G_IS_HGV, i] != 0.0
    if p == BOOST:
        # Staging: a burning stage burnt out at or before t that the vehicle had not left.
        s_now = 0
        n_stages = 0
        for s in range(stages.shape[1]):
            if stages[S_THRUST, s, i] > 0.0:
                n_stages += 1
                if t >= stages[S_OFF, s, i]:
                    s_now += 1
        if s_now > stage[i]:
            if s_now < n_stages:
                n_ev = _log_event(ev_vid, ev_code, ev_time, n_ev, i, EV_STAGING, t)
            stage[i] = s_now
        sep = veh[V_SEP, i]
        if t >= sep:
            n_ev = _log_event(ev_vid, ev_code, ev_time, n_ev, i, EV_BURNOUT, sep)
            if hgv:
                n_ev = _log_event(ev_vid, ev_code, ev_time, n_ev, i, EV_RELEASE, sep)
                p = PULLUP
            else:
                p = MIDCOURSE
    if p == MIDCOURSE and rx * vx + ry * vy + rz * vz < 0.0 and alt < gains[K_REENTRY_ALT]:
        n_ev = _log_event(ev_vid, ev_code, ev_time, n_ev, i, EV_REENTRY, t)
        p = REENTRY
    cs = 0.0
    ss = 0.0
    if hgv and PULLUP <= p <= TERMINAL:
        new, cs, ss, bank_sign[i] = _glide_controls(
            t, rx, ry, rz, vx, vy, vz, rn, rho, scale_h, surf_rate, p, bank_sign[i], mu,
            veh[V_LD, i], veh[V_BETA, i], gpar, i, gains, weave_t0[i],
        )  # fmt: skip
        if p == PULLUP and new != PULLUP:
            n_ev = _log_event(ev_vid, ev_code, ev_time, n_ev, i, EV_PULLUP_END, t)
        if new == MANOEUVRE and p != MANOEUVRE:
            n_ev = _log_event(ev_vid, ev_code, ev_time, n_ev, i, EV_MANOEUVRE_START, t)
            weave_t0[i] = t
        if new == TERMINAL and p != TERMINAL:
            n_ev = _log_event(ev_vid, ev_code, ev_time, n_ev, i, EV_TERMINAL_START, t)
        p = new
        if p != TERMINAL and rho > 0.0:
            speed = math.sqrt(vx * vx + vy * vy + vz * vz)
            bits = _check_limits(rho, speed, gpar, i, limits)
            if bits & LIMIT_HEAT:
                n_ev = _log_event(ev_vid, ev_code, ev_time, n_ev, i, EV_HEAT_LIMIT, t)
            if bits & LIMIT_Q:
                n_ev = _log_event(ev_vid, ev_code, ev_time, n_ev, i, EV_PRESSURE_LIMIT, t)
    phase[i] = p
    return cs, ss, n_ev


@njit(cache=True)
def _surface_rate(
    rx: float, ry: float, rz: float, vx: float, vy: float, vz: float, rn: float, a: float, b: float
) -> float:
    """Rate (m/s) at which the ellipsoid's geocentric radius ``a b / sqrt(b^2 cos^2 + a^2
    sin^2)`` (of the geocentric latitude) under a moving point changes: its altitude rate
    is ``d|r|/dt`` less this (up to 20 m/s on a hypersonic north-south flight)."""
    if a == b:
        return 0.0
    s = rz / rn
    d = b * b * (1.0 - s * s) + a * a * s * s
    ds_dt = (vz - s * (rx * vx + ry * vy + rz * vz) / rn) / rn
    return -a * b * (a * a - b * b) * s / (d * math.sqrt(d)) * ds_dt


@njit(cache=True)
def scale_height(alt: float, top: float, inv_dz: float, log_rho: F64) -> float:
    """Density scale height ``-1 / (d ln rho / dh)`` (m) of the table cell at ``alt``."""
    if alt >= top:
        return 7000.0
    i = int(min(max(alt, 0.0), top - 1e-6) * inv_dz)
    slope = (log_rho[i + 1] - log_rho[i]) * inv_dz
    return -1.0 / slope if slope < 0.0 else 7000.0


@njit(cache=True)
def _hermite_basis(s: float, h: float) -> tuple[float, float, float, float]:
    """Cubic Hermite weights at fraction ``s`` of a step ``h``: the value is
    ``w0 p0 + w1 d0 + w2 p1 + w3 d1`` between values ``p`` and derivatives ``d``."""
    s2 = s * s
    s3 = s2 * s
    return 2.0 * s3 - 3.0 * s2 + 1.0, h * (s3 - 2.0 * s2 + s), 3.0 * s2 - 2.0 * s3, h * (s3 - s2)


@njit(cache=True)
def fly_batch(  # long: one loop over steps and vehicles; its body as helpers ran 20 % slower
    earth: F64, log_rho: F64, log_p: F64, stages: F64, veh: F64,
    guided: bool, gpar: F64, gains: F64, phase: NDArray[np.int8], stage: NDArray[np.int8],
    weave_t0: F64, bank_sign: F64, limits: NDArray[np.int8],
    r0: F64, v0: F64, tau0: F64, sample_step: float, count: NDArray[np.int64],
    j0: NDArray[np.int64], t_end: F64, breaks: F64,
    h_boost: float, h_max: float, stiff_limit: float,
    pos: F64, vel: F64, phase_out: NDArray[np.int8], filled: NDArray[np.bool_],
    impact_time: F64, impact_pos: F64,
    ev_vid: NDArray[np.int64], ev_code: NDArray[np.int8], ev_time: F64,
    trace_idx: NDArray[np.int64], trace_t: F64, trace_cs: F64, trace_ss: F64,
) -> tuple[int, int]:  # fmt: skip
    """Integrate N vehicles from launch-relative time 0 until impact or ``t_end``.

    See :func:`tracklayer.threats.integrate.fly` for the method. Outputs are written in
    place: samples into ``pos``, ``vel`` ``(3, M)``, ``phase_out``, ``filled`` ``(M,)`` at
    flat index ``(j0 + k) * N + i``; impacts into ``impact_time`` ``(N,)``, ``impact_pos``
    ``(3, N)``; events into the log ``ev_*`` (capacity ``N * (S + 8)``); with ``guided``
    false the vehicles fly with full lift up and no phase logic. For the vehicles
    ``trace_idx``, the step start times and bank controls go into ``trace_t``
    ``(C,)``, ``trace_cs``, ``trace_ss`` ``(C, len(trace_idx))`` while steps fit.

    Each step: guidance for every vehicle still flying (:func:`_guidance_pass`), the
    step size (:func:`_step_size`), then per vehicle one RK4 step, the samples due within
    it by cubic Hermite interpolation, and impact: the first step ending below the surface
    while descending, its time and point interpolated within the step; vehicles that came
    down or reached their end drop out. The per-vehicle body stays in this loop: passed to
    helper functions, its dozens of arrays made the flight 20 % slower.

    Returns the number of events logged and the number of steps taken.
    """
    n = r0.shape[1]
    a_m, b_m, mu = earth[E_A], earth[E_B], earth[E_MU]
    j2, omega = earth[E_J2], earth[E_OMEGA]
    rho_on = earth[E_ATM] != 0.0
    top, inv_dz = earth[E_TOP], earth[E_INV_DZ]
    r = r0.copy()
    v = v0.copy()
    alt = np.empty(n)
    for i in range(n):
        rn = math.sqrt(r[0, i] ** 2 + r[1, i] ** 2 + r[2, i] ** 2)
        alt[i] = _altitude(r[0, i], r[1, i], r[2, i], rn, a_m, b_m)
    next_k = np.zeros(n, np.int64)
    cs = np.ones(n)
    ss = np.zeros(n)
    live = np.arange(n)
    n_live = n
    n_ev = 0
    n_steps = 0
    t = 0.0
    ib = 0
    while n_live > 0:
        boost_end, lam, n_ev = _guidance_pass(
            live, n_live, t, r, v, alt, earth, log_rho, stages, veh, guided, gpar, gains,
            phase, stage, weave_t0, bank_sign, limits, ev_vid, ev_code, ev_time, n_ev, cs, ss,
        )  # fmt: skip
        if n_steps < trace_t.shape[0]:
            trace_t[n_steps] = t
            for q in range(trace_idx.shape[0]):
                trace_cs[n_steps, q] = cs[trace_idx[q]]
                trace_ss[n_steps, q] = ss[trace_idx[q]]
        h, t_next, ib = _step_size(t, boost_end, lam, h_boost, h_max, stiff_limit, breaks, ib)
        tm = t + 0.5 * h
        hh = 0.5 * h
        h6 = h / 6.0
        n_keep = 0
        for q in range(n_live):
            i = live[q]
            boosting = tm < veh[V_SEP, i]
            f = 0.0
            loss = 0.0
            m1 = m2 = m4 = 1.0
            if boosting:
                f, loss = _thrust(stages, i, tm)
                m1 = _mass(stages, veh, i, t, tm)
                m2 = _mass(stages, veh, i, tm, tm)
                m4 = _mass(stages, veh, i, t + h, tm)
            mode = _steering(veh, i, tm)
            alpha = veh[V_ALPHA, i]
            ca, sa = math.cos(alpha), math.sin(alpha)
            kx, ky, kz = veh[V_KICK_X, i], veh[V_KICK_Y, i], veh[V_KICK_Z, i]
            cda, beta, ld = veh[V_CDA, i], veh[V_BETA, i], veh[V_LD, i]
            ci, si = cs[i], ss[i]
            rx, ry, rz = r[0, i], r[1, i], r[2, i]
            vx, vy, vz = v[0, i], v[1, i], v[2, i]
            a1x, a1y, a1z = _accel(
                rx, ry, rz, vx, vy, vz,
                a_m, b_m, mu, j2, omega, rho_on, top, inv_dz, log_rho, log_p,
                boosting, m1, f, loss, mode, kx, ky, kz, ca, sa, cda, beta, ld, ci, si,
            )  # fmt: skip
            v2x, v2y, v2z = vx + hh * a1x, vy + hh * a1y, vz + hh * a1z
            a2x, a2y, a2z = _accel(
                rx + hh * vx, ry + hh * vy, rz + hh * vz, v2x, v2y, v2z,
                a_m, b_m, mu, j2, omega, rho_on, top, inv_dz, log_rho, log_p,
                boosting, m2, f, loss, mode, kx, ky, kz, ca, sa, cda, beta, ld, ci, si,
            )  # fmt: skip
            v3x, v3y, v3z = vx + hh * a2x, vy + hh * a2y, vz + hh * a2z
            a3x, a3y, a3z = _accel(
                rx + hh * v2x, ry + hh * v2y, rz + hh * v2z, v3x, v3y, v3z,
                a_m, b_m, mu, j2, omega, rho_on, top, inv_dz, log_rho, log_p,
                boosting, m2, f, loss, mode, kx, ky, kz, ca, sa, cda, beta, ld, ci, si,
            )  # fmt: skip
            v4x, v4y, v4z = vx + h * a3x, vy + h * a3y, vz + h * a3z
            a4x, a4y, a4z = _accel(
                rx + h * v3x, ry + h * v3y, rz + h * v3z, v4x, v4y, v4z,
                a_m, b_m, mu, j2, omega, rho_on, top, inv_dz, log_rho, log_p,
                boosting, m4, f, loss, mode, kx, ky, kz, ca, sa, cda, beta, ld, ci, si,
            )  # fmt: skip
            nrx = rx + h6 * (vx + 2.0 * (v2x + v3x) + v4x)
            nry = ry + h6 * (vy + 2.0 * (v2y + v3y) + v4y)
            nrz = rz + h6 * (vz + 2.0 * (v2z + v3z) + v4z)
            nvx = vx + h6 * (a1x + 2.0 * (a2x + a3x) + a4x)
            nvy = vy + h6 * (a1y + 2.0 * (a2y + a3y) + a4y)
            nvz = vz + h6 * (a1z + 2.0 * (a2z + a3z) + a4z)
            rn_new = math.sqrt(nrx * nrx + nry * nry + nrz * nrz)
            alt_new = _altitude(nrx, nry, nrz, rn_new, a_m, b_m)
            # Impact: the first step ending below the surface while descending, its time
            # and point interpolated within the step.
            hit = alt_new < 0.0 and nrx * nvx + nry * nvy + nrz * nvz < 0.0
            s_hit = 1.0
            t_stop = math.inf
            if hit:
                s_hit = min(max(alt[i] / (alt[i] - alt_new), 0.0), 1.0)
                t_stop = t + s_hit * h
            # Samples due within the step, by cubic Hermite interpolation.
            k = next_k[i]
            ph = phase[i]
            while k < count[i]:
                tau = tau0[i] + k * sample_step
                if not (tau < t + h and tau <= t_stop):
                    break
                w0, w1, w2, w3 = _hermite_basis((tau - t) / h, h)
                flat = (j0[i] + k) * n + i
                pos[0, flat] = w0 * rx + w1 * vx + w2 * nrx + w3 * nvx
                pos[1, flat] = w0 * ry + w1 * vy + w2 * nry + w3 * nvy
                pos[2, flat] = w0 * rz + w1 * vz + w2 * nrz + w3 * nvz
                vel[0, flat] = w0 * vx + w1 * a1x + w2 * nvx + w3 * a4x
                vel[1, flat] = w0 * vy + w1 * a1y + w2 * nvy + w3 * a4y
                vel[2, flat] = w0 * vz + w1 * a1z + w2 * nvz + w3 * a4z
                phase_out[flat] = ph
                filled[flat] = True
                k += 1
            next_k[i] = k
            if hit:
                impact_time[i] = t_stop
                w0, w1, w2, w3 = _hermite_basis(s_hit, h)
                impact_pos[0, i] = w0 * rx + w1 * vx + w2 * nrx + w3 * nvx
                impact_pos[1, i] = w0 * ry + w1 * vy + w2 * nry + w3 * nvy
                impact_pos[2, i] = w0 * rz + w1 * vz + w2 * nrz + w3 * nvz
                n_ev = _log_event(ev_vid, ev_code, ev_time, n_ev, i, EV_IMPACT, t_stop)
            r[0, i], r[1, i], r[2, i] = nrx, nry, nrz
            v[0, i], v[1, i], v[2, i] = nvx, nvy, nvz
            alt[i] = alt_new
            if hit or t_next >= t_end[i]:
                phase[i] = DONE
            else:
                live[n_keep] = i
                n_keep += 1
        n_live = n_keep
        t = t_next
        n_steps += 1
    if n_steps < trace_t.shape[0]:
        trace_t[n_steps] = t
    return n_ev, n_steps


@njit(cache=True)
def _guidance_pass(
    live: NDArray[np.int64], n_live: int, t: float, r: F64, v: F64, alt: F64, earth: F64,
    log_rho: F64, stages: F64, veh: F64, guided: bool, gpar: F64, gains: F64,
    phase: NDArray[np.int8], stage: NDArray[np.int8], weave_t0: F64, bank_sign: F64,
    limits: NDArray[np.int8], ev_vid: NDArray[np.int64], ev_code: NDArray[np.int8],
    ev_time: F64, n_ev: int, cs: F64, ss: F64,
) -> tuple[float, float, int]:  # fmt: skip
    """Guidance of the ``n_live`` vehicles ``live`` at ``t`` (bank controls into ``cs``,
    ``ss``, held over the step; phases and events by :func:`_guide`); return the latest
    separation time, the largest drag stiffness ``rho V / beta`` (1/s) and ``n_ev``."""
    a_m, b_m, mu = earth[E_A], earth[E_B], earth[E_MU]
    rho_on = earth[E_ATM] != 0.0
    top, inv_dz = earth[E_TOP], earth[E_INV_DZ]
    boost_end = 0.0
    lam = 0.0
    for q in range(n_live):
        i = live[q]
        rx, ry, rz = r[0, i], r[1, i], r[2, i]
        vx, vy, vz = v[0, i], v[1, i], v[2, i]
        rn = math.sqrt(rx * rx + ry * ry + rz * rz)
        rho = density_at(alt[i], top, inv_dz, log_rho) if rho_on else 0.0
        if guided:
            scale_h = scale_height(alt[i], top, inv_dz, log_rho) if rho_on else 7000.0
            surf = _surface_rate(rx, ry, rz, vx, vy, vz, rn, a_m, b_m)
            cs[i], ss[i], n_ev = _guide(
                i, t, rx, ry, rz, vx, vy, vz, rn, alt[i], rho, scale_h, surf, mu, stages, veh,
                gpar, gains, phase, stage, weave_t0, bank_sign, limits,
                ev_vid, ev_code, ev_time, n_ev,
            )  # fmt: skip
        sep = veh[V_SEP, i]
        boost_end = max(boost_end, sep)
        if rho > 0.0:
            beta = veh[V_BETA, i]
            if t < sep:
                beta = _mass(stages, veh, i, t, t) / veh[V_CDA, i]
            lam = max(lam, rho * math.sqrt(vx * vx + vy * vy + vz * vz) / beta)
    return boost_end, lam, n_ev


@njit(cache=True)
def _step_size(
    t: float, boost_end: float, lam: float, h_boost: float, h_max: float, stiff_limit: float,
    breaks: F64, ib: int,
) -> tuple[float, float, int]:  # fmt: skip
    """The step ``h`` from ``t`` (s), the time it ends at and the next break's index.

    ``h_boost`` while any vehicle boosts, shrunk where drag is stiff (``lam h`` within
    ``stiff_limit``), and ending exactly on staging and steering switches ``breaks`` (the
    next one at or after index ``ib``), so that RK4 never straddles one.
    """
    nb = breaks.shape[0]
    h = h_boost if t < boost_end else h_max
    if lam * h > stiff_limit:
        h = stiff_limit / lam
    while ib < nb and breaks[ib] <= t + 1e-9:
        ib += 1
    if ib < nb and breaks[ib] < t + h:
        h = breaks[ib] - t
    t_next = t + h
    if ib < nb and abs(t + h - breaks[ib]) <= 1e-9:
        t_next = breaks[ib]
    return h, t_next, ib
