"""A tiny two-owner scenario for the resilience tests: 48 satellites, a coarse grid."""

from __future__ import annotations

import copy
from typing import Any

from tracklayer.scenario import Scenario, validate_scenario

BASE: dict[str, Any] = {
    "name": "tiny losses",
    "epoch": "2030-01-01T00:00:00Z",
    "seed": 3,
    "duration_s": 150.0,
    "step_s": 3.0,
    "sensors": {
        "ir": {
            "field_of_regard": {"kind": "earth_limb", "above_limb_deg": 3},
            "grazing_altitude_km": 20,
            "infrared": {
                "kind": "staring_wide", "band": "mwir", "aperture_cm": 15, "ifov_urad": 60,
                "revisit_s": 3, "nei_w_m2": 2.0e-11, "threshold_snr": 6,
                "pointing_error_urad": 20, "ephemeris_error_m": 10,
            },
        }
    },
    "space": {
        "constellations": [
            {"name": "TRK", "owner": "USA", "sensor": "ir", "kind": "walker_delta", "total": 24,
             "planes": 4, "phasing": 1, "altitude_km": 1000, "inclination_deg": 80},
            {"name": "QZT", "owner": "JPN", "sensor": "ir", "kind": "walker_delta", "total": 24,
             "planes": 4, "phasing": 1, "altitude_km": 800, "inclination_deg": 50},
        ]
    },
    "coverage": {
        "region": {"kind": "box", "lat_min_deg": 10, "lat_max_deg": 40,
                   "lon_min_deg": 110, "lon_max_deg": 140},
        "cell_size_deg": 5, "altitudes_km": [0], "duration_s": 3600, "step_s": 300, "k": [1, 2],
    },
}  # fmt: skip


def scenario(losses: dict[str, Any] | None = None, **changes: Any) -> Scenario:
    """The tiny scenario with a ``losses`` section and top-level fields replaced."""
    data = copy.deepcopy(BASE) | changes
    if losses is not None:
        data["losses"] = losses
    return validate_scenario(data)
