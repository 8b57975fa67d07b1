"""Spent upper stages: gravity, the flight's invariant, equilibrium temperature, separation."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest
from scipy.integrate import quad

from tracklayer.constants import (
    J2_EARTH,
    KM,
    MU_EARTH_M3_S2,
    OMEGA_EARTH_RAD_S,
    STEFAN_BOLTZMANN_W_M2_K4,
    WGS84_A_M,
)
from tracklayer.threats.separation import (
    SeparationConfig,
    add_spent_stages,
    equilibrium_temperature_k,
    gravity_ecef,
    reflected_sunlight_w_sr,
)

EPOCH = datetime(2027, 3, 1, tzinfo=UTC)


def test_gravity_with_j2_at_equator_and_pole() -> None:
    """Reference: the J2 field on the axes (Vallado, eq. 8-30): at the equator
    g = -μ/r² (1 + 3/2 J2 (a/r)²), at the pole g = -μ/r² (1 - 3 J2 (a/r)²). Tolerance 1e-12
    relative."""
    r = WGS84_A_M + 500 * KM
    k = J2_EARTH * (WGS84_A_M / r) ** 2
    eq = gravity_ecef(np.array([r, 0.0, 0.0]))
    pole = gravity_ecef(np.array([0.0, 0.0, r]))
    assert eq[0] == pytest.approx(-MU_EARTH_M3_S2 / r**2 * (1 + 1.5 * k), rel=1e-12)
    assert pole[2] == pytest.approx(-MU_EARTH_M3_S2 / r**2 * (1 - 3 * k), rel=1e-12)
    assert abs(eq[1]) + abs(eq[2]) + abs(pole[0]) + abs(pole[1]) == 0.0


def _truth_and_events(r0: np.ndarray, v0: np.ndarray, n: int) -> tuple[pa.Table, pa.Table]:
    """One ballistic object sampled every second from t = 100 s (a straight line suffices:
    only its first row after burnout is read), burnout at 100 s."""
    t = 100.0 + np.arange(n)
    pos = r0 + v0 * (t - 100.0)[:, None]
    ns = int(EPOCH.timestamp() * 1e9) + (t * 1e9).astype(np.int64)
    truth = pa.table(
        {
            "object_id": pa.array(["bm-1"] * n).dictionary_encode(),
            "kind": pa.array(["ballistic"] * n).dictionary_encode(),
            "time": pa.array(ns, pa.timestamp("ns", tz="UTC")),
            "x": pos[:, 0], "y": pos[:, 1], "z": pos[:, 2],
            "vx": np.full(n, v0[0]), "vy": np.full(n, v0[1]), "vz": np.full(n, v0[2]),
            "lat_rad": np.zeros(n), "lon_rad": np.zeros(n), "alt_m": np.full(n, 200e3),
            "phase": pa.array(["midcourse"] * n).dictionary_encode(),
            "intensity_lwir_w_sr": np.full(n, 50.0),
        }
    )  # fmt: skip
    events = pa.table(
        {
            "object_id": ["bm-1"],
            "event": ["burnout"],
            "time": pa.array(
                [int(EPOCH.timestamp() * 1e9) + 100 * 10**9], pa.timestamp("ns", tz="UTC")
            ),
        }
    )
    return truth, events


def _jacobi(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Energy in the rotating frame with the J2 potential (conserved by the flight)."""
    rn = np.linalg.norm(r, axis=-1)
    sin2 = (r[:, 2] / rn) ** 2
    u = -MU_EARTH_M3_S2 / rn * (1 - J2_EARTH * (WGS84_A_M / rn) ** 2 * (3 * sin2 - 1) / 2)
    rot = 0.5 * OMEGA_EARTH_RAD_S**2 * (r[:, 0] ** 2 + r[:, 1] ** 2)
    return 0.5 * np.sum(v * v, axis=-1) + u - rot


