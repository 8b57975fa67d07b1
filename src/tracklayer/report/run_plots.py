"""Plots of a whole run: threat timelines, custody and track error, GOSPA, ground tracks.

Each function reads run tables (DESIGN.md: ``truth``, ``detections``, ``tracks``,
``metrics``, ``gospa``) and returns a matplotlib figure (Agg backend) for the caller to save
or embed (:mod:`tracklayer.report.html`). Times on the x axes are minutes since the
scenario epoch, or seconds after a threat's launch where threats are compared; distances
are in km, speeds in m/s.

Trackers keep one style everywhere: each owner a colour of its own, ``joint`` black and
solid, ``fused`` purple and dashed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from numpy.typing import NDArray

from tracklayer.constants import KM
from tracklayer.frames import ecef_to_geodetic
from tracklayer.report.basemap import add_coastlines
from tracklayer.vocabulary import FUSED, JOINT, is_owner, tracker_order

__all__ = [
    "Flight",
    "RadarSite",
    "custody_error_series",
    "flights",
    "plot_custody_and_error",
    "plot_gospa",
    "plot_ground_tracks",
    "plot_threat_timelines",
    "plot_tracker_comparison",
    "radar_first_detections",
    "tracker_order",
    "tracker_style",
]

F64 = NDArray[np.float64]

#: Colours of the flight phases the flyout writes; other phases take the fallback cycle.
PHASE_COLORS = {
    "boost": "#f28e2b",
    "midcourse": "#4e79a7",
    "reentry": "#e15759",
    "pullup": "#edc948",
    "glide": "#59a14f",
    "manoeuvre": "#b07aa1",
    "terminal": "#ff9da7",
}
_FALLBACK_COLORS = ("#9c755f", "#76b7b2", "#bab0ac", "#8cd17d", "#d4a6c8")
KIND_COLORS = {"ballistic": "tab:red", "hgv": "tab:blue"}
_OWNER_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:brown", "tab:olive")
#: Most track points drawn on the ground-track map (an even subsample beyond).
MAX_TRACK_POINTS = 40_000


@dataclass(frozen=True)
class Flight:
    """One threat's flight as the ``truth`` table tells it.

    Attributes
    ----------
    object_id, kind
        Threat identity and kind (``ballistic``, ``hgv``).
    launch_s, end_s
        First and last truth sample, s since the epoch.
    phases
        ``(phase, start_s, end_s)`` runs in time order, s since the epoch; each run ends
        where the next begins, so the bars tile the flight.
    """

    object_id: str
    kind: str
    launch_s: float
    end_s: float
    phases: tuple[tuple[str, float, float], ...]


@dataclass(frozen=True)
class RadarSite:
    """A ground radar's name, owner and site (degrees) for maps and timelines."""

    name: str
    owner: str
    lat_deg: float
    lon_deg: float


