"""Tracking: tracklayer's batched tracker against a Stone Soup tracker on the same detections.

A synthetic raid (``tracklayer.tracking.synthetic.make_raid``: ballistic threats, infrared
satellites with 50 microradian noise, missed detections and false alarms) is tracked by

1. tracklayer's ``BatchTracker`` (EKF, constant-velocity model, Mahalanobis gate, GNN by
   ``linear_sum_assignment``, triangulation initiation, M-of-N), and the same with the
   ballistic model, which is tracklayer's default;
2. a Stone Soup 1.x tracker built from its components with the equivalent filter:
   ``ExtendedKalmanPredictor`` on a 3-D ``ConstantVelocity`` model with the same ``q``,
   ``ExtendedKalmanUpdater`` with one ``CartesianToElevationBearing`` measurement model per
   detection (translation offset = the satellite's ECEF position; bearing variance
   ``sigma^2 / cos^2(elevation)`` so that both angles carry the same angular noise), a
   ``DistanceHypothesiser`` with the ``Mahalanobis`` measure and the same gate,
   ``GNNWith2DAssignment`` per sensor and frame, the same triangulation initiator (Stone
   Soup has none for angles-only sensors) and the same M-of-N and deletion rules.

Both are scored by the same GOSPA (c = 10 km, p = 2) on confirmed tracks against truth.
Times are CPU seconds of this process per detection (``time.process_time``, initiation
included for both, BLAS pinned to one thread), with wall time printed alongside. Then a large raid
(default 50 threats, 500 satellites, 1 Hz, 30 min) gives tracklayer's throughput against
real time.

Run: ``.venv/bin/python benchmarks/bench_tracking.py [--seeds 3 --threats 20 --sats 40]``
(``--big-only`` / ``--no-big`` select parts).
"""

from __future__ import annotations

import argparse
import os

# "One core": BLAS worker threads would only contend with each other on small matrices.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import platform
import time
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from tracklayer.metrics.tracking import tracking_metrics
from tracklayer.tracking.config import TrackingConfig, chi2_quantile
from tracklayer.tracking.initiation import initiate
from tracklayer.tracking.run import detections_arrays, history_table, strip_truth
from tracklayer.tracking.synthetic import make_raid
from tracklayer.tracking.tracker import BatchTracker, Detections, TrackHistory

Q_CV = 400.0  # m^2/s^3: a constant-velocity model must absorb gravity (~9 m/s^2)
SS_ORDER = [0, 2, 4, 1, 3, 5]  # ours [x, y, z, vx, vy, vz] from Stone Soup's [x, vx, y, vy, z, vz]


def run_tracklayer(det: Detections, cfg: TrackingConfig) -> tuple[TrackHistory, float, float]:
    """Track ``det``; return the history, the wall time and the CPU time of this process (s)."""
    start, cpu0 = time.perf_counter(), time.process_time()
    hist = BatchTracker(cfg).run(det)
    return hist, time.perf_counter() - start, time.process_time() - cpu0


def _stonesoup_associator(kind: str, predictor: Any, updater: Any, cfg: TrackingConfig) -> Any:
    """Stone Soup's GNN (2-D assignment on the Mahalanobis distance), JPDA (its
    ``PDAHypothesiser`` with the clutter density and detection probability of tracklayer's
    ``jpda`` settings, the same gate), or multi-frame assignment (``MFADataAssociator``
    over ``MFAHypothesiser`` on the same ``PDAHypothesiser``, Xia et al. 2019's multi-scan
    assignment by dual decomposition; its window counts scans, here one sensor's
    detections of a frame each, ``slide_window = mfa.scan_depth + 1``)."""
    from stonesoup.dataassociator.mfa import MFADataAssociator
    from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
    from stonesoup.dataassociator.probability import JPDA
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.hypothesiser.mfa import MFAHypothesiser
    from stonesoup.hypothesiser.probability import PDAHypothesiser
    from stonesoup.measures import Mahalanobis

    if kind in ("jpda", "mfa"):
        pda = PDAHypothesiser(
            predictor,
            updater,
            clutter_spatial_density=cfg.jpda.clutter_density_per_sr,
            prob_detect=cfg.jpda.detection_probability,
            prob_gate=cfg.gate_probability,
        )
        if kind == "mfa":
            return MFADataAssociator(MFAHypothesiser(pda), slide_window=cfg.mfa.scan_depth + 1)
        return JPDA(pda)
    hyp = DistanceHypothesiser(
        predictor, updater, measure=Mahalanobis(),
        missed_distance=float(np.sqrt(chi2_quantile(cfg.gate_probability, 2))),
    )  # fmt: skip
    return GNNWith2DAssignment(hyp)


