"""The base of every scenario model: strict, frozen, and with units in field names.

Scenario files speak degrees, km and UTC (``altitude_km``, ``inclination_deg``); models
convert to SI at this boundary through properties or at build time, never inside kernels.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A pydantic model that rejects unknown keys and cannot be mutated after validation."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
