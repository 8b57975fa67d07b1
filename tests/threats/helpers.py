"""Shared builders for threat tests: free-flying batches with no boost, and a small raid
(two MRBMs and a glider from the mainland toward the island chain) that other tests fly."""

from __future__ import annotations

from typing import Any

import numpy as np

from tracklayer.threats.config import EarthOptions
from tracklayer.threats.dynamics import VehicleBatch
from tracklayer.threats.earth import EarthModel


def coasting_batch(n: int, *, beta: float = 1e4, ld: float = 0.0) -> VehicleBatch:
    """N vehicles already past separation: no thrust, payload ``beta`` and ``ld``."""
    z = np.zeros((1, n))
    ones = np.ones(n)
    return VehicleBatch(
        stage_on=z,
        stage_off=z,
        thrust=z,
        mdot=z,
        drop=z,
        thrust_loss=z,
        m0=ones * 1000.0,
        sep_time=0.0 * ones,
        cda_boost=ones,
        beta=beta * ones,
        ld=ld * ones,
        t_vertical=0.0 * ones,
        t_kick_end=0.0 * ones,
        kick_dir=np.zeros((3, n)),
        alpha=0.0 * ones,
        last_on=0.0 * ones,
    )


def earth(model: str = "spherical", **kw: bool) -> EarthModel:
    opts = {"rotating": False, "j2": False, "atmosphere": False} | kw
    return EarthModel.from_options(EarthOptions(model=model, **opts))  # type: ignore[arg-type]


def launch_state(em: EarthModel, speed: np.ndarray, gamma: np.ndarray, alt: float = 0.0):  # type: ignore[no-untyped-def]
    """States on the equator heading east at ``speed`` (m/s), flight-path ``gamma`` (rad)."""
    n = speed.shape[0]
    r0 = np.zeros((3, n))
    r0[0] = em.a_m + alt
    v0 = np.stack((speed * np.sin(gamma), speed * np.cos(gamma), np.zeros(n)))
    return r0, v0


STAGES = [
    {"propellant_mass_kg": 9000, "dry_mass_kg": 1000, "isp_s": 250, "burn_time_s": 60},
    {"propellant_mass_kg": 3000, "dry_mass_kg": 400, "isp_s": 270, "burn_time_s": 50},
]
SECTION: dict[str, Any] = {
    "vehicles": {
        "mrbm": {"kind": "ballistic", "payload_mass_kg": 600, "stages": STAGES},
        "hgv": {
            "kind": "hgv",
            "payload_mass_kg": 2000,
            "release_altitude_km": 45,
            "release_speed_km_s": 2.9,
            "manoeuvre_range_km": 300,
            "stages": STAGES,
        },
    },
    "raids": [
        {
            "name": "bm",
            "vehicle": "mrbm",
            "count": 2,
            "launch": {"lat_deg": 26.0, "lon_deg": 117.0, "radius_km": 30},
            "aim": {"lat_deg": 24.5, "lon_deg": 124.2},
            "launch_spread_s": 20,
            "trajectory": "depressed",
        },
        {
            "name": "gv",
            "vehicle": "hgv",
            "count": 1,
            "launch": {"lat_deg": 27.0, "lon_deg": 118.5},
            "aim": {"lat_deg": 26.3, "lon_deg": 127.8},
            "launch_time_s": 15.5,
        },
    ],
}
