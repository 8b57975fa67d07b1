"""The scenario's ``tracking:`` section: filter, motion model, gates, and, nested by concern,
the IMM (``imm:``), JPDA (``jpda:``), initiation (``initiation:``), one-satellite initiation
(``single_sensor:``), track management (``management:``) and scoring (``scoring:``).

Values carry their units in their names; the models convert to SI through properties so
that kernels only see SI numbers. Keys of the former flat layout (``imm_switch_rate_per_s``,
``gospa_c_m``, ...) are refused with a message naming their new place.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, model_validator

from tracklayer.config_base import StrictModel
from tracklayer.constants import DEG, KM

#: Longest M-of-N window; hit histories are kept as bit masks of this many frames.
MAX_CONFIRM_N = 16

#: The filters, by the scenario's ``filter`` value.
FilterName = Literal["ekf", "ckf", "imm"]

#: Deprecated filter names and the filter they now mean.
DEPRECATED_FILTERS = {"ukf": "ckf"}

#: Keys of the former flat layout and where each one lives now (under ``tracking``).
MOVED_KEYS = {
    "imm_boost_acceleration_mps2": "imm.boost_acceleration_mps2",
    "imm_boost_process_noise_m2_s3": "imm.boost_process_noise_m2_s3",
    "imm_glide_process_noise_m2_s3": "imm.glide_process_noise_m2_s3",
    "imm_switch_rate_per_s": "imm.switch_rate_per_s",
    "imm_initial_probabilities": "imm.initial_probabilities",
    "jpda_detection_probability": "jpda.detection_probability",
    "jpda_clutter_density_per_sr": "jpda.clutter_density_per_sr",
    "jpda_max_cluster": "jpda.max_cluster",
    "confirm_m": "management.confirm_m",
    "confirm_n": "management.confirm_n",
    "delete_after_s": "management.delete_after_s",
    "max_position_sigma_km": "management.max_position_sigma_km",
    "merge_gate_probability": "management.merge_gate_probability",
    "init_velocity_sigma_mps": "initiation.velocity_sigma_mps",
    "init_gate_probability": "initiation.gate_probability",
    "init_min_angle_deg": "initiation.min_angle_deg",
    "init_min_altitude_km": "initiation.min_altitude_km",
    "init_max_altitude_km": "initiation.max_altitude_km",
    "max_speed_mps": "initiation.max_speed_mps",
    "single_sensor_initiation": "single_sensor.enabled",
    "single_sensor_hypotheses": "single_sensor.hypotheses",
    "single_sensor_max_range_km": "single_sensor.max_range_km",
    "single_sensor_prune_log_likelihood": "single_sensor.prune_log_likelihood",
    "cue_position_m": "scoring.cue_position_m",
    "cue_velocity_mps": "scoring.cue_velocity_mps",
    "gospa_c_m": "scoring.gospa_c_m",
    "gospa_p": "scoring.gospa_p",
    "scoring_statuses": "scoring.statuses",
}


@lru_cache(maxsize=256)
def chi2_quantile(probability: float, dof: int) -> float:
    """Chi-square quantile, cached (gates are asked for every frame)."""
    from scipy.stats import chi2  # here, not at import: scenario validation stays fast

    return float(chi2.ppf(probability, dof))


class ImmConfig(StrictModel):
    """The interacting multiple model's modes (boost, ballistic, glide) and their switching.

    The ballistic mode uses the section's ``process_noise_m2_s3``.
    """

    boost_acceleration_mps2: float = Field(
        default=30.0,
        ge=0.0,
        description="Thrust acceleration of the boost model, along the velocity, m/s^2.",
    )
    boost_process_noise_m2_s3: float = Field(
        default=900.0,
        gt=0.0,
        description="Process noise q of the boost model, m^2/s^3 (thrust varies and turns).",
    )
    glide_process_noise_m2_s3: float = Field(
        default=400.0,
        gt=0.0,
        description="Process noise q of the glide model, m^2/s^3 (drag, manoeuvres).",
    )
    switch_rate_per_s: float = Field(
        default=0.05,
        gt=0.0,
        description="Rate of leaving a mode, 1/s: over a frame of dt seconds a mode "
        "persists with probability exp(-rate dt), otherwise switches to one of the others "
        "with equal probability.",
    )
    initial_probabilities: tuple[float, float, float] = Field(
        default=(1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0),
        description="Probabilities of the boost, ballistic and glide modes of a new track.",
    )

    @model_validator(mode="after")
    def _check(self) -> ImmConfig:
        probs = self.initial_probabilities
        if min(probs) < 0.0 or abs(sum(probs) - 1.0) > 1e-6:
            raise ValueError(f"initial_probabilities must be >= 0 and sum to 1, got {list(probs)}")
        return self


class JpdaConfig(StrictModel):
    """Joint probabilistic data association's detection and clutter model."""

    detection_probability: float = Field(
        default=0.9,
        gt=0.0,
        lt=1.0,
        description="Probability that a sensor in view detects a tracked target.",
    )
    clutter_density_per_sr: float = Field(
        default=0.3, gt=0.0, description="False alarms per steradian per sensor and frame."
    )
    max_cluster: int = Field(
        default=8,
        ge=1,
        le=12,
        description="Largest number of tracks, and of detections, of one sensor's cluster "
        "that JPDA solves exactly; larger clusters fall back to global nearest neighbour.",
    )


