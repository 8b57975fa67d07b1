"""The infrared scene of each sensor-target row: transmission, clouds, background, clutter.

The sensing chain (:mod:`tracklayer.sensors.infrared`) asks this module, for rows of
(sensor, target, time), what reaches the aperture and what it is seen against:

* **Transmission** through the launch's model atmosphere, in the payload's band, weighted by
  the source's spectrum (a plume, by its propellant, while a stage burns, a hot body otherwise;
  :mod:`tracklayer.sensors.atmosphere`); zero for a target below its launch's cloud top
  (:mod:`tracklayer.sensors.environment`).
* **Background and clutter** (:mod:`tracklayer.sensors.background`): the scene behind the
  target, its radiance by day or night, the clutter it leaks into a pixel.
* **Detection against a fixed threshold.** The threshold sits at ``T`` times the sensor's
  noise-equivalent irradiance; a pixel's noise is the sensor's and the clutter's,
  ``σ = sqrt(NEI² + C²)``. A target of irradiance ``E`` is detected with probability
  ``Pd = Q((T NEI - E) / σ)`` and a pixel with no target crosses the threshold with
  ``Pfa = Q(T NEI / σ)`` (Kay, *Fundamentals of Statistical Signal Processing, Vol. II*,
  1998, sec. 3.3: one threshold, one Gaussian noise for both): a brighter background costs
  sensitivity (the irradiance for Pd = 0.9 rises by ``1.28 σ``) and false alarms at once.
  Without clutter, ``Pd = Q(T - SNR)`` and ``Pfa = Q(T)``.
* **Solar exclusion**: rows within the payload's exclusion angle of the Sun see nothing
  (unless the line of sight ends on the Earth, which then hides the Sun).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from tracklayer.sensors.atmosphere import (
    band_path_table,
    exponential_transmission,
    path_geometry,
)
from tracklayer.sensors.background import (
    CLOUD_ALBEDO,
    EARTH,
    SURFACE_ALBEDO,
    Scene,
    band_background,
    clutter_irradiance,
    scene_behind,
)
from tracklayer.sensors.environment import (
    EnvironmentConfig,
    atmosphere_for,
    cloud_tops_m,
    mean_cloud_layers,
)
from tracklayer.sensors.targets import TargetStates
from tracklayer.solar import solar_zenith_cos, sun_direction_ecef
from tracklayer.threats.signature import PROPELLANTS

F64 = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

__all__ = [
    "RowScene",
    "SceneSetting",
    "detect_fixed_threshold",
    "false_alarm_probability",
    "row_scene",
    "scene_setting",
]


@dataclass(frozen=True)
class SceneSetting:
    """The environment of one run, resolved per threat and per time.

    Attributes
    ----------
    atmosphere : list of str, length M
        Model atmosphere of each threat (``exponential``: the payloads' one-layer model).
    cloud_top_m : ndarray, shape (M,)
        Cloud-top altitude over each launch, m (0: clear sky).
    sun_dir : ndarray, shape (T, 3)
        Unit vector to the Sun, ECEF, at each grid time.
    epoch : datetime or None
        The scenario epoch (its month sets the season of the mean scene); None: March.
    aerosol : tuple of (str, float) or None
        ``(model, visibility_km)`` of the aerosol on LOWTRAN7 paths; None: none.
    """

    atmosphere: list[str]
    cloud_top_m: F64
    sun_dir: F64
    epoch: datetime | None = None
    aerosol: tuple[str, float] | None = None


def scene_setting(
    config: EnvironmentConfig,
    targets: TargetStates,
    epoch: datetime,
    seconds: F64,
    rng: np.random.Generator,
) -> SceneSetting:
    """Resolve ``config`` for the run's threats (cloud draws come from ``rng``)."""
    lat = targets.launch_lat_deg
    lat = np.zeros(targets.n_objects) if lat is None else np.nan_to_num(lat)
    sun, _ = sun_direction_ecef(epoch, seconds) if seconds.size else (np.zeros((0, 3)), None)
    return SceneSetting(
        atmosphere=atmosphere_for(config.atmosphere, lat, epoch),
        cloud_top_m=cloud_tops_m(config.clouds, lat, epoch, rng),
        sun_dir=sun,
        epoch=epoch,
        aerosol=config.aerosol.key(),
    )


@dataclass(frozen=True)
class RowScene:
    """Transmission and background of rows.

    Attributes
    ----------
    transmission : ndarray, shape (n,)
        Band transmission of the path (0 below the cloud top or in the Sun's exclusion).
    clutter_w_m2 : ndarray, shape (n,)
        Clutter-equivalent irradiance in the target's pixel, W/m².
    background : ndarray of int64, shape (n,)
        0 space, 1 limb, 2 earth.
    daylight : ndarray of bool, shape (n,)
    radiance_w_m2_sr : ndarray, shape (n,)
        In-band radiance of the background behind the target, W/(m² sr) (the pixel's
        photon noise, :mod:`tracklayer.sensors.radiometry`).
    """

    transmission: F64
    clutter_w_m2: F64
    background: IntArray
    daylight: BoolArray
    radiance_w_m2_sr: F64


def _transmission(
    setting: SceneSetting,
    sensor_pos: F64,
    target_pos: F64,
    target: IntArray,
    source: IntArray,
    bands: Sequence[tuple[float, float]],
    band_of_row: IntArray,
    exponential: tuple[F64, F64],
) -> F64:
    """Band transmission of each row, grouped by (atmosphere, band, source); ``source`` is
    0 for a body, ``1 + k`` for the plume of ``PROPELLANTS[k]``."""
    geom = path_geometry(sensor_pos, target_pos)
    atm_names = sorted(set(setting.atmosphere))
    atm_of = np.array([atm_names.index(a) for a in setting.atmosphere], dtype=np.int64)[target]
    tau = np.empty(target.size)
    n_src = 1 + len(PROPELLANTS)
    key = (atm_of * len(bands) + band_of_row) * n_src + source
    for k in np.unique(key):
        sel = np.flatnonzero(key == k)
        atm = atm_names[int(k) // (n_src * len(bands))]
        band = bands[(int(k) // n_src) % len(bands)]
        if atm == "exponential":
            tau[sel] = exponential_transmission(
                sensor_pos[sel], target_pos[sel], exponential[0][sel], exponential[1][sel]
            )
            continue
        code = int(k) % n_src
        spectrum = ("plume", PROPELLANTS[code - 1]) if code else ("body", "")
        table = band_path_table(atm, band, spectrum, setting.aerosol)
        tau[sel] = table.transmission(geom.take(sel))
    below = geom.target_alt_m < setting.cloud_top_m[target]
    return np.asarray(np.where(below, 0.0, tau))


def _background_radiance(
    setting: SceneSetting,
    scene: Scene,
    cos_sun: F64,
    target: IntArray,
    bands: Sequence[tuple[float, float]],
    band_of_row: IntArray,
    cos_scatter: F64,
) -> F64:
    """In-band background radiance of each row, W/(m² sr) (``cos_scatter``: the angle
    between sunlight and the line of sight, for the limb's scattered light)."""
    layer = setting.cloud_top_m[target] if target.size else np.zeros(0)
    albedo = np.where(layer > 0.0, CLOUD_ALBEDO, SURFACE_ALBEDO)
    atm = np.array(
        [a if a != "exponential" else "us_standard_1976" for a in setting.atmosphere],
        dtype=object,
    )[target]
    out = np.zeros(target.size)
    for name in sorted(set(atm.tolist())):
        for b, band in enumerate(bands):
            sel = np.flatnonzero((atm == name) & (band_of_row == b))
            if sel.size:
                out[sel] = band_background(name, band).radiance(
                    scene.take(sel), layer[sel], albedo[sel], cos_sun[sel], cos_scatter[sel]
                )
    return out


def _source_codes(targets: TargetStates, target: IntArray, time_index: IntArray) -> IntArray:
    """0 for a body, ``1 + k`` for a plume of ``PROPELLANTS[k]`` (solid when the truth
    gives no propellant), per row."""
    if targets.boosting is None:
        return np.zeros(target.size, dtype=np.int64)
    boosting = targets.boosting[target, time_index]
    code = (
        np.maximum(targets.propellant[target, time_index], 0).astype(np.int64)
        if targets.propellant is not None
        else np.zeros(target.size, dtype=np.int64)
    )
    return np.where(boosting, 1 + code, 0)


def row_scene(
    setting: SceneSetting,
    sensor_pos: F64,
    target_pos: F64,
    target: IntArray,
    time_index: IntArray,
    targets: TargetStates,
    bands: Sequence[tuple[float, float]],
    band_of_row: IntArray,
    payload_terms: dict[str, F64],
) -> RowScene:
    """Transmission, clutter and background of rows (module notes).

    Parameters
    ----------
    setting
        The run's environment.
    sensor_pos, target_pos
        ECEF positions of each row, m ``(n, 3)``.
    target, time_index
        Threat and time-grid index of each row ``(n,)``.
    targets
        The threats (their ``boosting`` flags and ``propellant`` pick the source spectrum).
    bands, band_of_row
        Band edges (µm) and the index of each row's band.
    payload_terms
        Per-row payload values: ``ifov_rad``, ``clutter_leakage``, ``cos_exclusion`` (cosine
        of the solar exclusion angle), ``tau0`` and ``scale_height_m`` (exponential model).
    """
    tau = _transmission(
        setting, sensor_pos, target_pos, target, _source_codes(targets, target, time_index),
        bands, band_of_row,
        (payload_terms["tau0"], payload_terms["scale_height_m"]),
    )  # fmt: skip
    sun = setting.sun_dir[time_index]
    los = target_pos - sensor_pos
    los /= np.linalg.norm(los, axis=-1, keepdims=True)
    scene = scene_behind(sensor_pos, target_pos)
    # The Sun blinds a line of sight near it, unless the Earth stands in front of it.
    cos_los_sun = np.einsum("ij,ij->i", los, sun)
    near_sun = cos_los_sun > payload_terms["cos_exclusion"]
    tau = np.where(near_sun & (scene.kind != EARTH), 0.0, tau)
    cos_sun = solar_zenith_cos(scene.point, sun)
    radiance = _background_radiance(
        setting, scene, cos_sun, target, bands, band_of_row, cos_los_sun
    )
    return RowScene(
        transmission=tau,
        clutter_w_m2=clutter_irradiance(
            radiance, payload_terms["ifov_rad"], payload_terms["clutter_leakage"]
        ),
        background=scene.kind,
        daylight=np.asarray(cos_sun > 0.0),
        radiance_w_m2_sr=radiance,
    )


def frame_clutter(
    setting: SceneSetting,
    sensor_pos: F64,
    time_index: IntArray,
    bands: Sequence[tuple[float, float]],
    band_of_frame: IntArray,
    ifov_rad: F64,
    leakage: F64,
) -> F64:
    """Clutter-equivalent irradiance (W/m²) of a frame's look-down pixels: the mean scene
    at the sub-satellite point, by day or night, in the first threat's atmosphere: clear
    ground and the cloud classes of the climatology at that latitude, weighted by how often
    each is seen (:func:`tracklayer.sensors.environment.mean_cloud_layers`)."""
    nadir = sensor_pos / np.linalg.norm(sensor_pos, axis=-1, keepdims=True)
    n = time_index.size
    scene = Scene(np.full(n, EARTH, dtype=np.int64), nadir * 6.371e6, np.zeros(n), np.ones(n))
    atm = next((a for a in setting.atmosphere if a != "exponential"), "us_standard_1976")
    cos_sun = solar_zenith_cos(scene.point, setting.sun_dir[time_index])
    epoch = setting.epoch or datetime(2000, 3, 1, tzinfo=UTC)
    layers = mean_cloud_layers(np.degrees(np.arcsin(np.clip(nadir[:, 2], -1, 1))), epoch)
    out = np.zeros(n)
    for b, band in enumerate(bands):
        sel = np.flatnonzero(band_of_frame == b)
        if sel.size == 0:
            continue
        sub = scene.take(sel)
        table = band_background(atm, band)
        for weight, top in layers:
            albedo = np.where(top[sel] > 0.0, CLOUD_ALBEDO, SURFACE_ALBEDO)
            out[sel] += weight[sel] * table.radiance(sub, top[sel], albedo, cos_sun[sel])
    return clutter_irradiance(out, ifov_rad, leakage)


def detect_fixed_threshold(
    irradiance_w_m2: F64,
    nei_w_m2: F64,
    clutter_w_m2: F64,
    threshold_snr: F64,
    rng: np.random.Generator,
) -> tuple[BoolArray, F64]:
    """Draw detections against the fixed threshold ``T NEI`` (module notes).

    Returns
    -------
    hit
        Rows whose measured signal reaches the threshold.
    measured_snr
        Measured signal over the total noise ``σ``, every row.
    """
    sigma = np.sqrt(nei_w_m2 * nei_w_m2 + clutter_w_m2 * clutter_w_m2)
    measured = irradiance_w_m2 + sigma * rng.standard_normal(irradiance_w_m2.size)
    return measured >= threshold_snr * nei_w_m2, measured / sigma


def false_alarm_probability(threshold_snr: F64, nei_w_m2: F64, clutter_w_m2: F64) -> F64:
    """Per-pixel false-alarm probability ``Q(T NEI / σ)``, σ with the clutter."""
    sigma = np.sqrt(nei_w_m2 * nei_w_m2 + clutter_w_m2 * clutter_w_m2)
    return np.asarray(ndtr(-threshold_snr * nei_w_m2 / sigma))
