"""Fused pictures at the nodes: each node's own tracks and those its partners release to it.

A node's picture is track-to-track fusion (:func:`tracklayer.fusion.timeline.fuse_timeline`:
association, then covariance intersection of the tracks of different owners) of

* its own tracker's tracks (a national node; the C2 node has none of its own to fuse:
  its ``joint`` tracker is the measurement-level answer), each state from its report
  time at the node on (:mod:`tracklayer.network.nodes`), and
* the national tracks of every partner whose ``sharing`` arrangements release ``tracks``
  to the node's owner (:func:`tracklayer.network.release.may_receive`, the picture
  service's rule), each state from its report time at the partner's node plus the
  arrangement's ``delay_s`` and the receiving node's processing.

Latency therefore only delays: a state enters the picture at the first refresh after
it has arrived, never changes on the way. The C2 node's picture is refreshed every
``interval_s`` (the raid's step), its rows known at their own time; a nation's picture
is refreshed with its own tracker's frames and reported when they are
(:func:`national_picture`).

Confirmation. At the C2 node a system track drawn from one owner alone stays tentative
for :data:`tracklayer.fusion.timeline.DEFAULT_CONFIRM_AFTER_S` (the shared picture's
rule). In a nation's own picture the national tracks arrive already confirmed by the
tracker that made them (its own or a partner's) and are taken as such, so a nation's
picture holds every threat its own tracker holds, at the same refresh: with its
partners' tracks it is never worse than alone.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tracklayer.frames import utc_timestamps
from tracklayer.fusion.timeline import DEFAULT_CONFIRM_AFTER_S, fuse_timeline
from tracklayer.metrics.tracking import tracking_metrics
from tracklayer.network.config import JOINT_NODE_OWNER, NetworkConfig
from tracklayer.network.delivery import seconds_since
from tracklayer.network.nodes import NODE_TRACKS_SCHEMA
from tracklayer.network.release import may_receive
from tracklayer.network.warning import launch_seconds, warning_table
from tracklayer.tracking.config import TrackingConfig
from tracklayer.vocabulary import TRACKS_SCHEMA

F64 = NDArray[np.float64]

__all__ = [
    "NATIONAL_WARNING_SCHEMA",
    "fused_picture",
    "national_picture",
    "national_pictures",
    "national_warning",
    "partners_of",
    "track_partners",
    "tracks_at_node",
]

#: Per nation and threat: warning time alone (its own tracker at its node) and in its
#: fused picture with its partners' tracks, s after launch; ``gain_s`` = alone - with.
NATIONAL_WARNING_SCHEMA = pa.schema(
    [
        ("nation", pa.string()),
        ("node", pa.string()),
        ("partners", pa.string()),
        ("object_id", pa.string()),
        ("warning_alone_s", pa.float64()),
        ("warning_s", pa.float64()),
        ("gain_s", pa.float64()),
    ]
)


def partners_of(config: NetworkConfig, receiver: str) -> list[str]:
    """Owners whose national tracks the arrangements release to ``receiver``'s node."""
    sources = {s.source for s in config.sharing} - {receiver}
    return sorted(o for o in sources if may_receive(config, o, "tracks", receiver))


def track_partners(config: NetworkConfig, receiver: str, owners: list[str]) -> dict[str, float]:
    """Owners whose national tracks reach ``receiver``'s node, with their added delay, s.

    The delay of a partner's state: the arrangement's ``delay_s`` plus the receiving
    node's processing (0 for the receiver's own tracks).

    Parameters
    ----------
    config
        The ``network`` section.
    receiver
        An owner code or ``joint`` (the C2 node).
    owners
        The national trackers present (owner codes).
    """
    node = config.node_of(receiver)
    if node is None:
        return {}
    out = {receiver: 0.0} if receiver in owners else {}
    for owner in owners:
        if owner != receiver and may_receive(config, owner, "tracks", receiver):
            share = config.shared(owner, receiver)
            assert share is not None  # released only through an arrangement
            out[owner] = share.delay_s + node.processing_s
    return out


