"""CZML packets and colours (tracklayer.io.czml).

References: the CZML packet reference (sampled ``cartesian`` as ``[t, x, y, z, ...]``
seconds after ``epoch``; ``unitQuaternion`` as ``[x, y, z, w]``) and the definition of a
covariance's principal axes (``P = R diag(lambda) R^T`` with ``R`` orthonormal).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from tracklayer.io.czml import (
    FUSED_LEGEND,
    FUSED_RGBA,
    JOINT_RGBA,
    TRUTH_RGBA,
    css_hex,
    document_packet,
    fused_packet,
    iso_utc,
    owner_palette,
    position_ellipsoids,
    sampled_numbers,
    satellite_rgba,
    track_packets,
    tracker_rgba,
    write_czml,
)

EPOCH = datetime(2027, 3, 1, tzinfo=UTC)
EPOCH_NS = int(EPOCH.timestamp()) * 10**9


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


def test_owners_get_distinct_colours_apart_from_the_system_kinds() -> None:
    """Eight owners get eight track colours and eight satellite colours, all different
    from each other, from truth, joint and fused; an owner's satellites and tracks differ."""
    owners = ["AUS", "CAN", "DEU", "FRA", "GBR", "JPN", "KOR", "USA"]
    palette = owner_palette([*owners, "joint", "fused"])
    assert sorted(palette) == owners
    tracks = [tuple(tracker_rgba(o, palette)) for o in owners]
    sats = [tuple(satellite_rgba(o, palette)) for o in owners]
    system = {tuple(TRUTH_RGBA), tuple(JOINT_RGBA), tuple(FUSED_RGBA)}
    assert len(set(tracks) | set(sats) | system) == 2 * len(owners) + 3
    assert tracker_rgba("joint") == JOINT_RGBA and tracker_rgba("fused") == FUSED_RGBA
    assert owner_palette(["USA", "JPN"]) == owner_palette(["JPN", "USA", "joint"])
    assert css_hex([14, 165, 233, 255]) == "#0ea5e9"


def test_track_packets_name_each_tracker_once_by_kind() -> None:
    """National, joint and fused trackers: kinds ``track``, ``joint``, ``fused``, one
    legend name each, naming the tracker; status as intervals, speed and 3-sigma size
    sampled (reference: the largest semi-axis is 3 sqrt(largest eigenvalue))."""
    t = EPOCH_NS + np.array([0, 10, 20, 0, 10, 0], dtype=np.int64) * 10**9
    trackers = ["USA", "USA", "USA", "joint", "joint", "fused"]
    cov = np.tile(np.diag([1e6, 4e6, 9e6, 1.0, 1.0, 1.0]), (6, 1, 1))
    packets = track_packets(
        trackers,
        ["A", "A", "A", "B", "B", "C"],
        t,
        np.tile([6.4e6, 0.0, 0.0], (6, 1)),
        ["tentative", "confirmed", "confirmed", "confirmed", "coasting", "confirmed"],
        cov,
        velocity=np.tile([3.0e3, 4.0e3, 0.0], (6, 1)),
    )
    props = {p["id"]: p["properties"] for p in packets}
    assert {k: v["kind"] for k, v in props.items()} == {
        "track/USA/A": "track",
        "track/joint/B": "joint",
        "track/fused/C": "fused",
    }
    legends = [v["legend"] for v in props.values()]
    assert len(set(legends)) == 3
    for name in ("USA", "joint", "fused"):
        assert sum(name in label for label in legends) == 1
    usa = props["track/USA/A"]
    assert usa["status"] == [
        {"interval": f"{iso_utc(t[0])}/{iso_utc(t[1])}", "string": "tentative"},
        {"interval": f"{iso_utc(t[1])}/{iso_utc(t[2])}", "string": "confirmed"},
    ]
    assert usa["speed_mps"]["number"] == [0.0, 5000.0, 10.0, 5000.0, 20.0, 5000.0]
    assert usa["sigma3_m"]["number"][1::2] == [9000.0] * 3
    assert props["track/fused/C"]["sigma3_m"] == {"number": 9000.0}


def test_sampled_numbers_skip_gaps() -> None:
    """Non-finite samples are left out; one finite sample is a constant."""
    t = EPOCH_NS + np.array([0, 1, 2], dtype=np.int64) * 10**9
    assert sampled_numbers(EPOCH_NS, t, [1.0, np.nan, 3.0])["number"] == [0.0, 1.0, 2.0, 3.0]
    assert sampled_numbers(EPOCH_NS, t, [np.nan, 7.0, np.nan]) == {"number": 7.0}


def test_fused_packet_is_a_fused_system_track() -> None:
    """A service system track is kind and tracker ``fused``, with its sources."""
    packet = fused_packet(
        "F1", EPOCH_NS, [6.4e6, 0.0, 0.0], np.diag([1e6, 1e6, 4e6]), "confirmed", ["USA/T"]
    )
    assert packet["properties"]["kind"] == "fused" == packet["properties"]["tracker"]
    assert packet["properties"]["legend"] == FUSED_LEGEND
    assert packet["properties"]["sources"] == ["USA/T"]
    assert packet["properties"]["sigma3_m"] == 6000.0


def test_written_file_round_trips(tmp_path: Path) -> None:
    """write_czml writes compact JSON that reads back the same."""
    packets = [document_packet("x", EPOCH_NS, EPOCH_NS + 10**9), {"id": "a", "name": "b"}]
    path = write_czml(packets, tmp_path / "scene.czml")
    assert json.loads(path.read_text()) == packets
    assert not list(tmp_path.glob(".*.tmp"))
