"""Space-based infrared payloads: from satellites and threats to detections.

The chain, all vectorized over the (satellite, threat, frame) rows in view:

1. **Frames.** A staring or high-orbit sensor covers its field of regard once per revisit
   (the longer of ``revisit_s`` and its step-stare time, :mod:`tracklayer.sensors.focalplane`;
   the first grid time of each revisit slot; a grid coarser than the revisit gives one frame
   per step). A cued sensor takes frames only while dwelling on a threat
   (:mod:`tracklayer.sensors.tasking`), over its narrow field of view about that threat.
2. **Geometry.** Pairs in view come from :func:`tracklayer.sensors.pairs.visible_pairs`
   (coarse Earth-central-angle cull, then the exact test of
   :func:`tracklayer.sensors.geometry.visible`).
3. **Signal.** Irradiance ``I τ / R²`` with the band transmission of the launch's model
   atmosphere (zero below its cloud top or near the Sun), against the background behind the
   target (Earth by day or night, limb, space) and the clutter it leaks
   (:mod:`tracklayer.sensors.phenomenology`); the sensor's noise-equivalent irradiance from
   its design with that background in the pixel (:mod:`tracklayer.sensors.payload_arrays`),
   infinite where the background fills the well (the pixel is blind).
4. **Closely spaced objects** closer than the resolution merge into one
   (:mod:`tracklayer.sensors.csos`).
5. **Detection.** The measured irradiance is the true one plus Gaussian noise of the sensor
   and the clutter; a detection is reported where it reaches ``T NEI``, which gives
   ``Pd = Q((T NEI - E) / σ)`` (``Q(T - SNR)`` without clutter).
6. **Measurement.** The line of sight gets Gaussian noise per axis normal to it, the
   centroid's error at the measured SNR plus the pointing error
   (:mod:`tracklayer.sensors.centroid`); the reported sensor position gets the ephemeris
   error (one draw per frame, shared by that frame's detections).
7. **False alarms.** ``Poisson(Pfa × pixels searched)`` per revisit with ``Pfa = Q(T NEI / σ)``
   from the same threshold and noise: the clutter of the frame's look-down pixels (the mean
   scene at its sub-satellite point, by day or night) on the Earth disc's share of the
   pixels, the sensor's noise alone (``Q(T)``) on the rest; uniform in solid angle over the
   field of regard (cone about nadir, or the annulus above the limb of a payload blind
   against the Earth) or the cued field of view; their SNRs follow the Gaussian tail above
   the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri

from tracklayer.constants import WGS84_A_M
from tracklayer.sensors.background import scene_behind
from tracklayer.sensors.csos import close_target_pairs, merge_closely_spaced
from tracklayer.sensors.measurements import Measurements
from tracklayer.sensors.noise import perturb_directions, random_directions_in_cone
from tracklayer.sensors.pairs import PairRows, visible_pairs
from tracklayer.sensors.payload_arrays import Payload, PayloadArrays, payload_revisits
from tracklayer.sensors.phenomenology import (
    SceneSetting,
    detect_fixed_threshold,
    false_alarm_probability,
    frame_clutter,
    row_scene,
)
from tracklayer.sensors.signal import irradiance
from tracklayer.sensors.targets import TargetStates
from tracklayer.sensors.tasking import schedule_cued
from tracklayer.solar import solar_zenith_cos

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

__all__ = ["InfraredRun", "frame_steps", "infrared_detections"]

#: More false alarms than this in one frame of one payload is an error (see _refuse_flooded).
_MAX_FALSE_ALARMS_PER_FRAME = 1e5
#: More false alarms than this in one run is refused (the clutter swamps the threshold).
MAX_FALSE_ALARMS = 2e7


@dataclass(frozen=True)
class InfraredRun:
    """The detections of every infrared payload, and counts that explain their cost.

    Attributes
    ----------
    measurements : Measurements
        Detections (targets and false alarms), sensor index = satellite index.
    pairs_coarse : int
        Satellite-threat-frame triples that passed the coarse cull.
    pairs_in_view : int
        Triples in view after the exact geometry (cued sensors: before the field of view).
    frames : int
        Frames taken.
    """

    measurements: Measurements
    pairs_coarse: int
    pairs_in_view: int
    frames: int


def frame_steps(seconds: FloatArray, revisit_s: float) -> BoolArray:
    """Time steps that start a frame: the first grid time of each ``revisit_s`` slot.

    Slots count from the first grid time, so a 1 s grid with ``revisit_s = 10`` gives frames
    at 0, 10, 20... s, and a revisit shorter than the grid step gives a frame every step.
    """
    if seconds.size == 0:
        return np.zeros(0, dtype=bool)
    slot = np.floor((seconds - seconds[0]) / revisit_s + 1e-9)
    return np.concatenate([[True], np.diff(slot) > 0])


def infrared_detections(
    sensor_pos: FloatArray,
    sensor_valid: BoolArray,
    seconds: FloatArray,
    targets: TargetStates,
    payloads: Sequence[Payload],
    payload_of: IntArray,
    bands: Mapping[str, tuple[float, float]],
    rng: np.random.Generator,
    *,
    light_time: bool = True,
    setting: SceneSetting | None = None,
) -> InfraredRun:
    """Detections of N satellites' infrared payloads against M threats at T times.

    Parameters
    ----------
    sensor_pos
        Satellite ECEF positions, m, shape ``(N, T, 3)``.
    sensor_valid
        Valid ephemeris, shape ``(N, T)``.
    seconds
        Time grid, s since the epoch, shape ``(T,)``.
    targets
        Threats on the same grid.
    payloads
        ``(constraints, parameters)`` of each payload.
    payload_of
        Payload index of each satellite, -1 for a satellite without an infrared payload.
    bands
        Band name -> [low, high] µm (for the diffraction blur).
    rng
        Random generator (all draws come from it, in a fixed order).
    light_time
        Light-time-corrected lines of sight.
    setting
        The run's atmosphere, clouds and Sun (:func:`tracklayer.sensors.phenomenology.
        scene_setting`); None: US Standard 1976 air, clear sky, night everywhere.
    """
    if setting is None:
        setting = _night_in_clear_standard_air(targets.n_objects, sensor_valid.shape[1])
    pa_ = PayloadArrays(payloads, bands)
    has = payload_of >= 0
    p_of = np.where(has, payload_of, 0)
    if not payloads or not has.any():
        return InfraredRun(Measurements.empty(), 0, 0, 0)
    cued_sat = has & pa_.cued[p_of]
    frame_ok = _frames_taken(sensor_pos, sensor_valid, seconds, payload_of, pa_)
    pairs = visible_pairs(
        sensor_pos,
        frame_ok,
        targets.position,
        targets.velocity,
        targets.alive,
        pa_.constraints,
        p_of,
        light_time=light_time,
    )
    warn_rows = pairs.take(~cued_sat[pairs.sensor])
    warn_frames = np.argwhere(frame_ok & ~cued_sat[:, None])
    regard = _regard_frames(sensor_pos, warn_frames, p_of, pa_)
    warning = _observe(warn_rows, warn_frames, regard, targets, sensor_pos, p_of, pa_, rng, setting)
    parts = [warning]
    frames = warn_frames.shape[0]
    if cued_sat.any():
        cued_rows = pairs.take(cued_sat[pairs.sensor])
        cued_idx = np.flatnonzero(cued_sat)
        cued_meas, n_cued_frames = _cued(
            cued_rows, warning, seconds, sensor_pos, targets, p_of, pa_, cued_idx, rng, setting
        )
        parts.append(cued_meas)
        frames += n_cued_frames
    return InfraredRun(
        measurements=Measurements.concatenate(parts),
        pairs_coarse=pairs.n_coarse,
        pairs_in_view=len(pairs),
        frames=frames,
    )


def _night_in_clear_standard_air(n_objects: int, n_times: int) -> SceneSetting:
    """The default setting: US Standard 1976 air, clear sky, night everywhere."""
    return SceneSetting(
        atmosphere=["us_standard_1976"] * n_objects,
        cloud_top_m=np.zeros(n_objects),
        sun_dir=np.zeros((n_times, 3)),
    )


def _frames_taken(
    sensor_pos: FloatArray,
    sensor_valid: BoolArray,
    seconds: FloatArray,
    payload_of: IntArray,
    pa_: PayloadArrays,
) -> BoolArray:
    """Where each satellite takes a frame, shape ``(N, T)``: valid ephemeris at its
    payload's revisit steps (every step for a cued medium-wave payload)."""
    n, t = sensor_valid.shape
    frame_ok = np.zeros((n, t), dtype=bool)
    revisit = payload_revisits(sensor_pos, sensor_valid, payload_of, pa_)
    for p, ir in enumerate(pa_.params):
        rows = np.flatnonzero(payload_of == p)
        steps = (
            np.ones(t, dtype=bool) if ir.kind == "cued_medium" else frame_steps(seconds, revisit[p])
        )
        frame_ok[rows] = sensor_valid[rows] & steps[None, :]
    return frame_ok


@dataclass(frozen=True)
class _Searched:
    """The part of the sky each frame searches: a cone or annulus about an axis, and the
    pixels looking at it (one row per frame)."""

    axis: FloatArray
    cos_outer: FloatArray
    cos_inner: FloatArray
    pixels: FloatArray


def _regard_frames(
    sensor_pos: FloatArray, frames: IntArray, p_of: IntArray, pa_: PayloadArrays
) -> _Searched:
    """Field of regard searched by each frame, and the pixels looking at it: the searched
    solid angle over IFOV² (step-stare covers it field by field)."""
    s, k = frames[:, 0], frames[:, 1]
    r = sensor_pos[s, k]
    rs = np.linalg.norm(r, axis=-1)
    axis = -r / rs[:, None]
    cos_half = np.empty(s.size)
    cos_inner = np.empty(s.size)
    pixels = np.empty(s.size)
    p_rows = p_of[s]
    for p, c in enumerate(pa_.constraints):
        sel = np.flatnonzero(p_rows == p)
        if sel.size == 0:
            continue
        cos_half[sel] = c.field_of_regard_cos(rs[sel])
        cos_inner[sel] = pa_.cos_inner(p, rs[sel])
        pixels[sel] = pa_.regard_sr(p, rs[sel]) / pa_.ifov[p] ** 2
    return _Searched(axis, cos_half, cos_inner, pixels)


def _observe(
    rows: PairRows,
    frames: IntArray,
    searched: _Searched,
    targets: TargetStates,
    sensor_pos: FloatArray,
    p_of: IntArray,
    pa_: PayloadArrays,
    rng: np.random.Generator,
    setting: SceneSetting,
) -> Measurements:
    """Signal, merging, detection, noise and false alarms for rows taken in ``frames``."""
    t = sensor_pos.shape[1]
    p = p_of[rows.sensor]
    inten = np.zeros(len(rows))
    for b in set(pa_.band):
        sel = np.flatnonzero(np.isin(p, [i for i, name in enumerate(pa_.band) if name == b]))
        inten[sel] = targets.intensity[b][rows.target[sel], rows.time_index[sel]]
    scene = row_scene(
        setting, rows.sensor_pos, rows.target_pos, rows.target, rows.time_index, targets,
        pa_.band_edges, pa_.band_index[p], pa_.row_terms(p),
    )  # fmt: skip
    e = irradiance(inten, rows.range_m, scene.transmission)
    res = pa_.resolution[p]
    max_sep = float((rows.range_m * res).max()) if len(rows) else 0.0
    close = close_target_pairs(targets.position, targets.alive, max_sep)
    cl = merge_closely_spaced(rows.sensor, rows.target, rows.time_index, rows.los, e, res, close)
    rep = cl.representative
    s, k, pr = rows.sensor[rep], rows.time_index[rep], p[rep]
    nei = pa_.row_nei(pr, scene.radiance_w_m2_sr[rep])
    seen = np.isfinite(nei)
    hit, measured = detect_fixed_threshold(
        cl.weight, np.where(seen, nei, 1.0), scene.clutter_w_m2[rep], pa_.threshold[pr], rng
    )
    hit &= seen
    s, k, pr = s[hit], k[hit], pr[hit]
    sigma = pa_.los_sigma(measured[hit], pr)
    los = perturb_directions(cl.los[hit], sigma, rng)
    # One ephemeris error per frame, shared by the frame's detections and false alarms.
    frame_key = frames[:, 0].astype(np.int64) * t + frames[:, 1]
    order = np.argsort(frame_key)
    eph = rng.standard_normal((frames.shape[0], 3)) * pa_.eph_sigma[p_of[frames[:, 0]]][:, None]
    det_frame = order[np.searchsorted(frame_key[order], s * t + k)]
    true_part = Measurements(
        sensor=s,
        time_index=k,
        los=los,
        sensor_pos=sensor_pos[s, k] + eph[det_frame],
        sigma_rad=sigma,
        snr=measured[hit],
        range_m=np.full(s.size, np.nan),
        sigma_range_m=np.full(s.size, np.nan),
        truth=rows.target[rep[hit]],
        background=scene.background[rep[hit]],
        daylight=scene.daylight[rep[hit]],
    )
    false_part = _false_alarms(frames, searched, sensor_pos, eph, p_of, pa_, rng, setting)
    return Measurements.concatenate([true_part, false_part])


def _false_alarms(
    frames: IntArray,
    searched: _Searched,
    sensor_pos: FloatArray,
    eph: FloatArray,
    p_of: IntArray,
    pa_: PayloadArrays,
    rng: np.random.Generator,
    setting: SceneSetting,
) -> Measurements:
    """False alarms of each frame: Poisson counts from the frame's per-pixel ``Pfa`` (module
    notes), directions uniform over the frame's cone, SNRs from the tail above threshold."""
    fp = p_of[frames[:, 0]]
    pos = sensor_pos[frames[:, 0], frames[:, 1]]
    ones = np.ones(frames.shape[0])
    # The mean scene's radiance (unit pixel, unit leakage), its clutter and the pixel's NEI.
    radiance = frame_clutter(
        setting, pos, frames[:, 1], pa_.band_edges, pa_.band_index[fp], ones, ones
    )
    clutter = pa_.leakage[fp] * radiance * pa_.ifov[fp] ** 2
    nei_earth = pa_.row_nei(fp, radiance)
    # Share of the searched sky that the Earth's disc fills (its pixels see the clutter);
    # none where the Earth saturates the pixels (they report nothing), and none for a
    # payload blind against the Earth, whose annulus starts at the limb.
    cos_earth = np.sqrt(np.maximum(1.0 - (WGS84_A_M / np.linalg.norm(pos, axis=-1)) ** 2, 0.0))
    span = np.maximum(searched.cos_inner - searched.cos_outer, 1e-12)
    on_earth = searched.cos_inner - np.maximum(cos_earth, searched.cos_outer)
    lit = np.isfinite(nei_earth) & ~pa_.blind_down[fp]
    earth_share = np.where(lit, np.clip(on_earth / span, 0.0, 1.0), 0.0)
    nei = np.where(lit, nei_earth, pa_.nei_up[fp])
    quiet = ndtr(-pa_.threshold[fp])
    down = false_alarm_probability(pa_.threshold[fp], nei, clutter)
    # Q(T) per pixel against the sensor's noise alone; clutter raises the Earth's share.
    scale = (earth_share * down + (1.0 - earth_share) * quiet) / quiet
    expected = pa_.pfa[fp] * scale * searched.pixels
    _refuse_flooded(pa_, fp, expected)
    if expected.sum() > MAX_FALSE_ALARMS:
        worst = int(fp[np.argmax(expected)])
        raise ValueError(
            f"infrared payload {worst} ({pa_.band[worst]}): {expected.sum():.3g} false alarms "
            f"expected (up to {expected.max():.3g} in one frame) against its clutter; raise "
            "threshold_snr or lower clutter_leakage"
        )
    count = rng.poisson(expected)
    fi = np.repeat(np.arange(frames.shape[0]), count)
    f_s, f_k, f_p = frames[fi, 0].astype(np.int64), frames[fi, 1].astype(np.int64), fp[fi]
    dirs = random_directions_in_cone(
        searched.axis[fi], searched.cos_outer[fi], rng, searched.cos_inner[fi]
    )
    sigma = np.sqrt(nei[fi] ** 2 + clutter[fi] ** 2)
    tail = ndtr(-pa_.threshold[f_p] * nei[fi] / sigma)
    u = 1.0 - rng.random(fi.size)  # (0, 1]
    fa_snr = -ndtri(u * tail)
    fa_scene = scene_behind(sensor_pos[f_s, f_k], sensor_pos[f_s, f_k] + dirs * 1e7)
    return Measurements(
        sensor=f_s,
        time_index=f_k,
        los=dirs,
        sensor_pos=sensor_pos[f_s, f_k] + eph[fi],
        sigma_rad=pa_.los_sigma(fa_snr, f_p),
        snr=fa_snr,
        range_m=np.full(fi.size, np.nan),
        sigma_range_m=np.full(fi.size, np.nan),
        truth=np.full(fi.size, -1, dtype=np.int64),
        background=fa_scene.kind,
        daylight=solar_zenith_cos(fa_scene.point, setting.sun_dir[f_k]) > 0.0,
    )


def _refuse_flooded(pa_: PayloadArrays, fp: IntArray, expected: FloatArray) -> None:
    """Refuse a payload whose clutter floods it with false alarms (a fixed threshold far
    below the clutter): a clear error instead of millions of rows."""
    per_frame = np.zeros(len(pa_.params))
    np.maximum.at(per_frame, fp, expected)
    worst = int(np.argmax(per_frame))
    if per_frame[worst] > _MAX_FALSE_ALARMS_PER_FRAME:
        ir = pa_.params[worst]
        raise ValueError(
            f"infrared payload {worst} ({ir.kind}, band {ir.band}): "
            f"{per_frame[worst]:.3g} false alarms expected in one frame against the Earth's "
            "clutter; raise threshold_snr or lower clutter_leakage"
        )


def _cued(
    rows: PairRows,
    warning: Measurements,
    seconds: FloatArray,
    sensor_pos: FloatArray,
    targets: TargetStates,
    p_of: IntArray,
    pa_: PayloadArrays,
    cued_sats: IntArray,
    rng: np.random.Generator,
    setting: SceneSetting,
) -> tuple[Measurements, int]:
    """Schedule each cued sensor, keep the rows in its field of view, observe them."""
    m, t = targets.alive.shape
    first = np.full(m, np.inf)
    real = warning.truth >= 0
    np.minimum.at(first, warning.truth[real], seconds[warning.time_index[real]])
    pointed = np.full((cued_sats.size, t), -1, dtype=np.int64)
    slot = np.full(sensor_pos.shape[0], -1, dtype=np.int64)
    slot[cued_sats] = np.arange(cued_sats.size)
    # One scheduling loop per cued satellite: tasking is sequential in time by nature.
    for j, sat in enumerate(cued_sats):
        ir = pa_.params[p_of[sat]]
        mine = rows.sensor == sat
        in_view = np.zeros((m, t), dtype=bool)
        in_view[rows.target[mine], rows.time_index[mine]] = True
        pointed[j] = schedule_cued(
            seconds, sensor_pos[sat], targets.position, in_view, first + ir.cue_latency_s, ir
        )
    frames = np.argwhere(pointed >= 0)
    centre = pointed[frames[:, 0], frames[:, 1]]
    frames[:, 0] = cued_sats[frames[:, 0]]
    f_s, f_k = frames[:, 0], frames[:, 1]
    bore = targets.position[centre, f_k] - sensor_pos[f_s, f_k]
    bore /= np.linalg.norm(bore, axis=-1, keepdims=True)
    half = np.array([ir.fov_half_rad for ir in pa_.params])[p_of[f_s]]
    # The pixels looking at the circular field of view (at most the arrays' pixels).
    ir_pixels = np.array(
        [
            min(float(ir.focal_plane.pixels), math.pi * (ir.fov_half_rad / ir.ifov_rad) ** 2)
            for ir in pa_.params
        ]
    )
    pixels = ir_pixels[p_of[f_s]]
    searched = _Searched(bore, np.cos(half), np.ones(half.size), pixels)
    # Rows inside the field of view of a frame.
    frame_of = np.full((cued_sats.size, t), -1, dtype=np.int64)
    frame_of[slot[f_s], f_k] = np.arange(f_s.size)
    fr = frame_of[slot[rows.sensor], rows.time_index]
    taken = fr >= 0
    cos_off = np.einsum("ij,ij->i", rows.los[taken], bore[fr[taken]])
    inside = np.flatnonzero(taken)[cos_off >= np.cos(half[fr[taken]])]
    meas = _observe(
        rows.take(inside), frames, searched, targets, sensor_pos, p_of, pa_, rng, setting
    )
    return meas, int(frames.shape[0])