def tracks_at_node(
    node_tracks: pa.Table, config: NetworkConfig, receiver: str, epoch: datetime
) -> pa.Table:
    """The national track states a node may fuse, with ``known_time`` (arrival there).

    Parameters
    ----------
    node_tracks
        The node trackers' rows (:data:`tracklayer.network.nodes.NODE_TRACKS_SCHEMA`).
    config
        The ``network`` section.
    receiver
        The receiving node's owner (owner code or ``joint``).
    epoch
        Scenario epoch (UTC).
    """
    owners = sorted(set(node_tracks["tracker"].to_pylist()) - {JOINT_NODE_OWNER})
    delay = track_partners(config, receiver, [str(o) for o in owners])
    chosen = pa.array(sorted(delay), pa.string())
    mine = node_tracks.filter(pc.is_in(node_tracks["tracker"], chosen))
    extra = np.array([delay[t] for t in mine["tracker"].to_pylist()], dtype=np.float64)
    known = seconds_since(mine["report_time"], epoch) + extra
    times = utc_timestamps(epoch, known) if mine.num_rows else pa.array([], _TIMESTAMP)
    return mine.append_column("known_time", times)


_TIMESTAMP = pa.timestamp("ns", tz="UTC")


def fused_picture(
    node_tracks: pa.Table,
    config: NetworkConfig,
    receiver: str,
    epoch: datetime,
    interval_s: float,
) -> pa.Table:
    """The C2 node's fused picture (module notes), tracker ``fused``, refreshed on the
    ``interval_s`` grid from what had arrived.

    Returns
    -------
    pyarrow.Table
        Rows in the ``tracks`` schema; empty when nothing reaches the node.
    """
    inputs = tracks_at_node(node_tracks, config, receiver, epoch)
    if inputs.num_rows == 0:
        return TRACKS_SCHEMA.empty_table()
    return fuse_timeline(
        inputs,
        epoch,
        interval_s=interval_s,
        confirm_after_s=DEFAULT_CONFIRM_AFTER_S,
        known_column="known_time",
    )


def national_picture(
    node_tracks: pa.Table,
    config: NetworkConfig,
    owner: str,
    epoch: datetime,
    interval_s: float,
) -> pa.Table:
    """One nation's fused picture of its own and its partners' tracks (module notes).

    The picture is refreshed with the nation's own tracker: its frame at grid time ``f``
    is reported when the own frame is, ``R(f) = max(f, report times of the own states
    at or before f)``, and fuses every state made by ``f`` (at or before it) that had
    arrived by ``R(f)``. Its own states therefore enter exactly when they are known alone;
    a partner's state at the first such frame after its arrival.

    Returns
    -------
    pyarrow.Table
        :data:`tracklayer.network.nodes.NODE_TRACKS_SCHEMA` rows, tracker ``fused``,
        ``report_time`` = ``R(time)``, without ``node`` filled (the caller names it).
    """
    inputs = tracks_at_node(node_tracks, config, owner, epoch)
    if inputs.num_rows == 0:
        return TRACKS_SCHEMA.empty_table().append_column("report_time", pa.array([], _TIMESTAMP))
    own = inputs.filter(pc.equal(inputs["tracker"], owner))
    clock = _OwnFrameClock(
        seconds_since(own["time"], epoch), seconds_since(own["report_time"], epoch), interval_s
    )
    t = seconds_since(inputs["time"], epoch)
    frame = clock.first_frame(t, seconds_since(inputs["known_time"], epoch))
    inputs = inputs.set_column(
        inputs.schema.get_field_index("known_time"), "known_time", utc_timestamps(epoch, frame)
    )
    picture = fuse_timeline(
        inputs, epoch, interval_s=interval_s, confirm_after_s=0.0, known_column="known_time"
    )
    report = clock.report_s(seconds_since(picture["time"], epoch))
    stamps = utc_timestamps(epoch, report) if picture.num_rows else pa.array([], _TIMESTAMP)
    return picture.append_column("report_time", stamps)


class _OwnFrameClock:
    """When a nation reports each frame of its picture: with its own tracker's frames.

    Parameters
    ----------
    own_time_s, own_report_s : (R,)
        Times and report times of the nation's own track states, s.
    interval_s
        The picture's refresh (frames at whole multiples of it since the epoch), s.
    """

    def __init__(self, own_time_s: F64, own_report_s: F64, interval_s: float) -> None:
        order = np.argsort(own_time_s, kind="stable")
        self._time = own_time_s[order]
        self._latest = np.maximum.accumulate(own_report_s[order]) if order.size else order
        self._interval = interval_s

    def report_s(self, frame_s: F64) -> F64:
        """``R(f)``: when frame ``f``'s picture is reported, s (non-decreasing in f)."""
        before = np.searchsorted(self._time, frame_s + 1e-9, side="right") - 1
        latest = self._latest[np.maximum(before, 0)] if self._time.size else frame_s
        return np.asarray(np.where(before >= 0, np.maximum(frame_s, latest), frame_s))

    def first_frame(self, time_s: F64, known_s: F64) -> F64:
        """The first frame at or after each state's time whose report follows its arrival."""
        step = self._interval
        first = np.ceil(time_s / step - 1e-9)
        last = np.ceil(max(float(known_s.max()), float(time_s.max())) / step) + 1
        frames = np.arange(float(first.min()), last + 1) * step
        reported = self.report_s(frames)
        arrived = np.searchsorted(reported, known_s - 1e-9, side="left")
        index = np.maximum(first - first.min(), arrived)
        return np.asarray(frames[np.minimum(index, frames.size - 1).astype(np.int64)])


