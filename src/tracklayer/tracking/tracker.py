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
   (:mod:`tracklayer.tracking.initiation`), or start one from a radar detection alone, or
   (``single_sensor_initiation``) a bank of range hypotheses from one satellite's
   detection (:mod:`tracklayer.tracking.single_sensor`), updated by nearest neighbour
   outside the assignment, pruned by likelihood, tentative until a second sensor associates;
5. advance statuses (M-of-N, coasting, deletion) and delete duplicate tracks
   (:mod:`tracklayer.tracking.manager`).

The only Python loops run over frames, update rounds (the most sensors seeing one track)
and conflicted assignment blocks; nothing loops per detection or per track.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from tracklayer.tracking import association, imm, initiation, jpda, manager, single_sensor
from tracklayer.tracking.config import TrackingConfig, chi2_quantile
from tracklayer.tracking.filters import (
    angles_model,
    enforce_spd,
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
        self._next_group = 0
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
        one_sensor = tr.origin_sensor >= 0
        if np.any(one_sensor):
            # A bank hypothesis' covariance spans hundreds of km along its line of sight
            # and metres across it; keep its condition number within what the information
            # form's Cholesky factorisations resolve.
            p_fix = tr.p.copy()
            p_fix[one_sensor] = enforce_spd(tr.p[one_sensor])
            tr = replace(tr, p=p_fix)
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
            if cfg.single_sensor_initiation and gi.size:
                # Tracks grown from bank hypotheses that drifted out of the plausible region
                # (too close to the sensor, below the ground, too high) take nothing: they
                # are pruned or deleted on misses.
                ok = single_sensor.plausible(tr.x[gi], det.sensor_pos[gd], det.los[gd], cfg)
                gi, gd, d2 = gi[ok], gd[ok], d2[ok]
            one = (tr.origin_sensor >= 0)[gi]
            ai, ad = association.gnn(gi[~one], gd[~one], d2[~one], det.sensor)
            if np.any(one):
                # A bank's hypotheses lie on one line of sight and all gate the same
                # detections: each takes its own nearest one per sensor instead of competing
                # in the assignment, and is scored by that detection's likelihood.
                bi, bd = _nearest_per_sensor(gi[one], gd[one], d2[one], det.sensor)
                tr, second = self._score_bank(tr, det, tau, bi, bd, basis)
                ai, ad = np.concatenate([ai, bi]), np.concatenate([ad, bd])
                # The first update with a second sensor's line of sight turns a range
                # spread of hundreds of km into ~100 m: far from linear, so it is iterated
                # to convergence (the iterated EKF's Gauss-Newton steps).
                m = second[ai]
                tr = self._update(tr, det, tau, ai[m], ad[m], basis, max(cfg.ekf_iterations, 10))
                # Hypotheses still seen by one sensor: one linearisation per frame, since
                # their range spread makes a Gauss-Newton step along the line of sight
                # unreliable (it can land near the sensor, where the angles are singular).
                b1 = ~m & (tr.origin_sensor[ai] >= 0)
                tr = self._update(tr, det, tau, ai[b1], ad[b1], basis, 1)
                rest = ~m & ~b1
                tr = self._update(tr, det, tau, ai[rest], ad[rest], basis)
            else:
                tr = self._update(tr, det, tau, ai, ad, basis)
            hit = np.zeros(len(tr), dtype=bool)
            hit[ai] = True
        tr = manager.advance(tr, hit, tf, cfg)
        if np.any(tr.group >= 0):
            tr = self._prune_banks(tr, hit)
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
        self,
        tr: TrackSet,
        det: Detections,
        tau: F64,
        ai: I64,
        ad: I64,
        basis: F64,
        iterations: int | None = None,
    ) -> TrackSet:
        if ai.size == 0:
            return tr
        cfg = self.config
        n_iter = cfg.ekf_iterations if iterations is None else iterations
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
                iterations=n_iter,
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
                iterations=n_iter,
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

    def _score_bank(
        self, tr: TrackSet, det: Detections, tau: F64, bi: I64, bd: I64, basis: F64
    ) -> tuple[TrackSet, NDArray[np.bool_]]:
        """Log-likelihoods of bank hypotheses' detections; a second sensor ends the bank.

        Returns the tracks and which of them took a second sensor's detection.
        """
        h, jac, _ = angles_model(tr.x[bi], det.los[bd], det.sensor_pos[bd], tau[bd], basis[bd])
        s = jac @ tr.p[bi] @ np.swapaxes(jac, -1, -2)
        s[:, [0, 1], [0, 1]] += det.sigma_rad[bd, None] ** 2
        d2 = np.einsum("gi,gi->g", h, np.linalg.solve(s, h[..., None])[..., 0])
        loglik = tr.loglik.copy()
        np.add.at(loglik, bi, -0.5 * (d2 + np.log(np.linalg.det(s))))
        second = np.zeros(len(tr), dtype=bool)
        second[bi[det.sensor[bd] != tr.origin_sensor[bi]]] = True
        origin, group, status = tr.origin_sensor.copy(), tr.group.copy(), tr.status.copy()
        # The hypothesis a second sensor confirmed the range of replaces its bank.
        ended = np.isin(group, group[second]) & ~second & (group >= 0)
        status[ended] = DELETED
        origin[second], group[second] = -1, -1
        # M-of-N counts from the second sensor on: one satellite's hits do not confirm.
        history, age = tr.history.copy(), tr.age.copy()
        history[second], age[second] = 0, 0
        return replace(
            tr,
            loglik=loglik,
            origin_sensor=origin,
            group=group,
            history=history,
            age=age,
            status=status,
        ), second

    def _prune_banks(self, tr: TrackSet, hit: NDArray[np.bool_]) -> TrackSet:
        """Delete bank hypotheses far less likely than their bank's best, or that missed
        a frame in which a sibling took a detection."""
        g = tr.group
        inb = np.nonzero((g >= 0) & (tr.status != DELETED))[0]
        if inb.size == 0:
            return tr
        _, gl = np.unique(g[inb], return_inverse=True)
        best = np.full(gl.max() + 1, -np.inf)
        np.maximum.at(best, gl, np.where(hit[inb], tr.loglik[inb], -np.inf))
        any_hit = np.isfinite(best)
        drop = any_hit[gl] & (
            ~hit[inb] | (tr.loglik[inb] < best[gl] - self.config.single_sensor_prune_log_likelihood)
        )
        status = tr.status.copy()
        status[inb[drop]] = DELETED
        return replace(tr, status=status)

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
            if cfg.single_sensor_initiation:
                used = np.zeros(ir.size, dtype=bool)
                if got.members:
                    used[np.concatenate(got.members)] = True
                ir = ir[~used]
        k = sum(r.shape[0] for r in pos_list)
        x = np.zeros((k, 6))
        p = np.zeros((k, 6, 6))
        if k:
            x[:, :3] = np.concatenate(pos_list)
            p[:, :3, :3] = np.concatenate(cov_list)
            p[:, [3, 4, 5], [3, 4, 5]] = cfg.init_velocity_sigma_mps**2
        probs = np.asarray(cfg.imm_initial_probabilities) if self._modes else None
        born = TrackSet.born(self._next_id, x, p, tf, probs)
        self._next_id += k
        if cfg.single_sensor_initiation and ir.size:
            xb, pb, ok = single_sensor.range_bank(
                sub.los[ir], sub.sensor_pos[ir], sub.sigma_rad[ir], cfg
            )
            ir, xb, pb = ir[ok], xb[ok], pb[ok]
            n = cfg.single_sensor_hypotheses
            kb = ir.size * n
            bank = TrackSet.born(
                self._next_id,
                xb.reshape(kb, 6),
                pb.reshape(kb, 6, 6),
                tf,
                probs,
                origin_sensor=np.repeat(sub.sensor[ir], n),
                group=np.repeat(self._next_group + np.arange(ir.size), n),
            )
            self._next_id += kb
            self._next_group += ir.size
            born = born.concat(bank)
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


def _nearest_per_sensor(ti: I64, di: I64, d2: F64, sensor: I64) -> tuple[I64, I64]:
    """For each (track, sensor), the gated pair of least Mahalanobis distance."""
    if ti.size == 0:
        return ti, di
    n_sens = int(sensor.max()) + 1
    key = ti * n_sens + sensor[di]
    order = np.lexsort((d2, key))
    first = np.ones(order.size, dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    pick = order[first]
    return ti[pick], di[pick]


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
