"""Benchmark: 10,000 boost-glide trajectories of 30 minutes sampled at 1 s.

Times the batched flyout (steering solve; integration and sampling; the truth table's
derived columns: geodetic coordinates and infrared intensities; then the whole
``run_flyout`` with the Arrow table), wall and CPU time, and compares it with scipy's
``solve_ivp`` (DOP853, rtol 1e-10) integrating the same equations of motion one vehicle
at a time, on a subsample of a 100-vehicle batch flown at 1 s steps with the guidance
commands it recorded held over the same steps (closed-loop guidance inside an adaptive
solver would not be the same problem; the batch records them with ``fly(trace=...)``).
Reports the per-trajectory time ratio against the 10,000-vehicle run and the largest
position difference at the 1 s samples. Kernel compilation (or loading the cached
kernels) is done by a 2-vehicle warm-up before the timings.

Run: ``.venv/bin/python benchmarks/bench_flyout.py [--count 10000] [--subsample 5]``
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import numpy as np
from scipy.integrate import solve_ivp

from tracklayer.threats.config import ThreatsConfig
from tracklayer.threats.dynamics import FlightModel
from tracklayer.threats.flyout import fly_plan, plan_flyout, run_flyout, truth_columns
from tracklayer.threats.guidance import Guidance
from tracklayer.threats.integrate import ControlTrace, SampleSpec, fly

#: An ICBM-class three-stage booster (open-literature orders of magnitude).
STAGES = [
    {"propellant_mass_kg": 30000, "dry_mass_kg": 3000, "isp_s": 270, "burn_time_s": 70},
    {"propellant_mass_kg": 12000, "dry_mass_kg": 1200, "isp_s": 290, "burn_time_s": 65},
    {"propellant_mass_kg": 4000, "dry_mass_kg": 500, "isp_s": 295, "burn_time_s": 55},
]


def config(count: int) -> ThreatsConfig:
    return ThreatsConfig.model_validate(
        {
            "vehicles": {
                "hgv": {
                    "kind": "hgv",
                    "payload_mass_kg": 2000,
                    "release_altitude_km": 70,
                    "release_speed_km_s": 6.0,
                    "crossrange_offset_deg": 10,
                    "stages": STAGES,
                }
            },
            "raids": [
                {
                    "vehicle": "hgv",
                    "count": count,
                    "launch": {"lat_deg": 40.0, "lon_deg": 100.0, "radius_km": 200},
                    "aim": {"lat_deg": 20.0, "lon_deg": 160.0, "radius_km": 100},
                    "launch_spread_s": 0,
                }
            ],
        }
    )


def reference(model: FlightModel, r0: np.ndarray, trace: ControlTrace, col: int) -> np.ndarray:
    """solve_ivp of one vehicle over each step of the batch, with the controls it held.

    Returns the position ``(steps + 1, 3)`` at the step boundaries ``trace.t``.
    """
    y = np.concatenate([r0, np.zeros(3)])
    out = [y[:3].copy()]
    for k in range(trace.t.size - 1):
        t0, t1 = trace.t[k], trace.t[k + 1]
        cs, ss = trace.cs[k, col : col + 1], trace.ss[k, col : col + 1]
        tm = 0.5 * (t0 + t1)

        def rhs(
            t: float, s: np.ndarray, cs: np.ndarray = cs, ss: np.ndarray = ss, tm: float = tm
        ) -> np.ndarray:
            a = model.accel(t, s[:3, None], s[3:, None], cs, ss, tm)[:, 0]
            return np.concatenate([s[3:], a])

        y = solve_ivp(rhs, (t0, t1), y, method="DOP853", rtol=1e-10, atol=1e-6).y[:, -1]
        out.append(y[:3].copy())
    return np.array(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--subsample", type=int, default=5)
    args = ap.parse_args()
    cfg = config(args.count)
    epoch = datetime(2030, 1, 1, tzinfo=UTC)

    # Compile (or load the cached kernels) outside the timings.
    run_flyout(config(2), epoch=epoch, seed=7, step_s=1.0, duration_s=60.0)
    warm = plan_flyout(config(2), seed=7)
    ones = np.ones(warm.batch.n)
    FlightModel(warm.earth, warm.batch).accel(0.0, warm.r0, 0.0 * warm.r0, ones, 0.0 * ones)

    # Wall and CPU (process) time of each part; the CPU time is less sensitive to other
    # jobs sharing the machine.
    t0, c0 = time.perf_counter(), time.process_time()
    plan = plan_flyout(cfg, seed=7)
    t1, c1 = time.perf_counter(), time.process_time()
    traj, _ = fly_plan(plan, 1.0, 1800.0)
    t2, c2 = time.perf_counter(), time.process_time()
    print(f"vehicles {plan.batch.n}, samples {int(traj.filled.sum()):,}")
    print(f"steering solve {t1 - t0:.2f} s (cpu {c1 - c0:.2f} s)")
    print(f"integration+sampling {t2 - t1:.2f} s (cpu {c2 - c1:.2f} s)")
    t3, c3 = time.perf_counter(), time.process_time()
    epoch_ns = int(epoch.timestamp() * 1e9)
    truth_columns(plan, traj, dict(cfg.bands), epoch_ns)
    t4, c4 = time.perf_counter(), time.process_time()
    print(f"truth columns (geodetic, intensities) {t4 - t3:.2f} s (cpu {c4 - c3:.2f} s)")
    del traj
    t5, c5 = time.perf_counter(), time.process_time()
    truth = run_flyout(cfg, epoch=epoch, seed=7, step_s=1.0, duration_s=1800.0)
    t6, c6 = time.perf_counter(), time.process_time()
    print(
        f"run_flyout (truth table, {truth.num_rows:,} rows, all columns) {t6 - t5:.2f} s "
        f"(cpu {c6 - c5:.2f} s)"
    )
    del truth

    # Side by side: fly a small batch recording the bank controls of a subsample, then
    # integrate each subsample vehicle alone with solve_ivp over the same steps.
    n_small = 100
    sub = np.linspace(0, n_small - 1, args.subsample).astype(np.int64)
    small = plan_flyout(config(n_small), seed=7)
    n = small.batch.n
    # Launch all at the epoch so that the step times are every vehicle's own.
    samples = SampleSpec(
        np.zeros(n), 1.0, np.full(n, 1201, dtype=np.int64), np.zeros(n, dtype=np.int64), 1201
    )
    model = FlightModel(small.earth, small.batch)
    tr = fly(
        model,
        Guidance(small.guidance),
        small.r0,
        np.zeros((3, n)),
        samples,
        np.full(n, 1200.0),
        trace=sub,
        trace_steps=100_000,
    )
    assert tr.trace is not None
    tt = tr.trace.t
    on_grid = np.flatnonzero(np.abs(tt - np.round(tt)) < 1e-9)
    k = np.round(tt[on_grid]).astype(np.int64)
    ref_s = 0.0
    errs = []
    for col, i in enumerate(sub):
        one = FlightModel(small.earth, small.batch.take(np.array([i])))
        ts = time.perf_counter()
        ref = reference(one, small.r0[:, i], tr.trace, col)
        ref_s += time.perf_counter() - ts
        # Compare at step boundaries that fall on the 1 s samples.
        ok = k < samples.count[i]
        flat = samples.flat_index(np.full(int(ok.sum()), i), k[ok])
        good = tr.filled[flat]
        got = tr.pos[:, flat].T[good]
        errs.append(np.max(np.linalg.norm(got - ref[on_grid][ok][good], axis=1)))
    per_batch = (t2 - t1) / plan.batch.n
    per_ref = ref_s / len(sub)
    print(
        f"solve_ivp DOP853 one at a time: {per_ref:.2f} s/trajectory; batch RK4: "
        f"{per_batch * 1e3:.3f} ms/trajectory; ratio {per_ref / per_batch:.0f}x; "
        f"max position difference {max(errs):.4f} m over {len(sub)} trajectories"
    )


if __name__ == "__main__":
    main()
