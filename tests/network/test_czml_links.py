"""The network's links on the globe: CZML polylines between the ends, shown while up."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from tracklayer.frames import utc_timestamps
from tracklayer.io.czml import scene_czml
from tracklayer.io.czml_network import network_link_packets, up_intervals
from tracklayer.network.stage import LINKS_SCHEMA

EPOCH = datetime(2027, 3, 1, tzinfo=UTC)
GUAM_ECEF_M = (-5.0e6, 2.6e6, 1.5e6)


def _links() -> pa.Table:
    """S1-S2 up at 0, 10, 20 and 40 s (10 s samples: down at 30 s); S1-GUAM at 10 s."""
    t = np.array([0.0, 10.0, 20.0, 40.0, 10.0])
    return pa.table(
        {"time": utc_timestamps(EPOCH, t), "a": ["S1", "S1", "S1", "S1", "S1"],
         "b": ["S2", "S2", "S2", "S2", "GUAM"],
         "kind": ["crosslink"] * 4 + ["downlink"], "range_m": [4e6] * 5,
         "delay_s": [0.02] * 5},
        schema=LINKS_SCHEMA,
    )  # fmt: skip


def test_links_are_shown_while_up_between_their_ends() -> None:
    packets = network_link_packets(_links(), {"GUAM": GUAM_ECEF_M})
    by_id = {p["id"]: p for p in packets}
    assert by_id["station/GUAM"]["position"]["cartesian"] == list(GUAM_ECEF_M)
    cross = by_id["link/S1/S2"]
    assert cross["availability"] == [
        "2027-03-01T00:00:00Z/2027-03-01T00:00:30Z",
        "2027-03-01T00:00:40Z/2027-03-01T00:00:50Z",
    ]
    assert cross["polyline"]["positions"]["references"] == [
        "satellite/S1#position",
        "satellite/S2#position",
    ]
    assert cross["polyline"]["arcType"] == "NONE"
    down = by_id["link/S1/GUAM"]
    assert down["availability"] == ["2027-03-01T00:00:10Z/2027-03-01T00:00:20Z"]
    assert down["polyline"]["positions"]["references"][1] == "station/GUAM#position"
    assert down["properties"] == {"kind": "link", "link": "downlink"}


def test_every_reference_names_a_packet_of_the_scene() -> None:
    """The scene's satellites are ``satellite/SAT_ID``; the stations come with the links."""
    t = utc_timestamps(EPOCH, np.array([0.0, 60.0]))
    ephemeris = pa.table(
        {"sat_id": ["S1", "S1", "S2", "S2"], "time": pa.concat_arrays([t, t]),
         "x": [7e6] * 4, "y": [0.0, 1e5, 1e6, 1.1e6], "z": [0.0] * 4},
    )  # fmt: skip
    satellites = pa.table({"sat_id": ["S1", "S2"], "owner": ["USA", "JPN"]})
    scene = scene_czml(ephemeris=ephemeris, satellites=satellites, epoch=EPOCH)
    scene += network_link_packets(_links(), {"GUAM": GUAM_ECEF_M})
    ids = {p["id"] for p in scene}
    for packet in scene:
        for reference in packet.get("polyline", {}).get("positions", {}).get("references", []):
            assert reference.split("#")[0] in ids


def test_up_intervals_merge_consecutive_samples() -> None:
    ten = 10_000_000_000
    times = np.array([0, 1, 2, 5, 7, 8]) * ten
    assert up_intervals(times, ten) == [(0, 3 * ten), (5 * ten, 6 * ten), (7 * ten, 9 * ten)]
    assert up_intervals(np.zeros(0, np.int64), ten) == []
    assert network_link_packets(_links().slice(0, 0), {}) == []
