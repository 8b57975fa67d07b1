"""A run folder's scenario and tables, read once each, for the exports."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from tracklayer.errors import InputFormatError, TracklayerError
from tracklayer.io.parquet import read_table
from tracklayer.scenario import Scenario, load_scenario
from tracklayer.space import SatelliteCatalog
from tracklayer.space.propagate import Ephemeris
from tracklayer.stages.space import ephemeris, space_segment

__all__ = ["SATELLITE_STEP_S", "STATE_COLUMNS", "RunFolder"]

#: Satellite states are sampled this often for OEM and STK files, s (about 190 points a
#: revolution in low orbit, well above STK's 90).
SATELLITE_STEP_S = 30.0
STATE_COLUMNS = ("x", "y", "z", "vx", "vy", "vz")


class RunFolder:
    """A run folder's scenario and tables, each read once when first asked for."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise TracklayerError(f"{self.path}: no such run folder")
        scenario = self.path / "scenario.yaml"
        if not scenario.is_file():
            raise TracklayerError(f"{scenario}: not found; export reads a `tracklayer run` folder")
        self.scenario: Scenario = load_scenario(scenario)
        self._tables: dict[str, pa.Table] = {}
        self._space: tuple[SatelliteCatalog, Ephemeris] | None = None
        self.geo: dict[str, dict[str, Any]] | None = None

    def table(self, name: str, columns: Iterable[str]) -> pa.Table:
        """The table ``name.parquet``, checked to hold ``columns``."""
        if name not in self._tables:
            path = self.path / f"{name}.parquet"
            if not path.is_file():
                raise InputFormatError(f"{path}: not found (this export needs the {name} table)")
            self._tables[name] = read_table(path)
        table = self._tables[name]
        missing = [c for c in columns if c not in table.column_names]
        if missing:
            raise InputFormatError(f"{self.path / name}.parquet: lacks column(s) {missing}")
        return table

    def has(self, name: str) -> bool:
        return (self.path / f"{name}.parquet").is_file()

    def space(self) -> tuple[SatelliteCatalog, Ephemeris]:
        """The space segment and its states every :data:`SATELLITE_STEP_S` over the span."""
        if self._space is None:
            catalog = space_segment(self.scenario)
            seconds = np.arange(0.0, self.scenario.duration_s + 1e-9, SATELLITE_STEP_S)
            self._space = (catalog, ephemeris(self.scenario, catalog, seconds))
        return self._space

    @property
    def epoch_ns(self) -> int:
        return int(self.scenario.epoch.timestamp() * 1e9)