def _stonesoup_mixture(hyp: Any, updater: Any) -> tuple[Any, bool, list[Any]]:
    """MFA: the track's surviving components (each a tagged hypothesis of the window),
    whether the detections' components weigh more than 1/2, and the detections gated."""
    from stonesoup.types.mixture import GaussianMixture
    from stonesoup.types.update import GaussianMixtureUpdate

    components = [updater.update(h) if h else h.prediction for h in hyp]
    total = sum(float(c.weight) for c in components) or 1.0
    detected = sum(float(c.weight) for c, h in zip(components, hyp, strict=True) if h)
    gated = [h.measurement for h in hyp if h]
    state = GaussianMixtureUpdate(components=GaussianMixture(components), hypothesis=hyp)
    return state, detected / total > 0.5, gated


def _mean_covar(state: Any) -> tuple[np.ndarray, np.ndarray]:
    """A state's mean and covariance; a Gaussian mixture reduced to one Gaussian."""
    from stonesoup.functions import gm_reduce_single
    from stonesoup.types.array import StateVectors

    if not hasattr(state, "components"):
        return np.asarray(state.state_vector, float).ravel(), np.asarray(state.covar, float)
    comps = state.components
    weights = np.array([float(c.weight) for c in comps])
    means = StateVectors([c.state_vector for c in comps])
    mean, covar = gm_reduce_single(means, np.stack([c.covar for c in comps], axis=2), weights)
    return np.asarray(mean, float).ravel(), np.asarray(covar, float)


def _stonesoup_posterior(
    hyp: Any, updater: Any, time: datetime, kind: str = "gnn"
) -> tuple[Any, bool, list[Any]]:
    """The track's new state from its hypothesis (GNN), its weighted hypotheses (JPDA,
    the Gaussian mixture reduced to one Gaussian) or its window's components (MFA),
    whether a detection updated it (JPDA, MFA: of weight above 1/2), and the detections it
    gated (never used to start tracks)."""
    from stonesoup.functions import gm_reduce_single
    from stonesoup.types.array import StateVectors
    from stonesoup.types.update import GaussianStateUpdate

    if kind == "mfa":
        return _stonesoup_mixture(hyp, updater)
    if not hasattr(hyp, "single_hypotheses"):
        if hyp.measurement:
            return updater.update(hyp), True, [hyp.measurement]
        return hyp.prediction, False, []
    states, weights, gated = [], [], []
    hit = False
    for h in hyp:
        states.append(updater.update(h) if h else h.prediction)
        weights.append(float(h.probability))
        if h:
            gated.append(h.measurement)
            hit |= float(h.probability) > 0.5
    if len(states) == 1:
        return states[0], hit, gated
    means = StateVectors([s.state_vector for s in states])
    covars = np.stack([s.covar for s in states], axis=2)
    mean, covar = gm_reduce_single(means, covars, np.asarray(weights))
    return GaussianStateUpdate(mean, covar, hyp, time), hit, gated


def _stonesoup_prior(x: np.ndarray, p: np.ndarray, ts: datetime, kind: str) -> Any:
    """A new track's state: one Gaussian, or (MFA) a mixture of one tagged component."""
    from stonesoup.types.mixture import GaussianMixture
    from stonesoup.types.state import GaussianState, TaggedWeightedGaussianState

    if kind != "mfa":
        return GaussianState(x.reshape(6, 1), p, timestamp=ts)
    first = TaggedWeightedGaussianState(x.reshape(6, 1), p, timestamp=ts, weight=1.0, tag=[])
    return GaussianMixture([first])


