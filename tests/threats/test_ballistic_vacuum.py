"""Free flight in vacuum against closed forms, and energy conservation.

References: Bate, Mueller & White, *Fundamentals of Astrodynamics* (1971), sec. 6.2
(free-flight range equation) and ch. 4 (Kepler's equation for the time of flight); the
Jacobi integral (energy in a uniformly rotating frame with a time-independent potential,
here point mass plus J2).
"""

from __future__ import annotations

import numpy as np

from tests.threats.helpers import coasting_batch, earth, launch_state
from tracklayer.constants import J2_EARTH, MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S
from tracklayer.threats.dynamics import FlightModel
from tracklayer.threats.integrate import SampleSpec, Unguided, fly


def closed_form(r: float, v: np.ndarray, gamma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Range angle and time of flight between equal radii (Bate, Mueller & White 6.2)."""
    mu = MU_EARTH_M3_S2
    nu = v * v * r / mu
    psi = 2.0 * np.arctan2(nu * np.sin(gamma) * np.cos(gamma), 1.0 - nu * np.cos(gamma) ** 2)
    a = 1.0 / (2.0 / r - v * v / mu)
    h = r * v * np.cos(gamma)
    p = h * h / mu
    e = np.sqrt(1.0 - p / a)
    theta0 = np.pi - psi / 2.0  # true anomaly of the launch point (apogee at pi)
    ecc_anom = 2.0 * np.arctan(np.sqrt((1 - e) / (1 + e)) * np.tan(theta0 / 2.0))
    m0 = ecc_anom - e * np.sin(ecc_anom)
    n = np.sqrt(mu / a**3)
    tof = 2.0 * (np.pi - m0) / n
    return psi, tof


def test_range_and_time_of_flight_match_closed_form() -> None:
    """Spherical, non-rotating, vacuum: range within 20 m, time of flight within 0.05 s.

    Burnout on the surface at 3-7 km/s and 20-60 deg; impact is the step-interpolated
    return to the burnout radius (RK4 at 1 s).
    """
    em = earth()
    speed = np.array([3000.0, 5000.0, 7000.0, 6000.0])
    gamma = np.deg2rad([45.0, 30.0, 20.0, 60.0])
    r0, v0 = launch_state(em, speed, gamma)
    n = speed.size
    traj = fly(
        FlightModel(em, coasting_batch(n)),
        Unguided(n),
        r0,
        v0,
        SampleSpec.single(np.zeros(n)),
        np.full(n, 1e5),
        h_max=1.0,
    )
    psi, tof = closed_form(em.a_m, speed, gamma)
    ip = traj.impact_pos
    psi_sim = np.arctan2(ip[1], ip[0])
    assert np.all(np.abs((psi_sim - psi) * em.a_m) < 20.0)
    assert np.all(np.abs(traj.impact_time - tof) < 0.05)


def _jacobi(em, r: np.ndarray, v: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    rn = np.linalg.norm(r, axis=0)
    sin_phi = r[2] / rn
    u = MU_EARTH_M3_S2 / rn * (1.0 - em.j2 * (em.a_m / rn) ** 2 * (1.5 * sin_phi**2 - 0.5))
    w = em.omega
    return 0.5 * (v * v).sum(axis=0) - u - 0.5 * w * w * (r[0] ** 2 + r[1] ** 2)


def test_energy_conserved_in_vacuum() -> None:
    """WGS84, rotating, J2, no atmosphere: the Jacobi integral drifts < 1e-3 J/kg per flight.

    In the rotating frame with an axisymmetric potential the Jacobi integral
    ``v^2/2 - U - w^2 (x^2 + y^2)/2`` is an exact invariant; in the
    non-rotating spherical case it is the two-body energy. Samples every 1 s.
    """
    full = earth("wgs84", rotating=True, j2=True)
    assert (full.j2, full.omega) == (J2_EARTH, OMEGA_EARTH_RAD_S)
    for em in (full, earth()):
        n = 3
        r0, v0 = launch_state(em, np.array([4000.0, 6000.0, 7000.0]), np.deg2rad([40, 25, 10]))
        r0[2] += 1.0e5  # off the equator, so J2 acts out of plane
        samples = SampleSpec(
            np.zeros(n), 1.0, np.full(n, 900, np.int64), np.zeros(n, np.int64), 900
        )
        traj = fly(
            FlightModel(em, coasting_batch(n)), Unguided(n), r0, v0, samples, np.full(n, 900.0)
        )
        ok = traj.filled
        e = _jacobi(em, traj.pos[:, ok], traj.vel[:, ok]).reshape(-1)
        vid = np.flatnonzero(ok) % n
        for i in range(n):
            ei = e[vid == i]
            assert ei.size > 100
            assert np.max(np.abs(ei - ei[0])) < 1e-3
