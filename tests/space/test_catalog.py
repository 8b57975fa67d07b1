"""Building the space segment from several constellations and owners."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from pydantic import TypeAdapter

from tracklayer.errors import InputFormatError, ScenarioError
from tracklayer.space.catalog import SatelliteCatalog, build_space_segment
from tracklayer.space.config import ConstellationConfig

DATA = Path(__file__).parents[1] / "data"
EPOCH = datetime(2018, 5, 15, tzinfo=UTC)
ADAPTER: TypeAdapter[list[ConstellationConfig]] = TypeAdapter(list[ConstellationConfig])


def _configs(*items: dict[str, object]) -> list[ConstellationConfig]:
    return ADAPTER.validate_python(list(items))


WALKER = {
    "kind": "walker_delta",
    "name": "TRK",
    "owner": "USA",
    "sensor": "ir_wide",
    "total": 12,
    "planes": 3,
    "phasing": 1,
    "altitude_km": 1000,
    "inclination_deg": 55,
}


def test_multi_owner_segment() -> None:
    """A Walker shell, a TLE file with a selection and an OMM file make one catalogue
    with readable unique ids, owners and sensors in constellation order."""
    cat = build_space_segment(
        _configs(
            WALKER,
            {
                "kind": "tle",
                "name": "ISS",
                "owner": "JPN",
                "sensor": "eo",
                "file": "sats.tle",
                "select": ["ISS (ZARYA)", "41483"],
            },
            {
                "kind": "omm",
                "name": "OLD",
                "owner": "KOR",
                "sensor": "eo",
                "file": "sats.xml",
                "select": ["5"],
            },
        ),
        EPOCH,
        DATA,
    )
    assert len(cat) == 15
    assert cat.sat_id[:5].tolist() == [
        "USA-TRK-P01-S01",
        "USA-TRK-P01-S02",
        "USA-TRK-P01-S03",
        "USA-TRK-P01-S04",
        "USA-TRK-P02-S01",
    ]
    assert cat.sat_id[12:].tolist() == ["ISS (ZARYA)", "FLOCK 2E-1", "VANGUARD 1"]
    assert cat.owners == ["JPN", "KOR", "USA"]
    assert cat.sensor[0] == "ir_wide" and cat.constellation[-1] == "OLD"
    jpn = cat.select(cat.owner == "JPN")
    assert len(jpn) == 2 and jpn.satrecs[0] is cat.satrecs[12]
    assert cat.select(np.array([14, 0])).sat_id.tolist() == ["VANGUARD 1", "USA-TRK-P01-S01"]


def test_duplicate_ids_and_bad_selection_are_errors(tmp_path: Path) -> None:
    """The same satellite twice, or a select entry that matches nothing, is refused
    with a message naming the constellations or the file."""
    shutil.copy(DATA / "sats.tle", tmp_path / "a.tle")
    twice = _configs(
        {"kind": "tle", "name": "A", "owner": "USA", "sensor": "eo", "file": "a.tle"},
        {
            "kind": "omm",
            "name": "B",
            "owner": "GBR",
            "sensor": "eo",
            "file": str(DATA / "sats.json"),
        },
    )
    with pytest.raises(
        ScenarioError, match=r"satellite ids must be unique.*'ISS \(ZARYA\)' in A, B"
    ):
        build_space_segment(twice, EPOCH, tmp_path)
    missing = _configs(
        {
            "kind": "tle",
            "name": "A",
            "owner": "USA",
            "sensor": "eo",
            "file": "a.tle",
            "select": ["HUBBLE"],
        }
    )
    with pytest.raises(ScenarioError, match="'HUBBLE' matches no satellite"):
        build_space_segment(missing, EPOCH, tmp_path)
    absent = _configs(
        {"kind": "tle", "name": "A", "owner": "USA", "sensor": "eo", "file": "nope.tle"}
    )
    with pytest.raises(InputFormatError, match=r"nope\.tle"):
        build_space_segment(absent, EPOCH, tmp_path)


def test_repeated_names_in_a_file_get_catalogue_numbers(tmp_path: Path) -> None:
    """Debris clouds share names; ids append the catalogue number only where needed."""
    lines = (DATA / "sats.tle").read_text().splitlines()
    lines[3] = "ISS (ZARYA)"
    (tmp_path / "d.tle").write_text("\n".join(lines) + "\n")
    cat = build_space_segment(
        _configs({"kind": "tle", "name": "D", "owner": "USA", "sensor": "eo", "file": "d.tle"}),
        EPOCH,
        tmp_path,
    )
    assert cat.sat_id.tolist() == [
        "ISS (ZARYA) [25544]",
        "ISS (ZARYA) [41483]",
        "VANGUARD 1",
        "MARIO",
    ]


def test_empty_catalogue() -> None:
    """No constellations give an empty catalogue."""
    cat = build_space_segment([], EPOCH, DATA)
    assert len(cat) == 0 and cat.owners == [] and isinstance(cat, SatelliteCatalog)