def run_stonesoup(
    det: Detections, cfg: TrackingConfig, epoch: datetime, associator: str = "gnn"
) -> tuple[TrackHistory, float, float]:
    """Track ``det`` with Stone Soup's components (``associator``: ``gnn``, ``jpda``, ``mfa``);
    return the history, the wall time and the CPU time of this process (s)."""
    from stonesoup.models.measurement.nonlinear import CartesianToElevationBearing
    from stonesoup.models.transition.linear import (
        CombinedLinearGaussianTransitionModel,
        ConstantVelocity,
    )
    from stonesoup.predictor.kalman import ExtendedKalmanPredictor
    from stonesoup.types.detection import Detection
    from stonesoup.types.track import Track
    from stonesoup.updater.kalman import ExtendedKalmanUpdater

    start, cpu0 = time.perf_counter(), time.process_time()
    cv = CombinedLinearGaussianTransitionModel([ConstantVelocity(Q_CV)] * 3)
    predictor = ExtendedKalmanPredictor(cv)
    updater = ExtendedKalmanUpdater(measurement_model=None)
    assoc = _stonesoup_associator(associator, predictor, updater, cfg)
    mask = (1 << cfg.management.confirm_n) - 1
    tracks: dict[int, Track] = {}
    info: dict[int, list[int]] = {}  # id -> [history bits, age, confirmed]
    last: dict[int, float] = {}  # id -> time of the last update, s
    next_id = 0
    rows: list[tuple[int, float, np.ndarray, np.ndarray, int]] = []
    frame = np.floor((det.time_s - det.time_s[0]) / cfg.frame_s).astype(np.int64)
    bounds = np.nonzero(np.diff(frame))[0] + 1
    for idx in np.split(np.arange(det.time_s.size), bounds):
        tf = float(det.time_s[idx].max())
        ts = epoch + timedelta(seconds=tf)
        los, pos = det.los[idx], det.sensor_pos[idx]
        el = np.arcsin(np.clip(los[:, 2], -1, 1))
        az = np.arctan2(los[:, 1], los[:, 0])
        dets = []
        for k in range(idx.size):
            model = CartesianToElevationBearing(
                ndim_state=6, mapping=(0, 2, 4),
                noise_covar=np.diag([1.0, 1.0 / np.cos(el[k]) ** 2]) * det.sigma_rad[idx[k]] ** 2,
                translation_offset=pos[k].reshape(3, 1),
            )  # fmt: skip
            dets.append(Detection([[el[k]], [az[k]]], timestamp=ts, measurement_model=model))
        sensors = det.sensor[idx]
        hit = {tid: False for tid in tracks}
        used = np.zeros(idx.size, dtype=bool)
        for s in np.unique(sensors):
            ks = np.nonzero(sensors == s)[0]
            hyps = assoc.associate(set(tracks.values()), {dets[k] for k in ks}, ts)
            for track, h in hyps.items():
                state, took, gated = _stonesoup_posterior(h, updater, ts, associator)
                track.append(state)
                hit[track.tid] |= took
                for m in gated:
                    used[dets.index(m)] = True
        # Same triangulation initiation as tracklayer, on unassociated detections.
        free = np.nonzero(~used)[0]
        got = initiate(
            los[free], pos[free], det.sigma_rad[idx][free], sensors[free],
            det.time_s[idx][free] - tf, cfg,
        )  # fmt: skip
        for tid, tr in list(tracks.items()):
            inf = info[tid]
            inf[0] = ((inf[0] << 1) | int(hit[tid])) & mask
            inf[1] += 1
            if hit[tid]:
                last[tid] = tf
            if not inf[2] and bin(inf[0]).count("1") >= cfg.management.confirm_m:
                inf[2] = 1
            mgmt = cfg.management
            if (not inf[2] and inf[1] >= mgmt.confirm_n) or tf - last[tid] > mgmt.delete_after_s:
                del tracks[tid]
                continue
            mean, covar = _mean_covar(tr.state)
            rows.append((tid, tf, mean, covar, inf[2]))
        for r, c in zip(got.r, got.cov, strict=True):
            x = np.zeros(6)
            x[[0, 2, 4]] = r
            p = np.zeros((6, 6))
            p[np.ix_([0, 2, 4], [0, 2, 4])] = c
            p[[1, 3, 5], [1, 3, 5]] = cfg.initiation.velocity_sigma_mps**2
            tr = Track([_stonesoup_prior(x, p, ts, associator)])
            tr.tid = next_id
            tracks[next_id] = tr
            info[next_id] = [1, 1, 0]
            last[next_id] = tf
            next_id += 1
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
    n = len(rows)
    xs = np.array([r[2] for r in rows]).reshape(n, 6)[:, SS_ORDER] if n else np.zeros((0, 6))
    ps = np.array([r[3] for r in rows]).reshape(n, 6, 6) if n else np.zeros((0, 6, 6))
    ps = ps[:, SS_ORDER][:, :, SS_ORDER]
    hist = TrackHistory(
        np.array([r[0] for r in rows], np.int64),
        np.array([r[1] for r in rows]),
        xs,
        ps,
        np.array([1 if r[4] else 0 for r in rows], np.int8),
    )
    return hist, wall, cpu


def score(hist: TrackHistory, truth: pa.Table, epoch: datetime, cfg: TrackingConfig) -> float:
    tab = history_table(hist, "joint", epoch)
    _, g = tracking_metrics(truth, tab, None, cfg)
    return float(np.mean(g.column("gospa_m").to_numpy()))