def _ns(column: pa.ChunkedArray | pa.Array) -> NDArray[np.int64]:
    as_ts = pc.cast(column, pa.timestamp("ns", tz="UTC"))
    out: NDArray[np.int64] = np.asarray(
        pc.cast(as_ts, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64
    )
    return out


def _strings(table: pa.Table, name: str) -> NDArray[np.str_]:
    column = table.column(name)
    if pa.types.is_dictionary(column.type):
        column = column.cast(pa.string())
    return np.asarray(column.to_pylist(), dtype=object).astype(str)


def _floats(table: pa.Table, name: str) -> F64:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def tracker_style(name: str, owners: Sequence[str]) -> dict[str, Any]:
    """Line style of a tracker: ``color``, ``linestyle``, ``linewidth`` (and ``zorder``)."""
    if name == JOINT:
        # Wide and beneath the others: an owner whose line coincides with it still shows.
        return {"color": "black", "linestyle": "-", "linewidth": 2.2, "zorder": 1.9}
    if name == FUSED:
        return {"color": "tab:purple", "linestyle": "--", "linewidth": 1.3}
    index = list(owners).index(name) if name in owners else len(owners)
    return {"color": _OWNER_COLORS[index % len(_OWNER_COLORS)], "linestyle": "-", "linewidth": 1.1}


def flights(truth: pa.Table, epoch_ns: int) -> list[Flight]:
    """Every threat's flight and phases from a ``truth`` table, in ``object_id`` order.

    Parameters
    ----------
    truth
        The ``truth`` table (``object_id``, ``kind``, ``time``; ``phase`` if present).
    epoch_ns
        The scenario epoch, ns since 1970 (UTC).
    """
    if truth.num_rows == 0:
        return []
    ids = _strings(truth, "object_id")
    kinds = _strings(truth, "kind")
    phases = (
        _strings(truth, "phase")
        if "phase" in truth.column_names
        else np.full(ids.size, "flight", dtype=object).astype(str)
    )
    t = (_ns(truth.column("time")) - epoch_ns) / 1e9
    order = np.lexsort((t, ids))
    ids, kinds, phases, t = ids[order], kinds[order], phases[order], t[order]
    new_object = np.r_[True, ids[1:] != ids[:-1]]
    new_run = new_object | np.r_[True, phases[1:] != phases[:-1]]
    run_start = np.flatnonzero(new_run)
    object_start = np.flatnonzero(new_object)
    object_stop = np.r_[object_start[1:], ids.size]
    out = []
    for lo, hi in zip(object_start, object_stop, strict=True):
        starts = run_start[(run_start >= lo) & (run_start < hi)]
        ends = [*t[starts[1:]].tolist(), float(t[hi - 1])]
        runs = tuple(
            (str(phases[s]), float(t[s]), float(e)) for s, e in zip(starts, ends, strict=True)
        )
        out.append(Flight(str(ids[lo]), str(kinds[lo]), float(t[lo]), float(t[hi - 1]), runs))
    return out


def radar_first_detections(detections: pa.Table, epoch_ns: int) -> dict[tuple[str, str], float]:
    """First detection of each threat by each ground radar, s since the epoch.

    Returns
    -------
    dict
        ``(radar sensor_id, threat object_id)`` to the time of its first detection.
    """
    if detections.num_rows == 0 or "sensor_kind" not in detections.column_names:
        return {}
    radar = detections.filter(
        pc.and_(
            pc.equal(detections.column("sensor_kind"), "radar"),
            pc.is_valid(detections.column("truth_id")),
        )
    )
    if radar.num_rows == 0:
        return {}
    t = (_ns(radar.column("time")) - epoch_ns) / 1e9
    sensor = _strings(radar, "sensor_id")
    threat = _strings(radar, "truth_id")
    order = np.lexsort((t, threat, sensor))
    t, sensor, threat = t[order], sensor[order], threat[order]
    first = np.flatnonzero(np.r_[True, (sensor[1:] != sensor[:-1]) | (threat[1:] != threat[:-1])])
    return {(str(sensor[i]), str(threat[i])): float(t[i]) for i in first}


def plot_threat_timelines(
    threat_flights: Sequence[Flight],
    metrics: pa.Table,
    radar_first: Mapping[tuple[str, str], float],
    *,
    trackers: Sequence[str],
    radars: Sequence[str] = (),
) -> Figure:
    """Per threat, its phases and when each tracker first detected, tracked and cued it.

    A panel per threat, x in seconds after its launch, shared by all panels: the top row
    shows the phases; then a row per tracker with a bar at its first detection (of this
    threat, by that tracker's own sensors), a triangle at its first track and a star at its
    first cue-quality track (``cue_time_s``); then a row per ground radar with a square at
    its first detection.

    Parameters
    ----------
    threat_flights
        The threats to draw (:func:`flights`).
    metrics
        The ``metrics`` table (times in s after launch).
    radar_first
        :func:`radar_first_detections` (s since the epoch).
    trackers, radars
        Row order: tracker names and radar ``sensor_id``.
    """
    rows_by_key = {(str(r["object_id"]), str(r["tracker"])): r for r in metrics.to_pylist()}
    n = max(1, len(threat_flights))
    ncols = 1 if n <= 3 else 2
    nrows = int(np.ceil(n / ncols))
    labels = ["phase", *trackers, *radars]
    panel_h = 0.26 * len(labels) + 0.75
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(13.0, 1.0 + panel_h * nrows),
        squeeze=False,
        sharex=True,
        layout="constrained",
    )
    longest = max((f.end_s - f.launch_s for f in threat_flights), default=60.0)
    phase_colors = _phase_colors(p for f in threat_flights for p, _, _ in f.phases)
    for ax, flight in zip(axes.flat, threat_flights, strict=False):
        ax.broken_barh(
            [(s - flight.launch_s, e - s) for _, s, e in flight.phases],
            (-0.35, 0.7),
            facecolors=[phase_colors[p] for p, _, _ in flight.phases],
        )
        _timeline_marks(ax, flight, rows_by_key, labels, trackers, radars, radar_first)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_ylim(len(labels) - 0.4, -0.6)
        ax.set_xlim(-0.02 * longest, 1.08 * longest)
        ax.set_title(f"{flight.object_id} ({flight.kind})", fontsize=10, loc="left")
        ax.grid(axis="x", alpha=0.3)
    for ax in axes.flat[len(threat_flights) :]:
        ax.set_visible(False)
    for col in range(ncols):
        # The lowest drawn panel of each column carries the time axis.
        last = (len(threat_flights) - 1 - col) // ncols if len(threat_flights) > col else 0
        ax = axes[last][col]
        ax.set_xlabel("time after launch, s")
        ax.xaxis.set_tick_params(labelbottom=True)
    handles = _timeline_legend(phase_colors, with_radars=bool(radars))
    fig.legend(handles=handles, loc="outside upper center", ncol=min(len(handles), 7), fontsize=8)
    return fig


