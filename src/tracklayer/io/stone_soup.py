"""Stone Soup adapter: tracklayer's detections and tracks as Stone Soup types, and back.

So a Stone Soup user runs their own tracker on tracklayer's detections (and scores it
with tracklayer's metrics). Conventions (Stone Soup 1.x, ``stonesoup.types`` and
``stonesoup.models.measurement.nonlinear``):

* **State**: Stone Soup orders a 3-D constant-velocity state ``[x, vx, y, vy, z, vz]``
  (``CombinedLinearGaussianTransitionModel([ConstantVelocity(q)] * 3)``); tracklayer's
  is ``[x, y, z, vx, vy, vz]``. Both in ECEF, m and m/s; covariances are reordered with
  the state (:data:`STONE_SOUP_ORDER`).
* **Infrared detection** (angles only): ``Detection([Elevation, Bearing])`` of the line of
  sight in ECEF axes (elevation from the equatorial plane, bearing ``atan2(y, x)``), with
  its own ``CartesianToElevationBearing`` measurement model: ``translation_offset`` the
  sensor's ECEF position, no rotation, noise ``diag(sigma², sigma²/cos²(elevation))`` so
  that both angles carry the detection's angular noise ``sigma_rad`` on the sphere.
* **Radar detection** (``range_m`` not null): ``[Elevation, Bearing, range]`` with a
  ``CartesianToElevationBearingRange`` model (range noise ``sigma_range_m``), reversible,
  so Stone Soup's measurement initiators start tracks from it.
* **Metadata**: ``det_id``, ``sensor_id``, ``sensor_kind``, ``owner``, ``snr``; ``truth_id``
  only when asked (it is for scoring, never for a tracker).

Detections come as scans, ``(time, set of Detection)``, one per sensor and frame, in time
order (a tracker associating a whole scan then never gives one target two detections of
one instant from two sensors). Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from stonesoup.models.measurement.nonlinear import (
    CartesianToElevationBearing,
    CartesianToElevationBearingRange,
)
from stonesoup.types.angle import Bearing, Elevation
from stonesoup.types.array import CovarianceMatrix, StateVector
from stonesoup.types.detection import Detection
from stonesoup.types.state import GaussianState
from stonesoup.types.track import Track

from tracklayer.vocabulary import TRACKS_SCHEMA

__all__ = [
    "STONE_SOUP_ORDER",
    "from_stonesoup_tracks",
    "to_stonesoup_scans",
    "to_stonesoup_tracks",
]

#: Indices of tracklayer's state ``[x, y, z, vx, vy, vz]`` in Stone Soup's order.
STONE_SOUP_ORDER = np.array([0, 3, 1, 4, 2, 5])
#: Indices of Stone Soup's state in tracklayer's order (the inverse permutation).
TRACKLAYER_ORDER = np.argsort(STONE_SOUP_ORDER)
_POSITION_MAPPING = (0, 2, 4)


def _column(table: pa.Table, name: str) -> NDArray[np.float64]:
    return np.asarray(table[name].to_numpy(zero_copy_only=False), dtype=np.float64)


def _time_ns(table: pa.Table) -> NDArray[np.int64]:
    return np.asarray(pc.cast(table["time"], pa.int64()).to_numpy(zero_copy_only=False))


def _utc(time_ns: int) -> datetime:
    return datetime.fromtimestamp(time_ns // 1_000_000_000, UTC).replace(
        microsecond=(time_ns % 1_000_000_000) // 1000
    )


def _detection(row: dict[str, object], at: datetime, include_truth: bool) -> Detection:
    """One detections-table row as a Stone Soup Detection with its own model."""
    los = np.array([row["los_x"], row["los_y"], row["los_z"]], dtype=np.float64)
    sensor = np.array([[row["sensor_x"]], [row["sensor_y"]], [row["sensor_z"]]], dtype=float)
    elevation = float(np.arcsin(np.clip(los[2], -1.0, 1.0)))
    bearing = float(np.arctan2(los[1], los[0]))
    sigma = float(row["sigma_rad"])  # type: ignore[arg-type]
    angles = [sigma**2, sigma**2 / np.cos(elevation) ** 2]
    metadata = {k: row[k] for k in ("det_id", "sensor_id", "sensor_kind", "owner", "snr")}
    if include_truth:
        metadata["truth_id"] = row.get("truth_id")
    range_m = row.get("range_m")
    if range_m is None or not np.isfinite(float(range_m)):  # type: ignore[arg-type]
        model = CartesianToElevationBearing(
            ndim_state=6, mapping=_POSITION_MAPPING, noise_covar=CovarianceMatrix(np.diag(angles)),
            translation_offset=sensor,
        )  # fmt: skip
        vector = StateVector([Elevation(elevation), Bearing(bearing)])
    else:
        sigma_range = float(row["sigma_range_m"])  # type: ignore[arg-type]
        model = CartesianToElevationBearingRange(
            ndim_state=6, mapping=_POSITION_MAPPING,
            noise_covar=CovarianceMatrix(np.diag([*angles, sigma_range**2])),
            translation_offset=sensor,
        )  # fmt: skip
        vector = StateVector([Elevation(elevation), Bearing(bearing), float(range_m)])  # type: ignore[arg-type]
    return Detection(vector, timestamp=at, measurement_model=model, metadata=metadata)


def to_stonesoup_scans(
    detections: pa.Table, *, include_truth: bool = False
) -> Iterator[tuple[datetime, set[Detection]]]:
    """Scans of Stone Soup detections, one per sensor and instant, in time order.

    Parameters
    ----------
    detections : pyarrow.Table
        A ``detections`` table (``time``, ``sensor_id``, ``los_*``, ``sensor_*``,
        ``sigma_rad``, ``range_m``, ``sigma_range_m``, ...).
    include_truth : bool
        Put ``truth_id`` in each detection's metadata (for scoring only).

    Yields
    ------
    (datetime, set of Detection)
        The scan's UTC time and its detections (module notes for the models).
    """
    time_ns = _time_ns(detections)
    sensor = np.asarray(pc.cast(detections["sensor_id"], pa.string()).to_pylist(), dtype=np.str_)
    order = np.lexsort((sensor, time_ns))
    rows = detections.take(pa.array(order)).to_pylist()
    t, s = time_ns[order], sensor[order]
    change = np.flatnonzero((t[1:] != t[:-1]) | (s[1:] != s[:-1])) + 1
    # Stone Soup's types are one Python object per detection; a scan is a set of them.
    for lo, hi in itertools.pairwise([0, *change.tolist(), len(rows)]):
        at = _utc(int(t[lo]))
        yield at, {_detection(row, at, include_truth) for row in rows[lo:hi]}


def to_stonesoup_tracks(tracks: pa.Table) -> list[Track]:
    """A ``tracks`` table as Stone Soup tracks of ``GaussianState`` (Stone Soup's order).

    Each track's id is ``"tracker:track_id"``; its metadata holds ``tracker``,
    ``track_id`` and ``status``, the list of each state's status (Stone Soup's
    ``GaussianState`` has no metadata of its own), aligned with the states in time order.
    """
    ordered = tracks.sort_by(
        [("tracker", "ascending"), ("track_id", "ascending"), ("time", "ascending")]
    )
    tracker = ordered["tracker"].to_pylist()
    track_id = ordered["track_id"].to_pylist()
    status = ordered["status"].to_pylist()
    time_ns = _time_ns(ordered)
    state = np.column_stack([_column(ordered, c) for c in ("x", "y", "z", "vx", "vy", "vz")])
    cov = np.asarray(ordered["cov"].combine_chunks().flatten().to_numpy(), np.float64)
    cov = cov.reshape(-1, 6, 6)[:, STONE_SOUP_ORDER][:, :, STONE_SOUP_ORDER]
    state = state[:, STONE_SOUP_ORDER]
    out: dict[tuple[str, str], Track] = {}
    for i, key in enumerate(zip(tracker, track_id, strict=True)):
        track = out.get(key)
        if track is None:
            track = out[key] = Track(id=f"{key[0]}:{key[1]}")
            track.metadata.update({"tracker": key[0], "track_id": key[1], "status": []})
        track.append(
            GaussianState(
                StateVector(state[i]), CovarianceMatrix(cov[i]), timestamp=_utc(int(time_ns[i]))
            )
        )
        track.metadata["status"].append(status[i])
    return list(out.values())


def from_stonesoup_tracks(
    tracks: Iterable[Track], tracker: str, *, status: str = "confirmed"
) -> pa.Table:
    """Stone Soup tracks of Gaussian states as a ``tracks`` table, to score them with
    tracklayer's metrics (``track_id`` the Stone Soup id, every state ``status``)."""
    rows: dict[str, list[object]] = {name: [] for name in TRACKS_SCHEMA.names}
    for track in tracks:
        for state in track.states:
            vector = np.asarray(state.state_vector, dtype=np.float64).ravel()[TRACKLAYER_ORDER]
            matrix = np.asarray(state.covar, dtype=np.float64)[TRACKLAYER_ORDER][
                :, TRACKLAYER_ORDER
            ]
            rows["track_id"].append(str(track.id))
            rows["tracker"].append(tracker)
            rows["time"].append(state.timestamp)
            for name, value in zip(("x", "y", "z", "vx", "vy", "vz"), vector.tolist(), strict=True):
                rows[name].append(value)
            rows["cov"].append(matrix.ravel().tolist())
            rows["status"].append(status)
    return pa.table(rows, schema=TRACKS_SCHEMA)
