"""Scenario validation of the threats section: clear errors that name the field."""

from __future__ import annotations

from typing import Any

import pytest

from tracklayer.errors import ScenarioError
from tracklayer.threats.config import ThreatsConfig, parse_threats_config

STAGE = {"propellant_mass_kg": 9000, "dry_mass_kg": 1000, "isp_s": 250, "burn_time_s": 60}


def _section(**vehicle: Any) -> dict[str, Any]:
    base = {
        "kind": "hgv",
        "payload_mass_kg": 2000,
        "release_altitude_km": 60,
        "release_speed_km_s": 3.0,
        "stages": [STAGE],
    }
    return {"vehicles": {"glider": base | vehicle}}


def test_defaults_and_units() -> None:
    """Defaults: SWIR 2.65-2.80 um, MWIR 4.2-4.4 um, L/D 2.6, WGS84 rotating with J2 and air."""
    cfg = parse_threats_config(_section())
    assert cfg.bands == {"swir": (2.65, 2.80), "mwir": (4.20, 4.40)}
    veh = cfg.vehicles["glider"]
    assert veh.kind == "hgv" and veh.lift_to_drag == 2.6
    assert cfg.earth.model == "wgs84" and cfg.earth.rotating and cfg.earth.j2
    assert veh.stages[0].thrust_n == pytest.approx(9000 / 60 * 250 * 9.80665)


@pytest.mark.parametrize(
    ("patch", "path", "words"),
    [
        ({"payload_mass_kg": -5}, "threats.vehicles.glider.payload_mass_kg", "greater than 0"),
        ({"lift_to_drag": 0}, "threats.vehicles.glider.lift_to_drag", "greater than 0"),
        (
            {"release_speed_km_s": 8.5},
            "threats.vehicles.glider.release_speed_km_s",
            "circular orbital speed",
        ),
        (
            {"stages": [STAGE | {"dry_mass_kg": -1}]},
            "threats.vehicles.glider.stages[0].dry_mass_kg",
            "greater than 0",
        ),
        (
            {"stages": [STAGE | {"thrust_kn": 300}]},
            "threats.vehicles.glider.stages[0]",
            "exactly one of isp_s and thrust_kn",
        ),
        (
            {"stages": [STAGE | {"isp_sea_level_s": 300}]},
            "threats.vehicles.glider.stages[0]",
            "isp_sea_level_s: must not exceed the vacuum specific impulse",
        ),
        (
            {"alpha_max_deg": 5},
            "threats.vehicles.glider",
            "alpha_max_deg: must be at least alpha_max_ld_deg",
        ),
        (
            {"terminal_speed_km_s": 3.5},
            "threats.vehicles.glider",
            "terminal_speed_km_s: must be below release_speed_km_s",
        ),
    ],
)
def test_bad_vehicle_parameters_name_the_field(
    patch: dict[str, Any], path: str, words: str
) -> None:
    """Negative mass, zero L/D, a release speed above orbital, a sea-level Isp above the
    vacuum one, an inverted polar, a terminal speed above release: the message names the
    field."""
    with pytest.raises(ScenarioError) as err:
        parse_threats_config(_section(**patch))
    line = next(m for m in str(err.value).splitlines() if m.startswith(path))
    assert words in line


def test_raid_refers_to_known_vehicle_and_shape() -> None:
    """An unknown vehicle, or a trajectory shape on a glider, is refused with its raid index."""
    raid = {
        "vehicle": "nope",
        "launch": {"lat_deg": 0, "lon_deg": 0},
        "aim": {"lat_deg": 1, "lon_deg": 1},
    }
    with pytest.raises(ScenarioError, match=r"raids\[0\]\.vehicle: unknown vehicle 'nope'"):
        parse_threats_config(_section() | {"raids": [raid]})
    raid = raid | {"vehicle": "glider", "trajectory": "lofted"}
    with pytest.raises(ScenarioError, match=r"raids\[0\]\.trajectory"):
        parse_threats_config(_section() | {"raids": [raid]})


def test_bands_validated() -> None:
    """A band must be 0.1 <= low < high <= 100 um."""
    with pytest.raises(ScenarioError, match=r"threats\.bands"):
        parse_threats_config(_section() | {"bands": {"lwir": [12.0, 8.0]}})
    assert ThreatsConfig.model_validate({"bands": {"lwir": [8.0, 12.0]}}).bands["lwir"] == (
        8.0,
        12.0,
    )
