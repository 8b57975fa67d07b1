"""Detection plots: detections per owner over time; first detection per threat and sensor kind."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.sensors.detect import first_detections

__all__ = ["plot_detections_per_owner", "plot_first_detections"]

_KIND_STYLE = {"ir": ("o", "tab:blue"), "radar": ("s", "tab:red")}


def _minutes(time: pa.ChunkedArray | pa.Array, t0_ns: int) -> np.ndarray:
    ns = pc.cast(time, pa.int64()).to_numpy(zero_copy_only=False)
    return np.asarray((ns - t0_ns) / 60e9, dtype=np.float64)


def plot_detections_per_owner(detections: pa.Table, path: Path, *, bin_s: float = 60.0) -> Path:
    """Detections per owner per time bin (solid: targets, dashed: false alarms), PNG.

    Parameters
    ----------
    detections
        The ``detections`` table.
    path
        Output PNG.
    bin_s
        Width of the time bins, s.
    """
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    if detections.num_rows:
        t0 = int(pc.min(pc.cast(detections.column("time"), pa.int64())).as_py())
        minutes = _minutes(detections.column("time"), t0)
        owner = np.asarray(detections.column("owner").to_pylist(), dtype=np.str_)
        false = pc.is_null(detections.column("truth_id")).to_numpy(zero_copy_only=False)
        width = bin_s / 60.0
        edges = np.arange(0.0, minutes.max() + 2 * width, width)
        for i, name in enumerate(sorted(set(owner.tolist()))):
            color = f"C{i}"
            mine = owner == name
            for mask, style, label in ((mine & ~false, "-", name), (mine & false, "--", None)):
                counts, _ = np.histogram(minutes[mask], bins=edges)
                ax.step(edges[:-1], counts, where="post", linestyle=style, color=color, label=label)
        ax.plot([], [], "k--", label="false alarms")
        ax.legend(title="owner")
        ax.set_yscale("symlog", linthresh=10)
    ax.set_xlabel("minutes since first detection")
    ax.set_ylabel(f"detections per {bin_s:g} s")
    ax.set_title("Detections per owner")
    ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_first_detections(
    detections: pa.Table, path: Path, *, t0: pa.TimestampScalar | None = None
) -> Path:
    """First detection of each threat by each sensor kind (all owners together), PNG.

    A row per threat; a marker per sensor kind at its first detection, minutes after ``t0``
    (default: the first detection of any threat); a threat a kind never saw has no marker.
    This is the side-by-side look at how much later the ground radars see a threat than the
    constellation.
    """
    first = first_detections(detections)
    first = first.filter(pc.equal(first.column("owner"), "ALL"))
    fig_h = 1.5 + 0.22 * max(1, len(set(first.column("truth_id").to_pylist())))
    fig, ax = plt.subplots(figsize=(8, min(fig_h, 14.0)), layout="constrained")
    if first.num_rows:
        if t0 is None:
            t0_ns = int(pc.min(pc.cast(first.column("first_time"), pa.int64())).as_py())
        else:
            t0_ns = int(pc.cast(t0, pa.int64()).as_py())
        threats = sorted(set(first.column("truth_id").to_pylist()))
        row = {name: i for i, name in enumerate(threats)}
        minutes = _minutes(first.column("first_time"), t0_ns)
        kinds = first.column("sensor_kind").to_pylist()
        ids = first.column("truth_id").to_pylist()
        for kind in sorted(set(kinds)):
            sel = [i for i, k in enumerate(kinds) if k == kind]
            marker, color = _KIND_STYLE.get(kind, ("^", "tab:gray"))
            ax.scatter(
                minutes[sel], [row[ids[i]] for i in sel], marker=marker, color=color, label=kind
            )
        ax.set_yticks(range(len(threats)), threats, fontsize=7)
        ax.legend(title="sensor kind")
    ax.set_xlabel("first detection, minutes")
    ax.set_ylabel("threat")
    ax.set_title("First detection per threat and sensor kind")
    ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
