"""OEM export, read back by the independent ``oem`` package."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import oem
import pytest

from tracklayer.io.oem import oem_file_name, write_oem, write_oem_files
from tracklayer.io.tle import read_tle
from tracklayer.space.catalog import SatelliteCatalog
from tracklayer.space.propagate import propagate

DATA = Path(__file__).parents[1] / "data"
EPOCH = datetime(2018, 5, 15, 12, 0, 0, 125000, tzinfo=UTC)


def _catalog() -> SatelliteCatalog:
    sets = read_tle(DATA / "sats.tle")[:2]
    ids = np.array([s.name for s in sets])
    return SatelliteCatalog(
        ids,
        np.array(["USA", "USA"]),
        np.array(["T", "T"]),
        np.array(["ir", "ir"]),
        [s.satrec for s in sets],
    )


def test_oem_round_trip_through_independent_reader(tmp_path: Path) -> None:
    """Files written by ``write_oem_files`` parse with the ``oem`` package (CCSDS
    502.0-B-2 KVN reader with its own constraint checks), one object per file, and give
    back our epochs, frame and states.

    Reference: the ``oem`` package's parser. Tolerance: 1 mm in position and 1 µm/s in
    velocity (the written precision), epochs to the microsecond.
    """
    cat = _catalog()
    seconds = np.arange(0.0, 3600.0, 60.0) + 0.25
    eph = propagate(cat, EPOCH, seconds)
    created = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    paths = write_oem_files(tmp_path / "oem", cat, eph, creation_date=created)
    assert [p.name for p in paths] == ["ISS_ZARYA.oem", "FLOCK_2E-1.oem"]
    for i, path in enumerate(paths):
        msg = oem.OrbitEphemerisMessage.open(path)
        assert msg.version == "2.0"
        (segment,) = msg.segments
        meta = segment.metadata
        assert meta["OBJECT_NAME"] == cat.sat_id[i]
        assert meta["REF_FRAME"] == "ITRF" and meta["CENTER_NAME"] == "EARTH"
        assert meta["TIME_SYSTEM"] == "UTC"
        states = list(segment.states)
        assert len(states) == seconds.size
        pos = np.array([s.position for s in states]) * 1000.0
        vel = np.array([s.velocity for s in states]) * 1000.0
        np.testing.assert_allclose(pos, eph.r_ecef[i], rtol=0, atol=1e-3)
        np.testing.assert_allclose(vel, eph.v_ecef[i], rtol=0, atol=1e-6)
        first = states[0].epoch.to_datetime(timezone=UTC)
        assert first == datetime(2018, 5, 15, 12, 0, 0, 375000, tzinfo=UTC)
    assert "CREATION_DATE = 2024-01-02T03:04:05.000000" in paths[0].read_text()


def test_satellite_oems_validate_against_the_ccsds_schema(tmp_path: Path) -> None:
    """Reference: the CCSDS OEM 2.0 schema, as ccsds-ndm's object model (it refuses a
    keyword, value or frame the schema does not list). Positions back to 1 mm."""
    ccsds_io = pytest.importorskip("ccsds_ndm.ndm_io")
    cat = _catalog()
    eph = propagate(cat, EPOCH, np.arange(0.0, 600.0, 60.0))
    for i, path in enumerate(write_oem_files(tmp_path, cat, eph, creation_date=EPOCH)):
        segment = ccsds_io.NdmIo().from_path(path).body.segment[0]
        assert segment.metadata.ref_frame == "ITRF"
        xs = np.array([s.x.value for s in segment.data.state_vector]) * 1e3
        np.testing.assert_allclose(xs, eph.r_ecef[i, :, 0], atol=1e-3, rtol=0)


def test_invalid_states_are_left_out(tmp_path: Path) -> None:
    """NaN states (SGP4 failures) are skipped; a satellite with none is not written."""
    r = np.full((4, 3), 7.0e6)
    v = np.full((4, 3), 10.0)
    valid = np.array([True, False, True, True])
    r[1] = np.nan
    path = write_oem(tmp_path / "x.oem", "SAT-1", EPOCH, np.arange(4.0) * 10, r, v, valid=valid)
    (segment,) = oem.OrbitEphemerisMessage.open(path).segments
    assert len(list(segment.states)) == 3
    with pytest.raises(ValueError, match="no valid state"):
        write_oem(tmp_path / "y.oem", "SAT-2", EPOCH, np.arange(4.0), r, v, valid=np.zeros(4, bool))
    assert not (tmp_path / "y.oem").exists()
    assert list(tmp_path.iterdir()) == [path]


def test_file_names_are_safe() -> None:
    """Ids with spaces and brackets become portable file names."""
    assert oem_file_name("COSMOS 2251 DEB [34427]") == "COSMOS_2251_DEB_34427.oem"
    assert oem_file_name("USA-TRK-P03-S07") == "USA-TRK-P03-S07.oem"
