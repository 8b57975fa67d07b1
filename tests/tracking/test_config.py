"""The ``tracking:`` section: nested by concern, old flat keys refused, ``ukf`` deprecated."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracklayer.errors import ScenarioError
from tracklayer.scenario import read_yaml_file, validate_scenario
from tracklayer.tracking.config import MOVED_KEYS, TrackingConfig
from tracklayer.tracking.estimators import CubatureKalman, make_filter

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_every_moved_key_names_an_existing_new_place() -> None:
    """Each refused flat key points at a field that exists, with the same default."""
    config = TrackingConfig()
    defaults = {
        "imm_initial_probabilities": (1 / 3, 1 / 3, 1 / 3),
        "single_sensor_initiation": False,
    }
    for old, new in MOVED_KEYS.items():
        section, name = new.split(".")
        value = getattr(getattr(config, section), name)
        if old in defaults:
            assert value == pytest.approx(defaults[old])


@pytest.mark.parametrize("old", ["imm_switch_rate_per_s", "gospa_c_m", "confirm_m"])
def test_flat_keys_are_refused_naming_their_new_place(old: str) -> None:
    with pytest.raises(ValueError, match=f"{old} is now {MOVED_KEYS[old]}"):
        TrackingConfig.model_validate({old: 1.0})


def test_scenario_error_names_the_section_and_the_new_place() -> None:
    """Through the scenario loader the message names ``tracking`` and the new key."""
    data = read_yaml_file(EXAMPLES / "demo.yaml", "scenario")
    data["tracking"] = {**data["tracking"], "gospa_p": 1.0}
    with pytest.raises(ScenarioError, match=r"tracking: .*gospa_p is now scoring\.gospa_p"):
        validate_scenario(data, source="demo.yaml", base_dir=EXAMPLES)


def test_ukf_is_a_deprecated_alias_of_the_cubature_filter() -> None:
    with pytest.warns(DeprecationWarning, match="cubature"):
        config = TrackingConfig(filter="ukf")
    assert config.filter == "ckf"
    assert isinstance(make_filter(config), CubatureKalman)


def test_nested_sections_validate_their_own_fields() -> None:
    with pytest.raises(ValueError, match="confirm_m must be <= confirm_n"):
        TrackingConfig(management={"confirm_m": 5, "confirm_n": 3})
    with pytest.raises(ValueError, match="initial_probabilities"):
        TrackingConfig(imm={"initial_probabilities": (0.5, 0.5, 0.5)})
    with pytest.raises(ValueError, match="min_altitude_km must be < max_altitude_km"):
        TrackingConfig(initiation={"min_altitude_km": 10.0, "max_altitude_km": 5.0})
