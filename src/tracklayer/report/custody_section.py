"""The report's custody timelines: per threat and tracker, when it was held and when lost.

Intervals come from :func:`tracklayer.metrics.custody.custody_intervals`: green where the
tracker held the threat; otherwise coloured by why it did not (warm colours: its sensors
saw the threat; cool and grey: they did not, and the sensing chain says where it broke).
The table gives, per threat and tracker, the held share of the flight, the number of
times custody was lost, and the time lost to each reason. :func:`consistency_section`
shows each tracker's position NEES and update NIS over time against their χ² bounds
(:func:`tracklayer.metrics.custody.position_nees`, :func:`~tracklayer.metrics.custody.
average_nis`).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from tracklayer.metrics.custody import (
    CUSTODY_REASONS,
    average_nis,
    custody_intervals,
    position_nees,
)
from tracklayer.report.markup import CellLike, figure, figure_png, fmt, html_table, note
from tracklayer.tracking.config import TrackingConfig

__all__ = ["consistency_section", "custody_timelines_section", "plot_custody_timelines"]

#: Colour of held intervals and of each reason custody was not held.
STATE_COLOURS = {
    "held": "#2e8b57",
    "tracker": "#d9482b",
    "single_sensor": "#f0a030",
    "below_noise": "#8a6fc4",
    "cloud": "#7fb3d5",
    "out_of_regard": "#b8bec9",
    "below_horizon": "#6b7280",
    "unknown": "#dde1e7",
}
STATE_LABELS = {
    "held": "held (a track matched)",
    "tracker": "seen in stereo, not held (tracker)",
    "single_sensor": "one sensor only (no stereo pair)",
    "below_noise": "in view, below the noise",
    "cloud": "under the cloud top",
    "out_of_regard": "out of the field of regard",
    "below_horizon": "below the horizon / Earth limb",
    "unknown": "not seen (no sightlines table)",
}


def _key(row: dict[str, object]) -> str:
    """The colour key of an interval: ``held`` or its reason."""
    return "held" if row["state"] == "held" else str(row.get("reason") or "unknown")


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
                facecolors=[STATE_COLOURS[_key(r)] for r in mine],
            )
        ax.set_yticks(range(len(trackers)), list(trackers), fontsize=8)
        ax.set_ylim(len(trackers) - 0.5, -0.5)
        ax.set_title(threat, fontsize=10, loc="left")
        ax.grid(axis="x", alpha=0.3)
    for ax in axes.flat[len(threats) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("s after launch")
    used = {_key(r) for r in rows}
    handles = [
        Patch(color=STATE_COLOURS[s], label=STATE_LABELS[s]) for s in STATE_COLOURS if s in used
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=9)
    return fig


def custody_timelines_section(
    truth: pa.Table | None,
    tracks: pa.Table | None,
    detections: pa.Table | None,
    config: TrackingConfig,
    trackers: Sequence[str],
    *,
    max_threats: int,
    sightlines: pa.Table | None = None,
) -> str:
    """The section's HTML, or ``""`` without truth and tracks."""
    if truth is None or tracks is None:
        return ""
    intervals = custody_intervals(truth, tracks, detections, config, sightlines)
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
            "cut-off), and, when not, why, the first that applies: two or more of its "
            "sensors detected the threat (the tracker's doing); one satellite alone did (no "
            "stereo pair to start a track); some satellite had it in view and none detected "
            "it (below the noise); it was in a field of regard but under the cloud top over "
            "its launch; lines of sight were clear but outside every field of regard or "
            "range limit; no line of sight cleared the Earth and its grazing shell (below "
            "the horizon or behind the limb). The fused picture and the joint tracker count "
            "every owner's sensors."
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
    key = np.asarray([_key(r) for r in intervals.select(["state", "reason"]).to_pylist()])
    reasons = [r for r in CUSTODY_REASONS if r in set(key.tolist())]
    rows: list[list[CellLike]] = []
    for threat in threats:
        for tracker in trackers:
            mine = (obj == threat) & (trk == tracker)
            if not mine.any():
                continue
            total = float(duration[mine].sum())
            held = key[mine] == "held"
            # A loss: a held interval followed by one not held.
            losses = int(np.sum(held[:-1] & ~held[1:]))
            cells: list[CellLike] = [
                threat,
                tracker,
                fmt(100.0 * float(duration[mine][held].sum()) / total if total > 0 else None),
                fmt(losses),
            ]
            cells += [fmt(float(duration[mine & (key == r)].sum()), 0) for r in reasons]
            rows.append(cells)
    return html_table(
        ["threat", "tracker", "held, %", "losses", *[f"{STATE_LABELS[r]}, s" for r in reasons]],
        rows,
        text_columns=2,
        caption="Per threat and tracker: share of the flight held, times custody was lost "
        "after being held, and the time not held by reason (s).",
    )


