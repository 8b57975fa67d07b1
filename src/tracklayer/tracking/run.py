"""The tracking stage: the ``detections`` table in, the ``tracks`` table out.

One tracker per owner, fed only that owner's detections (each nation's own ground
processing), and one ``joint`` tracker fed all of them, from the same table. The
``truth_id`` column is dropped before anything else reads the table.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tracklayer.errors import InputFormatError
from tracklayer.frames import utc_timestamps
from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.manager import STATUS_NAMES
from tracklayer.tracking.tracker import BatchTracker, Detections, Innovations, TrackHistory
from tracklayer.vocabulary import JOINT, TRACKS_SCHEMA

_REQUIRED = (
    "det_id", "sensor_id", "owner", "time", "los_x", "los_y", "los_z",
    "sensor_x", "sensor_y", "sensor_z", "sigma_rad",
)  # fmt: skip


def strip_truth(detections: pa.Table) -> pa.Table:
    """The detections without their scoring-only ``truth_id`` column."""
    if "truth_id" in detections.column_names:
        return detections.drop_columns(["truth_id"])
    return detections


def _seconds(col: pa.ChunkedArray, epoch: datetime) -> np.ndarray:
    ns = pc.cast(col, pa.timestamp("ns", tz="UTC")).to_numpy().astype("datetime64[ns]")
    base = np.datetime64(epoch.astimezone(UTC).replace(tzinfo=None), "ns")
    out: np.ndarray = (ns - base).astype(np.int64) / 1e9
    return out


def detections_arrays(detections: pa.Table, epoch: datetime) -> tuple[Detections, np.ndarray]:
    """The tracker's arrays from a truth-free ``detections`` table, and each row's owner.

    Raises
    ------
    InputFormatError
        A required column is missing or a value is not finite.
    """
    missing = [c for c in _REQUIRED if c not in detections.column_names]
    if missing:
        raise InputFormatError(f"detections table: missing column(s) {', '.join(missing)}")
    t = _seconds(detections.column("time"), epoch)

    def f(name: str) -> np.ndarray:
        return np.asarray(detections.column(name).to_numpy(zero_copy_only=False), np.float64)

    los = np.stack([f("los_x"), f("los_y"), f("los_z")], axis=1)
    pos = np.stack([f("sensor_x"), f("sensor_y"), f("sensor_z")], axis=1)
    sigma = f("sigma_rad")
    for name, arr in (("los", los), ("sensor position", pos), ("sigma_rad", sigma)):
        bad = ~np.all(np.isfinite(arr.reshape(arr.shape[0], -1)), axis=1)
        if np.any(bad):
            row = int(np.nonzero(bad)[0][0])
            raise InputFormatError(f"detections table, record {row}: {name} is not finite")
    los /= np.linalg.norm(los, axis=1, keepdims=True)
    sensor_codes = pc.dictionary_encode(
        pc.cast(detections.column("sensor_id"), pa.string())
    ).combine_chunks()
    sensor = np.asarray(sensor_codes.indices.to_numpy(zero_copy_only=False), np.int64)
    nan = np.full(t.size, np.nan)
    rng, srng = nan, nan.copy()
    if "range_m" in detections.column_names and "sigma_range_m" in detections.column_names:
        rng = np.asarray(detections.column("range_m").to_numpy(zero_copy_only=False), float)
        srng = np.asarray(detections.column("sigma_range_m").to_numpy(zero_copy_only=False), float)
        rng = np.where(np.isfinite(srng), rng, np.nan)
    owner = np.asarray(detections.column("owner").to_numpy(zero_copy_only=False)).astype(str)
    return Detections(t, los, pos, sigma, sensor, rng, srng), owner


#: The ``innovations`` table: each detection that updated a track, its NIS (2 dof).
INNOVATIONS_SCHEMA = pa.schema(
    [
        ("track_id", pa.string()),
        ("tracker", pa.string()),
        ("time", pa.timestamp("ns", tz="UTC")),
        ("nis", pa.float64()),  # y' S^-1 y of the line-of-sight innovation, 2 dof
    ]
)


def _track_ids(track_id: NDArray[np.int64], tracker: str) -> NDArray[np.str_]:
    if not track_id.size:
        return np.zeros(0, str)
    return np.char.add(f"{tracker}-", np.char.zfill(track_id.astype(str), 6))


def innovations_table(innovations: Innovations, tracker: str, epoch: datetime) -> pa.Table:
    """One tracker's :class:`~tracklayer.tracking.tracker.Innovations` as table rows."""
    n = innovations.nis.size
    return pa.table(
        {
            "track_id": pa.array(_track_ids(innovations.track_id, tracker), pa.string()),
            "tracker": pa.array(np.full(n, tracker), pa.string()),
            "time": utc_timestamps(epoch, innovations.time_s)
            if n
            else INNOVATIONS_SCHEMA.empty_table()["time"],
            "nis": pa.array(innovations.nis, pa.float64()),
        },
        schema=INNOVATIONS_SCHEMA,
    )