def test_stage_separates_slowly_and_conserves_the_jacobi_integral() -> None:
    """A stage separated at 3 m/s from a vehicle at 300 km climbing at 4 km/s.

    References: (1) the Jacobi integral of motion in the rotating frame with J2 gravity,
    v²/2 + U - ω²(x² + y²)/2, constant along the stage's 400 s to 1e-8 relative; (2) the
    stage's first state is the vehicle's less 3 m/s along its velocity (exact); (3) its
    kind, id and columns; the table stays sorted by time.
    """
    r0 = np.array([WGS84_A_M + 300 * KM, 0.0, 0.0])
    v0 = np.array([2000.0, 3000.0, 1500.0])
    truth, events = _truth_and_events(r0, v0, 401)
    out = add_spent_stages(truth, events, SeparationConfig(), {"lwir": (8.0, 12.0)}, EPOCH)
    kinds = np.asarray(out.column("kind").cast(pa.string()).to_pylist())
    stage = out.filter(pa.array(kinds == "stage"))
    assert set(stage.column("object_id").cast(pa.string()).to_pylist()) == {"bm-1-stage"}
    assert out.column_names == truth.column_names
    r = np.stack([stage.column(c).to_numpy() for c in ("x", "y", "z")], -1)
    v = np.stack([stage.column(c).to_numpy() for c in ("vx", "vy", "vz")], -1)
    np.testing.assert_allclose(r[0], r0, rtol=0, atol=1e-6)
    np.testing.assert_allclose(v[0], v0 - 3.0 * v0 / np.linalg.norm(v0), rtol=0, atol=1e-9)
    c = _jacobi(r, v)
    assert np.max(np.abs(c / c[0] - 1)) < 1e-8
    t = out.column("time").cast(pa.int64()).to_numpy()
    assert np.all(np.diff(t) >= 0)
    assert np.all(stage.column("intensity_lwir_w_sr").to_numpy() > 0)


def test_equilibrium_temperature_in_sunlight_and_shadow() -> None:
    """Reference: by hand, 4 ε σ T⁴ = α S + ε σ T_E⁴ (R/r)² + α a S (R/r)² / 2 in sunlight and
    the earthshine term alone in the Earth's shadow (α = 0.5, ε = 0.85, S = 1361 W/m²,
    T_E = 255 K, a = 0.3, at 500 km); tolerance 1e-9 relative."""
    cfg = SeparationConfig()
    r = WGS84_A_M + 500 * KM
    pos = np.array([[r, 0.0, 0.0], [r, 0.0, 0.0]])
    sun = np.array([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])
    geo = (WGS84_A_M / r) ** 2
    sigma = STEFAN_BOLTZMANN_W_M2_K4
    shine = 0.85 * sigma * 255.0**4 * geo
    lit = (0.5 * 1361 + shine + 0.5 * 0.3 * 1361 * geo / 2) / (4 * 0.85 * sigma)
    dark = shine / (4 * 0.85 * sigma)
    got = equilibrium_temperature_k(pos, sun, cfg)
    assert got[0] == pytest.approx(lit**0.25, rel=1e-9)
    assert got[1] == pytest.approx(dark**0.25, rel=1e-9)
    assert 150 < got[1] < got[0] < 320
    assert math.isfinite(float(got.sum()))


def test_reflected_sunlight_against_the_solar_spectrum() -> None:
    """A sunlit stage reflects ``(1 - α) E_band A / (4π)`` on average; none in shadow.

    Reference: the Sun's in-band irradiance integrated here by quadrature of Planck's law at
    5772 K (IAU 2015 nominal T_eff and radius, 1 au), times (1 - α) A / (4π), α = 0.5,
    A = 4 m²; tolerance 1e-4 relative (the band table's interpolation). The total over all
    wavelengths is the solar constant (1361 W/m², Kopp and Lean 2011) within 0.1 %.
    """
    cfg = SeparationConfig()
    c1, c2 = 2 * 6.62607015e-34 * 299792458.0**2, 6.62607015e-34 * 299792458.0 / 1.380649e-23

    def planck(lam: float) -> float:
        return c1 / lam**5 / math.expm1(c2 / (lam * 5772.0))

    dilution = math.pi * (6.957e8 / 1.495978707e11) ** 2
    total = dilution * quad(planck, 1e-8, 1e-3, limit=400, points=[5e-7])[0]
    assert total == pytest.approx(1361.0, rel=1e-3)
    r = WGS84_A_M + 800 * KM
    pos = np.array([[r, 0.0, 0.0], [r, 0.0, 0.0]])
    sun = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])
    for band in ((1.4, 3.0), (2.6, 2.9), (8.0, 12.0)):
        e_band = dilution * quad(planck, band[0] * 1e-6, band[1] * 1e-6)[0]
        got = reflected_sunlight_w_sr(pos, sun, cfg, band)
        assert got[0] == pytest.approx(0.5 * e_band * 4.0 / (4 * math.pi), rel=1e-4)
        assert got[1] == 0.0
