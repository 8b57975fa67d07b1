"""The project's shared words: tracker and group names, the ``tracks`` schema, and the
per-tracker summary of a raid's ``metrics`` table.

Every stage, the report, the resilience analysis, the sweep and the service take these
from here, so a name or a figure means one thing everywhere. This module sits at the
bottom of the dependency graph with :mod:`tracklayer.constants`: it imports no other
module of the package.

Names
-----
- an owner's ISO 3166-1 alpha-3 code (``USA``, ``JPN``): that nation's own tracker, fed
  its own sensors' detections only, and in coverage tables that nation's satellites;
- :data:`JOINT` (``joint``): the alliance as one group: in coverage, all satellites
  together; in a raid, the one tracker fed every sensor's detections;
- :data:`FUSED` (``fused``): the system tracks made by track-to-track fusion of the
  national trackers' tracks (no detection is read twice).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

__all__ = [
    "FUSED",
    "JOINT",
    "RELEASED_KIND",
    "SYSTEM_TRACKERS",
    "TRACKS_SCHEMA",
    "TrackerSummary",
    "is_owner",
    "tracker_order",
    "tracker_summary",
]

#: The alliance as one group: all satellites (coverage), the all-sensor tracker (raid).
JOINT = "joint"
#: The tracker value of the system tracks fused from the national tracks.
FUSED = "fused"
#: Trackers that are not one owner's: shown after the owners, in this order.
SYSTEM_TRACKERS = (JOINT, FUSED)
#: The truth ``kind`` of an object released in flight (a spent stage), not launched: its
#: times count from its separation.
RELEASED_KIND = "stage"

#: Arrow schema of the ``tracks`` table: ECEF state (m, m/s), 6x6 row-major covariance.
TRACKS_SCHEMA = pa.schema(
    [
        ("track_id", pa.string()),
        ("tracker", pa.string()),
        ("time", pa.timestamp("ns", tz="UTC")),
        *((axis, pa.float64()) for axis in ("x", "y", "z", "vx", "vy", "vz")),
        ("cov", pa.list_(pa.float64(), 36)),
        ("status", pa.string()),
    ]
)

#: One tracker's figures over a raid's threats (keys of :func:`tracker_summary`).
TrackerSummary = dict[str, float | None]


def is_owner(name: str) -> bool:
    """Whether a tracker or group name is one owner's (not ``joint`` nor ``fused``)."""
    return name not in SYSTEM_TRACKERS


def tracker_order(names: Iterable[str]) -> list[str]:
    """Distinct names in display order: owners alphabetically, then ``joint``, ``fused``."""
    unique = set(names)
    return [
        *sorted(unique - set(SYSTEM_TRACKERS)),
        *[n for n in SYSTEM_TRACKERS if n in unique],
    ]


def _column(metrics: pa.Table, name: str) -> NDArray[np.float64]:
    """A numeric column as float64, nulls as NaN; all NaN when the table lacks it."""
    if name not in metrics.column_names:
        return np.full(metrics.num_rows, np.nan)
    return np.asarray(metrics[name].to_numpy(zero_copy_only=False), dtype=np.float64)


def _finite_mean(values: NDArray[np.float64]) -> float | None:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else None


def _summary_of(
    rows: Mapping[str, NDArray[np.float64]], launched: NDArray[np.bool_]
) -> TrackerSummary:
    """The per-threat figures of one tracker from its rows' columns and which of its rows
    are launched threats (see :func:`tracker_summary`)."""
    first_track = rows["first_track_s"]
    n = first_track.size

    def after_launch(name: str) -> float | None:
        return _finite_mean(rows[name][launched])

    return {
        "threats": float(n),
        "detected": float(np.isfinite(rows["first_detection_s"]).sum()),
        "tracked": float(np.isfinite(first_track).sum()),
        "tracked_fraction": float(np.isfinite(first_track).mean()) if n else None,
        "first_detection_s": after_launch("first_detection_s"),
        "first_track_s": after_launch("first_track_s"),
        "cue_time_s": after_launch("cue_time_s"),
        "custody_fraction": float(np.nan_to_num(rows["custody_fraction"]).mean()) if n else None,
        "rmse_pos_m": _finite_mean(rows["rmse_pos_m"]),
        "rmse_vel_mps": _finite_mean(rows["rmse_vel_mps"]),
        "id_switches": float(np.nansum(rows["id_switches"])),
    }


