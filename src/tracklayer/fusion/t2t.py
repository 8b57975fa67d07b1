"""Track-to-track fusion: alignment in time, chi-square gated association, covariance intersection.

National trackers estimate the same threat from overlapping sensors and shared priors, so
the cross-covariance between two partners' estimates is unknown. Covariance intersection
(CI) fuses them consistently whatever that correlation is (Julier & Uhlmann 1997, "A
non-divergent estimation algorithm in the presence of unknown correlations", Proc. ACC),
at the price of some optimism lost compared with a Kalman-style fusion.

Every function works on batches: states ``(K, 6)`` as ``[x, y, z, vx, vy, vz]`` in ECEF
(m, m/s), covariances ``(K, 6, 6)`` in the same units, times in float64 seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree
from scipy.special import chdtri

from tracklayer.constants import MU_EARTH_M3_S2, OMEGA_EARTH_RAD_S

__all__ = [
    "SystemTracks",
    "TrackBatch",
    "associate",
    "covariance_intersection",
    "fuse_tracks",
    "predict",
]

Criterion = Literal["trace", "det"]

#: Process-noise spectral density of the white-acceleration model used to age a track to
#: the fusion epoch, m^2/s^3. 100 m^2/s^3 gives a 1-sigma position growth of ~180 m over
#: 10 s, the order of an unmodelled 2 g glide-vehicle pull-up; gravity itself is modelled.
DEFAULT_Q_M2_S3 = 100.0
#: Probability mass inside the association gate (chi-square, 6 degrees of freedom).
DEFAULT_GATE_PROBABILITY = 0.9999
#: Gate of a pair of tracks fused at the previous fusion time (chi-square, 6 degrees of
#: freedom): 1 - 1e-9, a squared distance of 55 against 28 for a fresh pair.
HISTORY_GATE_PROBABILITY = 1.0 - 1e-9
#: Longest single integration step of the prediction, s.
_MAX_STEP_S = 5.0
_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True)
class TrackBatch:
    """National track states to fuse, one row per track.

    Attributes
    ----------
    owner : ndarray of str, shape (K,)
        The partner whose tracker produced each track (ISO alpha-3 code).
    track_id : ndarray of str, shape (K,)
        Track identifiers, unique within an owner.
    time_s : ndarray, shape (K,)
        Time of each state, s (any common epoch).
    state : ndarray, shape (K, 6)
        ECEF position (m) and velocity (m/s).
    cov : ndarray, shape (K, 6, 6)
        State covariance, SI units.
    """

    owner: NDArray[np.str_]
    track_id: NDArray[np.str_]
    time_s: NDArray[np.float64]
    state: NDArray[np.float64]
    cov: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.time_s.shape[0])


@dataclass(frozen=True)
class SystemTracks:
    """Fused (system) tracks, all at one epoch.

    Attributes
    ----------
    time_s : float
        Common epoch of every state, s.
    state : ndarray, shape (M, 6)
        Fused ECEF states.
    cov : ndarray, shape (M, 6, 6)
        Fused covariances.
    members : list of list of int
        For each system track, the rows of the input :class:`TrackBatch` fused into it
        (at most one per owner), ordered by owner code.
    """

    time_s: float
    state: NDArray[np.float64]
    cov: NDArray[np.float64]
    members: list[list[int]]

    def __len__(self) -> int:
        return int(self.state.shape[0])


def _acceleration(r: NDArray[np.float64], v: NDArray[np.float64]) -> NDArray[np.float64]:
    """Point-mass gravity plus the Coriolis and centrifugal terms of the rotating ECEF frame."""
    w = OMEGA_EARTH_RAD_S
    norm = np.linalg.norm(r, axis=-1, keepdims=True)
    a = -MU_EARTH_M3_S2 * r / norm**3
    a[..., 0] += w * w * r[..., 0] + 2.0 * w * v[..., 1]
    a[..., 1] += w * w * r[..., 1] - 2.0 * w * v[..., 0]
    return a


def predict(
    state: NDArray[np.float64],
    cov: NDArray[np.float64],
    dt_s: NDArray[np.float64],
    q_m2_s3: float = DEFAULT_Q_M2_S3,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Predict ECEF states and covariances forward (or back) by ``dt_s``.

    The mean follows a ballistic point-mass Earth in the rotating frame, integrated with
    RK4 in equal steps of at most 5 s; the covariance follows the constant-velocity
    transition plus white-acceleration noise of spectral density ``q_m2_s3``
    (Bar-Shalom, Li & Kirubarajan 2001, sec. 6.2.2), which bounds what the mean model
    leaves out (drag, lift, thrust, the gravity gradient).

    Parameters
    ----------
    state : ndarray, shape (K, 6)
    cov : ndarray, shape (K, 6, 6)
    dt_s : ndarray, shape (K,)
        Time step of each track, s.
    q_m2_s3 : float
        Process-noise spectral density, m^2/s^3.

    Returns
    -------
    state, cov : ndarray, shapes (K, 6) and (K, 6, 6)
    """
    state = np.asarray(state, dtype=np.float64)
    dt = np.asarray(dt_s, dtype=np.float64)
    n_steps = max(1, int(np.ceil(np.max(np.abs(dt), initial=0.0) / _MAX_STEP_S)))
    h = (dt / n_steps)[:, None]
    r, v = state[:, :3].copy(), state[:, 3:].copy()
    for _ in range(n_steps):
        k1r, k1v = v, _acceleration(r, v)
        k2r, k2v = v + 0.5 * h * k1v, _acceleration(r + 0.5 * h * k1r, v + 0.5 * h * k1v)
        k3r, k3v = v + 0.5 * h * k2v, _acceleration(r + 0.5 * h * k2r, v + 0.5 * h * k2v)
        k4r, k4v = v + h * k3v, _acceleration(r + h * k3r, v + h * k3v)
        r = r + h / 6.0 * (k1r + 2.0 * k2r + 2.0 * k3r + k4r)
        v = v + h / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v)
    k = state.shape[0]
    eye = np.eye(3)
    f = np.broadcast_to(np.eye(6), (k, 6, 6)).copy()
    f[:, :3, 3:] = dt[:, None, None] * eye
    t = np.abs(dt)[:, None, None]
    q = np.empty((k, 6, 6))
    q[:, :3, :3] = t**3 / 3.0 * eye
    q[:, :3, 3:] = np.sign(dt)[:, None, None] * t**2 / 2.0 * eye
    q[:, 3:, :3] = q[:, :3, 3:]
    q[:, 3:, 3:] = t * eye
    p = f @ np.asarray(cov, dtype=np.float64) @ np.swapaxes(f, -1, -2) + q_m2_s3 * q
    return np.concatenate([r, v], axis=-1), 0.5 * (p + np.swapaxes(p, -1, -2))


