"""The culled pair search finds exactly the pairs the exact geometry finds on all pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tracklayer.constants import DEG, KM
from tracklayer.frames import geodetic_to_ecef
from tracklayer.sensors.geometry import VisibilityConstraints, visible
from tracklayer.sensors.pairs import visible_pairs
from tracklayer.space.catalog import build_space_segment
from tracklayer.space.config import WalkerConstellation
from tracklayer.space.propagate import propagate

from .ir_helpers import EPOCH


def test_culled_pairs_equal_brute_force() -> None:
    """visible_pairs (coarse cull + exact test) returns the same triples as
    geometry.visible on all N x M x T triples.

    Reference: the exact test evaluated densely. Targets from 0 to 1,000 km high at all
    latitudes, some below the 20 km grazing shell; two payloads (limb and a 40 deg cone).
    Tolerance: identical sets.
    """
    cfg = WalkerConstellation(
        name="A",
        owner="USA",
        sensor="ir",
        kind="walker_delta",
        total=40,
        planes=5,
        phasing=1,
        altitude_km=1200.0,
        inclination_deg=70.0,
    )
    cat = build_space_segment([cfg], EPOCH, Path("."))
    seconds = np.arange(0.0, 600.0, 10.0)
    eph = propagate(cat, EPOCH, seconds)
    rng = np.random.default_rng(0)
    m = 30
    lat = rng.uniform(-90, 90, m) * DEG
    lon = rng.uniform(-180, 180, m) * DEG
    alt = rng.choice([0.0, 5 * KM, 19 * KM, 40 * KM, 300 * KM, 1000 * KM], m)
    drift = seconds[None, :] * 2e-4
    pos = geodetic_to_ecef(lat[:, None] + 0 * drift, lon[:, None] + drift, alt[:, None])
    vel = np.zeros_like(pos)
    alive = np.ones((m, seconds.size), dtype=bool)
    alive[: m // 3, : seconds.size // 2] = False
    limb = VisibilityConstraints(grazing_altitude_m=20 * KM, above_limb_rad=2 * DEG)
    cone = VisibilityConstraints(grazing_altitude_m=10 * KM, nadir_half_angle_rad=40 * DEG)
    which = np.arange(len(cat)) % 2
    rows = visible_pairs(
        eph.r_ecef, eph.valid, pos, vel, alive, [limb, cone], which, light_time=False
    )
    got = set(
        zip(rows.sensor.tolist(), rows.target.tolist(), rows.time_index.tolist(), strict=True)
    )
    want: set[tuple[int, int, int]] = set()
    for p, c in enumerate((limb, cone)):
        sats = np.flatnonzero(which == p)
        vis = visible(eph.r_ecef[sats][:, None], pos[None], c) & alive[None]
        s, t, k = np.nonzero(vis)
        want |= set(zip(sats[s].tolist(), t.tolist(), k.tolist(), strict=True))
    assert len(want) > 1000
    assert got == want
    assert rows.n_coarse < 0.5 * len(cat) * m * seconds.size  # the cull removes most pairs
