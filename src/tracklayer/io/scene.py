"""A run's scene as CZML: what ``tracklayer view DIR`` shows on the globe.

:func:`scene_czml` assembles, from a run's tables, one packet per satellite (with its
sensor's ground footprint, hidden until the viewer asks), per threat (its flight phase
over time), per track (its threat, error and 3-sigma size over time), per ground sensor,
one line-of-sight packet per sensor and threat it detected, one packet of false alarms'
lines of sight per sensor, a ring per satellite whose field of regard looks above the limb
(hidden until the viewer asks), and a ``region`` packet: the threats' area, where the
viewer's camera opens. The document's clock spans the raid
window (first threat sample to the last, with a margin) and the viewer plays it. The
packets' conventions are those of :mod:`tracklayer.io.czml`; the region, window and
sight-line layers are :mod:`tracklayer.io.scene_layers`, the false alarms and the fields
of regard above the limb :mod:`tracklayer.io.scene_sensing`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tracklayer.errors import InputFormatError
from tracklayer.io.czml import (
    SATELLITE_PATH_S,
    TRUTH_LEGEND,
    TRUTH_RGBA,
    TrackTruth,
    css_hex,
    datetime_ns,
    description_html,
    document_packet,
    groups_by_key,
    interval_strings,
    iso_utc,
    moving_packet,
    owner_palette,
    rgba,
    sampled_numbers,
    satellite_rgba,
    thin_indices,
    track_packets,
)
from tracklayer.io.scene_layers import (
    ground_sensor_packets,
    raid_window,
    region_of,
    region_packet,
    sight_line_packets,
)
from tracklayer.io.scene_sensing import false_alarm_packets, regard_packets

__all__ = ["ORBIT_PATH_MAX_S", "TRACK_GATE_M", "associate_tracks", "scene_czml", "scene_seconds"]

#: Farthest a track may be from a threat and still be taken as following it, m.
TRACK_GATE_M = 100e3
#: Satellites whose period is longer than this get no orbit path beyond the run, s.
ORBIT_PATH_MAX_S = 3 * 3600.0
_MU_EARTH_M3_S2 = 3.986004418e14


def scene_seconds(duration_s: float, satellites: pa.Table, step_s: float) -> NDArray[np.float64]:
    """Times (s after the epoch) at which the scene samples the satellites.

    The run, ``[0, duration_s]``, every ``step_s``, widened on both sides by half the
    longest orbital period under :data:`ORBIT_PATH_MAX_S` (from ``mean_motion_rad_s``),
    so that the viewer can draw a whole orbit path around any moment of the run.
    """
    margin = 0.0
    if "mean_motion_rad_s" in satellites.column_names and satellites.num_rows:
        period = 2.0 * np.pi / _numbers(satellites, "mean_motion_rad_s", "satellites")
        short = period[period <= ORBIT_PATH_MAX_S]
        margin = float(np.ceil(short.max() / 2.0 / step_s - 1e-9) * step_s) if short.size else 0.0
    inner = np.arange(0.0, duration_s, step_s)
    return np.concatenate(
        [
            np.arange(-margin, 0.0, step_s),
            inner,
            np.arange(duration_s, duration_s + margin + 1e-9, step_s),
        ]
    )


def _column(table: pa.Table, name: str, where: str) -> pa.ChunkedArray:
    if name not in table.column_names:
        raise InputFormatError(f"{where}: column {name!r} is missing")
    return table.column(name)


def _strings(table: pa.Table, name: str, where: str) -> list[str]:
    col = _column(table, name, where)
    if pa.types.is_dictionary(col.type):
        col = pc.cast(col, pa.string())
    return ["" if v is None else str(v) for v in col.to_pylist()]


def _time_ns(table: pa.Table, where: str) -> NDArray[np.int64]:
    col = pc.cast(_column(table, "time", where), pa.timestamp("ns", tz="UTC"))
    return np.asarray(pc.cast(col, pa.int64()).to_numpy(), dtype=np.int64)


def _vectors(table: pa.Table, names: Sequence[str], where: str) -> NDArray[np.float64]:
    cols = [_column(table, c, where).to_numpy() for c in names]
    return np.column_stack(cols).astype(np.float64).reshape(-1, len(names))


def _numbers(table: pa.Table, name: str, where: str) -> NDArray[np.float64]:
    return np.asarray(_column(table, name, where).to_numpy(), dtype=np.float64)


def associate_tracks(
    truth_ids: Sequence[str],
    truth_time_ns: NDArray[np.int64],
    truth_pos: NDArray[np.float64],
    track_time_ns: NDArray[np.int64],
    track_pos: NDArray[np.float64],
    gate_m: float = TRACK_GATE_M,
) -> TrackTruth:
    """The threat nearest each track row at its time, and the distance to it.

    Each threat's true position is interpolated linearly to the row's time (only within
    its flight); the nearest threat within ``gate_m`` is the one the row follows.

    Parameters
    ----------
    truth_ids : sequence of str, length N
        ``object_id`` of each truth row.
    truth_time_ns, truth_pos : ndarray, shapes (N,), (N, 3)
        Truth rows' UTC ns and ECEF positions, m.
    track_time_ns, track_pos : ndarray, shapes (K,), (K, 3)
        Track rows' UTC ns and ECEF positions, m.
    gate_m : float
        Largest distance to a followed threat, m.

    Returns
    -------
    TrackTruth
        Per track row: the followed threat's id ("" for none) and the distance, m.
    """
    k = len(track_time_ns)
    best = np.full(k, np.inf)
    best_id = np.full(k, "", dtype=object)
    for object_id, rows in groups_by_key(list(truth_ids), truth_time_ns):
        t = truth_time_ns[rows]
        inside = (track_time_ns >= t[0]) & (track_time_ns <= t[-1])
        if not inside.any():
            continue
        tt = (track_time_ns[inside] - t[0]) * 1e-9
        ts = (t - t[0]) * 1e-9
        at = np.column_stack([np.interp(tt, ts, truth_pos[rows, i]) for i in range(3)])
        d = np.full(k, np.inf)
        d[inside] = np.linalg.norm(track_pos[inside] - at, axis=1)
        closer = d < best
        best[closer] = d[closer]
        best_id[closer] = object_id
    held = best <= gate_m
    return TrackTruth(
        object_id=np.where(held, best_id, "").astype(str),
        error_m=np.where(held, best, np.nan),
    )


def _satellite_info(satellites: pa.Table | None) -> dict[str, dict[str, Any]]:
    """Satellite id to its ``owner``, ``constellation``, ``sensor`` and ``period_s``."""
    if satellites is None or satellites.num_rows == 0:
        return {}
    where = "satellites"
    sat_ids = _strings(satellites, "sat_id", where)
    cols: dict[str, list[Any]] = {
        c: _strings(satellites, c, where)
        for c in ("owner", "constellation", "sensor")
        if c in satellites.column_names
    }
    if "mean_motion_rad_s" in satellites.column_names:
        n = _numbers(satellites, "mean_motion_rad_s", where)
        cols["period_s"] = np.round(2.0 * np.pi / n, 1).tolist()
    return {s: {c: v[i] for c, v in cols.items()} for i, s in enumerate(sat_ids)}


def _satellite_packets(
    ephemeris: pa.Table,
    info: Mapping[str, Mapping[str, Any]],
    palette: Mapping[str, int],
    footprint_m: Mapping[str, float],
    max_samples: int | None,
) -> list[dict[str, Any]]:
    """One packet per satellite: point, recent path, hidden footprint, properties."""
    where = "ephemeris"
    time_ns = _time_ns(ephemeris, where)
    pos = _vectors(ephemeris, ("x", "y", "z"), where)
    packets = []
    for key, rows in groups_by_key(_strings(ephemeris, "sat_id", where), time_ns):
        rows = rows[thin_indices(len(rows), max_samples)]
        props: dict[str, Any] = {"kind": "satellite", **info.get(key, {})}
        owner = str(props.get("owner", ""))
        color = satellite_rgba(owner, palette) if owner else [203, 213, 225, 255]
        props["legend"] = f"{owner} satellites" if owner else "satellites"
        props["color"] = css_hex(color)
        if "period_s" not in props and len(rows) > 1:
            r = float(np.linalg.norm(pos[rows[0]]))
            props["period_s"] = round(2.0 * np.pi * np.sqrt(r**3 / _MU_EARTH_M3_S2), 1)
        # ECEF orbits are smooth: Lagrange 5 holds to metres at 60 s steps.
        path = {"width": 1, "trailTime": SATELLITE_PATH_S, "resolution": 60}
        packet = moving_packet(
            f"satellite/{key}", key, time_ns[rows], pos[rows], props, color,
            pixel_size=4, degree=5, path=path, path_alpha=140,
        )  # fmt: skip
        if key in footprint_m:
            radius = round(float(footprint_m[key]), 0)
            props["footprint_m"] = radius
            packet["ellipse"] = {
                "show": False,
                "semiMajorAxis": radius,
                "semiMinorAxis": radius,
                "height": 0.0,
                "granularity": 0.02,
                "material": {"solidColor": {"color": rgba(color, 50)}},
                "outline": True,
                "outlineColor": rgba(color, 180),
            }
        packet["description"] = _satellite_description(props)
        packets.append(packet)
    return packets


def _satellite_description(props: Mapping[str, Any]) -> str:
    """A satellite's static description: owner, constellation, sensor, period, footprint."""
    rows = [(k, str(props[k])) for k in ("owner", "constellation", "sensor") if k in props]
    if "period_s" in props:
        rows.append(("orbital period", f"{props['period_s'] / 60.0:.1f} min"))
    if "footprint_m" in props:
        rows.append(("footprint radius", f"{props['footprint_m'] / 1000.0:,.0f} km"))
    return description_html(rows)


