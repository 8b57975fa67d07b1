"""Propagation throughput: tracklayer's ``propagate`` against calling sgp4 directly.

Three ways to get N satellites × T times, timed in one run on the same elements:

1. ``tracklayer.space.propagate`` — ``SatrecArray.sgp4`` plus TEME → ECEF (Skyfield's
   ``TEME_to_ITRF``), unit conversion and NaN flagging: what the pipeline uses;
2. ``SatrecArray(sats).sgp4(jd, fr)`` alone — sgp4's vectorized C++ loop, TEME km only;
3. a Python loop over ``Satrec.sgp4(jd, fr)`` — what a user writes without arrays
   (timed on a subsample of satellites and scaled, it is the slow one).

Figures are satellite-epochs per second (N × T / wall time, best of ``--repeat``).
Run: ``.venv/bin/python benchmarks/bench_propagation.py [--sats 1000 --times 1440]``.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sgp4.api import SatrecArray, accelerated

from tracklayer.frames import sgp4_julian_dates
from tracklayer.space.catalog import build_space_segment
from tracklayer.space.config import WalkerConstellation
from tracklayer.space.propagate import propagate

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run(n_sats: int, n_times: int, repeat: int, loop_sats: int) -> dict[str, float]:
    """Time the three paths; return satellite-epochs per second for each."""
    planes = 20 if n_sats % 20 == 0 else 1
    shell = WalkerConstellation(
        kind="walker_delta",
        name="B",
        owner="USA",
        sensor="ir",
        total=n_sats,
        planes=planes,
        phasing=1 % planes,
        altitude_km=1000.0,
        inclination_deg=55.0,
    )
    catalog = build_space_segment([shell], EPOCH, Path("."))
    seconds = np.arange(n_times) * 60.0
    jd, fr = sgp4_julian_dates(EPOCH, seconds)
    array = SatrecArray(catalog.satrecs)
    work = n_sats * n_times

    t_ours = _best(lambda: propagate(catalog, EPOCH, seconds), repeat)
    t_array = _best(lambda: array.sgp4(jd, fr), repeat)

    subset = catalog.satrecs[:loop_sats]
    jd_list, fr_list = jd.tolist(), fr.tolist()

    def python_loop() -> None:
        for sat in subset:
            for a, b in zip(jd_list, fr_list, strict=True):
                sat.sgp4(a, b)

    t_loop = _best(python_loop, 1) * (n_sats / loop_sats)
    return {
        "ours": work / t_ours,
        "satrecarray": work / t_array,
        "loop": work / t_loop,
        "t_ours": t_ours,
        "t_array": t_array,
        "t_loop": t_loop,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sats", type=int, default=1000)
    parser.add_argument("--times", type=int, default=1440)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loop-sats", type=int, default=100)
    args = parser.parse_args()
    r = run(args.sats, args.times, args.repeat, min(args.loop_sats, args.sats))
    print(f"## Propagation ({args.sats} satellites x {args.times} times, 60 s step)")
    print(f"python {platform.python_version()}, sgp4 accelerated={accelerated}")
    print("| path | wall time (s) | satellite-epochs/s | relative to ours |")
    print("|---|---:|---:|---:|")
    rows = [
        ("tracklayer propagate (SGP4 + TEME->ECEF, SI)", r["t_ours"], r["ours"]),
        ("sgp4 SatrecArray.sgp4 alone (TEME, km)", r["t_array"], r["satrecarray"]),
        (f"Python loop over Satrec.sgp4 ({args.loop_sats} sats, scaled)", r["t_loop"], r["loop"]),
    ]
    for name, t, rate in rows:
        print(f"| {name} | {t:.3f} | {rate:,.0f} | {rate / r['ours']:.2f}x |")


if __name__ == "__main__":
    main()
