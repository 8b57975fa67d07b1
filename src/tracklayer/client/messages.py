"""Ingest messages built from rows of a ``tracks`` table (:data:`TRACKS_SCHEMA`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pyarrow as pa

__all__ = ["detection_message", "detection_records", "track_message", "track_records"]

_STATE = ("x", "y", "z", "vx", "vy", "vz")


def track_records(table: pa.Table) -> list[dict[str, Any]]:
    """Track states as the service's JSON records.

    Parameters
    ----------
    table : pyarrow.Table
        Rows of a ``tracks`` table: ``track_id``, ``tracker``, ``time`` (UTC), ECEF state
        ``x..vz`` (m, m/s), ``cov`` (36 floats, row-major, SI), ``status``.

    Returns
    -------
    list of dict
        One record per row, times in ISO 8601 UTC with nanoseconds kept to microseconds.
    """
    missing = [
        c
        for c in ("track_id", "tracker", "time", *_STATE, "cov", "status")
        if c not in table.column_names
    ]
    if missing:
        raise ValueError(f"tracks table lacks column(s) {', '.join(missing)}")
    times = table["time"].cast(pa.timestamp("us", tz="UTC")).to_pylist()
    state = (
        np.column_stack(
            [np.asarray(table[c].to_numpy(zero_copy_only=False), dtype=np.float64) for c in _STATE]
        )
        if table.num_rows
        else np.zeros((0, 6))
    )
    cov = table["cov"].to_pylist()
    ids = table["track_id"].to_pylist()
    trackers = table["tracker"].to_pylist()
    statuses = table["status"].to_pylist()
    return [
        {
            "track_id": ids[i],
            "tracker": trackers[i],
            "time": times[i].isoformat(),
            **dict(zip(_STATE, state[i].tolist(), strict=True)),
            "cov": list(cov[i]),
            "status": statuses[i],
        }
        for i in range(table.num_rows)
    ]


def track_message(
    message_id: str,
    table: pa.Table,
    releasable_to: Sequence[str] | Literal["all"] = "all",
) -> dict[str, Any]:
    """One ``POST /api/v1/tracks`` body from rows of one tracker's ``tracks`` table.

    Parameters
    ----------
    message_id : str
        Unique per sending partner; derive it from what the message holds (owner, epoch)
        so that a re-run re-sends the same id and the service stores it once.
    table : pyarrow.Table
        The rows to send (1 to 10 000, all with the sending partner as ``tracker``).
    releasable_to : sequence of str or "all"
        Partners, besides the sender, that may see the rows.
    """
    return _body(message_id, releasable_to, "tracks", track_records(table))


#: Columns of a ``detections`` row sent to the service (not ``truth_id``, scoring only, nor
#: the scene's ``background``/``daylight``).
_DETECTION_FLOATS = (*("los_x", "los_y", "los_z", "sensor_x", "sensor_y", "sensor_z", "sigma_rad"),)
_DETECTION_OPTIONAL = ("snr", "range_m", "sigma_range_m")


def detection_records(table: pa.Table) -> list[dict[str, Any]]:
    """Detections as the service's JSON records.

    Parameters
    ----------
    table : pyarrow.Table
        Rows of a ``detections`` table: ``det_id``, ``sensor_id``, ``sensor_kind``,
        ``owner``, ``time`` (UTC), unit line of sight ``los_x..z`` and sensor position
        ``sensor_x..z`` (ECEF, m), ``sigma_rad``; ``snr``, ``range_m`` and
        ``sigma_range_m`` when present (null values are left out).
    """
    needed = ("det_id", "sensor_id", "sensor_kind", "owner", "time", *_DETECTION_FLOATS)
    missing = [c for c in needed if c not in table.column_names]
    if missing:
        raise ValueError(f"detections table lacks column(s) {', '.join(missing)}")
    times = table["time"].cast(pa.timestamp("us", tz="UTC")).to_pylist()
    columns = {c: table[c].to_pylist() for c in (*needed[:4], *_DETECTION_FLOATS)}
    optional = {c: table[c].to_pylist() for c in _DETECTION_OPTIONAL if c in table.column_names}
    records = []
    for i in range(table.num_rows):
        record: dict[str, Any] = {
            "det_id": str(columns["det_id"][i]),
            "sensor_id": str(columns["sensor_id"][i]),
            "sensor_kind": columns["sensor_kind"][i],
            "owner": columns["owner"][i],
            "time": times[i].isoformat(),
            **{c: float(columns[c][i]) for c in _DETECTION_FLOATS},
        }
        record.update(
            {c: float(v[i]) for c, v in optional.items() if v[i] is not None and v[i] == v[i]}
        )
        records.append(record)
    return records


def detection_message(
    message_id: str,
    table: pa.Table,
    releasable_to: Sequence[str] | Literal["all"] = "all",
) -> dict[str, Any]:
    """One ``POST /api/v1/detections`` body from rows of one owner's ``detections`` table.

    Parameters
    ----------
    message_id : str
        Unique per sending partner (derive it from what the message holds).
    table : pyarrow.Table
        The rows to send (1 to 10 000, all with the sending partner as ``owner``).
    releasable_to : sequence of str or "all"
        Partners, besides the sender, that may see the detections.
    """
    return _body(message_id, releasable_to, "detections", detection_records(table))


def _body(
    message_id: str,
    releasable_to: Sequence[str] | Literal["all"],
    kind: str,
    records: list[dict[str, Any]],
) -> dict[str, Any]:
    """An ingest body: the id, the release (codes sorted, or "all") and the records."""
    if not records:
        raise ValueError(f"a {kind} message needs at least one row")
    release: list[str] | str = releasable_to if releasable_to == "all" else sorted(releasable_to)
    return {"message_id": message_id, "releasable_to": release, kind: records}
