"""Summaries of a results dataset against hand-computed designs: spread, Pareto fronts, gains.

The dataset is written directly (no cluster): four designs of 10, 20, 20 and 30 satellites,
two replicates of two threats each, trackers USA, JPN and joint, and one failed case.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SMALL_SCENARIO
from tracklayer.scenario import parse_yaml, validate_scenario
from tracklayer.sweep.cases import Case
from tracklayer.sweep.evaluate import MetricRow
from tracklayer.sweep.results import case_table, write_case
from tracklayer.sweep.summary import (
    design_status,
    design_summary,
    joint_gain,
    pareto_fronts,
    pareto_mask,
    write_summary,
)

SCENARIO = validate_scenario(parse_yaml(SMALL_SCENARIO, source="small"))
AXES = [("x", True)]

#: design -> (satellites, joint custody per replicate and threat, joint first track, s)
DESIGNS = {
    "d1": (10, [0.4, 0.6, 0.5, 0.5], [90.0, 110.0, 100.0, 100.0]),
    "d2": (20, [0.7, 0.7, 0.6, 0.8], [120.0, 120.0, 110.0, 130.0]),
    "d3": (20, [0.6, 0.6, 0.6, 0.6], [80.0, 70.0, 90.0, 80.0]),
    "d4": (30, [0.7, 0.7], [60.0, 60.0]),  # its second replicate failed
}
#: National trackers of d1: (custody, first track) for every threat and replicate.
NATIONAL = {"USA": (0.3, 150.0), "JPN": (0.4, 130.0)}


def _rows(design: str, replicate: int) -> list[MetricRow]:
    sats, custody, first = DESIGNS[design]
    rows: list[MetricRow] = [("design", "joint", None, None, "n_satellites", float(sats))]
    for t, threat in enumerate(("T1", "T2")):
        i = 2 * replicate + t
        rows.append(("raid", "joint", None, threat, "custody_fraction", custody[i]))
        rows.append(("raid", "joint", None, threat, "first_track_s", first[i]))
        for owner, (c, f) in NATIONAL.items():
            rows.append(("raid", owner, None, threat, "custody_fraction", c))
            rows.append(("raid", owner, None, threat, "first_track_s", f))
    return rows


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    results = tmp_path / "results"
    for k, design in enumerate(DESIGNS):
        for replicate in (0, 1):
            case = Case(f"{design}-r{replicate}", design, replicate, replicate, {"x": k}, SCENARIO)
            failed = design == "d4" and replicate == 1
            table = case_table(
                case,
                AXES,
                n_satellites=None if failed else DESIGNS[design][0],
                rows=[] if failed else _rows(design, replicate),
                error="RuntimeError: boom" if failed else None,
                elapsed_s=0.1,
                worker="test",
            )
            write_case(table, results)
    return tmp_path


def test_mean_and_spread_per_design(dataset: Path) -> None:
    """Mean, sample std and linear-interpolation p10/p90 of the 4 joint custody values
    of d2 match numpy (np.std ddof=1, np.percentile), to 1e-12; the failed case of d4 is
    left out (2 values)."""
    rows = design_summary(dataset / "results").to_pylist()
    pick = {(r["design_id"], r["group"], r["metric"]): r for r in rows if r["source"] == "raid"}
    d2 = pick[("d2", "joint", "custody_fraction")]
    ref = np.array(DESIGNS["d2"][1])
    assert d2["n"] == 4 and d2["n_cases"] == 2 and d2["x"] == 1.0 and d2["n_satellites"] == 20
    assert d2["mean"] == pytest.approx(ref.mean(), abs=1e-12)
    assert d2["std"] == pytest.approx(ref.std(ddof=1), abs=1e-12)
    assert d2["p10"] == pytest.approx(np.percentile(ref, 10), abs=1e-12)
    assert d2["p90"] == pytest.approx(np.percentile(ref, 90), abs=1e-12)
    assert pick[("d4", "joint", "first_track_s")]["n"] == 2


def test_status_counts_failed_cases(dataset: Path) -> None:
    status = {r["design_id"]: r for r in design_status(dataset / "results").to_pylist()}
    assert (status["d4"]["n_ok"], status["d4"]["n_failed"]) == (1, 1)
    assert status["d4"]["error"] == "RuntimeError: boom"
    assert all(status[d]["n_failed"] == 0 for d in ("d1", "d2", "d3"))


def test_pareto_fronts_match_hand_computation(dataset: Path) -> None:
    """Custody (higher better): d1 (10 sats, 0.5) and d2 (20, 0.7) are on the front; d3
    (20, 0.6) is beaten by d2 at equal cost, d4 (30, 0.7) only ties d2 at a higher cost.
    First track (lower better): d1 (10, 100 s), d3 (20, 80 s), d4 (30, 60 s); d2 (20,
    120 s) is beaten by d1."""
    points = pareto_fronts(design_summary(dataset / "results")).to_pylist()
    front = {
        o: {p["design_id"] for p in points if p["objective"] == o and p["on_front"]}
        for o in ("custody_fraction", "first_track_s")
    }
    assert front == {"custody_fraction": {"d1", "d2"}, "first_track_s": {"d1", "d3", "d4"}}


def test_pareto_mask_ties_and_nans() -> None:
    """Equal points are both kept; a NaN is never on the front; minimising flips the sense."""
    cost = np.array([1.0, 1.0, 2.0, 3.0, 3.0, 4.0])
    value = np.array([5.0, 5.0, 5.0, 7.0, np.nan, 6.0])
    assert pareto_mask(cost, value, maximize=True).tolist() == [
        True,
        True,
        False,
        True,
        False,
        False,
    ]
    assert pareto_mask(cost, value, maximize=False).tolist() == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]


def test_joint_gain_against_best_owner(dataset: Path) -> None:
    """d1: joint custody 0.5 vs JPN's 0.4 (the best owner) is +0.1; joint first track 100 s
    vs JPN's 130 s is 30 s earlier (+30)."""
    gains = joint_gain(design_summary(dataset / "results")).to_pylist()
    d1 = {g["metric"]: g for g in gains if g["design_id"] == "d1"}
    assert d1["custody_fraction"]["best_owner"] == "JPN"
    assert d1["custody_fraction"]["gain"] == pytest.approx(0.1, abs=1e-12)
    assert d1["first_track_s"]["best_owner"] == "JPN"
    assert d1["first_track_s"]["gain"] == pytest.approx(30.0, abs=1e-12)