def _truth_packets(truth: pa.Table, max_samples: int | None) -> list[dict[str, Any]]:
    """One red packet per threat: its flown path, type, phase and speed over time."""
    where = "truth"
    time_ns = _time_ns(truth, where)
    pos = _vectors(truth, ("x", "y", "z"), where)
    kinds = _strings(truth, "kind", where) if "kind" in truth.column_names else None
    phases = _strings(truth, "phase", where) if "phase" in truth.column_names else None
    has_v = {"vx", "vy", "vz"} <= set(truth.column_names)
    speed = np.linalg.norm(_vectors(truth, ("vx", "vy", "vz"), where), axis=1) if has_v else None
    packets = []
    for key, all_rows in groups_by_key(_strings(truth, "object_id", where), time_ns):
        rows = all_rows[thin_indices(len(all_rows), max_samples)]
        t0, t1 = int(time_ns[rows[0]]), int(time_ns[rows[-1]])
        props: dict[str, Any] = {
            "kind": "truth",
            "legend": TRUTH_LEGEND,
            "color": css_hex(TRUTH_RGBA),
        }
        if kinds is not None:
            props["type"] = kinds[rows[0]]
        if phases is not None:  # every row: a phase may last less than a thinned step
            props["phase"] = interval_strings(time_ns[all_rows], [phases[r] for r in all_rows])
        if speed is not None:
            props["speed_mps"] = sampled_numbers(t0, time_ns[rows], speed[rows], 0)
        path = {"width": 2, "trailTime": (t1 - t0) * 1e-9 + 1.0, "resolution": 5}
        packet = moving_packet(
            f"truth/{key}", key, time_ns[rows], pos[rows], props, TRUTH_RGBA,
            pixel_size=7, degree=1, path=path,
        )  # fmt: skip
        phases_text = " → ".join(p["string"] for p in props.get("phase", []))
        packet["description"] = description_html(
            [
                ("threat", key),
                ("type", str(props.get("type", "-"))),
                ("phases", phases_text or "-"),
                ("from, to (UTC)", f"{iso_utc(t0)}, {iso_utc(t1)}"),
            ]
        )
        packets.append(packet)
    return packets


