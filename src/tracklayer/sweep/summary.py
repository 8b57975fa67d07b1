"""Summaries of a sweep's results dataset, computed by DuckDB over its Parquet files.

- :func:`design_summary`: per design and metric, the mean and spread (sample standard
  deviation, 10th and 90th percentiles by linear interpolation, min, max) over the design's
  replicates and threats.
- :func:`design_status`: per design, cases finished, failed, and the first error.
- :func:`pareto_fronts`: designs not dominated in (satellites, objective): fewer or as many
  satellites and a better or equal objective, one of them strictly (the cost proxy is the
  total satellite count). Objectives: the joint tracker's mean time to first track
  (lower is better) and custody fraction (higher) when raids ran, and the joint percent
  time covered at each multiplicity k and target altitude (higher) when coverage ran.
- :func:`joint_gain`: per design, what flying together adds over the best owner alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from tracklayer.errors import InputFormatError
from tracklayer.sweep.results import results_glob, results_schema
from tracklayer.vocabulary import JOINT

__all__ = [
    "Objective",
    "axis_names",
    "design_status",
    "design_summary",
    "joint_gain",
    "objectives",
    "pareto_fronts",
    "pareto_mask",
    "write_summary",
]

_KEY = ("source", "group", "target_altitude_km", "metric")


@dataclass(frozen=True)
class Objective:
    """A design metric to optimise against the satellite count.

    ``source``, ``group``, ``target_altitude_km`` and ``metric`` select the rows of
    :func:`design_summary`; ``maximize`` says which way is better.
    """

    name: str
    label: str
    source: str
    group: str
    target_altitude_km: float | None
    metric: str
    maximize: bool

    def matches(self, row: dict[str, Any]) -> bool:
        """True when a :func:`design_summary` row is this objective's metric."""
        return (
            row["source"] == self.source
            and row["group"] == self.group
            and row["metric"] == self.metric
            and row["target_altitude_km"] == self.target_altitude_km
        )


def _connect(results_dir: Path) -> duckdb.DuckDBPyConnection:
    if not any(results_dir.glob("*.parquet")):
        raise InputFormatError(f"{results_dir}: no sweep results (*.parquet) to summarise")
    con = duckdb.connect()
    # A view cannot take a prepared parameter; the glob is quoted as a SQL string literal.
    glob = results_glob(results_dir).replace("'", "''")
    con.execute(
        f"CREATE VIEW results AS SELECT * FROM read_parquet('{glob}', union_by_name = true)"
    )
    return con


def axis_names(results_dir: Path) -> list[str]:
    """The axis columns of a results dataset, in file order."""
    con = _connect(results_dir)
    fixed = set(results_schema([]).names)
    names = [str(r[0]) for r in con.execute("DESCRIBE results").fetchall()]
    return [n for n in names if n not in fixed]


def _axes_sql(axes: Sequence[str]) -> str:
    return "".join(f', any_value("{a}") AS "{a}"' for a in axes)


def design_summary(results_dir: Path) -> pa.Table:
    """Mean and spread of every metric of every design, over its finished cases.

    Returns
    -------
    pyarrow.Table
        One row per design and metric: ``design_id``, the axis columns, ``n_satellites``,
        ``source``, ``group``, ``target_altitude_km``, ``metric``, ``n`` (values),
        ``n_cases``, ``mean``, ``std`` (sample; null for one value), ``p10``, ``p90``,
        ``min``, ``max``. Failed cases are left out.
    """
    con = _connect(results_dir)
    axes = axis_names(results_dir)
    sql = f"""
        SELECT design_id{_axes_sql(axes)}, any_value(n_satellites) AS n_satellites,
               source, "group", target_altitude_km, metric,
               count(value) AS n, count(DISTINCT case_id) AS n_cases,
               avg(value) AS mean, stddev_samp(value) AS std,
               quantile_cont(value, 0.1) AS p10, quantile_cont(value, 0.9) AS p90,
               min(value) AS min, max(value) AS max
        FROM results
        WHERE status = 'ok' AND metric IS NOT NULL
        GROUP BY design_id, source, "group", target_altitude_km, metric
        ORDER BY n_satellites, design_id, source, "group", target_altitude_km NULLS FIRST, metric
    """
    return con.sql(sql).to_arrow_table()


def design_status(results_dir: Path) -> pa.Table:
    """Per design: ``n_cases`` finished, ``n_ok``, ``n_failed`` and the first ``error``."""
    con = _connect(results_dir)
    axes = axis_names(results_dir)
    sql = f"""
        WITH cases AS (
            SELECT case_id, any_value(design_id) AS design_id{_axes_sql(axes)},
                   any_value(n_satellites) AS n_satellites, any_value(status) AS status,
                   any_value(error) AS error, any_value(replicate) AS replicate
            FROM results GROUP BY case_id
        )
        SELECT design_id{_axes_sql(axes)}, max(n_satellites) AS n_satellites,
               count(*) AS n_cases, count(*) FILTER (status = 'ok') AS n_ok,
               count(*) FILTER (status = 'failed') AS n_failed,
               arg_min(error, replicate) FILTER (status = 'failed') AS error
        FROM cases GROUP BY design_id ORDER BY n_satellites NULLS LAST, design_id
    """
    return con.sql(sql).to_arrow_table()


