"""Scenario model of a coverage analysis: region, grid, altitudes, time span and criterion."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator, model_validator

from tracklayer.config_base import StrictModel
from tracklayer.constants import DEG, KM
from tracklayer.sensors.config import SensorPayload
from tracklayer.sensors.geometry import VisibilityConstraints

#: Minimum elevation of the "elevation" criterion when the file gives none, degrees.
DEFAULT_MIN_ELEVATION_DEG = 10.0


class GlobalRegion(StrictModel):
    """The whole Earth."""

    kind: Literal["global"] = "global"


class BoxRegion(StrictModel):
    """A latitude/longitude box; ``lon_min_deg > lon_max_deg`` crosses the antimeridian.

    For example ``lon_min_deg: 100, lon_max_deg: -170`` runs east from 100 E across 180 to
    170 W.
    """

    kind: Literal["box"] = "box"
    lat_min_deg: float = Field(ge=-90.0, le=90.0)
    lat_max_deg: float = Field(ge=-90.0, le=90.0)
    lon_min_deg: float = Field(ge=-180.0, le=360.0)
    lon_max_deg: float = Field(ge=-180.0, le=360.0)

    @model_validator(mode="after")
    def _ordered(self) -> BoxRegion:
        if self.lat_min_deg >= self.lat_max_deg:
            raise ValueError(
                f"lat_min_deg ({self.lat_min_deg}) must be less than lat_max_deg "
                f"({self.lat_max_deg})"
            )
        if self.lon_min_deg == self.lon_max_deg:
            raise ValueError(
                "lon_min_deg and lon_max_deg must differ (use -180 and 180 for all longitudes)"
            )
        return self

    @property
    def lon_width_deg(self) -> float:
        """Eastward extent from ``lon_min_deg`` to ``lon_max_deg``, degrees, in (0, 360]."""
        w = (self.lon_max_deg - self.lon_min_deg) % 360.0
        return 360.0 if w == 0.0 else w


class PolygonRegion(StrictModel):
    """A polygon of ``[lat_deg, lon_deg]`` vertices, joined by straight lines in lat/lon.

    Consecutive vertices are joined the short way round in longitude, so a polygon may cross
    the antimeridian.
    """

    kind: Literal["polygon"] = "polygon"
    vertices_deg: list[tuple[float, float]] = Field(
        min_length=3, description="[[lat_deg, lon_deg], ...], at least 3 vertices"
    )

    @field_validator("vertices_deg")
    @classmethod
    def _in_range(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for i, (lat, lon) in enumerate(v):
            if not -90.0 <= lat <= 90.0:
                raise ValueError(f"vertex {i}: latitude must be in [-90, 90], got {lat}")
            if not -180.0 <= lon <= 360.0:
                raise ValueError(f"vertex {i}: longitude must be in [-180, 360], got {lon}")
        return v


Region = Annotated[GlobalRegion | BoxRegion | PolygonRegion, Field(discriminator="kind")]


class CoverageConfig(StrictModel):
    """A coverage analysis.

    ``criterion: sensor`` uses each satellite's payload geometry (field of regard, grazing
    altitude, ranges); ``min_elevation_deg``, when given, applies on top of it. ``criterion:
    elevation`` is the classic literature criterion alone: the satellite at least
    ``min_elevation_deg`` (default 10) above the point's horizon, with the hard Earth as the
    only other obstacle.
    """

    region: Region = Field(default_factory=GlobalRegion)
    cell_size_deg: float = Field(
        default=1.0, gt=0.0, le=30.0, description="Cell size of the equal-area grid, degrees"
    )
    altitudes_km: list[float] = Field(
        default_factory=lambda: [0.0],
        min_length=1,
        description="Target altitudes, km: 0 for boost plumes, e.g. [20, 50, 80] for glide",
    )
    start: datetime | None = Field(
        default=None, description="Start of the span, ISO 8601 UTC (default: scenario epoch)"
    )
    duration_s: float = Field(default=86400.0, gt=0.0, description="Length of the span, s")
    step_s: float = Field(default=60.0, gt=0.0, description="Time step, s")
    criterion: Literal["sensor", "elevation"] = "sensor"
    min_elevation_deg: float | None = Field(
        default=None,
        ge=0.0,
        lt=90.0,
        description="Minimum elevation, degrees (elevation criterion: default 10; sensor: "
        "none unless given)",
    )
    k: list[int] = Field(
        default_factory=lambda: [1, 2],
        min_length=1,
        description="Multiplicities for percent time covered by >= k satellites",
    )

    @field_validator("altitudes_km")
    @classmethod
    def _altitudes(cls, v: list[float]) -> list[float]:
        for i, h in enumerate(v):
            if not 0.0 <= h <= 1000.0:
                raise ValueError(f"altitudes_km[{i}]: must be in [0, 1000] km, got {h}")
        if len(set(v)) != len(v):
            raise ValueError(f"altitudes_km must not repeat a value, got {v}")
        return sorted(v)

    @field_validator("k")
    @classmethod
    def _ks(cls, v: list[int]) -> list[int]:
        for i, k in enumerate(v):
            if k < 1:
                raise ValueError(f"k[{i}]: must be >= 1, got {k}")
        return sorted(set(v))

    @field_validator("start")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        if v is None:
            return None
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError(f"must include a time zone, e.g. 2025-01-01T00:00:00Z, got {v}")
        return v.astimezone(UTC)

    @model_validator(mode="after")
    def _step_fits(self) -> CoverageConfig:
        if self.step_s > self.duration_s:
            raise ValueError(
                f"step_s ({self.step_s}) must not exceed duration_s ({self.duration_s})"
            )
        return self

    @property
    def altitudes_m(self) -> NDArray[np.float64]:
        """Target altitudes, m."""
        return np.asarray(self.altitudes_km, dtype=np.float64) * KM

    @property
    def min_elevation_rad(self) -> float | None:
        """The elevation limit that applies under this criterion, rad (None: no limit)."""
        if self.min_elevation_deg is not None:
            return self.min_elevation_deg * DEG
        return DEFAULT_MIN_ELEVATION_DEG * DEG if self.criterion == "elevation" else None

    def constraints_for(self, payload: SensorPayload | None) -> VisibilityConstraints:
        """Visibility constraints of a satellite carrying ``payload`` under this criterion.

        Parameters
        ----------
        payload
            The satellite's payload; ignored (may be None) for the elevation criterion.
        """
        e = self.min_elevation_rad
        if self.criterion == "elevation":
            return VisibilityConstraints(min_elevation_rad=e)
        if payload is None:
            raise ValueError("the sensor criterion needs each satellite's payload")
        return payload.constraints(None if e is None else e / DEG)

    def sample_seconds(self, epoch: datetime) -> NDArray[np.float64]:
        """Sample times in seconds since ``epoch``: ``start + i * step_s`` within the span.

        Each sample stands for the step that follows it, so the span is ``n * step_s`` long
        (the last step is shortened when ``step_s`` does not divide ``duration_s``).
        """
        offset = 0.0 if self.start is None else (self.start - epoch).total_seconds()
        n = int(np.ceil(self.duration_s / self.step_s - 1e-9))
        return offset + np.arange(n, dtype=np.float64) * self.step_s
