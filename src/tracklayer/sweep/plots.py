"""Sweep plots in the report style: Pareto fronts, and each objective against each axis."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa

__all__ = ["plot_metric_vs_axis", "plot_pareto", "write_sweep_plots"]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def _design_label(row: dict[str, Any], axes: Sequence[str]) -> str:
    return ", ".join(
        f"{a}={row[a]:g}" if isinstance(row[a], float) else f"{a}={row[a]}" for a in axes
    )


def plot_pareto(points: pa.Table, objective: str, axes: Sequence[str], path: Path) -> Path:
    """Satellites (cost proxy) against one objective; the Pareto front joined and labelled.

    Parameters
    ----------
    points
        Rows of :func:`tracklayer.sweep.summary.pareto_fronts`.
    objective
        The objective to draw (its ``objective`` column).
    axes
        Axis columns, used to label the front's designs.
    path
        Output PNG.
    """
    rows = [r for r in points.to_pylist() if r["objective"] == objective and r["mean"] is not None]
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    if rows:
        x = np.array([float(r["n_satellites"]) for r in rows])
        y = np.array([float(r["mean"]) for r in rows])
        lo = np.array([np.nan if r["p10"] is None else float(r["p10"]) for r in rows])
        hi = np.array([np.nan if r["p90"] is None else float(r["p90"]) for r in rows])
        front = np.array([bool(r["on_front"]) for r in rows])
        spread = np.isfinite(lo) & np.isfinite(hi) & (hi > lo)
        if spread.any():
            ax.errorbar(
                x[spread],
                y[spread],
                yerr=[y[spread] - lo[spread], hi[spread] - y[spread]],
                fmt="none",
                ecolor="0.7",
                elinewidth=1,
                capsize=2,
                label="p10-p90",
            )
        ax.scatter(x[~front], y[~front], color="0.55", s=22, label="dominated", zorder=2)
        order = np.argsort(x[front], kind="stable")
        ax.step(
            x[front][order], y[front][order], where="post", color="tab:red", alpha=0.6, zorder=2
        )
        ax.scatter(x[front], y[front], color="tab:red", s=36, label="Pareto front", zorder=3)
        for r in (r for r, f in zip(rows, front, strict=True) if f):
            ax.annotate(
                _design_label(r, axes),
                (float(r["n_satellites"]), float(r["mean"])),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=7,
            )
        ax.legend(loc="best", fontsize=8)
        ax.set_ylabel(str(rows[0]["label"]))
        better = "higher" if rows[0]["maximize"] else "lower"
        ax.set_title(f"Satellites against {rows[0]['label']} ({better} is better)")
    ax.set_xlabel("satellites (all owners)")
    ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_metric_vs_axis(
    points: pa.Table, objective: str, axis: str, hue: str | None, path: Path
) -> Path:
    """One objective's design means against one axis, a line per value of ``hue``.

    Designs that share the axis and hue values (they differ on other axes) are averaged,
    so the lines are marginal means over the remaining axes.
    """
    rows = [r for r in points.to_pylist() if r["objective"] == objective and r["mean"] is not None]
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    if rows:
        groups: dict[Any, dict[Any, list[float]]] = {}
        for r in rows:
            key = r[hue] if hue is not None else None
            groups.setdefault(key, {}).setdefault(r[axis], []).append(float(r["mean"]))
        for i, (key, by_x) in enumerate(sorted(groups.items(), key=lambda kv: str(kv[0]))):
            xs = sorted(by_x, key=lambda v: (not isinstance(v, int | float), v))
            ys = [float(np.mean(by_x[v])) for v in xs]
            label = (
                None
                if hue is None
                else f"{hue} = {key:g}"
                if isinstance(key, float)
                else f"{hue} = {key}"
            )
            ax.plot(
                [str(v) if isinstance(v, str) else v for v in xs],
                ys,
                "o-",
                color=f"C{i}",
                label=label,
            )
        if hue is not None:
            ax.legend(fontsize=8)
        values = sorted({r[axis] for r in rows if isinstance(r[axis], int | float)})
        if values and len(values) <= 12:
            # Ticks at the axis' own values, printed as given (16, not 16.0).
            ax.set_xticks(values, [f"{v:g}" for v in values])
        ax.set_ylabel(str(rows[0]["label"]))
        ax.set_title(f"{rows[0]['label']} against {axis}")
    ax.set_xlabel(axis)
    ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_sweep_plots(points: pa.Table, axes: Sequence[str], folder: Path) -> list[Path]:
    """A Pareto plot per objective, and each objective against each axis (coloured by the
    first other axis): ``pareto_<objective>.png``, ``<objective>_vs_<axis>.png``."""
    paths = []
    for objective in dict.fromkeys(points.column("objective").to_pylist()):
        name = _slug(str(objective))
        paths.append(plot_pareto(points, str(objective), axes, folder / f"pareto_{name}.png"))
        for axis in axes:
            hue = next((a for a in axes if a != axis), None)
            paths.append(
                plot_metric_vs_axis(
                    points, str(objective), axis, hue, folder / f"{name}_vs_{_slug(axis)}.png"
                )
            )
    return paths
