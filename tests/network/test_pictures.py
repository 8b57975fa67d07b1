"""National pictures: a nation fusing its partners' tracks as they arrive over the network.

Laws checked on a synthetic raid (3 threats, 16 satellites of two owners):

* with its partners' tracks a nation warns no later than alone (tolerance 1 ns), and
  earlier where its own sensors are blind while a partner's see;
* latency only delays: a longer arrangement delay never makes a warning earlier, and a
  partner's state enters the picture at the first own frame reported after its arrival.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tracklayer.metrics.tracking import tracking_metrics
from tracklayer.network.delivery import Deliveries, seconds_since
from tracklayer.network.nodes import node_tracks
from tracklayer.network.pictures import (
    NATIONAL_WARNING_SCHEMA,
    _OwnFrameClock,
    national_picture,
    national_pictures,
    national_warning,
    tracks_at_node,
)
from tracklayer.network.warning import warning_table
from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.synthetic import Raid, make_raid

from .conftest import network_config

ONE_NS = 1e-9
#: USA's sensors see nothing before this time (s): its partner's tracks then warn first.
USA_BLIND_UNTIL_S = 45.0
#: Latency of each owner's detections to its own node, s.
OWN_LATENCY_S = {"USA": 0.3, "JPN": 0.7}


def _config(jpn_to_usa_delay_s: float = 1.5, **extra: Any) -> Any:
    return network_config(
        nodes=[{"owner": "USA", "name": "US-NODE"}, {"owner": "JPN", "name": "JP-NODE"},
               {"owner": "joint", "name": "C2"}],
        sharing=[{"from": "JPN", "to": "USA", "what": "tracks", "delay_s": jpn_to_usa_delay_s},
                 {"from": "USA", "to": "joint", "what": ["detections", "tracks"]},
                 {"from": "JPN", "to": "joint", "what": ["detections", "tracks"]}],
        **extra,
    )  # fmt: skip


@pytest.fixture(scope="module")
def raid() -> Raid:
    full = make_raid(3, 16, duration_s=90.0, false_alarms_per_frame=0.3, seed=5)
    t = seconds_since(full.detections["time"], full.epoch)
    blind = pc.and_(pc.equal(full.detections["owner"], "USA"), pa.array(t < USA_BLIND_UNTIL_S))
    return Raid(**{**full.__dict__, "detections": full.detections.filter(pc.invert(blind))})


@pytest.fixture(scope="module")
def at_nodes(raid: Raid) -> pa.Table:
    """Each owner's detections reach its node after :data:`OWN_LATENCY_S`."""
    det = raid.detections
    t = seconds_since(det["time"], raid.epoch)
    owner = np.asarray(det["owner"].to_pylist())
    node = np.where(owner == "USA", "US-NODE", "JP-NODE")
    latency = np.where(owner == "USA", OWN_LATENCY_S["USA"], OWN_LATENCY_S["JPN"])
    arrivals = Deliveries(np.arange(t.size), node, t + latency, np.ones(t.size, np.int64))
    return node_tracks(det, arrivals, _config(), TrackingConfig(), raid.epoch)


def _warnings(raid: Raid, at_nodes: pa.Table, delay_s: float) -> pa.Table:
    config = _config(delay_s)
    metrics, _ = tracking_metrics(raid.truth, at_nodes.select(
        [c for c in at_nodes.column_names if c not in ("node", "report_time")]), None,
        TrackingConfig())  # fmt: skip
    alone = warning_table(metrics, raid.truth, at_nodes, raid.epoch)
    pictures = national_pictures(at_nodes, config, raid.epoch, 1.0)
    return national_warning(pictures, alone, raid.truth, config, TrackingConfig(), raid.epoch)


