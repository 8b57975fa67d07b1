"""Scenario models for constellations: Walker patterns, TLE files and OMM files.

Scenario files speak degrees and km; :mod:`tracklayer.space.walker` converts to SI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from tracklayer.config_base import OwnerCode, StrictModel
from tracklayer.constants import DEG

__all__ = [
    "ConstellationConfig",
    "OmmConstellation",
    "TleConstellation",
    "WalkerConstellation",
]

_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class _ConstellationBase(StrictModel):
    """Fields every constellation has: who owns it and what each satellite carries."""

    name: str = Field(
        min_length=1,
        max_length=40,
        pattern=_NAME_PATTERN,
        description="Short name, used in satellite ids (letters, digits, '_', '.', '-'), "
        "e.g. TRK gives ids like USA-TRK-P03-S07",
    )
    owner: OwnerCode
    sensor: str = Field(
        min_length=1, description="Name of the sensor payload (a key of the scenario's sensors)"
    )


class WalkerConstellation(_ConstellationBase):
    """A Walker delta or star pattern T/P/F of circular (or near-circular) orbits.

    Plane ``j`` (0-based) has right ascension of the ascending node
    ``raan0 + j * raan_spread / P``; satellite ``k`` of that plane has mean argument of
    latitude ``k * 360 / S + j * F * 360 / T`` degrees, with ``S = T / P`` (Walker,
    "Satellite constellations", JBIS 37, 1984). The star pattern uses the same phasing
    with the planes spread over 180 degrees.
    """

    kind: Literal["walker_delta", "walker_star"]
    total: int = Field(ge=1, description="T, total number of satellites")
    planes: int = Field(ge=1, description="P, number of equally spaced orbit planes")
    phasing: int = Field(
        ge=0, description="F, relative phasing between adjacent planes, 0..P-1 (units of 360/T)"
    )
    altitude_km: float = Field(
        gt=0.0,
        le=100_000.0,
        description="Mean altitude: mean geocentric radius over an orbit minus the WGS84 "
        "equatorial radius, km",
    )
    inclination_deg: float = Field(ge=0.0, le=180.0, description="Inclination, degrees")
    raan_spread_deg: float | None = Field(
        default=None,
        gt=0.0,
        le=360.0,
        description="Span of the ascending nodes, degrees (default 360 for walker_delta, "
        "180 for walker_star)",
    )
    raan0_deg: float = Field(
        default=0.0, ge=-360.0, le=360.0, description="Node of the first plane, degrees"
    )
    eccentricity: float = Field(default=0.0, ge=0.0, lt=0.5, description="Mean eccentricity")

    @model_validator(mode="after")
    def _check_pattern(self) -> WalkerConstellation:
        if self.total % self.planes != 0:
            raise ValueError(
                f"total ({self.total}) must be a multiple of planes ({self.planes}) "
                "so that every plane holds the same number of satellites"
            )
        if self.phasing >= self.planes:
            raise ValueError(
                f"phasing must be in 0..planes-1 = 0..{self.planes - 1}, got {self.phasing}"
            )
        return self

    @property
    def raan_spread_rad(self) -> float:
        """Span of the ascending nodes, rad (the kind's default when not given)."""
        spread = self.raan_spread_deg
        if spread is None:
            spread = 360.0 if self.kind == "walker_delta" else 180.0
        return spread * DEG

    @property
    def per_plane(self) -> int:
        """S = T / P, satellites per plane."""
        return self.total // self.planes


class TleConstellation(_ConstellationBase):
    """Satellites read from a two- or three-line element file."""

    kind: Literal["tle"]
    file: Path = Field(description="TLE file, relative to the scenario file's folder")
    select: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Keep only these satellites, by name (3-line files) or catalogue number",
    )


class OmmConstellation(_ConstellationBase):
    """Satellites read from a CCSDS OMM file (JSON, CSV, XML or KVN, chosen by the suffix)."""

    kind: Literal["omm"]
    file: Path = Field(
        description=(
            "OMM file (.json, .csv, .xml, or .omm/.kvn for KVN), relative to the scenario "
            "file's folder"
        )
    )
    select: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Keep only these satellites, by OBJECT_NAME or NORAD_CAT_ID",
    )

    @model_validator(mode="after")
    def _check_suffix(self) -> OmmConstellation:
        if self.file.suffix.lower() not in {".json", ".csv", ".xml", ".omm", ".kvn"}:
            raise ValueError(
                "file must end in .json, .csv, .xml, .omm or .kvn to say its OMM encoding, "
                f"got '{self.file}'"
            )
        return self


#: One constellation of a scenario, told apart by its ``kind``.
ConstellationConfig = Annotated[
    WalkerConstellation | TleConstellation | OmmConstellation, Field(discriminator="kind")
]
