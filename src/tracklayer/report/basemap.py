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


#: Longest segment of the shipped coastlines is 5.7 deg: a segment with both ends more than
#: this far outside a window cannot cross it, so lines cut there draw the same inside.
_WINDOW_MARGIN_DEG = 6.0


def add_coastlines(
    ax: Axes,
    *,
    color: str = "0.5",
    linewidth: float = 0.5,
    lon_wrap_deg: float = -180.0,
    halo: str | None = None,
    window_deg: tuple[float, float, float, float] | None = None,
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
    window_deg
        The map's (west, east, south, north) window, degrees, when the axis shows no more:
        only the coastlines near it are drawn (what shows inside is the same; drawing the
        whole world's 60,000 points on every panel cost most of a regional map's time).
    """
    lines = _wrapped(lon_wrap_deg)
    if window_deg is not None:
        lines = _near_window(lon_wrap_deg, window_deg)
    collection = LineCollection(lines, colors=color, linewidths=linewidth, zorder=3)
    if halo is not None:
        collection.set_path_effects(
            [patheffects.Stroke(linewidth=linewidth * 2.6, foreground=halo), patheffects.Normal()]
        )
    ax.add_collection(collection, autolim=False)


@cache
def _wrapped(lon_wrap_deg: float) -> tuple[np.ndarray, ...]:
    """The coastlines with longitudes in ``[lon_wrap_deg, lon_wrap_deg + 360)``."""
    lines = list(coastlines_deg())
    if lon_wrap_deg != -180.0:
        lines = [_rewrap(line, lon_wrap_deg) for line in lines]
        lines = [piece for line in lines for piece in _split_jumps(line)]
    return tuple(lines)


@cache
def _near_window(
    lon_wrap_deg: float, window_deg: tuple[float, float, float, float]
) -> tuple[np.ndarray, ...]:
    """The pieces of the wrapped coastlines within the margin of a window: runs of points
    inside the widened window, each with its neighbours outside (so every segment that
    reaches into the window is kept whole)."""
    west, east, south, north = window_deg
    m = _WINDOW_MARGIN_DEG
    pieces = []
    for line in _wrapped(lon_wrap_deg):
        lon, lat = line[:, 0], line[:, 1]
        near = (lon >= west - m) & (lon <= east + m) & (lat >= south - m) & (lat <= north + m)
        if not near.any():
            continue
        keep = near.copy()
        keep[1:] |= near[:-1]
        keep[:-1] |= near[1:]
        edges = np.flatnonzero(np.diff(np.concatenate([[0], keep.view(np.int8), [0]])))
        pieces += [line[a:b] for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a > 1]
    return tuple(pieces)


def _rewrap(line: np.ndarray, west_deg: float) -> np.ndarray:
    wrapped = line.copy()
    wrapped[:, 0] = (wrapped[:, 0] - west_deg) % 360.0 + west_deg
    return wrapped


def _split_jumps(line: np.ndarray) -> list[np.ndarray]:
    jumps = np.flatnonzero(np.abs(np.diff(line[:, 0])) > 180.0) + 1
    return [piece for piece in np.split(line, jumps) if len(piece) > 1]
