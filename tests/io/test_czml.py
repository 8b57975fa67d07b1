"""CZML scenes of run outputs (tracklayer.io.czml).

References: the CZML packet reference (sampled ``cartesian`` as ``[t, x, y, z, ...]``
seconds after ``epoch``; ``unitQuaternion`` as ``[x, y, z, w]``) and the definition of a
covariance's principal axes (``P = R diag(lambda) R^T`` with ``R`` orthonormal).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from scipy.spatial.transform import Rotation

from tracklayer.errors import InputFormatError
from tracklayer.io.czml import (
    FUSED_RGBA,
    iso_utc,
    position_ellipsoids,
    scene_czml,
    tracker_rgba,
    write_czml,
)

EPOCH = datetime(2027, 3, 1, tzinfo=UTC)
EPOCH_NS = int(EPOCH.timestamp()) * 10**9
TS = pa.timestamp("ns", tz="UTC")


def _random_spd(rng: np.random.Generator, k: int) -> np.ndarray:
    a = rng.normal(size=(k, 6, 6)) * 100.0
    return a @ np.swapaxes(a, 1, 2) + np.eye(6) * 1.0


def test_ellipsoids_rebuild_the_covariance() -> None:
    """R diag((r/3)^2) R^T equals the position block to 1e-9 relative; R is a rotation."""
    cov = _random_spd(np.random.default_rng(1), 50)
    radii, quat = position_ellipsoids(cov)
    rot = Rotation.from_quat(quat).as_matrix()
    rebuilt = rot @ (((radii / 3.0) ** 2)[:, :, None] * np.swapaxes(rot, 1, 2))
    np.testing.assert_allclose(rebuilt, cov[:, :3, :3], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(np.linalg.det(rot), 1.0, atol=1e-12)
    assert np.all(np.diff(radii, axis=1) >= 0.0)


def test_continuous_ellipsoids_turn_the_short_way() -> None:
    """A covariance rotating 1 degree per sample: successive quaternions agree in sign.

    The angle between successive orientations is then 1 degree (to 1e-6 rad), so a
    viewer's interpolation never swings through a half-turn.
    """
    base = np.diag([1.0e4, 4.0e4, 9.0e4])
    angles = np.radians(np.arange(0, 360, 1.0))
    rots = Rotation.from_euler("z", angles[:, None]).as_matrix()
    cov = rots @ base @ np.swapaxes(rots, 1, 2)
    _, quat = position_ellipsoids(cov, continuous=True)
    dots = np.einsum("ki,ki->k", quat[1:], quat[:-1])
    assert np.all(dots > 0.0)
    np.testing.assert_allclose(2.0 * np.arccos(np.clip(dots, -1, 1)), np.radians(1.0), atol=1e-6)


def _tables() -> dict[str, pa.Table]:
    t = EPOCH_NS + np.arange(0, 100, 10, dtype=np.int64) * 10**9
    n = t.size
    eph = pa.table(
        {
            "sat_id": ["S1"] * n + ["S2"] * n,
            "time": pa.array(np.concatenate([t, t]), TS),
            "x": np.concatenate([np.full(n, 7.0e6), np.full(n, -7.0e6)]),
            "y": np.concatenate([np.linspace(0, 7e4, n), np.zeros(n)]),
            "z": np.zeros(2 * n),
        }
    )
    sats = pa.table({"sat_id": ["S1", "S2"], "owner": ["USA", "JPN"]})
    truth = pa.table(
        {
            "object_id": pa.array(["B1"] * n).dictionary_encode(),
            "kind": pa.array(["ballistic"] * n).dictionary_encode(),
            "time": pa.array(t, TS),
            "x": np.full(n, 6.4e6),
            "y": np.linspace(0.0, 1.0e5, n),
            "z": np.linspace(0.0, 2.0e5, n),
        }
    )
    cov = np.tile(np.diag([1e6, 4e6, 9e6, 1.0, 1.0, 1.0]).reshape(-1), n)
    tracks = pa.table(
        {
            "track_id": ["J1"] * n,
            "tracker": ["joint"] * n,
            "time": pa.array(t[::-1], TS),  # any order in, time order out
            "x": np.full(n, 6.4e6),
            "y": np.linspace(0.0, 1.0e5, n)[::-1],
            "z": np.zeros(n),
            "cov": pa.FixedSizeListArray.from_arrays(pa.array(cov), 36),
            "status": ["confirmed"] * n,
        }
    )
    return {"ephemeris": eph, "satellites": sats, "truth": truth, "tracks": tracks}


def test_scene_has_every_object_with_its_samples() -> None:
    """Packets per object; samples are the table's states at their offsets from the epoch."""
    doc = scene_czml(**_tables(), epoch=EPOCH)
    assert doc[0]["id"] == "document" and doc[0]["version"] == "1.0"
    assert doc[0]["clock"]["interval"] == f"{iso_utc(EPOCH_NS)}/{iso_utc(EPOCH_NS + 90 * 10**9)}"
    by_id = {p["id"]: p for p in doc[1:]}
    assert sorted(by_id) == ["satellite/S1", "satellite/S2", "track/joint/J1", "truth/B1"]
    s1 = by_id["satellite/S1"]
    assert s1["properties"] == {"kind": "satellite", "owner": "USA"}
    assert s1["position"]["referenceFrame"] == "FIXED"
    samples = np.array(s1["position"]["cartesian"]).reshape(-1, 4)
    np.testing.assert_allclose(samples[:, 0], np.arange(0, 100, 10))
    np.testing.assert_allclose(samples[:, 2], np.linspace(0, 7e4, 10), atol=1e-3)
    assert by_id["truth/B1"]["properties"] == {"kind": "truth", "type": "ballistic"}
    track = by_id["track/joint/J1"]
    assert track["properties"]["kind"] == "fused"
    assert track["point"]["color"]["rgba"] == FUSED_RGBA
    y = np.array(track["position"]["cartesian"]).reshape(-1, 4)[:, 2]
    np.testing.assert_allclose(y, np.linspace(0.0, 1.0e5, 10), atol=1e-3)
    radii = np.array(track["ellipsoid"]["radii"]["cartesian"]).reshape(-1, 4)[:, 1:]
    np.testing.assert_allclose(radii, np.tile([3e3, 6e3, 9e3], (10, 1)), rtol=1e-9)


