"""Reading the picture as one partner may see it: national tracks, history, fused tracks.

Every query here filters by releasability in SQL before anything else happens, and the
fusion runs on that filtered set alone, so a partner's picture (national and fused) is a
function of the records released to it and of nothing else. The rule is the one stated
in :mod:`tracklayer.fusion.releasability`: the owner, the named partners, or everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from tracklayer.fusion.t2t import (
    DEFAULT_GATE_PROBABILITY,
    DEFAULT_Q_M2_S3,
    Criterion,
    TrackBatch,
    fuse_tracks,
)
from tracklayer.service.clock import PictureClock
from tracklayer.service.db import (
    detections,
    message_releases,
    messages,
    track_releases,
    track_states,
)
from tracklayer.service.ingest import ns_to_iso, ns_to_iso_many
from tracklayer.vocabulary import FUSED

__all__ = [
    "FusedTracks",
    "FusionSettings",
    "PictureView",
    "TrackRows",
    "build_picture",
    "current_states",
    "detection_history",
    "fetch_limited",
    "history_query",
    "in_time_range",
    "track_history",
    "visible_to",
]

_STATE = ("x", "y", "z", "vx", "vy", "vz")
_STATUS_RANK = {"confirmed": 0, "tentative": 1, "coasting": 2}
_DET_COLUMNS = (
    "det_id",
    "sensor_id",
    "sensor_kind",
    "owner",
    "time_ns",
    "los_x",
    "los_y",
    "los_z",
    "sensor_x",
    "sensor_y",
    "sensor_z",
    "sigma_rad",
    "snr",
    "range_m",
    "sigma_range_m",
)


@dataclass(frozen=True)
class FusionSettings:
    """Parameters of the picture's track-to-track fusion (see :func:`fuse_tracks`)."""

    gate_probability: float = DEFAULT_GATE_PROBABILITY
    criterion: Criterion = "trace"
    q_m2_s3: float = DEFAULT_Q_M2_S3


@dataclass(frozen=True)
class TrackRows:
    """Track states, column-wise.

    Attributes
    ----------
    tracker, track_id, status : ndarray of object, shape (K,)
    time_ns : ndarray of int64, shape (K,)
        UTC, nanoseconds since the Unix epoch.
    state : ndarray, shape (K, 6)
        ECEF position (m) and velocity (m/s).
    cov : ndarray, shape (K, 6, 6)
    """

    tracker: NDArray[np.object_]
    track_id: NDArray[np.object_]
    time_ns: NDArray[np.int64]
    state: NDArray[np.float64]
    cov: NDArray[np.float64]
    status: NDArray[np.object_]

    def __len__(self) -> int:
        return int(self.time_ns.shape[0])

    @classmethod
    def from_rows(cls, rows: list[Any]) -> TrackRows:
        """From query rows ``(tracker, track_id, time_ns, x..vz, cov bytes, status)``."""
        n = len(rows)
        cov = np.frombuffer(b"".join(r[9] for r in rows), dtype="<f8").reshape(n, 6, 6)
        return cls(
            tracker=np.array([r[0] for r in rows], dtype=object),
            track_id=np.array([r[1] for r in rows], dtype=object),
            time_ns=np.array([r[2] for r in rows], dtype=np.int64),
            state=np.array([r[3:9] for r in rows], dtype=np.float64).reshape(n, 6),
            cov=cov.astype(np.float64),
            status=np.array([r[10] for r in rows], dtype=object),
        )

    def records(self) -> list[dict[str, Any]]:
        """JSON-ready dicts, one per state, in the ``tracks`` table's field names."""
        state = self.state.tolist()
        cov = self.cov.reshape(-1, 36).tolist()
        times = ns_to_iso_many(self.time_ns)
        return [
            {
                "track_id": self.track_id[i],
                "tracker": self.tracker[i],
                "time": times[i],
                **dict(zip(_STATE, state[i], strict=True)),
                "cov": cov[i],
                "status": self.status[i],
            }
            for i in range(len(self))
        ]


@dataclass(frozen=True)
class FusedTracks:
    """System tracks of a picture, at one epoch.

    ``sources[i]`` lists the ``(tracker, track_id)`` of the national tracks fused into
    system track ``i``; ``track_id[i]`` is ``J-<tracker>-<track_id>`` of the first of them.
    """

    time_ns: int
    track_id: list[str]
    state: NDArray[np.float64]
    cov: NDArray[np.float64]
    status: list[str]
    sources: list[list[tuple[str, str]]]

    def __len__(self) -> int:
        return len(self.track_id)

    def records(self) -> list[dict[str, Any]]:
        """JSON-ready dicts, one per system track (``tracker`` is ``fused``)."""
        state = self.state.tolist()
        cov = self.cov.reshape(-1, 36).tolist()
        time = ns_to_iso(self.time_ns)
        return [
            {
                "track_id": self.track_id[i],
                "tracker": FUSED,
                "time": time,
                **dict(zip(_STATE, state[i], strict=True)),
                "cov": cov[i],
                "status": self.status[i],
                "sources": [{"tracker": t, "track_id": k} for t, k in self.sources[i]],
            }
            for i in range(len(self))
        ]