_SUMMARY_COLUMNS = (
    "first_detection_s",
    "first_track_s",
    "cue_time_s",
    "custody_fraction",
    "rmse_pos_m",
    "rmse_vel_mps",
    "id_switches",
)

#: The figures a tracker has once over the raid (its row of the per-tracker table).
_PER_TRACKER_COLUMNS = ("mean_gospa_m", "false_tracks")


def _per_tracker(trackers: pa.Table | None) -> dict[str, dict[str, float | None]]:
    """Tracker name to its per-tracker figures (None where the table lacks one)."""
    if trackers is None:
        return {}
    names = [str(t) for t in trackers["tracker"].to_pylist()]
    columns = {name: _column(trackers, name) for name in _PER_TRACKER_COLUMNS}
    return {
        tracker: {
            name: float(values[i]) if np.isfinite(values[i]) else None
            for name, values in columns.items()
        }
        for i, tracker in enumerate(names)
    }


def tracker_summary(
    metrics: pa.Table, trackers: pa.Table | None = None
) -> dict[str, TrackerSummary]:
    """Per tracker, its figures over the threats of a raid's ``metrics`` table.

    Means are over the threats where the figure is defined (a threat a tracker never
    tracked has no first-track time and no error); custody is averaged over every threat
    (0 where never tracked); identity switches are summed. The times after launch (first
    detection, first track, cue) are means over the launched threats alone: a spent stage
    (``kind`` ``stage``) counts from its separation, and its first track is usually its
    booster's, carried on, so it would pull the mean toward zero. ``mean_gospa_m`` and
    ``false_tracks`` belong to no threat: they are copied from the tracker's row of
    ``trackers``. Units are SI, as in the tables.

    Parameters
    ----------
    metrics
        A ``metrics`` table (:data:`tracklayer.metrics.tracking.METRICS_SCHEMA`): one row
        per threat and tracker. Missing optional columns count as undefined.
    trackers
        A per-tracker table with ``tracker``, ``mean_gospa_m`` and ``false_tracks``
        (:data:`tracklayer.metrics.tracking.TRACKER_SCORES_SCHEMA`, or the run's
        ``tracker_metrics``); None, or a tracker without a row: those figures are None.

    Returns
    -------
    dict
        Tracker name, in :func:`tracker_order`, to ``threats``, ``detected``, ``tracked``
        (counts), ``tracked_fraction``, ``first_detection_s``, ``first_track_s``,
        ``cue_time_s`` (s after launch), ``custody_fraction`` (0..1), ``rmse_pos_m``,
        ``rmse_vel_mps``, ``id_switches``, ``mean_gospa_m``, ``false_tracks``; a figure
        defined for none of the tracker's threats is None.
    """
    names = np.asarray([str(t) for t in metrics["tracker"].to_pylist()], dtype=object)
    columns = {name: _column(metrics, name) for name in _SUMMARY_COLUMNS}
    kinds = metrics["kind"].to_pylist() if "kind" in metrics.column_names else []
    launched = np.array([k != RELEASED_KIND for k in kinds], dtype=bool)
    if not kinds:
        launched = np.ones(metrics.num_rows, dtype=bool)
    per_tracker = _per_tracker(trackers)
    missing = dict.fromkeys(_PER_TRACKER_COLUMNS)
    out = {}
    for tracker in tracker_order(names.tolist()):
        mine = names == tracker
        out[tracker] = {
            **_summary_of({name: values[mine] for name, values in columns.items()}, launched[mine]),
            **per_tracker.get(tracker, missing),
        }
    return out
