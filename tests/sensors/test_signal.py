"""Atmospheric transmission, background, Pd and closely spaced objects against references."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

from tracklayer.constants import KM, WGS84_A_M
from tracklayer.sensors.csos import close_target_pairs, merge_closely_spaced
from tracklayer.sensors.signal import (
    earth_background,
    probability_of_detection,
)

H = 7 * KM


def test_earth_background() -> None:
    """Nadir looks end on the Earth; a look above the limb ends on space.

    Reference: sphere geometry in the equatorial plane.
    """
    s = np.array([WGS84_A_M + 1000 * KM, 0.0, 0.0])
    assert earth_background(s, np.array([WGS84_A_M + 10 * KM, 0.0, 0.0]))
    # A ray grazing 100 km (tangent point p): space behind targets before and after p.
    p = np.array([WGS84_A_M + 100 * KM, 0.0, 0.0])
    y = np.array([0.0, 1.0, 0.0])
    s_limb = p - 3000 * KM * y
    assert not earth_background(s_limb, p + 300 * KM * y)
    assert not earth_background(s_limb, p - 100 * KM * y)
    # A target half way to a ray that meets the ground: Earth behind.
    ground = np.array([WGS84_A_M * math.cos(0.2), WGS84_A_M * math.sin(0.2), 0.0])
    assert earth_background(s, s + 0.5 * (ground - s))


def test_pd_matches_normal_survival_function() -> None:
    """Pd = Q(T - SNR) equals scipy's normal survival function (tolerance 1e-12)."""
    snr = np.linspace(0, 15, 31)
    np.testing.assert_allclose(probability_of_detection(snr, 6.0), norm.sf(6.0 - snr), atol=1e-12)


def test_closely_spaced_objects_merge_at_weighted_centroid() -> None:
    """Rows of one sensor and frame closer than the resolution merge; others stay apart.

    Reference: the irradiance-weighted mean direction normalised, computed by hand; the
    brightest member names the cluster. Tolerance 1e-12.
    """
    res = 50e-6
    base = np.array([0.0, 0.0, 1.0])
    u1 = base
    u2 = np.array([30e-6, 0.0, 1.0]) / np.linalg.norm([30e-6, 0.0, 1.0])  # 30 µrad: merges
    u3 = np.array([0.0, 200e-6, 1.0]) / np.linalg.norm([0.0, 200e-6, 1.0])  # 200 µrad: apart
    los = np.stack([u1, u2, u3, u1])
    sensor = np.array([0, 0, 0, 1])
    target = np.array([0, 1, 2, 0])
    k = np.zeros(4, dtype=np.int64)
    w = np.array([1.0, 3.0, 1.0, 1.0])
    pairs = (np.array([0, 0, 1]), np.array([1, 2, 2]), np.zeros(3, dtype=np.int64))
    cl = merge_closely_spaced(sensor, target, k, los, w, np.full(4, res), pairs)
    assert cl.label.tolist() == [0, 0, 1, 2]
    want = (1 * u1 + 3 * u2) / np.linalg.norm(1 * u1 + 3 * u2)
    np.testing.assert_allclose(cl.los[0], want, atol=1e-12)
    assert cl.representative[0] == 1 and cl.weight[0] == 4.0 and cl.size.tolist() == [2, 1, 1]


def test_close_target_pairs() -> None:
    """Only pairs closer than the threshold at a time are returned (reference: distances)."""
    pos = np.zeros((3, 2, 3))
    pos[1, :, 0] = [50.0, 500.0]
    pos[2, :, 0] = [1e6, 1e6]
    alive = np.ones((3, 2), dtype=bool)
    i, j, k = close_target_pairs(pos, alive, 100.0)
    assert list(zip(i.tolist(), j.tolist(), k.tolist(), strict=True)) == [(0, 1, 0)]
