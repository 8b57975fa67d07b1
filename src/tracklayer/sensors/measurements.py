"""Detections as parallel arrays, before they become the ``detections`` table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

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
    background : ndarray of int64, shape (n,), or None
        What the sensor looked against (:data:`tracklayer.sensors.background.BACKGROUND_KINDS`
        code: 0 space, 1 limb, 2 earth), -1 where it does not apply (radar); None: all -1.
    daylight : ndarray of bool, shape (n,), or None
        The background point (or, against space, the target) in sunlight; None: all False.
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
    background: IntArray | None = None
    daylight: BoolArray | None = None

    def __len__(self) -> int:
        return int(self.sensor.shape[0])

    @classmethod
    def empty(cls) -> Measurements:
        """No detections."""
        i = np.zeros(0, dtype=np.int64)
        f = np.zeros(0)
        v = np.zeros((0, 3))
        return cls(
            i, i.copy(), v, v.copy(), f, f.copy(), f.copy(), f.copy(), i.copy(), i.copy(),
            np.zeros(0, dtype=bool),
        )  # fmt: skip

    @classmethod
    def concatenate(cls, parts: Sequence[Measurements]) -> Measurements:
        """All rows of ``parts``, in order."""
        if not parts:
            return cls.empty()
        filled = [
            replace(p, background=p.background_codes(), daylight=p.daylight_flags()) for p in parts
        ]
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in filled]) for f in fields(cls)}
        )

    def background_codes(self) -> IntArray:
        """The ``background`` codes, -1 where none was given."""
        if self.background is None:
            return np.full(len(self), -1, dtype=np.int64)
        return self.background

    def daylight_flags(self) -> BoolArray:
        """The ``daylight`` flags, False where none was given."""
        if self.daylight is None:
            return np.zeros(len(self), dtype=bool)
        return self.daylight
