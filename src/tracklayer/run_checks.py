"""Checks on a finished raid that a scenario's validation cannot make before flying it.

:func:`threats_cut_off` finds the threats still in flight when the run ends: the flyout
writes each threat's samples until impact or until ``duration_s``
(:func:`tracklayer.threats.flyout.run_flyout`), so a threat whose last sample is at the
run's end and above the ground was cut off, and every figure about it (custody, warning
time) covers only part of its flight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.constants import KM

__all__ = ["CutOff", "cut_off_warning", "threats_cut_off"]

#: Above this geodetic height at its last sample a threat has not impacted, m.
IN_FLIGHT_ALT_M = 1.0 * KM


@dataclass(frozen=True)
class CutOff:
    """A threat the run's end cut off: its id and its height at the last sample, m."""

    object_id: str
    alt_m: float


def threats_cut_off(truth: pa.Table, duration_s: float, step_s: float) -> list[CutOff]:
    """Threats whose last sample is at the run's end, above :data:`IN_FLIGHT_ALT_M`.

    Parameters
    ----------
    truth
        The ``truth`` table (``object_id``, ``time``, ``alt_m``).
    duration_s, step_s
        The scenario's run length and sample interval, s; the run's end is its last
        sample time, the epoch being the first sample's at most ``duration_s`` before.
    """
    if truth.num_rows == 0 or "alt_m" not in truth.column_names:
        return []
    ns = pc.cast(truth["time"], pa.timestamp("ns", tz="UTC")).cast(pa.int64()).to_numpy()
    ids = np.asarray(truth["object_id"].to_pylist(), dtype=str)
    alt = np.asarray(truth["alt_m"].to_numpy(zero_copy_only=False), dtype=float)
    order = np.lexsort((ns, ids))
    last = order[np.r_[ids[order][1:] != ids[order][:-1], True]]
    run_end_ns = int(ns.max())
    at_end = ns[last] >= run_end_ns - 0.5 * step_s * 1e9
    if not np.any(at_end) or duration_s <= 0:
        return []
    flying = last[at_end & (alt[last] > IN_FLIGHT_ALT_M)]
    return [CutOff(str(ids[i]), float(alt[i])) for i in flying]


def cut_off_warning(cut: list[CutOff], duration_s: float) -> str | None:
    """One sentence naming the threats cut off, or None when there are none."""
    if not cut:
        return None
    shown = ", ".join(f"{c.object_id} ({c.alt_m / KM:.0f} km up)" for c in cut[:8])
    more = f" and {len(cut) - 8} more" if len(cut) > 8 else ""
    return (
        f"duration_s = {duration_s:g} s ends the run before impact of {len(cut)} "
        f"threat{'s' if len(cut) > 1 else ''}: {shown}{more}; their custody and warning "
        "figures cover part of their flight only (raise duration_s to fly them to impact)"
    )
