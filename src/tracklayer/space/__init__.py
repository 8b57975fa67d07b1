"""The space segment: constellations, their satellites, and SGP4 propagation to ECEF.

>>> from tracklayer.space import build_space_segment, propagate  # doctest: +SKIP
>>> catalog = build_space_segment(scenario.space.constellations, epoch, base_dir)
>>> eph = propagate(catalog, epoch, seconds)   # r_ecef, v_ecef: (N, T, 3), m and m/s
"""

from __future__ import annotations

from tracklayer.space.catalog import SatelliteCatalog, build_space_segment
from tracklayer.space.config import (
    ConstellationConfig,
    OmmConstellation,
    TleConstellation,
    WalkerConstellation,
)
from tracklayer.space.propagate import Ephemeris, propagate, propagate_teme
from tracklayer.space.tables import ephemeris_table, satellites_table
from tracklayer.space.walker import walker_layout, walker_satrecs

__all__ = [
    "ConstellationConfig",
    "Ephemeris",
    "OmmConstellation",
    "SatelliteCatalog",
    "TleConstellation",
    "WalkerConstellation",
    "build_space_segment",
    "ephemeris_table",
    "propagate",
    "propagate_teme",
    "satellites_table",
    "walker_layout",
    "walker_satrecs",
]
