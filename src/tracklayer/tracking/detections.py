"""The tracker's view of detections: arrays without truth, and one frame of them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tracklayer.tracking.filters import tangent_basis

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Detections:
    """The tracker's view of detections (no truth), one row per detection, SI.

    Attributes
    ----------
    time_s : (D,) s since epoch; los : (D, 3) unit ECEF; sensor_pos : (D, 3) ECEF m;
    sigma_rad : (D,) rad; sensor : (D,) int sensor index; range_m, sigma_range_m : (D,)
    m, NaN where there is no range (infrared).
    """

    time_s: F64
    los: F64
    sensor_pos: F64
    sigma_rad: F64
    sensor: I64
    range_m: F64
    sigma_range_m: F64

    @classmethod
    def angles_only(
        cls, time_s: F64, los: F64, sensor_pos: F64, sigma_rad: F64, sensor: I64
    ) -> Detections:
        nan = np.full(time_s.shape[0], np.nan)
        return cls(time_s, los, sensor_pos, sigma_rad, sensor, nan, nan.copy())

    def take(self, idx: I64) -> Detections:
        return Detections(
            self.time_s[idx],
            self.los[idx],
            self.sensor_pos[idx],
            self.sigma_rad[idx],
            self.sensor[idx],
            self.range_m[idx],
            self.sigma_range_m[idx],
        )

    def __len__(self) -> int:
        return int(self.time_s.shape[0])


@dataclass(frozen=True)
class Frame:
    """One scan: detections, the frame time, and what every step of it reuses.

    Attributes
    ----------
    det : Detections
    time_s : float
        The frame's time (its latest detection's), s since epoch.
    tau : (D,) s
        Each detection's time minus the frame time (<= 0).
    basis : (D, 2, 3)
        ``tangent_basis(det.los)``: the measurement coordinates of each line of sight.
    """

    det: Detections
    time_s: float
    tau: F64
    basis: F64

    @classmethod
    def of(cls, det: Detections) -> Frame:
        t = float(det.time_s.max())
        return cls(det, t, det.time_s - t, tangent_basis(det.los))


@dataclass(frozen=True)
class Pairs:
    """(track, detection) pairs, e.g. the gated or the assigned ones.

    Attributes
    ----------
    track, det : (G,) int indices; d2 : (G,) squared Mahalanobis distance.
    """

    track: I64
    det: I64
    d2: F64

    def select(self, mask: NDArray[np.bool_]) -> Pairs:
        return Pairs(self.track[mask], self.det[mask], self.d2[mask])

    def __len__(self) -> int:
        return int(self.track.shape[0])
