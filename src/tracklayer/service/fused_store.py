"""Stored system tracks: each partner's fused tracks, recorded with their inputs' release.

The fused picture is computed per partner, from the national states that partner may see
(:mod:`tracklayer.service.picture`), so two partners may hold different system tracks of
one threat. They are stored the same way: every ``interval_s`` (on the server clock,
at whole multiples of it) :class:`FusedRecorder` takes each active partner's national
tracks from the live picture, fuses them and stores the system tracks as that partner's
(``audience``), with

- ``sources``: the national tracks fused, ``tracker/track_id`` separated by spaces;
- ``release_all`` and ``releasable_to``: who may see every one of those inputs (the
  intersection of their releases; the audience always may), for the record and for any
  later sharing.

The server only takes the snapshot. When the service runs its children (as ``serve``
does), the fusion child fuses it into rows (:func:`fused_rows_at`,
:mod:`tracklayer.service.fusion_process`) and the ingest writer child inserts them
(:meth:`~tracklayer.service.writer.WriterProcess.insert_fused`), between two of its group
commits: neither the fusion nor the SQL holds the server's interpreter lock while the
stream delivers, and on SQLite the ingest writer never waits for another process's write
lock (the busy handler's sleeps). Partners whose inputs are identical are fused once.

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
from sqlalchemy.engine import Engine

from tracklayer.fusion.releasability import Release
from tracklayer.service.clock import PictureClock
from tracklayer.service.db import fused_states, partners, write_transaction
from tracklayer.service.picture import (
    FusionSettings,
    PictureView,
    TrackRows,
    fetch_limited,
    fuse,
    in_time_range,
    track_history,
)
from tracklayer.vocabulary import FUSED

__all__ = [
    "FUSED",
    "FusedRecorder",
    "NationalReleases",
    "Store",
    "fuse_inputs",
    "fused_history",
    "fused_rows",
    "fused_rows_at",
    "history_with_fused",
    "inputs_release",
    "insert_fused",
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
#: A partner's national tracks (its picture's inputs) and the release of each one's state.
NationalReleases = tuple[TrackRows, Mapping[tuple[str, str], Release]]
#: ``inputs(partners, at_ns)``: each partner's national tracks at ``at_ns``
#: (``LivePicture.national_with_releases``).
Inputs = Callable[[Sequence[str], int], Mapping[str, NationalReleases]]
#: ``store(inputs, at_ns)``: fuse and store each partner's system tracks; the rows stored.
Store = Callable[[Mapping[str, NationalReleases], int], int]


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


def fused_rows(
    pictures: Mapping[str, tuple[PictureView, Mapping[Any, Release]]],
) -> list[tuple[Any, ...]]:
    """The ``fused_states`` rows of each partner's system tracks, by partner, in the
    column order of :func:`insert_fused`."""
    return [row for p, (view, rel) in sorted(pictures.items()) for row in _rows(p, view, rel)]


def insert_fused(engine: Engine, rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert ``fused_states`` rows (:func:`fused_rows`) in one transaction; the rows
    inserted (a row another worker stored first is skipped)."""
    if not rows:
        return 0
    marks = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {fused_states.name} ({', '.join(_COLUMNS)})"
        f" VALUES ({', '.join([marks] * len(_COLUMNS))})"
        " ON CONFLICT (audience, track_id, time_ns) DO NOTHING"
    )
    with write_transaction(engine) as conn:
        # One statement executed for every row by the driver: no per-row SQL compilation.
        result = conn.exec_driver_sql(sql, list(rows))
        return int(result.rowcount)


def fuse_inputs(
    inputs: Mapping[str, NationalReleases], at_ns: int, settings: FusionSettings
) -> dict[str, tuple[PictureView, Mapping[tuple[str, str], Release]]]:
    """Each partner's picture at ``at_ns`` from its national tracks; one fusion per
    distinct :class:`TrackRows` object (partners with identical inputs share one)."""
    fused_of: dict[int, Any] = {}
    out = {}
    for partner, (national, releases) in inputs.items():
        fused = fused_of.get(id(national))
        if fused is None:
            fused = fused_of[id(national)] = fuse(national, at_ns, settings)
        out[partner] = (PictureView(partner, at_ns, national, fused), releases)
    return out


def fused_rows_at(
    inputs: Mapping[str, NationalReleases], at_ns: int, settings: FusionSettings
) -> list[tuple[Any, ...]]:
    """The ``fused_states`` rows of each partner's system tracks at ``at_ns``, fused from
    its national tracks (:func:`fuse_inputs`, :func:`fused_rows`)."""
    return fused_rows(fuse_inputs(inputs, at_ns, settings))


def fused_history(
    engine: Engine,
    partner: str,
    start_ns: int | None = None,
    end_ns: int | None = None,
    track_id: str | None = None,
    limit: int = 10_000,
) -> tuple[TrackRows, bool]:
    """The partner's stored system tracks in ``[start_ns, end_ns]``, oldest first, as
    ``tracker = "fused"`` rows; and whether more than ``limit`` matched."""
    t = fused_states
    query = sa.select(
        sa.literal(FUSED).label("tracker"),
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
    stored system tracks (``tracker="fused"``), oldest first; whether more matched.

    ``tracker="fused"`` selects the system tracks alone, another tracker its national
    states alone.
    """
    if tracker == FUSED:
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
        The picture database (read for the active partners).
    inputs : callable
        ``inputs(partners, at_ns)``: each partner's national tracks at ``at_ns`` and the
        release of each (``LivePicture.national_with_releases``).
    store : callable
        ``store(inputs, at_ns)``: fuses and stores them, returns the rows stored
        (:func:`fused_rows_at` then :func:`insert_fused`, each in a child process when the
        service runs them; see ``state._fused_store``).
    clock : PictureClock
    interval_s : float
        Recording interval, s; ticks fall on whole multiples of it (UTC).
    """

    def __init__(
        self,
        engine: Engine,
        inputs: Inputs,
        store: Store,
        clock: PictureClock,
        interval_s: float = 1.0,
    ) -> None:
        self._engine = engine
        self._inputs = inputs
        self._store = store
        self._clock = clock
        self._interval_ns = round(interval_s * 1e9)
        self._task: asyncio.Task[None] | None = None

    def record_once(self, at_ns: int) -> int:
        """Record the pictures at ``at_ns`` (blocking); the rows stored."""
        codes = _active_partners(self._engine)
        return self._store(self._inputs(codes, at_ns), at_ns) if codes else 0

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
            await asyncio.sleep(self._clock.wall_s(tick - now))
            try:
                await anyio.to_thread.run_sync(self.record_once, tick)
            except Exception:
                log.exception("recording the fused tracks failed")
