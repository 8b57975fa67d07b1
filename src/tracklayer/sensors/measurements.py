"""Detections as parallel arrays, before they become the ``detections`` table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

__all__ = ["Measurements"]


@dataclass(frozen=True)
class Measurements:
    """n detections of one family of sensors, SI, ECEF.

    Attributes
    ----------
    sensor : ndarray of int64, shape (n,)
        Index of the sensor in the caller's sensor list.
    time_index : ndarray of int64, shape (n,)
        Index into the time grid.
    los : ndarray, shape (n, 3)
        Measured unit line of sight, sensor to target.
    sensor_pos : ndarray, shape (n, 3)
        Reported sensor position, m.
    sigma_rad : ndarray, shape (n,)
        Standard deviation of the line of sight per axis normal to it, rad.
    snr : ndarray, shape (n,)
        Measured signal-to-noise ratio.
    range_m, sigma_range_m : ndarray, shape (n,)
        Measured range and its standard deviation, m; NaN for angle-only sensors.
    truth : ndarray of int64, shape (n,)
        Index of the truth object, -1 for a false alarm.
    """

    sensor: IntArray
    time_index: IntArray
    los: FloatArray
    sensor_pos: FloatArray
    sigma_rad: FloatArray
    snr: FloatArray
    range_m: FloatArray
    sigma_range_m: FloatArray
    truth: IntArray

    def __len__(self) -> int:
        return int(self.sensor.shape[0])

    @classmethod
    def empty(cls) -> Measurements:
        """No detections."""
        i = np.zeros(0, dtype=np.int64)
        f = np.zeros(0)
        v = np.zeros((0, 3))
        return cls(i, i.copy(), v, v.copy(), f, f.copy(), f.copy(), f.copy(), i.copy())

    @classmethod
    def concatenate(cls, parts: Sequence[Measurements]) -> Measurements:
        """All rows of ``parts``, in order."""
        if not parts:
            return cls.empty()
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        )
