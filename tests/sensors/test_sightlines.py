"""Lines of sight per owner against hand-worked spherical geometry."""

from __future__ import annotations

import math

import numpy as np

from tracklayer.constants import WGS84_A_M
from tracklayer.sensors.geometry import VisibilityConstraints
from tracklayer.sensors.sightlines import sightline_counts

H_SAT_M = 1_000e3
H_TARGET_M = 10e3


def _at(lon_deg: float, altitude_m: float) -> list[float]:
    """A point over the equator (where the WGS84 radius is ``a``), ECEF, m."""
    lon = math.radians(lon_deg)
    r = WGS84_A_M + altitude_m
    return [r * math.cos(lon), r * math.sin(lon), 0.0]


def _counts(cloud_top_m: float) -> np.ndarray:
    """Target over (0, 0) at 10 km. Owner 0: satellite A overhead, B over the antipode.
    Owner 1: C and D over 20 deg E, C with a 30 deg nadir cone, D with the limb cone.

    Reference (plane geometry of the equator, R = a, r = a + 1000 km): from 20 deg E the
    target's nadir angle is atan(R sin 20 / (r - R cos 20)) = 57.6 deg, outside C's
    30 deg cone and inside the limb cone's asin(R / r) + 3 deg = 62.8 deg; the line clears
    the Earth (the horizons' central angles 30.1 + 3.2 deg exceed 20 deg). B's line
    crosses the Earth."""
    limb = VisibilityConstraints(above_limb_rad=math.radians(3.0))
    cone = VisibilityConstraints(nadir_half_angle_rad=math.radians(30.0))
    sats = np.array([_at(0, H_SAT_M), _at(180, H_SAT_M), _at(20, H_SAT_M), _at(20, H_SAT_M)])
    return sightline_counts(
        sats[:, None, :],
        np.ones((4, 1), dtype=bool),
        np.array([[_at(0, H_TARGET_M)]]),
        np.ones((1, 1), dtype=bool),
        [limb, cone],
        np.array([0, 0, 1, 0]),
        np.array([0, 0, 1, 1]),
        2,
        np.array([cloud_top_m]),
    )


def test_nadir_angle_reference_itself() -> None:
    """The hand-worked angle of the reference: 57.6 deg to 0.1 deg."""
    r, big_r = WGS84_A_M + H_SAT_M, WGS84_A_M
    eta = math.degrees(
        math.atan2(big_r * math.sin(math.radians(20)), r - big_r * math.cos(math.radians(20)))
    )
    assert abs(eta - 57.6) < 0.1


def test_clear_in_regard_in_view_per_owner() -> None:
    """Owner 0: A clear, in regard, in view; B blocked. Owner 1: C and D clear, only D in
    regard and in view (cloud top 5 km, under the 10 km target)."""
    counts = _counts(5e3)
    assert counts.shape == (1, 1, 2, 3)
    assert counts[0, 0, 0].tolist() == [1, 1, 1]
    assert counts[0, 0, 1].tolist() == [2, 1, 1]


def test_a_target_under_the_cloud_top_is_not_in_view() -> None:
    """Cloud top 20 km over a target at 10 km: in regard, not in view."""
    counts = _counts(20e3)
    assert counts[0, 0, 0].tolist() == [1, 1, 0]
    assert counts[0, 0, 1].tolist() == [2, 1, 0]


def test_satellites_without_infrared_payload_and_dead_targets_count_nothing() -> None:
    """A satellite of payload -1 and a target not alive give zero counts."""
    sats = np.array([[_at(0, H_SAT_M)]])
    counts = sightline_counts(
        sats,
        np.ones((1, 1), dtype=bool),
        np.array([[_at(0, H_TARGET_M)]]),
        np.ones((1, 1), dtype=bool),
        [VisibilityConstraints()],
        np.array([-1]),
        np.array([0]),
        1,
        np.zeros(1),
    )
    assert counts.sum() == 0