def _tracks_packets(
    tracks: pa.Table, truth: pa.Table | None, palette: Mapping[str, int], max_samples: int
) -> list[dict[str, Any]]:
    where = "tracks"
    time_ns = _time_ns(tracks, where)
    pos = _vectors(tracks, ("x", "y", "z"), where)
    cov = None
    if "cov" in tracks.column_names:
        flat = pc.list_flatten(_column(tracks, "cov", where)).to_numpy()
        cov = np.asarray(flat, dtype=np.float64).reshape(-1, 6, 6)
    has_v = {"vx", "vy", "vz"} <= set(tracks.column_names)
    followed = None
    if truth is not None and truth.num_rows:
        followed = associate_tracks(
            _strings(truth, "object_id", "truth"),
            _time_ns(truth, "truth"),
            _vectors(truth, ("x", "y", "z"), "truth"),
            time_ns,
            pos,
        )
    return track_packets(
        _strings(tracks, "tracker", where),
        _strings(tracks, "track_id", where),
        time_ns,
        pos,
        _strings(tracks, "status", where),
        cov,
        max_samples=max_samples,
        velocity=_vectors(tracks, ("vx", "vy", "vz"), where) if has_v else None,
        truth=followed,
        palette=palette,
    )


def _owners(*tables: tuple[pa.Table | None, str]) -> list[str]:
    out: set[str] = set()
    for table, column in tables:
        if table is not None and table.num_rows and column in table.column_names:
            out |= set(_strings(table, column, column))
    return sorted(out)


