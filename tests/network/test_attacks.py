"""Attacks on the network: draws, and warning time against what is lost."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

from tracklayer.errors import ScenarioError
from tracklayer.metrics.tracking import tracking_metrics
from tracklayer.network.attacks import (
    AttackBaseline,
    attack_pool,
    attack_summary,
    draw_outages,
    run_attacks,
)
from tracklayer.network.config import NetworkAttacks
from tracklayer.network.stage import run_network
from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.synthetic import Raid, make_raid

from .conftest import network_config, space_states
from .test_stage import CONFIG


@pytest.fixture(scope="module")
def raid() -> Raid:
    return make_raid(2, 16, duration_s=60.0, false_alarms_per_frame=0.2, seed=5)


def _run(raid: Raid, attacks: dict[str, object]):  # type: ignore[no-untyped-def]
    config = network_config(**CONFIG, attacks=attacks)
    space = space_states(raid.sat_pos, raid.times_s, ["USA", "JPN"])
    rows = run_attacks(config, TrackingConfig(), space, raid.detections, raid.truth, raid.epoch)
    return rows, attack_summary(rows)


def test_draws_are_seeded_and_sized() -> None:
    attacks = NetworkAttacks(pool="stations", counts=[0, 1, 2], draws=2)
    outages = draw_outages(attacks, ["A", "B", "C"], seed=1)
    assert [(k, d) for k, d, _ in outages] == [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1)]
    assert [len(o.stations) for _, _, o in outages] == [0, 1, 1, 2, 2]
    assert outages == draw_outages(attacks, ["A", "B", "C"], seed=1)
    with pytest.raises(ScenarioError, match=r"network\.attacks\.counts: 4 is more than the 3"):
        draw_outages(NetworkAttacks(counts=[4]), ["A", "B", "C"], seed=0)


def test_losing_every_station_loses_every_warning(raid: Raid) -> None:
    _rows, summary = _run(raid, {"pool": "stations", "counts": [0, 2], "draws": 1})
    none_lost = summary.filter(pc.equal(summary["k"], 0))
    all_lost = summary.filter(pc.equal(summary["k"], 2))
    assert max(none_lost["warned_fraction"].to_pylist()) > 0.0
    assert set(all_lost["tracker"].to_pylist()) == {"USA", "JPN", "joint"}
    assert all_lost["warned_fraction"].to_pylist() == [0.0, 0.0, 0.0]


def test_cutting_off_the_c2_node_removes_its_tracker(raid: Raid) -> None:
    config = network_config(**CONFIG, attacks={"pool": "nodes", "owner": "joint", "counts": [1]})
    space = space_states(raid.sat_pos, raid.times_s, ["USA", "JPN"])
    assert config.attacks is not None
    assert attack_pool(config.attacks, config, space) == ["joint"]
    rows, _ = _run(raid, {"pool": "nodes", "owner": "joint", "counts": [1], "draws": 1})
    assert "joint" not in set(rows["tracker"].to_pylist())
    assert set(rows["lost"].to_pylist()) == {"joint"}


def test_the_raid_run_stands_for_the_draw_that_loses_nothing(raid: Raid) -> None:
    """Reusing the raid's own network run (nothing lost) for k = 0 gives the rows a rerun
    gives, whatever the fusion interval of the raid's fused picture (warning is read from
    the node trackers alone)."""
    config = network_config(**CONFIG, attacks={"pool": "stations", "counts": [0, 1], "draws": 1})
    space = space_states(raid.sat_pos, raid.times_s, ["USA", "JPN"])
    rerun = run_attacks(config, TrackingConfig(), space, raid.detections, raid.truth, raid.epoch)
    own = run_network(config, TrackingConfig(), space, raid.detections, raid.epoch,
                      fusion_interval_s=2.0)  # fmt: skip
    metrics, _ = tracking_metrics(raid.truth, own.tracks, raid.detections, TrackingConfig())
    reused = run_attacks(
        config, TrackingConfig(), space, raid.detections, raid.truth, raid.epoch,
        baseline=AttackBaseline(metrics, own.node_tracks, own.latency),
    )  # fmt: skip
    assert reused.num_rows == rerun.num_rows > 0
    for name in reused.column_names:  # NaN latency (a node that received nothing) in both
        a, b = reused[name].to_pylist(), rerun[name].to_pylist()
        assert all(x == y or (x != x and y != y) for x, y in zip(a, b, strict=True)), name
