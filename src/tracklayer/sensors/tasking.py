"""Tasking of a cued medium-field sensor: a queue of cued threats, slews and dwells.

A cued sensor points a narrow field of view at one threat at a time. A threat joins its queue
once the warning sensors (staring and high-orbit kinds) have first detected it, plus a cue
latency, and while the cued satellite can see it. The sensor serves the queue round robin:
among the threats it may look at now, it takes the one it has served least recently (never
served first; ties to the earliest cued, then the lowest index), slews to it
(``settle_s + angle / slew_rate``), then dwells for ``dwell_s``, taking a frame every
``revisit_s`` and following the threat; after the dwell it picks again. Slewing and settling
give no frames. Nothing here draws random numbers: the schedule is a function of the geometry
and the cues.

The loop runs once per task (one slew and dwell, tens of seconds), not per time step.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from tracklayer.sensors.ir_config import InfraredParameters

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

__all__ = ["schedule_cued"]


def schedule_cued(
    seconds: FloatArray,
    sensor_pos: FloatArray,
    target_pos: FloatArray,
    in_view: BoolArray,
    cue_time_s: FloatArray,
    params: InfraredParameters,
) -> IntArray:
    """Which threat a cued sensor stares at, at each time step.

    Parameters
    ----------
    seconds
        Time grid, s, shape ``(T,)``, increasing.
    sensor_pos
        The sensor's ECEF positions, m, shape ``(T, 3)``.
    target_pos
        Threat ECEF positions, m, shape ``(M, T, 3)``.
    in_view
        Where the sensor can see each threat (field of regard, occlusion, range), ``(M, T)``.
    cue_time_s
        When each threat's cue reaches the sensor, s (``inf``: never cued), shape ``(M,)``.
    params
        The payload (slew rate, settle, dwell, revisit).

    Returns
    -------
    pointed
        Index of the threat at the centre of the field at each time step with a frame, -1
        where the sensor takes no frame, shape ``(T,)``.
    """
    t = seconds.shape[0]
    pointed = np.full(t, -1, dtype=np.int64)
    if t == 0 or in_view.shape[0] == 0:
        return pointed
    avail = in_view & (seconds[None, :] >= cue_time_s[:, None])
    any_avail: BoolArray = np.asarray(avail.any(axis=0), dtype=np.bool_)
    last_served = np.full(in_view.shape[0], -np.inf)
    order_key = np.argsort(np.argsort(cue_time_s, kind="stable"), kind="stable")
    rate = math.radians(params.slew_rate_deg_s)
    pointing: FloatArray | None = None
    k = 0
    while k < t:
        if not any_avail[k]:
            ahead = np.flatnonzero(any_avail[k:])
            if ahead.size == 0:
                break
            k += int(ahead[0])
        cands = np.flatnonzero(avail[:, k])
        pick = cands[np.lexsort((cands, order_key[cands], last_served[cands]))[0]]
        los = target_pos[pick, k] - sensor_pos[k]
        los = los / np.linalg.norm(los)
        if pointing is None:
            # Parked at nadir before the first cue.
            pointing = -sensor_pos[k] / np.linalg.norm(sensor_pos[k])
        angle = math.acos(float(np.clip(pointing @ los, -1.0, 1.0)))
        start = seconds[k] + params.settle_s + angle / rate
        end = start + params.dwell_s
        k0 = int(np.searchsorted(seconds, start, "left"))
        k1 = int(np.searchsorted(seconds, end, "left"))
        steps = np.arange(k0, k1)
        if steps.size:
            # Frames every revisit_s from the start of the dwell.
            slot = np.floor((seconds[steps] - start) / params.revisit_s + 1e-9)
            first = np.concatenate([[True], np.diff(slot) > 0])
            frames = steps[first & in_view[pick, steps]]
            pointed[frames] = pick
            if frames.size:
                last = int(frames[-1])
                d = target_pos[pick, last] - sensor_pos[last]
                pointing = d / np.linalg.norm(d)
            else:
                pointing = los
        else:
            pointing = los
        last_served[pick] = end
        k = max(k1, k + 1)
    return pointed