def _sight_lines(
    detections: pa.Table,
    sat_info: Mapping[str, Mapping[str, Any]],
    threats: set[str],
    palette: Mapping[str, int],
) -> list[dict[str, Any]]:
    """Ground-sensor packets and the sight lines of the detections of known threats, then
    the false alarms' lines of sight."""
    where = "detections"
    truth_id = _strings(detections, "truth_id", where)
    keep = np.isin(np.asarray(truth_id, dtype=object), list(threats))
    false_alarms = _false_alarms(detections, where)
    if not keep.any():
        return false_alarms
    table = detections.filter(pa.array(keep))
    sensors = _strings(table, "sensor_id", where)
    owners = (
        _strings(table, "owner", where) if "owner" in table.column_names else [""] * len(sensors)
    )
    ground = ground_sensor_packets(
        sensors, owners, _vectors(table, ("sensor_x", "sensor_y", "sensor_z"), where), set(sat_info)
    )
    ref = {s: f"satellite/{s}" for s in sat_info} | {p["name"]: p["id"] for p in ground}
    colours = {
        s: satellite_rgba(o, palette) if o else [229, 231, 235, 255]
        for s, o in zip(sensors, owners, strict=True)
    }
    lines = sight_line_packets(
        sensors,
        [t for t, k in zip(truth_id, keep, strict=True) if k],
        _time_ns(table, where),
        ref,
        colours,
    )
    return ground + lines + false_alarms


def _false_alarms(detections: pa.Table, where: str) -> list[dict[str, Any]]:
    """The false alarms' lines of sight (detections without a ``truth_id``)."""
    table = detections.filter(pc.is_null(_column(detections, "truth_id", where)))
    if table.num_rows == 0 or not {"los_x", "los_y", "los_z"} <= set(table.column_names):
        return []  # a table without lines of sight (another tool's) draws none
    has_background = "background" in table.column_names
    return false_alarm_packets(
        _strings(table, "sensor_id", where),
        _strings(table, "background", where) if has_background else None,
        _time_ns(table, where),
        _vectors(table, ("sensor_x", "sensor_y", "sensor_z"), where),
        _vectors(table, ("los_x", "los_y", "los_z"), where),
    )