class MfaConfig(StrictModel):
    """Multi-frame assignment: how far decisions are deferred and how many of the oldest
    frame's assignments are carried through the window."""

    scan_depth: int = Field(
        default=2,
        ge=1,
        le=6,
        description="N of N-scan pruning: a frame's assignment is decided once N more "
        "frames have been seen, frames.",
    )
    hypotheses: int = Field(
        default=6,
        ge=1,
        le=64,
        description="Assignments of the oldest undecided frame (its k best, Murty) carried "
        "through the later frames of the window and compared by their summed costs.",
    )


class InitiationConfig(StrictModel):
    """Multi-satellite initiation: which lines of sight meet, over how many frames, and
    the new track's prior."""

    frames: Literal[1, 3] = Field(
        default=1,
        description="1: a tentative track at every triangulated point, velocity unknown "
        "(``velocity_sigma_mps``); 3: a track only where triangulated points of three "
        "successive frames line up (speed at most ``max_speed_mps``, the third inside a "
        "kinematic gate), its velocity differenced from the points, counted as three hits "
        "of M-of-N.",
    )
    max_acceleration_mps2: float = Field(
        default=100.0,
        gt=0.0,
        description="Largest acceleration of a target (boost included), m/s^2: the "
        "three-frame initiator's allowance for departures from constant velocity.",
    )

    velocity_sigma_mps: float = Field(
        default=3000.0,
        gt=0.0,
        description="Standard deviation of each velocity component of a new track, m/s.",
    )
    gate_probability: float = Field(
        default=0.999,
        gt=0.0,
        lt=1.0,
        description="Probability mass inside the gate that decides whether lines of sight "
        "meet at one point (chi-square).",
    )
    min_angle_deg: float = Field(
        default=2.0,
        gt=0.0,
        lt=90.0,
        description="Smallest angle between two lines of sight that may be triangulated, deg.",
    )
    min_altitude_km: float = Field(
        default=-5.0, description="Lowest altitude of a triangulated point, km."
    )
    max_altitude_km: float = Field(
        default=2000.0, gt=0.0, description="Highest altitude of a triangulated point, km."
    )
    max_speed_mps: float = Field(
        default=8000.0,
        gt=0.0,
        description="Fastest target; bounds the time-alignment error of triangulation, m/s.",
    )

    @model_validator(mode="after")
    def _check(self) -> InitiationConfig:
        if self.min_altitude_km >= self.max_altitude_km:
            raise ValueError(
                "min_altitude_km must be < max_altitude_km, got "
                f"{self.min_altitude_km} >= {self.max_altitude_km}"
            )
        return self

    @property
    def min_angle_rad(self) -> float:
        return self.min_angle_deg * DEG

    @property
    def altitude_bounds_m(self) -> tuple[float, float]:
        return self.min_altitude_km * KM, self.max_altitude_km * KM


class SingleSensorConfig(StrictModel):
    """Tracks started from one satellite's detections: a bank of range hypotheses."""

    enabled: bool = Field(
        default=False,
        description="Also start tracks from one satellite's detections over several frames "
        "(a range-parameterised bank of hypotheses along the line of sight; filter 'ekf' "
        "and association 'gnn' only); such tracks stay tentative until a second sensor's "
        "detection associates.",
    )
    hypotheses: int = Field(default=20, ge=2, le=64, description="Range hypotheses per bank.")
    max_range_km: float = Field(
        default=6000.0, gt=0.0, description="Farthest range of a hypothesis, km."
    )
    prune_log_likelihood: float = Field(
        default=6.9,
        gt=0.0,
        description="A hypothesis whose summed log-likelihood falls this far below its "
        "bank's best is pruned (6.9: likelihood ratio 1/1000).",
    )


