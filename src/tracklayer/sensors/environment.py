"""The scene around each launch: which model atmosphere, and how high its clouds reach.

* **Atmosphere.** ``auto`` picks, per threat, the LOWTRAN7 model atmosphere of its launch
  latitude and month: tropical within 20° of the equator, else mid-latitude summer from
  April to September in the northern hemisphere (October to March in the southern), else
  mid-latitude winter. A model's name fixes it for every threat; ``exponential`` keeps the
  payloads' one-layer model (:func:`tracklayer.sensors.atmosphere.exponential_transmission`).
* **Clouds.** Each launch has one cloud-top altitude, held for the whole flight (a plume or
  a body below it is hidden from sensors above). ``climatology`` draws it with the scenario
  seed: clear sky with the probability of the latitude band, else a cloud class (low, middle,
  high) and a top uniform within the class, the high class reaching the tropopause. Cloud
  amounts and class shares are round figures of the ISCCP climatology (Rossow and Schiffer,
  "Advances in understanding clouds from ISCCP", BAMS 80, 2261, 1999: about two thirds of
  the globe cloudy, least in the subtropics; low tops below 680 hPa ≈ 3.2 km, middle to
  440 hPa ≈ 6.5 km, high above), with more high cloud in the summer hemisphere. ``fixed``
  gives every launch ``top_km``; ``none`` is clear sky everywhere.
* **Aerosol.** LOWTRAN7's boundary-layer aerosol (``rural`` by default, ``urban``,
  ``maritime``, or ``none``) at a surface visibility (23 km by default, LOWTRAN's standard
  clear day; 2-50 km), over its tropospheric and stratospheric background
  (:mod:`tracklayer.sensors.aerosol`), on every LOWTRAN7 path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from tracklayer.config_base import StrictModel
from tracklayer.constants import KM
from tracklayer.sensors.lowtran_tables import LOWTRAN_MODELS

F64 = NDArray[np.float64]

__all__ = [
    "AerosolConfig",
    "CloudConfig",
    "EnvironmentConfig",
    "atmosphere_for",
    "cloud_tops_m",
    "mean_cloud_layers",
]

AtmosphereName = Literal[
    "auto",
    "tropical",
    "mid_latitude_summer",
    "mid_latitude_winter",
    "us_standard_1976",
    "exponential",
]

#: Latitude band edges (absolute, deg) and each band's cloud amount (probability of cloud).
_CLOUD_AMOUNT = ((0.0, 0.62), (15.0, 0.50), (35.0, 0.70), (60.0, 0.68))
#: Cloud-top class edges, km (low, middle, high up to the tropopause) and shares of cloudy
#: scenes (winter hemisphere; summer moves 0.1 from low to high).
_CLASS_EDGES_KM = (0.5, 3.2, 6.5)
_CLASS_SHARE = (0.45, 0.25, 0.30)


def _tropopause_km(abs_lat_deg: F64) -> F64:
    """Tropopause height, km: 16 km in the tropics falling to 9 km at the poles."""
    return np.asarray(np.interp(abs_lat_deg, [0.0, 25.0, 60.0, 90.0], [16.0, 15.0, 11.0, 9.0]))


class CloudConfig(StrictModel):
    """Cloud tops over the launches."""

    kind: Literal["climatology", "fixed", "none"] = Field(
        "climatology", description="climatology (seeded draw per launch), fixed or none"
    )
    top_km: float | None = Field(
        None, ge=0.0, le=20.0, description="fixed: cloud-top altitude of every launch, km"
    )

    @model_validator(mode="after")
    def _top_for_fixed(self) -> CloudConfig:
        if (self.kind == "fixed") != (self.top_km is not None):
            raise ValueError("top_km is given exactly when kind is fixed")
        return self


class AerosolConfig(StrictModel):
    """The aerosol on the paths: LOWTRAN7's boundary-layer model and surface visibility."""

    model: Literal["rural", "urban", "maritime", "none"] = Field(
        "rural", description="boundary-layer aerosol: rural, urban, maritime or none"
    )
    visibility_km: float = Field(
        23.0, ge=2.0, le=50.0, description="surface meteorological range, km (2-50)"
    )

    def key(self) -> tuple[str, float] | None:
        """``(model, visibility_km)``, or None without aerosol."""
        return None if self.model == "none" else (self.model, float(self.visibility_km))


