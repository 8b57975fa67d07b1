"""Releasability over the network: nothing reaches a node that the arrangements do not
release to it, under the picture service's rule (:mod:`tracklayer.fusion.releasability`)."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from tracklayer.exercise.detections import detection_releases
from tracklayer.exercise.plan import releases
from tracklayer.fusion.releasability import Release
from tracklayer.network.delivery import deliver, seconds_since
from tracklayer.network.layer import Network, build_network
from tracklayer.network.pictures import tracks_at_node
from tracklayer.network.release import may_receive, sharing_release
from tracklayer.tracking.synthetic import Raid, make_raid
from tracklayer.vocabulary import TRACKS_SCHEMA

from .conftest import network_config, space_states

OWNERS = ("USA", "JPN", "KOR")
RECEIVERS = (*OWNERS, "joint")
NODES = [{"owner": o, "name": f"{o}-NODE"} for o in RECEIVERS]
STATIONS = [
    {
        "name": f"ST-{o}",
        "owner": o,
        "lat_deg": lat,
        "lon_deg": lon,
        "terminals": 8,
        "serves": list(OWNERS),
    }
    for o, lat, lon in (("USA", 13.4, 144.8), ("JPN", 35.7, 139.7), ("KOR", 37.5, 127.0))
]

CROSSLINKS = [{"constellation": "LAYER", "max_range_km": 12000, "acquisition_s": 0}]


def _random_sharing(rng: np.random.Generator) -> list[dict[str, Any]]:
    kinds = (["detections"], ["tracks"], ["detections", "tracks"], [])
    out = []
    for source in OWNERS:
        for to in RECEIVERS:
            if to != source and rng.uniform() < 0.5:
                what = kinds[int(rng.integers(len(kinds)))]
                out.append({"from": source, "to": to, "what": what, "delay_s": 0.1})
    return out


def _config(sharing: list[dict[str, Any]]) -> Any:
    return network_config(
        ground_stations=STATIONS, nodes=NODES, sharing=sharing, crosslinks=CROSSLINKS
    )


@pytest.fixture(scope="module")
def raid() -> Raid:
    return make_raid(2, 12, duration_s=40.0, owners=OWNERS, seed=11)


@pytest.fixture(scope="module")
def network(raid: Raid) -> Network:
    space = space_states(raid.sat_pos, raid.times_s, list(OWNERS))
    return build_network(_config([]), space)


def _arranged(sharing: list[dict[str, Any]], kind: str) -> set[tuple[str, str]]:
    """(from, to) pairs an arrangement passes ``kind`` over, read from the raw entries."""
    return {(s["from"], s["to"]) for s in sharing if kind in s["what"]}


@pytest.mark.parametrize("seed", range(8))
def test_nothing_not_releasable_is_delivered(raid: Raid, network: Network, seed: int) -> None:
    sharing = _random_sharing(np.random.default_rng(seed))
    config = _config(sharing)
    det = raid.detections
    owner = np.asarray(det["owner"].to_pylist())
    arrivals = deliver(
        dataclasses.replace(network, config=config),
        seconds_since(det["time"], raid.epoch),
        np.asarray(det["sensor_id"].to_pylist()),
        owner,
    )
    node_owner = {f"{o}-NODE": o for o in RECEIVERS}
    allowed = _arranged(sharing, "detections")
    pairs = set(
        zip(owner[arrivals.row].tolist(), [node_owner[n] for n in arrivals.node], strict=True)
    )
    for source, receiver in pairs:
        assert source == receiver or (source, receiver) in allowed
        # The picture service's rule on the same arrangement says the same.
        service = Release.of(source, sorted(to for s, to in allowed if s == source))
        assert service.visible_to(receiver)
    # ... and everything released (and routed) is delivered.
    delivered_to_owner = {o for o, r in pairs if o == r}
    assert delivered_to_owner == set(OWNERS)  # every owner's stations take its data down
    for source, receiver in allowed:
        if source in delivered_to_owner:
            assert (source, receiver) in pairs


@pytest.mark.parametrize("seed", range(8))
def test_only_released_tracks_reach_a_node(seed: int) -> None:
    sharing = _random_sharing(np.random.default_rng(100 + seed))
    config = _config(sharing)
    allowed = _arranged(sharing, "tracks")
    rows = [
        {"track_id": "1", "tracker": o, "time": 0, "x": 7e6, "y": 0.0, "z": 0.0, "vx": 0.0,
         "vy": 0.0, "vz": 0.0, "cov": list(np.eye(6).ravel()), "status": "confirmed"}
        for o in OWNERS
    ]  # fmt: skip
    base = pa.Table.from_pylist(rows, schema=TRACKS_SCHEMA)
    table = base.append_column("node", pa.array([f"{o}-NODE" for o in OWNERS])).append_column(
        "report_time", base["time"]
    )
    epoch = base["time"][0].as_py()
    for receiver in RECEIVERS:
        got = set(tracks_at_node(table, config, receiver, epoch)["tracker"].to_pylist())
        expected = {o for o in OWNERS if o == receiver or (o, receiver) in allowed}
        assert got == expected
        for o in OWNERS:
            assert may_receive(config, o, "tracks", receiver) == (
                o == receiver or (o, receiver) in allowed
            )
            assert sharing_release(config, o, "tracks").owner == o


def test_the_combined_node_releases_to_every_partner_but_sends_only_to_itself() -> None:
    """The one reading of ``joint``: KOR's tracks sent to the C2 node only are released to
    every partner (the combined picture is everyone's), reach the C2 node, and reach no
    other nation's national node (no arrangement sends them there); JPN's tracks sent to
    USA alone are released to USA alone and reach neither KOR nor the C2 node."""
    config = _config(
        [{"from": "KOR", "to": "joint", "what": ["tracks"], "delay_s": 0.1},
         {"from": "JPN", "to": "USA", "what": ["tracks"], "delay_s": 0.1}]
    )  # fmt: skip
    kor = sharing_release(config, "KOR", "tracks")
    assert kor == Release.of_sharing("KOR", ["joint"]) and kor.everyone
    assert kor.releasable_to == "all"
    assert [may_receive(config, "KOR", "tracks", r) for r in RECEIVERS] == [
        False, False, True, True  # USA, JPN: not sent; KOR: its own; the C2 node
    ]  # fmt: skip
    jpn = sharing_release(config, "JPN", "tracks")
    assert jpn.releasable_to == ["USA"] and not jpn.visible_to("joint")
    assert [may_receive(config, "JPN", "tracks", r) for r in RECEIVERS] == [
        True, True, False, False
    ]  # fmt: skip


@pytest.mark.parametrize("seed", range(8))
def test_the_exercise_releases_what_the_network_releases(seed: int) -> None:
    """The live exercise posts each owner's tracks and detections with the release the
    network reads from the same arrangements (one rule, in ``fusion.releasability``)."""
    sharing = _random_sharing(np.random.default_rng(200 + seed))
    config = _config(sharing)
    scenario = SimpleNamespace(owners=list(OWNERS), network=config)
    tracks, _ = releases(scenario, list(OWNERS))
    for owner in OWNERS:
        assert tracks[owner] == sharing_release(config, owner, "tracks").releasable_to
    detections = detection_releases(scenario)
    for owner in OWNERS:
        expected = sharing_release(config, owner, "detections")
        if owner in detections:
            assert detections[owner][0] == expected.releasable_to
        else:  # an owner that shares no detections posts none
            assert not expected.everyone and not expected.to
