"""Coastlines for plate carrée maps, from Natural Earth data shipped in the package.

The data (Natural Earth 1:50m land, public domain) is read from
``tracklayer/data/coastlines_50m.npz``; nothing is fetched at run time.
``scripts/make_coastlines.py`` rebuilds the file from the Natural Earth TopoJSON.
"""

from __future__ import annotations

import itertools
from functools import cache
from importlib import resources

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection


@cache
def coastlines_deg() -> tuple[np.ndarray, ...]:
    """Every coastline polyline as an ``(n_points, 2)`` array of (longitude, latitude) degrees.

    Polylines are already split at the antimeridian, longitudes lie in [-180, 180].
    """
    with resources.files("tracklayer.data").joinpath("coastlines_50m.npz").open("rb") as f:
        data = np.load(f)
        points = data["lonlat_deg"].astype(float)
        offsets = data["offsets"]
    return tuple(points[start:stop] for start, stop in itertools.pairwise(offsets))


def add_coastlines(
    ax: Axes,
    *,
    color: str = "0.5",
    linewidth: float = 0.5,
    lon_wrap_deg: float = -180.0,
    halo: str | None = None,
) -> None:
    """Draw coastlines on an axis whose x is longitude and y latitude, both in degrees.

    Parameters
    ----------
    ax
        A matplotlib axis in plate carrée coordinates.
    color, linewidth
        Line style.
    lon_wrap_deg
        Western edge of the longitude window, so a map of the Pacific can run from
        ``lon_wrap_deg=0`` (0..360) without a seam at the antimeridian.
    halo
        Colour of a stroke under the line, twice as wide, so the line reads on any colour
        of a filled map (None: no halo).
    """
    lines = list(coastlines_deg())
    if lon_wrap_deg != -180.0:
        lines = [_rewrap(line, lon_wrap_deg) for line in lines]
        lines = [piece for line in lines for piece in _split_jumps(line)]
    collection = LineCollection(lines, colors=color, linewidths=linewidth, zorder=3)
    if halo is not None:
        collection.set_path_effects(
            [patheffects.Stroke(linewidth=linewidth * 2.6, foreground=halo), patheffects.Normal()]
        )
    ax.add_collection(collection, autolim=False)


def _rewrap(line: np.ndarray, west_deg: float) -> np.ndarray:
    wrapped = line.copy()
    wrapped[:, 0] = (wrapped[:, 0] - west_deg) % 360.0 + west_deg
    return wrapped


def _split_jumps(line: np.ndarray) -> list[np.ndarray]:
    jumps = np.flatnonzero(np.abs(np.diff(line[:, 0])) > 180.0) + 1
    return [piece for piece in np.split(line, jumps) if len(piece) > 1]
