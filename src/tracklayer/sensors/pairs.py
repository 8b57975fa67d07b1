"""Which sensor sees which target when: the satellite × threat × time pairs in view.

All N × M × T pairs are never tested exactly. Time is cut into blocks; in each block every
satellite and every threat gets a reference direction from the Earth's centre and the largest
angle its position strays from it during the block. A pair can only be in view if the
Earth-central angle between the references is at most

    arccos((b + g) / r_s,max) + arccos((b + g_min) / r_t,max) + δ_s + δ_t

(the horizons of the sphere of radius b + g, b the WGS84 polar radius and g the payload's
grazing altitude, which lies inside the grazing shell ``(a + g, b + g)`` and so blocks no line
that shell leaves clear; g_min, the lowest grazing altitude of all payloads, on the target's
side keeps that term per target; plus the strays δ; the triangle inequality on the sphere
makes this a bound). A target below that sphere is seen only if the line from it rises all
the way to the sensor, i.e. within ``arccos(r_t,min / r_s,max)``; the larger of the two bounds
counts, plus a 1° margin for the ellipsoid (see ``_MARGIN_RAD``). A test checks the culled
result against the exact test on every pair. That coarse test costs N × M per block; the exact
test of :func:`tracklayer.sensors.geometry.visible` then runs only on the survivors, so the
cost grows with the pairs in view, not with all pairs.

Lines of sight end on the target's *apparent* position ``x - v ρ / c`` (first-order light
time, ρ the range): at geostationary range the light time is 0.13 s, over which a glide
vehicle moves a kilometre, i.e. 30 µrad as seen from GEO.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tracklayer.constants import SPEED_OF_LIGHT_M_S, WGS84_B_M
from tracklayer.sensors.geometry import VisibilityConstraints, line_of_sight, visible

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

__all__ = ["PairRows", "visible_pairs"]

#: Time steps per culling block: long enough that the N × M coarse test is cheap, short
#: enough that satellites (7.5 km/s, 4° a minute in LEO) stray little.
DEFAULT_BLOCK_STEPS = 30

#: Slack on the coarse bound for what the spherical argument leaves out: the ellipsoid's
#: z scaling of the grazing shell and the field of regard's WGS84 limb (both under 0.5°).
_MARGIN_RAD = 0.0175


@dataclass(frozen=True)
class PairRows:
    """Sensor-target pairs in view, one row per (sensor, target, time index).

    Attributes
    ----------
    sensor, target, time_index : ndarray of int64, shape (n,)
    sensor_pos : ndarray, shape (n, 3)
        Sensor ECEF positions, m.
    target_pos : ndarray, shape (n, 3)
        Apparent target ECEF positions (light-time corrected when asked), m.
    los : ndarray, shape (n, 3)
        Unit lines of sight, sensor to apparent target.
    range_m : ndarray, shape (n,)
    n_coarse : int
        Pair-times that passed the coarse test (the cost driver), for benchmarks.
    """

    sensor: IntArray
    target: IntArray
    time_index: IntArray
    sensor_pos: FloatArray
    target_pos: FloatArray
    los: FloatArray
    range_m: FloatArray
    n_coarse: int

    def __len__(self) -> int:
        return int(self.sensor.shape[0])

    def take(self, index: NDArray[np.intp] | BoolArray) -> PairRows:
        """The rows picked by a mask or index array."""
        return PairRows(
            sensor=self.sensor[index],
            target=self.target[index],
            time_index=self.time_index[index],
            sensor_pos=self.sensor_pos[index],
            target_pos=self.target_pos[index],
            los=self.los[index],
            range_m=self.range_m[index],
            n_coarse=self.n_coarse,
        )


def _reference(pos: FloatArray, ok: BoolArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    # pos (K, B, 3), ok (K, B): reference unit direction, angular stray, largest radius.
    r = np.linalg.norm(pos, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where(ok[..., None], pos / r[..., None], 0.0)
    ref = u.sum(axis=1)
    norm = np.linalg.norm(ref, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ref = ref / norm[:, None]
    cos_dev = np.where(ok, np.einsum("kbi,ki->kb", u, np.nan_to_num(ref)), 1.0)
    stray = np.arccos(np.clip(cos_dev.min(axis=1), -1.0, 1.0))
    r_max = np.where(ok, r, 0.0).max(axis=1)
    return np.nan_to_num(ref), stray, r_max


def visible_pairs(
    sensor_pos: FloatArray,
    sensor_ok: BoolArray,
    target_pos: FloatArray,
    target_vel: FloatArray,
    target_ok: BoolArray,
    constraints: Sequence[VisibilityConstraints],
    constraint_of: IntArray,
    *,
    light_time: bool = True,
    block_steps: int = DEFAULT_BLOCK_STEPS,
) -> PairRows:
    """All (sensor, target, time) triples where the target is in view.

    Parameters
    ----------
    sensor_pos
        Sensor ECEF positions, m, shape ``(N, T, 3)``.
    sensor_ok
        Where each sensor looks (valid ephemeris and a frame at that time), shape ``(N, T)``.
    target_pos, target_vel
        Target ECEF positions (m) and velocities (m/s), shape ``(M, T, 3)``.
    target_ok
        Where each target exists, shape ``(M, T)``.
    constraints
        The payloads' visibility constraints.
    constraint_of
        Index into ``constraints`` of each sensor, shape ``(N,)``.
    light_time
        End the lines of sight on the light-time-corrected apparent target position.
    block_steps
        Time steps per culling block.

    Returns
    -------
    PairRows
        Rows in block order, then sensor, target and time.
    """
    s_idx, t_idx, k_idx, n_coarse = _candidates(
        sensor_pos, sensor_ok, target_pos, target_ok, constraints, constraint_of, block_steps
    )
    sp = sensor_pos[s_idx, k_idx]
    tp = target_pos[t_idx, k_idx]
    if light_time:
        _, rho = line_of_sight(sp, tp)
        tp = tp - target_vel[t_idx, k_idx] * (rho / SPEED_OF_LIGHT_M_S)[:, None]
    ok = np.zeros(s_idx.size, dtype=bool)
    payload = constraint_of[s_idx]
    for p, c in enumerate(constraints):
        sel = np.flatnonzero(payload == p)
        if sel.size:
            ok[sel] = visible(sp[sel], tp[sel], c)
    los, rng = line_of_sight(sp[ok], tp[ok])
    return PairRows(
        sensor=s_idx[ok],
        target=t_idx[ok],
        time_index=k_idx[ok],
        sensor_pos=sp[ok],
        target_pos=tp[ok],
        los=los,
        range_m=rng,
        n_coarse=n_coarse,
    )


def _candidates(
    sensor_pos: FloatArray,
    sensor_ok: BoolArray,
    target_pos: FloatArray,
    target_ok: BoolArray,
    constraints: Sequence[VisibilityConstraints],
    constraint_of: IntArray,
    block_steps: int,
) -> tuple[IntArray, IntArray, IntArray, int]:
    """Sensor, target and time indices of the triples no block's cull rules out (both
    ends valid), in block order, and their count (arguments as :func:`visible_pairs`)."""
    grazing = np.array([c.grazing_altitude_m for c in constraints] or [0.0])
    parts: list[tuple[IntArray, IntArray, IntArray]] = []
    for k0 in range(0, sensor_ok.shape[1], block_steps):
        k1 = min(sensor_ok.shape[1], k0 + block_steps)
        pairs = _block_pairs(
            sensor_pos, sensor_ok, target_pos, target_ok, grazing, constraint_of, k0, k1
        )
        if pairs is None:
            continue
        si, ti = pairs
        steps = np.arange(k0, k1)
        ss = np.repeat(si, steps.size)
        tt = np.repeat(ti, steps.size)
        kk = np.tile(steps, si.size)
        keep = sensor_ok[ss, kk] & target_ok[tt, kk]
        parts.append((ss[keep], tt[keep], kk[keep]))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, 0
    s_idx = np.concatenate([p[0] for p in parts]).astype(np.int64)
    t_idx = np.concatenate([p[1] for p in parts]).astype(np.int64)
    k_idx = np.concatenate([p[2] for p in parts]).astype(np.int64)
    return s_idx, t_idx, k_idx, int(s_idx.size)


def _block_pairs(
    sensor_pos: FloatArray,
    sensor_ok: BoolArray,
    target_pos: FloatArray,
    target_ok: BoolArray,
    grazing: FloatArray,
    constraint_of: IntArray,
    k0: int,
    k1: int,
) -> tuple[IntArray, IntArray] | None:
    """Sensor and target indices whose central angle over steps ``k0:k1`` stays within
    reach of each other (the coarse cull), or None when either side is absent there.

    ``grazing`` holds each payload's grazing altitude (m); the bound is the two ends'
    horizon reach over the lowest shell plus how far each strays from its reference
    direction within the block.
    """
    s_ok = sensor_ok[:, k0:k1]
    t_ok = target_ok[:, k0:k1]
    s_any = np.flatnonzero(s_ok.any(axis=1))
    t_any = np.flatnonzero(t_ok.any(axis=1))
    if s_any.size == 0 or t_any.size == 0:
        return None
    shell_min = WGS84_B_M + float(grazing.min())
    s_ref, s_stray, s_r = _reference(sensor_pos[s_any, k0:k1], s_ok[s_any])
    t_ref, t_stray, t_r = _reference(target_pos[t_any, k0:k1], t_ok[t_any])
    shell_s = WGS84_B_M + grazing[constraint_of[s_any]]
    reach_s = np.arccos(np.clip(shell_s / s_r, -1.0, 1.0)) + s_stray
    reach_t = np.arccos(np.clip(shell_min / t_r, -1.0, 1.0)) + t_stray
    t_rmin = np.where(t_ok[t_any], np.linalg.norm(target_pos[t_any, k0:k1], axis=-1), np.inf)
    low = np.arccos(np.clip(t_rmin.min(axis=1)[None, :] / s_r[:, None], -1.0, 1.0))
    bound = np.maximum(reach_s[:, None] + reach_t[None, :], low + s_stray[:, None])
    central = np.arccos(np.clip(s_ref @ t_ref.T, -1.0, 1.0))
    si, ti = np.nonzero(central <= bound + t_stray[None, :] + _MARGIN_RAD)
    return s_any[si], t_any[ti]
