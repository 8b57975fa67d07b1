"""Vehicle presets: every preset validates, flies, and reaches what the docs say.

Reference: the reach table of ``docs/design.md`` (threats section), computed by
:func:`tracklayer.threats.reach.glide_reach` and
:func:`tracklayer.threats.reach.ballistic_max_range` from 30 deg N, 0 deg E, launched due
east over the rotating WGS84 Earth with J2 and the US76 atmosphere; tolerance 2 %.
"""

from __future__ import annotations

import numpy as np
import pytest

from tracklayer.errors import ScenarioError
from tracklayer.threats.config import (
    BallisticVehicleConfig,
    EarthOptions,
    HGVConfig,
    parse_threats_config,
)
from tracklayer.threats.earth import EarthModel
from tracklayer.threats.presets import PRESETS
from tracklayer.threats.reach import ballistic_max_range, glide_reach

#: Documented reach, km: (nearest, farthest) for gliders, farthest for missiles.
DOCUMENTED_KM: dict[str, tuple[float, float]] = {
    "srbm": (0.0, 318.0),
    "mrbm": (0.0, 1994.0),
    "irbm": (0.0, 4354.0),
    "icbm": (0.0, 10475.0),
    "hgv-medium": (417.0, 1338.0),
    "hgv-long": (867.0, 8130.0),
}


def test_every_preset_documented() -> None:
    assert set(PRESETS) == set(DOCUMENTED_KM)
    for p in PRESETS.values():
        assert p.generic_of and p.sources


@pytest.mark.parametrize("name", sorted(DOCUMENTED_KM))
def test_preset_reach_as_documented(name: str) -> None:
    cfg = parse_threats_config({"vehicles": {"v": {"preset": name}}}).vehicles["v"]
    em = EarthModel.from_options(EarthOptions())
    lat, lon, az = np.deg2rad(30.0), 0.0, np.deg2rad(90.0)
    near, far = DOCUMENTED_KM[name]
    if isinstance(cfg, HGVConfig):
        reach = glide_reach(cfg, lat, lon, az, em, name)
        assert reach.min_m / 1e3 == pytest.approx(near, rel=0.02)
        assert reach.max_m / 1e3 == pytest.approx(far, rel=0.02)
    else:
        assert isinstance(cfg, BallisticVehicleConfig)
        assert ballistic_max_range(cfg, lat, lon, az, em) / 1e3 == pytest.approx(far, rel=0.02)


def test_overrides_win_and_unknown_preset_named() -> None:
    """Overrides replace preset fields (stages whole); an unknown preset is a clear error
    naming the field and the known presets."""
    stage = {"propellant_mass_kg": 100, "dry_mass_kg": 10, "isp_s": 250, "burn_time_s": 10}
    cfg = parse_threats_config(
        {"vehicles": {"g": {"preset": "hgv-long", "payload_mass_kg": 900, "stages": [stage]}}}
    ).vehicles["g"]
    assert cfg.kind == "hgv" and cfg.payload_mass_kg == 900 and len(cfg.stages) == 1
    assert cfg.lift_to_drag == PRESETS["hgv-long"].fields["lift_to_drag"]
    with pytest.raises(ScenarioError, match=r"threats\.vehicles: g\.preset: unknown preset"):
        parse_threats_config({"vehicles": {"g": {"preset": "scud"}}})


def test_a_vehicle_without_preset_survives_a_scenario_copy() -> None:
    """A run folder's scenario copy writes ``preset: null`` for a vehicle given field by
    field; reading the copy back gives the same vehicle."""
    from tracklayer.threats.presets import expand_preset

    entry = {"kind": "ballistic", "preset": None, "payload_kg": 700.0}
    assert expand_preset(entry, "threats.vehicles.bm") == entry