def history_table(history: TrackHistory, tracker: str, epoch: datetime) -> pa.Table:
    """One tracker's history as rows of the ``tracks`` table."""
    n = len(history)
    ids = _track_ids(history.track_id, tracker)
    cov = pa.FixedSizeListArray.from_arrays(pa.array(history.p.reshape(-1), pa.float64()), 36)
    names = np.array(STATUS_NAMES)[history.status.astype(np.int64)]
    cols = [
        pa.array(ids, pa.string()),
        pa.array(np.full(n, tracker), pa.string()),
        utc_timestamps(epoch, history.time_s) if n else pa.array([], TRACKS_SCHEMA[2].type),
        *(pa.array(history.x[:, i], pa.float64()) for i in range(6)),
        cov,
        pa.array(names, pa.string()),
    ]
    return pa.Table.from_arrays(cols, schema=TRACKS_SCHEMA)


def run_tracking(
    detections: pa.Table, config: TrackingConfig, *, epoch: datetime | None = None
) -> pa.Table:
    """The ``tracks`` table of :func:`run_tracking_tables`."""
    return run_tracking_tables(detections, config, epoch=epoch)[0]


def run_tracking_tables(
    detections: pa.Table, config: TrackingConfig, *, epoch: datetime | None = None
) -> tuple[pa.Table, pa.Table]:
    """Track the detections once per owner and once jointly; the tracks and innovations.

    Parameters
    ----------
    detections : pyarrow.Table
        The ``detections`` table (DESIGN.md); ``truth_id`` is dropped unread.
    config : TrackingConfig
        The scenario's ``tracking`` section.
    epoch : datetime, optional
        Scenario epoch (UTC); default: the earliest detection time. Only sets the origin of
        the float seconds used inside, so the output does not depend on it.

    Returns
    -------
    tracks : pyarrow.Table
        The ``tracks`` table (:data:`TRACKS_SCHEMA`): one row per live track per frame of
        its tracker, and a last ``deleted`` row when a track ends. ``track_id`` is
        ``"{tracker}-{n:06d}"``, unique across trackers.
    innovations : pyarrow.Table
        :data:`INNOVATIONS_SCHEMA`: each detection that updated a track, with its NIS.
    """
    det_table = strip_truth(detections)
    if det_table.num_rows == 0:
        return TRACKS_SCHEMA.empty_table(), INNOVATIONS_SCHEMA.empty_table()
    if epoch is None:
        first = pc.min(pc.cast(det_table.column("time"), pa.timestamp("ns", tz="UTC")))
        epoch = first.as_py()
    assert epoch is not None
    det, owner = detections_arrays(det_table, epoch)
    tables, nis = [], []
    for name in [*sorted(set(owner.tolist())), JOINT]:
        idx = np.arange(owner.size) if name == JOINT else np.nonzero(owner == name)[0]
        tracker = BatchTracker(config)
        history = tracker.run(det.take(idx))
        tables.append(history_table(history, name, epoch))
        nis.append(innovations_table(tracker.innovations(), name, epoch))
    return pa.concat_tables(tables), pa.concat_tables(nis)