class EnvironmentConfig(StrictModel):
    """The scenario's ``environment:`` section: model atmosphere, clouds and aerosol."""

    atmosphere: AtmosphereName = Field(
        "auto", description="auto (by launch latitude and month), a LOWTRAN7 model, exponential"
    )
    clouds: CloudConfig = Field(default_factory=CloudConfig)
    aerosol: AerosolConfig = Field(default_factory=AerosolConfig)


def _summer(lat_deg: F64, month: int) -> NDArray[np.bool_]:
    north_summer = 4 <= month <= 9
    return np.asarray(np.where(lat_deg >= 0.0, north_summer, not north_summer), dtype=np.bool_)


def atmosphere_for(name: str, launch_lat_deg: F64, epoch: datetime) -> list[str]:
    """The model atmosphere of each threat (``auto``: by launch latitude and month)."""
    lat = np.asarray(launch_lat_deg, dtype=np.float64)
    if name != "auto":
        return [name] * lat.size
    summer = _summer(lat, epoch.month)
    out = np.where(summer, "mid_latitude_summer", "mid_latitude_winter").astype(object)
    out[np.abs(lat) < 20.0] = "tropical"
    names = [str(x) for x in out]
    assert all(n in LOWTRAN_MODELS for n in names)
    return names


def cloud_tops_m(
    config: CloudConfig, launch_lat_deg: F64, epoch: datetime, rng: np.random.Generator
) -> F64:
    """Cloud-top altitude over each launch, m (0 for clear sky); draws come from ``rng``.

    Parameters
    ----------
    config
        The clouds' settings.
    launch_lat_deg
        Launch latitude of each threat, deg ``(M,)``.
    epoch
        The scenario epoch (its month sets the season).
    rng
        Random generator (three uniforms per threat, always drawn).
    """
    lat = np.asarray(launch_lat_deg, dtype=np.float64)
    u = rng.random((3, lat.size))
    if config.kind == "none":
        return np.zeros(lat.size)
    if config.kind == "fixed":
        assert config.top_km is not None
        return np.full(lat.size, config.top_km * KM)
    a = np.abs(lat)
    edges = np.array([e for e, _ in _CLOUD_AMOUNT])
    amount = np.array([p for _, p in _CLOUD_AMOUNT])[np.searchsorted(edges, a, "right") - 1]
    summer = _summer(lat, epoch.month)
    low = _CLASS_SHARE[0] - 0.1 * summer
    mid = np.full(lat.size, _CLASS_SHARE[1])
    klass = np.where(u[1] < low, 0, np.where(u[1] < low + mid, 1, 2))
    bottom = np.array(_CLASS_EDGES_KM)[klass]
    top = np.where(
        klass == 2, _tropopause_km(a), np.array([*_CLASS_EDGES_KM[1:], 0.0])[np.minimum(klass, 1)]
    )
    top_km = bottom + u[2] * (top - bottom)
    return np.asarray(np.where(u[0] < amount, top_km * KM, 0.0))


def mean_cloud_layers(lat_deg: F64, epoch: datetime) -> list[tuple[F64, F64]]:
    """The climatology's scene as weighted layers: ``(weight, top_m)`` per layer, shapes of
    ``lat_deg``: clear sky (top 0) and the low, middle and high classes at their mid-class
    tops (the high class at 80 % of the tropopause). Weights sum to 1."""
    lat = np.asarray(lat_deg, dtype=np.float64)
    a = np.abs(lat)
    edges = np.array([e for e, _ in _CLOUD_AMOUNT])
    amount = np.array([p for _, p in _CLOUD_AMOUNT])[np.searchsorted(edges, a, "right") - 1]
    low = _CLASS_SHARE[0] - 0.1 * _summer(lat, epoch.month)
    high = _CLASS_SHARE[2] + 0.1 * _summer(lat, epoch.month)
    e = _CLASS_EDGES_KM
    return [
        (1.0 - amount, np.zeros(lat.shape)),
        (amount * low, np.full(lat.shape, 0.5 * (e[0] + e[1]) * KM)),
        (amount * _CLASS_SHARE[1], np.full(lat.shape, 0.5 * (e[1] + e[2]) * KM)),
        (amount * high, 0.8 * _tropopause_km(a) * KM),
    ]
