"""The scenario's ``network`` section: defaults, and errors that name their field."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tracklayer.errors import ScenarioError
from tracklayer.network.config import JOINT_NODE_OWNER, NetworkConfig
from tracklayer.scenario import validate_scenario
from tracklayer.vocabulary import JOINT

SCENARIO = """
name: t
epoch: 2027-03-01T00:00:00Z
sensors:
  ir: {field_of_regard: {kind: earth_limb}}
space:
  constellations:
    - {name: TRK, owner: USA, sensor: ir, kind: walker_delta, total: 6, planes: 2,
       phasing: 1, altitude_km: 1000, inclination_deg: 60}
    - {name: QZT, owner: JPN, sensor: ir, kind: walker_delta, total: 6, planes: 2,
       phasing: 1, altitude_km: 600, inclination_deg: 50}
network:
  crosslinks: [{constellation: TRK}]
  ground_stations:
    - {name: GUAM, owner: USA, lat_deg: 13.4, lon_deg: 144.8}
    - {name: TOKYO, owner: JPN, lat_deg: 35.7, lon_deg: 139.7}
  nodes: [{owner: USA, name: US}, {owner: JPN, name: JP}, {owner: joint, name: C2}]
  sharing:
    - {from: USA, to: joint}
    - {from: JPN, to: joint, what: tracks, delay_s: 2}
"""


def _scenario(edit: Any = None) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SCENARIO)
    data["epoch"] = "2027-03-01T00:00:00Z"
    if edit is not None:
        edit(data["network"])
    return data


def test_a_valid_section_and_its_defaults() -> None:
    network = validate_scenario(_scenario()).network
    assert network is not None
    crosslinks = network.crosslinks_of("TRK")
    assert crosslinks is not None and crosslinks.terminals == 4
    assert network.crosslinks_of("QZT") is None  # store and forward
    assert network.ground_stations[0].served_owners == ["USA"]
    assert network.ground_stations[0].min_elevation_deg == 10.0
    assert network.queue_window_s == 10.0
    assert network.shared("USA", "joint").what == ["detections"]  # type: ignore[union-attr]
    assert network.shared("JPN", "joint").carries("tracks")  # type: ignore[union-attr]
    assert network.shared("USA", "JPN") is None
    assert NetworkConfig.model_json_schema()["properties"]["sharing"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda n: n["crosslinks"][0].update(constellation="XYZ"),
         "network.crosslinks[0].constellation: no constellation named 'XYZ'"),
        (lambda n: n["nodes"].pop(1), "ground_stations[1].owner: no node of owner JPN"),
        (lambda n: (n["nodes"].pop(1), n["ground_stations"].pop(1)),
         "network.nodes: no national node of owner JPN"),
        (lambda n: n["ground_stations"][0].update(min_elevation_deg=95),
         "network.ground_stations[0].min_elevation_deg: must be < 90"),
        (lambda n: n["sharing"][1].update(what="everything"),
         "network.sharing[1].what[0]: input should be 'detections' or 'tracks'"),
        (lambda n: n["sharing"].append({"from": "USA", "to": "USA"}),
         "sharing[2].to: an owner does not share with itself"),
        (lambda n: n["ground_stations"][1].update(name="GUAM"),
         "ground_stations[1]: name 'GUAM' is used twice"),
        (lambda n: n["ground_stations"][0].update(serves=["USA", "KOR"]),
         "ground_stations[0].serves: no node of owner KOR"),
        (lambda n: n["crosslinks"][0].update(terminals=0),
         "network.crosslinks[0].terminals: must be >= 1, got 0"),
        (lambda n: n.update(queue_window_s=0),
         "network.queue_window_s: must be > 0"),
    ],
)  # fmt: skip
def test_errors_name_the_field(edit: Any, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        validate_scenario(_scenario(edit))
    assert message in str(caught.value)


def test_the_c2_node_owner_is_the_joint_group() -> None:
    assert JOINT_NODE_OWNER == JOINT
