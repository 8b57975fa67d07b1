"""The report's custody timelines: per threat and tracker, when it was held and when lost.

Intervals come from :func:`tracklayer.metrics.custody.custody_intervals`: green where the
tracker held the threat, orange where its sensors saw the threat but no track held it,
grey where its sensors did not see it at all. The table gives, per threat and tracker,
the held share of the flight, the number of times custody was lost, and the time lost
while seen and unseen. :func:`consistency_section` shows each tracker's position NEES over
time against its χ² bounds (:func:`tracklayer.metrics.custody.position_nees`).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from tracklayer.metrics.custody import custody_intervals, position_nees
from tracklayer.report.markup import CellLike, figure, figure_png, fmt, html_table, note
from tracklayer.tracking.config import TrackingConfig

__all__ = ["consistency_section", "custody_timelines_section", "plot_custody_timelines"]

#: Colour of each interval state.
STATE_COLOURS = {"held": "#2e8b57", "seen": "#f0a030", "unseen": "#c8ccd4"}
STATE_LABELS = {
    "held": "held (a track matched)",
    "seen": "seen by its sensors, not held",
    "unseen": "not seen by its sensors",
}


def plot_custody_timelines(
    intervals: pa.Table, threats: Sequence[str], trackers: Sequence[str]
) -> Figure:
    """A panel per threat, a row per tracker, coloured custody intervals (s after launch)."""
    n = max(1, len(threats))
    ncols = 1 if n <= 3 else 2
    nrows = int(np.ceil(n / ncols))
    height = 0.24 * len(trackers) + 0.7
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(13.0, 1.2 + height * nrows), squeeze=False, sharex=True,
        layout="constrained",
    )  # fmt: skip
    rows = intervals.to_pylist()
    for ax, threat in zip(axes.flat, threats, strict=False):
        for y, tracker in enumerate(trackers):
            mine = [r for r in rows if r["object_id"] == threat and r["tracker"] == tracker]
            ax.broken_barh(
                [(r["start_s"], r["end_s"] - r["start_s"]) for r in mine],
                (y - 0.38, 0.76),
                facecolors=[STATE_COLOURS[r["state"]] for r in mine],
            )
        ax.set_yticks(range(len(trackers)), list(trackers), fontsize=8)
        ax.set_ylim(len(trackers) - 0.5, -0.5)
        ax.set_title(threat, fontsize=10, loc="left")
        ax.grid(axis="x", alpha=0.3)
    for ax in axes.flat[len(threats) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("s after launch")
    handles = [Patch(color=STATE_COLOURS[s], label=STATE_LABELS[s]) for s in STATE_COLOURS]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=9)
    return fig


def custody_timelines_section(
    truth: pa.Table | None,
    tracks: pa.Table | None,
    detections: pa.Table | None,
    config: TrackingConfig,
    trackers: Sequence[str],
    *,
    max_threats: int,
) -> str:
    """The section's HTML, or ``""`` without truth and tracks."""
    if truth is None or tracks is None:
        return ""
    intervals = custody_intervals(truth, tracks, detections, config)
    if intervals.num_rows == 0:
        return ""
    threats = sorted(set(intervals["object_id"].to_pylist()))
    names = [t for t in trackers if t in set(intervals["tracker"].to_pylist())]
    shown = threats[:max_threats]
    caption = "Custody over each threat's flight, per tracker."
    if len(threats) > len(shown):
        caption += f" The first {len(shown)} of {len(threats)} threats are drawn."
    parts = [
        note(
            "When each tracker held each threat (a scored track matched it under the GOSPA "
            "cut-off), and, when not, whether the tracker's own sensors saw it: lost while "
            "seen is the tracker's doing; lost while unseen is the sensors' (below the noise "
            "or out of view). The fused picture uses every owner's sensors through the "
            "national tracks."
        ),
        figure(
            figure_png(plot_custody_timelines(intervals, shown, names), dpi=90),
            alt="custody timelines",
            caption=caption,
        ),
        _summary_table(intervals, threats, names),
    ]
    return "\n".join(parts)


