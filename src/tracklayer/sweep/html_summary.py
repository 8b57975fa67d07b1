"""A sweep's HTML summary: its designs, Pareto fronts, trends and what flying together adds.

One self-contained page (``summary.html`` in the sweep's folder, figures embedded), built
from the summary tables (:mod:`tracklayer.sweep.summary`) and plots
(:mod:`tracklayer.sweep.plots`): a table of the designs with each objective's mean and
p10-p90 spread (a star on the Pareto front; coverage columns when coverage ran), the joint
gains over the best owner alone, the Pareto plots and the trends against each axis, and
the failed cases' first errors. Axis values print as the sweep file gives them (16, not
16.0); a column that repeats another (an axis equal to the satellite count) is shown once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from tracklayer._version import __version__
from tracklayer.report.markup import Cell, CellLike, esc, figure, fmt, html_table, note, page

__all__ = ["SUMMARY_HTML", "axis_text", "sweep_summary_html", "write_summary_html"]

#: The page's file name in the sweep's folder.
SUMMARY_HTML = "summary.html"
#: Columns of ``summary/status.parquet`` besides the axes.
_STATUS_COLUMNS = {"design_id", "n_satellites", "n_cases", "n_ok", "n_failed", "error"}


def axis_text(value: Any) -> str:
    """An axis value as the sweep file wrote it: ``16`` not ``16.0``, ``0.5``, text as is."""
    if isinstance(value, float):
        return f"{value:g}" if value.is_integer() or abs(value) >= 1e-4 else f"{value!r}"
    return "–" if value is None else str(value)


def _design_columns(
    status: Sequence[dict[str, Any]], axes: Sequence[str]
) -> tuple[list[str], bool]:
    """The axes to show (each once) and whether the satellite count needs its own column:
    not when an axis holds the same values for every design."""
    shown = list(dict.fromkeys(axes))
    sats = [r["n_satellites"] for r in status]

    def repeats(axis: str) -> bool:
        pairs = [(r[axis], s) for r, s in zip(status, sats, strict=True)]
        return all(
            isinstance(v, int | float) and s is not None and float(v) == float(s) for v, s in pairs
        )

    same = any(repeats(a) for a in shown)
    return shown, not same


def _designs_table(status: Sequence[dict[str, Any]], points: pa.Table, axes: Sequence[str]) -> str:
    shown, with_sats = _design_columns(status, axes)
    rows_p = points.to_pylist()
    objectives = list(dict.fromkeys((r["objective"], r["label"]) for r in rows_p))
    at = {(r["objective"], r["design_id"]): r for r in rows_p}
    headers = [*shown, *(["satellites (all owners)"] if with_sats else []), "cases"]
    headers += [f"{label} (p10-p90)" for _, label in objectives]
    rows: list[list[CellLike]] = []
    for r in status:
        cells: list[CellLike] = [axis_text(r[a]) for a in shown]
        if with_sats:
            cells.append(fmt(r["n_satellites"]))
        failed = f" + {r['n_failed']} failed" if r["n_failed"] else ""
        cells.append(f"{r['n_ok']}{failed}")
        for objective, _ in objectives:
            p = at.get((objective, r["design_id"]))
            if p is None or p["mean"] is None:
                cells.append("–")
                continue
            text = f"{p['mean']:.4g}"
            if p["p10"] is not None and p["p90"] is not None and p["p90"] > p["p10"]:
                text += f" ({p['p10']:.3g}-{p['p90']:.3g})"
            cells.append(
                Cell(text + (" ★" if p["on_front"] else ""), "best" if p["on_front"] else "")
            )
        rows.append(cells)
    return html_table(
        headers,
        rows,
        text_columns=len(shown),
        caption="Each design: the joint layer's mean over replicates (p10-p90 across "
        "replicates and threats); ★ bold: on the Pareto front of that objective against the "
        "satellite count (no design with as few satellites does better).",
    )


def _gains_table(gains: pa.Table, axes: Sequence[str]) -> str:
    if gains.num_rows == 0:
        return ""
    rows_g = gains.to_pylist()
    metrics = list(
        dict.fromkeys((r["source"], r["metric"], r["target_altitude_km"]) for r in rows_g)
    )
    by = {(r["design_id"], r["source"], r["metric"], r["target_altitude_km"]): r for r in rows_g}
    designs = list(dict.fromkeys(r["design_id"] for r in rows_g))
    first = {r["design_id"]: r for r in rows_g}
    headers = list(dict.fromkeys(axes))
    for source, metric, alt in metrics:
        where = f" at {alt:g} km" if alt is not None else ""
        headers.append(f"{metric}{where}: gain ({source})")
    rows: list[list[CellLike]] = []
    for d in designs:
        cells: list[CellLike] = [axis_text(first[d][a]) for a in dict.fromkeys(axes)]
        for source, metric, alt in metrics:
            g = by.get((d, source, metric, alt))
            text = "–" if g is None or g["gain"] is None else f"{g['gain']:+.3g}"
            if g is not None and g["best_owner"]:
                text += f" (vs {g['best_owner']})"
            cells.append(text)
        rows.append(cells)
    return html_table(
        headers,
        rows,
        text_columns=len(headers) - len(metrics),
        caption="What flying together adds over the best owner alone, per design: joint "
        "minus best owner, signed so that positive is better (coverage: percentage points "
        "of time; raids: custody and threats tracked more, seconds earlier, metres smaller).",
    )


def _failures(status: Sequence[dict[str, Any]]) -> str:
    failed = [r for r in status if r["n_failed"]]
    if not failed:
        return ""
    return html_table(
        ["design", "failed cases", "first error"],
        [[str(r["design_id"]), fmt(r["n_failed"]), str(r["error"] or "")] for r in failed],
        text_columns=3,
        caption="Designs with failed cases (rerun with --retry-failed).",
    )


def sweep_summary_html(out_dir: Path) -> str:
    """The summary page of the sweep in ``out_dir`` (after
    :func:`tracklayer.sweep.summary.write_summary` wrote its tables and plots)."""
    from tracklayer.io.parquet import read_table
    from tracklayer.sweep.results import MANIFEST

    manifest_path = out_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.is_file() else {}
    sweep = manifest.get("sweep") or {}
    status_table = read_table(out_dir / "summary" / "status.parquet")
    axes = [n for n in status_table.column_names if n not in _STATUS_COLUMNS]
    status = status_table.to_pylist()
    points = read_table(out_dir / "summary" / "pareto.parquet")
    gains = read_table(out_dir / "summary" / "joint_gain.parquet")
    title = str(manifest.get("name") or out_dir.name)
    n_ok = sum(r["n_ok"] for r in status)
    n_failed = sum(r["n_failed"] for r in status)
    facts = [f"{len(status)} designs", f"{n_ok} cases finished"]
    if n_failed:
        facts.append(f"{n_failed} failed")
    if manifest.get("replicates"):
        facts.append(f"{manifest['replicates']} replicate(s) per design")
    axes_text = "; ".join(
        f"{label}: {', '.join(paths)}" for label, paths in manifest.get("axes", [])
    )
    sections = [
        ("designs", "Designs", _designs_table(status, points, axes)),
        ("gains", "Joint versus alone", _gains_table(gains, axes)),
        ("pareto", "Pareto fronts", _figures(out_dir, "pareto_*.png")),
        ("trends", "Trends", _figures(out_dir, "*_vs_*.png")),
        ("failures", "Failed cases", _failures(status)),
    ]
    description = str(sweep.get("description") or "").strip()
    lead = (f'<p class="lead">{esc(description)}</p>' if description else "") + (
        note(f"Axes: {axes_text}.") if axes_text else ""
    )
    return page(
        title=title,
        kicker="tracklayer sweep summary",
        lead=lead,
        facts=" · ".join(facts),
        sections=sections,
        footer=f"Built by tracklayer {esc(__version__)} from the sweep folder <code>"
        f"{esc(out_dir.name)}</code> (<code>results/</code>, <code>summary/*.parquet</code>, "
        "<code>plots/</code>).",
        version=__version__,
    )


def _figures(out_dir: Path, pattern: str) -> str:
    paths = sorted((out_dir / "plots").glob(pattern))
    return "\n".join(
        figure(p.read_bytes(), alt=p.stem, caption=p.stem.replace("_", " ")) for p in paths
    )


def write_summary_html(out_dir: Path) -> Path:
    """Write ``out_dir/summary.html`` (:func:`sweep_summary_html`) atomically; its path."""
    path = out_dir / SUMMARY_HTML
    tmp = path.with_name(f".{SUMMARY_HTML}.tmp")
    tmp.write_text(sweep_summary_html(out_dir), encoding="utf-8")
    tmp.replace(path)
    return path
