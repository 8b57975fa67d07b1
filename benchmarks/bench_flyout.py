"""Benchmark: 10,000 boost-glide trajectories of 30 minutes sampled at 1 s.

Times the batched flyout (steering solve; integration and sampling; then the whole
``run_flyout`` with the truth table and signatures) and compares it with scipy's
``solve_ivp`` (DOP853, rtol 1e-10) integrating the same equations of motion one vehicle
at a time, on a subsample of a 100-vehicle batch flown at 1 s steps with the guidance
commands it recorded held over the same steps (closed-loop guidance inside an adaptive
solver would not be the same problem). Reports the per-trajectory time ratio against the
10,000-vehicle run and the largest position difference at the 1 s samples.

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
from tracklayer.threats.flyout import fly_plan, plan_flyout, run_flyout
from tracklayer.threats.guidance import Guidance

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


def reference(plan, traj, guidance_log, idx: int, step: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    """solve_ivp of one vehicle over each 1 s step with the batch's recorded controls."""
    model = FlightModel(plan.earth, plan.batch.take(np.array([idx])))
    times, cs_log, ss_log = guidance_log
    y = np.concatenate([plan.r0[:, idx], np.zeros(3)])
    out = [y[:3].copy()]
    for k in range(len(times) - 1):
        t0, t1 = times[k], times[k + 1]
        cs, ss = cs_log[k][idx : idx + 1], ss_log[k][idx : idx + 1]
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

    t0 = time.perf_counter()
    plan = plan_flyout(cfg, seed=7)
    t1 = time.perf_counter()
    traj, _ = fly_plan(plan, 1.0, 1800.0)
    t2 = time.perf_counter()
    print(f"vehicles {plan.batch.n}, samples {int(traj.filled.sum()):,}")
    print(f"steering solve {t1 - t0:.2f} s, integration+sampling {t2 - t1:.2f} s")
    t3 = time.perf_counter()
    truth = run_flyout(cfg, epoch=epoch, seed=7, step_s=1.0, duration_s=1800.0)
    t4 = time.perf_counter()
    print(f"run_flyout (truth table, {truth.num_rows:,} rows, all columns) {t4 - t3:.2f} s")

    # Side by side: record the batch's per-step controls for a small subsample, then
    # integrate each subsample vehicle alone with solve_ivp over the same steps.
    n_small = 100
    sub = np.linspace(0, n_small - 1, args.subsample).astype(int)
    small = plan_flyout(config(n_small), seed=7)
    from tracklayer.threats.integrate import SampleSpec, fly

    n = small.batch.n
    times: list[float] = []
    cs_log: list[np.ndarray] = []
    ss_log: list[np.ndarray] = []

    class Recording(Guidance):
        def update(self, t, r, v, live, model):  # type: ignore[no-untyped-def]
            cs, ss = super().update(t, r, v, live, model)
            full_c, full_s = np.ones(n), np.zeros(n)
            full_c[live], full_s[live] = cs, ss
            times.append(t)
            cs_log.append(full_c)
            ss_log.append(full_s)
            return cs, ss

    # Launch all at the epoch so that the recorded times are every vehicle's own.
    samples = SampleSpec(
        np.zeros(n), 1.0, np.full(n, 1201, dtype=np.int64), np.zeros(n, dtype=np.int64), 1201
    )
    tr = fly(
        FlightModel(small.earth, small.batch),
        Recording(small.guidance),
        small.r0,
        np.zeros((3, n)),
        samples,
        np.full(n, 1200.0),
    )
    times.append(times[-1] + 1.0)
    ref_s = 0.0
    errs = []
    for i in sub:
        ts = time.perf_counter()
        ref = reference(small, tr, (np.array(times), cs_log, ss_log), int(i), 1.0)
        ref_s += time.perf_counter() - ts
        # Compare at step times that coincide with the 1 s samples.
        tt = np.array(times)
        on_grid = np.flatnonzero(np.abs(tt - np.round(tt)) < 1e-9)
        k = np.round(tt[on_grid]).astype(int)
        ok = k < samples.count[i]
        flat = samples.flat_index(np.full(int(ok.sum()), i), k[ok])
        got = tr.pos[:, flat].T
        good = tr.filled[flat]
        errs.append(np.max(np.linalg.norm(got[good] - ref[on_grid][ok][good], axis=1)))
    per_batch = (t2 - t1) / plan.batch.n
    per_ref = ref_s / len(sub)
    print(
        f"solve_ivp DOP853 one at a time: {per_ref:.2f} s/trajectory; batch RK4: "
        f"{per_batch * 1e3:.2f} ms/trajectory; ratio {per_ref / per_batch:.0f}x; "
        f"max position difference {max(errs):.4f} m over {len(sub)} trajectories"
    )


if __name__ == "__main__":
    main()
