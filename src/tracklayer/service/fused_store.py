"""Stored system tracks: each partner's fused tracks, recorded with their inputs' release.

The fused picture is computed per partner, from the national states that partner may see
(:mod:`tracklayer.service.picture`), so two partners may hold different system tracks of
one threat. They are stored the same way: every ``interval_s`` (on the server clock,
at whole multiples of it) :class:`FusedRecorder` takes each active partner's live
picture and stores its system tracks as that partner's (``audience``), with

- ``sources``: the national tracks fused, ``tracker/track_id`` separated by spaces;
- ``release_all`` and ``releasable_to``: who may see every one of those inputs (the
  intersection of their releases; the audience always may), for the record and for any
  later sharing.

A partner reads back only its own rows (history, one track, Parquet export), so nothing
released to one partner reaches another through a stored fused track. Several worker
processes record the same ticks; the first stores them and the others' inserts are
ignored (unique ``audience, track_id, time_ns``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio
import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from tracklayer.fusion.releasability import Release
from tracklayer.service.clock import PictureClock
from tracklayer.service.db import fused_states, partners, write_transaction
from tracklayer.service.picture import (
    PictureView,
    TrackRows,
    fetch_limited,
    in_time_range,
    track_history,
)
from tracklayer.vocabulary import JOINT

__all__ = [
    "JOINT",
    "FusedRecorder",
    "fused_history",
    "history_with_fused",
    "inputs_release",
    "record_fused",
]

log = logging.getLogger("tracklayer.service.fused_store")

_STATE = ("x", "y", "z", "vx", "vy", "vz")
_COLUMNS = (
    "audience",
    "track_id",
    "time_ns",
    *_STATE,
    "cov",
    "status",
    "sources",
    "release_all",
    "releasable_to",
)
_CHUNK = 500
#: Pictures of these partners are recorded: ``pictures(partners, at_ns)``.
Pictures = Callable[[Sequence[str], int], Mapping[str, tuple[PictureView, Mapping[Any, Release]]]]


def inputs_release(releases: Sequence[Release]) -> tuple[bool, frozenset[str]]:
    """``(everyone, partners)``: who may see every one of ``releases``' records.

    Everyone when each input is released to all; otherwise the partners (owners or named)
    common to every input not released to all.
    """
    named = [r for r in releases if not r.everyone]
    if not named:
        return True, frozenset()
    return False, frozenset.intersection(*(r.to | {r.owner} for r in named))


def _rows(
    audience: str, view: PictureView, releases: Mapping[tuple[str, str], Release]
) -> list[tuple[Any, ...]]:
    fused = view.fused
    cov = np.ascontiguousarray(fused.cov, dtype="<f8").reshape(-1, 288 // 8)
    out = []
    for i, track_id in enumerate(fused.track_id):
        everyone, named = inputs_release([releases[src] for src in fused.sources[i]])
        out.append(
            (
                audience,
                track_id,
                fused.time_ns,
                *(float(v) for v in fused.state[i]),
                cov[i].tobytes(),
                fused.status[i],
                " ".join(f"{t}/{k}" for t, k in fused.sources[i]),
                everyone,
                ",".join(sorted(named)),
            )
        )
    return out


def record_fused(
    engine: Engine, pictures: Mapping[str, tuple[PictureView, Mapping[Any, Release]]]
) -> int:
    """Store each partner's system tracks (see the module doc); the rows stored."""
    rows = [row for p, (view, rel) in sorted(pictures.items()) for row in _rows(p, view, rel)]
    if not rows:
        return 0
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(fused_states).on_conflict_do_nothing(
        index_elements=["audience", "track_id", "time_ns"]
    )
    values = [dict(zip(_COLUMNS, r, strict=True)) for r in rows]
    stored = 0
    with write_transaction(engine) as conn:
        # Multi-row statements of at most _CHUNK rows (SQLite allows 32,766 parameters).
        for start in range(0, len(values), _CHUNK):
            chunk = insert.values(values[start : start + _CHUNK]).returning(fused_states.c.pk)
            stored += len(conn.execute(chunk).all())
    return stored