def objectives(summary: pa.Table) -> list[Objective]:
    """The Pareto objectives the summary supports (see the module docstring)."""
    rows = summary.select(["source", "group", "target_altitude_km", "metric"]).to_pylist()
    keys = {tuple(r.values()) for r in rows if r["group"] == JOINT}
    raid = [
        Objective("first_track_s", "mean time to first track, s", "raid", JOINT, None,
                  "first_track_s", maximize=False),
        Objective("custody_fraction", "mean custody fraction", "raid", JOINT, None,
                  "custody_fraction", maximize=True),
    ]  # fmt: skip
    found = [o for o in raid if ("raid", JOINT, None, o.metric) in keys]
    coverage = []
    for source, _, alt, metric in keys:
        if source == "coverage" and str(metric).startswith("pct_time_k"):
            k = str(metric).removeprefix("pct_time_k")
            coverage.append(
                Objective(
                    f"{metric}_{alt:g}km",
                    f"joint % time seen by >= {k}, {alt:g} km",
                    "coverage",
                    JOINT,
                    alt,
                    str(metric),
                    maximize=True,
                )
            )
    return found + sorted(coverage, key=lambda o: (o.target_altitude_km or 0.0, o.metric))


def pareto_mask(
    cost: NDArray[np.float64], value: NDArray[np.float64], maximize: bool
) -> NDArray[np.bool_]:
    """True for the points that no other point dominates.

    Point ``j`` dominates ``i`` when ``cost[j] <= cost[i]`` and ``value[j]`` is at least as
    good as ``value[i]``, one of the two strictly. Equal points are all kept. Points with a
    NaN are never on the front. One sort by cost, then a running best: O(n log n).
    """
    cost = np.asarray(cost, dtype=np.float64)
    good = np.asarray(value, dtype=np.float64) * (1.0 if maximize else -1.0)
    mask = np.zeros(cost.size, dtype=bool)
    finite = np.flatnonzero(np.isfinite(cost) & np.isfinite(good))
    order = finite[np.lexsort((-good[finite], cost[finite]))]
    best_cheaper = -np.inf
    i = 0
    while i < order.size:
        j = i
        while j < order.size and cost[order[j]] == cost[order[i]]:
            j += 1
        group = order[i:j]
        top = good[group].max()  # sorted best first, so good[group[0]]
        if top > best_cheaper:
            mask[group[good[group] == top]] = True
            best_cheaper = top
        i = j
    return mask


_SUMMARY_STATS = {
    "source",
    "group",
    "target_altitude_km",
    "metric",
    "n",
    "n_cases",
    "mean",
    "std",
    "p10",
    "p90",
    "min",
    "max",
}


def _design_fields(summary: pa.Table) -> list[pa.Field]:
    """``design_id``, the axis columns and ``n_satellites`` of a :func:`design_summary`."""
    return [f for f in summary.schema if f.name not in _SUMMARY_STATS]


def pareto_fronts(summary: pa.Table) -> pa.Table:
    """Every design's point for each objective, and whether it is on the Pareto front.

    Returns
    -------
    pyarrow.Table
        ``objective``, ``label``, ``maximize``, ``design_id``, the axis columns,
        ``n_satellites``, ``mean``, ``p10``, ``p90``, ``on_front``; ordered by objective
        and satellites.
    """
    design = _design_fields(summary)
    rows = summary.to_pylist()
    records: list[dict[str, Any]] = []
    for obj in objectives(summary):
        mine = [r for r in rows if obj.matches(r) and r["n_satellites"] is not None]
        mine.sort(key=lambda r: (r["n_satellites"], r["design_id"]))
        cost = np.array([float(r["n_satellites"]) for r in mine])
        value = np.array([np.nan if r["mean"] is None else float(r["mean"]) for r in mine])
        front = pareto_mask(cost, value, obj.maximize)
        for r, on_front in zip(mine, front, strict=True):
            records.append(
                {"objective": obj.name, "label": obj.label, "maximize": obj.maximize}
                | {f.name: r[f.name] for f in design}
                | {"mean": r["mean"], "p10": r["p10"], "p90": r["p90"], "on_front": bool(on_front)}
            )
    schema = pa.schema(
        [
            ("objective", pa.string()),
            ("label", pa.string()),
            ("maximize", pa.bool_()),
            *design,
            ("mean", pa.float64()),
            ("p10", pa.float64()),
            ("p90", pa.float64()),
            ("on_front", pa.bool_()),
        ]
    )
    return pa.Table.from_pylist(records, schema=schema)


