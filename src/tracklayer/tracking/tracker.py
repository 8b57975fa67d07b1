"""The batched multi-target tracker: frames of detections in, track histories out.

Each frame (detections within ``frame_s`` of each other; the frame's time is its latest
detection's) runs, over all tracks at once:

1. predict every live track to the frame time (:func:`tracklayer.tracking.filters.predict`);
2. gate (track, detection) pairs and assign them by global nearest neighbour, one
   detection per track and sensor (:mod:`tracklayer.tracking.association`);
3. update: a track seen by several sensors takes its detections one after another, each
   round one batched update over all tracks that have a detection left;
4. triangulate new tentative tracks from detections that no track gated
   (:mod:`tracklayer.tracking.initiation`), or start one from a radar detection alone;
5. advance statuses (M-of-N, coasting, deletion) and delete duplicate tracks
   (:mod:`tracklayer.tracking.manager`).

The only Python loops run over frames, update rounds (the most sensors seeing one track)
and conflicted assignment blocks; nothing loops per detection or per track.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from tracklayer.tracking import association, initiation, manager
from tracklayer.tracking.config import TrackingConfig, chi2_quantile
from tracklayer.tracking.filters import (
    predict,
    update_angles,
    update_angles_multi,
    update_range,
)
from tracklayer.tracking.manager import DELETED, TrackSet

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class TrackHistory:
    """Every track's state at every frame it was alive, plus its deletion row.

    Attributes
    ----------
    track_id : (R,) int64; time_s : (R,) s since epoch; x : (R, 6) ECEF m, m/s;
    p : (R, 6, 6) covariance; status : (R,) int8 status code
    """

    track_id: I64
    time_s: F64
    x: F64
    p: F64
    status: NDArray[np.int8]

    def __len__(self) -> int:
        return int(self.track_id.shape[0])


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


class BatchTracker:
    """A multi-target tracker whose tracks live in ``(K, 6)`` / ``(K, 6, 6)`` arrays.

    Parameters
    ----------
    config : TrackingConfig
        Filter, motion model, gates and track management.

    Examples
    --------
    >>> history = BatchTracker(TrackingConfig()).run(detections)  # doctest: +SKIP
    """

    def __init__(self, config: TrackingConfig) -> None:
        self.config = config
        self.tracks = TrackSet.empty()
        self.time_s: float | None = None
        self._next_id = 0
        self._gate_d2 = chi2_quantile(config.gate_probability, 2)
        self._rows: list[tuple[I64, F64, F64, F64, NDArray[np.int8]]] = []

    def run(self, det: Detections) -> TrackHistory:
        """Track all detections, frame by frame in time order, and return the history."""
        order = np.argsort(det.time_s, kind="stable")
        det = det.take(order)
        if det.time_s.size == 0:
            return self.history()
        t0 = det.time_s[0]
        frame = np.floor((det.time_s - t0) / self.config.frame_s).astype(np.int64)
        bounds = np.nonzero(np.diff(frame))[0] + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [det.time_s.size]])
        for a, b in zip(starts, ends, strict=True):
            self.step(det.take(np.arange(a, b)))
        return self.history()

    def step(self, det: Detections) -> None:
        """Process one frame of detections (all within ``frame_s``)."""
        cfg = self.config
        tf = float(det.time_s.max())
        tau = det.time_s - tf
        tr = self.tracks
        if len(tr) and self.time_s is not None:
            x, p = predict(
                tr.x,
                tr.p,
                tf - self.time_s,
                q_m2_s3=cfg.process_noise_m2_s3,
                motion=cfg.motion,
                max_step_s=cfg.max_step_s,
                beta_kg_m2=cfg.drag_ballistic_coefficient_kg_m2,
                kind=cfg.filter,
            )
            tr = replace(tr, x=x, p=p)
        self.time_s = tf
        gi, gd, d2 = association.gate(
            tr.x, tr.p, det.los, det.sensor_pos, det.sigma_rad, tau, self._gate_d2
        )
        ai, ad = association.gnn(gi, gd, d2, det.sensor)
        tr = self._update(tr, det, tau, ai, ad)
        hit = np.zeros(len(tr), dtype=bool)
        hit[ai] = True
        tr = manager.advance(tr, hit, tf, cfg)
        # Detections inside some track's gate never start a track, even when unassigned.
        free = np.ones(det.time_s.size, dtype=bool)
        free[gd] = False
        born = self._initiate(det, tau, np.nonzero(free)[0], tf)
        tr = tr.concat(born)
        dup = manager.duplicates(tr, cfg)
        status = tr.status.copy()
        status[dup] = DELETED
        tr = replace(tr, status=status)
        self._rows.append((tr.track_id, np.full(len(tr), tf), tr.x, tr.p, tr.status))
        self.tracks = tr.select(tr.status != DELETED)

    def _update(self, tr: TrackSet, det: Detections, tau: F64, ai: I64, ad: I64) -> TrackSet:
        if ai.size == 0:
            return tr
        order = np.lexsort((ad, ai))
        ai, ad = ai[order], ad[order]
        # Round of each pair: its rank among its track's detections.
        first = np.searchsorted(ai, ai, side="left")
        rank = np.arange(ai.size) - first
        x, p = tr.x, tr.p
        if self.config.filter == "ekf":
            x, p = update_angles_multi(
                x,
                p,
                ai,
                det.los[ad],
                det.sensor_pos[ad],
                det.sigma_rad[ad],
                tau[ad],
                iterations=self.config.ekf_iterations,
            )
            rng = np.isfinite(det.range_m[ad])
            ai, ad, rank = ai[rng], ad[rng], rank[rng]
            if ai.size:
                first = np.searchsorted(ai, ai, side="left")
                rank = np.arange(ai.size) - first
        else:
            x, p = x.copy(), p.copy()
        for r in range(int(rank.max()) + 1 if ai.size else 0):
            sel = rank == r
            ti, di = ai[sel], ad[sel]
            xn, pn = x[ti], p[ti]
            if self.config.filter != "ekf":
                xn, pn, _ = update_angles(
                    xn,
                    pn,
                    det.los[di],
                    det.sensor_pos[di],
                    det.sigma_rad[di],
                    tau[di],
                    kind=self.config.filter,
                )
            rng = np.isfinite(det.range_m[di])
            if np.any(rng):
                xr, pr, _ = update_range(
                    xn[rng],
                    pn[rng],
                    det.range_m[di][rng],
                    det.sensor_pos[di][rng],
                    det.sigma_range_m[di][rng],
                    tau[di][rng],
                )
                xn[rng], pn[rng] = xr, pr
            x[ti], p[ti] = xn, pn
        return replace(tr, x=x, p=p)

    def _initiate(self, det: Detections, tau: F64, idx: I64, tf: float) -> TrackSet:
        cfg = self.config
        if idx.size == 0:
            return TrackSet.empty()
        sub = det.take(idx)
        radar = np.isfinite(sub.range_m)
        pos_list, cov_list = [], []
        if np.any(radar):
            r, c = initiation.from_radar(
                sub.los[radar],
                sub.sensor_pos[radar],
                sub.sigma_rad[radar],
                sub.range_m[radar],
                sub.sigma_range_m[radar],
            )
            pos_list.append(r)
            cov_list.append(c)
        ir = ~radar
        if np.count_nonzero(ir) >= 2:
            got = initiation.initiate(
                sub.los[ir],
                sub.sensor_pos[ir],
                sub.sigma_rad[ir],
                sub.sensor[ir],
                tau[idx][ir],
                cfg,
            )
            pos_list.append(got.r)
            cov_list.append(got.cov)
        if not pos_list:
            return TrackSet.empty()
        r = np.concatenate(pos_list)
        c = np.concatenate(cov_list)
        k = r.shape[0]
        x = np.zeros((k, 6))
        x[:, :3] = r
        p = np.zeros((k, 6, 6))
        p[:, :3, :3] = c
        p[:, [3, 4, 5], [3, 4, 5]] = cfg.init_velocity_sigma_mps**2
        born = TrackSet.born(self._next_id, x, p, tf)
        self._next_id += k
        return born

    def history(self) -> TrackHistory:
        """All rows recorded so far."""
        if not self._rows:
            return TrackHistory(
                np.zeros(0, np.int64),
                np.zeros(0),
                np.zeros((0, 6)),
                np.zeros((0, 6, 6)),
                np.zeros(0, np.int8),
            )
        ids, ts, xs, ps, st = zip(*self._rows, strict=True)
        return TrackHistory(
            np.concatenate(ids),
            np.concatenate(ts),
            np.concatenate(xs),
            np.concatenate(ps),
            np.concatenate(st),
        )
