"""The satellites and ephemeris tables."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from tracklayer.io.tle import read_tle
from tracklayer.space.catalog import SatelliteCatalog
from tracklayer.space.propagate import propagate
from tracklayer.space.tables import ephemeris_table, satellites_table

DATA = Path(__file__).parents[1] / "data"
EPOCH = datetime(2018, 5, 16, tzinfo=UTC)


def _catalog() -> SatelliteCatalog:
    sets = read_tle(DATA / "sats.tle")
    n = len(sets)
    return SatelliteCatalog(
        np.array([s.name for s in sets]),
        np.array(["USA"] * n),
        np.array(["C"] * n),
        np.array(["ir"] * n),
        [s.satrec for s in sets],
    )


def test_satellites_table_holds_the_tle_elements() -> None:
    """Elements in SI equal the ISS TLE fields (inclination 51.6402°, mean motion
    15.54059185 rev/day, eccentricity 0.0004018, epoch 2018 day 135.61844383).
    Reference: the TLE text; tolerance 1e-12 relative, epoch to 1 µs."""
    table = satellites_table(_catalog(), EPOCH)
    assert table.schema.field("epoch").type == pa.timestamp("ns", tz="UTC")
    row = table.slice(0, 1).to_pylist()[0]
    assert row["sat_id"] == "ISS (ZARYA)" and row["owner"] == "USA"
    assert math.isclose(row["inc_rad"], math.radians(51.6402), rel_tol=1e-12)
    assert math.isclose(row["mean_motion_rad_s"], 15.54059185 * 2 * math.pi / 86400, rel_tol=1e-12)
    assert math.isclose(row["ecc"], 0.0004018, rel_tol=1e-12)
    ref_epoch = datetime(2018, 1, 1, tzinfo=UTC) + timedelta(days=134.61844383)
    assert abs((row["epoch"] - ref_epoch).total_seconds()) < 1e-6
    assert math.isclose(row["element_age_s"], (EPOCH - row["epoch"]).total_seconds(), abs_tol=1e-6)
    # Kepler's third law with WGS72's mu, to 0.1 % (Brouwer vs Kozai mean motion).
    a_kepler = (398600.8e9 / row["mean_motion_rad_s"] ** 2) ** (1 / 3)
    assert math.isclose(row["sma_m"], a_kepler, rel_tol=1e-3)


def test_ephemeris_table_rows_match_arrays() -> None:
    """Rows are satellites × times in order, values equal the Ephemeris arrays, times
    are epoch + seconds, invalid states are dropped. Reference: the arrays; exact."""
    cat = _catalog()
    seconds = np.arange(0.0, 600.0, 120.0)
    eph = propagate(cat, EPOCH, seconds)
    eph.valid[1, 2] = False  # pretend SGP4 failed there
    table = ephemeris_table(cat, eph)
    assert table.column_names == ["sat_id", "time", "x", "y", "z", "vx", "vy", "vz"]
    assert table.num_rows == len(cat) * seconds.size - 1
    assert table.schema.field("time").type == pa.timestamp("ns", tz="UTC")
    ids = table.column("sat_id").to_pylist()
    assert ids[:5] == ["ISS (ZARYA)"] * 5 and ids[5:9] == ["FLOCK 2E-1"] * 4
    np.testing.assert_array_equal(table.column("x").to_numpy()[:5], eph.r_ecef[0, :, 0])
    np.testing.assert_array_equal(table.column("vz").to_numpy()[-5:], eph.v_ecef[-1, :, 2])
    times = table.column("time").to_pylist()
    assert times[1] == EPOCH + timedelta(seconds=120)
    assert times[7] == EPOCH + timedelta(seconds=360)  # FLOCK's third sample dropped
