"""How well trackers followed the threats: the ``metrics``, per-tracker and ``gospa`` tables.

Scoring grid: the truth sample times. At each grid time a tracker's tracks are its rows
at its latest frame at or before that time (no older than the grid spacing), moved to the
grid time at constant velocity, keeping only the statuses of
``TrackingConfig.scoring.statuses``. Truth and tracks are then matched by the GOSPA
assignment on position with cut-off ``scoring.gospa_c_m``
(:func:`tracklayer.metrics.gospa.gospa`); a threat matched to a track at a time is "in
custody" then.

Per threat and tracker: times from launch (the threat's first truth sample; for a spent
stage, its separation) to its first
detection (by that tracker's sensors) and to its first matched track; the custody fraction
over its flight; position and velocity RMSE over matched times; identity switches (changes
of the matched track between successive matched times); ``cue_time_s``, the first matched
time whose position and velocity errors both meet ``scoring.cue_position_m`` and
``scoring.cue_velocity_mps``. Per tracker (a table of its own, one row per tracker): mean
GOSPA over the grid, and false tracks, the scored track identities never matched to any
threat.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tracklayer.metrics.gospa import gospa
from tracklayer.tracking.config import TrackingConfig
from tracklayer.vocabulary import JOINT

F64 = NDArray[np.float64]

METRICS_SCHEMA = pa.schema(
    [
        ("object_id", pa.string()),
        ("kind", pa.string()),  # the truth's kind: ballistic, hgv, stage (released)
        ("tracker", pa.string()),
        ("first_detection_s", pa.float64()),
        ("first_detection_alt_m", pa.float64()),
        ("first_track_s", pa.float64()),
        ("custody_fraction", pa.float64()),
        ("rmse_pos_m", pa.float64()),
        ("rmse_vel_mps", pa.float64()),
        ("id_switches", pa.int64()),
        ("cue_time_s", pa.float64()),
    ]
)

#: One row per tracker: its figures over the whole raid, which no single threat owns.
TRACKER_SCORES_SCHEMA = pa.schema(
    [
        ("tracker", pa.string()),
        ("mean_gospa_m", pa.float64()),  # mean over the scoring grid
        ("false_tracks", pa.int64()),  # scored track identities never matched to a threat
    ]
)

GOSPA_SCHEMA = pa.schema(
    [
        ("tracker", pa.string()),
        ("time", pa.timestamp("ns", tz="UTC")),
        ("gospa_m", pa.float64()),
        ("localisation", pa.float64()),
        ("missed", pa.float64()),
        ("false", pa.float64()),
        ("n_truth", pa.int64()),
        ("n_tracks", pa.int64()),
    ]
)


def _ns(col: pa.ChunkedArray) -> NDArray[np.int64]:
    arr = pc.cast(col, pa.timestamp("ns", tz="UTC")).to_numpy().astype("datetime64[ns]")
    out: NDArray[np.int64] = arr.astype(np.int64)
    return out


def _f(table: pa.Table, name: str) -> F64:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def _strs(table: pa.Table, name: str) -> NDArray[np.str_]:
    return np.asarray(table.column(name).to_pylist(), dtype=object).astype(str)


class TrackingScores(NamedTuple):
    """The scores of a ``tracks`` table (see :func:`tracking_scores`)."""

    #: :data:`METRICS_SCHEMA`, one row per (threat, tracker).
    metrics: pa.Table
    #: :data:`TRACKER_SCORES_SCHEMA`, one row per tracker.
    trackers: pa.Table
    #: :data:`GOSPA_SCHEMA`, one row per (tracker, grid time).
    gospa: pa.Table


def tracking_metrics(
    truth: pa.Table, tracks: pa.Table, detections: pa.Table | None, config: TrackingConfig
) -> tuple[pa.Table, pa.Table]:
    """The per-threat ``metrics`` and the ``gospa`` tables of :func:`tracking_scores`."""
    scores = tracking_scores(truth, tracks, detections, config)
    return scores.metrics, scores.gospa


def tracking_scores(
    truth: pa.Table, tracks: pa.Table, detections: pa.Table | None, config: TrackingConfig
) -> TrackingScores:
    """Score every tracker of a ``tracks`` table against the truth.

    Parameters
    ----------
    truth : pyarrow.Table
        ``truth`` table (``object_id, time, x..vz``; ECEF SI).
    tracks : pyarrow.Table
        ``tracks`` table from :func:`tracklayer.tracking.run.run_tracking`.
    detections : pyarrow.Table, optional
        ``detections`` with ``truth_id`` and ``owner``, for the first-detection times.
    config : TrackingConfig
        GOSPA ``c`` and ``p``, cue accuracy, scored statuses.

    Returns
    -------
    TrackingScores
        ``metrics`` per (threat, tracker), ``trackers`` per tracker (mean GOSPA, false
        tracks) and ``gospa`` per (tracker, grid time).
    """
    t_ns = _ns(truth.column("time"))
    epoch_ns = int(t_ns.min()) if t_ns.size else 0
    tt = (t_ns - epoch_ns) / 1e9
    obj = _strs(truth, "object_id")
    tx = np.stack([_f(truth, k) for k in ("x", "y", "z", "vx", "vy", "vz")], axis=1)
    objects = np.unique(obj)
    grid = np.unique(tt)
    spacing = float(np.max(np.diff(grid))) if grid.size > 1 else config.frame_s
    obj_idx = np.searchsorted(objects, obj)
    gi = np.searchsorted(grid, tt)
    # Dense truth (objects x grid), NaN where an object is not flying.
    dense = np.full((objects.size, grid.size, 6), np.nan)
    dense[obj_idx, gi] = tx
    alive = np.isfinite(dense[..., 0])
    launch = np.array([grid[np.argmax(alive[i])] for i in range(objects.size)])
    kinds = _object_kinds(truth, obj, objects)

    trackers: list[str] = sorted(set(_strs(tracks, "tracker").tolist())) if tracks.num_rows else []
    if detections is not None and detections.num_rows:
        owners = sorted(set(_strs(detections, "owner").tolist()))
        trackers = sorted(set(trackers) | set(owners) | {JOINT})
    statuses = set(config.scoring.statuses)
    m_rows: list[dict[str, object]] = []
    t_rows: list[dict[str, object]] = []
    g_rows: list[dict[str, object]] = []
    for name in trackers:
        first_det = _first_detections(detections, name, objects, epoch_ns)
        k_t, k_x, k_id = _scored_rows(tracks, name, statuses, epoch_ns)
        matched, err_p, err_v, rows = _match_over_grid(
            name, grid, spacing, dense, alive, k_t, k_x, config
        )
        g_rows += rows
        used_ids = set(k_id[matched[matched >= 0]].tolist())
        t_rows.append(
            {
                "tracker": name,
                "mean_gospa_m": float(np.mean([r["gospa_m"] for r in rows])),
                "false_tracks": len(set(k_id.tolist()) - used_ids),
            }
        )
        for i, oid in enumerate(objects):
            m_rows.append(
                {"kind": kinds[i]} | _object_row(
                    oid, name, grid, alive[i], matched[i], err_p[i], err_v[i], k_id,
                    float(launch[i]), first_det.get(oid), config,
                )
            )  # fmt: skip
    metrics = pa.Table.from_pylist(m_rows, schema=METRICS_SCHEMA)
    if "alt_m" in truth.column_names:
        alt = np.full(alive.shape, np.nan)
        alt[obj_idx, gi] = _f(truth, "alt_m")
        metrics = _with_first_detection_altitude(metrics, objects, grid, launch, alt)
    per_tracker = pa.Table.from_pylist(t_rows, schema=TRACKER_SCORES_SCHEMA)
    return TrackingScores(metrics, per_tracker, _gospa_table(g_rows, epoch_ns))


def _object_kinds(
    truth: pa.Table, obj: NDArray[np.str_], objects: NDArray[np.str_]
) -> list[str | None]:
    """Each object's ``kind`` in the truth (its first row's), None without the column."""
    if "kind" not in truth.column_names:
        return [None] * objects.size
    _, first = np.unique(obj, return_index=True)  # objects is np.unique(obj): same order
    kind = _strs(truth, "kind")
    return [str(kind[k]) for k in first]


def _scored_rows(
    tracks: pa.Table, name: str, statuses: Collection[str], epoch_ns: int
) -> tuple[F64, F64, NDArray[np.str_]]:
    """One tracker's rows of scored statuses, by time: times (s), states (R, 6), ids."""
    sel = tracks.filter(pc.equal(tracks.column("tracker"), name)) if tracks.num_rows else tracks
    if sel.num_rows:
        keep = np.isin(_strs(sel, "status"), list(statuses))
        sel = sel.filter(pa.array(keep))
    if sel.num_rows:
        k_t = (_ns(sel.column("time")) - epoch_ns) / 1e9
        k_x = np.stack([_f(sel, k) for k in ("x", "y", "z", "vx", "vy", "vz")], axis=1)
        k_id = _strs(sel, "track_id")
    else:
        k_t, k_x, k_id = np.zeros(0), np.zeros((0, 6)), np.zeros(0, str)
    order = np.argsort(k_t, kind="stable")
    return k_t[order], k_x[order], k_id[order]


