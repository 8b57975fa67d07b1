"""The report's map of the network's links at one moment, from the run folder alone.

The ``links`` table names each link's ends; ``link_ends`` places them (ECEF, m) at the
same sample times (:func:`tracklayer.network.stage.link_ends_table`). The map shows the
busiest sample (the most links up; the earliest of equals): satellites at their
sub-satellite points, ground stations, and each link as a straight line between its
ends' points on a plate carrée map (a crosslink's chord seen from above, not its ground
path), coloured by kind.
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


def busiest_sample_ns(links: pa.Table) -> int:
    """The link sample time (int64 ns since 1970, UTC) with the most links up; the earliest
    of equals. ``links`` must have rows."""
    times = np.asarray(pc.cast(links["time"], pa.int64()))
    values, counts = np.unique(times, return_counts=True)
    return int(values[int(np.argmax(counts))])


def link_map_lines(
    links: pa.Table, link_ends: pa.Table, time_ns: int
) -> tuple[dict[str, F64], dict[str, tuple[F64, F64]], float]:
    """The map's geometry at one link sample.

    Parameters
    ----------
    links, link_ends
        The run's ``links`` and ``link_ends`` tables.
    time_ns
        The sample time, int64 ns since 1970 (UTC).

    Returns
    -------
    segments
        Per link kind: ``(L, 2, 2)`` (longitude, latitude) degrees of both ends of each link.
    points
        Per end kind (``satellite``, ``station``): longitudes and latitudes, degrees.
    west_deg
        Western edge of the longitude window: -180, or 0 where the ends lie across the
        antimeridian (the longitudes are then in [0, 360)).
    """
    at = pc.equal(pc.cast(link_ends["time"], pa.int64()), time_ns)
    ends = link_ends.filter(at)
    lat, lon, _ = ecef_to_geodetic(
        np.column_stack([ends[c].to_numpy() for c in ("x", "y", "z")]).reshape(-1, 3)
    )
    lat_deg, lon_deg = np.rad2deg(lat), np.rad2deg(lon)
    west = 0.0 if lon_deg.size and _spans_antimeridian(lon_deg) else -180.0
    lon_deg = (lon_deg - west) % 360.0 + west
    ids = np.asarray(ends["id"].to_pylist(), dtype=str)
    order = np.argsort(ids, kind="stable")
    mine = links.filter(pc.equal(pc.cast(links["time"], pa.int64()), time_ns))
    kinds = np.asarray(mine["kind"].to_pylist(), dtype=str)
    where = [
        order[np.searchsorted(ids[order], np.asarray(mine[c].to_pylist(), dtype=str))]
        for c in ("a", "b")
    ]
    ends_lonlat = np.stack(
        [np.column_stack([lon_deg[w], lat_deg[w]]) for w in where], axis=1
    )  # (L, 2, 2)
    segments = {str(k): ends_lonlat[kinds == k] for k in sorted(set(kinds.tolist()))}
    end_kind = np.asarray(ends["kind"].to_pylist(), dtype=str)
    points = {str(k): (lon_deg[end_kind == k], lat_deg[end_kind == k]) for k in set(end_kind)}
    return segments, points, west


def link_map(links: pa.Table, link_ends: pa.Table) -> tuple[Figure, int]:
    """The map of the links at the busiest sample, and that sample's time (int64 ns)."""
    time_ns = busiest_sample_ns(links)
    segments, points, west = link_map_lines(links, link_ends, time_ns)
    fig, ax = plt.subplots(figsize=(9.0, 4.6), layout="constrained")
    ax.set_facecolor("#f4f7fb")
    for kind, seg in segments.items():
        n_links = len(seg)
        seg = _across_seam(seg)
        color = KIND_COLORS.get(kind, "0.3")
        ax.add_collection(LineCollection(list(seg), colors=color, linewidths=0.8, zorder=4))
        ax.plot([], [], color=color, lw=1.2, label=f"{kind}s ({n_links:,})")
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


def _across_seam(seg: F64) -> F64:
    """``seg`` (L, 2, 2) with each link that crosses the window's seam drawn twice: once
    from each end towards the other's longitude moved by 360 degrees (the axis clips)."""
    jump = seg[:, 1, 0] - seg[:, 0, 0]
    across = np.abs(jump) > 180.0
    if not across.any():
        return seg
    first, second = seg[across].copy(), seg[across].copy()
    first[:, 1, 0] -= 360.0 * np.sign(jump[across])
    second[:, 0, 0] += 360.0 * np.sign(jump[across])
    return np.concatenate([seg[~across], first, second])


def _spans_antimeridian(lon_deg: F64) -> bool:
    """Whether the points sit tighter in [0, 360) than in [-180, 180) (a Pacific map)."""
    return bool(np.ptp(np.mod(lon_deg, 360.0)) < np.ptp(lon_deg))
