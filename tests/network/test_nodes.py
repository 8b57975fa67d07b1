"""Trackers at the nodes: zero latency reproduces today's tracks; out-of-order arrival."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from tracklayer.network.delivery import Deliveries, seconds_since
from tracklayer.network.nodes import node_tracks, report_times
from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.run import run_tracking
from tracklayer.tracking.synthetic import Raid, make_raid
from tracklayer.vocabulary import TRACKS_SCHEMA

from .conftest import network_config

NODES = {
    "nodes": [
        {"owner": "USA", "name": "US-NODE"},
        {"owner": "JPN", "name": "JP-NODE"},
        {"owner": "joint", "name": "C2"},
    ],
    "sharing": [{"from": "USA", "to": "joint"}, {"from": "JPN", "to": "joint"}],
}


@pytest.fixture(scope="module")
def raid() -> Raid:
    return make_raid(3, 16, duration_s=80.0, false_alarms_per_frame=0.5, seed=3)


def _deliveries(raid: Raid, delay: np.ndarray) -> Deliveries:
    """Each detection to its owner's node and to C2, ``delay`` (D,) after it was made."""
    t = seconds_since(raid.detections.column("time"), raid.epoch)
    owner = np.asarray(raid.detections.column("owner").to_pylist())
    own = np.where(owner == "USA", "US-NODE", "JP-NODE")
    rows = np.arange(t.size)
    return Deliveries(
        np.r_[rows, rows], np.r_[own, np.full(t.size, "C2")], np.r_[t + delay, t + delay],
        np.ones(2 * t.size, np.int64),
    )  # fmt: skip


def _plain(table: pa.Table) -> pa.Table:
    return table.select(TRACKS_SCHEMA.names)


def test_zero_latency_and_full_sharing_reproduce_todays_tracks_exactly(raid: Raid) -> None:
    today = run_tracking(raid.detections, TrackingConfig(), epoch=raid.epoch)
    zero = _deliveries(raid, np.zeros(raid.detections.num_rows))
    config = network_config(ground_stations=[
        {"name": "EQ", "owner": "USA", "lat_deg": 0, "lon_deg": 0}], **NODES)  # fmt: skip
    at_nodes = node_tracks(raid.detections, zero, config, TrackingConfig(), raid.epoch)
    assert _plain(at_nodes).equals(today)
    assert at_nodes.column("report_time").equals(at_nodes.column("time"))


def test_out_of_order_arrival_within_the_lag_gives_the_in_order_tracks(raid: Raid) -> None:
    """Fixed-lag reprocessing: states identical (tolerance zero), only report times move."""
    rng = np.random.default_rng(0)
    delay = rng.exponential(8.0, raid.detections.num_rows)  # arrival order shuffled by seconds
    delay = np.minimum(delay, 59.0)
    config = network_config(ground_stations=[
        {"name": "EQ", "owner": "USA", "lat_deg": 0, "lon_deg": 0}], **NODES)  # fmt: skip
    shuffled = node_tracks(raid.detections, _deliveries(raid, delay), config,
                           TrackingConfig(), raid.epoch)  # fmt: skip
    in_order = run_tracking(raid.detections, TrackingConfig(), epoch=raid.epoch)
    assert _plain(shuffled).equals(in_order)
    report = seconds_since(shuffled.column("report_time"), raid.epoch)
    state = seconds_since(shuffled.column("time"), raid.epoch)
    assert np.all(report >= state)
    assert np.all(report <= state + config.reprocessing_lag_s + 1e-9)
    assert np.mean(report - state) > 1.0


def test_detections_later_than_the_lag_are_dropped(raid: Raid) -> None:
    n = raid.detections.num_rows
    delay = np.where(np.arange(n) % 3 == 0, 100.0, 0.5)
    config = network_config(ground_stations=[
        {"name": "EQ", "owner": "USA", "lat_deg": 0, "lon_deg": 0}], reprocessing_lag_s=30.0,
        **NODES)  # fmt: skip
    got = node_tracks(raid.detections, _deliveries(raid, delay), config, TrackingConfig(),
                      raid.epoch)  # fmt: skip
    kept = raid.detections.take(np.flatnonzero(np.arange(n) % 3 != 0))
    expected = run_tracking(kept, TrackingConfig(), epoch=raid.epoch)
    assert _plain(got).equals(expected)


def test_report_time_is_the_latest_arrival_of_earlier_detections() -> None:
    det_t = np.array([0.0, 1.0, 1.0, 2.0, 3.0])
    arrival = np.array([0.5, 7.0, 1.2, 2.1, 3.0])
    frames = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(report_times(frames, det_t, arrival), [0.5, 7.0, 7.0, 7.0, 7.0])
    np.testing.assert_allclose(report_times(frames, det_t[:0], arrival[:0]), frames)