def scene_czml(
    truth: pa.Table | None = None,
    tracks: pa.Table | None = None,
    ephemeris: pa.Table | None = None,
    satellites: pa.Table | None = None,
    detections: pa.Table | None = None,
    *,
    epoch: datetime | None = None,
    name: str = "tracklayer run",
    max_samples: int = 400,
    multiplier: float = 10.0,
    footprint_m: Mapping[str, float] | None = None,
    limb_rings: Mapping[str, tuple[float, float]] | None = None,
    region_deg: tuple[float, float, float, float] | None = None,
    extra_packets: Sequence[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    """A run's scene as a CZML document, opening on the raid's region and window.

    Parameters
    ----------
    truth : pyarrow.Table, optional
        The ``truth`` table (``object_id``, ``time``, ``x, y, z`` ECEF m; ``kind``,
        ``phase``, ``vx, vy, vz`` when there): one red packet per threat.
    tracks : pyarrow.Table, optional
        The ``tracks`` table: one packet per (tracker, track), with its 3-sigma position
        ellipsoid over time when ``cov`` is present, and, with ``truth``, the threat it
        follows and its position error (:func:`associate_tracks`).
    ephemeris : pyarrow.Table, optional
        The ``ephemeris`` table (``sat_id``, ``time``, ``x, y, z``): one packet per
        satellite with the last :data:`~tracklayer.io.czml.SATELLITE_PATH_S` seconds of
        its path.
    satellites : pyarrow.Table, optional
        The ``satellites`` table: ``owner`` (its colour), ``constellation``, ``sensor``
        and the orbital period (from ``mean_motion_rad_s``) in each satellite's
        properties.
    detections : pyarrow.Table, optional
        The ``detections`` table: the sight lines of the detections of threats (rows
        whose ``truth_id`` is one), the false alarms' (rows without one, drawn to where
        they meet the Earth or pass it) and the ground sensors that are not satellites.
    epoch : datetime, optional
        Scenario epoch (UTC); without threats the clock starts there.
    name : str
        Document name.
    max_samples : int
        Most samples kept per object.
    multiplier : float
        Simulated seconds per second when the viewer plays the scene.
    footprint_m : mapping, optional
        Satellite id to the ground radius of its sensor's field of regard, m
        (:func:`tracklayer.sensors.footprint.footprint_radius_m`).
    limb_rings : mapping, optional
        Satellite id to the (ground radius, height), m, of the ring where its field of
        regard's edge rays pass the Earth, for sensors that look above the limb
        (:func:`tracklayer.sensors.footprint.satellite_limb_rings`).
    region_deg : (west, south, east, north), optional
        The region the camera opens on, degrees; default the threats' area.
    extra_packets : sequence of dict
        Further packets (such as the network's links), added as they are.

    Returns
    -------
    list of dict
        CZML packets, the ``document`` first, then the ``region`` when there is one.
    """
    palette = owner_palette(
        _owners((satellites, "owner"), (tracks, "tracker"), (detections, "owner"))
    )
    packets, spans, truth_t = _object_layers(
        truth, tracks, ephemeris, satellites, detections, palette, footprint_m or {}, max_samples
    )
    packets += _regard_layer(packets, limb_rings or {})
    if region_deg is None and truth is not None and truth.num_rows:
        region_deg = region_of(_vectors(truth, ("x", "y", "z"), "truth"))
    packets += list(extra_packets)
    head = [] if region_deg is None else [region_packet(region_deg)]
    if not spans:
        return [document_packet(name), *head, *packets]
    start = datetime_ns(epoch) if epoch is not None else min(spans)
    window = raid_window(min(start, max(spans)), max(spans), truth_t)
    return [document_packet(name, *window, multiplier), *head, *packets]


def _regard_layer(
    packets: Sequence[dict[str, Any]], limb_rings: Mapping[str, tuple[float, float]]
) -> list[dict[str, Any]]:
    """The rings of the fields of regard above the limb, each in its satellite's colour."""
    colours = {
        p["name"]: [int(v) for v in p["point"]["color"]["rgba"]]
        for p in packets
        if p["id"].startswith("satellite/")
    }
    return regard_packets(limb_rings, colours)


def _object_layers(
    truth: pa.Table | None,
    tracks: pa.Table | None,
    ephemeris: pa.Table | None,
    satellites: pa.Table | None,
    detections: pa.Table | None,
    palette: Mapping[str, int],
    footprint_m: Mapping[str, float],
    max_samples: int,
) -> tuple[list[dict[str, Any]], list[int], NDArray[np.int64]]:
    """The scene's object packets, the time span of each table (UTC ns) and truth's times."""
    sat_info = _satellite_info(satellites)
    packets: list[dict[str, Any]] = []
    spans: list[int] = []
    truth_t = np.zeros(0, dtype=np.int64)
    if ephemeris is not None and ephemeris.num_rows:
        packets += _satellite_packets(ephemeris, sat_info, palette, footprint_m, max_samples)
        t = _time_ns(ephemeris, "ephemeris")
        spans += [int(t.min()), int(t.max())]
    if truth is not None and truth.num_rows:
        packets += _truth_packets(truth, max_samples)
        truth_t = _time_ns(truth, "truth")
        spans += [int(truth_t.min()), int(truth_t.max())]
    if tracks is not None and tracks.num_rows:
        packets += _tracks_packets(tracks, truth, palette, max_samples)
        t = _time_ns(tracks, "tracks")
        spans += [int(t.min()), int(t.max())]
    if detections is not None and detections.num_rows and truth is not None:
        threats = {p["name"] for p in packets if p["id"].startswith("truth/")}
        packets += _sight_lines(detections, sat_info, threats, palette)
    return packets, spans, truth_t
