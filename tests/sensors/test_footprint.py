"""Ground footprints of a sensor's field of regard (tracklayer.sensors.footprint).

References: the horizon's central angle ``arccos(R / r)`` (Wertz, SMAD 3rd ed., eq. 5-16),
checked at ``r = 2R`` where it is exactly 60 deg; the cone's edge against an independent
ray-sphere intersection (the nadir-tilted ray from the satellite meets the sphere where
``|s + t u| = R``); the range limit against the chord length of the returned angle.
Tolerances: 1 m on ground radii of hundreds to thousands of km.
"""

from __future__ import annotations

import numpy as np
import pytest

from tracklayer.constants import WGS84_A_M
from tracklayer.sensors.config import SensorPayload
from tracklayer.sensors.footprint import (
    footprint_radius_m,
    limb_ring,
    payload_footprint_m,
    satellite_footprints_m,
    satellite_limb_rings,
)

R = WGS84_A_M


def _ray_sphere_central_angle(r: float, eta: float) -> float:
    """Central angle where a ray from (0, 0, r), tilted ``eta`` from nadir, meets the sphere."""
    s = np.array([0.0, 0.0, r])
    u = np.array([np.sin(eta), 0.0, -np.cos(eta)])
    b = float(s @ u)
    t = -b - np.sqrt(b * b - (r * r - R * R))  # nearer root of |s + t u|^2 = R^2
    hit = s + t * u
    return float(np.arctan2(hit[0], hit[2]))


def test_horizon_at_twice_the_radius_is_sixty_degrees() -> None:
    """From r = 2R the Earth's disc reaches 60 deg of arc: R * pi / 3."""
    assert footprint_radius_m(2 * R) == pytest.approx(R * np.pi / 3, abs=1.0)


@pytest.mark.parametrize("altitude_km", [500.0, 1000.0, 20_000.0])
@pytest.mark.parametrize("eta_deg", [5.0, 20.0, 40.0])
def test_cone_edge_matches_a_ray_sphere_intersection(altitude_km: float, eta_deg: float) -> None:
    """The cone formula and a direct ray-sphere intersection agree within 1 m (when the cone
    meets the Earth; a wider cone is bounded by the horizon)."""
    r = R + altitude_km * 1e3
    eta = np.radians(eta_deg)
    got = float(footprint_radius_m(r, nadir_half_angle_rad=eta))
    if np.sin(eta) * r < R:
        assert got == pytest.approx(R * _ray_sphere_central_angle(r, eta), abs=1.0)
    else:
        assert got == pytest.approx(R * np.arccos(R / r), abs=1.0)


def test_range_limit_is_the_chord_length() -> None:
    """With a 2,000 km range from 1,000 km up, the footprint's edge is 2,000 km away."""
    r = R + 1.0e6
    lam = float(footprint_radius_m(r, max_range_m=2.0e6)) / R
    chord = np.sqrt(R**2 + r**2 - 2 * R * r * np.cos(lam))
    assert chord == pytest.approx(2.0e6, abs=1.0)
    assert footprint_radius_m(r, max_range_m=1e9) == pytest.approx(footprint_radius_m(r))


def test_arrays_and_bad_input() -> None:
    """Arrays in, arrays out; a sensor at or below the surface is refused."""
    out = footprint_radius_m(np.array([2 * R, 3 * R]))
    np.testing.assert_allclose(out, R * np.arccos([0.5, 1 / 3]), atol=1.0)
    with pytest.raises(ValueError, match="above the Earth"):
        footprint_radius_m(R)


def test_payloads_give_each_satellite_its_radius() -> None:
    """A scenario's payloads: an Earth-limb sensor reaches the horizon, a range-limited one
    its chord, a nadir cone its edge; satellites of unknown payloads are left out."""
    payloads = {
        "limb": SensorPayload.model_validate({"field_of_regard": {"kind": "earth_limb"}}),
        "short": SensorPayload.model_validate({"max_range_km": 2000}),
        "cone": SensorPayload.model_validate(
            {"field_of_regard": {"kind": "nadir_cone", "half_angle_deg": 20}}
        ),
    }
    r = R + 1.0e6
    got = satellite_footprints_m(
        payloads, ["A", "B", "C", "D"], ["limb", "short", "cone", "x"], [r] * 4
    )
    assert sorted(got) == ["A", "B", "C"]
    assert got["A"] == pytest.approx(R * np.arccos(R / r), abs=1.0)
    assert got["B"] == pytest.approx(float(footprint_radius_m(r, max_range_m=2e6)), abs=1e-6)
    assert got["C"] == pytest.approx(float(payload_footprint_m(payloads["cone"], r)), abs=1e-6)
    assert got["C"] == pytest.approx(R * _ray_sphere_central_angle(r, np.radians(20)), abs=1.0)


