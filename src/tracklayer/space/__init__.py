"""The space segment: constellations, their satellites, and SGP4 propagation to ECEF.

>>> from tracklayer.space import build_space_segment, propagate  # doctest: +SKIP
>>> catalog = build_space_segment(scenario.space.constellations, epoch, base_dir)
>>> eph = propagate(catalog, epoch, seconds)   # r_ecef, v_ecef: (N, T, 3), m and m/s

The tables' functions load on first use: the scenario model reads
:mod:`tracklayer.space.config` without loading Arrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracklayer._lazy import lazy_exports
from tracklayer.space.catalog import SatelliteCatalog, build_space_segment
from tracklayer.space.config import (
    ConstellationConfig,
    OmmConstellation,
    TleConstellation,
    WalkerConstellation,
)
from tracklayer.space.propagate import Ephemeris, propagate, propagate_teme
from tracklayer.space.walker import walker_layout, walker_satrecs

if TYPE_CHECKING:
    from tracklayer.space.tables import ephemeris_table, satellites_table

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


# The tables load Arrow: on first use, so that reading a scenario does not.
__getattr__, __dir__ = lazy_exports(
    "tracklayer.space",
    dict.fromkeys(("ephemeris_table", "satellites_table"), "tracklayer.space.tables"),
    globals(),
)
