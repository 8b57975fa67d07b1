"""Raids: seeded draws of launch points, aim points, launch times and manoeuvre phases.

Every raid draws, from one ``numpy.random.Generator`` seeded by the scenario seed and in
raid order: launch and aim points uniform over their discs (radius ``R sqrt(u)`` and a
uniform bearing, on the great circle through the centre), launch times uniform over the
spread, the sign of each glider's cross-range offset and the phase of its weave. The same
configuration and seed give the same raid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tracklayer.constants import DEG, EARTH_MEAN_RADIUS_M, KM
from tracklayer.threats.config import AreaConfig, RaidConfig, ThreatsConfig, raid_name
from tracklayer.threats.dynamics import F64
from tracklayer.threats.earth import destination


@dataclass(frozen=True)
class RaidDraw:
    """The drawn members of one raid, angles in rad, times in s after the epoch."""

    name: str
    config: RaidConfig
    object_ids: list[str]
    launch_lat: F64
    launch_lon: F64
    aim_lat: F64
    aim_lon: F64
    launch_time: F64
    offset_sign: F64
    weave_phase: F64

    @property
    def count(self) -> int:
        return len(self.object_ids)


def draw_in_disc(area: AreaConfig, n: int, rng: np.random.Generator) -> tuple[F64, F64]:
    """``n`` points uniform over a disc on the sphere (rad); the centre when radius is 0."""
    lat0 = np.full(n, area.lat_deg * DEG)
    lon0 = np.full(n, area.lon_deg * DEG)
    radial = area.radius_km * KM * np.sqrt(rng.random(n)) / EARTH_MEAN_RADIUS_M
    az = rng.random(n) * 2.0 * np.pi
    return destination(lat0, lon0, az, radial)


def draw_raids(config: ThreatsConfig, seed: int) -> list[RaidDraw]:
    """Draw every raid of the configuration with the scenario seed."""
    rng = np.random.default_rng(seed)
    draws = []
    for k, raid in enumerate(config.raids):
        n = raid.count
        name = raid_name(raid, k)
        width = len(str(n))
        lat, lon = draw_in_disc(raid.launch, n, rng)
        alat, alon = draw_in_disc(raid.aim, n, rng)
        times = raid.launch_time_s + raid.launch_spread_s * rng.random(n)
        sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        phase = rng.random(n) * 2.0 * np.pi
        ids = [f"{name}-{i + 1:0{width}d}" for i in range(n)]
        draws.append(RaidDraw(name, raid, ids, lat, lon, alat, alon, times, sign, phase))
    return draws


def kind_codes(draws: list[RaidDraw], config: ThreatsConfig) -> NDArray[np.bool_]:
    """Whether each drawn object (in raid order) is a boost-glide vehicle."""
    return np.concatenate(
        [np.full(d.count, config.vehicles[d.config.vehicle].kind == "hgv") for d in draws]
    )
