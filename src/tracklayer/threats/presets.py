"""Vehicle presets: generic missiles and boost-glide vehicles from open-literature figures.

A scenario names one with ``preset:`` and may override any field::

    vehicles:
      gv: {preset: hgv-long, payload_mass_kg: 900}
      bm: {preset: mrbm}

A preset's ``stages`` are replaced whole by an override (not merged stage by stage). Each
preset is *generic of* a class of missile: its masses, burn times and specific impulses
are round numbers of the order that the open literature gives for that class, not the
figures of any particular weapon; the sources named say where such orders of magnitude
are published. Reaches (from :func:`tracklayer.threats.reach.glide_reach` for gliders,
from a minimum-energy solve for missiles) are listed in ``docs/design.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class VehiclePreset:
    """A preset: what it is generic of, its sources, and its scenario fields."""

    generic_of: str
    sources: str
    fields: Mapping[str, Any] = field(default_factory=dict)


def _stage(prop: float, dry: float, isp: float, isp_sl: float, burn: float) -> dict[str, float]:
    return {
        "propellant_mass_kg": prop,
        "dry_mass_kg": dry,
        "isp_s": isp,
        "isp_sea_level_s": isp_sl,
        "burn_time_s": burn,
    }


_FORDEN = (
    "G. Forden, 'GUI_Missile_Flyout: a general program for simulating ballistic "
    "missiles', Science & Global Security 15 (2007) 133-146 (stage masses, burn times and "
    "Isp of missile classes); D. Wright & T. Postol-style generic boosters in L. Tracy & "
    "D. Wright, 'Modeling the performance of hypersonic boost-glide missiles', Science & "
    "Global Security 28 (2020) 135-170"
)
_GLIDE = (
    "J. M. Acton, 'Hypersonic boost-glide weapons', Science & Global Security 23 (2015) "
    "191-219 (HTV-2-like glider: L/D about 2.6, Mach 20 release, 30-min mission plan over "
    "about 7,700 km); Tracy & Wright 2020 (L/D 2.6 glider, ballistic coefficient of order "
    "10^4 kg/m^2, range against L/D)"
)

#: The presets by name.
PRESETS: dict[str, VehiclePreset] = {
    "srbm": VehiclePreset(
        generic_of="a single-stage liquid short-range ballistic missile, 300 km class",
        sources=_FORDEN + "; S. Zaloga, Scud Ballistic Missile and Launch Systems (2003)",
        fields={
            "kind": "ballistic",
            "payload_mass_kg": 1000,
            "ballistic_coefficient_kg_m2": 4000,
            "body_diameter_m": 0.9,
            "nose_radius_m": 0.1,
            "visible_area_m2": 0.8,
            "stages": [_stage(3700, 1200, 250, 226, 62) | {"propellant": "kerosene"}],
        },
    ),
    "mrbm": VehiclePreset(
        generic_of="a two-stage solid medium-range ballistic missile, 1,500-2,000 km class",
        sources=_FORDEN,
        fields={
            "kind": "ballistic",
            "payload_mass_kg": 1000,
            "ballistic_coefficient_kg_m2": 8000,
            "body_diameter_m": 1.4,
            "nose_radius_m": 0.05,
            "visible_area_m2": 1.0,
            "stages": [_stage(8000, 1100, 250, 225, 60), _stage(2200, 400, 270, 245, 50)],
        },
    ),
    "irbm": VehiclePreset(
        generic_of="a two-stage solid intermediate-range ballistic missile, 4,000 km class",
        sources=_FORDEN,
        fields={
            "kind": "ballistic",
            "payload_mass_kg": 1200,
            "ballistic_coefficient_kg_m2": 10000,
            "body_diameter_m": 1.8,
            "nose_radius_m": 0.05,
            "visible_area_m2": 1.2,
            "stages": [_stage(16000, 1900, 265, 240, 70), _stage(5500, 700, 285, 260, 60)],
        },
    ),
    "icbm": VehiclePreset(
        generic_of="a three-stage solid intercontinental ballistic missile, 10,000 km class",
        sources=_FORDEN + "; A. Parsch, Directory of U.S. Military Rockets and Missiles "
        "(Minuteman III-class stage masses and burn times)",
        fields={
            "kind": "ballistic",
            "payload_mass_kg": 1100,
            "ballistic_coefficient_kg_m2": 12000,
            "body_diameter_m": 1.7,
            "nose_radius_m": 0.04,
            "visible_area_m2": 1.5,
            "stages": [
                _stage(20800, 2000, 270, 245, 61),
                _stage(6200, 800, 290, 265, 66),
                _stage(3300, 350, 290, 265, 61),
            ],
        },
    ),
    "hgv-medium": VehiclePreset(
        generic_of="a boost-glide vehicle on a two-stage medium-range booster "
        "(Mach 9 release), 1,000-1,500 km class",
        sources=_GLIDE + "; " + _FORDEN,
        fields={
            "kind": "hgv",
            "payload_mass_kg": 1500,
            "lift_to_drag": 2.6,
            "ballistic_coefficient_kg_m2": 13000,
            "release_altitude_km": 45,
            "release_speed_km_s": 3.0,
            "body_diameter_m": 1.4,
            "nose_radius_m": 0.1,
            "visible_area_m2": 2.0,
            "stages": [_stage(9000, 1000, 265, 240, 60), _stage(3000, 400, 285, 260, 50)],
        },
    ),
    "hgv-long": VehiclePreset(
        generic_of="an HTV-2-like boost-glide vehicle on a three-stage intercontinental "
        "booster (Mach 20 release), 7,000-8,000 km class",
        sources=_GLIDE + "; " + _FORDEN,
        fields={
            "kind": "hgv",
            "payload_mass_kg": 1000,
            "lift_to_drag": 2.6,
            "ballistic_coefficient_kg_m2": 13000,
            "release_altitude_km": 55,
            "release_speed_km_s": 6.0,
            "body_diameter_m": 1.7,
            "nose_radius_m": 0.1,
            "visible_area_m2": 2.0,
            "max_heat_flux_mw_m2": 10.0,
            "stages": [
                _stage(30000, 3000, 270, 245, 70),
                _stage(12000, 1200, 290, 265, 65),
                _stage(4000, 500, 295, 270, 55),
            ],
        },
    ),
}


def expand_preset(entry: Any, where: str) -> Any:
    """A vehicle entry with its ``preset`` fields filled in (overrides win); other
    entries unchanged.

    Raises
    ------
    ValueError
        For an unknown preset name, naming ``where`` and the known presets.
    """
    if not isinstance(entry, Mapping) or entry.get("preset") is None:
        return entry  # no preset; ``preset: null`` is how a scenario copy writes "none"
    name = entry["preset"]
    if name not in PRESETS:
        raise ValueError(
            f"{where}.preset: unknown preset {name!r} (known: {', '.join(sorted(PRESETS))})"
        )
    out = dict(PRESETS[name].fields)
    out.update(entry)
    return out


def presets_description() -> str:
    """One line per preset (name, what it is generic of), for the scenario's schema."""
    return "; ".join(f"{name}: {p.generic_of}" for name, p in PRESETS.items())
