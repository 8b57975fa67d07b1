"""Triangulation against its own predicted covariance, and initiation among ghosts."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.filters import tangent_basis
from tracklayer.tracking.initiation import initiate
from tracklayer.tracking.triangulate import closest_points, triangulate


def _noisy(u: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    e = tangent_basis(u)
    n = rng.normal(0.0, sigma, (u.shape[0], 2))
    v = u + n[:, :1] * e[:, 0] + n[:, 1:] * e[:, 1]
    return v / np.linalg.norm(v, axis=1, keepdims=True)


CENTRE = np.array([-3.0e6, 3.5e6, 4.2e6]) * 6.7e6 / np.linalg.norm([-3.0e6, 3.5e6, 4.2e6])


def test_triangulation_nees_is_chi_square() -> None:
    """2,000 Monte Carlo trials, 3 satellites ~2,000 km from a target, 30 microradian noise:
    the normalised estimation error squared (r - r_true)^T P^-1 (r - r_true) has mean 3
    (3 degrees of freedom); its sample mean must lie in the two-sided 99 % chi-square
    interval for 2,000 trials (Bar-Shalom et al. 2001, sec. 5.4.2), and the residual chi2
    must average 2M - 3 = 3 within the same kind of interval."""
    rng = np.random.default_rng(10)
    n, m, sigma = 2000, 3, 30e-6
    target = CENTRE
    sens = target + rng.normal(0.0, 1.0, (n, m, 3)) * 1.5e6
    u = target - sens
    u /= np.linalg.norm(u, axis=2, keepdims=True)
    u = _noisy(u.reshape(-1, 3), sigma, rng).reshape(n, m, 3)
    r, cov, c2, dof = triangulate(u, sens, np.full((n, m), sigma), np.ones((n, m), bool))
    err = r - target
    nees = np.einsum("ni,ni->n", err, np.linalg.solve(cov, err[..., None])[..., 0])
    lo, hi = chi2.ppf([0.005, 0.995], 3 * n) / n
    assert lo < nees.mean() < hi
    assert np.all(dof == 3)
    # Residual: 2M - 3 = 3 degrees of freedom per trial.
    assert lo < c2.mean() < hi


def test_closest_points_of_two_crossing_lines() -> None:
    """Two lines meeting at (1, 2, 3): ranges are the distances to it and the miss is 0."""
    p = np.array([[1.0, 2.0, 3.0]])
    s1, s2 = np.array([[0.0, 0.0, 0.0]]), np.array([[5.0, 0.0, 0.0]])
    u1 = (p - s1) / np.linalg.norm(p - s1)
    u2 = (p - s2) / np.linalg.norm(p - s2)
    t1, t2, miss, sin_a = closest_points(u1, s1, u2, s2)
    np.testing.assert_allclose([t1[0], t2[0]], [np.linalg.norm(p - s1), np.linalg.norm(p - s2)])
    assert miss[0] < 1e-12 and sin_a[0] > 0.5


def test_initiation_finds_targets_not_ghosts() -> None:
    """Six targets seen by four satellites plus ten false alarms: initiation returns one
    point per target, each within 5 sigma of the truth, and no other point (ghost pairs of
    two lines have no third line through them)."""
    rng = np.random.default_rng(11)
    sigma = 40e-6
    targets = CENTRE + rng.normal(0.0, 200e3, (6, 3))
    sats = CENTRE + rng.normal(0.0, 1.0, (4, 3)) * 2.0e6
    los, pos, sen = [], [], []
    for j, s in enumerate(sats):
        u = targets - s
        los.append(_noisy(u / np.linalg.norm(u, axis=1, keepdims=True), sigma, rng))
        pos.append(np.tile(s, (6, 1)))
        sen.append(np.full(6, j))
        fa = rng.normal(0.0, 1.0, (3, 3)) + (targets.mean(0) - s) / 2e6
        los.append(fa / np.linalg.norm(fa, axis=1, keepdims=True))
        pos.append(np.tile(s, (3, 1)))
        sen.append(np.full(3, j))
    los_a, pos_a, sen_a = np.concatenate(los), np.concatenate(pos), np.concatenate(sen)
    got = initiate(
        los_a, pos_a, np.full(len(sen_a), sigma), sen_a, np.zeros(len(sen_a)), TrackingConfig()
    )
    assert got.r.shape[0] == 6
    for r, c in zip(got.r, got.cov, strict=True):
        d = targets - r
        k = np.argmin(np.linalg.norm(d, axis=1))
        nees = d[k] @ np.linalg.solve(c, d[k])
        assert nees < 25.0