def fused_history(
    engine: Engine,
    partner: str,
    start_ns: int | None = None,
    end_ns: int | None = None,
    track_id: str | None = None,
    limit: int = 10_000,
) -> tuple[TrackRows, bool]:
    """The partner's stored system tracks in ``[start_ns, end_ns]``, oldest first, as
    ``tracker = "joint"`` rows; and whether more than ``limit`` matched."""
    t = fused_states
    query = sa.select(
        sa.literal(JOINT).label("tracker"),
        t.c.track_id,
        t.c.time_ns,
        *(t.c[c] for c in _STATE),
        t.c.cov,
        t.c.status,
    ).where(t.c.audience == partner)
    query = in_time_range(query, t.c.time_ns, start_ns, end_ns)
    if track_id is not None:
        query = query.where(t.c.track_id == track_id)
    rows, more = fetch_limited(engine, query.order_by(t.c.time_ns, t.c.pk), limit)
    return TrackRows.from_rows(rows), more


def _concat(a: TrackRows, b: TrackRows) -> TrackRows:
    """The rows of both, by time (stable: ``a``'s first at equal times)."""
    order = np.argsort(np.concatenate([a.time_ns, b.time_ns]), kind="stable")
    return TrackRows(
        tracker=np.concatenate([a.tracker, b.tracker])[order],
        track_id=np.concatenate([a.track_id, b.track_id])[order],
        time_ns=np.concatenate([a.time_ns, b.time_ns])[order],
        state=np.concatenate([a.state, b.state])[order],
        cov=np.concatenate([a.cov, b.cov])[order],
        status=np.concatenate([a.status, b.status])[order],
    )


def history_with_fused(
    engine: Engine,
    partner: str,
    start_ns: int | None = None,
    end_ns: int | None = None,
    tracker: str | None = None,
    track_id: str | None = None,
    limit: int = 10_000,
) -> tuple[TrackRows, bool]:
    """The partner's history: national states (:func:`~.picture.track_history`) and its
    stored system tracks (``tracker="joint"``), oldest first; whether more matched.

    ``tracker="joint"`` selects the system tracks alone, another tracker its national
    states alone.
    """
    if tracker == JOINT:
        return fused_history(engine, partner, start_ns, end_ns, track_id, limit)
    national, more = track_history(engine, partner, start_ns, end_ns, tracker, track_id, limit)
    if tracker is not None:
        return national, more
    fused, more_fused = fused_history(engine, partner, start_ns, end_ns, None, limit)
    both = _concat(national, fused)
    if len(both) <= limit:
        return both, more or more_fused
    # Everything up to the limit is here: each part has its first ``limit`` rows.
    keep = np.arange(limit)
    return TrackRows(
        both.tracker[keep],
        both.track_id[keep],
        both.time_ns[keep],
        both.state[keep],
        both.cov[keep],
        both.status[keep],
    ), True


def _active_partners(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        query = sa.select(partners.c.code).where(partners.c.revoked_ns.is_(None))
        return sorted(str(r[0]) for r in conn.execute(query))


class FusedRecorder:
    """Records every active partner's system tracks each ``interval_s`` (0: never).

    Parameters
    ----------
    engine : Engine
    pictures : callable
        ``pictures(partners, at_ns)``: each partner's picture at ``at_ns`` and the release
        of each of its national tracks (``LivePicture.pictures_with_releases``).
    clock : PictureClock
    interval_s : float
        Recording interval, s; ticks fall on whole multiples of it (UTC).
    """

    def __init__(
        self, engine: Engine, pictures: Pictures, clock: PictureClock, interval_s: float = 1.0
    ) -> None:
        self._engine = engine
        self._pictures = pictures
        self._clock = clock
        self._interval_ns = round(interval_s * 1e9)
        self._task: asyncio.Task[None] | None = None

    def record_once(self, at_ns: int) -> int:
        """Record the pictures at ``at_ns`` (blocking); the rows stored."""
        codes = _active_partners(self._engine)
        return record_fused(self._engine, self._pictures(codes, at_ns)) if codes else 0

    async def start(self) -> None:
        """Start recording on the running event loop."""
        if self._interval_ns > 0 and self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop recording."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        step = self._interval_ns
        while True:
            now = self._clock.now_ns()
            tick = (now // step + 1) * step
            await asyncio.sleep((tick - now) * 1e-9)
            try:
                await anyio.to_thread.run_sync(self.record_once, tick)
            except Exception:
                log.exception("recording the fused tracks failed")