@dataclass(frozen=True)
class PictureView:
    """The picture as one partner may see it at ``time_ns`` (UTC ns since the Unix epoch)."""

    partner: str
    time_ns: int
    national: TrackRows
    fused: FusedTracks


def visible_to(partner: str) -> ColumnElement[bool]:
    """SQL condition on ``messages``: the partner may see the message's records."""
    released = sa.exists().where(
        message_releases.c.message_pk == messages.c.pk,
        message_releases.c.partner == partner,
    )
    return sa.or_(messages.c.owner == partner, messages.c.release_all.is_(True), released)


def _state_columns(table: Any) -> list[Any]:
    return [
        table.c.tracker,
        table.c.track_id,
        table.c.time_ns,
        *(table.c[c] for c in _STATE),
        table.c.cov,
        table.c.status,
    ]


_JOIN = track_states.join(messages, track_states.c.message_pk == messages.c.pk)


def ranked_states(
    partner: str, since_ns: int, until_ns: int | None = None, columns: tuple[str, ...] = ()
) -> Subquery:
    """The partner's visible track states timed in ``[since_ns, until_ns]``, each with its
    ``rank`` among its track's states there (1: the latest, by time then primary key).

    ``columns`` names the ``track_states`` columns selected (default: the picture's
    state columns, tracker to status); the subquery also has ``rank``.
    """
    rank = (
        sa.func.row_number()
        .over(
            partition_by=(track_states.c.tracker, track_states.c.track_id),
            order_by=(track_states.c.time_ns.desc(), track_states.c.pk.desc()),
        )
        .label("rank")
    )
    selected = [track_states.c[c] for c in columns] if columns else _state_columns(track_states)
    query = (
        sa.select(*selected, rank)
        .select_from(_JOIN)
        .where(visible_to(partner), track_states.c.time_ns >= since_ns)
    )
    if until_ns is not None:
        query = query.where(track_states.c.time_ns <= until_ns)
    return query.subquery()


