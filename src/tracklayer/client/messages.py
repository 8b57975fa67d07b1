"""Ingest messages built from rows of a ``tracks`` table (:data:`TRACKS_SCHEMA`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pyarrow as pa

__all__ = ["track_message", "track_records"]

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
    if table.num_rows == 0:
        raise ValueError("a track message needs at least one row")
    release: list[str] | str = releasable_to if releasable_to == "all" else sorted(releasable_to)
    return {"message_id": message_id, "releasable_to": release, "tracks": track_records(table)}
