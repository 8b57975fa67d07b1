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

from tracklayer.fusion.t2t import TrackBatch, fuse_tracks
from tracklayer.vocabulary import FUSED, JOINT, TRACKS_SCHEMA

_LIVE = ("confirmed", "coasting")


def fuse_timeline(
    tracks: pa.Table,
    epoch: datetime,
    *,
    interval_s: float = 10.0,
    max_age_s: float = 30.0,
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
    max_age_s
        National track states older than this at a fusion time are left out, s.
    known_column
        Timestamp column of when each state reached the fusing node; used from then on
        (default: from its own time).

    Returns
    -------
    pyarrow.Table
        Rows in the ``tracks`` schema with ``tracker = "fused"`` and status ``confirmed``.
    """
    national = tracks.filter(
        pc.and_(
            pc.is_in(tracks["status"], pa.array(_LIVE)),
            pc.invert(pc.is_in(tracks["tracker"], pa.array([JOINT, FUSED]))),
        )
    )
    if national.num_rows == 0:
        return TRACKS_SCHEMA.empty_table()
    epoch_ns = int(np.datetime64(epoch.replace(tzinfo=None), "ns").astype(np.int64))
    t_s = (national["time"].cast(pa.int64()).to_numpy() - epoch_ns) / 1e9
    known = national[known_column if known_column is not None else "time"]
    known_s = (known.cast(pa.int64()).to_numpy() - epoch_ns) / 1e9
    owner = national["tracker"].to_numpy(zero_copy_only=False).astype(str)
    track_id = national["track_id"].cast(pa.string()).to_numpy(zero_copy_only=False).astype(str)
    state = np.stack([national[c].to_numpy() for c in ("x", "y", "z", "vx", "vy", "vz")], axis=1)
    cov = np.asarray(national["cov"].combine_chunks().flatten()).reshape(-1, 6, 6)

    identity = _Identities()
    ids: list[str] = []
    times_ns: list[int] = []
    states: list[np.ndarray] = []
    covs: list[np.ndarray] = []
    first = np.ceil(t_s.min() / interval_s) * interval_s
    for fusion_t in np.arange(first, known_s.max(), interval_s):
        latest = _latest_states(owner, track_id, t_s, known_s, fusion_t, max_age_s)
        if latest.size == 0:
            continue
        batch = TrackBatch(owner[latest], track_id[latest], t_s[latest], state[latest], cov[latest])
        system = fuse_tracks(batch, time_s=float(fusion_t))
        for members in system.members:
            ids.append(
                identity(
                    tuple(sorted(f"{owner[latest][i]}/{track_id[latest][i]}" for i in members))
                )
            )
        times_ns += [epoch_ns + round(fusion_t * 1e9)] * len(system)
        states.append(system.state)
        covs.append(system.cov.reshape(-1, 36))
    if not ids:
        return TRACKS_SCHEMA.empty_table()
    x = np.concatenate(states)
    columns = {
        "track_id": pa.array(ids),
        "tracker": pa.array([FUSED] * len(ids)),
        "time": pa.array(np.asarray(times_ns, dtype=np.int64)).cast(pa.timestamp("ns", tz="UTC")),
        **{name: pa.array(x[:, k]) for k, name in enumerate(("x", "y", "z", "vx", "vy", "vz"))},
        "cov": pa.FixedSizeListArray.from_arrays(pa.array(np.concatenate(covs).ravel()), 36),
        "status": pa.array(["confirmed"] * len(ids)),
    }
    return pa.table(columns, schema=TRACKS_SCHEMA)


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