def test_a_nation_with_its_partners_tracks_is_never_worse_than_alone(
    raid: Raid, at_nodes: pa.Table
) -> None:
    table = _warnings(raid, at_nodes, 1.5)
    assert table.schema.equals(NATIONAL_WARNING_SCHEMA)
    usa = [r for r in table.to_pylist() if r["nation"] == "USA"]
    assert {r["partners"] for r in usa} == {"JPN"}
    for r in usa:
        if r["warning_alone_s"] is not None:
            assert r["warning_s"] is not None
            assert r["warning_s"] <= r["warning_alone_s"] + ONE_NS
    gains = [r["gain_s"] for r in usa if r["gain_s"] is not None]
    # USA is blind for 45 s; threats launched before then are warned by JPN's tracks.
    assert max(gains) > 10.0
    # Japan receives no partner's tracks: its picture is its own tracker.
    jpn = [r for r in table.to_pylist() if r["nation"] == "JPN"]
    assert all(r["partners"] == "" and r["gain_s"] == 0.0 for r in jpn if r["gain_s"] is not None)


def test_latency_only_delays_the_partners_contribution(raid: Raid, at_nodes: pa.Table) -> None:
    by_delay = {d: _warnings(raid, at_nodes, d) for d in (0.0, 1.5, 8.0)}
    keyed = {
        d: {(r["nation"], r["object_id"]): r["warning_s"] for r in t.to_pylist()}
        for d, t in by_delay.items()
    }
    for key, quick in keyed[0.0].items():
        for slower in (1.5, 8.0):
            late = keyed[slower][key]
            if quick is None:
                assert late is None
            else:
                assert late is None or late >= quick - ONE_NS
    # A warning owed to the partner comes at most the added delay and one frame later.
    for key, quick in keyed[0.0].items():
        late = keyed[8.0][key]
        if quick is not None and late is not None:
            assert late <= quick + 8.0 + 1.0 + ONE_NS


def test_partner_states_enter_at_the_first_own_frame_reported_after_arrival(
    raid: Raid, at_nodes: pa.Table
) -> None:
    config = _config(2.25)
    inputs = tracks_at_node(at_nodes, config, "USA", raid.epoch)
    partner = inputs.filter(pc.equal(inputs["tracker"], "JPN"))
    arrival = seconds_since(partner["known_time"], raid.epoch)
    np.testing.assert_allclose(
        arrival, seconds_since(partner["report_time"], raid.epoch) + 2.25, atol=ONE_NS
    )
    own = inputs.filter(pc.equal(inputs["tracker"], "USA"))
    clock = _OwnFrameClock(
        seconds_since(own["time"], raid.epoch), seconds_since(own["report_time"], raid.epoch), 1.0
    )
    t = seconds_since(partner["time"], raid.epoch)
    frame = clock.first_frame(t, arrival)
    assert np.all(frame >= t - ONE_NS)
    assert np.all(clock.report_s(frame) >= arrival - ONE_NS)
    earlier = frame - 1.0  # the frame before was either before the state or reported too soon
    assert np.all((earlier < t - ONE_NS) | (clock.report_s(earlier) < arrival - ONE_NS))
    picture = national_picture(at_nodes, config, "USA", raid.epoch, 1.0)
    report = seconds_since(picture["report_time"], raid.epoch)
    assert np.all(report >= seconds_since(picture["time"], raid.epoch) - ONE_NS)
    assert set(picture["tracker"].to_pylist()) == {"fused"}


def test_own_states_enter_the_picture_when_they_are_known_alone(
    raid: Raid, at_nodes: pa.Table
) -> None:
    own = at_nodes.filter(pc.equal(at_nodes["tracker"], "USA"))
    t = seconds_since(own["time"], raid.epoch)
    report = seconds_since(own["report_time"], raid.epoch)
    clock = _OwnFrameClock(t, report, 1.0)
    np.testing.assert_allclose(clock.first_frame(t, report), t, atol=ONE_NS)
    np.testing.assert_allclose(clock.report_s(t), report, atol=ONE_NS)


def test_a_nation_without_tracks_of_its_own_takes_partner_states_on_arrival() -> None:
    """No own states: frames are reported at their own time; a partner's state made at
    2.2 s and arrived at 5.5 s enters at the 6 s frame (1 s frames)."""
    clock = _OwnFrameClock(np.zeros(0), np.zeros(0), 1.0)
    np.testing.assert_allclose(clock.report_s(np.array([3.0, 4.0])), [3.0, 4.0])
    np.testing.assert_allclose(clock.first_frame(np.array([2.2]), np.array([5.5])), [6.0])
