"""Scenario model of an infrared payload: optics, focal plane, noise and tasking (file units).

Defaults are open-literature orders of magnitude for the three kinds of payload people design
missile-warning layers with, not the figures of any fielded sensor:

* ``staring_wide``: a wide-field sensor in low or medium orbit that covers its whole field of
  regard every revisit, field by field (step-stare) where the arrays are smaller than it
  (warning and tracking). Coarse pixels (tens of µrad), about 1 Hz.
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

The noise-equivalent irradiance follows from the design (:mod:`tracklayer.sensors.focalplane`:
aperture, IFOV or focal length, ``focal_plane`` detector and timing, optics transmission and
temperature, the Earth's and space's in-band background); ``nei_w_m2`` overrides it.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, model_validator

from tracklayer.config_base import StrictModel
from tracklayer.constants import KM

InfraredKind = Literal["staring_wide", "cued_medium", "warning_high"]
PresetName = Literal["leo_tracking_lwir", "cued_mfov_lwir", "geo_warning_swir"]

#: Per-kind defaults for the fields a scenario leaves out (file units): a step-staring
#: wide-field MWIR sensor on a fast steering mirror, a gimballed medium-field tracker and a
#: geostationary warning sensor, with tactical HgCdTe arrays (2k x 2k, 15 µm pitch, wells of
#: a few million electrons, read noise of order 100 e-: the class of arrays in Rogalski,
#: *Infrared and Terahertz Detectors*, 3rd ed., 2019, ch. 15 and 20).
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "staring_wide": {
        "aperture_cm": 15.0,
        "ifov_urad": 60.0,
        "revisit_s": 1.0,
        "focal_plane": {"arrays": 4, "integration_ms": 2.0, "step_settle_ms": 15.0},
    },
    "cued_medium": {
        "aperture_cm": 30.0,
        "ifov_urad": 10.0,
        "revisit_s": 1.0,
        "focal_plane": {"arrays": 1, "integration_ms": 5.0},
    },
    "warning_high": {
        "aperture_cm": 40.0,
        "ifov_urad": 20.0,
        "revisit_s": 10.0,
        "focal_plane": {"arrays": 4, "integration_ms": 1.0, "step_settle_ms": 50.0},
    },
}

#: Named payloads (each fills the fields a scenario leaves out, before the kind's defaults).
#: Sizes are of the class discussed in the open literature, not any fielded sensor's:
#:
#: * ``leo_tracking_lwir``: a proliferated low-orbit tracking layer's above-the-horizon
#:   long-wave sensor for midcourse bodies against cold space: 8-12 µm, 30 cm class aperture,
#:   cryogenic (40 K) HgCdTe, cold optics, step-stare over a field above the limb. Basis:
#:   the midcourse tracking sensors of the SBIRS-Low and PTSS concepts (National Research
#:   Council, *Making Sense of Ballistic Missile Defense*, 2012, ch. 3 and app. E; APS Study
#:   Group, Rev. Mod. Phys. 76, S1, 2004, ch. 11 on cold bodies in the LWIR).
#: * ``cued_mfov_lwir``: a gimballed medium-field tracker (the STSS track-sensor class):
#:   fine pixels, one 2k x 2k array, long-wave, cued by the warning layer.
#: * ``geo_warning_swir``: a geostationary warning sensor (the SBIRS GEO class): SWIR, a 40 cm
#:   class aperture, step-stare over the Earth disc every 10 s.
PRESETS: dict[str, dict[str, Any]] = {
    "leo_tracking_lwir": {
        "kind": "staring_wide",
        "band": "lwir",
        "aperture_cm": 30.0,
        "ifov_urad": 40.0,
        "revisit_s": 2.0,
        "optics_temperature_k": 100.0,
        "optics_transmission": 0.8,
        "focal_plane": {
            "arrays": 4,
            "integration_ms": 10.0,
            "step_settle_ms": 40.0,
            "temperature_k": 40.0,
            "read_noise_e": 150.0,
            "well_depth_ke": 10000.0,
        },
    },
    "cued_mfov_lwir": {
        "kind": "cued_medium",
        "band": "lwir",
        "aperture_cm": 35.0,
        "ifov_urad": 30.0,
        "optics_temperature_k": 100.0,
        "optics_transmission": 0.8,
        "focal_plane": {
            "arrays": 1,
            "integration_ms": 20.0,
            "temperature_k": 40.0,
            "read_noise_e": 150.0,
            "well_depth_ke": 10000.0,
        },
    },
    "geo_warning_swir": {
        "kind": "warning_high",
        "band": "swir",
        "aperture_cm": 40.0,
        "ifov_urad": 20.0,
        "revisit_s": 10.0,
    },
}


class FocalPlane(StrictModel):
    """The detector arrays: format, count, pixel, quantum efficiency or D*, noise, timing.

    Defaults: a tactical 2k x 2k HgCdTe array (15 µm pitch, QE 0.7, a 3 Me- well, 100 e-
    read noise) at 80 K with the Rule 07 dark current of the band's long edge.
    """

    rows: int = Field(2048, gt=0, le=100_000, description="pixel rows of one array")
    columns: int = Field(2048, gt=0, le=100_000, description="pixel columns of one array")
    arrays: int = Field(1, gt=0, le=1000, description="arrays on the focal plane")
    pixel_pitch_um: float = Field(15.0, gt=0.0, le=1000.0, description="pixel pitch, µm")
    quantum_efficiency: float = Field(0.7, gt=0.0, le=1.0, description="quantum efficiency")
    d_star_cm_sqrt_hz_w: float | None = Field(
        None,
        gt=0.0,
        description="specific detectivity D*, cm Hz^1/2 / W (given: NEI from D*, not electrons)",
    )
    well_depth_ke: float = Field(3000.0, gt=0.0, description="well depth, thousands of e-")
    read_noise_e: float = Field(100.0, ge=0.0, description="read noise, e- rms")
    dark_current_e_s: float | None = Field(
        None, ge=0.0, description="dark current, e-/s per pixel (none: Rule 07 HgCdTe)"
    )
    temperature_k: float = Field(80.0, gt=0.0, le=320.0, description="detector temperature, K")
    integration_ms: float = Field(2.0, gt=0.0, le=10_000.0, description="integration time, ms")
    step_settle_ms: float = Field(
        20.0, ge=0.0, le=60_000.0, description="step-stare: mirror step and settle per field, ms"
    )

    @property
    def pixels(self) -> int:
        """Pixels on the focal plane (all arrays)."""
        return self.rows * self.columns * self.arrays

    @property
    def integration_s(self) -> float:
        """Integration time, s."""
        return self.integration_ms * 1e-3

    @property
    def dwell_s(self) -> float:
        """Time per field of a step-stare: integration plus step and settle, s."""
        return (self.integration_ms + self.step_settle_ms) * 1e-3


class InfraredParameters(StrictModel):
    """An infrared payload's optics, focal plane, noise, errors and (for cued sensors) tasking.

    Fields a scenario leaves out take the defaults of the payload's ``kind``
    (:data:`KIND_DEFAULTS`), then the defaults below. SI accessors (``*_rad``, ``*_m``) give
    the values the kernels use.
    """

    preset: PresetName | None = Field(
        None,
        description="named payload whose values fill omitted fields: leo_tracking_lwir, "
        "cued_mfov_lwir or geo_warning_swir",
    )
    kind: InfraredKind = Field(
        "staring_wide", description="staring_wide, cued_medium or warning_high"
    )
    band: str = Field("mwir", description="band name, a key of threats.bands (swir, mwir, ...)")
    aperture_cm: float = Field(
        gt=0.0, le=500.0, description="aperture diameter, cm (collects the signal, sets the blur)"
    )
    ifov_urad: float = Field(
        gt=0.0,
        le=10_000.0,
        description="instantaneous field of view of one pixel, µrad (or give focal_length_cm)",
    )
    revisit_s: float = Field(
        gt=0.0,
        le=3600.0,
        description="frame period wanted, s; a field of regard wider than the arrays takes "
        "longer (step-stare) and the longer time wins",
    )
    focal_plane: FocalPlane = Field(
        default_factory=FocalPlane, description="detector arrays, noise and timing"
    )
    optics_transmission: float = Field(
        0.7, gt=0.0, le=1.0, description="in-band transmission of the optics"
    )
    optics_temperature_k: float = Field(
        200.0, ge=0.0, le=400.0, description="temperature of the optics, K"
    )
    optics_emissivity: float | None = Field(
        None, ge=0.0, le=1.0, description="emissivity of the optics (none: 1 - transmission)"
    )
    earth_temperature_k: float = Field(
        255.0,
        ge=0.0,
        le=400.0,
        description="in-band brightness temperature of the Earth behind a look-down target, K",
    )
    space_radiance_w_m2_sr: float = Field(
        0.0, ge=0.0, description="in-band radiance of space above the limb, W/(m² sr)"
    )
    nei_w_m2: float | None = Field(
        None,
        gt=0.0,
        description="noise-equivalent irradiance at the aperture, W/m²: an override of the "
        "value derived from the design (the same against the Earth and against space)",
    )
    threshold_snr: float = Field(
        6.5,
        gt=0.0,
        le=100.0,
        description="detection threshold on the SNR; each pixel of each frame exceeds it on "
        "noise alone with probability Q(threshold) (6.5: 4e-11)",
    )
    false_alarms: bool = Field(
        True, description="draw the noise false alarms (off: the targets' detections alone)"
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
    def _defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        preset = data.get("preset")
        given = {**(PRESETS.get(preset, {}) if isinstance(preset, str) else {}), **data}
        kind = given.get("kind", "staring_wide")
        defaults = KIND_DEFAULTS.get(kind, {}) if isinstance(kind, str) else {}
        merged = {**defaults, **given}
        planes = [d.get("focal_plane") for d in (defaults, PRESETS.get(str(preset), {}), data)]
        if all(p is None or isinstance(p, dict) for p in planes):
            merged["focal_plane"] = {k: v for p in planes if p for k, v in p.items()}
        focal = merged.pop("focal_length_cm", None)
        if focal is not None:
            if "ifov_urad" in data:
                raise ValueError("give ifov_urad or focal_length_cm, not both")
            if not isinstance(focal, int | float) or focal <= 0:
                raise ValueError(f"focal_length_cm: must be a number > 0, got {focal!r}")
            pitch = merged["focal_plane"].get("pixel_pitch_um", 15.0)
            merged["ifov_urad"] = float(pitch) / (float(focal) * 1e4) * 1e6
        return merged

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
    def optics_emissivity_value(self) -> float:
        """Emissivity of the optics: as given, else ``1 - transmission``."""
        if self.optics_emissivity is not None:
            return self.optics_emissivity
        return 1.0 - self.optics_transmission

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
