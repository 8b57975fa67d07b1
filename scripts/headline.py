"""Regenerate the demo's headline figures in README.md from a demo run folder.

Usage: python scripts/headline.py [RUN_DIR]   (default out/demo, as `make demo` writes it)

The figures sit between the markers ``<!-- headline:start -->`` and
``<!-- headline:end -->``; ``tests/test_demo.py`` checks that they equal what a fresh demo
run gives, so they never drift from the code.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tracklayer.vocabulary import TrackerSummary, tracker_order, tracker_summary

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- headline:start -->", "<!-- headline:end -->"


def headline_markdown(run_dir: Path) -> str:
    """The headline block: coverage joint gain, and tracking per owner versus joint."""
    lines = []
    summary = run_dir / "coverage_summary.parquet"
    if summary.is_file():
        rows = duckdb.sql(
            f"""select "group", altitude_m / 1000, pct_time_k1, pct_time_k2
                from '{summary}' order by altitude_m, "group" = 'joint', "group" """
        ).fetchall()
        lines += [
            "| coverage of the region | targets at | seen by ≥ 1 | seen by ≥ 2 (stereo) |",
            "|---|---:|---:|---:|",
        ]
        lines += [f"| {g} | {a:g} km | {k1:.1f} % | {k2:.1f} % |" for g, a, k1, k2 in rows]
        lines.append("")
    metrics_path, truth_path = run_dir / "metrics.parquet", run_dir / "truth.parquet"
    trackers_path = run_dir / "tracker_metrics.parquet"
    if metrics_path.is_file():
        metrics = pq.read_table(metrics_path)
        trackers = pq.read_table(trackers_path) if trackers_path.is_file() else None
        lines += _tracking_lines(tracker_summary(metrics, trackers))
        if truth_path.is_file():
            lines += _custody_by_kind_lines(metrics, pq.read_table(truth_path))
    return "\n".join(lines).strip() + "\n"


def _tracking_lines(summary: dict[str, TrackerSummary]) -> list[str]:
    """Per tracker: threats, first track, custody, position RMSE, mean GOSPA."""
    lines = [
        "| tracker | threats | first track after launch | custody | position RMSE | mean GOSPA |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for tracker, s in summary.items():
        custody = 100.0 * (s["custody_fraction"] or 0.0)
        gospa = (s["mean_gospa_m"] or math.nan) / 1000.0
        head = f"| {tracker} | {s['threats']:.0f} |"
        if s["first_track_s"] is None:
            lines.append(f"{head} never | {custody:.1f} % | - | {gospa:.1f} km |")
        else:
            rmse = (s["rmse_pos_m"] or math.nan) / 1000.0
            lines.append(
                f"{head} {s['first_track_s']:.1f} s | {custody:.1f} % | {rmse:.2f} km "
                f"| {gospa:.1f} km |"
            )
    return lines


def _custody_by_kind_lines(metrics: pa.Table, truth: pa.Table) -> list[str]:
    """Per tracker, mean custody over the threats of each kind (ballistic, hgv)."""
    kind_of = dict(zip(truth["object_id"].to_pylist(), truth["kind"].to_pylist(), strict=True))
    kinds = sorted({str(k) for k in kind_of.values()})
    threat_kind = pa.array([str(kind_of.get(o)) for o in metrics["object_id"].to_pylist()])
    per_kind = {
        kind: tracker_summary(metrics.filter(pc.equal(threat_kind, kind))) for kind in kinds
    }
    lines = [
        "",
        "| custody by threat kind | " + " | ".join(kinds) + " |",
        "|---|" + "---:|" * len(kinds),
    ]
    for tracker in tracker_order(metrics["tracker"].to_pylist()):
        cells = [
            100.0 * (per_kind[k].get(tracker, {}).get("custody_fraction") or 0.0) for k in kinds
        ]
        lines.append(f"| {tracker} | " + " | ".join(f"{c:.1f} %" for c in cells) + " |")
    return lines


def replace_block(readme: str, block: str) -> str:
    """README text with the headline block replaced."""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(readme):
        raise SystemExit(f"README.md has no {START} ... {END} block")
    return pattern.sub(lambda _m: f"{START}\n{block}{END}", readme)


def main() -> None:
    run_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "out" / "demo"
    readme = ROOT / "README.md"
    readme.write_text(replace_block(readme.read_text(), headline_markdown(run_dir)))
    print(f"README.md headline updated from {run_dir}")


if __name__ == "__main__":
    main()
