"""The satellite catalogue: every satellite of a scenario, who owns it and what it carries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sgp4.api import Satrec

from tracklayer.errors import ScenarioError
from tracklayer.io.omm import read_omm
from tracklayer.io.tle import ElementSet, read_tle
from tracklayer.space.config import (
    ConstellationConfig,
    OmmConstellation,
    TleConstellation,
    WalkerConstellation,
)
from tracklayer.space.walker import walker_layout, walker_satrecs

__all__ = ["SatelliteCatalog", "build_space_segment"]


@dataclass(frozen=True)
class SatelliteCatalog:
    """N satellites as parallel arrays plus their SGP4 records.

    Attributes
    ----------
    sat_id : ndarray of str, shape (N,)
        Unique, readable satellite ids (``USA-TRK-P03-S07``, a TLE name, a catalogue
        number).
    owner : ndarray of str, shape (N,)
        ISO 3166-1 alpha-3 code of each satellite's owner.
    constellation : ndarray of str, shape (N,)
        Name of the constellation each satellite belongs to.
    sensor : ndarray of str, shape (N,)
        Name of each satellite's sensor payload.
    satrecs : list of Satrec, length N
        SGP4 records, same order.
    """

    sat_id: NDArray[np.str_]
    owner: NDArray[np.str_]
    constellation: NDArray[np.str_]
    sensor: NDArray[np.str_]
    satrecs: list[Satrec] = field(repr=False)

    def __post_init__(self) -> None:
        n = len(self.satrecs)
        for name in ("sat_id", "owner", "constellation", "sensor"):
            values = getattr(self, name)
            if values.ndim != 1 or values.shape[0] != n:
                raise ValueError(f"{name} must have shape ({n},), got {values.shape}")

    def __len__(self) -> int:
        return len(self.satrecs)

    def select(self, mask: ArrayLike) -> SatelliteCatalog:
        """The satellites picked by a boolean mask of shape (N,) or an array of indices."""
        m = np.asarray(mask)
        index = np.flatnonzero(m) if m.dtype == np.bool_ else m.astype(np.intp)
        if m.dtype == np.bool_ and m.shape != (len(self),):
            raise ValueError(f"mask must have shape ({len(self)},), got {m.shape}")
        return SatelliteCatalog(
            sat_id=self.sat_id[index],
            owner=self.owner[index],
            constellation=self.constellation[index],
            sensor=self.sensor[index],
            satrecs=[self.satrecs[i] for i in index],
        )

    @property
    def owners(self) -> list[str]:
        """Owners present, sorted."""
        return sorted({str(o) for o in self.owner})

    @classmethod
    def empty(cls) -> SatelliteCatalog:
        """A catalogue with no satellites."""
        none = np.array([], dtype=np.str_)
        return cls(none, none.copy(), none.copy(), none.copy(), [])


def _walker_ids(config: WalkerConstellation) -> list[str]:
    layout = walker_layout(config.total, config.planes, config.phasing, config.raan_spread_rad, 0.0)
    wp = max(2, len(str(config.planes)))
    ws = max(2, len(str(config.per_plane)))
    prefix = f"{config.owner}-{config.name}"
    return [
        f"{prefix}-P{p + 1:0{wp}d}-S{s + 1:0{ws}d}"
        for p, s in zip(layout.plane.tolist(), layout.slot.tolist(), strict=True)
    ]


def _file_ids(sets: Sequence[ElementSet]) -> list[str]:
    """Names where unique in the file, ``NAME [number]`` for repeated names (debris
    clouds share names), the catalogue number for unnamed sets."""
    counts = Counter(s.name for s in sets if s.name)
    return [
        s.catalog_number
        if not s.name
        else (s.name if counts[s.name] == 1 else f"{s.name} [{s.catalog_number}]")
        for s in sets
    ]


def _select(
    config: TleConstellation | OmmConstellation, sets: list[ElementSet], path: Path
) -> list[ElementSet]:
    if config.select is None:
        return sets
    wanted = [w.strip() for w in config.select]
    keys = [{s.name or "", s.catalog_number, s.satrec.satnum_str.strip()} for s in sets]
    missing = [w for w in wanted if not any(w in k for k in keys)]
    if missing:
        raise ScenarioError(
            f"constellation '{config.name}' select: {', '.join(repr(m) for m in missing)} "
            f"matches no satellite name or catalogue number in {path}"
        )
    wanted_set = set(wanted)
    return [s for s, k in zip(sets, keys, strict=True) if k & wanted_set]


def build_space_segment(
    constellations: Sequence[ConstellationConfig], epoch: datetime, base_dir: Path
) -> SatelliteCatalog:
    """Build the catalogue of every satellite of every constellation.

    Parameters
    ----------
    constellations : sequence of ConstellationConfig
        Walker patterns (elements generated at ``epoch``), TLE and OMM files (elements at
        their own epochs).
    epoch : datetime
        Scenario epoch, timezone-aware UTC.
    base_dir : Path
        Folder that relative ``file`` paths are resolved against (the scenario's folder).

    Returns
    -------
    SatelliteCatalog
        Satellites in constellation order.

    Raises
    ------
    InputFormatError
        A TLE or OMM file is missing or malformed.
    ScenarioError
        Two satellites get the same id, or a ``select`` entry matches nothing.
    """
    ids: list[str] = []
    owners: list[str] = []
    names: list[str] = []
    sensors: list[str] = []
    satrecs: list[Satrec] = []
    for config in constellations:
        if isinstance(config, WalkerConstellation):
            new_ids = _walker_ids(config)
            new_recs = walker_satrecs(config, epoch)
        else:
            path = config.file if config.file.is_absolute() else Path(base_dir) / config.file
            sets = read_tle(path) if isinstance(config, TleConstellation) else read_omm(path)
            all_ids = _file_ids(sets)
            chosen = _select(config, sets, path)
            chosen_ids = {id(s) for s in chosen}
            new_ids = [i for i, s in zip(all_ids, sets, strict=True) if id(s) in chosen_ids]
            new_recs = [s.satrec for s in chosen]
        ids.extend(new_ids)
        owners.extend([config.owner] * len(new_ids))
        names.extend([config.name] * len(new_ids))
        sensors.extend([config.sensor] * len(new_ids))
        satrecs.extend(new_recs)
    counts = Counter(ids)
    repeated = [i for i, c in counts.items() if c > 1]
    if repeated:
        where = {r: sorted({names[k] for k, i in enumerate(ids) if i == r}) for r in repeated[:5]}
        detail = "; ".join(f"'{r}' in {', '.join(c)}" for r, c in where.items())
        raise ScenarioError(
            f"space.constellations: satellite ids must be unique, but {len(repeated)} repeat: "
            f"{detail}"
        )
    if not ids:
        return SatelliteCatalog.empty()
    return SatelliteCatalog(
        sat_id=np.array(ids, dtype=np.str_),
        owner=np.array(owners, dtype=np.str_),
        constellation=np.array(names, dtype=np.str_),
        sensor=np.array(sensors, dtype=np.str_),
        satrecs=satrecs,
    )
