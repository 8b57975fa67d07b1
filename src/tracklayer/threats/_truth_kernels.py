"""Compiled per-row kernels of the ``truth`` table (numba): geodetic coordinates and signatures.

:mod:`tracklayer.threats.flyout` and :mod:`tracklayer.threats.signature` hold the method
and its references; this module is the per-row implementation, one pass over the sampled
rows with scalars (a 10,000-vehicle raid has tens of millions of rows, where a dozen numpy
temporaries per column cost more than the flight):

* :func:`geodetic_batch`: Bowring's geodetic latitude, longitude and height.
* :func:`heated_batch`: in-band intensity of aerodynamically heated bodies.
* :func:`truth_rows`: every derived column of the sampled rows of a flight.

The scalar heat flux and wall temperature mirror
:func:`~tracklayer.threats.signature.stagnation_heat_flux` and
:func:`~tracklayer.threats.signature.wall_temperature`; band radiance interpolates the same
tables as :func:`~tracklayer.threats.signature.band_radiance` (log radiance, linear in log
temperature on a grid uniform in log temperature).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from tracklayer.threats._flight_kernels import density_at

F64 = NDArray[np.float64]

#: Columns of the ``body`` parameter array ``(5, N)``.
B_NOSE_RADIUS, B_EMISSIVITY, B_AREA, B_HEATING_FRACTION, B_COLD_T = range(5)
B_SIZE = 5
#: Columns of the derived-column output ``(9, R)``.
C_X, C_Y, C_Z, C_VX, C_VY, C_VZ, C_LAT, C_LON, C_ALT = range(9)
C_SIZE = 9


@njit(cache=True)
def _geodetic(x: float, y: float, z: float, a: float, b: float) -> tuple[float, float, float]:
    """Latitude, longitude (rad) and height (m); spherical when ``a == b`` (geocentric).

    WGS84: Bowring's method with two refinements (Bowring 1976, Survey Review 23(181)),
    with the parametric latitude ``beta`` carried as its (cos, sin) pair:
    ``tan(beta) = (a z) / (b p)``, then ``tan(lat) = (z + e'^2 b sin^3 beta) /
    (p - e^2 a cos^3 beta)`` and ``tan(beta) = (b / a) tan(lat)``.
    """
    lon = math.atan2(y, x)
    p = math.sqrt(x * x + y * y)
    if a == b:
        return math.atan2(z, p), lon, math.sqrt(p * p + z * z) - a
    e2 = 1.0 - (b / a) ** 2
    ep2 = (a * a - b * b) / (b * b)
    cb, sb = b * p, a * z
    num = den = 0.0
    for _ in range(2):
        inv = 1.0 / math.sqrt(cb * cb + sb * sb)
        cb, sb = cb * inv, sb * inv
        num = z + ep2 * b * sb * sb * sb
        den = p - e2 * a * cb * cb * cb
        cb, sb = a * den, b * num
    lat = math.atan2(num, den)
    inv = 1.0 / math.sqrt(num * num + den * den)
    sl, cl = num * inv, den * inv
    n = a / math.sqrt(1.0 - e2 * sl * sl)
    h = p / cl - n if abs(cl) > 1e-8 else abs(z) - b
    return lat, lon, h


@njit(cache=True, nogil=True)
def geodetic_batch(r: F64, a: float, b: float, out: F64) -> None:
    """Geodetic ``(lat, lon, h)`` into ``out`` ``(3, M)`` for ECEF points ``r`` ``(3, M)``."""
    for j in range(r.shape[1]):
        out[0, j], out[1, j], out[2, j] = _geodetic(r[0, j], r[1, j], r[2, j], a, b)


@njit(cache=True)
def _wall_log_temperatures(
    rho: float,
    speed: float,
    nose_radius: float,
    emissivity: float,
    heating_fraction: float,
    cold_t: float,
    sutton_graves: float,
    sigma: float,
) -> tuple[float, float]:
    """Log of the nose and body radiative-equilibrium wall temperatures (K), from the
    Sutton-Graves stagnation heat flux; see :mod:`tracklayer.threats.signature`."""
    q = sutton_graves * math.sqrt(rho / nose_radius) * speed * speed * speed
    tc2 = cold_t * cold_t
    tc4 = tc2 * tc2
    es = emissivity * sigma
    return (
        0.25 * math.log(q / es + tc4),
        0.25 * math.log(heating_fraction * q / es + tc4),
    )


@njit(cache=True)
def _band_radiance(log_t: float, tables: F64, band: int, log_t0: float, inv_dlog: float) -> float:
    """Band radiance (W/(m^2 sr)) at temperature ``exp(log_t)`` from band ``band``'s
    log-radiance table on a grid uniform in log temperature (clamped at its ends)."""
    last = tables.shape[1] - 1
    u = min(max((log_t - log_t0) * inv_dlog, 0.0), float(last))
    i = min(int(u), last - 1)
    w = u - i
    return math.exp(tables[band, i] + w * (tables[band, i + 1] - tables[band, i]))


@njit(cache=True)
def _heated(
    log_t_nose: float,
    log_t_body: float,
    tables: F64,
    band: int,
    log_t0: float,
    inv_dlog: float,
    nose_radius: float,
    emissivity: float,
    area: float,
) -> float:
    """In-band intensity (W/sr): nose cap (``pi R_n^2``, at most the visible area) at the
    nose temperature, the rest of the visible area at the body temperature."""
    a_nose = min(math.pi * nose_radius * nose_radius, area)
    return emissivity * (
        a_nose * _band_radiance(log_t_nose, tables, band, log_t0, inv_dlog)
        + (area - a_nose) * _band_radiance(log_t_body, tables, band, log_t0, inv_dlog)
    )


@njit(cache=True, nogil=True)
def heated_batch(
    rho: F64,
    speed: F64,
    tables: F64,
    band: int,
    grid: F64,
    body: F64,
    consts: F64,
    out: F64,
) -> None:
    """Heated-body intensity ``out`` ``(M,)`` in band ``band`` of ``tables`` ``(B, K)`` for
    densities and speeds ``(M,)`` and body parameters ``body`` ``(5, M)``; ``grid`` is
    ``(log T0, 1 / d log T)``, ``consts`` the Sutton-Graves and Stefan-Boltzmann constants."""
    for j in range(rho.shape[0]):
        lt_nose, lt_body = _wall_log_temperatures(
            rho[j], speed[j], body[B_NOSE_RADIUS, j], body[B_EMISSIVITY, j],
            body[B_HEATING_FRACTION, j], body[B_COLD_T, j], consts[0], consts[1],
        )  # fmt: skip
        out[j] = _heated(
            lt_nose, lt_body, tables, band, grid[0], grid[1],
            body[B_NOSE_RADIUS, j], body[B_EMISSIVITY, j], body[B_AREA, j],
        )  # fmt: skip


@njit(cache=True)
def _burning_stage(stage_on: F64, stage_off: F64, i: int, tau: float) -> int:
    """The last stage of vehicle ``i`` burning at launch-relative ``tau`` (s), or -1."""
    stage = -1
    for s in range(stage_on.shape[0]):
        if stage_on[s, i] <= tau < stage_off[s, i]:
            stage = s
    return stage


@njit(cache=True, nogil=True)
def truth_rows(
    row_lo: int, row_hi: int, out0: int,
    filled: NDArray[np.bool_], pos: F64, vel: F64, phase: NDArray[np.int8],
    j0: NDArray[np.int64], tau0: F64, step: float, launch_time: F64, epoch_ns: int,
    earth: F64, log_rho: F64, stage_on: F64, stage_off: F64, plume: F64, body: F64,
    tables: F64, grid: F64, consts: F64,
    vid_out: NDArray[np.int32], time_out: NDArray[np.int64], phase_out: NDArray[np.int8],
    cols: F64, inten: F64,
) -> None:  # fmt: skip
    """Every derived column of the filled samples ``row_lo <= row < row_hi`` of a flight of
    N vehicles, in row order, written from output index ``out0`` on (chunks of rows run
    in parallel threads: the kernel releases the GIL).

    ``filled``, ``phase`` ``(M,)`` and ``pos``, ``vel`` ``(3, M)`` are the flight's flat
    time-major samples (row ``j * N + i``: grid row ``j``, vehicle ``i``); the outputs have
    one entry per filled sample: vehicle, time (ns since the Unix epoch), phase, the
    columns ``C_*`` ``(9, R)`` and the intensity per band ``(B, R)`` (the stage's plume
    ``plume`` ``(B, S, N)`` while a stage burns, else the heated body). ``earth`` holds
    ``(a, b, rho_on, top, 1/dz)``; ``tables`` ``(B, K)`` the bands' log-radiance tables.
    """
    n = j0.shape[0]
    a, b = earth[0], earth[1]
    rho_on = earth[2] != 0.0
    top, inv_dz = earth[3], earth[4]
    n_bands = tables.shape[0]
    out = out0
    for row in range(row_lo, row_hi):
        if not filled[row]:
            continue
        i = row % n
        k = row // n - j0[i]
        tau = tau0[i] + k * step
        vid_out[out] = i
        time_out[out] = epoch_ns + round((launch_time[i] + tau) * 1e9)
        phase_out[out] = phase[row]
        x, y, z = pos[0, row], pos[1, row], pos[2, row]
        vx, vy, vz = vel[0, row], vel[1, row], vel[2, row]
        lat, lon, h = _geodetic(x, y, z, a, b)
        cols[C_X, out], cols[C_Y, out], cols[C_Z, out] = x, y, z
        cols[C_VX, out], cols[C_VY, out], cols[C_VZ, out] = vx, vy, vz
        cols[C_LAT, out], cols[C_LON, out], cols[C_ALT, out] = lat, lon, h
        stage = _burning_stage(stage_on, stage_off, i, tau)
        if stage >= 0:
            for bnd in range(n_bands):
                inten[bnd, out] = plume[bnd, stage, i]
        else:
            rho = density_at(h, top, inv_dz, log_rho) if rho_on else 0.0
            speed = math.sqrt(vx * vx + vy * vy + vz * vz)
            lt_nose, lt_body = _wall_log_temperatures(
                rho, speed, body[B_NOSE_RADIUS, i], body[B_EMISSIVITY, i],
                body[B_HEATING_FRACTION, i], body[B_COLD_T, i], consts[0], consts[1],
            )  # fmt: skip
            for bnd in range(n_bands):
                inten[bnd, out] = _heated(
                    lt_nose, lt_body, tables, bnd, grid[0], grid[1],
                    body[B_NOSE_RADIUS, i], body[B_EMISSIVITY, i], body[B_AREA, i],
                )  # fmt: skip
        out += 1