def _match_over_grid(
    name: str,
    grid: F64,
    spacing: float,
    dense: F64,
    alive: NDArray[np.bool_],
    k_t: F64,
    k_x: F64,
    config: TrackingConfig,
) -> tuple[NDArray[np.int64], F64, F64, list[dict[str, object]]]:
    """GOSPA at every grid time: the matched row of each (threat, time) (-1: none), its
    position and velocity errors, and the ``gospa`` rows."""
    frames = np.unique(k_t)
    n_obj = dense.shape[0]
    matched = np.full((n_obj, grid.size), -1, dtype=np.int64)  # row in k_*
    err_p = np.full((n_obj, grid.size), np.nan)
    err_v = np.full((n_obj, grid.size), np.nan)
    g_rows: list[dict[str, object]] = []
    for g, t in enumerate(grid):
        fi = np.searchsorted(frames, t, side="right") - 1
        rows = np.zeros(0, dtype=np.int64)
        if fi >= 0 and t - frames[fi] <= spacing + 1e-9:
            lo = np.searchsorted(k_t, frames[fi], side="left")
            hi = np.searchsorted(k_t, frames[fi], side="right")
            rows = np.arange(lo, hi)
        est = k_x[rows].copy()
        if rows.size:
            est[:, :3] += (t - frames[fi]) * est[:, 3:]
        live = np.nonzero(alive[:, g])[0]
        res = gospa(
            dense[live, g, :3], est[:, :3], config.scoring.gospa_c_m, config.scoring.gospa_p
        )
        g_rows.append(
            {
                "tracker": name,
                "time": t,
                "gospa_m": res.distance,
                "localisation": res.localisation,
                "missed": res.missed,
                "false": res.false,
                "n_truth": int(live.size),
                "n_tracks": int(rows.size),
            }
        )
        oi = live[res.truth_idx]
        matched[oi, g] = rows[res.track_idx]
        d = est[res.track_idx] - dense[oi, g]
        err_p[oi, g] = np.linalg.norm(d[:, :3], axis=1)
        err_v[oi, g] = np.linalg.norm(d[:, 3:], axis=1)
    return matched, err_p, err_v, g_rows


