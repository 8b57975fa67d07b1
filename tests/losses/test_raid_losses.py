"""The raid re-run per loss draw: tracking metrics against satellites lost, and the plots.

The threats are a synthetic ballistic raid (:func:`tracklayer.tracking.synthetic.make_raid`,
free flight with J2) given as ``truth``, so these tests exercise sensing, tracking and
metrics but not the flyout. References: no loss must reproduce the plain run's metrics
exactly; a tracker with no track has GOSPA ``(c^p n / 2)^(1/p)`` with n threats flying
(García-Fernández, Rahmathullah and Svensson, "Generalized optimal sub-pattern
assignment metric", 2020, eq. 4 with alpha = 2, no estimate); summary statistics equal
NumPy's mean, sample standard deviation and linear percentiles.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tests.losses.helpers import scenario
from tracklayer import pipeline
from tracklayer.losses.resilience import (
    LOSSES_SCHEMA,
    PlainRun,
    loss_draws,
    losses_summary,
    losses_table,
    run_losses,
)
from tracklayer.raid import StageCache, run_raid
from tracklayer.report.losses import plot_losses
from tracklayer.scenario import Scenario
from tracklayer.stages.coverage import coverage
from tracklayer.stages.space import space_segment
from tracklayer.tracking.synthetic import make_raid

THREATS = {
    "vehicles": {
        "mrbm": {
            "kind": "ballistic", "payload_mass_kg": 600, "ballistic_coefficient_kg_m2": 8000,
            "body_diameter_m": 1.4, "nose_radius_m": 0.05, "visible_area_m2": 1.0,
            "stages": [{"propellant_mass_kg": 9000, "dry_mass_kg": 1000, "isp_s": 250,
                        "burn_time_s": 60}],
        }
    },
    "raids": [
        {"name": "bm", "vehicle": "mrbm", "count": 2,
         "launch": {"lat_deg": 40.0, "lon_deg": 127.0, "radius_km": 50},
         "aim": {"lat_deg": 38.0, "lon_deg": 140.0, "radius_km": 30}}
    ],
}  # fmt: skip
TRACKERS = ["JPN", "USA", "fused", "joint"]


@pytest.fixture(scope="module")
def truth() -> pa.Table:
    """Two ballistic threats over Korea and Japan with a bright MWIR signature (50 kW/sr)."""
    table = make_raid(2, 4, duration_s=150.0, step_s=3.0, seed=1, launch_window_s=20.0).truth
    return table.append_column("intensity_mwir_w_sr", pa.array(np.full(table.num_rows, 5e4)))


def _raid_scenario(losses: dict[str, object]) -> Scenario:
    return scenario(losses, threats=THREATS)


@pytest.fixture(scope="module")
def random_raid(truth: pa.Table) -> pa.Table:
    losses = {"counts": [0, 8, 48], "draws": 2, "max_raid_draws": 1}
    return run_losses(_raid_scenario(losses), truth=truth)


def _value(table: pa.Table, **where: object) -> list[float | None]:
    for name, value in where.items():
        table = table.filter(pc.equal(table[name], value))
    return table.sort_by("draw")["value"].to_pylist()


def _missed_gospa(truth: pa.Table, c: float, p: float) -> float:
    _, n_alive = np.unique(truth["time"].to_numpy(), return_counts=True)
    return float(np.mean((c**p * n_alive / 2.0) ** (1.0 / p)))


def test_no_loss_reproduces_the_plain_raid(random_raid: pa.Table, truth: pa.Table) -> None:
    """k = 0 rows are the plain run's metrics, aggregated over threats, exactly."""
    scn = _raid_scenario({"counts": [0]})
    raid = run_raid(scn, truth=truth, detections=pipeline.detections(scn, truth))
    plain, per_tracker = raid.metrics, raid.tracker_metrics
    assert random_raid.schema == LOSSES_SCHEMA
    for tracker in TRACKERS:
        rows = plain.filter(pc.equal(plain["tracker"], tracker))
        first = np.array(rows["first_track_s"].to_pylist(), dtype=float)
        custody = np.array(rows["custody_fraction"].to_pylist(), dtype=float)
        mine = per_tracker.filter(pc.equal(per_tracker["tracker"], tracker))
        gospa = mine["mean_gospa_m"].to_pylist()[0]
        got = {
            m: _value(random_raid, source="raid", k=0, group=tracker, metric=m)
            for m in ("first_track_s", "custody_fraction", "tracked_fraction", "mean_gospa_m")
        }
        assert got["first_track_s"] == [float(np.nanmean(first))]
        assert got["custody_fraction"] == [float(np.mean(custody))]
        assert got["tracked_fraction"] == [float(np.isfinite(first).mean())]
        assert got["mean_gospa_m"] == [gospa]


