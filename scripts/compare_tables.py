"""Compare every Parquet table of two run folders exactly, column by column.

Usage: python scripts/compare_tables.py BEFORE_DIR AFTER_DIR

Tables are the ``*.parquet`` files at the top of each folder (the run's public tables;
``.cache/`` is left out). A table is *identical* when both files hold the same schema
(names, types, order) and every value is bitwise equal (NaN equal to NaN, nulls in the
same places). For each table that differs the script says how: missing on one side, the
schema, the row count, or the columns whose values differ, with the number of differing
rows and, for numeric columns, the largest absolute difference.

Prints one line per table and exits 1 when any table differs, 0 when all are identical.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def column_difference(before: pa.ChunkedArray, after: pa.ChunkedArray) -> str | None:
    """How two columns of equal type and length differ, or None when they are equal.

    Floating-point values are compared by their bits, so NaN equals NaN and -0.0 differs
    from 0.0; lists by their lengths and then their flattened values; other types by
    value, nulls equal to nulls.
    """
    if before.equals(after):
        return None
    kind = before.type
    if pa.types.is_list(kind) or pa.types.is_fixed_size_list(kind) or pa.types.is_large_list(kind):
        lengths = [pc.list_value_length(c).fill_null(-1) for c in (before, after)]
        if not lengths[0].equals(lengths[1]):
            return "list lengths differ"
        inner = column_difference(
            pa.chunked_array([pc.list_flatten(before)]), pa.chunked_array([pc.list_flatten(after)])
        )
        return None if inner is None else f"list values: {inner}"
    if pa.types.is_floating(kind):
        a = before.to_numpy(zero_copy_only=False).astype(np.float64)
        b = after.to_numpy(zero_copy_only=False).astype(np.float64)
        differs = a.view(np.uint64) != b.view(np.uint64)
        if not differs.any():
            return None
        both = np.isfinite(a) & np.isfinite(b) & differs
        largest = float(np.max(np.abs(a[both] - b[both]))) if both.any() else float("nan")
        return f"{int(differs.sum())} rows differ, largest |difference| {largest:.3g}"
    same = pc.fill_null(pc.equal(before, after), False)
    both_null = pc.and_(pc.is_null(before), pc.is_null(after))
    differs = pc.invert(pc.or_(same, both_null))
    count = int(pc.sum(pc.cast(differs, pa.int64())).as_py() or 0)
    return None if count == 0 else f"{count} rows differ"


def table_difference(before: pa.Table, after: pa.Table) -> list[str]:
    """The differences between two tables, as lines; empty when they are identical."""
    if before.schema.remove_metadata() != after.schema.remove_metadata():
        return [f"schema differs:\n    before {before.schema}\n    after  {after.schema}"]
    if before.num_rows != after.num_rows:
        return [f"{before.num_rows} rows before, {after.num_rows} after"]
    lines = []
    for name in before.column_names:
        text = column_difference(before[name], after[name])
        if text is not None:
            lines.append(f"column {name}: {text}")
    return lines


def compare_folders(before: Path, after: Path) -> tuple[list[str], bool]:
    """One report line per table of either folder, and whether all are identical."""
    names = sorted({p.name for p in (*before.glob("*.parquet"), *after.glob("*.parquet"))})
    lines, identical = [], True
    for name in names:
        paths = (before / name, after / name)
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            lines.append(f"{name}: MISSING in {', '.join(missing)}")
            identical = False
            continue
        a, b = (pq.read_table(p) for p in paths)
        problems = table_difference(a, b)
        if problems:
            identical = False
            lines.append(f"{name}: DIFFERS")
            lines += [f"  {p}" for p in problems]
        else:
            lines.append(f"{name}: identical ({a.num_rows} rows, {a.num_columns} columns)")
    return lines, identical


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    before, after = (Path(a) for a in argv)
    for folder in (before, after):
        if not folder.is_dir():
            print(f"{folder}: no such folder", file=sys.stderr)
            return 2
    lines, identical = compare_folders(before, after)
    print("\n".join(lines))
    print("all tables identical" if identical else "tables differ")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
