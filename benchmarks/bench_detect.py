"""Detection throughput: a raid of threats seen by a large constellation at 1 Hz.

Builds a Walker constellation (SGP4 to ECEF, not timed), a synthetic raid (glide vehicles
and ballistic missiles on great circles with simple altitude and intensity profiles: the
flyout's output format, not its physics), then times :func:`tracklayer.sensors.detect.detect`
(interpolation of truth, culling, geometry, signal, merging, noise, false alarms, table).

To show that the cost follows the satellite-threat pairs in view and not all pairs, the same
raid is also run against constellations of other sizes and with the threats moved to where
fewer satellites see them; the table lists pairs in view, all pairs and the wall time.

Run: ``.venv/bin/python benchmarks/bench_detect.py [--sats 500 --threats 50 --minutes 30]``.
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from tracklayer.constants import DEG, KM, WGS84_A_M
from tracklayer.frames import geodetic_to_ecef, utc_timestamps
from tracklayer.sensors.config import SensorPayload
from tracklayer.sensors.detect import detect
from tracklayer.sensors.infrared import infrared_detections
from tracklayer.sensors.ir_config import InfraredParameters
from tracklayer.sensors.targets import targets_from_truth
from tracklayer.space.catalog import build_space_segment
from tracklayer.space.config import WalkerConstellation
from tracklayer.space.propagate import propagate

EPOCH = datetime(2027, 3, 1, tzinfo=UTC)


def synthetic_raid(
    n_threats: int, duration_s: float, step_s: float, seed: int, lat_deg: float = 40.0
) -> pa.Table:
    """A raid in the truth table's format: half glide vehicles, half ballistic missiles.

    Each threat starts from a launch point near (``lat_deg``, 125 E) at a random time in the
    first five minutes and flies a great circle at 2-6 km/s; glide vehicles hold 40 km after a
    90 s climb, ballistic ones follow a 600 km parabola. Intensity: 1e6 W/sr (MWIR) while
    boosting (first 120 s), then 5e3 (HGV) or 50 (RV) W/sr; SWIR a third of that.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, duration_s + step_s / 2, step_s)
    rows: dict[str, list[np.ndarray]] = {k: [] for k in ("id", "kind", "t", "r", "v", "mw")}
    for i in range(n_threats):
        hgv = i % 2 == 0
        t0 = rng.uniform(0.0, 300.0)
        live = t >= t0
        tau = t[live] - t0
        speed = rng.uniform(2000.0, 6000.0)
        heading = rng.uniform(0.0, 2.0 * np.pi)
        lat0 = (lat_deg + rng.uniform(-3, 3)) * DEG
        lon0 = (125.0 + rng.uniform(-3, 3)) * DEG
        dist = speed * tau / WGS84_A_M
        lat = np.arcsin(np.sin(lat0) * np.cos(dist) + np.cos(lat0) * np.sin(dist) * np.cos(heading))
        lon = lon0 + np.arctan2(
            np.sin(heading) * np.sin(dist) * np.cos(lat0), np.cos(dist) - np.sin(lat0) * np.sin(lat)
        )
        if hgv:
            alt = 40 * KM * np.minimum(tau / 90.0, 1.0)
        else:
            flight = 1500.0
            alt = np.maximum(4 * 600 * KM * (tau / flight) * (1 - tau / flight), 0.0)
        r = geodetic_to_ecef(lat, lon, alt)
        v = np.gradient(r, tau, axis=0) if tau.size > 1 else np.zeros_like(r)
        boosting = tau < 120.0
        mw = np.where(boosting, 1e6, 5e3 if hgv else 50.0)
        rows["id"].append(np.full(tau.size, f"T{i:03d}"))
        rows["kind"].append(np.full(tau.size, "hgv" if hgv else "ballistic"))
        rows["t"].append(t[live])
        rows["r"].append(r)
        rows["v"].append(v)
        rows["mw"].append(mw)
    r_all = np.concatenate(rows["r"])
    v_all = np.concatenate(rows["v"])
    mw_all = np.concatenate(rows["mw"])
    return pa.table(
        {
            "object_id": np.concatenate(rows["id"]),
            "kind": np.concatenate(rows["kind"]),
            "time": utc_timestamps(EPOCH, np.concatenate(rows["t"])),
            "x": r_all[:, 0],
            "y": r_all[:, 1],
            "z": r_all[:, 2],
            "vx": v_all[:, 0],
            "vy": v_all[:, 1],
            "vz": v_all[:, 2],
            "intensity_mwir_w_sr": mw_all,
            "intensity_swir_w_sr": mw_all / 3.0,
        }
    )


def constellation(n_sats: int, planes: int = 20) -> tuple[object, object]:
    """A Walker delta of ``n_sats`` at 1,000 km, 60°, one payload ``ir`` for all."""
    cfg = WalkerConstellation(
        name="TRK",
        owner="USA",
        sensor="ir",
        kind="walker_delta",
        total=n_sats,
        planes=planes,
        phasing=1,
        altitude_km=1000.0,
        inclination_deg=60.0,
    )
    return build_space_segment([cfg], EPOCH, Path("."))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sats", type=int, default=500)
    ap.add_argument("--threats", type=int, default=50)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--step", type=float, default=1.0)
    ap.add_argument("--scaling", action="store_true", help="also run the scaling table")
    args = ap.parse_args()
    seconds = np.arange(0.0, args.minutes * 60.0, args.step)
    payload = SensorPayload.model_validate({"grazing_altitude_km": 20})
    payloads = {"ir": (payload.constraints(), InfraredParameters(kind="staring_wide"))}
    print(
        f"python {platform.python_version()}, {args.sats} sats x {args.threats} threats x "
        f"{seconds.size} times"
    )

    def run(n_sats: int, n_threats: int, lat_deg: float) -> tuple[float, int, int, int]:
        catalog = constellation(n_sats, planes=20 if n_sats % 20 == 0 else 10)
        eph = propagate(catalog, EPOCH, seconds)
        truth = synthetic_raid(n_threats, seconds[-1], args.step, seed=1, lat_deg=lat_deg)
        start = time.perf_counter()
        table = detect(catalog, eph, truth, payloads, seed=7)
        wall = time.perf_counter() - start
        # Pair counts for the table (not timed).
        targets = targets_from_truth(truth, EPOCH, seconds, {"mwir"})
        ir = infrared_detections(
            eph.r_ecef,
            eph.valid,
            seconds,
            targets,
            [payloads["ir"]],
            np.zeros(len(catalog), dtype=np.int64),
            {"mwir": (3.0, 5.0)},
            np.random.default_rng(0),
        )
        return wall, ir.pairs_in_view, int(targets.alive.sum()) * n_sats, table.num_rows

    wall, in_view, all_pairs, rows = run(args.sats, args.threats, 40.0)
    print(
        f"detect: {wall:.2f} s, pairs in view {in_view:,} of {all_pairs:,} "
        f"({100 * in_view / all_pairs:.1f} %), {rows:,} detections"
    )
    if args.scaling:
        print("| satellites | threats | raid latitude | pairs in view | all pairs | wall (s) |")
        for n_sats, n_thr, lat in [
            (250, 50, 40.0),
            (500, 50, 40.0),
            (1000, 50, 40.0),
            (500, 50, 75.0),
            (500, 100, 40.0),
        ]:
            w, v, a, _ = run(n_sats, n_thr, lat)
            print(f"| {n_sats} | {n_thr} | {lat:.0f}° | {v:,} | {a:,} | {w:.2f} |")


if __name__ == "__main__":
    main()