def _ci_spectrum(
    info_a: NDArray[np.float64], info_b: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Simultaneous diagonalization of two information matrices, for the CI objective.

    With ``info_b = L Lᵀ`` (Cholesky) and ``L⁻¹ info_a L⁻ᵀ = U diag(λ) Uᵀ``, the mix is
    ``ω info_a + (1-ω) info_b = M⁻ᵀ diag(1 + ω(λ-1)) M⁻¹`` with ``M = L⁻ᵀ U``, so
    ``trace(P(ω)) = Σ mᵢ / (1 + ω(λᵢ-1))`` (``mᵢ`` the squared column norms of ``M``) and
    ``log det(info(ω)) = log det(info_b) + Σ log(1 + ω(λᵢ-1))``: each evaluation of the
    objective is then n scalars instead of an n×n inversion.

    Returns ``λ``, ``m`` (both shape (K, n)) and ``log det(info_b)`` (shape (K,)).
    """
    chol = np.linalg.cholesky(info_b)
    chol_inv = np.linalg.inv(chol)
    c = chol_inv @ info_a @ np.swapaxes(chol_inv, -1, -2)
    lam, u = np.linalg.eigh(0.5 * (c + np.swapaxes(c, -1, -2)))
    m = np.sum((np.swapaxes(chol_inv, -1, -2) @ u) ** 2, axis=-2)
    logdet_b = 2.0 * np.sum(np.log(np.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    return lam, m, logdet_b


def _ci_objective(
    omega: NDArray[np.float64],
    spectrum: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    criterion: Criterion,
) -> NDArray[np.float64]:
    lam, m, logdet_b = spectrum
    scale = 1.0 + omega[:, None] * (lam - 1.0)
    if criterion == "det":
        # det(P) = 1/det(I); minimized as -log det(I), in range for mixed m, m/s units.
        return -(logdet_b + np.sum(np.log(scale), axis=-1))
    return np.sum(m / scale, axis=-1)


def covariance_intersection(
    xa: NDArray[np.float64],
    pa: NDArray[np.float64],
    xb: NDArray[np.float64],
    pb: NDArray[np.float64],
    criterion: Criterion = "trace",
    tol: float = 1e-9,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Fuse pairs of estimates whose cross-correlation is unknown (covariance intersection).

    ``P⁻¹ = ω Pa⁻¹ + (1-ω) Pb⁻¹`` and ``x = P (ω Pa⁻¹ xa + (1-ω) Pb⁻¹ xb)``, with ω in
    [0, 1] minimizing ``trace(P)`` or ``det(P)`` (Julier & Uhlmann 1997, eqs. 8-9). Both
    criteria are convex in ω, so a golden-section search, run for every pair at once,
    finds the global minimum; the two information matrices are diagonalized together
    once per pair, so each step of the search costs a few scalars (:func:`_ci_spectrum`).

    Parameters
    ----------
    xa, xb : ndarray, shape (K, n)
        The two estimates of each pair.
    pa, pb : ndarray, shape (K, n, n)
        Their covariances (symmetric positive definite).
    criterion : {"trace", "det"}
        What ω minimizes.
    tol : float
        Width of the final ω bracket.

    Returns
    -------
    x : ndarray, shape (K, n)
    p : ndarray, shape (K, n, n)
    omega : ndarray, shape (K,)
        The weight of ``a`` in each pair.
    """
    if criterion not in ("trace", "det"):
        raise ValueError(f"criterion must be 'trace' or 'det', got {criterion!r}")
    xa, xb = np.asarray(xa, dtype=np.float64), np.asarray(xb, dtype=np.float64)
    info_a = np.linalg.inv(np.asarray(pa, dtype=np.float64))
    info_b = np.linalg.inv(np.asarray(pb, dtype=np.float64))
    k = xa.shape[0]
    spectrum = _ci_spectrum(info_a, info_b)
    lo, hi = np.zeros(k), np.ones(k)
    c = hi - _GOLDEN * (hi - lo)
    d = lo + _GOLDEN * (hi - lo)
    fc = _ci_objective(c, spectrum, criterion)
    fd = _ci_objective(d, spectrum, criterion)
    n_iter = int(np.ceil(np.log(tol) / np.log(_GOLDEN)))
    for _ in range(n_iter):
        left = fc < fd
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        new_c = np.where(left, hi - _GOLDEN * (hi - lo), d)
        new_d = np.where(left, c, lo + _GOLDEN * (hi - lo))
        probe = np.where(left, new_c, new_d)
        fp = _ci_objective(probe, spectrum, criterion)
        fc, fd = np.where(left, fp, fd), np.where(left, fc, fp)
        c, d = new_c, new_d
    omega = 0.5 * (lo + hi)
    # The optimum often sits on a bound (one estimate better in every direction).
    candidates = np.stack([np.zeros(k), omega, np.ones(k)])
    values = np.stack([_ci_objective(w, spectrum, criterion) for w in candidates])
    omega = candidates[np.argmin(values, axis=0), np.arange(k)]
    w = omega[:, None, None]
    info = w * info_a + (1.0 - w) * info_b
    p = np.linalg.inv(info)
    p = 0.5 * (p + np.swapaxes(p, -1, -2))
    y = w[..., 0] * np.einsum("kij,kj->ki", info_a, xa) + (1.0 - w[..., 0]) * np.einsum(
        "kij,kj->ki", info_b, xb
    )
    x = np.einsum("kij,kj->ki", p, y)
    return x, p, omega


def associate(
    xa: NDArray[np.float64],
    pa: NDArray[np.float64],
    xb: NDArray[np.float64],
    pb: NDArray[np.float64],
    gate_probability: float = DEFAULT_GATE_PROBABILITY,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Pair tracks of two lists by chi-square gated optimal assignment.

    The distance of a pair is ``d² = Δᵀ (Pa + Pb)⁻¹ Δ`` over the 6-D state (the
    cross-covariance is unknown and neglected, Bar-Shalom & Li 1995, sec. 8.3); pairs with
    ``d²`` beyond the chi-square(6) quantile of ``gate_probability`` are never paired, and
    the sum of ``d²`` over pairs is minimized (Hungarian algorithm,
    :func:`scipy.optimize.linear_sum_assignment`). Candidates are found with a k-d tree on
    position, since ``d² ≥ |Δr|² / λmax(Pa + Pb)``, so no dense ``Na × Nb`` 6×6 work is done.

    Parameters
    ----------
    xa : ndarray, shape (Na, 6)
    pa : ndarray, shape (Na, 6, 6)
    xb : ndarray, shape (Nb, 6)
    pb : ndarray, shape (Nb, 6, 6)
    gate_probability : float
        In (0, 1).

    Returns
    -------
    ia, ib : ndarray of int, shape (M,)
        Paired rows of ``a`` and ``b``.
    d2 : ndarray, shape (M,)
        Their normalized squared distances.
    """
    empty = np.zeros(0, dtype=np.intp)
    if len(xa) == 0 or len(xb) == 0:
        return empty, empty, np.zeros(0)
    gate = float(chdtri(xa.shape[1], 1.0 - gate_probability))  # chi-square quantile
    lam_a = np.linalg.eigvalsh(pa)[:, -1]
    lam_b = np.linalg.eigvalsh(pb)[:, -1]
    radius = float(np.sqrt(gate * (lam_a.max() + lam_b.max())))
    pairs = cKDTree(xa[:, :3]).query_ball_tree(cKDTree(xb[:, :3]), r=radius)
    ia = np.repeat(np.arange(len(xa)), [len(p) for p in pairs]).astype(np.intp)
    ib = np.fromiter((j for p in pairs for j in p), dtype=np.intp, count=len(ia))
    if len(ia) == 0:
        return empty, empty, np.zeros(0)
    delta = xa[ia] - xb[ib]
    s = pa[ia] + pb[ib]
    d2 = np.einsum("ki,ki->k", delta, np.linalg.solve(s, delta[..., None])[..., 0])
    keep = d2 <= gate
    ia, ib, d2 = ia[keep], ib[keep], d2[keep]
    if len(ia) == 0:
        return empty, empty, np.zeros(0)
    rows, row_of = np.unique(ia, return_inverse=True)
    cols, col_of = np.unique(ib, return_inverse=True)
    # Non-candidates cost more than any gated pair, so they are chosen only as fillers.
    big = gate * (len(rows) + len(cols) + 1.0)
    cost = np.full((len(rows), len(cols)), big)
    cost[row_of, col_of] = d2
    r, c = linear_sum_assignment(cost)
    ok = cost[r, c] < big
    out_a, out_b, out_d2 = rows[r[ok]], cols[c[ok]], cost[r[ok], c[ok]]
    order = np.argsort(out_a, kind="stable")
    return out_a[order].astype(np.intp), out_b[order].astype(np.intp), out_d2[order]


def fuse_tracks(
    tracks: TrackBatch,
    time_s: float | None = None,
    gate_probability: float = DEFAULT_GATE_PROBABILITY,
    criterion: Criterion = "trace",
    q_m2_s3: float = DEFAULT_Q_M2_S3,
    keep_with: NDArray[np.intp] | None = None,
) -> SystemTracks:
    """Fuse national tracks of several owners into system tracks at one epoch.

    Every track is predicted to the epoch (:func:`predict`); owners are then taken in
    sorted order: the first owner's tracks seed the system tracks, and each next owner's
    tracks are associated with them (:func:`associate`) and fused by covariance
    intersection (:func:`covariance_intersection`), or start new system tracks. A system
    track thus holds at most one track per owner, and the result depends only on the
    input rows, never on anything else: the releasability guarantee of the picture rests
    on that (the caller passes only what a partner may see).

    Parameters
    ----------
    tracks : TrackBatch
        National tracks, at most one state per (owner, track_id).
    time_s : float, optional
        The fusion epoch; defaults to the latest input time.
    gate_probability, criterion, q_m2_s3
        See :func:`associate`, :func:`covariance_intersection`, :func:`predict`.
    keep_with : ndarray of int, shape (K,), optional
        Association over track histories: for each row, the row of an earlier owner's
        track it was fused with at the previous fusion time (-1: none). Such a pair stays
        together while its distance passes the wider gate of
        :data:`HISTORY_GATE_PROBABILITY` (their having been one target makes it likely
        they still are: the sequential test's threshold moves by the prior odds), before
        the remaining tracks are associated afresh.

    Returns
    -------
    SystemTracks
    """
    if len(tracks) == 0:
        return SystemTracks(
            time_s=float(time_s or 0.0),
            state=np.zeros((0, 6)),
            cov=np.zeros((0, 6, 6)),
            members=[],
        )
    epoch = float(np.max(tracks.time_s)) if time_s is None else float(time_s)
    state, cov = predict(tracks.state, tracks.cov, epoch - tracks.time_s, q_m2_s3)
    owners = sorted(set(tracks.owner.tolist()))
    sys_x = np.zeros((0, 6))
    sys_p = np.zeros((0, 6, 6))
    members: list[list[int]] = []
    for owner in owners:
        rows = np.flatnonzero(tracks.owner == owner)
        rows = rows[np.argsort(tracks.track_id[rows], kind="stable")]
        ka, kb = _kept_pairs(keep_with, rows, members, state, cov, sys_x, sys_p)
        free_a = np.setdiff1d(np.arange(len(sys_x)), ka)
        free_b = np.setdiff1d(np.arange(len(rows)), kb)
        ia, ib, _ = associate(
            sys_x[free_a], sys_p[free_a], state[rows[free_b]], cov[rows[free_b]], gate_probability
        )
        ia, ib = np.concatenate([ka, free_a[ia]]), np.concatenate([kb, free_b[ib]])
        if len(ia):
            fx, fp, _ = covariance_intersection(
                sys_x[ia], sys_p[ia], state[rows[ib]], cov[rows[ib]], criterion
            )
            sys_x[ia], sys_p[ia] = fx, fp
            for i, j in zip(ia.tolist(), ib.tolist(), strict=True):
                members[i].append(int(rows[j]))
        new = np.setdiff1d(np.arange(len(rows)), ib)
        sys_x = np.concatenate([sys_x, state[rows[new]]])
        sys_p = np.concatenate([sys_p, cov[rows[new]]])
        members.extend([int(rows[j])] for j in new)
    return SystemTracks(time_s=epoch, state=sys_x, cov=sys_p, members=members)


def _kept_pairs(
    keep_with: NDArray[np.intp] | None,
    rows: NDArray[np.intp],
    members: list[list[int]],
    state: NDArray[np.float64],
    cov: NDArray[np.float64],
    sys_x: NDArray[np.float64],
    sys_p: NDArray[np.float64],
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(system track, index into ``rows``) pairs that stay associated from before."""
    empty = np.zeros(0, dtype=np.intp)
    if keep_with is None or not members:
        return empty, empty
    system_of = {row: i for i, rows_i in enumerate(members) for row in rows_i}
    partner = keep_with[rows]
    kb = np.flatnonzero([p >= 0 and int(p) in system_of for p in partner]).astype(np.intp)
    ka = np.array([system_of[int(partner[j])] for j in kb], dtype=np.intp)
    if kb.size == 0:
        return empty, empty
    ka, first = np.unique(ka, return_index=True)  # one track per owner and system track
    kb = kb[first]
    delta = sys_x[ka] - state[rows[kb]]
    s = sys_p[ka] + cov[rows[kb]]
    d2 = np.einsum("ki,ki->k", delta, np.linalg.solve(s, delta[..., None])[..., 0])
    ok = d2 <= float(chdtri(6, 1.0 - HISTORY_GATE_PROBABILITY))
    return ka[ok].astype(np.intp), kb[ok].astype(np.intp)
