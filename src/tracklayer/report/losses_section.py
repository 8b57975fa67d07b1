"""The report's losses section: how the figures of merit degrade as satellites are lost.

A run with a ``losses`` section writes ``losses.parquet`` (each draw), ``losses_summary``
(statistics over the draws of each k) and the curves ``plots/losses_*.png``
(:func:`tracklayer.report.losses.plot_losses`). This section embeds those curves, says how
to read them, and tabulates each curve's two ends: the figure with nothing lost and with
the most lost, its mean and 10th-90th percentile spread over the draws.
"""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.constants import KM
from tracklayer.io.parquet import read_table
from tracklayer.losses.resilience import losses_summary
from tracklayer.report.markup import CellLike, figure, fmt, html_table, note
from tracklayer.vocabulary import tracker_order

__all__ = ["LOSSES_PLOTS", "losses_section"]

#: The folder, inside a run folder, of the losses curves.
LOSSES_PLOTS = "plots"

#: Metrics tabulated: name, label, scale from SI to the shown unit, digits.
_METRICS: dict[str, tuple[str, float, int]] = {
    "first_detection_s": ("first detection after launch, s", 1.0, 0),
    "first_track_s": ("first track after launch, s", 1.0, 0),
    "tracked_fraction": ("threats tracked, %", 100.0, 0),
    "custody_fraction": ("custody, % of flight", 100.0, 1),
    "rmse_pos_m": ("position RMSE, km", 1.0 / KM, 2),
    "mean_gospa_m": ("mean GOSPA, km", 1.0 / KM, 2),
}

_READING = (
    "Each curve is a figure of merit recomputed with k satellites lost (drawn at random "
    "from the pool, many draws per k, from the loss time on). The line is the mean over "
    "the draws, the band their 10th–90th percentiles, the dots single draws. A flat line "
    "is graceful degradation; a steep fall at small k means a few satellites carry the "
    "figure; a wide band means it matters which satellites are lost, not only how many. "
    "Where the joint curve stays above every owner's, sharing buys resilience as well as "
    "coverage."
)


def losses_section(run_dir: Path) -> str:
    """The section's HTML, or ``""`` when the run folder holds no losses analysis."""
    run_dir = Path(run_dir)
    summary = _summary(run_dir)
    plots = sorted((run_dir / LOSSES_PLOTS).glob("losses_*.png"))
    if summary is None and not plots:
        return ""
    parts = [note(_READING)]
    parts += [
        figure(path.read_bytes(), alt=f"losses curve {path.stem}", caption=_caption(path.stem))
        for path in plots
    ]
    if summary is not None and summary.num_rows:
        parts.append(_ends_table(summary))
    return "\n".join(parts)


def _summary(run_dir: Path) -> pa.Table | None:
    path = run_dir / "losses_summary.parquet"
    if path.is_file():
        return read_table(path)
    draws = run_dir / "losses.parquet"
    return losses_summary(read_table(draws)) if draws.is_file() else None


def _caption(stem: str) -> str:
    if stem.startswith("losses_coverage_"):
        altitude = stem.removeprefix("losses_coverage_")
        return (
            "Coverage of the region against satellites lost, targets at "
            f"{altitude.removesuffix('km')} km: % of time seen by at least k satellites, "
            "area-weighted."
        )
    if stem == "losses_raid":
        return (
            "Tracking the raid against satellites lost: first track, custody, position "
            "RMSE and GOSPA per tracker."
        )
    return stem


def _label(metric: str, altitude_m: float | None) -> tuple[str, float, int]:
    if metric.startswith("pct_time_k"):
        k = metric.removeprefix("pct_time_k")
        alt = "" if altitude_m is None else f", targets at {altitude_m / KM:g} km"
        return f"coverage, % time k≥{k}{alt}", 1.0, 1
    label, scale, digits = _METRICS.get(metric, (metric, 1.0, 2))
    return label, scale, digits


def _ends_table(summary: pa.Table) -> str:
    """Per curve: the mean with none lost and mean (p10–p90) with the most lost."""
    ks = summary["k"].to_pylist()
    k_min, k_max = min(ks), max(ks)
    rows_at: dict[tuple[object, ...], dict[str, object]] = {}
    for row in summary.to_pylist():
        if row["k"] in (k_min, k_max):
            key = (row["source"], row["altitude_m"], row["metric"], row["group"], row["k"])
            rows_at[key] = row
    curves = sorted(
        {(s, a, m) for s, a, m, _, _ in rows_at},
        key=lambda c: (c[0] != "coverage", c[1] if c[1] is not None else 0.0, str(c[2])),
    )
    groups = tracker_order(str(g) for g in pc.unique(summary["group"]).to_pylist())
    body: list[list[CellLike]] = []
    for source, altitude, metric in curves:
        label, scale, digits = _label(str(metric), _scaled(altitude, 1.0))
        for group in groups:
            first = rows_at.get((source, altitude, metric, group, k_min))
            last = rows_at.get((source, altitude, metric, group, k_max))
            if first is None and last is None:
                continue
            body.append([label, group, _mean(first, scale, digits), *_spread(last, scale, digits)])
    return html_table(
        ["figure", "group", f"{k_min} lost: mean", f"{k_max} lost: mean", "p10", "p90"],
        body,
        text_columns=2,
        caption=f"The ends of each curve: with {k_min} and with {k_max} lost "
        "(mean over the draws, and its 10th and 90th percentiles).",
    )


def _mean(row: dict[str, object] | None, scale: float, digits: int) -> str:
    value = None if row is None else row["mean"]
    return fmt(_scaled(value, scale), digits)


def _spread(row: dict[str, object] | None, scale: float, digits: int) -> list[CellLike]:
    if row is None:
        return ["–", "–", "–"]
    return [fmt(_scaled(row[key], scale), digits) for key in ("mean", "p10", "p90")]


def _scaled(value: object, scale: float) -> float | None:
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value) * scale
