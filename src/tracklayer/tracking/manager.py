"""Track management: the state of all tracks in arrays, M-of-N confirmation, coasting,
deletion on misses or covariance growth, and removal of duplicate tracks.

Life of a track (Blackman and Popoli, *Design and Analysis of Modern Tracking Systems*,
1999, sec. 7.4): born ``tentative``; ``confirmed`` once at least M of its first N frames
updated it, deleted if N frames pass without that; a confirmed track missing a frame is
``coasting`` and is deleted when it has gone ``delete_after_s`` without an update or its
position standard deviation exceeds ``max_position_sigma_km``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from tracklayer.tracking.config import MAX_CONFIRM_N, TrackingConfig, chi2_quantile

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

TENTATIVE, CONFIRMED, COASTING, DELETED = 0, 1, 2, 3
#: Status names by code, as written in the ``tracks`` table.
STATUS_NAMES = ("tentative", "confirmed", "coasting", "deleted")

_POPCOUNT = np.array([bin(i).count("1") for i in range(1 << MAX_CONFIRM_N)], dtype=np.int64)


@dataclass(frozen=True)
class TrackSet:
    """All live tracks of one tracker, batched.

    Attributes
    ----------
    track_id : (K,) int64, stable identity
    x : (K, 6) ECEF state, m and m/s
    p : (K, 6, 6) covariance
    status : (K,) int8 status code (``TENTATIVE`` ...)
    history : (K,) int64 bit mask of hits over the last ``confirm_n`` frames (bit 0 = now)
    age : (K,) int64 frames since birth (1 in the frame of birth)
    last_update_s : (K,) time of the last update, s since epoch
    mu : (K, M) IMM mode probabilities (``M = 0`` without IMM)
    xm : (K, M, 6) IMM mode-matched states; pm : (K, M, 6, 6) their covariances
    origin_sensor : (K,) int64, the one sensor that has updated a track started from one
    satellite (:mod:`tracklayer.tracking.single_sensor`); -1 for tracks started from several
    sensors and once a second sensor has updated it
    group : (K,) int64, the range bank a one-satellite hypothesis belongs to (-1: none)
    loglik : (K,) summed log-likelihood of a bank hypothesis' updates
    """

    track_id: I64
    x: F64
    p: F64
    status: NDArray[np.int8]
    history: I64
    age: I64
    last_update_s: F64
    mu: F64
    xm: F64
    pm: F64
    origin_sensor: I64
    group: I64
    loglik: F64

    @classmethod
    def empty(cls, n_modes: int = 0) -> TrackSet:
        return cls(
            np.zeros(0, np.int64),
            np.zeros((0, 6)),
            np.zeros((0, 6, 6)),
            np.zeros(0, np.int8),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros((0, n_modes)),
            np.zeros((0, n_modes, 6)),
            np.zeros((0, n_modes, 6, 6)),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0),
        )

    @classmethod
    def born(
        cls,
        first_id: int,
        x: F64,
        p: F64,
        t: float,
        mode_probabilities: F64 | None = None,
        origin_sensor: I64 | None = None,
        group: I64 | None = None,
    ) -> TrackSet:
        """New tentative tracks, each counting its birth frame as a hit.

        ``mode_probabilities`` (M,): the IMM's initial mode probabilities; every mode then
        starts from ``x, p``. ``origin_sensor``, ``group`` (K,): for hypotheses of a range
        bank started from one sensor's detection (default -1: started from several).
        """
        k = x.shape[0]
        none = np.full(k, -1, np.int64)
        mp = np.zeros(0) if mode_probabilities is None else np.asarray(mode_probabilities)
        m = mp.size
        return cls(
            np.arange(first_id, first_id + k, dtype=np.int64),
            x,
            p,
            np.full(k, TENTATIVE, np.int8),
            np.ones(k, np.int64),
            np.ones(k, np.int64),
            np.full(k, t),
            np.tile(mp, (k, 1)),
            np.repeat(x[:, None, :], m, axis=1),
            np.repeat(p[:, None, :, :], m, axis=1),
            none if origin_sensor is None else origin_sensor,
            none.copy() if group is None else group,
            np.zeros(k),
        )

    def __len__(self) -> int:
        return int(self.track_id.shape[0])

    def select(self, mask: NDArray[np.bool_] | I64) -> TrackSet:
        return TrackSet(
            self.track_id[mask],
            self.x[mask],
            self.p[mask],
            self.status[mask],
            self.history[mask],
            self.age[mask],
            self.last_update_s[mask],
            self.mu[mask],
            self.xm[mask],
            self.pm[mask],
            self.origin_sensor[mask],
            self.group[mask],
            self.loglik[mask],
        )

    def concat(self, other: TrackSet) -> TrackSet:
        return TrackSet(
            np.concatenate([self.track_id, other.track_id]),
            np.concatenate([self.x, other.x]),
            np.concatenate([self.p, other.p]),
            np.concatenate([self.status, other.status]),
            np.concatenate([self.history, other.history]),
            np.concatenate([self.age, other.age]),
            np.concatenate([self.last_update_s, other.last_update_s]),
            np.concatenate([self.mu, other.mu]),
            np.concatenate([self.xm, other.xm]),
            np.concatenate([self.pm, other.pm]),
            np.concatenate([self.origin_sensor, other.origin_sensor]),
            np.concatenate([self.group, other.group]),
            np.concatenate([self.loglik, other.loglik]),
        )


def advance(tracks: TrackSet, hit: NDArray[np.bool_], t: float, config: TrackingConfig) -> TrackSet:
    """Statuses after one frame in which ``hit`` says which tracks were updated.

    Tracks to delete get status ``DELETED`` (the caller records and drops them). A track
    that only one sensor has updated (``origin_sensor >= 0``) stays tentative whatever its
    hits, since one satellite's angles do not fix the range, and is exempt from deletion
    on covariance growth (its range spread is large by construction).
    """
    mask = (1 << config.management.confirm_n) - 1
    history = ((tracks.history << 1) | hit.astype(np.int64)) & mask
    age = tracks.age + 1
    last = np.where(hit, t, tracks.last_update_s)
    hits = _POPCOUNT[history]
    status = tracks.status.copy()
    tent = status == TENTATIVE
    one = tracks.origin_sensor >= 0
    status[tent & ~one & (hits >= config.management.confirm_m)] = CONFIRMED
    status[tent & (hits < config.management.confirm_m) & (age >= config.management.confirm_n)] = (
        DELETED
    )
    held = (status == CONFIRMED) | (status == COASTING)
    status[held & hit] = CONFIRMED
    status[held & ~hit] = COASTING
    sig_max = np.sqrt(np.linalg.eigvalsh(tracks.p[:, :3, :3])[:, -1]) if len(tracks) else last
    gone = (t - last > config.management.delete_after_s) | (
        (sig_max > config.management.max_position_sigma_m) & ~one
    )
    status[gone] = DELETED
    return replace(tracks, status=status, history=history, age=age, last_update_s=last)


def duplicates(tracks: TrackSet, config: TrackingConfig) -> NDArray[np.bool_]:
    """Tracks that duplicate an older (or better-confirmed) one, to be deleted.

    Two tracks are duplicates when their position difference is inside the chi-square gate
    of ``merge_gate_probability`` (3 degrees of freedom) with the summed covariances; of a
    pair, the one with the lower status rank (tentative < coasting < confirmed), then the
    younger, goes.
    """
    k = len(tracks)
    out = np.zeros(k, dtype=bool)
    # One-sensor hypotheses of a bank overlap each other by construction; they are pruned
    # by likelihood instead (tracker), and join this test once a second sensor saw them.
    live = np.nonzero((tracks.status != DELETED) & (tracks.origin_sensor < 0))[0]
    if live.size < 2:
        return out
    r = tracks.x[live, :3]
    diff = r[:, None, :] - r[None, :, :]
    # Cheap pre-test on distance before the Mahalanobis one.
    sig2 = np.trace(tracks.p[live, :3, :3], axis1=1, axis2=2)
    gate = chi2_quantile(config.management.merge_gate_probability, 3)
    dist2 = np.einsum("abi,abi->ab", diff, diff)
    ia, ib = np.nonzero(np.triu(dist2 <= gate * (sig2[:, None] + sig2[None, :]), k=1))
    if ia.size == 0:
        return out
    s = tracks.p[live[ia], :3, :3] + tracks.p[live[ib], :3, :3]
    dd = diff[ia, ib]
    d2 = np.einsum("pi,pi->p", dd, np.linalg.solve(s, dd[..., None])[..., 0])
    ia, ib = ia[d2 <= gate], ib[d2 <= gate]
    rank = np.array([0, 2, 1, -1])[tracks.status[live]] * 10**9 + tracks.age[live]
    for a, b in zip(ia, ib, strict=True):
        if out[live[a]] or out[live[b]]:
            continue
        out[live[b] if rank[a] >= rank[b] else live[a]] = True
    return out
