"""The threats' true flights as CCSDS OEM files (KVN, version 2.0), one per object.

Each object of a ``truth`` table (a missile, a glider, a spent stage) becomes one OEM with
one segment: ``OBJECT_NAME`` and ``OBJECT_ID`` its ``object_id``, states in ECEF
(``REF_FRAME = ITRF``, ``CENTER_NAME = EARTH``, ``TIME_SYSTEM = UTC``) in km and km/s at the
truth's samples (CCSDS 502.0-B-2 section 5; the layout of :mod:`tracklayer.io.oem`). The
truth is exact, so there is no covariance block. Rows with a non-finite state are left out.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tracklayer.constants import KM
from tracklayer.io.oem import _header, _segment, _write_atomic, oem_file_name

__all__ = ["object_rows", "split_by_object", "truth_oem_text", "write_truth_oems"]

STATE_COLUMNS = ("x", "y", "z", "vx", "vy", "vz")


def object_rows(table: pa.Table, key: str = "object_id") -> list[tuple[str, NDArray[np.intp]]]:
    """Row indices of each object's finite states, in time order, objects sorted by name.

    Parameters
    ----------
    table : pyarrow.Table
        Rows with ``key``, ``time`` and the ECEF state columns ``x``..``vz``.
    key : str
        The column naming the object.
    """
    names = np.asarray(pc.cast(table[key], pa.string()).to_pylist(), dtype=np.str_)
    time_ns = np.asarray(pc.cast(table["time"], pa.int64()).to_numpy(zero_copy_only=False))
    states = np.column_stack(
        [np.asarray(table[c].to_numpy(zero_copy_only=False), np.float64) for c in STATE_COLUMNS]
    )
    keep = np.flatnonzero(np.isfinite(states).all(axis=1))
    order = keep[np.lexsort((time_ns[keep], names[keep]))]
    if order.size == 0:
        return []
    unique, starts = np.unique(names[order], return_index=True)
    ends = np.append(starts[1:], order.size)
    return [
        (str(name), order[lo:hi])
        for name, lo, hi in zip(unique.tolist(), starts.tolist(), ends.tolist(), strict=True)
    ]


def split_by_object(
    table: pa.Table, key: str = "object_id"
) -> list[tuple[str, NDArray[np.int64], NDArray[np.float64]]]:
    """Each object's finite states, in time order (see :func:`object_rows`).

    Returns
    -------
    list of (str, ndarray of int64 (n,), ndarray (n, 6))
        Per object (sorted by name): its times (ns since 1970 UTC) and states (m, m/s).
    """
    time_ns = np.asarray(pc.cast(table["time"], pa.int64()).to_numpy(zero_copy_only=False))
    states = np.column_stack(
        [np.asarray(table[c].to_numpy(zero_copy_only=False), np.float64) for c in STATE_COLUMNS]
    )
    return [(name, time_ns[rows], states[rows]) for name, rows in object_rows(table, key)]


def _epochs(time_ns: NDArray[np.int64]) -> list[str]:
    return [str(t) for t in time_ns.astype("datetime64[ns]").astype("datetime64[us]")]


def truth_oem_text(
    object_id: str,
    time_ns: NDArray[np.int64],
    states_m: NDArray[np.float64],
    *,
    originator: str = "tracklayer",
    creation_date: datetime | None = None,
) -> str:
    """One object's OEM text from its times (ns, increasing) and ECEF states (n, 6), SI."""
    if time_ns.size == 0:
        raise ValueError(f"object {object_id!r} has no finite state to write")
    if np.any(np.diff(time_ns) <= 0):
        raise ValueError(f"object {object_id!r} has two states at one epoch")
    return _header(originator, creation_date) + _segment(object_id, _epochs(time_ns), states_m / KM)


def write_truth_oems(
    truth: pa.Table,
    out_dir: Path | str,
    *,
    originator: str = "tracklayer",
    creation_date: datetime | None = None,
) -> list[Path]:
    """Write each object of a ``truth`` table as ``OBJECT_ID.oem`` in ``out_dir``.

    Returns
    -------
    list of Path
        The files written (each atomically), in object order.
    """
    out = Path(out_dir)
    return [
        _write_atomic(
            out / oem_file_name(name),
            truth_oem_text(
                name, time_ns, states, originator=originator, creation_date=creation_date
            ),
        )
        for name, time_ns, states in split_by_object(truth)
    ]
