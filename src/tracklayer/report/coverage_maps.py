"""Coverage maps: one PNG per figure of merit and altitude, a panel per owner and joint."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.collections import PolyCollection
from numpy.typing import NDArray

from tracklayer.constants import DEG, KM
from tracklayer.metrics.grid import CoverageGrid
from tracklayer.report.basemap import add_coastlines
from tracklayer.vocabulary import tracker_order


def map_window_deg(grid: CoverageGrid) -> tuple[float, float, float, float]:
    """Plate carrée window (west, east, south, north), degrees, that holds the region.

    The western edge is chosen so that a region across the antimeridian is drawn in one
    piece: longitudes are unwrapped from the widest gap between the region's cells.
    """
    lon = np.sort(np.unique(np.round(grid.lon[grid.mask] / DEG, 6)))
    if lon.size == 0:
        return -180.0, 180.0, -90.0, 90.0
    gaps = np.diff(np.concatenate([lon, [lon[0] + 360.0]]))
    widest = int(np.argmax(gaps))
    pad = grid.cell_size_rad / DEG
    if gaps[widest] <= 2.0 * pad:
        west, east = -180.0, 180.0
    else:
        west = lon[(widest + 1) % lon.size] - pad
        east = west + 360.0 - gaps[widest] + 2.0 * pad
    south = grid.lat_lo[grid.mask].min() / DEG
    north = grid.lat_hi[grid.mask].max() / DEG
    return float(west), float(east), float(south), float(north)


def _cell_polygons(grid: CoverageGrid, west_deg: float) -> NDArray[np.float64]:
    lon_lo = (grid.lon_lo / DEG - west_deg) % 360.0 + west_deg
    lon_hi = lon_lo + (grid.lon_hi - grid.lon_lo) / DEG
    lat_lo, lat_hi = grid.lat_lo / DEG, grid.lat_hi / DEG
    corners = [(lon_lo, lat_lo), (lon_hi, lat_lo), (lon_hi, lat_hi), (lon_lo, lat_hi)]
    return np.stack([np.stack(c, axis=-1) for c in corners], axis=1)[grid.mask]


def plot_coverage_map(
    grid: CoverageGrid,
    panels: Mapping[str, NDArray[np.float64]],
    *,
    title: str,
    colorbar_label: str,
    path: Path,
    vmin: float,
    vmax: float,
    cmap: str = "viridis",
) -> Path:
    """Draw one figure of merit on the grid, a panel per group, and save it as PNG.

    Parameters
    ----------
    grid
        The coverage grid; only cells inside the region (``grid.mask``) are drawn.
    panels
        Group name (an owner code or ``joint``) to the value of every grid cell, ``(n,)``.
    title, colorbar_label
        Figure title and the colour bar's label (with its unit).
    path
        Output PNG path.
    vmin, vmax, cmap
        Colour scale, shared by all panels so owners compare at a glance.
    """
    west, east, south, north = map_window_deg(grid)
    polygons = _cell_polygons(grid, west)
    n = len(panels)
    aspect = max(0.35, min(1.2, (north - south) / max(east - west, 1e-9)))
    fig, axes = plt.subplots(
        1, n, figsize=(4.2 * n + 0.8, 4.2 * aspect + 1.2), squeeze=False, layout="constrained"
    )
    collection = None
    for ax, (group, values) in zip(axes[0], panels.items(), strict=True):
        collection = PolyCollection(
            list(polygons), array=np.asarray(values)[grid.mask], cmap=cmap, edgecolors="none"
        )
        collection.set_clim(vmin, vmax)
        ax.add_collection(collection)
        add_coastlines(ax, color="white", linewidth=0.6, lon_wrap_deg=west)
        ax.set_xlim(west, east)
        ax.set_ylim(south, north)
        ax.set_aspect("equal")
        ax.set_title(group)
        ax.set_xlabel("longitude, deg")
        ax.set_facecolor("0.85")
    axes[0][0].set_ylabel("latitude, deg")
    if collection is not None:
        fig.colorbar(collection, ax=axes[0].tolist(), label=colorbar_label, shrink=0.9)
    fig.suptitle(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _panels(
    grid: CoverageGrid, layer: pa.Table, column: str, scale: float = 1.0
) -> dict[str, NDArray[np.float64]]:
    """Per group of a ``coverage_cells`` layer, ``column`` times ``scale`` on every cell
    of the grid (NaN outside the region); owners first, then ``joint``."""
    out = {}
    for group in tracker_order(layer["group"].to_pylist()):
        rows = layer.filter(pc.equal(layer["group"], group))
        values = np.full(grid.n_cells, np.nan)
        values[rows["cell"].to_numpy()] = rows[column].to_numpy() * scale
        out[group] = values
    return out


def write_coverage_maps(
    grid: CoverageGrid, cells: pa.Table, ks: list[int], span_s: float, folder: Path
) -> list[Path]:
    """One PNG per altitude and figure of merit, with a panel per owner and the joint.

    Parameters
    ----------
    grid
        The coverage grid the ``cells`` table refers to (its ``cell`` column).
    cells
        The ``coverage_cells`` table.
    ks, span_s
        The multiplicities and the span's length, s, for titles.
    folder
        Output folder of the PNG files: ``coverage_<alt>km_pct_time_k<k>.png`` and
        ``coverage_<alt>km_max_gap.png``.
    """
    paths = []
    for altitude_m in sorted(set(cells["altitude_m"].to_pylist())):
        layer = cells.filter(pc.equal(cells["altitude_m"], altitude_m))
        alt = f"{altitude_m / KM:g}"
        for k in ks:
            paths.append(
                plot_coverage_map(
                    grid,
                    _panels(grid, layer, f"pct_time_k{k}"),
                    title=f"Time seen by at least {k} satellite{'s' if k > 1 else ''}, "
                    f"targets at {alt} km, over {span_s / 3600.0:g} h",
                    colorbar_label="% of time",
                    path=folder / f"coverage_{alt}km_pct_time_k{k}.png",
                    vmin=0.0,
                    vmax=100.0,
                )
            )
        gaps = _panels(grid, layer, "max_gap_s", 1.0 / 60.0)
        worst = max(float(np.nanmax(v)) for v in gaps.values())
        paths.append(
            plot_coverage_map(
                grid,
                gaps,
                title=f"Longest gap with no satellite in view, targets at {alt} km",
                colorbar_label="longest gap, min",
                path=folder / f"coverage_{alt}km_max_gap.png",
                vmin=0.0,
                vmax=max(1.0, worst),
                cmap="magma_r",
            )
        )
    return paths