def _timeline_marks(
    ax: Axes,
    flight: Flight,
    rows_by_key: Mapping[tuple[str, str], Mapping[str, Any]],
    labels: Sequence[str],
    trackers: Sequence[str],
    radars: Sequence[str],
    radar_first: Mapping[tuple[str, str], float],
) -> None:
    """One threat's rows: each tracker's first detection, track and cue, each radar's
    first detection, at their times after launch (``labels`` gives the rows' order)."""
    owners = [t for t in trackers if is_owner(t)]
    y = {label: i for i, label in enumerate(labels)}
    duration = flight.end_s - flight.launch_s
    # Drawn largest first; the detection is a thin bar, so that a track a second later,
    # or a cue at the time of the first track, still shows.
    marks = (
        ("cue_time_s", "*", 11.0, 3),
        ("first_track_s", "^", 8.0, 4),
        ("first_detection_s", "|", 13.0, 5),
    )
    for name in trackers:
        color = tracker_style(name, owners)["color"]
        row = rows_by_key.get((flight.object_id, name), {})
        ax.plot([0.0, duration], [y[name]] * 2, color="0.85", lw=1.0, zorder=1)
        for column, marker, size, z in marks:
            value = row.get(column)
            if value is not None and np.isfinite(value):
                ax.plot(
                    value, y[name], marker, color=color, ms=size, zorder=z,
                    mew=1.6 if marker == "|" else 0.6, mec="white" if marker == "^" else color,
                )  # fmt: skip
        if row.get("first_track_s") is None or not np.isfinite(row["first_track_s"]):
            ax.text(duration, y[name], " no track", va="center", fontsize=7, color="0.4")
    for radar in radars:
        ax.plot([0.0, duration], [y[radar]] * 2, color="0.85", lw=1.0, zorder=1)
        seen = radar_first.get((radar, flight.object_id))
        if seen is None:
            ax.text(duration, y[radar], " not seen", va="center", fontsize=7, color="0.4")
        else:
            ax.plot(seen - flight.launch_s, y[radar], "s", color="tab:red", ms=5, zorder=3)


def _timeline_legend(phase_colors: Mapping[str, str], *, with_radars: bool) -> list[Any]:
    """Legend entries of the timelines: phases, then the markers."""
    handles: list[Line2D | Patch] = [Patch(color=c, label=p) for p, c in phase_colors.items()]
    handles += [
        Line2D([], [], ls="", marker="|", ms=11, mew=1.6, color="0.2", label="first detection"),
        Line2D([], [], ls="", marker="^", color="0.2", label="first track"),
        Line2D([], [], ls="", marker="*", ms=11, color="0.2", label="first cue-quality track"),
    ]
    if with_radars:
        handles.append(
            Line2D([], [], ls="", marker="s", color="tab:red", label="radar first detection")
        )
    return handles


def _phase_colors(names: Iterable[str]) -> dict[str, str]:
    seen = list(dict.fromkeys(names))
    known = [p for p in PHASE_COLORS if p in seen]
    others = [p for p in seen if p not in PHASE_COLORS]
    colors = {p: PHASE_COLORS[p] for p in known}
    for i, p in enumerate(others):
        colors[p] = _FALLBACK_COLORS[i % len(_FALLBACK_COLORS)]
    return colors


