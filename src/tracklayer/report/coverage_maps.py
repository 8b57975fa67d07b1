"""Coverage maps: one PNG per figure of merit and altitude, a panel per owner and joint."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.collections import PolyCollection
from matplotlib.colors import BoundaryNorm, Colormap, Normalize
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


#: Colour steps of a percent-of-time map: coarse below 80 %, fine above, where designs
#: differ (a constellation that covers a region at all covers most of it most of the time).
PCT_LEVELS = (0.0, 20.0, 40.0, 60.0, 80.0, 85.0, 90.0, 95.0, 98.0, 99.0, 100.0)


def pct_scale(cmap: str = "viridis") -> tuple[BoundaryNorm, Colormap]:
    """The percent-of-time maps' colour scale: one colour per step of :data:`PCT_LEVELS`,
    each step the same length on the colour bar (0-80 % in four, 80-100 % in six)."""
    colours = plt.get_cmap(cmap).resampled(len(PCT_LEVELS) - 1)
    return BoundaryNorm(PCT_LEVELS, colours.N), colours


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
    norm: Normalize | None = None,
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
    norm
        A colour normalisation that replaces ``vmin``/``vmax`` (e.g. :func:`pct_scale`'s
        steps).
    """
    west, east, south, north = map_window_deg(grid)
    polygons = _cell_polygons(grid, west)
    n = len(panels)
    aspect = max(0.35, min(1.2, (north - south) / max(east - west, 1e-9)))
    fig, axes = plt.subplots(
        1, n, figsize=(5.6 * n + 1.2, 5.6 * aspect + 1.4), squeeze=False, layout="constrained"
    )
    collection = None
    for ax, (group, values) in zip(axes[0], panels.items(), strict=True):
        collection = PolyCollection(
            list(polygons),
            array=np.asarray(values)[grid.mask],
            cmap=plt.get_cmap(cmap) if norm is None else pct_scale(cmap)[1],
            norm=norm,
            edgecolors="none",
        )
        if norm is None:
            collection.set_clim(vmin, vmax)
        ax.add_collection(collection)
        # Black lines on a white halo read on every colour of the scale.
        add_coastlines(
            ax, color="black", linewidth=0.7, lon_wrap_deg=west, halo="white",
            window_deg=(west, east, south, north),
        )  # fmt: skip
        ax.set_xlim(west, east)
        ax.set_ylim(south, north)
        ax.set_aspect("equal")
        ax.set_title(group)
        ax.set_xlabel("longitude, deg")
        ax.set_facecolor("0.85")
    axes[0][0].set_ylabel("latitude, deg")
    if collection is not None:
        bar = fig.colorbar(
            collection,
            ax=axes[0].tolist(),
            label=colorbar_label,
            shrink=0.9,
            spacing="uniform" if norm is not None else "proportional",
        )
        if isinstance(norm, BoundaryNorm):
            bar.set_ticks(list(norm.boundaries), labels=[f"{b:g}" for b in norm.boundaries])
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
                    f"targets at {alt} km, over the coverage span of {span_text(span_s)}",
                    colorbar_label="% of the coverage span (finer steps above 80 %)",
                    path=folder / f"coverage_{alt}km_pct_time_k{k}.png",
                    vmin=0.0,
                    vmax=100.0,
                    norm=pct_scale()[0],
                )
            )
        gaps = _panels(grid, layer, "max_gap_s", 1.0 / 60.0)
        worst = max(float(np.nanmax(v)) for v in gaps.values())
        paths.append(
            plot_coverage_map(
                grid,
                gaps,
                title=f"Longest gap with no satellite in view, targets at {alt} km, over the "
                f"coverage span of {span_text(span_s)}",
                colorbar_label="longest gap, min",
                path=folder / f"coverage_{alt}km_max_gap.png",
                vmin=0.0,
                vmax=max(1.0, worst),
                cmap="magma_r",
            )
        )
    return paths


def span_text(span_s: float) -> str:
    """A span in the unit that reads best: ``24 h``, ``90 min``, ``45 s``."""
    if span_s >= 3600.0 and span_s % 3600.0 == 0.0:
        return f"{span_s / 3600.0:g} h"
    return f"{span_s / 60.0:g} min" if span_s >= 60.0 else f"{span_s:g} s"
