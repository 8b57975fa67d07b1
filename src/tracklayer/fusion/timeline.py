"""Track-to-track fusion over a whole run: the national trackers' tracks fused at a cadence.

At each fusion time the latest state of every live national track (owner trackers only;
the measurement-level ``joint`` tracker is a separate answer to the same question) is
fused by :func:`tracklayer.fusion.t2t.fuse_tracks` into system tracks. System tracks keep
their identity from one fusion time to the next by the national tracks they contain, so
the result reads as a tracker named ``fused`` in the ``tracks`` table.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tracklayer.fusion.t2t import SystemTracks, TrackBatch, fuse_tracks
from tracklayer.vocabulary import FUSED, JOINT, TRACKS_SCHEMA

_LIVE = ("confirmed", "coasting")
#: A system track drawn from one owner's track alone, where another owner's tracker
#: watches, is confirmed after this long, s: an owner's false tracks are short-lived (tens
#: of seconds), and another owner's tracker seeing the same threat confirms a real one at
#: once.
DEFAULT_CONFIRM_AFTER_S = 30.0


def fuse_timeline(
    tracks: pa.Table,
    epoch: datetime,
    *,
    interval_s: float = 10.0,
    max_age_s: float = 30.0,
    confirm_after_s: float = DEFAULT_CONFIRM_AFTER_S,
    known_column: str | None = None,
) -> pa.Table:
    """System tracks fused from the national tracks, every ``interval_s`` seconds.

    Parameters
    ----------
    tracks
        A ``tracks`` table holding national trackers (owner codes) and maybe ``joint``.
    epoch
        Scenario epoch (UTC); fusion times are ``epoch + k * interval_s``.
    interval_s
        Fusion cadence, s.
    confirm_after_s
        How long a system track drawn from one owner alone stays tentative, s.
    max_age_s
        National track states older than this at a fusion time are left out, s; so is a
        national track from the time its tracker's deletion of it is known.
    known_column
        Timestamp column of when each state reached the fusing node; used from then on
        (default: from its own time).

    Returns
    -------
    pyarrow.Table
        Rows in the ``tracks`` schema with ``tracker = "fused"``; status ``confirmed`` for
        a system track that holds tracks of two owners or more, or has been one for
        ``confirm_after_s``, or appeared while no other owner had a live track;
        ``tentative`` before.
    """
    owners_only = tracks.filter(pc.invert(pc.is_in(tracks["tracker"], pa.array([JOINT, FUSED]))))
    national = owners_only.filter(pc.is_in(owners_only["status"], pa.array(_LIVE)))
    if national.num_rows == 0:
        return TRACKS_SCHEMA.empty_table()
    epoch_ns = int(np.datetime64(epoch.replace(tzinfo=None), "ns").astype(np.int64))
    ended = _deletion_times(owners_only, epoch_ns, known_column or "time")
    t_s = (national["time"].cast(pa.int64()).to_numpy() - epoch_ns) / 1e9
    known = national[known_column if known_column is not None else "time"]
    known_s = (known.cast(pa.int64()).to_numpy() - epoch_ns) / 1e9
    owner = national["tracker"].to_numpy(zero_copy_only=False).astype(str)
    track_id = national["track_id"].cast(pa.string()).to_numpy(zero_copy_only=False).astype(str)
    state = np.stack([national[c].to_numpy() for c in ("x", "y", "z", "vx", "vy", "vz")], axis=1)
    cov = np.asarray(national["cov"].combine_chunks().flatten()).reshape(-1, 6, 6)

    manager = _SystemTrackManager(confirm_after_s)
    ids: list[str] = []
    statuses: list[str] = []
    times_ns: list[int] = []
    states: list[np.ndarray] = []
    covs: list[np.ndarray] = []
    first = np.ceil(t_s.min() / interval_s) * interval_s
    for fusion_t in np.arange(first, known_s.max(), interval_s):
        latest = _latest_states(owner, track_id, t_s, known_s, fusion_t, max_age_s)
        keys = [f"{owner[i]}/{track_id[i]}" for i in latest]
        # A national track its tracker has deleted leaves the picture at once, instead of
        # being carried forward from its last state for max_age_s.
        live = np.array([ended.get(k, np.inf) > fusion_t for k in keys], bool)
        if not np.any(live):
            continue
        latest, keys = latest[live], [k for k, ok in zip(keys, live, strict=True) if ok]
        batch = TrackBatch(owner[latest], track_id[latest], t_s[latest], state[latest], cov[latest])
        system, system_ids, status = manager.fuse(batch, keys, float(fusion_t))
        ids += system_ids
        statuses += status
        times_ns += [epoch_ns + round(fusion_t * 1e9)] * len(system)
        states.append(system.state)
        covs.append(system.cov.reshape(-1, 36))
    return _fused_table(ids, statuses, times_ns, states, covs)


def _fused_table(
    ids: list[str],
    statuses: list[str],
    times_ns: list[int],
    states: list[np.ndarray],
    covs: list[np.ndarray],
) -> pa.Table:
    """The system tracks as rows of the ``tracks`` table, tracker ``fused``."""
    if not ids:
        return TRACKS_SCHEMA.empty_table()
    x = np.concatenate(states)
    columns = {
        "track_id": pa.array(ids),
        "tracker": pa.array([FUSED] * len(ids)),
        "time": pa.array(np.asarray(times_ns, dtype=np.int64)).cast(pa.timestamp("ns", tz="UTC")),
        **{name: pa.array(x[:, k]) for k, name in enumerate(("x", "y", "z", "vx", "vy", "vz"))},
        "cov": pa.FixedSizeListArray.from_arrays(pa.array(np.concatenate(covs).ravel()), 36),
        "status": pa.array(statuses),
    }
    return pa.table(columns, schema=TRACKS_SCHEMA)


def _deletion_times(tracks: pa.Table, epoch_ns: int, column: str) -> dict[str, float]:
    """When (``column``, s since epoch) each national track's deletion was known, by
    ``"owner/track_id"``."""
    rows = tracks.filter(pc.equal(tracks["status"], "deleted"))
    known = pc.coalesce(rows[column], rows["time"]).cast(pa.int64())
    t_s = (known.to_numpy() - epoch_ns) / 1e9
    owner = rows["tracker"].to_pylist()
    track_id = rows["track_id"].cast(pa.string()).to_pylist()
    return {f"{o}/{k}": float(t) for o, k, t in zip(owner, track_id, t_s, strict=True)}


def _latest_states(
    owner: np.ndarray,
    track_id: np.ndarray,
    t_s: np.ndarray,
    known_s: np.ndarray,
    at_s: float,
    max_age_s: float,
) -> np.ndarray:
    """Row index of each (owner, track) latest state known at ``at_s``, within ``max_age_s``."""
    recent = np.flatnonzero((known_s <= at_s + 1e-9) & (t_s >= at_s - max_age_s))
    if recent.size == 0:
        return recent
    order = recent[np.lexsort((t_s[recent], track_id[recent], owner[recent]))]
    keys = np.char.add(np.char.add(owner[order], "/"), track_id[order])
    last = np.r_[keys[1:] != keys[:-1], True]
    return np.asarray(order[last])


class _SystemTrackManager:
    """Fuses one time's national tracks, remembering across times which tracks were fused
    together (association over histories), system-track identities and confirmation."""

    def __init__(self, confirm_after_s: float) -> None:
        self._identity = _Identities()
        self._partner_of: dict[str, str] = {}  # "owner/track" -> the track fused with last
        self._born: dict[str, float] = {}
        self._confirmed: set[str] = set()
        self._confirm_after_s = confirm_after_s

    def fuse(
        self, batch: TrackBatch, keys: list[str], t: float
    ) -> tuple[SystemTracks, list[str], list[str]]:
        """System tracks at ``t``, their ids and statuses."""
        row_of = {k: j for j, k in enumerate(keys)}
        keep_with = np.array(
            [row_of.get(self._partner_of.get(k, ""), -1) for k in keys], dtype=np.intp
        )
        system = fuse_tracks(batch, time_s=t, keep_with=keep_with)
        self._partner_of = {keys[j]: keys[m[0]] for m in system.members for j in m[1:]}
        ids, statuses = [], []
        unwatched = _unwatched(system, batch)
        for k, members in enumerate(system.members):
            system_id = self._identity(tuple(sorted(keys[i] for i in members)))
            born = self._born.setdefault(system_id, t)
            if len(members) > 1 or unwatched[k] or t - born >= self._confirm_after_s:
                self._confirmed.add(system_id)
            ids.append(system_id)
            statuses.append("confirmed" if system_id in self._confirmed else "tentative")
        return system, ids, statuses


def _unwatched(system: SystemTracks, batch: TrackBatch) -> NDArray[np.bool_]:
    """System tracks of one owner's track while no other owner has any live track: no
    other tracker sees the raid, so none can confirm them."""
    owners = np.unique(batch.owner)
    single = np.array([len(m) == 1 for m in system.members], dtype=bool)
    return single & (owners.size == 1)


class _Identities:
    """System-track ids that persist while a system track keeps any of its national tracks."""

    def __init__(self) -> None:
        self._by_members: dict[tuple[str, ...], str] = {}
        self._issued = 0

    def __call__(self, members: tuple[str, ...]) -> str:
        for known, system_id in self._by_members.items():
            if set(known) & set(members):
                del self._by_members[known]
                self._by_members[members] = system_id
                return system_id
        self._issued += 1
        system_id = f"SYS-{self._issued:06d}"
        self._by_members[members] = system_id
        return system_id