def test_scene_is_thinned_keeping_first_and_last() -> None:
    """max_samples=4 keeps 4 samples per object, the first and last among them."""
    doc = scene_czml(**_tables(), max_samples=4)
    for packet in doc[1:]:
        t = np.array(packet["position"]["cartesian"]).reshape(-1, 4)[:, 0]
        assert len(t) == 4 and t[0] == 0.0 and t[-1] == 90.0


def test_scene_errors_name_the_table_and_column() -> None:
    """A table without a needed column is refused with its name."""
    with pytest.raises(InputFormatError, match="truth: column 'x'"):
        scene_czml(truth=_tables()["truth"].drop_columns(["x"]))


def test_empty_scene_and_written_file(tmp_path: Path) -> None:
    """No tables: only the document, without a clock; write_czml round-trips as JSON."""
    doc = scene_czml()
    assert doc == [{"id": "document", "name": "tracklayer run", "version": "1.0"}]
    path = write_czml(scene_czml(**_tables()), tmp_path / "scene.czml")
    assert json.loads(path.read_text())[0]["id"] == "document"


def test_tracker_colours_are_stable_and_distinct_from_fused() -> None:
    """The same code gives the same colour; nations never get the system-track colour."""
    assert tracker_rgba("USA") == tracker_rgba("USA")
    assert tracker_rgba("joint") == FUSED_RGBA
    assert all(tracker_rgba(c) != FUSED_RGBA for c in ("USA", "JPN", "KOR", "GBR", "AUS"))
