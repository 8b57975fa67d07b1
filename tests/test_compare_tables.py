"""``scripts/compare_tables.py``: two run folders' tables compared exactly."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "compare_tables", ROOT / "scripts" / "compare_tables.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _table(x: list[float], cov_last: float = 1.0) -> pa.Table:
    return pa.table(
        {
            "id": ["a", "b", None],
            "x": x,
            "cov": pa.array([[1.0, 2.0], [3.0, cov_last], [5.0, 6.0]], pa.list_(pa.float64(), 2)),
        }
    )


def _folders(tmp_path: Path, before: pa.Table, after: pa.Table) -> tuple[Path, Path]:
    folders = tmp_path / "before", tmp_path / "after"
    for folder, table in zip(folders, (before, after), strict=True):
        folder.mkdir()
        pq.write_table(table, folder / "t.parquet")
    return folders


def test_identical_tables_with_nan_and_nulls(tmp_path: Path) -> None:
    """NaN equals NaN and nulls equal nulls: the same table twice is identical."""
    nan = float("nan")
    lines, identical = _script().compare_folders(
        *_folders(tmp_path, _table([1.0, nan, 3.0]), _table([1.0, nan, 3.0]))
    )
    assert identical and lines == ["t.parquet: identical (3 rows, 3 columns)"]


def test_one_bit_in_a_value_or_a_list_differs(tmp_path: Path) -> None:
    """A value one ulp off and a covariance entry changed are each reported, with the
    number of rows and the largest difference; a missing table too; exit status 1."""
    script = _script()
    before, after = _folders(
        tmp_path, _table([1.0, 2.0, 3.0]), _table([1.0, 2.0000000000000004, 3.0], 1.5)
    )
    lines, identical = script.compare_folders(before, after)
    assert not identical
    assert lines[0] == "t.parquet: DIFFERS"
    assert "column x: 1 rows differ, largest |difference| 4.44e-16" in lines[1]
    assert "column cov: list values: 1 rows differ, largest |difference| 0.5" in lines[2]
    pq.write_table(_table([1.0, 2.0, 3.0]), before / "u.parquet")
    assert script.main([str(before), str(after)]) == 1
    assert script.main([str(before), str(before)]) == 0
