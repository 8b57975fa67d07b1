"""Scenario models of the ``threats:`` section: Earth options, bands, vehicles and raids.

Units in the file are degrees, km, kg, kN and seconds (each field name says which);
:mod:`tracklayer.threats.raid` converts them to SI when it builds the flyout batch.
Parameter defaults are open-literature orders of magnitude, not the figures of any
particular weapon.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from tracklayer.config_base import StrictModel
from tracklayer.constants import EARTH_MEAN_RADIUS_M, G0_M_S2, KM, MU_EARTH_M3_S2
from tracklayer.errors import ScenarioError
from tracklayer.threats.presets import PRESETS, expand_preset, presets_description
from tracklayer.threats.separation_config import SeparationConfig

#: A band name usable in a column name (``intensity_<band>_w_sr``).
BandName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*$")]

#: Default sensor bands, micrometres: the two absorption bands of missile warning, where
#: the air hides the ground, sunlit clouds and a plume on the launch pad, and opens as the
#: booster climbs (the 2.7 um and 4.3 um colours of the DSP/SBIRS warning sensors:
#: Richelson, *America's Space Sentinels*, 1999; Forden, "SBIRS - signal and background",
#: Arms Control Wonk, 2008).
#:
#: - ``swir`` 2.65-2.80 um: inside the core of the 2.7 um H2O/CO2 band, where water vapour
#:   absorbs. LOWTRAN7 passes under 1e-3 from 3 km to space and over 0.1 from 10 km; a
#:   wider band (2.6-2.9 um) reaches the red wing, 2.83-2.90 um, that passes a tenth of the
#:   light from sea level.
#: - ``mwir`` 4.20-4.40 um: the core of the 4.3 um CO2 band. CO2 is well mixed, so the core
#:   stays opaque into the stratosphere: LOWTRAN7 passes under 1e-4 from 3 km and over 0.1
#:   only from about 20 km. A band out to 4.5 um takes in the red wing, which passes about
#:   1e-2 from sea level.
#:
#: :mod:`tracklayer.sensors.detect` uses the same bands when its caller gives none.
DEFAULT_BANDS_UM: dict[str, tuple[float, float]] = {"swir": (2.65, 2.80), "mwir": (4.20, 4.40)}

#: Sea-level over vacuum specific impulse of a stage that does not state its own: the
#: ideal-nozzle thrust coefficients (Sutton & Biblarz, *Rocket Propulsion Elements*, 9th
#: ed., 2017, ch. 3) of a nozzle of area ratio 10, gamma 1.2, chamber pressure 7 MPa are
#: 1.74 in vacuum and 1.60 at sea level, a ratio of 0.92; 0.9 rounds it down for the
#: lower chamber pressures of tactical motors.
SEA_LEVEL_ISP_RATIO = 0.9


class EarthOptions(StrictModel):
    """The Earth the threats fly over: WGS84 or a sphere, rotating or not, J2, atmosphere."""

    model: Literal["wgs84", "spherical"] = Field(
        "wgs84", description="wgs84 ellipsoid, or a sphere of the mean Earth radius"
    )
    rotating: bool = Field(True, description="integrate in the rotating ECEF frame")
    j2: bool = Field(True, description="add the J2 zonal term to point-mass gravity")
    atmosphere: bool = Field(True, description="US Standard Atmosphere 1976 drag and lift")


class StageConfig(StrictModel):
    """One boost stage: masses, burn time, and either specific impulse or thrust.

    The plume's in-band radiant intensity is ``plume_intensity_w_sr[band]`` when given,
    otherwise ``plume_radiative_fraction`` of the jet power ``F v_e / 2``, radiated
    isotropically with the spectral shape of a blackbody at ``plume_temperature_k``.
    """

    propellant_mass_kg: float = Field(gt=0, description="propellant burnt by this stage, kg")
    dry_mass_kg: float = Field(gt=0, description="stage mass after burnout, dropped at staging")
    burn_time_s: float = Field(gt=0, le=1000, description="burn duration, s")
    isp_s: float | None = Field(None, gt=0, le=500, description="vacuum specific impulse, s")
    thrust_kn: float | None = Field(None, gt=0, description="vacuum thrust, kN (instead of isp_s)")
    isp_sea_level_s: float | None = Field(
        None,
        gt=0,
        le=500,
        description="sea-level specific impulse, s (default 0.9 of the vacuum value); the "
        "thrust is interpolated between the two with the ambient pressure",
    )
    plume_intensity_w_sr: dict[BandName, Annotated[float, Field(ge=0)]] | None = Field(
        None, description="in-band plume radiant intensity per band, W/sr"
    )
    plume_radiative_fraction: float = Field(
        0.02, gt=0, le=1, description="fraction of jet power radiated by the plume"
    )
    plume_temperature_k: float = Field(1800.0, gt=300, le=4000)
    propellant: Literal["solid", "kerosene", "udmh_n2o4", "liquid"] = Field(
        "solid",
        description="propellant class: solid (aluminized composite), kerosene (with LOX or "
        "nitric acid), udmh_n2o4 (storable hypergols); sets the exhaust's H2O/CO2 bands and "
        "particle continuum, and so the plume's band shares and its atmospheric "
        "transmittance (liquid: read as kerosene)",
    )

    @model_validator(mode="after")
    def _one_of_isp_thrust(self) -> StageConfig:
        if (self.isp_s is None) == (self.thrust_kn is None):
            raise ValueError("give exactly one of isp_s and thrust_kn")
        if self.isp_sea_level_s is not None and self.isp_sea_level_s > self.vacuum_isp_s:
            raise ValueError(
                f"isp_sea_level_s: must not exceed the vacuum specific impulse "
                f"{self.vacuum_isp_s:.0f} s, got {self.isp_sea_level_s:g}"
            )
        return self

    @property
    def vacuum_isp_s(self) -> float:
        """Vacuum specific impulse, s (given, or from the vacuum thrust)."""
        return self.exhaust_velocity_m_s / G0_M_S2

    @property
    def sea_level_isp_s(self) -> float:
        """Sea-level specific impulse, s (given, or :data:`SEA_LEVEL_ISP_RATIO` of vacuum)."""
        if self.isp_sea_level_s is not None:
            return self.isp_sea_level_s
        return SEA_LEVEL_ISP_RATIO * self.vacuum_isp_s

    @property
    def mass_flow_kg_s(self) -> float:
        return self.propellant_mass_kg / self.burn_time_s

    @property
    def exhaust_velocity_m_s(self) -> float:
        """Vacuum effective exhaust velocity ``g0 Isp`` (or thrust / mass flow), m/s."""
        if self.isp_s is not None:
            return self.isp_s * G0_M_S2
        assert self.thrust_kn is not None
        return self.thrust_kn * KM / self.mass_flow_kg_s

    @property
    def thrust_n(self) -> float:
        """Vacuum thrust, N."""
        return self.mass_flow_kg_s * self.exhaust_velocity_m_s

    @property
    def thrust_sea_level_n(self) -> float:
        """Thrust at sea-level pressure, N."""
        return self.mass_flow_kg_s * self.sea_level_isp_s * G0_M_S2


class _VehicleBase(StrictModel):
    preset: str | None = Field(
        None,
        description="start from this preset and override the fields given: "
        + presets_description(),
    )
    stages: list[StageConfig] = Field(min_length=1, max_length=4)
    payload_mass_kg: float = Field(gt=0, description="re-entry vehicle or glider mass, kg")
    body_diameter_m: float = Field(1.4, gt=0, le=10, description="booster diameter, m")
    body_drag_coefficient: float = Field(0.3, gt=0, le=3, description="booster Cd")
    vertical_rise_s: float = Field(8.0, gt=0, le=60, description="vertical rise before pitch-over")
    nose_radius_m: float = Field(0.1, gt=0, le=5, description="stagnation-point nose radius, m")
    emissivity: float = Field(0.85, gt=0, le=1, description="grey-body surface emissivity")
    visible_area_m2: float = Field(1.0, gt=0, description="mean projected area seen by a sensor")
    body_heating_fraction: float = Field(
        0.1, gt=0, le=1, description="body heat flux as a fraction of the stagnation-point flux"
    )
    cold_temperature_k: float = Field(
        300.0, gt=0, le=1000, description="surface temperature before aerodynamic heating, K"
    )
    skin_heat_capacity_kj_m2_k: float = Field(
        10.0, gt=0, le=1000, description="skin heat capacity per unit area, kJ/(m^2 K)"
    )
    solar_absorptance: float = Field(0.8, gt=0, le=1, description="skin absorptance of sunlight")

    @property
    def launch_mass_kg(self) -> float:
        stages = sum(s.propellant_mass_kg + s.dry_mass_kg for s in self.stages)
        return stages + self.payload_mass_kg


class BallisticVehicleConfig(_VehicleBase):
    """A staged ballistic missile whose re-entry vehicle separates at final burnout."""

    kind: Literal["ballistic"]
    ballistic_coefficient_kg_m2: float = Field(
        8000.0, gt=0, description="re-entry vehicle m/(Cd A), kg/m^2"
    )


class HGVConfig(_VehicleBase):
    """A boost-glide vehicle: booster to release, pull-up, equilibrium glide, dive.

    Its aerodynamics are a parabolic drag polar (:mod:`tracklayer.threats.aero`) stated by
    its maximum lift-to-drag ratio, the ballistic coefficient there and the angles of
    attack of maximum L/D and of maximum lift; its guidance flies the equilibrium-glide
    corridor within the stated heating and dynamic-pressure limits and manages its energy
    to reach the aim point (:mod:`tracklayer.threats.glide`).
    """

    kind: Literal["hgv"]
    release_altitude_km: float = Field(gt=20, le=200, description="altitude at release, km")
    release_speed_km_s: float = Field(gt=0, description="Earth-relative speed at release, km/s")
    release_flight_path_angle_deg: float = Field(0.0, ge=-30, le=45)
    lift_to_drag: float = Field(
        2.6, gt=0, le=10, description="maximum lift-to-drag ratio (L/D)max of the drag polar"
    )
    ballistic_coefficient_kg_m2: float = Field(
        13000.0, gt=0, description="glider m/(C_D S) at maximum L/D, kg/m^2"
    )
    alpha_max_ld_deg: float = Field(
        10.0, gt=0, le=40, description="angle of attack of maximum L/D, deg"
    )
    alpha_max_deg: float = Field(
        20.0, gt=0, le=60, description="largest angle of attack flown (maximum lift), deg"
    )
    max_dynamic_pressure_kpa: float = Field(
        150.0, gt=0, description="dynamic-pressure limit of the glide, kPa"
    )
    max_heat_flux_mw_m2: float = Field(
        8.0,
        gt=0,
        description="stagnation-point heat-flux limit of the glide (Sutton-Graves at "
        "nose_radius_m), MW/m^2",
    )
    terminal_speed_km_s: float = Field(
        1.2,
        gt=0,
        description="speed the energy management plans to have at the start of the dive, km/s",
    )
    turn_bank_limit_deg: float = Field(
        60.0, gt=0, lt=90, description="largest bank angle given to turns and S-turns"
    )
    crossrange_offset_deg: float = Field(
        0.0, ge=0, le=60, description="launch azimuth off the aim bearing (sign drawn at random)"
    )
    weave_amplitude_deg: float = Field(8.0, ge=0, le=60, description="heading weave amplitude")
    weave_period_s: float = Field(120.0, gt=0, description="heading weave period, s")
    manoeuvre_range_km: float = Field(800.0, ge=0, description="weave starts inside this range")
    terminal_range_km: float = Field(60.0, gt=0, description="terminal dive starts inside this")

    @model_validator(mode="after")
    def _polar_and_speeds(self) -> HGVConfig:
        if self.alpha_max_deg < self.alpha_max_ld_deg:
            raise ValueError(
                f"alpha_max_deg: must be at least alpha_max_ld_deg ({self.alpha_max_ld_deg:g}), "
                f"got {self.alpha_max_deg:g}"
            )
        if self.terminal_speed_km_s >= self.release_speed_km_s:
            raise ValueError(
                f"terminal_speed_km_s: must be below release_speed_km_s "
                f"({self.release_speed_km_s:g}), got {self.terminal_speed_km_s:g}"
            )
        return self

    @field_validator("release_speed_km_s")
    @classmethod
    def _below_orbital(cls, v: float, info: ValidationInfo) -> float:
        h_km = info.data.get("release_altitude_km")
        if h_km is not None:
            v_circ = math.sqrt(MU_EARTH_M3_S2 / (EARTH_MEAN_RADIUS_M + h_km * KM)) / KM
            if v >= v_circ:
                raise ValueError(
                    f"must be below the circular orbital speed {v_circ:.2f} km/s at the "
                    f"release altitude {h_km:g} km (a glider needs lift to stay up), got {v:g}"
                )
        return v


Vehicle = Annotated[BallisticVehicleConfig | HGVConfig, Field(discriminator="kind")]


def _presets_schema(schema: dict[str, Any]) -> None:
    """Let editors accept ``{preset: <name>, ...}`` entries (kind then comes from the preset)."""
    entry = schema.get("additionalProperties")
    if entry is None:
        return
    schema["additionalProperties"] = {
        "anyOf": [
            entry,
            {
                "type": "object",
                "required": ["preset"],
                "properties": {"preset": {"enum": sorted(PRESETS)}},
                "description": "a preset with field overrides: " + presets_description(),
            },
        ]
    }


class AreaConfig(StrictModel):
    """A disc on the Earth's surface: centre latitude/longitude and radius."""

    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=360)
    radius_km: float = Field(0.0, ge=0, le=2000)


