"""Joint tracking at raid scale: each owner alone, every owner's detections jointly, and
the national tracks fused track-to-track, against raids of 10 to 300 threats.

A synthetic raid (``tracklayer.tracking.synthetic.make_raid``: ballistic threats launched
within two minutes from a 4 x 4 deg area, a proliferated layer of infrared satellites at
1,000 km shared in turn between two owners, 50 microradian noise, Pd 0.95, 0.5 false
alarms per sensor and frame, 1 Hz) is tracked by

- each owner's tracker fed only that owner's detections (``USA``, ``JPN``);
- the ``joint`` tracker fed all detections, and the same without the dominance rule
  (``management.dominated_frames: 0``), the joint tracker as it was before the rule;
- the ``fused`` picture: the owners' tracks fused track-to-track every second
  (:func:`tracklayer.fusion.timeline.fuse_timeline`);
- on the smallest raid, tracklayer's joint tracker with JPDA (``association: jpda``) and
  with multi-frame assignment (``association: mfa``, N-scan pruning over two frames), and
  Stone Soup's trackers fed all detections (its components as in ``bench_tracking.py``:
  EKF with a constant-velocity model, the same triangulation initiator and M-of-N), with
  ``GNNWith2DAssignment`` on the Mahalanobis distance, with its ``JPDA``
  (``PDAHypothesiser`` with tracklayer's ``jpda`` clutter density and detection
  probability; the weighted hypotheses reduced to one Gaussian), and with its multi-frame
  assignment (``MFADataAssociator``, Xia et al. 2019, over the same ``PDAHypothesiser``;
  each sensor's detections of a frame are one scan of its window), per sensor and frame.

Every tracker is scored by the same metrics (GOSPA c = 10 km, p = 2 on confirmed and
coasting tracks). GOSPA's parts (localisation, missed, false) are reported as the square
root of their mean over the scoring times, so that they add in quadrature to the mean
squared GOSPA. CPU is this process's time (``time.process_time``, BLAS on one thread) per
detection the tracker read.

Run: ``.venv/bin/python benchmarks/bench_raid.py [--threats 10 30 100 300 --seeds 2
--sats 160 --duration 240]``.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import time
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.fusion.timeline import fuse_timeline
from tracklayer.metrics.tracking import tracking_scores
from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.run import detections_arrays, history_table, strip_truth
from tracklayer.tracking.synthetic import make_raid
from tracklayer.tracking.tracker import BatchTracker

SCORING = TrackingConfig()


def _track(
    detections: pa.Table, name: str, cfg: TrackingConfig, epoch: datetime
) -> tuple[pa.Table, float, int]:
    det, _ = detections_arrays(strip_truth(detections), epoch)
    cpu0 = time.process_time()
    hist = BatchTracker(cfg).run(det)
    cpu = time.process_time() - cpu0
    return history_table(hist, name, epoch), cpu, int(det.time_s.size)


def _stonesoup(
    detections: pa.Table, epoch: datetime, associator: str
) -> tuple[pa.Table, float, int]:
    from bench_tracking import Q_CV, run_stonesoup

    det, _ = detections_arrays(strip_truth(detections), epoch)
    cfg = TrackingConfig(motion="cv", process_noise_m2_s3=Q_CV)
    hist, _, cpu = run_stonesoup(det, cfg, epoch, associator)
    table = history_table(hist, f"stonesoup {associator}", epoch)
    status = np.where(hist.status == 1, "confirmed", "tentative")
    table = table.set_column(table.schema.get_field_index("status"), "status", pa.array(status))
    return table, cpu, int(det.time_s.size)


def _has_ortools() -> bool:
    """Stone Soup's multi-frame assignment solves its LP with OR-Tools, an optional
    dependency (``pip install --no-deps ortools absl-py immutabledict``: OR-Tools pins an
    older protobuf than the project's, and runs with the newer one)."""
    try:
        import ortools.linear_solver.pywraplp  # noqa: F401
    except ImportError:
        print("stonesoup mfa: not run, OR-Tools is not installed")
        return False
    return True


def _rows(truth: pa.Table, tracks: pa.Table, detections: pa.Table) -> dict[str, dict[str, float]]:
    metrics, trackers, gospa = tracking_scores(truth, tracks, detections, SCORING)
    out: dict[str, dict[str, float]] = {}
    for name in pc.unique(tracks["tracker"]).to_pylist():
        m = metrics.filter(pc.equal(metrics["tracker"], name))
        per_tracker = trackers.filter(pc.equal(trackers["tracker"], name))
        g = gospa.filter(pc.equal(gospa["tracker"], name))

        def col(table: pa.Table, c: str) -> np.ndarray:
            return np.asarray(table[c].to_numpy(zero_copy_only=False), float)

        out[name] = {
            "gospa_km": float(np.mean(col(g, "gospa_m"))) / 1e3,
            "loc_km": float(np.sqrt(np.mean(col(g, "localisation")))) / 1e3,
            "missed_km": float(np.sqrt(np.mean(col(g, "missed")))) / 1e3,
            "false_km": float(np.sqrt(np.mean(col(g, "false")))) / 1e3,
            "false_tracks": float(np.max(col(per_tracker, "false_tracks"))),
            "rmse_m": float(np.nanmean(col(m, "rmse_pos_m"))),
            "id_switches": float(np.nansum(col(m, "id_switches"))),
        }
    return out


def one_raid(threats: int, sats: int, duration: float, seed: int, stonesoup: bool) -> None:
    raid = make_raid(threats, sats, duration_s=duration, seed=seed, launch_window_s=120.0,
                     false_alarms_per_frame=0.5)  # fmt: skip
    det = raid.detections
    owners = sorted(pc.unique(det["owner"]).to_pylist())
    tables, cpu = [], {}
    for owner in owners:
        t, c, n = _track(det.filter(pc.equal(det["owner"], owner)), owner, SCORING, raid.epoch)
        tables.append(t)
        cpu[owner] = c / n
    national = pa.concat_tables(tables)
    cpu0 = time.process_time()
    tables.append(fuse_timeline(national, raid.epoch, interval_s=1.0))
    cpu["fused"] = (time.process_time() - cpu0) / det.num_rows
    t, c, n = _track(det, "joint", SCORING, raid.epoch)
    tables.append(t)
    cpu["joint"] = c / n
    before = TrackingConfig(management={"dominated_frames": 0})
    t, c, n = _track(det, "joint, no dominance rule", before, raid.epoch)
    tables.append(t)
    cpu["joint, no dominance rule"] = c / n
    if stonesoup:
        for association in ("jpda", "mfa"):
            name = f"joint, {association}"
            t, c, n = _track(det, name, TrackingConfig(association=association), raid.epoch)
            tables.append(t)
            cpu[name] = c / n
        for associator in ("gnn", "jpda", "mfa") if _has_ortools() else ("gnn", "jpda"):
            t, c, n = _stonesoup(det, raid.epoch, associator)
            tables.append(t)
            cpu[f"stonesoup {associator}"] = c / n
    rows = _rows(raid.truth, pa.concat_tables(tables), det)
    for name, r in rows.items():
        print(
            f"| {threats} | {seed} | {det.num_rows:,} | {name} | {r['gospa_km']:.2f} | "
            f"{r['loc_km']:.2f} / {r['missed_km']:.2f} / {r['false_km']:.2f} | "
            f"{r['false_tracks']:.0f} | {r['rmse_m']:.0f} | {r['id_switches']:.0f} | "
            f"{cpu[name] * 1e6:.1f} |",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threats", type=int, nargs="+", default=[10, 30, 100, 300])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--sats", type=int, default=160)
    ap.add_argument("--duration", type=float, default=240.0)
    ap.add_argument("--stonesoup-threats", type=int, default=10, help="0: no Stone Soup run")
    ap.add_argument("--stonesoup-sats", type=int, default=40)
    ap.add_argument("--stonesoup-only", action="store_true", help="only the Stone Soup raids")
    args = ap.parse_args()
    print("| threats | seed | detections | tracker | mean GOSPA, km | loc / missed / false, km "
          "| false tracks | RMSE, m | id switches | CPU per detection, us |")  # fmt: skip
    print("|---:|---:|---:|---|---:|---|---:|---:|---:|---:|")
    for threats in [] if args.stonesoup_only else args.threats:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            one_raid(threats, args.sats, args.duration, seed, stonesoup=False)
    for seed in range(
        args.first_seed, args.first_seed + (args.seeds if args.stonesoup_threats else 0)
    ):
        one_raid(args.stonesoup_threats, args.stonesoup_sats, 120.0, seed, stonesoup=True)


if __name__ == "__main__":
    main()
