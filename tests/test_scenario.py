"""Scenario files: every kind of bad input gives a message naming its field, and no traceback."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracklayer.errors import ScenarioError
from tracklayer.scenario import (
    Scenario,
    load_scenario,
    scenario_json_schema,
    validate_scenario,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def demo_data() -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES / "demo.yaml").read_text())
    assert isinstance(data, dict)
    return data


def _error(data: Any, base_dir: Path = EXAMPLES) -> str:
    with pytest.raises(ScenarioError) as info:
        validate_scenario(data, source="s.yaml", base_dir=base_dir)
    return str(info.value)


def test_demo_loads_in_si() -> None:
    scenario = load_scenario(EXAMPLES / "demo.yaml")
    assert scenario.epoch == dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    assert scenario.owners == ["JPN", "USA"]
    assert scenario.coverage is not None


def test_zero_planes_names_the_field(demo_data: dict[str, Any]) -> None:
    data = copy.deepcopy(demo_data)
    data["space"]["constellations"][2]["planes"] = 0
    assert "space.constellations[2].planes: must be >= 1, got 0" in _error(data)


def test_unknown_key_is_an_error(demo_data: dict[str, Any]) -> None:
    data = copy.deepcopy(demo_data)
    data["space"]["constellations"][0]["altitude"] = 1000
    assert "space.constellations[0].altitude: unknown field" in _error(data)


def test_wrong_type_names_the_field(demo_data: dict[str, Any]) -> None:
    data = copy.deepcopy(demo_data)
    data["seed"] = "many"
    message = _error(data)
    assert "seed:" in message and "'many'" in message


def test_missing_field_and_bad_kind(demo_data: dict[str, Any]) -> None:
    data = copy.deepcopy(demo_data)
    del data["epoch"]
    data["space"]["constellations"][0]["kind"] = "walker_zeta"
    message = _error(data)
    assert "epoch: required field is missing" in message
    assert "space.constellations[0].kind" in message and "walker_zeta" in message


def test_owner_must_be_alpha3(demo_data: dict[str, Any]) -> None:
    data = copy.deepcopy(demo_data)
    data["space"]["constellations"][0]["owner"] = "usa"
    assert "space.constellations[0].owner" in _error(data)


def test_epoch_needs_a_time_zone(demo_data: dict[str, Any]) -> None:
    data = copy.deepcopy(demo_data)
    data["epoch"] = "2027-03-01T00:00:00"
    assert "epoch:" in _error(data)


def test_unknown_sensor_reference(demo_data: dict[str, Any]) -> None:
    data = copy.deepcopy(demo_data)
    data["space"]["constellations"][0]["sensor"] = "nonexistent"
    assert "space.constellations[0].sensor: no sensor named 'nonexistent'" in _error(data)


def test_missing_data_file(demo_data: dict[str, Any], tmp_path: Path) -> None:
    data = copy.deepcopy(demo_data)
    data["space"]["constellations"].append(
        {"name": "X", "owner": "KOR", "sensor": "wide_field_ir", "kind": "tle", "file": "no.tle"}
    )
    message = _error(data, base_dir=tmp_path)
    last = len(data["space"]["constellations"]) - 1
    assert f"space.constellations[{last}].file: file not found" in message


def test_missing_unreadable_and_bad_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="scenario file not found"):
        load_scenario(tmp_path / "absent.yaml")
    with pytest.raises(ScenarioError, match="is a folder"):
        load_scenario(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nspace: [1, 2\n")
    with pytest.raises(ScenarioError, match=r"line \d+ column \d+: invalid YAML"):
        load_scenario(bad)
    duplicate = tmp_path / "dup.yaml"
    duplicate.write_text("name: a\nname: b\n")
    with pytest.raises(ScenarioError, match="duplicate key 'name'"):
        load_scenario(duplicate)
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    with pytest.raises(ScenarioError, match="expected a mapping"):
        load_scenario(listing)


def test_json_schema_describes_every_section() -> None:
    schema = scenario_json_schema()
    assert set(Scenario.model_fields) <= set(schema["properties"])
    assert schema["additionalProperties"] is False
