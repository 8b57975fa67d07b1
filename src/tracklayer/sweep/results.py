"""The results dataset of a sweep: one Parquet file per finished case in ``DIR/results/``.

Each file is named ``<case_id>.parquet`` and written atomically
(:func:`tracklayer.io.parquet.write_table`), by the driver, only once the whole case has
come back. So a killed worker or driver never leaves half a case (a file exists whole or
not at all), and a case run twice (a retry, a task Dask recomputed) replaces its own file
instead of adding rows: no case is counted twice.

Columns (long form, one row per metric of a case; a failed case has one row with nulls):
``case_id``, ``design_id``, ``replicate``, ``seed``, one column per axis (float64 for
numeric axes, else text), ``n_satellites``, ``status`` (``ok``/``failed``), ``error``,
``elapsed_s``, ``worker``, ``finished_at`` (UTC), ``source``, ``group``, ``target_altitude_km``,
``object_id``, ``metric``, ``value`` (see :mod:`tracklayer.sweep.evaluate`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tracklayer.io.parquet import write_table
from tracklayer.sweep.cases import Case, SweepPlan, canonical_json
from tracklayer.sweep.config import SweepError
from tracklayer.sweep.evaluate import MetricRow

__all__ = [
    "MANIFEST",
    "RESULTS",
    "case_table",
    "check_manifest",
    "finished_cases",
    "results_glob",
    "results_schema",
    "write_case",
]

#: Folder of the results dataset inside a sweep's output folder.
RESULTS = "results"
#: The sweep's identity, written beside the results.
MANIFEST = "sweep.json"


def results_schema(axis_columns: Sequence[tuple[str, bool]]) -> pa.Schema:
    """The schema of every results file of a sweep with these (axis name, numeric) columns."""
    axes = [
        pa.field(name, pa.float64() if numeric else pa.string()) for name, numeric in axis_columns
    ]
    return pa.schema(
        [
            pa.field("case_id", pa.string(), nullable=False),
            pa.field("design_id", pa.string(), nullable=False),
            pa.field("replicate", pa.int32(), nullable=False),
            pa.field("seed", pa.int64(), nullable=False),
            *axes,
            pa.field("n_satellites", pa.int64()),
            pa.field("status", pa.string(), nullable=False),
            pa.field("error", pa.string()),
            pa.field("elapsed_s", pa.float64()),
            pa.field("worker", pa.string()),
            pa.field("finished_at", pa.timestamp("ns", tz="UTC")),
            pa.field("source", pa.string()),
            pa.field("group", pa.string()),
            pa.field("target_altitude_km", pa.float64()),
            pa.field("object_id", pa.string()),
            pa.field("metric", pa.string()),
            pa.field("value", pa.float64()),
        ]
    )


def _axis_cell(value: Any, numeric: bool) -> float | str:
    if numeric:
        return float(value)
    return value if isinstance(value, str) else canonical_json(value)


def case_table(
    case: Case,
    axis_columns: Sequence[tuple[str, bool]],
    *,
    n_satellites: int | None,
    rows: Sequence[MetricRow],
    error: str | None,
    elapsed_s: float,
    worker: str,
) -> pa.Table:
    """One case's rows in the results schema; no metric rows gives one row of nulls."""
    n = max(1, len(rows))
    rows = list(rows) or [(None, None, None, None, None, None)]  # type: ignore[list-item]
    now = dt.datetime.now(dt.UTC)
    columns: dict[str, list[Any]] = {
        "case_id": [case.case_id] * n,
        "design_id": [case.design_id] * n,
        "replicate": [case.replicate] * n,
        "seed": [case.seed] * n,
    }
    for name, numeric in axis_columns:
        columns[name] = [_axis_cell(case.values[name], numeric)] * n
    columns |= {
        "n_satellites": [n_satellites] * n,
        "status": ["failed" if error is not None else "ok"] * n,
        "error": [error] * n,
        "elapsed_s": [elapsed_s] * n,
        "worker": [worker] * n,
        "finished_at": [now] * n,
    }
    for i, name in enumerate(
        ("source", "group", "target_altitude_km", "object_id", "metric", "value")
    ):
        columns[name] = [r[i] for r in rows]
    return pa.table(columns, schema=results_schema(axis_columns))


def write_case(table: pa.Table, results_dir: Path) -> Path:
    """Write one case's table as ``<case_id>.parquet``, atomically (replaces a previous run)."""
    case_id = str(table.column("case_id")[0])
    return write_table(table, results_dir / f"{case_id}.parquet")


def results_glob(results_dir: Path) -> str:
    """The DuckDB/pyarrow glob of the dataset's files (temporary files never match it)."""
    return str(results_dir / "*.parquet")


def finished_cases(results_dir: Path) -> dict[str, str]:
    """Case id -> status (``ok``/``failed``) of every case in the dataset."""
    if not results_dir.is_dir() or not any(results_dir.glob("*.parquet")):
        return {}
    con = duckdb.connect()
    rows = con.execute(
        "SELECT case_id, min(status) FROM read_parquet(?, union_by_name = true) GROUP BY case_id",
        [results_glob(results_dir)],
    ).fetchall()
    return {str(c): str(s) for c, s in rows}


def check_manifest(plan: SweepPlan, out_dir: Path) -> None:
    """Write ``sweep.json`` on a first run; on a later one, refuse another sweep's folder.

    Raises
    ------
    SweepError
        ``out_dir`` holds results of a sweep with another base scenario, other axes or
        other measures (its ``fingerprint`` differs).
    """
    path = out_dir / MANIFEST
    manifest = {
        "name": plan.config.name,
        "fingerprint": plan.fingerprint,
        "axes": [[a.label, a.paths] for a in plan.axes],
        "measures": list(plan.measures),
        "replicates": plan.replicates,
        "base_seed": plan.base_seed,
        "sweep": plan.config.model_dump(mode="json", by_alias=True),
    }
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SweepError(f"{path}: unreadable sweep manifest ({exc})") from None
        if old.get("fingerprint") != plan.fingerprint:
            raise SweepError(
                f"{out_dir} holds the results of another sweep ({old.get('name')!r}: its base "
                "scenario, axes or measures differ); choose another --out folder"
            )
    elif any((out_dir / RESULTS).glob("*.parquet")):
        raise SweepError(
            f"{out_dir / RESULTS} holds results but no {MANIFEST}; choose another --out"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{MANIFEST}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
