"""Resilience curves: each figure of merit against the number of satellites lost.

One line per owner and the joint (or fused) result: the mean over the draws of each k, a
band from the 10th to the 90th percentile, and each k's draws as faint dots, so a planner
sees both the expected degradation and how much it depends on *which* satellites are lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.axes import Axes

from tracklayer.constants import KM
from tracklayer.losses.resilience import losses_summary
from tracklayer.vocabulary import FUSED, JOINT, tracker_order

__all__ = ["plot_losses"]

#: Raid panels: metric, axis label, scale from SI to the plotted unit.
RAID_PANELS: tuple[tuple[str, str, float], ...] = (
    ("first_track_s", "first track after launch, s (tracked threats)", 1.0),
    ("custody_fraction", "custody, % of flight", 100.0),
    ("rmse_pos_m", "position RMSE, km", 1.0 / KM),
    ("mean_gospa_m", "mean GOSPA, km", 1.0 / KM),
)


def _groups(table: pa.Table) -> list[str]:
    return tracker_order(table["group"].to_pylist())


def _style(group: str, index: int) -> dict[str, object]:
    if group == JOINT:
        return {"color": "black", "linewidth": 2.2}
    if group == FUSED:
        return {"color": "0.45", "linewidth": 1.8, "linestyle": "--"}
    return {"color": f"C{index}", "linewidth": 1.6}


def _curves(
    ax: Axes, draws: pa.Table, summary: pa.Table, metric: str, scale: float, groups: Sequence[str]
) -> None:
    """Mean line, p10-p90 band and the draws of ``metric`` per group on one axes."""
    s = summary.filter(pc.equal(summary["metric"], metric))
    d = draws.filter(pc.equal(draws["metric"], metric))
    for i, group in enumerate(groups):
        rows = s.filter(pc.equal(s["group"], group))
        if rows.num_rows == 0:
            continue
        style = _style(group, i)
        k = rows["k"].to_numpy()
        mean = np.asarray(rows["mean"].to_numpy(zero_copy_only=False), dtype=float) * scale
        lo = np.asarray(rows["p10"].to_numpy(zero_copy_only=False), dtype=float) * scale
        hi = np.asarray(rows["p90"].to_numpy(zero_copy_only=False), dtype=float) * scale
        ax.fill_between(k, lo, hi, color=str(style["color"]), alpha=0.18, linewidth=0)
        ax.plot(k, mean, marker="o", markersize=3.5, label=group, **style)  # type: ignore[arg-type]
        points = d.filter(pc.equal(d["group"], group))
        values = np.asarray(points["value"].to_numpy(zero_copy_only=False), dtype=float)
        ax.scatter(
            points["k"].to_numpy(), values * scale, s=6, color=str(style["color"]), alpha=0.35
        )
    ax.grid(alpha=0.3)


def plot_losses(
    table: pa.Table,
    folder: Path,
    *,
    unit: str = "satellites",
    subtitle: str = "",
) -> list[Path]:
    """Resilience curves as PNG files in ``folder``.

    Parameters
    ----------
    table
        The losses table (:func:`tracklayer.losses.resilience.run_losses`).
    folder
        Output folder.
    unit
        What k counts, for the x axis (``satellites``, or ``planes`` for the plane pool).
    subtitle
        Appended to each title (e.g. the pool and the time of the loss).

    Returns
    -------
    list of Path
        ``losses_coverage_<alt>km.png`` per target altitude (percent time covered by at
        least each k of the coverage analysis, a panel per multiplicity) and
        ``losses_raid.png`` (first track, custody, position RMSE, GOSPA), where the table
        has those rows.
    """
    folder.mkdir(parents=True, exist_ok=True)
    summary = losses_summary(table)
    paths = []
    tail = f" ({subtitle})" if subtitle else ""
    coverage = table.filter(pc.equal(table["source"], "coverage"))
    if coverage.num_rows:
        cov_summary = summary.filter(pc.equal(summary["source"], "coverage"))
        metrics = sorted(
            m for m in set(coverage["metric"].to_pylist()) if m.startswith("pct_time_k")
        )
        groups = _groups(coverage)
        for altitude_m in sorted(set(coverage["altitude_m"].to_pylist())):
            at_alt = coverage.filter(pc.equal(coverage["altitude_m"], altitude_m))
            sum_alt = cov_summary.filter(pc.equal(cov_summary["altitude_m"], altitude_m))
            fig, axes = plt.subplots(
                1, len(metrics), figsize=(5.0 * len(metrics), 4.2), squeeze=False,
                layout="constrained", sharey=True,
            )  # fmt: skip
            for ax, metric in zip(axes[0], metrics, strict=True):
                _curves(ax, at_alt, sum_alt, metric, 1.0, groups)
                multiplicity = metric.removeprefix("pct_time_k")
                plural = "" if multiplicity == "1" else "s"
                ax.set_title(f"seen by at least {multiplicity} satellite{plural}")
                ax.set_xlabel(f"{unit} lost")
                ax.set_ylim(-2.0, 102.0)
            axes[0][0].set_ylabel("% of time, area-weighted over the region")
            axes[0][0].legend(loc="lower left")
            alt = f"{altitude_m / KM:g}"
            fig.suptitle(f"Coverage against {unit} lost, targets at {alt} km{tail}")
            paths.append(_save(fig, folder / f"losses_coverage_{alt}km.png"))
    raid = table.filter(pc.equal(table["source"], "raid"))
    if raid.num_rows:
        raid_summary = summary.filter(pc.equal(summary["source"], "raid"))
        groups = _groups(raid)
        fig, axes = plt.subplots(2, 2, figsize=(10.5, 8.0), layout="constrained")
        for ax, (metric, label, scale) in zip(axes.ravel(), RAID_PANELS, strict=True):
            _curves(ax, raid, raid_summary, metric, scale, groups)
            ax.set_ylabel(label)
            ax.set_xlabel(f"{unit} lost")
        axes[0][1].set_ylim(-2.0, 102.0)
        axes[0][0].legend(loc="best")
        fig.suptitle(f"Tracking against {unit} lost{tail}")
        paths.append(_save(fig, folder / "losses_raid.png"))
    return paths


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
