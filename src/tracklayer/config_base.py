"""The base of every scenario model: strict, frozen, and with units in field names.

Scenario files speak degrees, km and UTC (``altitude_km``, ``inclination_deg``); models
convert to SI at this boundary through properties or at build time, never inside kernels.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    """A pydantic model that rejects unknown keys and cannot be mutated after validation."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


#: A nation by its ISO 3166-1 alpha-3 code (``USA``, ``JPN``, ``KOR``...).
OwnerCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{3}$",
        description="ISO 3166-1 alpha-3 country code, upper case (USA, JPN, KOR, AUS, GBR...)",
    ),
]
