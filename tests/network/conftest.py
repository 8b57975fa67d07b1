"""Small networks for the network tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from tracklayer.network.config import NetworkConfig
from tracklayer.network.layer import SpaceSegmentStates


def space_states(
    r_ecef: np.ndarray, seconds: np.ndarray, owners: list[str], constellation: str = "LAYER"
) -> SpaceSegmentStates:
    """Satellites ``SAT0000...`` with the given positions (N, T, 3) and owners in turn."""
    n = r_ecef.shape[0]
    return SpaceSegmentStates(
        sat_id=np.char.add("SAT", np.char.zfill(np.arange(n).astype(str), 4)),
        owner=np.array([owners[i % len(owners)] for i in range(n)]),
        constellation=np.full(n, constellation),
        seconds=np.asarray(seconds, dtype=np.float64),
        r_ecef=r_ecef,
        valid=np.all(np.isfinite(r_ecef), axis=-1),
    )


def network_config(**overrides: Any) -> NetworkConfig:
    """One USA station at (0 N, 0 E), the USA node and the C2 node, sharing detections."""
    data: dict[str, Any] = {
        "ground_stations": [
            {"name": "EQ", "owner": "USA", "lat_deg": 0.0, "lon_deg": 0.0, "terminals": 8}
        ],
        "nodes": [{"owner": "USA", "name": "US-NODE"}, {"owner": "joint", "name": "C2"}],
        "sharing": [{"from": "USA", "to": "joint", "what": "detections", "delay_s": 0.25}],
    }
    data.update(overrides)
    return NetworkConfig.model_validate(data)
