"""Three-frame initiation: a track is born from triangulated points of three successive
frames that line up kinematically, with a velocity measured rather than assumed.

The one-frame initiator (:mod:`tracklayer.tracking.initiation`) starts a tentative track at
every triangulated point, with zero velocity and ``initiation.velocity_sigma_mps`` per
axis; its second frame then gates kilometres around the prediction, where a sensor that
missed its target offers a neighbour's detection, and M-of-N confirmation decides later.
The three-frame initiator (Bar-Shalom, Willett and Tian, *Tracking and Data Fusion*, 2011,
sec. 3.5, the "two-point differencing" initiator, extended by a third point as the logic
of M-of-N with a kinematic gate; Blackman and Popoli 1999, sec. 7.3) holds each frame's
points as candidates instead:

1. two candidates of successive frames pair when the speed between them is at most
   ``initiation.max_speed_mps``;
2. a pair extrapolated at constant velocity to the third frame must meet a candidate there
   inside a chi-square gate (``initiation.gate_probability``, 3 degrees of freedom) built
   from the three points' covariances and an acceleration allowance
   (``initiation.max_acceleration_mps2``, uniform, i.e. its bound over the square root of
   3 per axis);
3. triples are taken best first (smallest squared distance), each candidate at most once.

A triple starts a track at the third point with the velocity differenced from the last two
and its covariance from theirs, and counts as three hits of M-of-N (it is confirmed at once
when ``confirm_m <= 3``). Validity: frames up to a few seconds apart (the constant-velocity
extrapolation's error, ``a dt^2``, must stay inside the gate) and targets whose
triangulated points are resolved from each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from tracklayer.tracking.config import TrackingConfig, chi2_quantile

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Candidates:
    """One frame's triangulated points not yet part of any track.

    Attributes
    ----------
    time_s : float, s since epoch; r : (J, 3) ECEF m; cov : (J, 3, 3) m^2
    """

    time_s: float
    r: F64
    cov: F64

    def take(self, keep: NDArray[np.bool_]) -> Candidates:
        return Candidates(self.time_s, self.r[keep], self.cov[keep])


@dataclass(frozen=True)
class Born:
    """States of tracks born from triples: ``x`` (K, 6) ECEF m, m/s; ``p`` (K, 6, 6)."""

    x: F64
    p: F64


class ThreeFrameInitiator:
    """Links triangulated points over three frames into new tracks.

    Parameters
    ----------
    config : TrackingConfig
        ``initiation.max_speed_mps``, ``max_acceleration_mps2``, ``gate_probability``.
    """

    def __init__(self, config: TrackingConfig) -> None:
        self.config = config
        self._older: Candidates | None = None
        self._old: Candidates | None = None

    def step(self, r: F64, cov: F64, time_s: float) -> Born:
        """Add this frame's points; return the tracks that triples complete.

        Parameters
        ----------
        r : (J, 3) ECEF m; cov : (J, 3, 3) m^2
            Points triangulated at this frame from detections no track explains.
        time_s : float
            The frame's time, s since epoch.
        """
        now = Candidates(time_s, r, cov)
        born = Born(np.zeros((0, 6)), np.zeros((0, 6, 6)))
        if self._older is not None and self._old is not None and r.shape[0]:
            i1, i2, i3 = link(self._older, self._old, now, self.config)
            born = _states(self._old, now, i2, i3, self.config)
            self._older = self._older.take(~np.isin(np.arange(self._older.r.shape[0]), i1))
            self._old = self._old.take(~np.isin(np.arange(self._old.r.shape[0]), i2))
            now = now.take(~np.isin(np.arange(r.shape[0]), i3))
        # Only the last two frames' candidates can start a triple at the next frame.
        self._older, self._old = self._old, now
        return born


def link(
    first: Candidates, second: Candidates, third: Candidates, config: TrackingConfig
) -> tuple[I64, I64, I64]:
    """Triples of candidates of three frames that line up, best first, each used once.

    Returns
    -------
    i1, i2, i3 : (T,) int
        Indices of each triple's points in ``first``, ``second``, ``third``.
    """
    empty = np.zeros(0, np.int64)
    dt12 = second.time_s - first.time_s
    dt23 = third.time_s - second.time_s
    if min(first.r.shape[0], second.r.shape[0], third.r.shape[0]) == 0 or dt12 <= 0 or dt23 <= 0:
        return empty, empty, empty
    v_max = config.initiation.max_speed_mps
    pairs = cKDTree(first.r).query_ball_tree(cKDTree(second.r), v_max * dt12)
    i1 = np.repeat(np.arange(len(pairs)), [len(p) for p in pairs]).astype(np.int64)
    i2 = np.fromiter((j for p in pairs for j in p), np.int64, count=i1.size)
    if i1.size == 0:
        return empty, empty, empty
    ratio = dt23 / dt12
    predicted = second.r[i2] + ratio * (second.r[i2] - first.r[i1])
    # Covariance of the extrapolation error: points independent; acceleration uniform in
    # [-a, a] per axis moves the third point by up to a dt23 (dt12 + dt23) / 2.
    accel = config.initiation.max_acceleration_mps2 * dt23 * (dt12 + dt23) / 2.0
    base = (1.0 + ratio) ** 2 * second.cov[i2] + ratio**2 * first.cov[i1]
    base = base + np.eye(3) * accel**2 / 3.0
    reach = np.sqrt(np.max(np.trace(base, axis1=1, axis2=2)) + np.max(third.cov.trace(0, 1, 2)))
    gate = chi2_quantile(config.initiation.gate_probability, 3)
    near = cKDTree(third.r).query_ball_point(predicted, np.sqrt(gate) * reach)
    pi = np.repeat(np.arange(i1.size), [len(n) for n in near]).astype(np.int64)
    i3 = np.fromiter((j for n in near for j in n), np.int64, count=pi.size)
    if pi.size == 0:
        return empty, empty, empty
    diff = third.r[i3] - predicted[pi]
    s = base[pi] + third.cov[i3]
    d2 = np.einsum("ti,ti->t", diff, np.linalg.solve(s, diff[..., None])[..., 0])
    ok = np.nonzero(d2 <= gate)[0]
    return _best_first(i1[pi[ok]], i2[pi[ok]], i3[ok], d2[ok])


def _best_first(i1: I64, i2: I64, i3: I64, d2: F64) -> tuple[I64, I64, I64]:
    """Triples taken in increasing ``d2``, skipping any that reuses a point."""
    order = np.argsort(d2, kind="stable")
    used: tuple[set[int], set[int], set[int]] = (set(), set(), set())
    keep = []
    # A loop over the gated triples of one frame (a few per new target), not per detection.
    for k in order.tolist():
        a, b, c = int(i1[k]), int(i2[k]), int(i3[k])
        if a in used[0] or b in used[1] or c in used[2]:
            continue
        used[0].add(a)
        used[1].add(b)
        used[2].add(c)
        keep.append(k)
    idx = np.asarray(keep, dtype=np.int64)
    return i1[idx], i2[idx], i3[idx]


def _states(second: Candidates, third: Candidates, i2: I64, i3: I64, cfg: TrackingConfig) -> Born:
    """State at the third point, velocity differenced from the last two points."""
    dt = third.time_s - second.time_s
    k = i3.size
    x, p = np.zeros((k, 6)), np.zeros((k, 6, 6))
    if k == 0:
        return Born(x, p)
    c2, c3 = second.cov[i2], third.cov[i3]
    x[:, :3] = third.r[i3]
    x[:, 3:] = (third.r[i3] - second.r[i2]) / dt
    accel = cfg.initiation.max_acceleration_mps2 * dt / 2.0
    p[:, :3, :3] = c3
    p[:, :3, 3:] = c3 / dt
    p[:, 3:, :3] = c3 / dt
    p[:, 3:, 3:] = (c2 + c3) / dt**2 + np.eye(3) * accel**2 / 3.0
    return Born(x, p)