class ManagementConfig(StrictModel):
    """Track management: M-of-N confirmation, deletion, duplicates."""

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
        description="Two tracks whose state difference (position and velocity) lies inside "
        "this chi-square gate (6 degrees of freedom) are duplicates; the younger one is "
        "deleted.",
    )
    dominated_frames: int = Field(
        default=3,
        ge=0,
        le=MAX_CONFIRM_N,
        description="A track living on a subset of another, more precise track's "
        "detections, seen by fewer sensors, for this many frames in a row is deleted (a "
        "ghost along some sensors' lines of sight, or a duplicate); 0: never.",
    )

    @model_validator(mode="after")
    def _check(self) -> ManagementConfig:
        if self.confirm_m > self.confirm_n:
            raise ValueError(
                f"confirm_m must be <= confirm_n, got {self.confirm_m} > {self.confirm_n}"
            )
        return self

    @property
    def max_position_sigma_m(self) -> float:
        return self.max_position_sigma_km * KM


class ScoringConfig(StrictModel):
    """How tracks are scored against truth: GOSPA, what counts as a track, cue quality."""

    gospa_c_m: float = Field(default=10000.0, gt=0.0, description="GOSPA cut-off distance c, m.")
    gospa_p: float = Field(default=2.0, ge=1.0, description="GOSPA exponent p.")
    statuses: tuple[Literal["tentative", "confirmed", "coasting"], ...] = Field(
        default=("confirmed", "coasting"),
        description="Track statuses that count as a track in scoring (GOSPA, custody).",
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


class TrackingConfig(StrictModel):
    """How detections become tracks, and how tracks are scored against truth.

    Examples
    --------
    >>> config = TrackingConfig(filter="ckf", management={"confirm_m": 3, "confirm_n": 4})
    >>> config.management.confirm_n
    4
    """

    filter: FilterName = Field(
        default="ekf",
        description="Extended Kalman filter (iterated, information form) or cubature Kalman "
        "filter ('ckf'; 'ukf' is a deprecated alias) with the ``motion`` model, or an "
        "interacting multiple model of boost, ballistic and glide EKFs ('imm'; ``motion`` "
        "is then not used).",
    )
    association: Literal["gnn", "jpda", "mfa"] = Field(
        default="gnn",
        description="Global nearest neighbour (optimal assignment), joint probabilistic "
        "data association (exact over clusters of up to ``jpda.max_cluster`` tracks and "
        "detections per sensor, global nearest neighbour in larger ones), or multi-frame "
        "assignment (the k best assignments of a frame carried over ``mfa.scan_depth`` "
        "later frames, decided by their summed costs: N-scan pruning).",
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
    imm: ImmConfig = Field(default_factory=ImmConfig, description="The IMM's modes.")
    jpda: JpdaConfig = Field(default_factory=JpdaConfig, description="JPDA's model.")
    mfa: MfaConfig = Field(
        default_factory=MfaConfig, description="Multi-frame assignment's window."
    )
    initiation: InitiationConfig = Field(
        default_factory=InitiationConfig, description="Multi-satellite initiation."
    )
    single_sensor: SingleSensorConfig = Field(
        default_factory=SingleSensorConfig, description="One-satellite initiation."
    )
    management: ManagementConfig = Field(
        default_factory=ManagementConfig, description="Confirmation, deletion, duplicates."
    )
    scoring: ScoringConfig = Field(
        default_factory=ScoringConfig, description="Scoring against truth (metrics)."
    )

    @model_validator(mode="before")
    @classmethod
    def _refuse_moved_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        moved = [f"{k} is now {MOVED_KEYS[k]}" for k in data if k in MOVED_KEYS]
        if moved:
            raise ValueError(f"moved field(s): {'; '.join(moved)}")
        old = data.get("filter")
        if isinstance(old, str) and old in DEPRECATED_FILTERS:
            new = DEPRECATED_FILTERS[old]
            warnings.warn(
                f"tracking.filter {old!r} is deprecated; it is the cubature Kalman filter, "
                f"write {new!r}",
                DeprecationWarning,
                stacklevel=2,
            )
            data = {**data, "filter": new}
        return data

    @model_validator(mode="after")
    def _check(self) -> TrackingConfig:
        if self.filter == "imm" and self.association == "jpda":
            raise ValueError(
                "filter 'imm' with association 'jpda' is not supported; use 'gnn' with 'imm'"
            )
        if self.single_sensor.enabled and (self.association != "gnn" or self.filter != "ekf"):
            raise ValueError("single_sensor.enabled needs filter 'ekf' and association 'gnn'")
        if self.filter == "ckf" and self.association == "jpda":
            raise ValueError("association 'jpda' needs filter 'ekf'")
        return self