def test_write_summary_files(dataset: Path) -> None:
    """Four tables and, per objective, a Pareto plot and one plot per axis."""
    files = {p.as_posix() for p in write_summary(dataset)}
    assert {
        "summary/designs.parquet",
        "summary/status.parquet",
        "summary/pareto.parquet",
        "summary/joint_gain.parquet",
        "plots/pareto_custody_fraction.png",
        "plots/first_track_s_vs_x.png",
    } <= files
    assert all((dataset / f).stat().st_size > 0 for f in files)


def test_html_summary_prints_axes_as_given_and_no_column_twice(dataset: Path) -> None:
    """Reference: the dataset's axis x takes 0, 1, 2, 3 (written as 0.0... in Parquet) and
    its designs have 10, 20, 20 and 30 satellites; the page prints ``0`` not ``0.0``, each
    header once, both objectives, the Pareto and trend figures, and d4's failed case."""
    from html.parser import HTMLParser

    from tracklayer.sweep.html_summary import SUMMARY_HTML, axis_text

    assert "summary.html" in {p.as_posix() for p in write_summary(dataset)}
    page = (dataset / SUMMARY_HTML).read_text(encoding="utf-8")

    class Cells(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.headers: list[list[str]] = []
            self.cells: list[str] = []
            self.tag = ""
            self.images = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tag = tag
            if tag == "thead":
                self.headers.append([])
            self.images += tag == "img"

        def handle_data(self, data: str) -> None:
            if self.tag == "th" and self.headers and data.strip():
                self.headers[-1].append(data.strip())
            elif self.tag == "td" and data.strip():
                self.cells.append(data.strip())

    parsed = Cells()
    parsed.feed(page)
    designs = parsed.headers[0]
    assert designs[:3] == ["x", "satellites (all owners)", "cases"]
    assert len(designs) == len(set(designs))
    assert any("custody" in h for h in designs) and any("first track" in h for h in designs)
    assert "0" in parsed.cells and "0.0" not in parsed.cells and "3" in parsed.cells
    assert "1 + 1 failed" in parsed.cells and "RuntimeError: boom" in page
    assert parsed.images == 2 + 2  # a Pareto plot and a trend per objective
    assert "http://" not in page and "https://" not in page
    assert [axis_text(v) for v in (16.0, 0.5, 1200.0, "walker", None)] == [
        "16", "0.5", "1200", "walker", "–"
    ]  # fmt: skip


def test_objectives_of_a_sweep_with_raids_and_coverage() -> None:
    """Raids and coverage both ran: the raid objectives, then coverage's per k and altitude."""
    import pyarrow as pa

    from tracklayer.sweep.summary import objectives

    summary = pa.table(
        {"source": ["raid", "raid", "coverage", "coverage"],
         "group": ["joint"] * 4, "target_altitude_km": [None, None, 0.0, 50.0],
         "metric": ["first_track_s", "custody_fraction", "pct_time_k1", "pct_time_k1"]}
    )  # fmt: skip
    assert [o.name for o in objectives(summary)] == [
        "first_track_s", "custody_fraction", "pct_time_k1_0km", "pct_time_k1_50km"
    ]  # fmt: skip