def _closest_approach(r: float, eta: float, max_range: float) -> tuple[float, float]:
    """Independent reference: sample the ray from (0, 0, r), tilted ``eta`` from nadir,
    every metre-scale step up to ``max_range`` and take its point nearest the centre;
    returns (central angle, distance from the centre)."""
    t = np.linspace(0.0, max_range, 400_001)
    s = (
        np.array([0.0, 0.0, r])[None, :]
        + t[:, None] * np.array([np.sin(eta), 0.0, -np.cos(eta)])[None, :]
    )
    k = int(np.argmin(np.linalg.norm(s, axis=1)))
    return float(np.arctan2(s[k, 0], s[k, 2])), float(np.linalg.norm(s[k]))


def test_limb_ring_is_the_edge_rays_closest_approach() -> None:
    """From 1,000 km up, a cone 3 deg wider than the Earth's disc: its edge ray passes the
    Earth at r sin(theta) from the centre (right triangle), which the sampled ray finds too
    (10 m tolerance: the sampling step is about 10 m), 90 deg - theta of arc from nadir."""
    r = R + 1000e3
    theta = float(np.arcsin(R / r) + np.radians(3.0))
    ground, height = limb_ring(r, theta)
    assert float(height) == pytest.approx(r * np.sin(theta) - R, abs=1e-6)
    assert 150e3 < float(height) < 250e3  # about 190 km above the limb
    angle, distance = _closest_approach(r, theta, 4000e3)
    assert float(height) == pytest.approx(distance - R, abs=10.0)
    assert float(ground) == pytest.approx(R * angle, abs=10.0)
    assert float(ground) == pytest.approx(R * (np.pi / 2 - theta), abs=1e-6)


def test_limb_ring_of_the_bare_disc_is_the_horizon_and_range_cuts_the_ray() -> None:
    """The disc's own edge touches the sphere at the horizon (footprint_radius_m); a range
    shorter than the tangent distance ends the ray there: the ring's point is max_range from
    the sensor (law of cosines, 1 m)."""
    r = R + 800e3
    ground, height = limb_ring(r, float(np.arcsin(R / r)))
    assert float(height) == pytest.approx(0.0, abs=1e-3)
    assert float(ground) == pytest.approx(float(footprint_radius_m(r)), abs=1.0)
    theta, max_range = float(np.arcsin(R / r) + np.radians(5.0)), 2000e3
    ground, height = limb_ring(r, theta, max_range)
    rho, lam = R + float(height), float(ground) / R
    assert np.sqrt(r * r + rho * rho - 2 * r * rho * np.cos(lam)) == pytest.approx(
        max_range, abs=1.0
    )
    with pytest.raises(ValueError, match="off-nadir"):
        limb_ring(r, np.pi / 2)


def test_only_limb_payloads_that_look_above_the_limb_get_a_ring() -> None:
    """A nadir cone and a bare limb have no ring above the limb; 3 deg above the limb does,
    the same as limb_ring's."""
    payloads = {
        "cone": SensorPayload(field_of_regard={"kind": "nadir_cone", "half_angle_deg": 40}),
        "limb": SensorPayload(field_of_regard={"kind": "earth_limb"}),
        "above": SensorPayload(field_of_regard={"kind": "earth_limb", "above_limb_deg": 3}),
    }
    r = R + 1000e3
    rings = satellite_limb_rings(payloads, ["a", "b", "c"], ["cone", "limb", "above"], [r] * 3)
    assert list(rings) == ["c"]
    ground, height = limb_ring(r, float(np.arcsin(R / r) + np.radians(3.0)))
    assert rings["c"] == (pytest.approx(float(ground)), pytest.approx(float(height)))
