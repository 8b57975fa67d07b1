"""The report's map of the network's links at one moment, from the run folder alone.

The ``links`` table names each link's ends; ``link_ends`` places them (ECEF, m) at the
same sample times (:func:`tracklayer.network.stage.link_ends_table`). The map shows the
busiest sample (the most links up; the earliest of equals) on a plate carrée map:
satellites at their sub-satellite points, ground stations, and each link as the ground
path below its straight line of sight (the chord between its ends, sampled at
:data:`CHORD_POINTS` points), coloured by kind.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from numpy.typing import NDArray

from tracklayer.frames import ecef_to_geodetic
from tracklayer.report.basemap import add_coastlines

__all__ = ["busiest_sample_ns", "link_map", "link_map_lines"]

#: Colours of the link kinds on the map (``links`` table's ``kind``).
KIND_COLORS = {"crosslink": "tab:blue", "downlink": "tab:orange"}

F64 = NDArray[np.float64]

#: Points drawn along each link's chord (ends included): a long crosslink's chord dips
#: far below the satellites and its ground path bends on a plate carrée map.
CHORD_POINTS = 24


def busiest_sample_ns(links: pa.Table) -> int:
    """The link sample time (int64 ns since 1970, UTC) with the most links up; the earliest
    of equals. ``links`` must have rows."""
    times = np.asarray(pc.cast(links["time"], pa.int64()))
    values, counts = np.unique(times, return_counts=True)
    return int(values[int(np.argmax(counts))])


def link_map_lines(
    links: pa.Table, link_ends: pa.Table, time_ns: int, n_points: int = CHORD_POINTS
) -> tuple[dict[str, F64], dict[str, tuple[F64, F64]], float]:
    """The map's geometry at one link sample.

    Parameters
    ----------
    links, link_ends
        The run's ``links`` and ``link_ends`` tables.
    time_ns
        The sample time, int64 ns since 1970 (UTC).
    n_points
        Points along each link's chord, its ends included.

    Returns
    -------
    lines
        Per link kind: ``(L, n_points, 2)`` (longitude, latitude) degrees of the points
        below each link's straight chord (ECEF) from its ``a`` end to its ``b`` end.
    points
        Per end kind (``satellite``, ``station``): longitudes and latitudes, degrees.
    west_deg
        Western edge of the longitude window: -180, or 0 where the ends lie across the
        antimeridian (the longitudes are then in [0, 360)).
    """
    at = pc.equal(pc.cast(link_ends["time"], pa.int64()), time_ns)
    ends = link_ends.filter(at)
    xyz = np.column_stack([ends[c].to_numpy() for c in ("x", "y", "z")]).reshape(-1, 3)
    lat, lon, _ = ecef_to_geodetic(xyz)
    lon_deg = np.rad2deg(lon)
    west = 0.0 if lon_deg.size and _spans_antimeridian(lon_deg) else -180.0
    ids = np.asarray(ends["id"].to_pylist(), dtype=str)
    order = np.argsort(ids, kind="stable")
    mine = links.filter(pc.equal(pc.cast(links["time"], pa.int64()), time_ns))
    kinds = np.asarray(mine["kind"].to_pylist(), dtype=str)
    a, b = (
        order[np.searchsorted(ids[order], np.asarray(mine[c].to_pylist(), dtype=str))]
        for c in ("a", "b")
    )
    s = np.linspace(0.0, 1.0, n_points)[None, :, None]
    chord = (1.0 - s) * xyz[a][:, None, :] + s * xyz[b][:, None, :]  # (L, n_points, 3)
    c_lat, c_lon, _ = ecef_to_geodetic(chord.reshape(-1, 3))
    lonlat = np.column_stack([_wrap(np.rad2deg(c_lon), west), np.rad2deg(c_lat)])
    lonlat = lonlat.reshape(len(kinds), n_points, 2)
    lines = {str(k): lonlat[kinds == k] for k in sorted(set(kinds.tolist()))}
    end_kind = np.asarray(ends["kind"].to_pylist(), dtype=str)
    lon_w, lat_deg = _wrap(lon_deg, west), np.rad2deg(lat)
    points = {str(k): (lon_w[end_kind == k], lat_deg[end_kind == k]) for k in set(end_kind)}
    return lines, points, west


def link_map(links: pa.Table, link_ends: pa.Table) -> tuple[Figure, int]:
    """The map of the links at the busiest sample, and that sample's time (int64 ns)."""
    time_ns = busiest_sample_ns(links)
    lines, points, west = link_map_lines(links, link_ends, time_ns)
    fig, ax = plt.subplots(figsize=(9.0, 4.6), layout="constrained")
    ax.set_facecolor("#f4f7fb")
    for kind, chords in lines.items():
        color = KIND_COLORS.get(kind, "0.3")
        ax.add_collection(LineCollection(_pieces(chords), colors=color, linewidths=0.8, zorder=4))
        ax.plot([], [], color=color, lw=1.2, label=f"{kind}s ({len(chords):,})")
    sat_lon, sat_lat = points.get("satellite", (np.zeros(0), np.zeros(0)))
    ax.plot(sat_lon, sat_lat, ".", color="0.15", ms=2.5, zorder=5, label="satellites linked")
    st_lon, st_lat = points.get("station", (np.zeros(0), np.zeros(0)))
    ax.plot(st_lon, st_lat, "^", color="darkgreen", ms=7, zorder=6, ls="", label="ground stations")
    add_coastlines(ax, color="0.5", linewidth=0.5, lon_wrap_deg=west)
    ax.set_xlim(west, west + 360.0)
    ax.set_ylim(-90.0, 90.0)
    ax.set_aspect("equal")
    ax.set_xlabel("longitude, deg")
    ax.set_ylabel("latitude, deg")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return fig, time_ns


def _pieces(lines: F64) -> list[F64]:
    """Each polyline of ``lines`` (L, K, 2) split where it crosses the window's seam (a
    jump of more than 180 degrees of longitude between neighbouring points)."""
    out = []
    for line in lines:
        jumps = np.flatnonzero(np.abs(np.diff(line[:, 0])) > 180.0) + 1
        out += [piece for piece in np.split(line, jumps) if len(piece) > 1]
    return out


def _wrap(lon_deg: F64, west_deg: float) -> F64:
    return np.asarray((lon_deg - west_deg) % 360.0 + west_deg)


def _spans_antimeridian(lon_deg: F64) -> bool:
    """Whether the points sit tighter in [0, 360) than in [-180, 180) (a Pacific map)."""
    return bool(np.ptp(np.mod(lon_deg, 360.0)) < np.ptp(lon_deg))