class RaidConfig(StrictModel):
    """``count`` vehicles of one type, from points drawn in ``launch`` toward ``aim``.

    Launch and aim points are drawn uniformly over the discs' areas and launch times
    uniformly in ``[launch_time_s, launch_time_s + launch_spread_s]`` from the seeded
    generator; ``trajectory`` shapes ballistic flight and is refused for HGVs.
    """

    name: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]+$")
    vehicle: str
    count: int = Field(1, ge=1, le=100_000)
    launch: AreaConfig
    aim: AreaConfig
    launch_time_s: float = Field(0.0, ge=0, description="first launch after the epoch, s")
    launch_spread_s: float = Field(0.0, ge=0, description="launch times spread over this, s")
    trajectory: Literal["minimum_energy", "lofted", "depressed"] | None = Field(
        None, description="ballistic shape (default minimum_energy)"
    )
    trajectory_offset_deg: float = Field(
        15.0, gt=0, lt=45, description="lofted/depressed burnout flight-path angle offset"
    )


class ThreatsConfig(StrictModel):
    """The scenario's ``threats:`` section."""

    earth: EarthOptions = EarthOptions()
    bands: dict[BandName, tuple[float, float]] = Field(
        default_factory=lambda: dict(DEFAULT_BANDS_UM),
        description="infrared bands, [low, high] micrometres (default: the warning bands "
        "swir 2.65-2.80, inside the 2.7 um water band, and mwir 4.20-4.40, the 4.3 um CO2 "
        "band's core, where the air hides the ground and a low plume)",
    )
    vehicles: dict[str, Vehicle] = Field(
        default_factory=dict,
        description="vehicle types by name; an entry may start from a preset "
        "({preset: mrbm, ...overrides}): " + presets_description(),
        json_schema_extra=_presets_schema,
    )
    raids: list[RaidConfig] = Field(default_factory=list)
    separation: SeparationConfig = Field(
        default_factory=SeparationConfig,
        description="spent upper stages flown as their own objects after burnout",
    )

    @field_validator("vehicles", mode="before")
    @classmethod
    def _expand_presets(cls, v: Any) -> Any:
        if not isinstance(v, Mapping):
            return v
        return {name: expand_preset(entry, name) for name, entry in v.items()}

    @field_validator("bands")
    @classmethod
    def _bands_ordered(cls, v: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        if not v:
            raise ValueError("give at least one band")
        for name, (lo, hi) in v.items():
            if not 0.1 <= lo < hi <= 100.0:
                raise ValueError(
                    f"{name}: expected 0.1 <= low < high <= 100 micrometres, got [{lo}, {hi}]"
                )
        return v

    @model_validator(mode="after")
    def _raids_refer_to_vehicles(self) -> ThreatsConfig:
        names: set[str] = set()
        for k, raid in enumerate(self.raids):
            if raid.vehicle not in self.vehicles:
                known = ", ".join(sorted(self.vehicles)) or "none defined"
                raise ValueError(
                    f"raids[{k}].vehicle: unknown vehicle {raid.vehicle!r} (known: {known})"
                )
            if self.vehicles[raid.vehicle].kind == "hgv" and raid.trajectory is not None:
                raise ValueError(
                    f"raids[{k}].trajectory: only ballistic vehicles take a trajectory shape"
                )
            name = raid_name(raid, k)
            if name in names:
                raise ValueError(f"raids[{k}].name: duplicate raid name {name!r}")
            names.add(name)
        for vname, veh in self.vehicles.items():
            for s, stage in enumerate(veh.stages):
                extra = set(stage.plume_intensity_w_sr or {}) - set(self.bands)
                if extra:
                    raise ValueError(
                        f"vehicles.{vname}.stages[{s}].plume_intensity_w_sr: unknown band(s) "
                        f"{sorted(extra)} (bands: {sorted(self.bands)})"
                    )
        vent = self.separation.venting
        extra = set(vent.refractive_index_by_band if vent else ()) - set(self.bands)
        if extra:
            raise ValueError(
                f"separation.venting.refractive_index_by_band: unknown band(s) {sorted(extra)} "
                f"(bands: {sorted(self.bands)})"
            )
        return self


def raid_name(raid: RaidConfig, index: int) -> str:
    """The raid's name, or ``raid<k>`` (1-based) when it has none."""
    return raid.name if raid.name is not None else f"raid{index + 1}"


def parse_threats_config(data: Mapping[str, Any], *, where: str = "threats") -> ThreatsConfig:
    """Validate a ``threats:`` mapping, turning pydantic errors into a :class:`ScenarioError`.

    Parameters
    ----------
    data
        The section as loaded from YAML.
    where
        Prefix of every field path in messages (the section's path in the scenario).

    Raises
    ------
    ScenarioError
        One line per problem, ``<path>: <what was expected>, got <value>``.
    """
    try:
        return ThreatsConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(
                f"[{p}]" if isinstance(p, int) else str(p)
                for p in (where, *err["loc"])
                if not (isinstance(p, str) and p in ("ballistic", "hgv"))
            ).replace(".[", "[")
            msg = err["msg"].removeprefix("Value error, ")
            got = err.get("input")
            suffix = "" if isinstance(got, dict | list) or got is None else f", got {got!r}"
            lines.append(f"{loc}: {msg}{suffix}")
        raise ScenarioError("\n".join(lines)) from None
