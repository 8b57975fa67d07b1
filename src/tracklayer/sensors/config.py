"""Scenario model of a sensor payload's viewing geometry (degrees and km; SI on the way out)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from tracklayer.config_base import StrictModel
from tracklayer.constants import DEG, KM
from tracklayer.sensors.geometry import VisibilityConstraints
from tracklayer.sensors.ir_config import InfraredParameters


class NadirCone(StrictModel):
    """A field of regard shaped as a cone about geocentric nadir."""

    kind: Literal["nadir_cone"] = "nadir_cone"
    half_angle_deg: float = Field(
        gt=0.0, le=180.0, description="Cone half angle from nadir, degrees"
    )


class EarthLimb(StrictModel):
    """A field of regard reaching the Earth's limb, plus optionally some degrees above it.

    The cone about geocentric nadir that just holds the WGS84 disc seen from the satellite
    (half angle ``arcsin(a / r)``, a the equatorial radius), widened by ``above_limb_deg``.
    Look above the limb to see glide vehicles against space beyond the horizon.
    """

    kind: Literal["earth_limb"] = "earth_limb"
    above_limb_deg: float = Field(
        default=0.0, ge=0.0, le=90.0, description="Extra degrees above the Earth's limb"
    )


FieldOfRegard = Annotated[NadirCone | EarthLimb, Field(discriminator="kind")]


class SensorPayload(StrictModel):
    """A sensor payload's geometry: field of regard, atmosphere cut-off and range limits.

    ``infrared`` adds what the sensing stage needs (band, optics, noise, frame rate).
    """

    field_of_regard: FieldOfRegard = Field(
        default_factory=EarthLimb,
        description="nadir_cone {half_angle_deg} or earth_limb {above_limb_deg}",
    )
    grazing_altitude_km: float = Field(
        default=20.0,
        ge=0.0,
        le=200.0,
        description="Lines of sight whose tangent point lies below this height are blocked, km",
    )
    min_range_km: float = Field(default=0.0, ge=0.0, description="Minimum range, km")
    max_range_km: float | None = Field(
        default=None, gt=0.0, description="Maximum range, km (none: unlimited)"
    )
    infrared: InfraredParameters | None = Field(
        default=None,
        description="Infrared parameters (band, optics, noise) for the sensing stage; a "
        "payload without them takes part in coverage analyses only",
    )

    @model_validator(mode="after")
    def _ranges_ordered(self) -> SensorPayload:
        if self.max_range_km is not None and self.max_range_km <= self.min_range_km:
            raise ValueError(
                f"max_range_km must be greater than min_range_km ({self.min_range_km}), "
                f"got {self.max_range_km}"
            )
        return self

    def constraints(self, min_elevation_deg: float | None = None) -> VisibilityConstraints:
        """The payload's geometry in SI units.

        Parameters
        ----------
        min_elevation_deg
            Optional minimum elevation of the satellite seen from the target, degrees, added on
            top of the payload's own limits (used by coverage analyses).
        """
        fr = self.field_of_regard
        return VisibilityConstraints(
            grazing_altitude_m=self.grazing_altitude_km * KM,
            nadir_half_angle_rad=fr.half_angle_deg * DEG if isinstance(fr, NadirCone) else None,
            above_limb_rad=fr.above_limb_deg * DEG if isinstance(fr, EarthLimb) else None,
            min_range_m=self.min_range_km * KM,
            max_range_m=float("inf") if self.max_range_km is None else self.max_range_km * KM,
            min_elevation_rad=None if min_elevation_deg is None else min_elevation_deg * DEG,
        )