def custody_error_series(
    gospa: pa.Table, *, c_m: float, p: float
) -> dict[str, tuple[NDArray[np.int64], F64, F64]]:
    """Per tracker and scoring time: custody fraction and mean position error.

    From the GOSPA decomposition (:mod:`tracklayer.metrics.gospa`): ``missed = c^p/2 ·
    |missed|`` gives the number of threats left unmatched, so ``n_truth - |missed|`` threats
    are in custody, and ``(localisation / matched)^(1/p)`` is the p-mean position error of
    the matched pairs (the RMS error for p = 2), exactly as the ``metrics`` table scores.

    Returns
    -------
    dict
        Tracker name to ``(time_ns, custody, error_m)``, each ``(n,)``: UTC ns, the
        fraction of the threats in flight that are in custody (NaN when none fly), and
        the position error, m (NaN when none is matched).
    """
    out: dict[str, tuple[NDArray[np.int64], F64, F64]] = {}
    if gospa.num_rows == 0:
        return out
    names = _strings(gospa, "tracker")
    t_all = _ns(gospa.column("time"))
    n_truth_all = _floats(gospa, "n_truth")
    missed_all = _floats(gospa, "missed")
    local_all = _floats(gospa, "localisation")
    half = c_m**p / 2.0
    for name in tracker_order(names.tolist()):
        sel = names == name
        order = np.argsort(t_all[sel], kind="stable")
        n_truth = n_truth_all[sel][order]
        matched = n_truth - np.rint(missed_all[sel][order] / half)
        with np.errstate(invalid="ignore", divide="ignore"):
            custody = np.where(n_truth > 0, matched / n_truth, np.nan)
            error = np.where(matched > 0, (local_all[sel][order] / matched) ** (1.0 / p), np.nan)
        out[name] = (t_all[sel][order], custody, error)
    return out


def _minutes(t_ns: NDArray[np.int64], epoch_ns: int) -> F64:
    return np.asarray((t_ns - epoch_ns) / 60e9, dtype=np.float64)


