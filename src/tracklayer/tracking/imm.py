"""Interacting multiple model (IMM) filter of boost, ballistic and glide motion, batched.

Each track carries mode probabilities ``mu (K, M)`` and one EKF per mode, ``x (K, M, 6)``,
``P (K, M, 6, 6)``; here ``M = 3`` with the modes :data:`MODES` of
:mod:`tracklayer.tracking.motion`. One cycle (Bar-Shalom, Li and Kirubarajan, *Estimation
with Applications to Tracking and Navigation*, 2001, sec. 11.6.6; Blom and Bar-Shalom, IEEE
TAC 33(8), 1988):

1. mixing: predicted mode probabilities ``c_j = sum_i pi_ij mu_i``, mixing weights
   ``mu_{i|j} = pi_ij mu_i / c_j``, mixed priors
   ``x0_j = sum_i mu_{i|j} x_i``, ``P0_j = sum_i mu_{i|j} (P_i + (x_i - x0_j)(x_i - x0_j)^T)``;
2. mode-matched prediction of each ``x0_j, P0_j`` with model ``j``;
3. mode-matched update of every mode with the track's lines of sight
   (:func:`tracklayer.tracking.filters.information_update`), giving likelihoods ``L_j``;
4. ``mu_j = c_j L_j / sum_l c_l L_l`` (in logarithms, so that no likelihood underflows);
5. the output estimate is the moment-matched mixture
   ``x = sum_j mu_j x_j``, ``P = sum_j mu_j (P_j + (x_j - x)(x_j - x)^T)``.

The Markov switching matrix over a step ``dt`` keeps a mode with probability
``exp(-lambda dt)`` and otherwise moves to each other mode with equal probability.
Association uses the combined estimate (step 5 applied to the predictions).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.filters import enforce_spd, information_update, predict, symmetrize

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: The IMM's modes, in the order of its probability columns.
MODES = ("boost", "ballistic", "glide")


def transition_matrix(dt: float, switch_rate_per_s: float, m: int = len(MODES)) -> F64:
    """Markov mode-switching probabilities ``pi[i, j] = P(mode j after dt | mode i)``."""
    stay = float(np.exp(-switch_rate_per_s * abs(dt)))
    if m == 1:
        return np.ones((1, 1))
    out = np.full((m, m), (1.0 - stay) / (m - 1))
    np.fill_diagonal(out, stay)
    return out


def combine(mu: F64, xm: F64, pm: F64) -> tuple[F64, F64]:
    """Moment-matched mixture of the modes: ``x (K, 6)``, ``P (K, 6, 6)``."""
    x = np.einsum("km,kmi->ki", mu, xm)
    dx = xm - x[:, None, :]
    p = np.einsum("km,kmij->kij", mu, pm + dx[..., :, None] * dx[..., None, :])
    return x, symmetrize(p)


def mix(mu: F64, xm: F64, pm: F64, pi: F64) -> tuple[F64, F64, F64]:
    """IMM mixing (step 1).

    Parameters
    ----------
    mu : (K, M) mode probabilities; xm : (K, M, 6); pm : (K, M, 6, 6); pi : (M, M)

    Returns
    -------
    c : (K, M) predicted mode probabilities
    x0 : (K, M, 6), p0 : (K, M, 6, 6) mixed priors of each mode-matched filter
    """
    joint = mu[:, :, None] * pi[None, :, :]  # (K, i, j)
    c = joint.sum(axis=1)
    w = joint / np.maximum(c, 1e-300)[:, None, :]  # mu_{i|j}
    x0 = np.einsum("kij,kia->kja", w, xm)
    dx = xm[:, None, :, :] - x0[:, :, None, :]  # (K, j, i, 6)
    spread = dx[..., :, None] * dx[..., None, :]
    p0 = np.einsum("kij,kjiab->kjab", w, pm[:, None, :, :, :] + spread)
    return c, x0, symmetrize(p0)


def _mode_settings(config: TrackingConfig) -> list[tuple[str, float, float]]:
    return [
        ("boost", config.imm.boost_process_noise_m2_s3, config.imm.boost_acceleration_mps2),
        ("ballistic", config.process_noise_m2_s3, 0.0),
        ("glide", config.imm.glide_process_noise_m2_s3, 0.0),
    ]


def imm_predict(
    mu: F64, xm: F64, pm: F64, dt: float, config: TrackingConfig
) -> tuple[F64, F64, F64]:
    """Mix, then predict every mode-matched filter ``dt`` seconds ahead (steps 1-2).

    Returns
    -------
    c : (K, M) predicted mode probabilities; xm : (K, M, 6); pm : (K, M, 6, 6)
    """
    pi = transition_matrix(dt, config.imm.switch_rate_per_s)
    c, x0, p0 = mix(mu, xm, pm, pi)
    x_out, p_out = np.empty_like(x0), np.empty_like(p0)
    for j, (motion, q, thrust) in enumerate(_mode_settings(config)):
        x_out[:, j], p_out[:, j] = predict(
            x0[:, j],
            p0[:, j],
            dt,
            q_m2_s3=q,
            motion=motion,
            max_step_s=config.max_step_s,
            beta_kg_m2=config.drag_ballistic_coefficient_kg_m2 if motion == "ballistic" else None,
            thrust_mps2=thrust,
        )
    return c, x_out, p_out


def imm_update(
    c: F64,
    xm: F64,
    pm: F64,
    track_idx: I64,
    los: F64,
    sensor_pos: F64,
    sigma_rad: F64,
    tau: F64,
    *,
    iterations: int = 1,
    basis: F64 | None = None,
) -> tuple[F64, F64, F64]:
    """Update every mode of the tracks with their lines of sight (steps 3-4).

    Parameters
    ----------
    c : (K, M) predicted mode probabilities; xm : (K, M, 6); pm : (K, M, 6, 6)
    track_idx : (G,) int, sorted; los, sensor_pos : (G, 3); sigma_rad, tau : (G,)
        As in :func:`tracklayer.tracking.filters.update_angles_multi`.
    iterations : int
        Linearisations of each mode's update.
    basis : (G, 2, 3), optional
        ``tangent_basis(los)``.

    Returns
    -------
    mu : (K, M) posterior mode probabilities (``c`` for tracks without a line of sight)
    xm, pm : updated mode-matched states and covariances
    """
    k, m = c.shape
    if track_idx.size == 0:
        return c.copy(), xm.copy(), pm.copy()
    # Line of sight g of track t goes to every flattened (t, j) filter t * M + j.
    flat = (track_idx[None, :] * m + np.arange(m)[:, None]).ravel()
    g = np.tile(np.arange(track_idx.size), m)
    order = np.argsort(flat, kind="stable")
    flat, g = flat[order], g[order]
    x_new, p_new, ll = information_update(
        xm.reshape(k * m, 6),
        pm.reshape(k * m, 6, 6),
        flat,
        los[g],
        sensor_pos[g],
        sigma_rad[g],
        tau[g],
        iterations=iterations,
        basis=None if basis is None else basis[g],
    )
    logw = np.log(np.maximum(c, 1e-300)) + ll.reshape(k, m)
    logw -= logw.max(axis=1, keepdims=True)
    mu = np.exp(logw)
    mu /= mu.sum(axis=1, keepdims=True)
    return mu, x_new.reshape(k, m, 6), enforce_spd(p_new.reshape(k, m, 6, 6))