def current_states(engine: Engine, partner: str, since_ns: int, until_ns: int) -> TrackRows:
    """Each visible track's latest state timed in ``[since_ns, until_ns]``, unless deleted.

    A track's current state is chosen among its own states alone (latest time, then
    latest stored), so no other track's state, whatever its time, can hide it or make it
    stale (see :mod:`tracklayer.service.clock` for the window).

    Parameters
    ----------
    engine : Engine
    partner : str
        The reader.
    since_ns, until_ns : int
        The window of current state times, UTC ns since the Unix epoch, both included.

    Returns
    -------
    TrackRows
        One state per track, ordered by tracker then track id.
    """
    inner = ranked_states(partner, since_ns, until_ns)
    query = (
        sa.select(*_state_columns(inner))
        .where(inner.c.rank == 1, inner.c.status != "deleted")
        .order_by(inner.c.tracker, inner.c.track_id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return TrackRows.from_rows(list(rows))


def _release_gate(partner: str, tracker: str, track_id: str) -> Subquery:
    """One row if the partner may see some state of the track, none otherwise.

    Two lookups of a whole ``track_releases`` primary key, whatever the track (an ``IN``
    list would skip its second probe when no key has the track's prefix: a difference
    between unknown and hidden). Joined first (:func:`history_query`), it drives the
    query: when it is empty, no state of the track is read at all, so a hidden track and
    an unknown one cost the same.
    """

    def granted(to: str) -> ColumnElement[bool]:
        return sa.exists().where(
            track_releases.c.tracker == tracker,
            track_releases.c.track_id == track_id,
            track_releases.c.partner == to,
        )

    return (
        sa.select(sa.literal(1).label("released"))
        .where(sa.or_(granted(partner), granted("*")))
        .subquery("gate")
    )


def in_time_range(
    query: sa.Select[Any], column: Any, start_ns: int | None, end_ns: int | None
) -> sa.Select[Any]:
    """``query`` restricted to ``start_ns <= column <= end_ns`` (each bound optional)."""
    if start_ns is not None:
        query = query.where(column >= start_ns)
    if end_ns is not None:
        query = query.where(column <= end_ns)
    return query


def fetch_limited(engine: Engine, query: sa.Select[Any], limit: int) -> tuple[list[Any], bool]:
    """The first ``limit`` rows of ``query``, and whether there were more."""
    with engine.connect() as conn:
        rows = list(conn.execute(query.limit(limit + 1)).all())
    return rows[:limit], len(rows) > limit


def history_query(
    partner: str,
    start_ns: int | None = None,
    end_ns: int | None = None,
    tracker: str | None = None,
    track_id: str | None = None,
    limit: int = 10_000,
) -> sa.Select[Any]:
    """The query of :func:`track_history` (at most ``limit + 1`` rows).

    A read of one track (``tracker`` and ``track_id`` given) of another partner first
    checks, in the same query, that the track is released to the reader at all
    (:func:`_release_gate`, joined first), so that asking for a hidden track costs what
    asking for an unknown one does: the check fails before any of the hidden track's
    states is read.
    """
    source: Any = _JOIN
    if tracker is not None and track_id is not None and tracker != partner:
        source = _release_gate(partner, tracker, track_id).join(_JOIN, sa.true())
    query = sa.select(*_state_columns(track_states)).select_from(source).where(visible_to(partner))
    query = in_time_range(query, track_states.c.time_ns, start_ns, end_ns)
    if tracker is not None:
        query = query.where(track_states.c.tracker == tracker)
    if track_id is not None:
        query = query.where(track_states.c.track_id == track_id)
    return query.order_by(track_states.c.time_ns, track_states.c.pk).limit(limit + 1)


def track_history(
    engine: Engine,
    partner: str,
    start_ns: int | None = None,
    end_ns: int | None = None,
    tracker: str | None = None,
    track_id: str | None = None,
    limit: int = 10_000,
) -> tuple[TrackRows, bool]:
    """Visible track states with ``start_ns <= time <= end_ns``, oldest first.

    Returns the states (at most ``limit``) and whether more matched (see
    :func:`history_query`).
    """
    query = history_query(partner, start_ns, end_ns, tracker, track_id, limit)
    rows, more = fetch_limited(engine, query, limit)
    return TrackRows.from_rows(rows), more


def detection_history(
    engine: Engine,
    partner: str,
    start_ns: int | None = None,
    end_ns: int | None = None,
    limit: int = 10_000,
) -> tuple[list[dict[str, Any]], bool]:
    """Visible detections with ``start_ns <= time <= end_ns``, oldest first, as JSON dicts."""
    join = detections.join(messages, detections.c.message_pk == messages.c.pk)
    query = (
        sa.select(*(detections.c[c] for c in _DET_COLUMNS))
        .select_from(join)
        .where(visible_to(partner))
    )
    query = in_time_range(query, detections.c.time_ns, start_ns, end_ns)
    rows, more = fetch_limited(engine, query.order_by(detections.c.time_ns, detections.c.pk), limit)
    out = []
    for row in rows:
        rec = dict(zip(_DET_COLUMNS, row, strict=True))
        rec["time"] = ns_to_iso(rec.pop("time_ns"))
        out.append(rec)
    return out, more


def fuse(national: TrackRows, at_ns: int, settings: FusionSettings) -> FusedTracks:
    """System tracks at ``at_ns`` from national states (see :func:`fuse_tracks`)."""
    if len(national) == 0:
        return FusedTracks(at_ns, [], np.zeros((0, 6)), np.zeros((0, 6, 6)), [], [])
    batch = TrackBatch(
        owner=national.tracker.astype(str),
        track_id=national.track_id.astype(str),
        time_s=(national.time_ns - at_ns).astype(np.float64) * 1e-9,
        state=national.state,
        cov=national.cov,
    )
    system = fuse_tracks(
        batch,
        time_s=0.0,
        gate_probability=settings.gate_probability,
        criterion=settings.criterion,
        q_m2_s3=settings.q_m2_s3,
    )
    ids: list[str] = []
    status: list[str] = []
    sources: list[list[tuple[str, str]]] = []
    for rows in system.members:
        refs = [(str(national.tracker[r]), str(national.track_id[r])) for r in rows]
        ids.append(f"J-{refs[0][0]}-{refs[0][1]}")
        status.append(min((str(national.status[r]) for r in rows), key=_STATUS_RANK.__getitem__))
        sources.append(refs)
    return FusedTracks(at_ns, ids, system.state, system.cov, status, sources)


def build_picture(
    engine: Engine,
    partner: str,
    clock: PictureClock,
    at_ns: int | None = None,
    max_age_s: float | None = None,
    settings: FusionSettings | None = None,
) -> PictureView:
    """The picture the partner may see at ``at_ns``: its current national tracks and their
    fusion at that time (see :mod:`tracklayer.service.clock` for which states are current).

    Parameters
    ----------
    engine : Engine
    partner : str
        The reader.
    clock : PictureClock
        The server clock and the picture's time window.
    at_ns : int, optional
        The picture's time, UTC ns since the Unix epoch (default: the server clock's now).
    max_age_s : float, optional
        Age after which a track leaves the picture, s (default: the clock's).
    settings : FusionSettings, optional
    """
    at = clock.now_ns() if at_ns is None else at_ns
    national = current_states(engine, partner, *clock.window_ns(at, max_age_s))
    fused = fuse(national, at, settings or FusionSettings())
    return PictureView(partner=partner, time_ns=at, national=national, fused=fused)
