"""Track management: the state of all tracks in arrays, M-of-N confirmation, coasting,
deletion on misses or covariance growth, and removal of duplicate tracks.

Life of a track (Blackman and Popoli, *Design and Analysis of Modern Tracking Systems*,
1999, sec. 7.4): born ``tentative``; ``confirmed`` once at least M of its first N frames
updated it, deleted if N frames pass without that; a confirmed track missing a frame is
``coasting`` and is deleted when it has gone ``delete_after_s`` without an update, its
position standard deviation exceeds ``max_position_sigma_km``, or its speed exceeds 1.5
times ``initiation.max_speed_mps`` (no target flies that fast: such a track has taken
other objects' detections).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

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
    dominated : (K,) int64 bit mask of the last ``confirm_n`` frames in which another track
    dominated this one (:func:`dominated`; bit 0 = now)
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
    dominated: I64

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
            np.zeros(0, np.int64),
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
            np.zeros(k, np.int64),
        )

    def __len__(self) -> int:
        return int(self.track_id.shape[0])

    def select(self, mask: NDArray[np.bool_] | I64) -> TrackSet:
        return TrackSet(*(getattr(self, f.name)[mask] for f in fields(self)))

    def concat(self, other: TrackSet) -> TrackSet:
        return TrackSet(
            *(np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self))
        )


def advance(tracks: TrackSet, hit: NDArray[np.bool_], t: float, config: TrackingConfig) -> TrackSet:
    """Statuses after one frame in which ``hit`` says which tracks were updated.

    Tracks to delete get status ``DELETED`` (the caller records and drops them). A track
    that only one sensor has updated (``origin_sensor >= 0``) stays tentative whatever its
    hits, since one satellite's angles do not fix the range, and is exempt from deletion
    on covariance growth (its range spread is large by construction). A track that
    another one dominated (:func:`dominated`) in each of the last
    ``management.dominated_frames`` frames is deleted.
    """
    mask = (1 << config.management.confirm_n) - 1
    streak = (1 << config.management.dominated_frames) - 1
    # A track faster than any target has taken other objects' detections.
    max_speed = 1.5 * config.initiation.max_speed_mps
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
    speed = np.linalg.norm(tracks.x[:, 3:], axis=1)
    gone = (t - last > config.management.delete_after_s) | (
        ((sig_max > config.management.max_position_sigma_m) | (speed > max_speed)) & ~one
    )
    status[gone] = DELETED
    if config.management.dominated_frames:
        status[(tracks.dominated & streak) == streak] = DELETED
    return replace(tracks, status=status, history=history, age=age, last_update_s=last)


def dominated(
    tracks: TrackSet,
    gated_track: I64,
    gated_det: I64,
    assigned_track: I64,
    assigned_det: I64,
    det_sensor: I64,
) -> NDArray[np.bool_]:
    """Tracks another track dominates in this frame: a ghost or duplicate living on a
    subset of a real track's detections.

    Track ``b`` is dominated by track ``a`` when every detection assigned to ``b`` lies in
    ``a``'s gate, ``a`` gates detections of strictly more sensors than ``b`` does, and
    ``a``'s position is at least as precise (trace of the position covariance). This is
    the signature of a track that survives on the lines of sight of one or a few sensors
    (its range along them unobserved) while the target's real track is seen by all the
    sensors in view: per-sensor assignment lets each take some of the target's
    detections, so neither ever misses. Two closely spaced objects that the sensors do
    not resolve gate the same detections of the same sensors, so neither dominates the
    other (:func:`sharing` then keeps one track), and a resolved second object has
    detections of its own: neither case is swallowed.

    Parameters
    ----------
    tracks : TrackSet
    gated_track, gated_det : (G,) int
        The gated (track, detection) pairs.
    assigned_track, assigned_det : (A,) int
        The pairs that updated tracks.
    det_sensor : (D,) int
        Each detection's sensor.

    Returns
    -------
    (K,) bool
    """
    return redundant(tracks, gated_track, gated_det, assigned_track, assigned_det, det_sensor)[0]


def sharing(
    tracks: TrackSet,
    gated_track: I64,
    gated_det: I64,
    assigned_track: I64,
    assigned_det: I64,
    det_sensor: I64,
) -> NDArray[np.bool_]:
    """Tracks that share one object's detections with an older track in this frame.

    Track ``b`` shares with track ``a`` when every detection assigned to ``b`` lies in
    ``a``'s gate, the detections that ``a`` or ``b`` gate hold at most one per sensor
    (the sensors saw one object there, not two), and ``a`` outranks ``b`` (confirmed
    before coasting before tentative, then older). Per-sensor assignment shares such an
    object's detections out between the two tracks, so both keep being updated and
    neither misses a frame, while each is pulled off the object by the detections it
    does not take; when both are precise they stay hundreds of metres apart, outside
    the duplicate test of :func:`duplicates`. Two resolved objects give two detections
    per sensor in the common gate, so neither of their tracks shares; two objects that
    no sensor resolves are one object to every sensor, and keep one track.

    Parameters and returns as :func:`dominated`.
    """
    return redundant(tracks, gated_track, gated_det, assigned_track, assigned_det, det_sensor)[1]


def redundant(
    tracks: TrackSet,
    gated_track: I64,
    gated_det: I64,
    assigned_track: I64,
    assigned_det: I64,
    det_sensor: I64,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """The tracks that another one dominates (:func:`dominated`) and those that share one
    object's detections with an older one (:func:`sharing`) in this frame, each (K,)
    bool, from one pass over the gated and assigned pairs."""
    k = len(tracks)
    out = np.zeros(k, dtype=bool)
    if assigned_track.size == 0 or k < 2:
        return out, out.copy()
    n_det = int(det_sensor.size)
    n_sens = int(det_sensor.max()) + 1
    dense = k * k * max(n_det, n_sens) <= _DENSE_WORK
    gate = _incidence(gated_track, gated_det, (k, n_det), dense)
    took = _incidence(assigned_track, assigned_det, (k, n_det), dense)
    b, a, n_inside = _nonzero(took @ gate.T)  # [b, a]: b's detections inside a's gate
    n_took = np.bincount(assigned_track, minlength=k)
    key = np.unique(gated_track * n_sens + det_sensor[gated_det])
    n_sensors = np.bincount(key // n_sens, minlength=k)
    eligible = (tracks.origin_sensor < 0) & (tracks.status != DELETED)
    candidate = (a != b) & (n_inside == n_took[b]) & eligible[a] & eligible[b]
    b, a = b[candidate], a[candidate]
    precision = np.trace(tracks.p[:, :3, :3], axis1=1, axis2=2)
    dom = (n_sensors[a] > n_sensors[b]) & (precision[a] <= precision[b])
    # Detections and sensors gated by a or b: |A u B| = |A| + |B| - |A n B|.
    seen = _incidence(key // n_sens, key % n_sens, (k, n_sens), dense)
    n_gated = np.bincount(gated_track, minlength=k)
    both_det = np.asarray((gate @ gate.T)[b, a]).ravel()
    both_sens = np.asarray((seen @ seen.T)[b, a]).ravel()
    one_object = n_gated[a] + n_gated[b] - both_det == n_sensors[a] + n_sensors[b] - both_sens
    rank = np.array([0, 2, 1, -1])[tracks.status].astype(np.int64)
    older = (rank[a] > rank[b]) | (
        (rank[a] == rank[b])
        & ((tracks.age[a] > tracks.age[b]) | ((tracks.age[a] == tracks.age[b]) & (a < b)))
    )
    shares = out.copy()
    out[b[dom]] = True
    shares[b[one_object & older]] = True
    return out, shares


#: Most multiply-adds (tracks^2 x detections) for which a frame's incidence matrices are
#: built dense: a few ms of BLAS at most, against about 1 ms of sparse construction per
#: frame; a raid-scale frame stays sparse.
_DENSE_WORK = 4_000_000


def _incidence(rows: I64, cols: I64, shape: tuple[int, int], dense: bool) -> Any:
    """Counts of each ``(row, col)`` pair in a ``shape`` matrix, float64: a dense array or a
    CSR matrix. Products and ``[rows, cols]`` picks of either give the same exact integer
    counts."""
    if dense:
        flat = np.bincount(rows * shape[1] + cols, minlength=shape[0] * shape[1])
        return flat.reshape(shape).astype(np.float64)
    return csr_matrix((np.ones(rows.size), (rows, cols)), shape=shape)


def _nonzero(matrix: Any) -> tuple[I64, I64, NDArray[np.float64]]:
    """Rows, columns and values of the nonzero entries of a dense or sparse matrix."""
    if isinstance(matrix, np.ndarray):
        row, col = np.nonzero(matrix)
        return row, col, matrix[row, col]
    coo = matrix.tocoo()
    return coo.row, coo.col, coo.data


def duplicates(tracks: TrackSet, config: TrackingConfig) -> NDArray[np.bool_]:
    """Tracks that duplicate an older (or better-confirmed) one, to be deleted.

    Two tracks are duplicates when their state difference, position and velocity, is
    inside the chi-square gate of ``merge_gate_probability`` (6 degrees of freedom) with
    the summed covariances (the track-to-track association test of Bar-Shalom, Willett
    and Tian, *Tracking and Data Fusion*, 2011, sec. 9.2, without cross-covariance); of
    a pair, the one with the lower status rank (tentative < coasting < confirmed), then
    the younger, goes. Velocity keeps two targets that cross or pass close (their
    positions meet, their velocities differ by far more than a mature track's velocity
    error) from being merged into one; a new track, whose velocity is unknown, is still
    a duplicate of an older one at its position.
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
    gate = chi2_quantile(config.management.merge_gate_probability, 6)
    dist2 = np.einsum("abi,abi->ab", diff, diff)
    ia, ib = np.nonzero(np.triu(dist2 <= gate * (sig2[:, None] + sig2[None, :]), k=1))
    if ia.size == 0:
        return out
    s = tracks.p[live[ia]] + tracks.p[live[ib]]
    dd = tracks.x[live[ia]] - tracks.x[live[ib]]
    d2 = np.einsum("pi,pi->p", dd, np.linalg.solve(s, dd[..., None])[..., 0])
    ia, ib = ia[d2 <= gate], ib[d2 <= gate]
    rank = np.array([0, 2, 1, -1])[tracks.status[live]] * 10**9 + tracks.age[live]
    for a, b in zip(ia, ib, strict=True):
        if out[live[a]] or out[live[b]]:
            continue
        out[live[b] if rank[a] >= rank[b] else live[a]] = True
    return out
