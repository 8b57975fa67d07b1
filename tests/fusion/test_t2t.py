"""Track-to-track fusion: covariance intersection, prediction, gated association, fusion."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp
from scipy.optimize import minimize_scalar

from tracklayer.constants import MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S
from tracklayer.fusion.t2t import (
    TrackBatch,
    associate,
    covariance_intersection,
    fuse_tracks,
    predict,
)


def _random_joint(seed: int, n: int = 6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pa, Pb and a cross-covariance Pab from one random positive definite 2n x 2n matrix."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(2 * n, 2 * n))
    scale = np.exp(rng.uniform(-2, 4, size=2 * n))
    joint = (a @ a.T + 0.1 * np.eye(2 * n)) * np.outer(scale, scale)
    return joint[:n, :n], joint[n:, n:], joint[:n, n:]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), criterion=st.sampled_from(["trace", "det"]))
def test_ci_is_consistent_for_any_cross_correlation(seed: int, criterion: str) -> None:
    """CI never under-reports its error, whatever the true cross-covariance.

    Reference: Julier & Uhlmann (1997), theorem: for omega in [0, 1], the CI covariance
    bounds the actual error covariance K_a Pa K_a' + K_b Pb K_b' + K_a Pab K_b' + K_b Pba K_a'
    with K_a = omega P Pa^-1, K_b = (1 - omega) P Pb^-1. Tolerance: smallest eigenvalue of
    the difference >= -1e-9 of the largest eigenvalue of P (rounding).
    """
    pa, pb, pab = _random_joint(seed)
    x = np.zeros((1, 6))
    _, p, omega = covariance_intersection(x, pa[None], x, pb[None], criterion)  # type: ignore[arg-type]
    ka = omega[0] * p[0] @ np.linalg.inv(pa)
    kb = (1 - omega[0]) * p[0] @ np.linalg.inv(pb)
    actual = ka @ pa @ ka.T + kb @ pb @ kb.T + ka @ pab @ kb.T + kb @ pab.T @ ka.T
    gap = np.linalg.eigvalsh(p[0] - actual)
    assert gap[0] >= -1e-9 * np.linalg.eigvalsh(p[0])[-1]


@pytest.mark.parametrize("criterion", ["trace", "det"])
def test_ci_weight_matches_scipy_minimizer(criterion: str) -> None:
    """The batched golden-section omega attains scipy's bounded minimum of the criterion.

    Reference: scipy.optimize.minimize_scalar (Brent, bounded, xatol 1e-10) on the same
    objective, pair by pair. Tolerance: objective within 1e-9 relative (ours may be lower).
    """
    pas, pbs = [], []
    for seed in range(12):
        pa, pb, _ = _random_joint(seed)
        pas.append(pa)
        pbs.append(pb)
    pa_b, pb_b = np.array(pas), np.array(pbs)
    x = np.zeros((12, 6))
    _, _, omega = covariance_intersection(x, pa_b, x, pb_b, criterion)  # type: ignore[arg-type]

    def objective(w: float, pa: np.ndarray, pb: np.ndarray) -> float:
        pf = np.linalg.inv(w * np.linalg.inv(pa) + (1 - w) * np.linalg.inv(pb))
        return float(np.trace(pf) if criterion == "trace" else np.linalg.slogdet(pf)[1])

    for k in range(12):
        ref = minimize_scalar(
            objective,
            bounds=(0, 1),
            args=(pas[k], pbs[k]),
            method="bounded",
            options={"xatol": 1e-10},
        )
        ours = objective(float(omega[k]), pas[k], pbs[k])
        assert ours <= ref.fun + 1e-9 * abs(ref.fun)


def test_ci_keeps_the_better_estimate_when_it_dominates() -> None:
    """With Pa < Pb in every direction (diagonal), CI returns a unchanged (omega = 1).

    Reference: analytic; trace(P(omega)) = sum_i 1/(omega/a_i + (1-omega)/b_i) is
    decreasing in omega when a_i < b_i for all i. Tolerance 1e-12 relative.
    """
    pa = np.diag([1.0, 2.0, 3.0, 0.1, 0.2, 0.3])[None]
    pb = 4.0 * pa
    xa = np.array([[1.0, 2, 3, 4, 5, 6]])
    xb = np.array([[7.0, 8, 9, 10, 11, 12]])
    x, p, omega = covariance_intersection(xa, pa, xb, pb)
    assert omega[0] == 1.0
    np.testing.assert_allclose(p, pa, rtol=1e-12)
    np.testing.assert_allclose(x, xa, rtol=1e-12)


def _ecef_rhs(_t: float, y: np.ndarray) -> np.ndarray:
    r, v = y[:3], y[3:]
    w = np.array([0.0, 0.0, OMEGA_EARTH_RAD_S])
    a = (
        -MU_EARTH_M3_S2 * r / np.linalg.norm(r) ** 3
        - 2 * np.cross(w, v)
        - np.cross(w, np.cross(w, r))
    )
    return np.concatenate([v, a])


def test_prediction_matches_an_independent_integrator() -> None:
    """Our RK4 ballistic prediction in ECEF matches scipy's DOP853 on the same dynamics.

    Reference: solve_ivp(DOP853, rtol 1e-12, atol 1e-6) of point-mass gravity with the
    Coriolis and centrifugal terms written with cross products. Tolerance: 0.5 m, 1 mm/s
    after 90 s (5 s RK4 steps) for a 6 km/s state at 300 km altitude, forward and back.
    """
    state = np.array([[6.678e6, 1.0e5, -2.0e5, 500.0, 5500.0, 3000.0]])
    for dt in (90.0, -90.0, 7.3):
        ours, _ = predict(state, np.eye(6)[None], np.array([dt]))
        ref = solve_ivp(_ecef_rhs, (0, dt), state[0], method="DOP853", rtol=1e-12, atol=1e-6)
        np.testing.assert_allclose(ours[0, :3], ref.y[:3, -1], atol=0.5)
        np.testing.assert_allclose(ours[0, 3:], ref.y[3:, -1], atol=1e-3)


def test_prediction_conserves_the_jacobi_integral() -> None:
    """The rotating-frame energy v²/2 - mu/r - ω²(x²+y²)/2 is constant along the prediction.

    Reference: Jacobi integral of the rotating two-body problem (Vallado 2013, sec. 12.5).
    Tolerance: 1e-3 J/kg after 300 s (the integral is ~ -3e7 J/kg).
    """
    state = np.array(
        [[6.6e6, 0.0, 1.0e6, 0.0, 6000.0, 2000.0], [7.0e6, 1e6, 0.0, 100.0, -7000.0, 0.0]]
    )

    def jacobi(s: np.ndarray) -> np.ndarray:
        r = np.linalg.norm(s[:, :3], axis=1)
        v2 = np.sum(s[:, 3:] ** 2, axis=1)
        return (
            v2 / 2 - MU_EARTH_M3_S2 / r - OMEGA_EARTH_RAD_S**2 * (s[:, 0] ** 2 + s[:, 1] ** 2) / 2
        )

    out, _ = predict(state, np.broadcast_to(np.eye(6), (2, 6, 6)), np.array([300.0, 300.0]))
    np.testing.assert_allclose(jacobi(out), jacobi(state), atol=1e-3)


def test_prediction_covariance_grows_by_the_white_acceleration_model() -> None:
    """Covariance after dt from zero covariance is q [[dt³/3 I, dt²/2 I], [dt²/2 I, dt I]].

    Reference: discrete white-noise-acceleration process noise (Bar-Shalom, Li &
    Kirubarajan 2001, eq. 6.2.3-7). Tolerance 1e-12 relative.
    """
    dt, q = 4.0, 50.0
    _, p = predict(np.array([[7e6, 0, 0, 0, 7000, 0]]), np.zeros((1, 6, 6)), np.array([dt]), q)
    expected = q * np.block(
        [[dt**3 / 3 * np.eye(3), dt**2 / 2 * np.eye(3)], [dt**2 / 2 * np.eye(3), dt * np.eye(3)]]
    )
    np.testing.assert_allclose(p[0], expected, rtol=1e-12, atol=0)


def test_association_recovers_a_permutation_and_respects_the_gate() -> None:
    """Noisy copies of 40 well-separated tracks, shuffled, are paired back; outliers are not.

    Reference: the known permutation. Tolerance: exact pairing; a copy shifted by 50 sigma
    is left unpaired (chi-square(6) gate at 0.9999 is about 27.9).
    """
    rng = np.random.default_rng(3)
    n = 40
    xa = np.column_stack([rng.uniform(-7e6, 7e6, (n, 3)), rng.uniform(-5e3, 5e3, (n, 3))])
    pa = np.broadcast_to(np.diag([1e4] * 3 + [1.0] * 3), (n, 6, 6)).copy()
    perm = rng.permutation(n)
    xb = xa[perm] + rng.normal(size=(n, 6)) * np.sqrt(np.diag(pa[0]))
    xb[0, 0] += 50 * 100.0 * np.sqrt(2)
    ia, ib, d2 = associate(xa, pa, xb, pa.copy())
    paired = dict(zip(ib.tolist(), ia.tolist(), strict=True))
    assert 0 not in paired
    assert all(paired[j] == perm[j] for j in range(1, n))
    assert np.all(d2 <= 27.9)


def test_fusion_of_three_owners() -> None:
    """Three owners see five targets (one also a sixth); fusion gives six system tracks.

    Reference: the construction. Checks: each system track holds one track per owner of
    the same target; its covariance trace is at most the smallest member's (CI with the
    trace criterion never does worse than its best input); its error is within 4 sigma.
    """
    rng = np.random.default_rng(5)
    truth = np.column_stack([rng.uniform(-6e6, 6e6, (6, 3)), rng.uniform(-3e3, 3e3, (6, 3))])
    truth[:, :3] *= 6.6e6 / np.linalg.norm(truth[:, :3], axis=1, keepdims=True)
    owners, ids, states, covs, target = [], [], [], [], []
    for k, owner in enumerate(["USA", "JPN", "AUS"]):
        for j in range(6 if owner == "JPN" else 5):
            sig = np.array([100.0 * (k + 1)] * 3 + [2.0 * (k + 1)] * 3)
            owners.append(owner)
            ids.append(f"{owner}-{j}")
            states.append(truth[j] + rng.normal(size=6) * sig)
            covs.append(np.diag(sig**2))
            target.append(j)
    batch = TrackBatch(
        owner=np.array(owners),
        track_id=np.array(ids),
        time_s=np.zeros(len(owners)),
        state=np.array(states),
        cov=np.array(covs),
    )
    system = fuse_tracks(batch)
    assert len(system) == 6
    tgt = np.array(target)
    for i, members in enumerate(system.members):
        assert len({tgt[m] for m in members}) == 1
        assert len({owners[m] for m in members}) == len(members)
        assert np.trace(system.cov[i]) <= min(np.trace(covs[m]) for m in members) * (1 + 1e-9)
        err = system.state[i] - truth[tgt[members[0]]]
        assert err @ np.linalg.solve(system.cov[i], err) < 4.0**2 * 6
    assert sorted(len(m) for m in system.members) == [1, 3, 3, 3, 3, 3]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ci_objective_from_joint_diagonalization_equals_the_direct_one(seed: int) -> None:
    """The search's objective, from one joint diagonalization per pair, is the direct one.

    Reference: trace(inv(w Ia + (1-w) Ib)) and -log det(w Ia + (1-w) Ib) computed with
    numpy's inverse and slogdet at 11 values of w in [0, 1], for 50 random pairs scaled
    over 6 decades like position/velocity covariances. Tolerance: 1e-10 relative (trace),
    1e-9 absolute (log det).
    """
    from tracklayer.fusion.t2t import _ci_objective, _ci_spectrum

    rng = np.random.default_rng(seed)
    k = 50
    scale = np.diag([1e3, 1e3, 1e3, 1.0, 1.0, 1.0])
    pa = np.array([scale @ (a @ a.T + 0.1 * np.eye(6)) @ scale for a in rng.normal(size=(k, 6, 6))])
    pb = np.array([scale @ (a @ a.T + 0.1 * np.eye(6)) @ scale for a in rng.normal(size=(k, 6, 6))])
    info_a, info_b = np.linalg.inv(pa), np.linalg.inv(pb)
    spectrum = _ci_spectrum(info_a, info_b)
    for w in np.linspace(0.0, 1.0, 11):
        omega = np.full(k, w)
        mix = w * info_a + (1.0 - w) * info_b
        trace = np.trace(np.linalg.inv(mix), axis1=-2, axis2=-1)
        np.testing.assert_allclose(_ci_objective(omega, spectrum, "trace"), trace, rtol=1e-10)
        logdet = -np.linalg.slogdet(mix)[1]
        np.testing.assert_allclose(_ci_objective(omega, spectrum, "det"), logdet, atol=1e-9)
