"""Parquet files for every table: atomic writes, and reads that fail with a clear message."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tracklayer.errors import InputFormatError

__all__ = ["read_table", "write_table"]


def write_table(table: pa.Table, path: Path | str) -> Path:
    """Write ``table`` to ``path`` as Parquet, atomically.

    The table goes to a temporary file in the same folder, which then replaces ``path``
    with :func:`os.replace` (atomic on POSIX and Windows), so a reader never sees a
    half-written file and a crash leaves the previous file intact. The folder is created
    if needed.

    Returns
    -------
    Path
        The path written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A unique name rather than mkstemp, whose 0600 mode would survive the rename.
    tmp_name = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp_name, compression="zstd")
        os.replace(tmp_name, target)
    except BaseException:
        tmp_name.unlink(missing_ok=True)
        raise
    return target


def read_table(path: Path | str, columns: list[str] | None = None) -> pa.Table:
    """Read a Parquet file written by :func:`write_table` (or anyone else).

    Parameters
    ----------
    path : Path or str
        The file.
    columns : list of str, optional
        Read only these columns.

    Raises
    ------
    InputFormatError
        The file is missing, unreadable, not Parquet, or lacks a requested column; the
        message names the path.
    """
    source = Path(path)
    if not source.is_file():
        raise InputFormatError(f"{source}: Parquet file not found")
    try:
        return pq.read_table(source, columns=columns)
    except (pa.ArrowException, OSError, KeyError) as exc:
        raise InputFormatError(f"{source}: not a readable Parquet table ({exc})") from None
