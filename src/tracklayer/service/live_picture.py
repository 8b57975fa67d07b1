"""The stream's picture, kept up to date incrementally instead of re-queried every tick.

:func:`tracklayer.service.picture.build_picture` ranks every visible state of the last
``max_age_s`` in SQL, for each call: at thousands of track updates per second, that is
hundreds of thousands of rows per partner and per stream tick, a cost that grows with the
ingest rate. :class:`LivePicture` keeps instead, for each partner that asked for a picture,
the latest visible state of each national track, fed by the group-commit writer after each
durable commit (:func:`tracklayer.service.ingest.commit_batch`'s ``on_commit``). A picture
then costs one pass over the tracks (not the states) and a fusion, and partners whose
visible inputs are identical share one fusion.

"Latest" is the largest ``(time_ns, message_pk, row index)``, the order in which
:func:`~tracklayer.service.picture.current_states` ranks states (time, then the state's
primary key, which grows with the message's key and the row's place in it), per track:
no other track's state changes which state of a track is shown. The picture's time is
the server clock's now (:class:`~tracklayer.service.clock.PictureClock`); a state older
than ``max_age_s`` then can never be shown again, nor hide one that is, and is dropped.
A state timed more than the clock skew ahead of now is ignored: ingest refuses those, so
only a record written around the service could be one. A partner's
map is seeded once from SQL, on its first picture, after it is registered, so that no
commit falls between the seed and the live feed; a state seen by both merges harmlessly.

What it sees: the seed (everything committed before it), then the service's commits,
which are also all the stream publishes: this process's, and, when the service runs as
several workers, the other workers' through the commit bus (:mod:`tracklayer.service.bus`).
Messages stored after the seed by a process outside the service that shares the
database reach neither this stream nor its picture; the REST picture
(:func:`~tracklayer.service.picture.build_picture`) reads the database and sees them.

Releasability: a state enters a partner's map only when its message's release is visible
to that partner (:meth:`tracklayer.fusion.releasability.Release.visible_to`), and the
seed filters with the same SQL condition as every other read
(:func:`~tracklayer.service.picture.visible_to`). A picture, fused tracks included, is
computed from that partner's map alone; the fusion cache is keyed by the exact inputs, so
a shared fusion is one each partner would have computed from its own records.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tracklayer.fusion.releasability import Release
from tracklayer.service.clock import PictureClock
from tracklayer.service.db import message_releases, messages, track_states
from tracklayer.service.fused_store import NationalReleases
from tracklayer.service.ingest import TRACK_COLUMNS
from tracklayer.service.picture import (
    FusedTracks,
    FusionSettings,
    PictureView,
    TrackRows,
    fuse,
    ranked_states,
)

__all__ = ["Fuser", "LivePicture", "NationalReleases", "StoredTracks"]

#: The fusion a :class:`LivePicture` calls: ``fuser(national, at_ns, settings)``.
Fuser = Callable[[TrackRows, int, FusionSettings], FusedTracks]

#: One stored track message: its release, its ``messages.pk``, and its rows as ingest
#: stores them, ``(owner, track_id, tracker, time_ns, x, y, z, vx, vy, vz, cov, status)``
#: with ``cov`` the 36 little-endian float64 values (288 bytes).
StoredTracks = tuple[Release, int, Sequence[tuple[Any, ...]]]

#: Rank of a state: the order of :func:`~tracklayer.service.picture.current_states`.
_Rank = tuple[int, int, int]
#: A track's latest state: its rank, its row (ingest layout) and its message's release.
_Entry = tuple[_Rank, tuple[Any, ...], Release]
#: A partner's picture and the release of each of its national tracks' shown state.
ViewReleases = tuple[PictureView, dict[tuple[str, str], Release]]
#: A partner's map is pruned by ``add`` once it holds this many entries more than after
#: the last prune (amortized cost, and a bound for partners that stopped asking).
_PRUNE_SLACK = 1024
#: Fusion results kept; one tick needs one per distinct input set.
_CACHE_SIZE = 8
# Row fields, as ingest stores them.
_TRACK_ID, _TRACKER, _TIME, _COV, _STATUS = 1, 2, 3, 10, 11


@dataclass(eq=False)
class _Partner:
    """The latest visible state of each track, for one partner."""

    latest: dict[tuple[str, str], _Entry] = field(default_factory=dict)
    prune_above: int = _PRUNE_SLACK
    seeded: bool = False
    seed_lock: threading.Lock = field(default_factory=threading.Lock)


def _merge(
    state: _Partner,
    message_pk: int,
    rows: Sequence[tuple[Any, ...]],
    window: tuple[int, int],
    release: Release,
) -> None:
    # The caller holds LivePicture._lock. ``window`` is the current one: a state older can
    # never be shown again (the clock only moves on), nor hide one that is.
    latest = state.latest
    cutoff, ahead = window
    for i, row in enumerate(rows):
        t = row[_TIME]
        if t < cutoff or t > ahead:
            continue
        key = (row[_TRACKER], row[_TRACK_ID])
        rank = (t, message_pk, i)
        old = latest.get(key)
        if old is None or rank > old[0]:
            latest[key] = (rank, row, release)


def _prune(state: _Partner, cutoff_ns: int) -> None:
    stale = [k for k, entry in state.latest.items() if entry[0][0] < cutoff_ns]
    for key in stale:
        del state.latest[key]
    state.prune_above = len(state.latest) + _PRUNE_SLACK


def _track_rows(rows: list[tuple[Any, ...]]) -> TrackRows:
    """:class:`TrackRows` of ingest-layout rows (as :meth:`TrackRows.from_rows` does)."""
    n = len(rows)
    cov = np.frombuffer(b"".join(r[_COV] for r in rows), dtype="<f8").reshape(n, 6, 6)
    return TrackRows(
        tracker=np.array([r[_TRACKER] for r in rows], dtype=object),
        track_id=np.array([r[_TRACK_ID] for r in rows], dtype=object),
        time_ns=np.array([r[_TIME] for r in rows], dtype=np.int64),
        state=np.array([r[4:10] for r in rows], dtype=np.float64).reshape(n, 6),
        cov=cov.astype(np.float64),
        status=np.array([r[_STATUS] for r in rows], dtype=object),
    )


def _releases(conn: Any, message_pks: Any) -> dict[int, Release]:
    """The release of each message whose key the subquery ``message_pks`` selects."""
    head = sa.select(messages.c.pk, messages.c.owner, messages.c.release_all).where(
        messages.c.pk.in_(message_pks)
    )
    named: dict[int, set[str]] = {}
    query = sa.select(message_releases.c.message_pk, message_releases.c.partner).where(
        message_releases.c.message_pk.in_(message_pks)
    )
    for pk, partner in conn.execute(query):
        named.setdefault(int(pk), set()).add(str(partner))
    return {
        int(pk): Release(str(owner), frozenset(named.get(int(pk), ())), bool(everyone))
        for pk, owner, everyone in conn.execute(head)
    }


class LivePicture:
    """Each registered partner's current national tracks, updated by every commit.

    Parameters
    ----------
    engine : Engine
        The picture database (read once per partner, for its seed).
    settings : FusionSettings
        Track-to-track fusion parameters.
    clock : PictureClock
        The server clock, and the window of current states (as ``build_picture``'s).
    fuser : callable, optional
        ``fuser(national, at_ns, settings)``, the fusion; by default
        :func:`~tracklayer.service.picture.fuse` in the calling thread
        (:class:`~tracklayer.service.fusion_process.FusionProcess` runs it in a process).

    Notes
    -----
    :meth:`picture` gives what ``build_picture(engine, partner, clock, None, None,
    settings)`` gives on the same records at the same clock reading. Memory is one entry
    per track updated in the last ``max_age_s`` (plus a bounded slack) per registered
    partner.
    """

    def __init__(
        self,
        engine: Engine,
        settings: FusionSettings,
        clock: PictureClock,
        fuser: Fuser | None = None,
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._fuser = fuser
        self._clock = clock
        self._lock = threading.Lock()
        self._partners: dict[str, _Partner] = {}
        self._fuse_lock = threading.Lock()
        self._cache: OrderedDict[Any, tuple[TrackRows, FusedTracks]] = OrderedDict()

    @property
    def partners(self) -> list[str]:
        """The registered partners (those that asked for a picture), sorted."""
        with self._lock:
            return sorted(self._partners)

    def n_entries(self, partner: str) -> int:
        """Tracks held for ``partner`` (0 if not registered): the memory bound's measure."""
        with self._lock:
            state = self._partners.get(partner)
            return 0 if state is None else len(state.latest)

    def add(self, stored: Sequence[StoredTracks]) -> None:
        """Merge committed track messages, in commit order, into the registered partners'.

        Thread-safe; called by the group-commit writer after each durable commit, so it
        only does dictionary work: the release is checked once per message and partner.

        Parameters
        ----------
        stored : sequence of (Release, int, rows)
            Each stored track message's release, ``messages.pk`` and rows in ingest
            layout (see :data:`StoredTracks`).
        """
        if not stored:
            return
        window = self._clock.window_ns(self._clock.now_ns())
        with self._lock:
            if not self._partners:
                return
            for release, message_pk, rows in stored:
                for partner, state in self._partners.items():
                    if not release.visible_to(partner):
                        continue
                    _merge(state, message_pk, rows, window, release)
                    if len(state.latest) > state.prune_above:
                        _prune(state, window[0])

    def forget(self, partner: str) -> None:
        """Stop following ``partner``; its next :meth:`picture` seeds it again."""
        with self._lock:
            self._partners.pop(partner, None)

    def picture(self, partner: str) -> PictureView:
        """The partner's current picture: its latest visible national tracks and their fusion.

        The first call for a partner registers it, then reads its seed from the database
        (blocking other calls for that partner until done).
        """
        return self.pictures([partner])[partner]

    def pictures(self, partners: Sequence[str]) -> dict[str, PictureView]:
        """:meth:`picture` of several partners, from one snapshot of their maps.

        Taken together, partners that see the same records get identical inputs (no commit
        lands between two of them), so their fusion is computed once.
        """
        return {p: view for p, (view, _) in self.pictures_with_releases(partners).items()}

    def pictures_with_releases(
        self, partners: Sequence[str], at_ns: int | None = None
    ) -> dict[str, ViewReleases]:
        """:meth:`pictures` at ``at_ns`` (default: the clock's now), each with the release
        of every national track's shown state."""
        at, snapshots = self._snapshots(partners, at_ns)
        views: dict[str, ViewReleases] = {}
        for partner, entries in snapshots.items():
            national, fused = self._fused(entries, at)
            views[partner] = (
                PictureView(partner, at, national, fused),
                {k: e[2] for k, e in entries},
            )
        return views

    def national_with_releases(
        self, partners: Sequence[str], at_ns: int
    ) -> dict[str, NationalReleases]:
        """Each partner's national tracks at ``at_ns`` (its picture's inputs, not fused),
        with the release of every track's shown state.

        Partners whose inputs are identical get one shared :class:`TrackRows` object, so
        that whoever fuses them (:mod:`tracklayer.service.fused_store`) fuses once.
        """
        _, snapshots = self._snapshots(partners, at_ns)
        shared: dict[Any, TrackRows] = {}
        out: dict[str, NationalReleases] = {}
        for partner, entries in snapshots.items():
            signature = tuple((k, e[0]) for k, e in entries)
            national = shared.get(signature)
            if national is None:
                national = shared[signature] = _track_rows([e[1] for _, e in entries])
            out[partner] = (national, {k: e[2] for k, e in entries})
        return out

    def _snapshots(
        self, partners: Sequence[str], at_ns: int | None
    ) -> tuple[int, dict[str, list[tuple[tuple[str, str], _Entry]]]]:
        """The picture time and each partner's shown entries then, sorted by track (each
        partner is registered and seeded first)."""
        states: dict[str, _Partner] = {}
        with self._lock:
            for partner in partners:
                state = self._partners.get(partner)
                if state is None:
                    # Registered before the seed is read: every later commit reaches it.
                    state = self._partners[partner] = _Partner()
                states[partner] = state
        for partner, state in states.items():
            if not state.seeded:
                with state.seed_lock:
                    if not state.seeded:
                        self._seed(partner, state)
                        state.seeded = True
        at = self._clock.now_ns() if at_ns is None else at_ns
        cutoff, ahead = self._clock.window_ns(at)
        snapshots: dict[str, list[tuple[tuple[str, str], _Entry]]] = {}
        with self._lock:
            for partner, state in states.items():
                _prune(state, cutoff)
                snapshots[partner] = [
                    (k, e)
                    for k, e in state.latest.items()
                    if e[1][_STATUS] != "deleted" and e[0][0] <= ahead
                ]
        for entries in snapshots.values():
            entries.sort(key=lambda item: item[0])
        return at, snapshots

    def _fused(
        self, entries: list[tuple[tuple[str, str], _Entry]], at_ns: int
    ) -> tuple[TrackRows, FusedTracks]:
        """The national rows and fusion of ``entries`` at ``at_ns``, computed once per inputs.

        The key is the exact input set: each track and the rank of its state, which names
        one stored row; equal keys mean equal inputs, whoever's map they come from.
        """
        signature = (at_ns, tuple((k, e[0]) for k, e in entries))
        with self._fuse_lock:
            hit = self._cache.get(signature)
            if hit is not None:
                self._cache.move_to_end(signature)
                return hit
            national = _track_rows([e[1] for _, e in entries])
            fused = (self._fuser or fuse)(national, at_ns, self._settings)
            result = (national, fused)
            self._cache[signature] = result
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
            return result

    def _seed(self, partner: str, state: _Partner) -> None:
        """Merge the partner's latest visible state of each track from the database.

        Deleted states are kept: a deleted latest state hides the older ones. Only the
        states of the current window are read; an older one could never be shown nor
        hide one that is.
        """
        columns = (*TRACK_COLUMNS, "message_pk", "pk")
        since, until = self._clock.window_ns(self._clock.now_ns())
        inner = ranked_states(partner, since, until, columns=columns)
        with self._engine.connect() as conn:
            # The row's place in its message, exact whether or not its keys are contiguous.
            earlier = track_states.alias("earlier")
            row_index = (
                sa.select(sa.func.count())
                .select_from(earlier)
                .where(earlier.c.message_pk == inner.c.message_pk, earlier.c.pk < inner.c.pk)
                .scalar_subquery()
            )
            rows = conn.execute(
                sa.select(*(inner.c[c] for c in columns[:-1]), row_index).where(inner.c.rank == 1)
            ).all()
            seeded = sa.select(inner.c.message_pk).where(inner.c.rank == 1)
            releases = _releases(conn, seeded)
        with self._lock:
            for row in rows:
                values = (*row[:10], bytes(row[10]), row[11])
                key = (str(row[_TRACKER]), str(row[_TRACK_ID]))
                entry_rank = (int(values[_TIME]), int(row[12]), int(row[13]))
                old = state.latest.get(key)
                if old is None or entry_rank > old[0]:
                    state.latest[key] = (entry_rank, values, releases[int(row[12])])
