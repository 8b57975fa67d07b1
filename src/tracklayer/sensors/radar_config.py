"""Scenario model of a ground radar site (degrees, km, dB in the file; SI through accessors).

The radar's sensitivity is either given by its radar-equation parameters (peak power, antenna
gain, wavelength, noise figure, bandwidth, losses, pulses integrated) or by a reference range
at which a reference cross-section reaches the detection threshold; either way the
single-look signal-to-noise ratio scales as ``σ / R⁴`` (Skolnik, *Introduction to Radar
Systems*, 3rd ed., eq. 2.50). Defaults are those of a generic long-range early-warning radar
(UHF, megawatt class), not of a particular site.

Presets (``preset``) fill the fields a scenario leaves out with open-literature orders of
magnitude, not any site's figures:

* ``xband_tpy2``: a transportable X-band search-and-track radar of the AN/TPY-2 class
  (3.2 cm wavelength, fine angles and range; detects a 0.01 m² re-entry vehicle at the
  order of 1,000 km: National Research Council, *Making Sense of Ballistic Missile
  Defense*, 2012, ch. 3 and app. D);
* ``uhf_early_warning``: a UHF early-warning radar of the PAVE PAWS/UEWR class (70 cm
  wavelength, about 3,000 nautical miles (5,500 km) against a 10 m² target class, coarse
  angles: Skolnik, *Radar Handbook*, 3rd ed., 2008, ch. 13 on phased-array radars).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, model_validator

from tracklayer.config_base import OwnerCode, StrictModel
from tracklayer.constants import BOLTZMANN_J_K, DEG, KM

#: Standard reference noise temperature T0, K (IEEE Std 145).
T0_K = 290.0


#: Named radars (module notes): each fills the fields a scenario leaves out.
RADAR_PRESETS: dict[str, dict[str, Any]] = {
    "xband_tpy2": {
        "wavelength_m": 0.032,
        "reference_range_km": 1000.0,
        "reference_rcs_m2": 0.01,
        "range_sigma_m": 5.0,
        "azimuth_sigma_mrad": 0.3,
        "elevation_sigma_mrad": 0.3,
        "revisit_s": 2.0,
        "min_elevation_deg": 2.0,
        "instrumented_range_km": 3000.0,
        "swerling": 3,
    },
    "uhf_early_warning": {
        "wavelength_m": 0.7,
        "reference_range_km": 5500.0,
        "reference_rcs_m2": 10.0,
        "range_sigma_m": 30.0,
        "azimuth_sigma_mrad": 2.0,
        "elevation_sigma_mrad": 2.0,
        "revisit_s": 10.0,
        "min_elevation_deg": 3.0,
        "instrumented_range_km": 5600.0,
        "swerling": 1,
    },
}


class ConeTarget(StrictModel):
    """The threats' body as a cone for the radar's cross-section by aspect
    (:mod:`tracklayer.sensors.rcs`); the nose is taken along the velocity."""

    half_angle_deg: float = Field(10.0, gt=0.0, lt=60.0, description="cone half-angle, deg")
    base_radius_m: float = Field(0.3, gt=0.0, le=5.0, description="base radius, m")


class GroundRadar(StrictModel):
    """A ground radar: its site, horizon, sensitivity against a cross-section, and noise."""

    preset: Literal["xband_tpy2", "uhf_early_warning"] | None = Field(
        None, description="named radar whose values fill omitted fields (module notes)"
    )
    name: str = Field(
        min_length=1, description="unique radar name (the sensor_id of its detections)"
    )
    owner: OwnerCode
    lat_deg: float = Field(ge=-90.0, le=90.0, description="geodetic latitude, deg")
    lon_deg: float = Field(ge=-180.0, le=360.0, description="longitude, deg east")
    alt_km: float = Field(0.0, ge=-0.5, le=10.0, description="antenna height above WGS84, km")
    min_elevation_deg: float = Field(
        1.0, ge=-5.0, le=89.0, description="lowest beam elevation, deg"
    )
    max_elevation_deg: float = Field(90.0, gt=-5.0, le=90.0, description="highest elevation, deg")
    refraction_k: float = Field(
        4.0 / 3.0, ge=1.0, le=4.0, description="effective Earth radius factor (4/3 standard)"
    )
    reference_range_km: float | None = Field(
        None,
        gt=0.0,
        description="range at which reference_rcs_m2 reaches detection_snr_db (instead of the "
        "radar-equation parameters), km",
    )
    reference_rcs_m2: float = Field(
        1.0, gt=0.0, description="cross-section of reference_range_km, m²"
    )
    peak_power_kw: float = Field(1000.0, gt=0.0, description="peak transmitted power, kW")
    antenna_gain_db: float = Field(40.0, ge=0.0, le=70.0, description="antenna gain, dBi")
    wavelength_m: float = Field(0.7, gt=0.001, le=10.0, description="wavelength, m (0.7: UHF)")
    noise_figure_db: float = Field(3.0, ge=0.0, le=30.0, description="receiver noise figure, dB")
    bandwidth_mhz: float = Field(1.0, gt=0.0, le=1000.0, description="receiver bandwidth, MHz")
    losses_db: float = Field(6.0, ge=0.0, le=40.0, description="system losses, dB")
    pulses_integrated: int = Field(
        100, ge=1, le=100_000, description="pulses integrated coherently per look"
    )
    detection_snr_db: float = Field(
        13.0,
        ge=0.0,
        le=40.0,
        description="SNR at reference_range_km (and of max_range_m's figure), dB; detection "
        "itself follows the Swerling Pd at every range",
    )
    swerling: Literal[1, 3] = Field(
        1, description="target fluctuation: Swerling 1 (many scatterers) or 3 (one dominant)"
    )
    instrumented_range_km: float = Field(
        40_000.0, gt=0.0, description="longest range the radar processes, km"
    )
    false_alarm_probability: float = Field(
        1e-6, gt=0.0, lt=1.0, description="per-cell false-alarm probability setting the threshold"
    )
    target_rcs_m2: float = Field(
        0.1, gt=0.0, description="radar cross-section assumed for every threat, m²"
    )
    target_cone: ConeTarget | None = Field(
        None,
        description="threats as cones: cross-section by aspect at this radar's wavelength "
        "(instead of target_rcs_m2)",
    )
    range_sigma_m: float = Field(30.0, ge=0.0, description="range noise, 1 sigma, m")
    azimuth_sigma_mrad: float = Field(2.0, ge=0.0, description="azimuth noise, 1 sigma, mrad")
    elevation_sigma_mrad: float = Field(2.0, ge=0.0, description="elevation noise, 1 sigma, mrad")
    revisit_s: float = Field(10.0, gt=0.0, le=3600.0, description="revisit time of a search, s")

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("preset"), str):
            return {**RADAR_PRESETS.get(data["preset"], {}), **data}
        return data

    @model_validator(mode="after")
    def _elevations_ordered(self) -> GroundRadar:
        if self.max_elevation_deg <= self.min_elevation_deg:
            raise ValueError(
                f"max_elevation_deg must exceed min_elevation_deg ({self.min_elevation_deg}), "
                f"got {self.max_elevation_deg}"
            )
        return self

    @property
    def lat_rad(self) -> float:
        """Geodetic latitude, rad."""
        return self.lat_deg * DEG

    @property
    def lon_rad(self) -> float:
        """Longitude, rad."""
        return self.lon_deg * DEG

    @property
    def alt_m(self) -> float:
        """Antenna height above the ellipsoid, m."""
        return self.alt_km * KM

    def snr_constant(self) -> float:
        """``C`` such that the single-look SNR (linear) is ``C σ / R⁴`` with σ in m², R in m.

        From the reference range when given (``C = SNR_det R_ref⁴ / σ_ref``), else the radar
        equation with n pulses integrated coherently (Skolnik eq. 2.50)::

            SNR = P G² λ² σ n / ((4π)³ R⁴ k T0 F B L)
        """
        snr_det = 10.0 ** (self.detection_snr_db / 10.0)
        if self.reference_range_km is not None:
            return snr_det * (self.reference_range_km * KM) ** 4 / self.reference_rcs_m2
        gain = 10.0 ** (self.antenna_gain_db / 10.0)
        noise_factor = 10.0 ** (self.noise_figure_db / 10.0)
        losses = 10.0 ** (self.losses_db / 10.0)
        numerator = self.peak_power_kw * 1e3 * gain**2 * self.wavelength_m**2
        denominator = (
            (4.0 * math.pi) ** 3
            * BOLTZMANN_J_K
            * T0_K
            * noise_factor
            * self.bandwidth_mhz
            * 1e6
            * losses
        )
        return numerator * self.pulses_integrated / denominator

    def max_range_m(self, rcs_m2: float | None = None) -> float:
        """Range at which the cross-section reaches ``detection_snr_db``, m (``∝ σ^(1/4)``)."""
        sigma = self.target_rcs_m2 if rcs_m2 is None else rcs_m2
        snr_det = 10.0 ** (self.detection_snr_db / 10.0)
        return float((self.snr_constant() * sigma / snr_det) ** 0.25)
