"""Tracks as CCSDS OEM files with covariance blocks (KVN, version 2.0).

One file per track (a tracker's ``track_id``): the state lines of
:mod:`tracklayer.io.oem` (ECEF, ``REF_FRAME = ITRF``, km and km/s), then one
``COVARIANCE_START``/``COVARIANCE_STOP`` section holding, per epoch, the 6x6 state
covariance as its lower triangle, row by row, in km², km²/s and km²/s²
(CCSDS 502.0-B-2 section 5.2.5 and table 5-3; ``COV_REF_FRAME`` as the states' frame).
Rows whose state is not finite are left out (an OEM holds numbers only).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tracklayer.constants import KM
from tracklayer.io.oem import _header, _segment, _write_atomic, oem_file_name
from tracklayer.io.truth_oem import object_rows

__all__ = ["track_oem_text", "write_track_oems"]

_LOWER = np.tril_indices(6)


def _epochs(time_ns: NDArray[np.int64]) -> list[str]:
    return [str(t) for t in time_ns.astype("datetime64[ns]").astype("datetime64[us]")]


def _covariance(epochs: list[str], cov_si: NDArray[np.float64]) -> str:
    """The covariance section: per epoch, its lower triangle in km-based units."""
    cov_km = cov_si.reshape(-1, 6, 6) / KM**2  # m², m²/s, m²/s² -> km², km²/s, km²/s²
    lines = ["COVARIANCE_START"]
    for epoch, matrix in zip(epochs, cov_km, strict=True):
        lines += [f"EPOCH = {epoch}", "COV_REF_FRAME = ITRF"]
        lower = matrix[_LOWER]
        start = 0
        for row in range(6):
            lines.append(" ".join(f"{v:.12e}" for v in lower[start : start + row + 1]))
            start += row + 1
    lines.append("COVARIANCE_STOP")
    return "\n" + "\n".join(lines) + "\n"


def track_oem_text(
    rows: pa.Table, originator: str = "tracklayer", creation_date: datetime | None = None
) -> str:
    """One track's OEM text.

    Parameters
    ----------
    rows : pyarrow.Table
        One track's rows of a ``tracks`` table (one ``tracker`` and ``track_id``), any order.
    originator, creation_date
        Header keywords (``creation_date`` UTC; now by default).
    """
    if rows.num_rows == 0:
        raise ValueError("a track OEM needs at least one state")
    rows = rows.sort_by([("time", "ascending")])
    time_ns = np.asarray(pc.cast(rows["time"], pa.int64()))
    if np.any(np.diff(time_ns) <= 0):
        raise ValueError("a track has two states at one epoch")
    state = np.column_stack(
        [
            np.asarray(rows[c].to_numpy(zero_copy_only=False))
            for c in ("x", "y", "z", "vx", "vy", "vz")
        ]
    )
    cov = np.asarray(rows["cov"].combine_chunks().flatten().to_numpy(), dtype=np.float64)
    name = f"{rows['tracker'][0].as_py()}-{rows['track_id'][0].as_py()}"
    epochs = _epochs(time_ns)
    return (
        _header(originator, creation_date)
        + _segment(name, epochs, state / KM)
        + _covariance(epochs, cov)
    )


def _tracks(table: pa.Table) -> Iterator[tuple[str, str, pa.Table]]:
    """Each track's rows with a finite state, in time order, by tracker and track id."""
    tracker = pc.cast(table["tracker"], pa.string())
    track_id = pc.cast(table["track_id"], pa.string())
    key = pc.binary_join_element_wise(tracker, track_id, "\x1f")
    for name, rows in object_rows(table.append_column("_track", key), "_track"):
        tracker_name, _, track_name = name.partition("\x1f")
        yield tracker_name, track_name, table.take(pa.array(rows))


def write_track_oems(
    tracks: pa.Table,
    out_dir: Path | str,
    *,
    originator: str = "tracklayer",
    creation_date: datetime | None = None,
) -> list[Path]:
    """Write each track of a ``tracks`` table as ``TRACKER_TRACKID.oem`` in ``out_dir``.

    Returns
    -------
    list of Path
        The files written (each atomically), sorted.
    """
    out = Path(out_dir)
    written = [
        _write_atomic(
            out / oem_file_name(f"{tracker}_{track_id}"),
            track_oem_text(rows, originator, creation_date),
        )
        for tracker, track_id, rows in _tracks(tracks)
    ]
    return sorted(written)
