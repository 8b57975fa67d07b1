"""The network stage end to end on a synthetic raid: tables, sharing, attacks, warning."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tracklayer.constants import SPEED_OF_LIGHT_M_S
from tracklayer.frames import utc_timestamps
from tracklayer.fusion.timeline import fuse_timeline
from tracklayer.metrics.tracking import tracking_metrics
from tracklayer.network.delivery import DELIVERIES_SCHEMA, seconds_since
from tracklayer.network.layer import NetworkOutage, station_positions
from tracklayer.network.nodes import NODE_TRACKS_SCHEMA
from tracklayer.network.stage import LINK_ENDS_SCHEMA, LINKS_SCHEMA, NetworkTables, run_network
from tracklayer.network.warning import WARNING_SCHEMA, joint_vs_alone, warning_table
from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.run import run_tracking
from tracklayer.tracking.synthetic import Raid, make_raid

from .conftest import network_config, space_states

STATIONS = [
    {
        "name": "GUAM",
        "owner": "USA",
        "lat_deg": 13.4,
        "lon_deg": 144.8,
        "terminals": 6,
        "serves": ["USA", "JPN"],
    },
    {
        "name": "OKINAWA",
        "owner": "JPN",
        "lat_deg": 26.3,
        "lon_deg": 127.8,
        "terminals": 6,
        "serves": ["USA", "JPN"],
    },
]
CONFIG = {
    "crosslinks": [{"constellation": "LAYER", "terminals": 4, "max_range_km": 8000,
                    "acquisition_s": 0}],
    "ground_stations": STATIONS,
    "nodes": [{"owner": "USA", "name": "US-NODE"}, {"owner": "JPN", "name": "JP-NODE"},
              {"owner": "joint", "name": "C2"}],
    "sharing": [{"from": "USA", "to": "joint", "delay_s": 0.5},
                {"from": "JPN", "to": "joint", "delay_s": 0.5},
                {"from": "JPN", "to": "USA", "what": "tracks", "delay_s": 1.0},
                {"from": "USA", "to": "JPN", "what": "nothing"}],
}  # fmt: skip


@pytest.fixture(scope="module")
def raid() -> Raid:
    return make_raid(3, 16, duration_s=80.0, false_alarms_per_frame=0.3, seed=5)


@pytest.fixture(scope="module")
def tables(raid: Raid) -> NetworkTables:
    space = space_states(raid.sat_pos, raid.times_s, ["USA", "JPN"])
    return run_network(network_config(**CONFIG), TrackingConfig(), space, raid.detections,
                       raid.epoch)  # fmt: skip


def test_tables_follow_the_public_schemas(tables: NetworkTables) -> None:
    assert tables.deliveries.schema.equals(DELIVERIES_SCHEMA)
    assert tables.links.schema.equals(LINKS_SCHEMA)
    assert set(tables.links.column("kind").to_pylist()) <= {"crosslink", "downlink"}
    assert set(tables.deliveries.column("node").to_pylist()) == {"US-NODE", "JP-NODE", "C2"}
    assert set(tables.tracks.column("tracker").to_pylist()) <= {"USA", "JPN", "joint"}
    # USA receives JPN's tracks (what: tracks): its node fuses them; JPN receives none.
    assert tables.national_pictures.schema.equals(NODE_TRACKS_SCHEMA)
    assert set(tables.national_pictures.column("node").to_pylist()) == {"US-NODE"}
    assert set(tables.national_pictures.column("tracker").to_pylist()) == {"fused"}


def test_link_ends_place_every_sampled_link_end_at_its_state(
    raid: Raid, tables: NetworkTables
) -> None:
    """Reference: the raid's own satellite states (the network's input) and the stations'
    geodetic positions through ``station_positions``; equal to the bit (0 m)."""
    ends = tables.link_ends
    assert ends.schema.equals(LINK_ENDS_SCHEMA) and ends.num_rows
    links = tables.links
    named = {(t, a) for t, a in zip(links["time"].to_pylist(), links["a"].to_pylist(), strict=True)}
    named |= {
        (t, b) for t, b in zip(links["time"].to_pylist(), links["b"].to_pylist(), strict=True)
    }
    placed = list(zip(ends["time"].to_pylist(), ends["id"].to_pylist(), strict=True))
    assert set(placed) == named and len(placed) == len(named)  # each end once per sample
    seconds = seconds_since(ends["time"], raid.epoch)
    xyz = np.column_stack([ends[c].to_numpy() for c in ("x", "y", "z")])
    stations = dict(
        zip(["GUAM", "OKINAWA"], station_positions(network_config(**CONFIG)), strict=True)
    )
    for (_, name), kind, t, r in zip(placed, ends["kind"].to_pylist(), seconds, xyz, strict=True):
        if kind == "station":
            np.testing.assert_array_equal(r, stations[name])
        else:
            assert kind == "satellite"
            step = int(np.flatnonzero(np.isclose(raid.times_s, t))[0])
            np.testing.assert_array_equal(r, raid.sat_pos[int(name[3:]), step])


def test_each_detection_reaches_its_owner_and_the_c2_node_no_earlier_than_light(
    raid: Raid, tables: NetworkTables
) -> None:
    det = raid.detections
    d = tables.deliveries
    t = seconds_since(det.column("time"), raid.epoch)
    arrival = seconds_since(d.column("arrival_time"), raid.epoch)
    rows = d.column("det_id").to_numpy()
    latency = arrival - t[rows]
    # At least one downlink from 1,000 km: no faster than light over the altitude.
    assert np.all(latency >= 1.0e6 * 0.99 / SPEED_OF_LIGHT_M_S)
    owner = np.asarray(det.column("owner").to_pylist())[rows]
    node = np.asarray(d.column("node").to_pylist())
    assert np.all(owner[node == "US-NODE"] == "USA")
    assert np.all(owner[node == "JP-NODE"] == "JPN")  # USA shares nothing with JPN
    on_c2 = node == "C2"
    own = {int(r): a for r, a, n in zip(rows, arrival, node, strict=True) if n != "C2"}
    for r, a in zip(rows[on_c2], arrival[on_c2], strict=True):
        assert a == pytest.approx(own[int(r)] + 0.5, abs=1e-9)


def test_latency_table_counts_and_orders(tables: NetworkTables) -> None:
    rows = {r["node"]: r for r in tables.latency.to_pylist()}
    for r in rows.values():
        assert 0 < r["delivered"] <= r["offered"]
        assert r["received"] <= r["delivered"]
        assert r["latency_p50_s"] <= r["latency_p95_s"] <= r["latency_max_s"]
    assert rows["C2"]["offered"] == rows["US-NODE"]["offered"] + rows["JP-NODE"]["offered"]


def test_a_cut_off_node_and_lost_stations(raid: Raid) -> None:
    space = space_states(raid.sat_pos, raid.times_s, ["USA", "JPN"])
    outage = NetworkOutage(stations=frozenset({"GUAM"}), nodes=frozenset({"joint"}))
    cut = run_network(network_config(**CONFIG), TrackingConfig(), space, raid.detections,
                      raid.epoch, outage=outage)  # fmt: skip
    nodes = set(cut.deliveries.column("node").to_pylist())
    assert "C2" not in nodes
    assert "joint" not in set(cut.tracks.column("tracker").to_pylist())
    assert "GUAM" not in set(cut.links.column("b").to_pylist())
    kept = cut.deliveries.num_rows
    assert (
        0
        < kept
        < run_network(
            network_config(**CONFIG), TrackingConfig(), space, raid.detections, raid.epoch
        ).deliveries.num_rows
    )


def test_warning_time_adds_the_report_age_to_the_first_track(
    raid: Raid, tables: NetworkTables
) -> None:
    metrics, _ = tracking_metrics(raid.truth, tables.tracks, raid.detections, TrackingConfig())
    warning = warning_table(metrics, raid.truth, tables.node_tracks, raid.epoch)
    assert warning.schema.equals(WARNING_SCHEMA)
    tracked = warning.filter(pc.is_valid(warning.column("warning_s")))
    assert tracked.num_rows > 0
    for row in tracked.to_pylist():
        assert row["warning_s"] == pytest.approx(row["first_track_s"] + row["warning_age_s"])
        assert 0.0 <= row["warning_age_s"] <= 60.0 + 1e-9


def test_joint_vs_alone_compares_the_earliest_national_warning() -> None:
    warning = pa.Table.from_pylist(
        [
            {"object_id": "a", "tracker": "USA", "node": "US", "warning_s": 12.0},
            {"object_id": "a", "tracker": "JPN", "node": "JP", "warning_s": 40.0},
            {"object_id": "a", "tracker": "joint", "node": "C2", "warning_s": 5.0},
            {"object_id": "a", "tracker": "fused", "node": "C2", "warning_s": 1.0},
            {"object_id": "b", "tracker": "USA", "node": "US", "warning_s": None},
            {"object_id": "b", "tracker": "joint", "node": "C2", "warning_s": 9.0},
        ],
        schema=WARNING_SCHEMA,
    )
    table = joint_vs_alone(warning).to_pylist()
    assert table[0] == {
        "object_id": "a",
        "best_national_tracker": "USA",
        "best_national_warning_s": 12.0,
        "joint_warning_s": 5.0,
        "gain_s": 7.0,
    }
    assert table[1]["best_national_warning_s"] is None and table[1]["gain_s"] is None


def test_the_c2_picture_fuses_national_tracks_from_their_arrival_on(raid: Raid) -> None:
    """``known_column`` equal to the state time is today's fusion; 5 s later shifts it."""
    national = run_tracking(raid.detections, TrackingConfig(), epoch=raid.epoch)
    national = national.filter(pc.is_in(national["tracker"], pa.array(["USA", "JPN"])))
    today = fuse_timeline(national, raid.epoch, interval_s=1.0)
    same = fuse_timeline(
        national.append_column("known", national["time"]), raid.epoch, interval_s=1.0,
        known_column="known",
    )  # fmt: skip
    assert same.equals(today)
    late = seconds_since(national["time"], raid.epoch) + 5.0
    delayed = fuse_timeline(
        national.append_column("known", utc_timestamps(raid.epoch, late)), raid.epoch,
        interval_s=1.0, known_column="known",
    )  # fmt: skip
    first = seconds_since(today["time"], raid.epoch).min()
    first_late = seconds_since(delayed["time"], raid.epoch).min()
    assert today.num_rows > 0 and first_late >= first + 5.0 - 1e-9


def test_no_detections_give_empty_tables(raid: Raid) -> None:
    space = space_states(raid.sat_pos, raid.times_s, ["USA", "JPN"])
    empty = raid.detections.slice(0, 0)
    tables = run_network(network_config(**CONFIG), TrackingConfig(), space, empty, raid.epoch)
    assert tables.deliveries.num_rows == 0 and tables.tracks.num_rows == 0
    assert tables.links.num_rows > 0
    assert all(r["delivered"] == 0 for r in tables.latency.to_pylist())
