"""Scenario model of the spent upper stages flown after separation (light: no numerics).

The flight and signature they configure are in :mod:`tracklayer.threats.separation`.
"""

from __future__ import annotations

from pydantic import Field

from tracklayer.config_base import StrictModel

__all__ = ["SeparationConfig"]


class SeparationConfig(StrictModel):
    """The spent upper stage of each ballistic missile, flown after separation."""

    spent_stage: bool = Field(True, description="fly each ballistic missile's spent stage")
    delta_v_m_s: float = Field(
        3.0, ge=0.0, le=100.0, description="stage's separation speed, back along the velocity, m/s"
    )
    area_m2: float = Field(
        4.0,
        gt=0.0,
        le=100.0,
        description="stage's mean projected area (a quarter of its surface), m²",
    )
    emissivity: float = Field(0.85, gt=0.0, le=1.0, description="stage's grey-body emissivity")
    absorptivity: float = Field(0.5, gt=0.0, le=1.0, description="stage's solar absorptivity")
    breakup_altitude_km: float = Field(
        78.0, ge=0.0, le=200.0, description="the stage breaks up below this height, km"
    )