def test_raid_draws_are_capped_and_losing_everything_tracks_nothing(
    random_raid: pa.Table, truth: pa.Table
) -> None:
    """``max_raid_draws`` raid re-runs per k (coverage keeps every draw); with every
    satellite lost no tracker holds a threat and GOSPA is that of no estimate at all."""
    raid = random_raid.filter(pc.equal(random_raid["source"], "raid"))
    coverage = random_raid.filter(pc.equal(random_raid["source"], "coverage"))
    assert sorted(set(raid["group"].to_pylist())) == TRACKERS
    assert sorted(set(_draws(raid, 8))) == [0] and sorted(set(_draws(coverage, 8))) == [0, 1]
    missed = _missed_gospa(truth, 10_000.0, 2.0)
    for tracker in TRACKERS:
        assert _value(raid, k=48, group=tracker, metric="tracked_fraction") == [0.0]
        assert _value(raid, k=48, group=tracker, metric="custody_fraction") == [0.0]
        assert _value(raid, k=48, group=tracker, metric="first_track_s") == [None]
        (gospa,) = _value(raid, k=48, group=tracker, metric="mean_gospa_m")
        assert gospa == pytest.approx(missed, rel=1e-12)
    assert _value(raid, k=0, group="joint", metric="tracked_fraction") == [1.0]


def _draws(table: pa.Table, k: int) -> list[int]:
    return table.filter(pc.equal(table["k"], k))["draw"].to_pylist()


def test_losing_one_owner_leaves_the_other_tracking(truth: pa.Table) -> None:
    """Every US satellite lost: the US tracker holds nothing, Japan's and the joint still
    track every threat (the GOSPA cut-off c of the scenario's tracking section)."""
    scn = _raid_scenario({"counts": [24], "pool": {"owner": "USA"}})
    table = run_losses(scn, truth=truth)
    raid = table.filter(pc.equal(table["source"], "raid"))
    assert _value(raid, group="USA", metric="tracked_fraction") == [0.0]
    assert raid.filter(pc.equal(raid["group"], "USA"))["n_lost_group"].to_pylist()[0] == 24
    assert raid.filter(pc.equal(raid["group"], "JPN"))["n_lost_group"].to_pylist()[0] == 0
    assert _value(raid, group="JPN", metric="tracked_fraction") == [1.0]
    assert _value(raid, group="joint", metric="tracked_fraction") == [1.0]
    c = scn.tracking.scoring.gospa_c_m
    (usa,) = _value(raid, group="USA", metric="mean_gospa_m")
    assert usa == pytest.approx(_missed_gospa(truth, c, scn.tracking.scoring.gospa_p), rel=1e-12)


def test_cached_rerun_is_identical(truth: pa.Table, tmp_path: Path) -> None:
    """A second run reads every draw from the stage cache and gives the same table."""
    scn = _raid_scenario({"counts": [0, 8], "draws": 2, "max_raid_draws": 1})
    cache = StageCache(tmp_path)
    first = run_losses(scn, truth=truth, cache=cache)
    cache.hits.clear()
    again = run_losses(scn, truth=truth, cache=cache)
    assert again.equals(first)
    assert cache.hits.count("losses-coverage") == 3 and cache.hits.count("losses-raid") == 1
    assert "metrics" in cache.hits  # k = 0 is the plain run's cached stages


def test_summary_statistics_match_numpy() -> None:
    """Mean, sample std, linear p10/p50/p90, extremes; nulls are left out of the values."""
    values = [3.0, 1.0, 4.0, 1.5, None, 9.0]
    table = pa.Table.from_pylist(
        [
            {"source": "raid", "k": 2, "draw": i, "n_lost": 2, "group": "joint",
             "n_lost_group": 2, "altitude_m": None, "metric": "first_track_s", "value": v}
            for i, v in enumerate(values)
        ],
        schema=LOSSES_SCHEMA,
    )  # fmt: skip
    (row,) = losses_summary(table).to_pylist()
    ref = np.array([v for v in values if v is not None])
    assert row["draws"] == 6 and row["n"] == 5
    assert row["mean"] == pytest.approx(ref.mean(), rel=1e-15)
    assert row["std"] == pytest.approx(ref.std(ddof=1), rel=1e-15)
    for q in (10, 50, 90):
        assert row[f"p{q}"] == pytest.approx(np.percentile(ref, q), rel=1e-15)
    assert (row["min"], row["max"]) == (1.0, 9.0)


def test_plots_are_written_and_not_blank(random_raid: pa.Table, tmp_path: Path) -> None:
    paths = plot_losses(random_raid, tmp_path, subtitle="random, at 0 s")
    assert sorted(p.name for p in paths) == ["losses_coverage_0km.png", "losses_raid.png"]
    for path in paths:
        image = matplotlib.image.imread(path)
        assert image.shape[0] > 300 and image[..., :3].std() > 0.05


def test_plain_tables_given_give_the_same_table(truth: pa.Table, random_raid: pa.Table) -> None:
    """The run hands over its own coverage summary and raid metrics for the draws that
    lose nothing (computed beside the raid): the table is bit for bit the one computed
    without them."""
    scn = _raid_scenario({"counts": [0, 8, 48], "draws": 2, "max_raid_draws": 1})
    catalog = space_segment(scn)
    plain_coverage = coverage(scn, catalog).summary_table()
    raid = run_raid(scn, truth=truth, catalog=catalog)
    plain = PlainRun(plain_coverage, raid.metrics, raid.tracker_metrics)
    draws = loss_draws(scn, catalog, truth=truth, plain_coverage=plain_coverage)
    assert [m is None for d, m in draws.raid] == [d.k == 0 for d, _ in draws.raid]
    table = losses_table(scn, catalog, draws, plain=plain)
    assert table.equals(random_raid)
    given = run_losses(scn, truth=truth, plain=plain)
    assert given.equals(random_raid)
