"""Parquet helpers: atomic writes and clear read errors."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tracklayer.errors import InputFormatError
from tracklayer.io.parquet import read_table, write_table


def test_round_trip_and_replace(tmp_path: Path) -> None:
    """A table reads back equal (schema with UTC timestamps included); writing again
    replaces the file and leaves no temporary file behind."""
    table = pa.table(
        {
            "sat_id": ["A", "B"],
            "time": pa.array([0, 10**9], type=pa.timestamp("ns", tz="UTC")),
            "x": [1.0, 2.0],
        }
    )
    path = write_table(table, tmp_path / "sub" / "t.parquet")
    assert read_table(path).equals(table)
    write_table(table.slice(0, 1), path)
    assert read_table(path).num_rows == 1
    assert read_table(path, columns=["x"]).column_names == ["x"]
    assert [p.name for p in path.parent.iterdir()] == ["t.parquet"]


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If writing fails midway (disk full, simulated after some bytes are written) the
    previous file is intact and no temporary file remains."""
    path = write_table(pa.table({"a": [1]}), tmp_path / "t.parquet")

    def failing_write(table: pa.Table, where: str | Path, **kwargs: object) -> None:
        Path(where).write_bytes(b"PAR1 partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq, "write_table", failing_write)
    with pytest.raises(OSError, match="No space left"):
        write_table(pa.table({"a": [2]}), path)
    monkeypatch.undo()
    assert read_table(path).column("a").to_pylist() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_read_errors_name_the_path(tmp_path: Path) -> None:
    """Missing file, non-Parquet content and an absent column give InputFormatError."""
    with pytest.raises(InputFormatError, match=r"absent\.parquet: Parquet file not found"):
        read_table(tmp_path / "absent.parquet")
    junk = tmp_path / "junk.parquet"
    junk.write_text("not parquet")
    with pytest.raises(InputFormatError, match=r"junk\.parquet: not a readable Parquet table"):
        read_table(junk)
    path = write_table(pa.table({"a": [1]}), tmp_path / "t.parquet")
    with pytest.raises(InputFormatError, match=r"t\.parquet"):
        read_table(path, columns=["b"])
