"""Plots of a threat flyout: altitude, speed and intensity against time, and ground tracks.

Reads only the ``truth`` table (see :mod:`tracklayer.threats.flyout`), so it plots any
saved run. Matplotlib with the Agg backend; one PNG per figure in ``out_dir``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.report.basemap import add_coastlines

#: Objects drawn individually; beyond this, a seeded-free even subsample is drawn.
MAX_CURVES = 60


def _objects(truth: pa.Table) -> list[tuple[str, str, dict[str, np.ndarray]]]:
    ids = pc.unique(truth["object_id"].combine_chunks().cast(pa.string())).to_pylist()
    if len(ids) > MAX_CURVES:
        ids = [ids[i] for i in np.linspace(0, len(ids) - 1, MAX_CURVES).astype(int)]
    oid = truth["object_id"].cast(pa.string())
    out = []
    for name in ids:
        sub = truth.filter(pc.equal(oid, name))
        cols = {
            c: sub[c].to_numpy()
            for c in sub.column_names
            if c not in ("object_id", "kind", "phase")
        }
        cols["t"] = sub["time"].cast(pa.int64()).to_numpy() / 1e9
        kind = str(sub["kind"][0].as_py())
        out.append((name, kind, cols))
    return out


def plot_flyout(truth: pa.Table, out_dir: Path) -> list[Path]:
    """Write the flyout figures of a ``truth`` table into ``out_dir``; return their paths.

    Figures: ``flyout_altitude.png`` (km), ``flyout_speed.png`` (km/s),
    ``flyout_intensity_<band>.png`` (W/sr, log scale) against minutes after the first
    sample, and ``flyout_ground_tracks.png`` (longitude/latitude in degrees, coastlines).
    Ballistic objects are drawn in one colour, boost-glide vehicles in another.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if truth.num_rows == 0:
        return []
    objs = _objects(truth)
    t0 = min(float(c["t"][0]) for _, _, c in objs)
    color = {"ballistic": "tab:red", "hgv": "tab:blue"}
    paths: list[Path] = []

    def series(name: str, ylabel: str, value: str, scale: float, log: bool = False) -> None:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for _, kind, c in objs:
            y = c[value] * scale
            ax.plot((c["t"] - t0) / 60.0, y, color=color.get(kind, "k"), lw=0.8, alpha=0.8)
        for kind, col in color.items():
            ax.plot([], [], color=col, label=kind)
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("time after first sample (min)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
        path = out_dir / f"flyout_{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)
        paths.append(path)

    for _, _, c in objs:
        c["speed"] = np.sqrt(c["vx"] ** 2 + c["vy"] ** 2 + c["vz"] ** 2)
    series("altitude", "altitude (km)", "alt_m", 1e-3)
    series("speed", "Earth-relative speed (km/s)", "speed", 1e-3)
    for col in truth.column_names:
        if col.startswith("intensity_") and col.endswith("_w_sr"):
            band = col.removeprefix("intensity_").removesuffix("_w_sr")
            series(f"intensity_{band}", f"{band} radiant intensity (W/sr)", col, 1.0, log=True)

    fig, ax = plt.subplots(figsize=(8, 6))
    lon_all, lat_all = [], []
    for _, kind, c in objs:
        lon = np.rad2deg(c["lon_rad"])
        lat = np.rad2deg(c["lat_rad"])
        ax.plot(lon, lat, color=color.get(kind, "k"), lw=0.8)
        ax.plot(lon[-1:], lat[-1:], "x", color=color.get(kind, "k"), ms=4)
        lon_all.append(lon)
        lat_all.append(lat)
    lo, la = np.concatenate(lon_all), np.concatenate(lat_all)
    pad = 3.0
    add_coastlines(ax)
    ax.set_xlim(lo.min() - pad, lo.max() + pad)
    ax.set_ylim(la.min() - pad, la.max() + pad)
    ax.set_aspect(1.0 / max(np.cos(np.deg2rad(la.mean())), 0.2))
    for kind, col in color.items():
        ax.plot([], [], color=col, label=kind)
    ax.legend(loc="best", fontsize=8)
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    ax.set_title("ground tracks (x: last sample)")
    ax.grid(alpha=0.3)
    path = out_dir / "flyout_ground_tracks.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    paths.append(path)
    return paths
