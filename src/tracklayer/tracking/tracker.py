"""The batched multi-target tracker: frames of detections in, track histories out.

Each frame (detections within ``frame_s`` of each other; the frame's time is its latest
detection's) runs, over all tracks at once:

1. predict every live track to the frame time (:func:`tracklayer.tracking.filters.predict`,
   or the IMM's mixing and mode-matched predictions, :mod:`tracklayer.tracking.imm`);
2. gate (track, detection) pairs and assign them by global nearest neighbour, one
   detection per track and sensor (:mod:`tracklayer.tracking.association`), or weigh them
   by JPDA (:mod:`tracklayer.tracking.jpda`);
3. update: one information-form update per track with all its detections (EKF, and each
   mode of the IMM), or sequential rounds (cubature filter, JPDA, radar ranges);
4. triangulate new tentative tracks from detections that no track gated
   (:mod:`tracklayer.tracking.initiation`), or start one from a radar detection alone;
5. advance statuses (M-of-N, coasting, deletion) and delete duplicate tracks
   (:mod:`tracklayer.tracking.manager`).

The only Python loops run over frames, update rounds (the most sensors seeing one track)
and conflicted assignment blocks; nothing loops per detection or per track.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from tracklayer.tracking import association, imm, initiation, jpda, manager
from tracklayer.tracking.config import TrackingConfig, chi2_quantile
from tracklayer.tracking.filters import (
    predict,
    tangent_basis,
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
    p : (R, 6, 6) covariance; status : (R,) int8 status code;
    mode_prob : (R, M) IMM mode probabilities (:data:`tracklayer.tracking.imm.MODES`),
    ``M = 0`` without IMM
    """

    track_id: I64
    time_s: F64
    x: F64
    p: F64
    status: NDArray[np.int8]
    mode_prob: F64 = field(default_factory=lambda: np.zeros((0, 0)))

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
        self._modes = len(imm.MODES) if config.filter == "imm" else 0
        self.tracks = TrackSet.empty(self._modes)
        self.time_s: float | None = None
        self._next_id = 0
        self._gate_d2 = chi2_quantile(config.gate_probability, 2)
        self._rows: list[tuple[I64, F64, F64, F64, NDArray[np.int8], F64]] = []

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
            tr = self._predict(tr, tf - self.time_s)
        self.time_s = tf
        basis = tangent_basis(det.los)
        gi, gd, d2 = association.gate(
            tr.x, tr.p, det.los, det.sensor_pos, det.sigma_rad, tau, self._gate_d2, basis
        )
        if cfg.association == "jpda":
            x, p, hit = jpda.jpda_update(
                tr.x,
                tr.p,
                gi,
                gd,
                det.los,
                det.sensor_pos,
                det.sigma_rad,
                tau,
                det.sensor,
                detection_probability=cfg.jpda_detection_probability,
                gate_probability=cfg.gate_probability,
                clutter_density_per_sr=cfg.jpda_clutter_density_per_sr,
                max_cluster=cfg.jpda_max_cluster,
            )
            tr = replace(tr, x=x, p=p)
        else:
            ai, ad = association.gnn(gi, gd, d2, det.sensor)
            tr = self._update(tr, det, tau, ai, ad, basis)
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
        self._rows.append((tr.track_id, np.full(len(tr), tf), tr.x, tr.p, tr.status, tr.mu))
        self.tracks = tr.select(tr.status != DELETED)

    def _predict(self, tr: TrackSet, dt: float) -> TrackSet:
        cfg = self.config
        if cfg.filter == "imm":
            c, xm, pm = imm.imm_predict(tr.mu, tr.xm, tr.pm, dt, cfg)
            x, p = imm.combine(c, xm, pm)
            return replace(tr, x=x, p=p, mu=c, xm=xm, pm=pm)
        x, p = predict(
            tr.x,
            tr.p,
            dt,
            q_m2_s3=cfg.process_noise_m2_s3,
            motion=cfg.motion,
            max_step_s=cfg.max_step_s,
            beta_kg_m2=cfg.drag_ballistic_coefficient_kg_m2,
            kind=cfg.filter,
        )
        return replace(tr, x=x, p=p)

    def _update(
        self, tr: TrackSet, det: Detections, tau: F64, ai: I64, ad: I64, basis: F64
    ) -> TrackSet:
        if ai.size == 0:
            return tr
        cfg = self.config
        order = np.lexsort((ad, ai))
        ai, ad = ai[order], ad[order]
        rng = np.isfinite(det.range_m[ad])
        if cfg.filter == "imm":
            mu, xm, pm = imm.imm_update(
                tr.mu,
                tr.xm,
                tr.pm,
                ai,
                det.los[ad],
                det.sensor_pos[ad],
                det.sigma_rad[ad],
                tau[ad],
                iterations=cfg.ekf_iterations,
                basis=basis[ad],
            )
            if np.any(rng):
                m = self._modes
                ti = (ai[rng][None, :] * m + np.arange(m)[:, None]).ravel()
                di = np.tile(ad[rng], m)
                o = np.argsort(ti, kind="stable")
                xf, pf = _range_rounds(
                    xm.reshape(-1, 6).copy(), pm.reshape(-1, 6, 6).copy(), ti[o], di[o], det, tau
                )
                xm, pm = xf.reshape(xm.shape), pf.reshape(pm.shape)
            x, p = imm.combine(mu, xm, pm)
            return replace(tr, x=x, p=p, mu=mu, xm=xm, pm=pm)
        if cfg.filter == "ekf":
            x, p = update_angles_multi(
                tr.x,
                tr.p,
                ai,
                det.los[ad],
                det.sensor_pos[ad],
                det.sigma_rad[ad],
                tau[ad],
                iterations=cfg.ekf_iterations,
                basis=basis[ad],
            )
            if np.any(rng):
                x, p = _range_rounds(x, p, ai[rng], ad[rng], det, tau)
            return replace(tr, x=x, p=p)
        # Cubature filter: sequential rounds, each track's r-th detection in round r.
        x, p = tr.x.copy(), tr.p.copy()
        rank = np.arange(ai.size) - np.searchsorted(ai, ai, side="left")
        for r in range(int(rank.max()) + 1):
            sel = rank == r
            ti, di = ai[sel], ad[sel]
            xn, pn, _ = update_angles(
                x[ti],
                p[ti],
                det.los[di],
                det.sensor_pos[di],
                det.sigma_rad[di],
                tau[di],
                kind=cfg.filter,
            )
            x[ti], p[ti] = xn, pn
            if np.any(rng[sel]):
                x, p = _range_rounds(x, p, ti[rng[sel]], di[rng[sel]], det, tau)
        return replace(tr, x=x, p=p)

    def _initiate(self, det: Detections, tau: F64, idx: I64, tf: float) -> TrackSet:
        cfg = self.config
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
        ir = np.nonzero(~radar)[0]
        if ir.size >= 2:
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
        k = sum(r.shape[0] for r in pos_list)
        if k == 0:
            return TrackSet.empty(self._modes)
        x = np.zeros((k, 6))
        p = np.zeros((k, 6, 6))
        x[:, :3] = np.concatenate(pos_list)
        p[:, :3, :3] = np.concatenate(cov_list)
        p[:, [3, 4, 5], [3, 4, 5]] = cfg.init_velocity_sigma_mps**2
        probs = np.asarray(cfg.imm_initial_probabilities) if self._modes else None
        born = TrackSet.born(self._next_id, x, p, tf, probs)
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
                np.zeros((0, self._modes)),
            )
        ids, ts, xs, ps, st, mus = zip(*self._rows, strict=True)
        return TrackHistory(
            np.concatenate(ids),
            np.concatenate(ts),
            np.concatenate(xs),
            np.concatenate(ps),
            np.concatenate(st),
            np.concatenate(mus),
        )


def _range_rounds(x: F64, p: F64, ti: I64, di: I64, det: Detections, tau: F64) -> tuple[F64, F64]:
    """Radar range updates of tracks ``ti`` (sorted) with detections ``di``, in rounds."""
    rank = np.arange(ti.size) - np.searchsorted(ti, ti, side="left")
    for r in range(int(rank.max()) + 1 if ti.size else 0):
        sel = rank == r
        t, d = ti[sel], di[sel]
        x[t], p[t], _ = update_range(
            x[t], p[t], det.range_m[d], det.sensor_pos[d], det.sigma_range_m[d], tau[d]
        )
    return x, p