def _gospa_table(g_rows: list[dict[str, object]], epoch_ns: int) -> pa.Table:
    if not g_rows:
        return GOSPA_SCHEMA.empty_table()
    gt = np.array([r["time"] for r in g_rows], dtype=np.float64)
    cols = {k: [r[k] for r in g_rows] for k in GOSPA_SCHEMA.names if k != "time"}
    return pa.table(
        {
            "tracker": pa.array(cols["tracker"], pa.string()),
            "time": _timestamps(epoch_ns, gt),
            **{k: cols[k] for k in GOSPA_SCHEMA.names[2:]},
        },
        schema=GOSPA_SCHEMA,
    )


def _timestamps(epoch_ns: int, seconds: F64) -> pa.Array:
    ns = epoch_ns + np.rint(seconds * 1e9).astype(np.int64)
    return pa.array(ns, pa.timestamp("ns", tz="UTC"))


def _first_detections(
    detections: pa.Table | None, tracker: str, objects: NDArray[np.str_], epoch_ns: int
) -> dict[str, float]:
    if detections is None or detections.num_rows == 0:
        return {}
    d = detections.filter(pc.is_valid(detections.column("truth_id")))
    if tracker != JOINT:
        d = d.filter(pc.equal(d.column("owner"), tracker))
    if d.num_rows == 0:
        return {}
    ids = _strs(d, "truth_id")
    t = (_ns(d.column("time")) - epoch_ns) / 1e9
    out: dict[str, float] = {}
    order = np.lexsort((t, ids))
    u, first = np.unique(ids[order], return_index=True)
    for oid, k in zip(u, first, strict=True):
        out[str(oid)] = float(t[order][k])
    return out


def _with_first_detection_altitude(
    metrics: pa.Table, objects: NDArray[np.str_], grid: F64, launch: F64, alt: F64
) -> pa.Table:
    """Fill ``first_detection_alt_m``: the threat's truth altitude at its first detection."""
    first = metrics.column("first_detection_s").to_numpy(zero_copy_only=False)
    i = np.searchsorted(objects, _strs(metrics, "object_id"))
    t = launch[i] + np.nan_to_num(np.asarray(first, dtype=np.float64), nan=0.0)
    k = np.clip(np.searchsorted(grid, t - 1e-6), 0, grid.size - 1)
    value = alt[i, k]
    col = pa.array(value, pa.float64(), mask=~np.isfinite(np.asarray(first, dtype=np.float64)))
    return metrics.set_column(
        metrics.schema.get_field_index("first_detection_alt_m"), "first_detection_alt_m", col
    )


def _object_row(
    oid: str,
    tracker: str,
    grid: F64,
    alive: NDArray[np.bool_],
    matched: NDArray[np.int64],
    err_p: F64,
    err_v: F64,
    k_id: NDArray[np.str_],
    launch: float,
    first_det: float | None,
    config: TrackingConfig,
) -> dict[str, object]:
    hit = matched >= 0
    n_alive = int(alive.sum())
    ids = k_id[matched[hit]]
    switches = int(np.count_nonzero(ids[1:] != ids[:-1])) if ids.size > 1 else 0
    cue = (
        hit & (err_p <= config.scoring.cue_position_m) & (err_v <= config.scoring.cue_velocity_mps)
    )
    return {
        "object_id": str(oid),
        "tracker": tracker,
        "first_detection_s": None if first_det is None else first_det - launch,
        "first_track_s": float(grid[np.argmax(hit)] - launch) if hit.any() else None,
        "custody_fraction": float(hit.sum() / n_alive) if n_alive else 0.0,
        "rmse_pos_m": float(np.sqrt(np.mean(err_p[hit] ** 2))) if hit.any() else None,
        "rmse_vel_mps": float(np.sqrt(np.mean(err_v[hit] ** 2))) if hit.any() else None,
        "id_switches": switches,
        "cue_time_s": float(grid[np.argmax(cue)] - launch) if cue.any() else None,
    }