def consistency_section(
    truth: pa.Table | None,
    tracks: pa.Table | None,
    config: TrackingConfig,
    trackers: Sequence[str],
    innovations: pa.Table | None = None,
) -> str:
    """Average position NEES (needs truth) and NIS (needs the trackers' ``innovations``)
    over time per tracker, each with its 95 % χ² bounds; ``""`` with neither."""
    parts = []
    if truth is not None and tracks is not None:
        nees = position_nees(truth, tracks, config)
        epoch_ns = int(pc.min(truth["time"].cast(pa.int64())).as_py())
        parts += _consistency_part(
            nees, "mean_nees", 3, trackers, epoch_ns, "NEES",
            "Filter consistency against truth: the position NEES of each matched track (its "
            "error weighed by its own covariance) averages 3 when the filter's covariance is "
            "honest. The band is the 95 % χ² interval of the average over the threats "
            "matched at that time (Bar-Shalom et al. 2001, sec. 5.4.2); points above it "
            "mean the tracker is over-confident, below it over-cautious.",
        )  # fmt: skip
    if innovations is not None and innovations.num_rows:
        nis = average_nis(innovations)
        epoch_ns = int(pc.min(innovations["time"].cast(pa.int64())).as_py())
        if truth is not None:
            epoch_ns = int(pc.min(truth["time"].cast(pa.int64())).as_py())
        parts += _consistency_part(
            nis, "mean_nis", 2, trackers, epoch_ns, "NIS",
            "Filter consistency without truth: the NIS of each detection that updated a "
            "track (its line-of-sight innovation weighed by the predicted innovation "
            "covariance, what the tracker itself can check in operation) averages 2 when "
            "the prediction and the sensor's stated noise are honest. The band is the 95 % "
            "χ² interval of the average over that frame's updates; points above it: the "
            "tracker's predictions or the sensors' stated σ are too small (false alarms "
            "that gate in add to it too).",
        )  # fmt: skip
    return "\n".join(parts)


def _consistency_part(
    table: pa.Table,
    column: str,
    dof: int,
    trackers: Sequence[str],
    epoch_ns: int,
    what: str,
    explanation: str,
) -> list[str]:
    """A note, a figure (a panel per tracker, log scale, band of bounds) and a table."""
    names = [t for t in trackers if t in set(table["tracker"].to_pylist())]
    if not names:
        return []
    fig, axes = plt.subplots(
        len(names), 1, figsize=(12.0, 1.9 * len(names) + 0.6), squeeze=False, sharex=True,
        layout="constrained",
    )  # fmt: skip
    rows: list[list[CellLike]] = []
    for ax, name in zip(axes[:, 0], names, strict=True):
        mine = table.filter(pc.equal(table["tracker"], name))
        minutes = (mine["time"].cast(pa.int64()).to_numpy() - epoch_ns) / 60e9
        value = mine[column].to_numpy()
        lower, upper = mine["lower"].to_numpy(), mine["upper"].to_numpy()
        ax.fill_between(minutes, lower, upper, step="mid", color="#2e8b57", alpha=0.18, lw=0)
        ax.plot(minutes, value, ".", markersize=2.5, color="#1f3556")
        ax.axhline(float(dof), color="#2e8b57", lw=0.8)
        ax.set_yscale("log")
        ax.set_ylabel(name, fontsize=9)
        ax.grid(alpha=0.3)
        inside = float(np.mean((value >= lower) & (value <= upper)))
        rows.append(
            [name, fmt(int(mine.num_rows)), fmt(float(np.median(value)), 2),
             fmt(100.0 * inside, 0), fmt(100.0 * float(np.mean(value > upper)), 0)]
        )  # fmt: skip
    axes[-1, 0].set_xlabel("minutes after the first truth sample")
    return [
        note(explanation),
        figure(
            figure_png(fig, dpi=90),
            alt=f"{what} over time",
            caption=f"Average {what} per tracker (log scale); line: {dof}, its expected "
            "value; band: 95 % bounds.",
        ),
        html_table(
            ["tracker", "times", f"median {what}", "within bounds, %", "above, %"],
            rows,
            caption=f"{what} per tracker over the run.",
        ),
    ]
