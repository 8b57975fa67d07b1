"""The tracker's filters behind one interface: predict a track set, update it with pairs.

The scenario's ``tracking.filter`` picks one of :data:`FILTERS` once, when the tracker is
built; nothing downstream compares filter names.

- :class:`ExtendedKalman`: ballistic (or constant-velocity) extended Kalman filter, all of
  a track's lines of sight in one information-form update, iterated
  (:func:`tracklayer.tracking.filters.update_angles_multi`).
- :class:`CubatureKalman`: the cubature Kalman filter (Arasaratnam and Haykin 2009), one
  line of sight per track per round.
- :class:`InteractingMultipleModel`: boost, ballistic and glide EKFs mixed by the IMM
  (:mod:`tracklayer.tracking.imm`).

Radar ranges update after the angles of the same detection, in rounds (angle and range
noises are independent, so the sequential update equals the joint one).
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar, Protocol

import numpy as np
from numpy.typing import NDArray

from tracklayer.tracking import imm
from tracklayer.tracking.config import FilterName, TrackingConfig
from tracklayer.tracking.detections import Detections, Frame
from tracklayer.tracking.filters import (
    predict,
    predict_cubature,
    update_angles_cubature,
    update_angles_multi,
    update_range,
)
from tracklayer.tracking.manager import TrackSet

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


class TrackFilter(Protocol):
    """What the tracker asks of a filter."""

    #: IMM modes carried per track (0: a single-model filter).
    modes: ClassVar[int]

    def predict(self, tracks: TrackSet, dt: float) -> TrackSet:
        """Every track ``dt`` seconds ahead."""
        ...

    def update(
        self, tracks: TrackSet, frame: Frame, ti: I64, di: I64, iterations: int | None = None
    ) -> TrackSet:
        """Tracks ``ti`` updated with detections ``di`` (pairs, any order)."""
        ...


class _SingleModel:
    """A filter of one motion model: ``tracking.motion`` with ``process_noise_m2_s3``."""

    modes: ClassVar[int] = 0
    _predict = staticmethod(predict)

    def __init__(self, config: TrackingConfig) -> None:
        self.config = config

    def predict(self, tracks: TrackSet, dt: float) -> TrackSet:
        cfg = self.config
        x, p = self._predict(
            tracks.x,
            tracks.p,
            dt,
            q_m2_s3=cfg.process_noise_m2_s3,
            motion=cfg.motion,
            max_step_s=cfg.max_step_s,
            beta_kg_m2=cfg.drag_ballistic_coefficient_kg_m2,
        )
        return replace(tracks, x=x, p=p)


class ExtendedKalman(_SingleModel):
    """Extended Kalman filter, information form, iterated ``ekf_iterations`` times."""

    def update(
        self, tracks: TrackSet, frame: Frame, ti: I64, di: I64, iterations: int | None = None
    ) -> TrackSet:
        if ti.size == 0:
            return tracks
        ti, di, ranged = _sorted_pairs(ti, di, frame.det)
        x, p = update_angles_multi(
            tracks.x,
            tracks.p,
            ti,
            *_lines_of_sight(frame, di),
            iterations=self.config.ekf_iterations if iterations is None else iterations,
            basis=frame.basis[di],
        )
        if np.any(ranged):
            x, p = _range_rounds(x, p, ti[ranged], di[ranged], frame)
        return replace(tracks, x=x, p=p)


class CubatureKalman(_SingleModel):
    """Cubature Kalman filter: sequential rounds, each track's r-th detection in round r."""

    _predict = staticmethod(predict_cubature)

    def update(
        self, tracks: TrackSet, frame: Frame, ti: I64, di: I64, iterations: int | None = None
    ) -> TrackSet:
        if ti.size == 0:
            return tracks
        ti, di, ranged = _sorted_pairs(ti, di, frame.det)
        det = frame.det
        x, p = tracks.x.copy(), tracks.p.copy()
        rank = _rank_within_track(ti)
        for r in range(int(rank.max()) + 1):
            sel = rank == r
            t, d = ti[sel], di[sel]
            x[t], p[t], _ = update_angles_cubature(
                x[t], p[t], det.los[d], det.sensor_pos[d], det.sigma_rad[d], frame.tau[d]
            )
            if np.any(ranged[sel]):
                x, p = _range_rounds(x, p, t[ranged[sel]], d[ranged[sel]], frame)
        return replace(tracks, x=x, p=p)