#: Raid metrics whose joint-versus-alone gain is reported, and whether higher is better.
_RAID_GAINS = {
    "custody_fraction": True,
    "tracked": True,
    "first_track_s": False,
    "first_detection_s": False,
    "rmse_pos_m": False,
}


def joint_gain(summary: pa.Table) -> pa.Table:
    """What the joint layer adds over the best owner alone, per design.

    Coverage: ``gain_pct_time_k{k}`` at each target altitude (joint percent time minus the
    best single owner's, percentage points, from the coverage summary). Raids: for each of
    ``custody_fraction``, ``tracked``, ``first_track_s``, ``first_detection_s`` and
    ``rmse_pos_m``, the joint tracker's mean against the best national tracker's mean,
    signed so that a positive gain is an improvement (seconds earlier, metres smaller).

    Returns
    -------
    pyarrow.Table
        ``design_id``, the axis columns, ``n_satellites``, ``source``,
        ``target_altitude_km``, ``metric``, ``joint``, ``best_alone``, ``best_owner``
        (null for coverage), ``gain``.
    """
    design = _design_fields(summary)
    rows = summary.to_pylist()
    index = {
        (r["design_id"], r["source"], r["group"], r["target_altitude_km"], r["metric"]): r
        for r in rows
    }
    alone: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        if r["source"] == "raid" and r["group"] != JOINT and r["mean"] is not None:
            alone.setdefault((r["design_id"], r["metric"]), []).append(r)
    records: list[dict[str, Any]] = []

    def add(
        r: dict[str, Any],
        metric: str,
        joint: float | None,
        best: float | None,
        owner: str | None,
        gain: float | None,
    ) -> None:
        records.append(
            {f.name: r[f.name] for f in design}
            | {
                "source": r["source"],
                "target_altitude_km": r["target_altitude_km"],
                "metric": metric,
                "joint": joint,
                "best_alone": best,
                "best_owner": owner,
                "gain": gain,
            }
        )

    for r in rows:
        if r["group"] != JOINT or r["mean"] is None:
            continue
        if r["source"] == "coverage" and r["metric"].startswith("gain_"):
            metric = r["metric"].removeprefix("gain_")
            twin = index.get((r["design_id"], "coverage", JOINT, r["target_altitude_km"], metric))
            joint = None if twin is None else twin["mean"]
            add(r, metric, joint, None if joint is None else joint - r["mean"], None, r["mean"])
        elif r["source"] == "raid" and r["metric"] in _RAID_GAINS:
            others = alone.get((r["design_id"], r["metric"]))
            if not others:
                continue
            higher = _RAID_GAINS[r["metric"]]
            pick = max if higher else min
            best = pick(others, key=lambda x: float(x["mean"]))
            gain = r["mean"] - best["mean"] if higher else best["mean"] - r["mean"]
            add(r, r["metric"], r["mean"], best["mean"], best["group"], gain)
    schema = pa.schema(
        [
            *design,
            ("source", pa.string()),
            ("target_altitude_km", pa.float64()),
            ("metric", pa.string()),
            ("joint", pa.float64()),
            ("best_alone", pa.float64()),
            ("best_owner", pa.string()),
            ("gain", pa.float64()),
        ]
    )
    return pa.Table.from_pylist(records, schema=schema)


def write_summary(out_dir: Path) -> list[Path]:
    """Summarise ``out_dir/results`` into ``out_dir/summary/*.parquet`` and ``out_dir/plots``.

    Files: ``summary/designs.parquet`` (:func:`design_summary`), ``summary/status.parquet``
    (:func:`design_status`), ``summary/pareto.parquet`` (:func:`pareto_fronts`),
    ``summary/joint_gain.parquet`` (:func:`joint_gain`), the plots of
    :func:`tracklayer.sweep.plots.write_sweep_plots` and the page ``summary.html``
    (:mod:`tracklayer.sweep.html_summary`).

    Returns
    -------
    list of Path
        The files written, relative to ``out_dir``.
    """
    from tracklayer.io.parquet import write_table
    from tracklayer.sweep.html_summary import write_summary_html
    from tracklayer.sweep.plots import write_sweep_plots
    from tracklayer.sweep.results import RESULTS

    results = out_dir / RESULTS
    summary = design_summary(results)
    points = pareto_fronts(summary)
    files = [
        write_table(summary, out_dir / "summary" / "designs.parquet"),
        write_table(design_status(results), out_dir / "summary" / "status.parquet"),
        write_table(points, out_dir / "summary" / "pareto.parquet"),
        write_table(joint_gain(summary), out_dir / "summary" / "joint_gain.parquet"),
    ]
    files += write_sweep_plots(points, axis_names(results), out_dir / "plots")
    files.append(write_summary_html(out_dir))
    return [f.relative_to(out_dir) for f in files]
