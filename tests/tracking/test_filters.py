"""Filters and motion models against closed forms and independent integrators."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from tracklayer.constants import EARTH_MEAN_RADIUS_M
from tracklayer.tracking.filters import (
    enforce_spd,
    kf_predict,
    kf_update,
    predict,
    predict_cubature,
    update_angles,
    update_angles_cubature,
    update_angles_multi,
)
from tracklayer.tracking.motion import ballistic_acceleration, propagate


def test_linear_kalman_matches_closed_form() -> None:
    """A constant scalar measured n times: posterior variance 1/(1/P0 + n/R) and mean the
    precision-weighted average (Bar-Shalom et al. 2001, sec. 5.2); tolerance 1e-12 relative.
    Also a constant-velocity prediction matches F P F^T + Q by hand."""
    rng = np.random.default_rng(1)
    k, n = 4, 10
    p0, r = 9.0, 0.25
    x = np.full((k, 1), 3.0)
    p = np.full((k, 1, 1), p0)
    z = rng.normal(1.0, 0.5, (n, k))
    for i in range(n):
        x, p, _ = kf_update(x, p, (z[i][:, None] - x), np.ones((k, 1, 1)), np.full((k, 1, 1), r))
    post_var = 1.0 / (1.0 / p0 + n / r)
    post_mean = post_var * (3.0 / p0 + z.sum(axis=0) / r)
    np.testing.assert_allclose(p[:, 0, 0], post_var, rtol=1e-12)
    np.testing.assert_allclose(x[:, 0], post_mean, rtol=1e-12)
    f = np.array([[[1.0, 2.0], [0.0, 1.0]]])
    q = np.array([[[0.1, 0.0], [0.0, 0.2]]])
    xp, pp = kf_predict(np.array([[1.0, 3.0]]), np.array([[[4.0, 1.0], [1.0, 2.0]]]), f, q)
    np.testing.assert_allclose(xp, [[7.0, 3.0]])
    np.testing.assert_allclose(pp[0], [[4 + 4 + 8 + 0.1, 1 + 4], [1 + 4, 2.2]])


def _scene(rng: np.random.Generator, k: int) -> tuple[np.ndarray, ...]:
    r = rng.normal(0.0, 1.0, (k, 3))
    r = (EARTH_MEAN_RADIUS_M + 300e3) * r / np.linalg.norm(r, axis=1, keepdims=True)
    v = rng.normal(0.0, 3000.0, (k, 3))
    x = np.concatenate([r, v], axis=1)
    s = r + rng.normal(0.0, 1.0, (k, 3)) * 1.5e6
    return x, s


def test_ekf_and_ukf_agree_on_near_linear_case() -> None:
    """Angles-only update with a small prior (10 m, 1 m/s) at ~2,500 km range: the
    measurement is nearly linear over the prior, so the EKF and the cubature filter agree
    to 1e-3 of the prior sigma in the state and 1 % in the covariance."""
    rng = np.random.default_rng(2)
    k = 50
    x, s = _scene(rng, k)
    p = np.tile(np.diag([100.0] * 3 + [1.0] * 3), (k, 1, 1))
    xt = x + rng.normal(0.0, 1.0, (k, 6)) * np.array([10.0] * 3 + [1.0] * 3)
    u = xt[:, :3] - s
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    x_e, p_e, d2_e = update_angles(x, p, u, s, 5e-6)
    x_u, p_u, d2_u = update_angles_cubature(x, p, u, s, 5e-6)
    np.testing.assert_allclose(x_e[:, :3], x_u[:, :3], atol=1e-2)
    np.testing.assert_allclose(x_e[:, 3:], x_u[:, 3:], atol=1e-3)
    np.testing.assert_allclose(p_e, p_u, rtol=1e-2, atol=1e-3)
    np.testing.assert_allclose(d2_e, d2_u, rtol=1e-2)
    # Predictions agree as well over 10 s of ballistic flight.
    xe, pe = predict(x, p, 10.0, q_m2_s3=1.0)
    xu, pu = predict_cubature(x, p, 10.0, q_m2_s3=1.0)
    np.testing.assert_allclose(xe, xu, atol=1e-3)
    np.testing.assert_allclose(pe, pu, rtol=1e-3, atol=1e-3)


def test_multi_sensor_information_update_equals_sequential() -> None:
    """Three lines of sight on one track at once (information form, one linearisation)
    against three sequential Joseph-form EKF updates (Bar-Shalom et al. 2001, sec. 7.2).
    The sequential filter relinearises after each update (a ~20 m shift at ~1,500 km), so
    they differ at the 1e-4 level only: states within 1 mm, covariances within 2e-4."""
    rng = np.random.default_rng(3)
    k = 6
    x, _ = _scene(rng, k)
    p = np.tile(np.diag([400.0] * 3 + [4.0] * 3), (k, 1, 1))
    sens = [x[:, :3] + rng.normal(0.0, 1.5e6, (k, 3)) for _ in range(3)]
    los = []
    for s in sens:
        u = x[:, :3] + rng.normal(0.0, 20.0, (k, 3)) - s
        los.append(u / np.linalg.norm(u, axis=1, keepdims=True))
    xs, ps = x, p
    for s, u in zip(sens, los, strict=True):
        xs, ps, _ = update_angles(xs, ps, u, s, 1e-5)
    ti = np.repeat(np.arange(k), 3)
    all_los = np.stack(los, axis=1).reshape(-1, 3)
    all_s = np.stack(sens, axis=1).reshape(-1, 3)
    xm, pm = update_angles_multi(x, p, ti, all_los, all_s, np.full(3 * k, 1e-5), np.zeros(3 * k))
    np.testing.assert_allclose(xm, xs, rtol=1e-6, atol=1e-3)
    np.testing.assert_allclose(pm, ps, rtol=2e-4, atol=1e-6)


def test_covariances_stay_symmetric_positive_definite() -> None:
    """200 predict/update cycles with very precise measurements (1 microradian) from
    random sensors, EKF and cubature filter: P stays exactly symmetric with positive eigenvalues."""
    rng = np.random.default_rng(4)
    k = 20
    for predict_k, update_k in (
        (predict, update_angles),
        (predict_cubature, update_angles_cubature),
    ):
        x, _ = _scene(rng, k)
        p = np.tile(np.diag([1e8] * 3 + [1e6] * 3), (k, 1, 1))
        for _ in range(200):
            x, p = predict_k(x, p, 1.0, q_m2_s3=1e-3)
            s = x[:, :3] + rng.normal(0.0, 2e6, (k, 3))
            u = x[:, :3] + rng.normal(0.0, 5.0, (k, 3)) - s
            u /= np.linalg.norm(u, axis=1, keepdims=True)
            x, p, _ = update_k(x, p, u, s, 1e-6)
            np.testing.assert_array_equal(p, np.swapaxes(p, 1, 2))
            assert np.linalg.eigvalsh(p).min() > 0.0
    bad = np.array([[[1.0, 2.0], [2.0, 1.0]]])
    assert np.linalg.eigvalsh(enforce_spd(bad)).min() > 0.0


def test_ballistic_propagation_against_solve_ivp() -> None:
    """RK4 sub-stepped ballistic propagation over 300 s against scipy's DOP853 at
    rtol 1e-12 on the same ECEF equations: within 1 m and 1 mm/s. The transition matrix
    matches central finite differences to 1e-4 (relative to the largest entry)."""
    rng = np.random.default_rng(5)
    x, _ = _scene(rng, 3)
    x_new, _ = propagate(x, 300.0, max_step_s=2.0)
    for i in range(3):
        sol = solve_ivp(
            lambda _t, s: np.concatenate(
                [s[3:], ballistic_acceleration(s[None, :3], s[None, 3:])[0]]
            ),
            (0.0, 300.0),
            x[i],
            method="DOP853",
            rtol=1e-12,
            atol=1e-6,
        )
        np.testing.assert_allclose(x_new[i, :3], sol.y[:3, -1], atol=1.0)
        np.testing.assert_allclose(x_new[i, 3:], sol.y[3:, -1], atol=1e-3)
    _, f1 = propagate(x[:1], 10.0, max_step_s=2.0)
    assert f1 is not None
    num = np.zeros((6, 6))
    for j in range(6):
        step = np.zeros((1, 6))
        step[0, j] = 1.0 if j < 3 else 0.01
        xp, _ = propagate(x[:1] + step, 10.0, max_step_s=2.0, with_jacobian=False)
        xm, _ = propagate(x[:1] - step, 10.0, max_step_s=2.0, with_jacobian=False)
        num[:, j] = (xp[0] - xm[0]) / (2 * step[0, j])
    assert np.max(np.abs(f1[0] - num)) < 1e-4 * np.max(np.abs(num))