def _summary_table(intervals: pa.Table, threats: Sequence[str], trackers: Sequence[str]) -> str:
    duration = pc.subtract(intervals["end_s"], intervals["start_s"]).to_numpy()
    obj = np.asarray(intervals["object_id"].to_pylist(), dtype=str)
    trk = np.asarray(intervals["tracker"].to_pylist(), dtype=str)
    state = np.asarray(intervals["state"].to_pylist(), dtype=str)
    rows: list[list[CellLike]] = []
    for threat in threats:
        cells: list[CellLike] = [threat]
        for tracker in trackers:
            mine = (obj == threat) & (trk == tracker)
            total = float(duration[mine].sum())
            held = mine & (state == "held")
            lost = mine & (state != "held")
            # A loss: a held interval followed by a lost one.
            losses = int(np.sum(held[:-1] & lost[1:])) if mine.any() else 0
            cells += [
                fmt(100.0 * float(duration[held].sum()) / total if total > 0 else None),
                fmt(losses),
                fmt(float(duration[lost & (state == "seen")].sum()), 0),
                fmt(float(duration[lost & (state == "unseen")].sum()), 0),
            ]
        rows.append(cells)
    headers = ["threat"]
    for _ in trackers:
        headers += ["held, %", "losses", "seen not held, s", "unseen, s"]
    return html_table(
        headers,
        rows,
        groups=[("", 1), *[(t, 4) for t in trackers]],
        caption="Per threat and tracker: share of the flight held, times custody was lost "
        "after being held, and the time lost while seen and while unseen.",
    )


def consistency_section(
    truth: pa.Table | None,
    tracks: pa.Table | None,
    config: TrackingConfig,
    trackers: Sequence[str],
) -> str:
    """Average position NEES over time per tracker with its 95 % χ² bounds (or ``""``)."""
    if truth is None or tracks is None:
        return ""
    nees = position_nees(truth, tracks, config)
    names = [t for t in trackers if t in set(nees["tracker"].to_pylist())]
    if not names:
        return ""
    epoch_ns = int(pc.min(truth["time"].cast(pa.int64())).as_py())
    fig, axes = plt.subplots(
        len(names), 1, figsize=(12.0, 1.9 * len(names) + 0.6), squeeze=False, sharex=True,
        layout="constrained",
    )  # fmt: skip
    rows: list[list[CellLike]] = []
    for ax, name in zip(axes[:, 0], names, strict=True):
        mine = nees.filter(pc.equal(nees["tracker"], name))
        minutes = (mine["time"].cast(pa.int64()).to_numpy() - epoch_ns) / 60e9
        value = mine["mean_nees"].to_numpy()
        lower, upper = mine["lower"].to_numpy(), mine["upper"].to_numpy()
        ax.fill_between(minutes, lower, upper, step="mid", color="#2e8b57", alpha=0.18, lw=0)
        ax.plot(minutes, value, ".", markersize=2.5, color="#1f3556")
        ax.axhline(3.0, color="#2e8b57", lw=0.8)
        ax.set_yscale("log")
        ax.set_ylabel(name, fontsize=9)
        ax.grid(alpha=0.3)
        inside = float(np.mean((value >= lower) & (value <= upper)))
        rows.append(
            [name, fmt(int(mine.num_rows)), fmt(float(np.median(value)), 2),
             fmt(100.0 * inside, 0), fmt(100.0 * float(np.mean(value > upper)), 0)]
        )  # fmt: skip
    axes[-1, 0].set_xlabel("minutes after the first truth sample")
    return "\n".join(
        [
            note(
                "Filter consistency: the position NEES of each matched track (its error "
                "weighed by its own covariance) averages 3 when the filter's covariance is "
                "honest. The band is the 95 % χ² interval of the average over the threats "
                "matched at that time (Bar-Shalom et al. 2001, sec. 5.4.2); points above it "
                "mean the tracker is over-confident, below it over-cautious."
            ),
            figure(
                figure_png(fig, dpi=90),
                alt="position NEES over time",
                caption="Average position NEES per tracker (log scale); line: 3, its "
                "expected value; band: 95 % bounds.",
            ),
            html_table(
                ["tracker", "times", "median NEES", "within bounds, %", "above, %"],
                rows,
                caption="Position NEES per tracker over the run.",
            ),
        ]
    )
