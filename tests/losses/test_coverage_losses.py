"""Loss draws, the outage of an ephemeris, and coverage against satellites lost.

References: coverage with satellites lost at the epoch must equal coverage computed without
those satellites at all (a second path through the same kernel), and losing satellites at
``at_s`` must leave the samples before ``at_s`` untouched; percent time is exact arithmetic
on the samples' intervals, so these compare to 1e-9 percentage points.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tests.conftest import EXAMPLES
from tests.losses.helpers import BASE, scenario
from tracklayer import pipeline
from tracklayer.errors import ScenarioError
from tracklayer.losses.apply import apply_losses, draw_losses
from tracklayer.losses.config import LossesConfig
from tracklayer.losses.resilience import losses_summary, run_losses
from tracklayer.scenario import load_scenario
from tracklayer.space import propagate

TOL_PCT = 1e-9  # percentage points: both sides sum the same intervals


def _rows(table: pa.Table, **where: Any) -> pa.Table:
    for name, value in where.items():
        table = table.filter(pc.equal(table[name], value))
    return table


def _values(table: pa.Table, **where: Any) -> np.ndarray:
    return np.asarray(_rows(table, **where)["value"].to_numpy(), dtype=np.float64)


def test_draws_are_seeded_reproducible_and_extendable() -> None:
    """Same seed, same masks; another seed, other masks; more draws keep the first ones."""
    scn = scenario({"counts": [0, 5, 10], "draws": 4, "raid": False})
    catalog = pipeline.space_segment(scn)
    assert scn.losses is not None
    a = draw_losses(catalog, scn.losses, seed=3)
    b = draw_losses(catalog, scn.losses, seed=3)
    c = draw_losses(catalog, scn.losses, seed=4)
    more = draw_losses(catalog, scn.losses.model_copy(update={"draws": 6}), seed=3)
    assert [(d.k, d.draw) for d in a] == [(0, 0)] + [(k, i) for k in (5, 10) for i in range(4)]
    assert all(np.array_equal(x.lost, y.lost) for x, y in zip(a, b, strict=True))
    assert any(not np.array_equal(x.lost, y.lost) for x, y in zip(a, c, strict=True))
    first = {(d.k, d.draw): d.lost for d in more}
    assert all(np.array_equal(first[(d.k, d.draw)], d.lost) for d in a)
    for d in a:
        assert d.lost.sum() == d.k
    # Nested: draw i's losses at k=5 are among its losses at k=10.
    by = {(d.k, d.draw): d.lost for d in a}
    assert all(np.all(by[(10, i)][by[(5, i)]]) for i in range(4))


def test_apply_losses_blanks_only_lost_satellites_from_at_s() -> None:
    """States before ``at_s`` and of surviving satellites are bit-identical; lost ones NaN."""
    scn = scenario()
    catalog = pipeline.space_segment(scn)
    eph = propagate(catalog, scn.epoch, np.arange(0.0, 600.0, 60.0))
    lost = np.zeros(len(catalog), dtype=bool)
    lost[[0, 7, 30]] = True
    out = apply_losses(eph, lost, at_s=240.0)
    after = eph.seconds >= 240.0
    np.testing.assert_array_equal(out.r_ecef[:, ~after], eph.r_ecef[:, ~after])
    np.testing.assert_array_equal(out.r_ecef[~lost], eph.r_ecef[~lost])
    assert np.isnan(out.r_ecef[lost][:, after]).all()
    assert np.isnan(out.v_ecef[lost][:, after]).all()
    assert not out.valid[lost][:, after].any()
    assert out.valid[lost][:, ~after].all()
    assert apply_losses(eph, np.zeros(len(catalog), dtype=bool), 0.0) is eph
    with pytest.raises(ValueError, match="boolean mask"):
        apply_losses(eph, np.zeros(3, dtype=bool), 0.0)


@pytest.fixture(scope="module")
def random_losses() -> pa.Table:
    return run_losses(scenario({"counts": [0, 8, 24, 48], "draws": 5}))


def test_no_loss_is_the_plain_run_and_losing_everything_is_zero(random_losses: pa.Table) -> None:
    """k = 0 gives the plain coverage summary exactly; k = all satellites gives 0 %."""
    plain = pipeline.coverage(scenario()).summary_table()
    assert set(random_losses["source"].to_pylist()) == {"coverage"}  # no threats section
    for row in plain.to_pylist():
        for metric in ("pct_time_k1", "pct_time_k2", "mean_in_view", "max_gap_s"):
            got = _values(random_losses, k=0, group=row["group"], metric=metric)
            assert got.tolist() == [row[metric]]
    for group in ("USA", "JPN", "joint"):
        for metric in ("pct_time_k1", "pct_time_k2", "mean_in_view"):
            assert _values(random_losses, k=48, group=group, metric=metric).tolist() == [0.0]
        assert _values(random_losses, k=48, group=group, metric="max_gap_s").tolist() == [3600.0]


def test_coverage_falls_with_k_in_every_draw(random_losses: pa.Table) -> None:
    """Draws are nested, so each draw's joint coverage is non-increasing in k, and so is the
    mean over draws; losing 24 of 48 satellites costs coverage on average."""
    joint = _rows(random_losses, group="joint", metric="pct_time_k1")
    means = losses_summary(joint)["mean"].to_numpy()
    assert np.all(np.diff(means) <= TOL_PCT)
    assert means[2] < means[0] - 1.0
    for draw in range(5):
        per_draw = _rows(joint, draw=draw)
        k0 = _values(joint, k=0)
        values = np.concatenate([k0, per_draw.filter(pc.greater(per_draw["k"], 0))["value"]])
        assert np.all(np.diff(values) <= TOL_PCT)
    lost = _rows(random_losses, k=8, group="USA", metric="pct_time_k1")
    n_usa = lost["n_lost_group"].to_numpy()
    assert np.all((n_usa >= 0) & (n_usa <= 8)) and np.all(lost["n_lost"].to_numpy() == 8)


def test_owner_losses_hit_only_that_owner() -> None:
    """Losing USA satellites leaves every JPN figure exactly as in the plain run."""
    table = run_losses(scenario({"counts": [0, 6, 24], "draws": 3, "pool": {"owner": "USA"}}))
    for metric in ("pct_time_k1", "pct_time_k2", "mean_in_view", "max_gap_s"):
        jpn = _values(table, group="JPN", metric=metric)
        assert np.all(jpn == jpn[0])
    usa = losses_summary(_rows(table, group="USA", metric="pct_time_k1"))["mean"].to_numpy()
    assert usa[0] > usa[1] > usa[2] == 0.0
    assert np.all(_rows(table, group="JPN")["n_lost_group"].to_numpy() == 0)


def test_named_losses_equal_a_constellation_without_them() -> None:
    """Named satellites lost at the epoch = the coverage of the catalogue without them."""
    ids = ["USA-TRK-P01-S02", "JPN-QZT-P03-S05", "JPN-QZT-P04-S01"]
    scn = scenario({"counts": [3], "pool": {"named": ids}, "draws": 7})
    table = run_losses(scn)
    assert set(table["draw"].to_pylist()) == {0}  # k = whole pool: one draw
    catalog = pipeline.space_segment(scn)
    kept = catalog.select(~np.isin(catalog.sat_id, ids))
    reference = pipeline.coverage(scn, kept).summary_table()
    for row in reference.to_pylist():
        for metric in ("pct_time_k1", "pct_time_k2", "mean_in_view", "mean_gap_s"):
            got = _values(table, group=row["group"], metric=metric)
            np.testing.assert_allclose(got, [row[metric]], rtol=0.0, atol=TOL_PCT)


def test_plane_losses_remove_whole_planes() -> None:
    """Each plane draw loses whole planes (6 satellites of TRK each) and nothing else."""
    scn = scenario({"counts": [1, 2], "draws": 4, "pool": {"plane": "TRK"}, "raid": False})
    catalog = pipeline.space_segment(scn)
    assert scn.losses is not None
    plane = np.array([str(s)[:11] for s in catalog.sat_id])  # e.g. USA-TRK-P02
    for draw in draw_losses(catalog, scn.losses, scn.seed):
        lost_planes = set(plane[draw.lost].tolist())
        assert len(lost_planes) == draw.k
        assert all(p.startswith("USA-TRK-P") for p in lost_planes)
        assert draw.lost.sum() == 6 * draw.k
        assert np.all(draw.lost == np.isin(plane, list(lost_planes)))
    every = scenario({"counts": [8], "pool": "plane", "raid": False})
    assert every.losses is not None
    (all_planes,) = draw_losses(catalog, every.losses, every.seed)
    assert all_planes.lost.all()


def test_at_s_leaves_coverage_before_the_loss_unchanged() -> None:
    """Every satellite lost at mid-span: percent time = the first half's plain coverage
    weighted by its share of the span (the second half counts zero)."""
    table = run_losses(scenario({"counts": [48], "at_s": 1800.0}))
    half = dict(BASE["coverage"], duration_s=1800)
    first_half = pipeline.coverage(scenario(coverage=half)).summary_table()
    for row in first_half.to_pylist():
        for k in (1, 2):
            got = _values(table, group=row["group"], metric=f"pct_time_k{k}")
            expected = row[f"pct_time_k{k}"] * 1800.0 / 3600.0
            np.testing.assert_allclose(got, [expected], rtol=0.0, atol=TOL_PCT)
    # A loss after the coverage span changes nothing at all.
    late = run_losses(scenario({"counts": [48], "at_s": 3600.0}))
    plain = pipeline.coverage(scenario()).summary_table()
    for row in plain.to_pylist():
        assert _values(late, group=row["group"], metric="pct_time_k1").tolist() == [
            row["pct_time_k1"]
        ]


@pytest.mark.parametrize(
    ("losses", "message"),
    [
        ({"counts": [0, -2]}, "losses.counts[1]: must be >= 0"),
        ({"counts": [1, 1]}, "counts must not repeat"),
        ({"counts": [1], "draws": 0}, "losses.draws: must be >= 1"),
        ({"counts": [1], "at_s": -5}, "losses.at_s: must be >= 0"),
        ({"counts": [1], "coverage": False, "raid": False}, "nothing to evaluate"),
        ({"counts": [1], "pool": "owners"}, "expected random, plane"),
        ({"counts": [1], "pool": {"owner": "usa"}}, "losses.pool.owner: must match"),
        ({"counts": [1], "pool": {"owner": "USA", "plane": "TRK"}}, "not owner and plane"),
        ({"counts": [1], "pool": {"kind": "owner"}}, "needs the field `owner`"),
        ({"counts": [4], "pool": {"named": ["A", "B"]}}, "exceed the 2 named"),
        ({"counts": [1], "pool": {"named": ["A", "A"]}}, "must not repeat: A"),
        ({"counts": [1], "typo": 1}, "losses.typo: unknown field"),
    ],
)
def test_bad_sections_name_the_field(losses: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        scenario(losses)


@pytest.mark.parametrize(
    ("losses", "message"),
    [
        ({"counts": [49]}, r"losses.counts\[0\] = 49: more than the 48 satellites"),
        ({"counts": [1], "pool": {"owner": "FRA"}}, "no satellite is owned by 'FRA'"),
        ({"counts": [1], "pool": {"plane": "XYZ"}}, "no constellation named 'XYZ'"),
        ({"counts": [5], "pool": {"plane": "TRK"}}, "more than the 4 planes"),
        ({"counts": [1], "pool": {"named": ["USA-TRK-P09-S01"]}}, "no satellite with id"),
        ({"counts": [1], "raid": True}, "losses.raid: true needs a `threats` section"),
    ],
)
def test_pool_that_does_not_fit_the_space_segment(losses: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        run_losses(scenario(losses))


def test_config_round_trips_through_the_scenario_copy() -> None:
    """The long form written by ``write_scenario_copy`` validates back to the same model."""
    config = LossesConfig.model_validate({"counts": [4, 0], "pool": {"owner": "JPN"}})
    assert config.counts == [0, 4] and config.pool.kind == "owner"
    again = LossesConfig.model_validate(config.model_dump(mode="json"))
    assert again == config
    assert config.pool.describe() == "owner JPN" and config.pool.unit == "satellites"


def test_allied_example_losses_fit_its_space_segment() -> None:
    """The documented ``losses`` block of examples/allied.yaml draws from its 164 satellites:
    one draw at k = 0 and 4 draws at each of 8, 16 and 32."""
    scn = load_scenario(EXAMPLES / "allied.yaml")
    assert scn.losses is not None and not scn.losses.raid
    draws = draw_losses(pipeline.space_segment(scn), scn.losses, scn.seed)
    assert [d.k for d in draws] == [0] + [8] * 4 + [16] * 4 + [32] * 4
    assert [int(d.lost.sum()) for d in draws] == [d.k for d in draws]
