"""Regenerate the demo's headline figures in README.md from a demo run folder.

Usage: python scripts/headline.py [RUN_DIR]   (default out/demo, as `make demo` writes it)

The figures sit between the markers ``<!-- headline:start -->`` and
``<!-- headline:end -->``; ``tests/test_demo.py`` checks that they equal what a fresh demo
run gives, so they never drift from the code.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import duckdb

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
    metrics = run_dir / "metrics.parquet"
    if metrics.is_file():
        rows = duckdb.sql(
            f"""select tracker, count(*), avg(first_track_s), 100 * avg(custody_fraction),
                       avg(rmse_pos_m) / 1000, avg(mean_gospa_m) / 1000
                from '{metrics}' group by tracker
                order by tracker = 'fused', tracker = 'joint', tracker"""
        ).fetchall()
        lines += [
            "| tracker | threats | first track after launch | custody | position RMSE "
            "| mean GOSPA |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {t} | {n} | {ft:.1f} s | {c:.1f} % | {e:.2f} km | {g:.1f} km |"
            if ft is not None
            else f"| {t} | {n} | never | {c:.1f} % | - | {g:.1f} km |"
            for t, n, ft, c, e, g in rows
        ]
    truth = run_dir / "truth.parquet"
    if metrics.is_file() and truth.is_file():
        rows = duckdb.sql(
            f"""select m.tracker, k.kind, 100 * avg(m.custody_fraction)
                from '{metrics}' m
                join (select distinct object_id::varchar as object_id, kind::varchar as kind
                      from '{truth}') k using (object_id)
                group by m.tracker, k.kind
                order by m.tracker = 'fused', m.tracker = 'joint', m.tracker, k.kind"""
        ).fetchall()
        kinds = sorted({kind for _, kind, _ in rows})
        custody = {(t, kind): c for t, kind, c in rows}
        trackers = list(dict.fromkeys(t for t, _, _ in rows))
        lines += [
            "",
            "| custody by threat kind | " + " | ".join(kinds) + " |",
            "|---|" + "---:|" * len(kinds),
        ]
        lines += [
            f"| {t} | " + " | ".join(f"{custody.get((t, k), 0.0):.1f} %" for k in kinds) + " |"
            for t in trackers
        ]
    return "\n".join(lines).strip() + "\n"


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
