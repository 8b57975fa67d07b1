"""Tracks as OEM files with covariance: checked by the CCSDS schema (ccsds-ndm) and the
``oem`` package, values back to the table's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tracklayer.io.track_oem import track_oem_text, write_track_oems
from tracklayer.vocabulary import TRACKS_SCHEMA

EPOCH = datetime(2027, 3, 1, tzinfo=UTC)


def _tracks() -> pa.Table:
    """Two tracks of USA (3 states) and JPN (2 states), random SPD covariances."""
    rng = np.random.default_rng(3)
    n = 5
    a = rng.normal(size=(n, 6, 6)) * 0.2
    scale = np.array([200.0] * 3 + [5.0] * 3)
    cov = np.diag(scale**2)[None] + (a @ a.transpose(0, 2, 1)) * np.outer(scale, scale)
    t0 = int(EPOCH.timestamp() * 1e9)
    return (
        pa.table(
            {
                "track_id": ["T1", "T1", "T1", "T7", "T7"],
                "tracker": ["USA", "USA", "USA", "JPN", "JPN"],
                "time": pa.array([t0 + k * 2_000_000_000 for k in (2, 0, 1, 0, 1)], pa.int64()),
                "x": rng.uniform(6.4e6, 6.9e6, n),
                "y": rng.uniform(-1e6, 1e6, n),
                "z": rng.uniform(-1e6, 1e6, n),
                "vx": rng.uniform(-3e3, 3e3, n),
                "vy": rng.uniform(-3e3, 3e3, n),
                "vz": rng.uniform(-3e3, 3e3, n),
                "cov": pa.array(cov.reshape(n, 36).tolist(), pa.list_(pa.float64(), 36)),
                "status": ["confirmed"] * n,
            }
        )
        .cast(
            pa.schema([f.with_type(pa.int64()) if f.name == "time" else f for f in TRACKS_SCHEMA])
        )
        .cast(TRACKS_SCHEMA)
    )


def test_track_oems_validate_and_carry_the_covariance(tmp_path: Path) -> None:
    """Reference: the CCSDS OEM 2.0 schema (ccsds-ndm's object model) and the ``oem``
    package's reader. States back to 1 mm and 1 µm/s (the written precision); covariance
    back to 1e-11 relative (12 significant digits), m² from km²."""
    ccsds_io = pytest.importorskip("ccsds_ndm.ndm_io")
    oem_pkg = pytest.importorskip("oem")
    table = _tracks()
    paths = write_track_oems(table, tmp_path, creation_date=EPOCH)
    assert [p.name for p in paths] == ["JPN_T7.oem", "USA_T1.oem"]
    usa = table.filter(pa.compute.equal(table["tracker"], "USA")).sort_by("time")
    doc = ccsds_io.NdmIo().from_path(paths[1])
    segment = doc.body.segment[0]
    assert segment.metadata.object_name == "USA-T1"
    states = segment.data.state_vector
    assert len(states) == 3
    xs = np.array([s.x.value for s in states]) * 1e3
    assert np.allclose(xs, usa["x"].to_numpy(), atol=1e-3, rtol=0)
    blocks = segment.data.covariance_matrix
    assert len(blocks) == 3
    expected = np.array(usa["cov"].to_pylist()).reshape(3, 6, 6)
    for block, matrix in zip(blocks, expected, strict=True):
        assert block.cx_x.value * 1e6 == pytest.approx(matrix[0, 0], rel=1e-11)
        assert block.cz_dot_y.value * 1e6 == pytest.approx(matrix[5, 1], rel=1e-11)
        assert block.cz_dot_z_dot.value * 1e6 == pytest.approx(matrix[5, 5], rel=1e-11)
    other = oem_pkg.OrbitEphemerisMessage.open(paths[0])
    (seg,) = other.segments
    covariances = list(seg.covariances)
    assert len(covariances) == 2
    got = np.array([c.matrix for c in covariances]) * 1e6
    jpn = table.filter(pa.compute.equal(table["tracker"], "JPN")).sort_by("time")
    assert np.allclose(got, np.array(jpn["cov"].to_pylist()).reshape(2, 6, 6), rtol=1e-11)


def test_bad_track_rows_are_refused() -> None:
    table = _tracks()
    with pytest.raises(ValueError, match="at least one state"):
        track_oem_text(table.slice(0, 0))
    twice = pa.concat_tables([table.slice(0, 1), table.slice(0, 1)])
    with pytest.raises(ValueError, match="two states at one epoch"):
        track_oem_text(twice)