class InteractingMultipleModel:
    """Boost, ballistic and glide extended Kalman filters mixed by the IMM."""

    modes: ClassVar[int] = len(imm.MODES)

    def __init__(self, config: TrackingConfig) -> None:
        self.config = config

    def predict(self, tracks: TrackSet, dt: float) -> TrackSet:
        c, xm, pm = imm.imm_predict(tracks.mu, tracks.xm, tracks.pm, dt, self.config)
        x, p = imm.combine(c, xm, pm)
        return replace(tracks, x=x, p=p, mu=c, xm=xm, pm=pm)

    def update(
        self, tracks: TrackSet, frame: Frame, ti: I64, di: I64, iterations: int | None = None
    ) -> TrackSet:
        if ti.size == 0:
            return tracks
        ti, di, ranged = _sorted_pairs(ti, di, frame.det)
        mu, xm, pm = imm.imm_update(
            tracks.mu,
            tracks.xm,
            tracks.pm,
            ti,
            *_lines_of_sight(frame, di),
            iterations=self.config.ekf_iterations if iterations is None else iterations,
            basis=frame.basis[di],
        )
        if np.any(ranged):
            # Every mode-matched filter (t, j), flattened to t * M + j, takes the range.
            m = self.modes
            flat_t = (ti[ranged][None, :] * m + np.arange(m)[:, None]).ravel()
            flat_d = np.tile(di[ranged], m)
            o = np.argsort(flat_t, kind="stable")
            xf, pf = _range_rounds(
                xm.reshape(-1, 6).copy(), pm.reshape(-1, 6, 6).copy(), flat_t[o], flat_d[o], frame
            )
            xm, pm = xf.reshape(xm.shape), pf.reshape(pm.shape)
        x, p = imm.combine(mu, xm, pm)
        return replace(tracks, x=x, p=p, mu=mu, xm=xm, pm=pm)


#: The filter of each ``tracking.filter`` value.
FILTERS: dict[FilterName, type[ExtendedKalman | CubatureKalman | InteractingMultipleModel]] = {
    "ekf": ExtendedKalman,
    "ckf": CubatureKalman,
    "imm": InteractingMultipleModel,
}


def make_filter(config: TrackingConfig) -> TrackFilter:
    """The filter the configuration names."""
    return FILTERS[config.filter](config)


def _lines_of_sight(frame: Frame, di: I64) -> tuple[F64, F64, F64, F64]:
    """Line of sight, sensor position, angular sigma and time offset of detections ``di``."""
    det = frame.det
    return det.los[di], det.sensor_pos[di], det.sigma_rad[di], frame.tau[di]


def _sorted_pairs(ti: I64, di: I64, det: Detections) -> tuple[I64, I64, NDArray[np.bool_]]:
    """Pairs sorted by track then detection, and which detections carry a range."""
    order = np.lexsort((di, ti))
    ti, di = ti[order], di[order]
    return ti, di, np.isfinite(det.range_m[di])


def _rank_within_track(ti: I64) -> I64:
    """0, 1, 2, ... over the pairs of each track (``ti`` sorted)."""
    rank: I64 = np.arange(ti.size) - np.searchsorted(ti, ti, side="left")
    return rank


def _range_rounds(x: F64, p: F64, ti: I64, di: I64, frame: Frame) -> tuple[F64, F64]:
    """Radar range updates of tracks ``ti`` (sorted) with detections ``di``, in rounds."""
    det = frame.det
    rank = _rank_within_track(ti)
    for r in range(int(rank.max()) + 1 if ti.size else 0):
        sel = rank == r
        t, d = ti[sel], di[sel]
        x[t], p[t], _ = update_range(
            x[t], p[t], det.range_m[d], det.sensor_pos[d], det.sigma_range_m[d], frame.tau[d]
        )
    return x, p