def comparison(seeds: int, threats: int, sats: int, duration: float, fa: float) -> None:
    print(f"raid: {threats} threats, {sats} satellites, {duration:.0f} s at 1 Hz, "
          f"{fa} false alarms per sensor and frame")  # fmt: skip
    cfg_cv = TrackingConfig(motion="cv", process_noise_m2_s3=Q_CV)
    cfg_bal = TrackingConfig()
    # per seed: (CPU s per detection, mean GOSPA m, wall s per detection)
    res: dict[str, list[tuple[float, float, float]]] = {"ours_cv": [], "ours_bal": [], "ss": []}
    for seed in range(seeds):
        raid = make_raid(threats, sats, duration_s=duration, false_alarms_per_frame=fa,
                         seed=seed)  # fmt: skip
        det, _ = detections_arrays(strip_truth(raid.detections), raid.epoch)
        n = det.time_s.size
        for key, cfg in (("ours_cv", cfg_cv), ("ours_bal", cfg_bal)):
            hist, wall, cpu = run_tracklayer(det, cfg)
            res[key].append((cpu / n, score(hist, raid.truth, raid.epoch, cfg), wall / n))
        hist, wall, cpu = run_stonesoup(det, cfg_cv, raid.epoch)
        res["ss"].append((cpu / n, score(hist, raid.truth, raid.epoch, cfg_cv), wall / n))
        print(
            f"seed {seed}: {n} detections; per detection CPU (us) / wall (us) / mean GOSPA (m): "
            + ", ".join(
                f"{k} {v[-1][0] * 1e6:.1f} / {v[-1][2] * 1e6:.1f} / {v[-1][1]:.0f}"
                for k, v in res.items()
            )
            + f"; load average {os.getloadavg()[0]:.1f}"
        )
    for k, v in res.items():
        a = np.array(v)
        print(
            f"{k:9s} per detection {a[:, 0].mean() * 1e6:9.1f} us CPU "
            f"({a[:, 2].mean() * 1e6:9.1f} us wall)   "
            f"GOSPA mean {a[:, 1].mean():7.0f} m  (seeds: {np.round(a[:, 1]).tolist()})"
        )
    ss_t = np.mean([v[0] for v in res["ss"]])
    print(f"speed-up in CPU time (CV vs CV): {ss_t / np.mean([v[0] for v in res['ours_cv']]):.0f}x")


def big(threats: int, sats: int, duration: float) -> None:
    start = time.perf_counter()
    raid = make_raid(threats, sats, duration_s=duration, false_alarms_per_frame=0.2,
                     max_range_km=4000.0, seed=100, sat_lat_deg=None,
                     launch_window_s=duration / 2)  # fmt: skip
    gen = time.perf_counter() - start
    det, _ = detections_arrays(strip_truth(raid.detections), raid.epoch)
    del raid
    n = det.time_s.size
    for name, cfg in (("ballistic EKF + GNN", TrackingConfig()),
                      ("IMM + GNN", TrackingConfig(filter="imm")),
                      ("ballistic EKF + JPDA", TrackingConfig(association="jpda"))):  # fmt: skip
        hist, wall, cpu = run_tracklayer(det, cfg)
        print(
            f"large raid, {name}: {threats} threats, {sats} satellites, {duration:.0f} s at "
            f"1 Hz: {n} detections (generated in {gen:.0f} s); tracked in {wall:.1f} s wall, "
            f"{cpu:.1f} s CPU = {duration / cpu:.0f}x real time (CPU), "
            f"{cpu / n * 1e6:.1f} us per detection; "
            f"{len(np.unique(hist.track_id))} track identities"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--threats", type=int, default=20)
    ap.add_argument("--sats", type=int, default=40)
    ap.add_argument("--duration", type=float, default=100.0)
    ap.add_argument("--false-alarms", type=float, default=1.0)
    ap.add_argument("--big-threats", type=int, default=50)
    ap.add_argument("--big-sats", type=int, default=500)
    ap.add_argument("--big-duration", type=float, default=1800.0)
    ap.add_argument("--big-only", action="store_true")
    ap.add_argument("--no-big", action="store_true")
    args = ap.parse_args()
    print(f"Python {platform.python_version()}, numpy {np.__version__}")
    if not args.big_only:
        comparison(args.seeds, args.threats, args.sats, args.duration, args.false_alarms)
    if not args.no_big:
        big(args.big_threats, args.big_sats, args.big_duration)


if __name__ == "__main__":
    main()