def plot_custody_and_error(
    gospa: pa.Table, *, c_m: float, p: float, epoch_ns: int, epoch_label: str
) -> Figure:
    """Custody (% of the threats in flight) and track position error (km) over time.

    One line per tracker (:func:`custody_error_series`); x in minutes since the epoch,
    named by ``epoch_label`` (e.g. ``2027-03-01 00:00 UTC``).
    """
    series = custody_error_series(gospa, c_m=c_m, p=p)
    owners = [t for t in series if t not in (JOINT, FUSED)]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11.0, 6.6), sharex=True, layout="constrained")
    for name, (t_ns, custody, error) in series.items():
        style = tracker_style(name, owners)
        minutes = _minutes(t_ns, epoch_ns)
        top.plot(minutes, 100.0 * custody, label=name, **style)
        bottom.plot(minutes, error / KM, label=name, alpha=0.9, **style)
    top.set_ylabel("threats in custody, % of those in flight")
    top.set_ylim(-3.0, 103.0)
    top.set_title("Custody over time", loc="left")
    error_label = "RMS" if p == 2.0 else f"p-mean (p={p:g})"
    bottom.set_ylabel(f"position error, km ({error_label})")
    bottom.set_xlabel(f"minutes after {epoch_label}")
    bottom.set_title(
        f"Position error of the tracks matched to a threat (cut-off {c_m / KM:g} km)", loc="left"
    )
    if any(np.any(np.isfinite(e) & (e > 0)) for _, _, e in series.values()):
        bottom.set_yscale("log")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    if series:
        top.legend(title="tracker", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def plot_gospa(gospa: pa.Table, *, epoch_ns: int, epoch_label: str) -> Figure:
    """GOSPA (km) per tracker over time, above the number of tracks each tracker scored
    against the number of threats in flight."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11.0, 6.0), sharex=True, layout="constrained")
    if gospa.num_rows:
        names = _strings(gospa, "tracker")
        t_ns = _ns(gospa.column("time"))
        value = _floats(gospa, "gospa_m")
        n_tracks = _floats(gospa, "n_tracks")
        n_truth = _floats(gospa, "n_truth")
        order_names = tracker_order(names.tolist())
        owners = [t for t in order_names if t not in (JOINT, FUSED)]
        first = names == order_names[0]
        order = np.argsort(t_ns[first], kind="stable")
        bottom.fill_between(
            _minutes(t_ns[first][order], epoch_ns),
            n_truth[first][order],
            step="post",
            color="0.85",
            label="threats in flight",
        )
        for name in order_names:
            sel = names == name
            order = np.argsort(t_ns[sel], kind="stable")
            minutes = _minutes(t_ns[sel][order], epoch_ns)
            style = tracker_style(name, owners)
            top.plot(minutes, value[sel][order] / KM, label=name, **style)
            bottom.step(minutes, n_tracks[sel][order], where="post", label=name, **style)
        top.legend(title="tracker", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        bottom.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    top.set_ylabel("GOSPA, km")
    top.set_title("GOSPA: localisation, missed and false tracks in one distance", loc="left")
    bottom.set_ylabel("count")
    bottom.set_title("Tracks scored by each tracker, and threats in flight", loc="left")
    bottom.set_xlabel(f"minutes after {epoch_label}")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    return fig


def plot_tracker_comparison(summary: Mapping[str, Mapping[str, float | None]]) -> Figure:
    """Bars per tracker: mean custody (%), mean time to first track (s after launch) and
    mean position RMSE (km), from the per-tracker means of the ``metrics`` table.

    Parameters
    ----------
    summary
        Tracker name to ``{"custody_pct", "first_track_s", "rmse_pos_km"}``; None where
        undefined (a tracker that never tracked).
    """
    names = tracker_order(summary)
    owners = [t for t in names if t not in (JOINT, FUSED)]
    panels = (
        ("custody_pct", "mean custody, % of flight", "higher is better"),
        ("first_track_s", "mean time to first track, s", "lower is better"),
        ("rmse_pos_km", "mean position RMSE, km", "lower is better"),
    )
    fig, axes = plt.subplots(1, 3, figsize=(12.0, 3.4), layout="constrained")
    for ax, (key, label, note) in zip(axes, panels, strict=True):
        values = [summary[n].get(key) for n in names]
        heights = [np.nan if v is None else float(v) for v in values]
        colors = [tracker_style(n, owners)["color"] for n in names]
        bars = ax.bar(names, np.nan_to_num(heights), color=colors, alpha=0.85)
        for bar, h in zip(bars, heights, strict=True):
            text = "n/a" if not np.isfinite(h) else f"{h:.3g}"
            ax.annotate(
                text,
                (bar.get_x() + bar.get_width() / 2.0, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=8,
            )
        ax.set_ylabel(label)
        ax.set_title(note, fontsize=9, color="0.35")
        ax.grid(axis="y", alpha=0.3)
        ax.margins(y=0.15)
    return fig


def _map_window(
    lon: F64, lat: F64, *, pad_deg: float = 3.0, width_to_height: float = 1.6
) -> tuple[float, float, float, float]:
    """(west, east, south, north), degrees: the points with a margin, widened in longitude
    or latitude so that the map fills a ``width_to_height`` frame (plate carrée drawn with
    a 1/cos(latitude) aspect)."""
    west, east = float(lon.min()) - pad_deg, float(lon.max()) + pad_deg
    south, north = max(-90.0, float(lat.min()) - pad_deg), min(90.0, float(lat.max()) + pad_deg)
    squash = max(np.cos(np.deg2rad(0.5 * (south + north))), 0.2)
    width, height = (east - west) * squash, north - south
    if width < width_to_height * height:
        extra = (width_to_height * height / squash - (east - west)) / 2.0
        west, east = west - extra, east + extra
    else:
        extra = (width / width_to_height - height) / 2.0
        south, north = max(-90.0, south - extra), min(90.0, north + extra)
    return west, east, south, north


def _wrap_deg(lon: F64, west: float) -> F64:
    return np.asarray((lon - west) % 360.0 + west, dtype=np.float64)


def _track_points(
    ax: Axes, tracks: pa.Table | None, tracker: str, statuses: Sequence[str], west: float
) -> int:
    """One tracker's track positions in ``statuses`` as dots (at most
    :data:`MAX_TRACK_POINTS`, evenly subsampled); returns how many were drawn."""
    if tracks is None or tracks.num_rows == 0:
        return 0
    mine = tracks.filter(
        pc.and_(
            pc.equal(tracks.column("tracker"), tracker),
            pc.is_in(tracks.column("status"), pa.array(list(statuses), pa.string())),
        )
    )
    if mine.num_rows == 0:
        return 0
    stride = int(np.ceil(mine.num_rows / MAX_TRACK_POINTS))
    r = np.stack([_floats(mine, k) for k in ("x", "y", "z")], axis=1)[::stride]
    lat, lon, _ = ecef_to_geodetic(r)
    ax.scatter(
        _wrap_deg(np.rad2deg(lon), west), np.rad2deg(lat), s=7, color="0.1", alpha=0.3,
        linewidths=0, zorder=5, label=f"{tracker} tracks ({'/'.join(statuses)})",
    )  # fmt: skip
    return len(r)


def plot_ground_tracks(
    truth: pa.Table,
    tracks: pa.Table | None,
    *,
    tracker: str = JOINT,
    radars: Sequence[RadarSite] = (),
    statuses: Sequence[str] = ("confirmed", "coasting"),
) -> Figure:
    """Truth ground tracks (a line per threat, coloured by kind) and one tracker's track
    positions (dots) on a plate carrée map with coastlines, and the radar sites.

    Parameters
    ----------
    truth
        The ``truth`` table (``lat_rad``, ``lon_rad``).
    tracks
        The ``tracks`` table (ECEF, m), or None; rows of ``tracker`` in ``statuses`` are
        drawn, at most :data:`MAX_TRACK_POINTS` (an even subsample beyond).
    radars
        Ground radar sites, drawn as triangles with their names.
    """
    fig, ax = plt.subplots(figsize=(11.0, 7.0), layout="constrained")
    ids = _strings(truth, "object_id")
    kinds = _strings(truth, "kind")
    t = _ns(truth.column("time"))
    order = np.lexsort((t, ids))
    lat = np.rad2deg(_floats(truth, "lat_rad"))[order]
    lon = np.rad2deg(_floats(truth, "lon_rad"))[order]
    ids, kinds = ids[order], kinds[order]
    site_lon = np.array([r.lon_deg for r in radars], dtype=np.float64)
    site_lat = np.array([r.lat_deg for r in radars], dtype=np.float64)
    every_lon = np.concatenate([lon, site_lon])
    # A window across the antimeridian is drawn from 0 to 360 degrees instead.
    west = 0.0 if every_lon.size and np.ptp(every_lon) > 180.0 else -180.0
    lon = _wrap_deg(lon, west)
    site_lon = _wrap_deg(site_lon, west)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    stops = np.r_[starts[1:], ids.size]
    for kind in sorted(set(kinds.tolist())):
        mine = [(a, b) for a, b in zip(starts, stops, strict=True) if kinds[a] == kind]
        color = KIND_COLORS.get(kind, "0.3")
        lines = [np.column_stack([lon[a:b], lat[a:b]]) for a, b in mine]
        ax.add_collection(LineCollection(lines, colors=color, linewidths=1.3, zorder=6))
        ax.plot(
            [lon[a] for a, _ in mine], [lat[a] for a, _ in mine], "o", color=color, ms=5, zorder=7
        )
        ax.plot(
            [lon[b - 1] for _, b in mine], [lat[b - 1] for _, b in mine], "X", color=color, zorder=7
        )
        ax.plot([], [], color=color, lw=1.4, label=f"{kind} (truth)")
    shown = _track_points(ax, tracks, tracker, statuses, west)
    if len(radars):
        ax.plot(site_lon, site_lat, "^", color="darkgreen", ms=8, ls="", label="ground radar")
        for site, x, y in zip(radars, site_lon, site_lat, strict=True):
            ax.annotate(site.name, (x, y), xytext=(5, 4), textcoords="offset points", fontsize=8)
    ax.plot([], [], "ko", mfc="none", ms=4, label="launch (o), impact or last sample (X)")
    all_lon = np.concatenate([lon, site_lon])
    all_lat = np.concatenate([lat, site_lat])
    window = None
    if all_lon.size:
        window = _map_window(all_lon, all_lat)
        ax.set_xlim(window[0], window[1])
        ax.set_ylim(window[2], window[3])
        ax.set_aspect(1.0 / max(np.cos(np.deg2rad(0.5 * (window[2] + window[3]))), 0.2))
    add_coastlines(ax, color="0.45", linewidth=0.6, lon_wrap_deg=west, window_deg=window)
    ax.set_facecolor("#f4f7fb")
    ax.set_xlabel("longitude, deg")
    ax.set_ylabel("latitude, deg")
    title = f"Ground tracks: truth and {tracker} tracks"
    if shown:
        title += f" ({shown:,} track points)"
    ax.set_title(title, loc="left")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig
