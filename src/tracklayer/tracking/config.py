"""The scenario's ``tracking:`` section: filter, motion model, gates, track management, scoring.

Values carry their units in their names; :class:`TrackingConfig` converts to SI through
properties so that kernels only see SI numbers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from scipy.stats import chi2

from tracklayer.config_base import StrictModel
from tracklayer.constants import DEG, KM

#: Longest M-of-N window; hit histories are kept as bit masks of this many frames.
MAX_CONFIRM_N = 16


@lru_cache(maxsize=256)
def chi2_quantile(probability: float, dof: int) -> float:
    """Chi-square quantile, cached (gates are asked for every frame)."""
    return float(chi2.ppf(probability, dof))


class TrackingConfig(StrictModel):
    """How detections become tracks, and how tracks are scored against truth.

    Examples
    --------
    >>> TrackingConfig(filter="ukf", confirm_m=3, confirm_n=4).confirm_n
    4
    """

    filter: Literal["ekf", "ukf"] = Field(
        default="ekf", description="Extended (Joseph form) or unscented Kalman filter."
    )
    ekf_iterations: int = Field(
        default=2,
        ge=1,
        le=10,
        description="Linearisations of the EKF update (1: extended, more: iterated EKF).",
    )
    motion: Literal["ballistic", "cv"] = Field(
        default="ballistic",
        description="Ballistic free flight (gravity with J2, Earth-rotation terms, optional "
        "drag) or constant velocity in ECEF.",
    )
    process_noise_m2_s3: float = Field(
        default=25.0,
        gt=0.0,
        description="Spectral density q of the white-noise acceleration, m^2/s^3 "
        "(q = 25 allows unmodelled accelerations of order 5 m/s^2 over 1 s).",
    )
    drag_ballistic_coefficient_kg_m2: float | None = Field(
        default=None,
        gt=0.0,
        description="Ballistic coefficient m/(Cd A) of the drag term, kg/m^2; none: no drag.",
    )
    max_step_s: float = Field(
        default=5.0, gt=0.0, description="Longest integration sub-step of a prediction, s."
    )
    frame_s: float = Field(
        default=0.5,
        gt=0.0,
        description="Detections closer in time than this form one frame (one scan), s.",
    )
    gate_probability: float = Field(
        default=0.9999,
        gt=0.0,
        lt=1.0,
        description="Probability mass inside the Mahalanobis gate of track-to-detection "
        "association (chi-square, 2 degrees of freedom per line of sight).",
    )
    confirm_m: int = Field(default=3, ge=1, description="M of M-of-N confirmation.")
    confirm_n: int = Field(
        default=5, ge=1, le=MAX_CONFIRM_N, description="N of M-of-N confirmation, frames."
    )
    delete_after_s: float = Field(
        default=20.0, gt=0.0, description="A track not updated for this long is deleted, s."
    )
    max_position_sigma_km: float = Field(
        default=50.0,
        gt=0.0,
        description="A track whose largest position standard deviation grows past this is "
        "deleted, km.",
    )
    merge_gate_probability: float = Field(
        default=0.99,
        gt=0.0,
        lt=1.0,
        description="Two tracks whose position difference lies inside this chi-square gate "
        "(3 degrees of freedom) are duplicates; the younger one is deleted.",
    )
    init_velocity_sigma_mps: float = Field(
        default=3000.0,
        gt=0.0,
        description="Standard deviation of each velocity component of a new track, m/s.",
    )
    init_gate_probability: float = Field(
        default=0.999,
        gt=0.0,
        lt=1.0,
        description="Probability mass inside the gate that decides whether lines of sight "
        "meet at one point (chi-square).",
    )
    init_min_angle_deg: float = Field(
        default=2.0,
        gt=0.0,
        lt=90.0,
        description="Smallest angle between two lines of sight that may be triangulated, deg.",
    )
    init_min_altitude_km: float = Field(
        default=-5.0, description="Lowest altitude of a triangulated point, km."
    )
    init_max_altitude_km: float = Field(
        default=2000.0, gt=0.0, description="Highest altitude of a triangulated point, km."
    )
    max_speed_mps: float = Field(
        default=8000.0,
        gt=0.0,
        description="Fastest target; bounds the time-alignment error of triangulation, m/s.",
    )
    cue_position_m: float = Field(
        default=1000.0,
        gt=0.0,
        description="Position error a track must meet to cue a defence system, m.",
    )
    cue_velocity_mps: float = Field(
        default=50.0,
        gt=0.0,
        description="Velocity error a track must meet to cue a defence system, m/s.",
    )
    gospa_c_m: float = Field(default=10000.0, gt=0.0, description="GOSPA cut-off distance c, m.")
    gospa_p: float = Field(default=2.0, ge=1.0, description="GOSPA exponent p.")
    scoring_statuses: tuple[Literal["tentative", "confirmed", "coasting"], ...] = Field(
        default=("confirmed", "coasting"),
        description="Track statuses that count as a track in scoring (GOSPA, custody).",
    )

    @model_validator(mode="after")
    def _check(self) -> TrackingConfig:
        if self.confirm_m > self.confirm_n:
            raise ValueError(
                f"confirm_m must be <= confirm_n, got {self.confirm_m} > {self.confirm_n}"
            )
        if self.init_min_altitude_km >= self.init_max_altitude_km:
            raise ValueError(
                "init_min_altitude_km must be < init_max_altitude_km, got "
                f"{self.init_min_altitude_km} >= {self.init_max_altitude_km}"
            )
        return self

    @property
    def max_position_sigma_m(self) -> float:
        return self.max_position_sigma_km * KM

    @property
    def init_min_angle_rad(self) -> float:
        return self.init_min_angle_deg * DEG

    @property
    def init_altitude_bounds_m(self) -> tuple[float, float]:
        return self.init_min_altitude_km * KM, self.init_max_altitude_km * KM
