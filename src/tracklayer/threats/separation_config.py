"""Scenario model of the spent upper stages flown after separation (light: no numerics).

The flight and signature they configure are in :mod:`tracklayer.threats.separation`, the
vented propellant's cloud in :mod:`tracklayer.threats.venting`.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from tracklayer.config_base import StrictModel

__all__ = ["ParticleCloud", "SeparationConfig", "VentingConfig"]

#: Flash-freezing vapour fraction of water from 20 °C, ``(c ΔT + L_f) / (L_v + L_f)`` (see
#: :func:`tracklayer.threats.venting.flash_vapour_fraction`, which the tests compare).
_WATER_FLASH_VAPOUR = (4186.0 * 20.0 + 3.34e5) / (2.501e6 + 3.34e5)


class ParticleCloud(StrictModel):
    """One population of the vented cloud's particles."""

    radius_um: float = Field(gt=0.0, le=5000.0, description="particle radius, µm")
    expansion_speed_m_s: float = Field(
        gt=0.0, le=5000.0, description="speed at which this cloud grows, m/s"
    )
    lifetime_s: float = Field(
        gt=0.0, le=1e7, description="e-folding time of its mass (sublimation), s"
    )
    temperature_k: float = Field(gt=0.0, le=400.0, description="particle temperature, K")


class VentingConfig(StrictModel):
    """Residual propellant vented by each spent liquid stage after separation."""

    vented_mass_kg: float = Field(
        200.0, gt=0.0, le=1e5, description="liquid vented by each spent liquid stage, kg"
    )
    duration_s: float = Field(60.0, gt=0.0, le=3600.0, description="length of the vent, s")
    delay_s: float = Field(
        0.0, ge=0.0, le=3600.0, description="start of the vent after separation, s"
    )
    condensed_fraction: float | None = Field(
        None,
        gt=0.0,
        le=1.0,
        description="share of the vented mass that condenses into particles "
        "(default: water's flash-freezing balance from 20 °C, 0.85)",
    )
    fog_fraction: float = Field(
        0.02,
        ge=0.0,
        le=1.0,
        description="share of the vented mass recondensed from the vapour as fine fog "
        "(the rest of the condensate is droplets the size of the vent's stream)",
    )
    fog: ParticleCloud = Field(
        default_factory=lambda: ParticleCloud(
            radius_um=0.5, expansion_speed_m_s=1000.0, lifetime_s=300.0, temperature_k=180.0
        ),
        description="the fine fog recondensed from the over-expanded vapour",
    )
    droplets: ParticleCloud = Field(
        default_factory=lambda: ParticleCloud(
            radius_um=500.0, expansion_speed_m_s=10.0, lifetime_s=1e4, temperature_k=200.0
        ),
        description="the stream's fragments, frozen droplets the size of the orifice",
    )
    particle_density_kg_m3: float = Field(
        917.0, gt=0.0, le=5000.0, description="density of the particles (ice 917), kg/m³"
    )
    refractive_index: tuple[float, float] = Field(
        (1.30, 0.0),
        description="complex refractive index [n, k] of the particles (ice in the near infrared)",
    )
    refractive_index_by_band: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="band name -> [n, k], where it differs"
    )

    @model_validator(mode="after")
    def _fog_within_condensate(self) -> VentingConfig:
        if self.fog_fraction > self.condensed_fraction_value:
            raise ValueError(
                f"fog_fraction: {self.fog_fraction} exceeds the condensed fraction "
                f"{self.condensed_fraction_value:.3f}"
            )
        return self

    @property
    def condensed_fraction_value(self) -> float:
        """The condensed share: as given, else water's flash-freezing balance."""
        if self.condensed_fraction is not None:
            return self.condensed_fraction
        return 1.0 - _WATER_FLASH_VAPOUR

    def populations(self) -> list[tuple[float, ParticleCloud]]:
        """``(share of the vented mass, cloud)`` of the fog and of the droplets."""
        return [
            (self.fog_fraction, self.fog),
            (self.condensed_fraction_value - self.fog_fraction, self.droplets),
        ]

    def index_in(self, band: str) -> complex:
        """Complex refractive index ``n + i k`` of the particles in ``band``."""
        n, k = self.refractive_index_by_band.get(band, self.refractive_index)
        return complex(n, k)


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
    venting: VentingConfig | None = Field(
        None,
        description="residual propellant vented by spent liquid stages (none when omitted; "
        "solid stages never vent)",
    )
