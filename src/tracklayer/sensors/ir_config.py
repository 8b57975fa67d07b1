"""Scenario model of an infrared payload: optics, focal plane, noise and tasking (file units).

Defaults are open-literature orders of magnitude for the three kinds of payload people design
missile-warning layers with, not the figures of any fielded sensor:

* ``staring_wide``: a wide-field staring sensor in low or medium orbit that watches its whole
  field of regard every frame (warning and tracking). Coarse pixels (tens of µrad), 1 Hz.
* ``cued_medium``: a medium-field sensor on a gimbal, cued onto threats that the warning
  sensors have detected; it slews (rate plus settle time), dwells on one threat, then moves
  on (see :mod:`tracklayer.sensors.tasking`). Fine pixels, a narrow field of view.
* ``warning_high``: a warning sensor in geostationary or highly elliptical orbit (given as
  TLE/OMM); it must reach ranges of 36,000 km and more, so it has a larger aperture and a
  lower noise-equivalent irradiance, and revisits its field more slowly.

Plume intensities of boosting missiles are of order 1e5-1e6 W/sr in the mid-wave infrared and
glide bodies a few kW/sr (APS Study Group, "Boost-phase intercept systems for national
missile defense", Rev. Mod. Phys. 76, S1, 2004, ch. 5 and 11); noise-equivalent irradiances
of 1e-12 to 1e-10 W/m² put such targets at SNRs from a few to thousands at the ranges above.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, model_validator

from tracklayer.config_base import StrictModel
from tracklayer.constants import KM

InfraredKind = Literal["staring_wide", "cued_medium", "warning_high"]

#: Per-kind defaults for the fields a scenario leaves out (file units).
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "staring_wide": {
        "aperture_cm": 15.0,
        "ifov_urad": 60.0,
        "revisit_s": 1.0,
        "nei_w_m2": 2e-11,
    },
    "cued_medium": {
        "aperture_cm": 30.0,
        "ifov_urad": 10.0,
        "revisit_s": 1.0,
        "nei_w_m2": 2e-12,
    },
    "warning_high": {
        "aperture_cm": 40.0,
        "ifov_urad": 20.0,
        "revisit_s": 10.0,
        "nei_w_m2": 5e-13,
    },
}


class InfraredParameters(StrictModel):
    """An infrared payload's optics, focal plane, noise, errors and (for cued sensors) tasking.

    Fields a scenario leaves out take the defaults of the payload's ``kind``
    (:data:`KIND_DEFAULTS`), then the defaults below. SI accessors (``*_rad``, ``*_m``) give
    the values the kernels use.
    """

    kind: InfraredKind = Field(
        "staring_wide", description="staring_wide, cued_medium or warning_high"
    )
    band: str = Field("mwir", description="band name, a key of threats.bands (swir, mwir, ...)")
    aperture_cm: float = Field(
        gt=0.0, le=500.0, description="aperture diameter, cm (sets the diffraction blur)"
    )
    ifov_urad: float = Field(
        gt=0.0, le=10_000.0, description="instantaneous field of view of one pixel, µrad"
    )
    revisit_s: float = Field(
        gt=0.0, le=3600.0, description="frame period (staring) or revisit time (scanning), s"
    )
    nei_w_m2: float = Field(gt=0.0, description="noise-equivalent irradiance at the aperture, W/m²")
    threshold_snr: float = Field(
        6.0, gt=0.0, le=100.0, description="detection threshold on the signal-to-noise ratio"
    )
    false_alarm_rate: float = Field(
        1e-10,
        ge=0.0,
        le=1e-3,
        description=(
            "false alarms per pixel per frame after on-board filtering (Poisson in the field)"
        ),
    )
    pixel_count: int | None = Field(
        None,
        gt=0,
        description="pixels covering the field (none: field of regard or view / IFOV²)",
    )
    pointing_error_urad: float = Field(
        20.0,
        ge=0.0,
        le=10_000.0,
        description="line-of-sight knowledge error, 1 sigma per axis, µrad",
    )
    ephemeris_error_m: float = Field(
        10.0, ge=0.0, le=100_000.0, description="position knowledge error, 1 sigma per axis, m"
    )
    clutter_leakage: float = Field(
        1e-4,
        ge=0.0,
        le=1.0,
        description=(
            "fraction of a pixel's background irradiance left as clutter after background "
            "suppression (clutter = leakage x background radiance x IFOV²)"
        ),
    )
    solar_exclusion_deg: float = Field(
        15.0, ge=0.0, le=90.0, description="lines of sight this close to the Sun see nothing, deg"
    )
    zenith_optical_depth: float = Field(
        0.5,
        ge=0.0,
        le=50.0,
        description=(
            "environment.atmosphere exponential: in-band optical depth of the atmosphere "
            "above sea level, looking up"
        ),
    )
    scale_height_km: float = Field(
        7.0,
        gt=0.0,
        le=50.0,
        description="environment.atmosphere exponential: scale height of the absorbers, km",
    )
    fov_deg: float = Field(
        1.0,
        gt=0.0,
        le=60.0,
        description="cued_medium: full cone angle of the circular field of view, deg",
    )
    slew_rate_deg_s: float = Field(
        5.0, gt=0.0, le=360.0, description="cued_medium: gimbal slew rate, deg/s"
    )
    settle_s: float = Field(
        1.0, ge=0.0, le=600.0, description="cued_medium: settle after a slew, s"
    )
    dwell_s: float = Field(
        10.0, gt=0.0, le=3600.0, description="cued_medium: time spent on one threat per visit, s"
    )
    cue_latency_s: float = Field(
        5.0,
        ge=0.0,
        le=3600.0,
        description="cued_medium: delay from a warning detection to the cue reaching the sensor, s",
    )

    @model_validator(mode="before")
    @classmethod
    def _kind_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        kind = data.get("kind", "staring_wide")
        defaults = KIND_DEFAULTS.get(kind, {}) if isinstance(kind, str) else {}
        return {**defaults, **data}

    @property
    def ifov_rad(self) -> float:
        """Pixel angular size, rad."""
        return self.ifov_urad * 1e-6

    @property
    def aperture_m(self) -> float:
        """Aperture diameter, m."""
        return self.aperture_cm * 1e-2

    @property
    def pointing_error_rad(self) -> float:
        """Line-of-sight knowledge error, 1 sigma per axis, rad."""
        return self.pointing_error_urad * 1e-6

    @property
    def los_sigma_rad(self) -> float:
        """Standard deviation of the measured line of sight per axis, rad.

        The quantisation of a uniform position within one pixel (variance ``IFOV²/12``) and
        the pointing knowledge error, independent, added in variance.
        """
        return math.sqrt(self.ifov_rad**2 / 12.0 + self.pointing_error_rad**2)

    @property
    def scale_height_m(self) -> float:
        """Absorber scale height, m."""
        return self.scale_height_km * KM

    @property
    def fov_half_rad(self) -> float:
        """cued_medium: half width of the field of view, rad."""
        return math.radians(self.fov_deg) / 2.0

    def resolution_rad(self, band_um: tuple[float, float] | None = None) -> float:
        """Angular resolution: the larger of the pixel and the Airy radius ``1.22 λ / D``.

        Parameters
        ----------
        band_um
            The band's [low, high] wavelengths, µm; the centre wavelength sets the blur.
            None: the pixel alone.
        """
        if band_um is None:
            return self.ifov_rad
        wavelength_m = 0.5 * (band_um[0] + band_um[1]) * 1e-6
        return max(self.ifov_rad, 1.22 * wavelength_m / self.aperture_m)