def national_pictures(
    node_tracks: pa.Table,
    config: NetworkConfig,
    epoch: datetime,
    interval_s: float,
    cut_off: frozenset[str] = frozenset(),
) -> pa.Table:
    """Every national node's fused picture of its own and its partners' tracks.

    Returns
    -------
    pyarrow.Table
        :data:`tracklayer.network.nodes.NODE_TRACKS_SCHEMA` with tracker ``fused`` and
        ``node`` the nation's node (:func:`national_picture`); only nations that receive
        some partner's tracks (alone, the picture is the nation's own tracker).
    """
    parts = []
    for node in config.nodes:
        if node.owner == JOINT_NODE_OWNER or node.owner in cut_off:
            continue
        if not partners_of(config, node.owner):
            continue
        picture = national_picture(node_tracks, config, node.owner, epoch, interval_s)
        if picture.num_rows:
            names = pa.array([node.name] * picture.num_rows, pa.string())
            parts.append(picture.add_column(picture.num_columns - 1, "node", names))
    return pa.concat_tables(parts) if parts else NODE_TRACKS_SCHEMA.empty_table()


def national_warning(
    pictures: pa.Table,
    warning: pa.Table,
    truth: pa.Table,
    config: NetworkConfig,
    tracking: TrackingConfig,
    epoch: datetime,
) -> pa.Table:
    """Per national node and threat: warning alone and with its partners' tracks.

    The picture's warning time is that of :func:`tracklayer.network.warning.warning_table`
    on the node's fused picture (its first confirmed system track matched to the threat,
    scored by :func:`tracklayer.metrics.tracking.tracking_metrics`; the picture's rows are
    known at their own time). A nation that receives no partner's tracks has its own
    tracker's warning on both sides.

    Parameters
    ----------
    pictures
        :func:`national_pictures`' rows.
    warning
        The ``warning`` table (per threat and node tracker).
    truth
        The ``truth`` table.
    config, tracking
        The ``network`` and ``tracking`` sections.
    epoch
        Scenario epoch (UTC).

    Returns
    -------
    pyarrow.Table
        :data:`NATIONAL_WARNING_SCHEMA`, one row per national node (that warned of
        something or has partners) and threat.
    """
    alone = {(r["object_id"], r["tracker"]): r["warning_s"] for r in warning.to_pylist()}
    threats = launch_seconds(truth, epoch)["object_id"].to_pylist()
    rows = []
    for node in sorted(config.nodes, key=lambda n: n.owner):
        owner = node.owner
        if owner == JOINT_NODE_OWNER or owner not in {t for _, t in alone}:
            continue
        partners = partners_of(config, owner)
        mine = pictures.filter(pc.equal(pictures["node"], node.name))
        with_partners = _picture_warning(mine, owner, node.name, truth, tracking, epoch)
        for threat in threats:
            before = alone.get((threat, owner))
            after = with_partners.get(threat) if partners else before
            gain = None if before is None or after is None else before - after
            rows.append(
                {"nation": owner, "node": node.name, "partners": ",".join(partners),
                 "object_id": threat, "warning_alone_s": before, "warning_s": after,
                 "gain_s": gain}
            )  # fmt: skip
    return pa.Table.from_pylist(rows, schema=NATIONAL_WARNING_SCHEMA)


def _picture_warning(
    picture: pa.Table,
    owner: str,
    node: str,
    truth: pa.Table,
    tracking: TrackingConfig,
    epoch: datetime,
) -> dict[str, float | None]:
    """Warning time of each threat in one node's fused picture, s after launch."""
    if picture.num_rows == 0:
        return {}
    named = picture.set_column(
        picture.schema.get_field_index("tracker"),
        "tracker",
        pa.array([owner] * picture.num_rows, pa.string()),
    )
    metrics, _ = tracking_metrics(truth, named.select(TRACKS_SCHEMA.names), None, tracking)
    table = warning_table(metrics, truth, named, epoch, {owner: node})
    return {r["object_id"]: r["warning_s"] for r in table.to_pylist()}
