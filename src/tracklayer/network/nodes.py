"""Trackers where they live: each owner's at its national node, the joint one at the C2 node.

Out-of-sequence arrivals are handled by **fixed-lag reprocessing** around the unchanged
batch tracker (:class:`tracklayer.tracking.tracker.BatchTracker`):

* a node keeps a window of ``lag_s`` seconds; a detection arriving more than ``lag_s``
  after it was made is dropped at that node (too late to reprocess);
* whenever a detection arrives, the node re-runs its tracker over the window in time
  order, so its tracks are exactly the tracker's output on the detections it received,
  processed in measurement-time order (out-of-order arrival changes nothing but *when*
  a state is known);
* a track state at frame time ``t`` is *reported* at the node once every received
  detection made at or before ``t`` has arrived: ``report_time = max(t, max arrival of
  the received detections with time <= t)``, never later than ``t + lag_s``.

With zero latency every detection arrives when it is made, nothing is dropped, and each
node's tracks equal today's trackers' (each owner on its own detections, ``joint`` on all
shared with the C2 node) row for row, with ``report_time = time``.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from tracklayer.frames import utc_timestamps
from tracklayer.network.config import JOINT_NODE_OWNER, NetworkConfig
from tracklayer.network.delivery import Deliveries, seconds_since
from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.run import (
    detections_arrays,
    history_table,
    innovations_table,
    strip_truth,
)
from tracklayer.tracking.tracker import BatchTracker
from tracklayer.vocabulary import JOINT, TRACKS_SCHEMA

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: The ``tracks`` columns plus where and when each state was known.
NODE_TRACKS_SCHEMA = TRACKS_SCHEMA.append(pa.field("node", pa.string())).append(
    pa.field("report_time", pa.timestamp("ns", tz="UTC"))
)

_EMPTY_TIMES = pa.array([], pa.timestamp("ns", tz="UTC"))


def received(deliveries: Deliveries, node: str, time_s: F64, lag_s: float) -> tuple[I64, F64]:
    """Rows of the detections a node keeps (arrived within the lag) and their arrivals.

    Returns
    -------
    rows : (K,) int64
        Row indices into the detections, ascending (table order).
    arrival_s : (K,) float64
        Their arrival times at the node, s.
    """
    at = np.flatnonzero(deliveries.node == node)
    rows, arrival = deliveries.row[at], deliveries.arrival_s[at]
    kept = arrival - time_s[rows] <= lag_s + 1e-9
    order = np.argsort(rows[kept], kind="stable")
    return rows[kept][order], arrival[kept][order]


def report_times(frame_s: F64, det_time_s: F64, arrival_s: F64) -> F64:
    """When a node knows each frame's states (module notes).

    Parameters
    ----------
    frame_s : (R,)
        Times of track states, s.
    det_time_s, arrival_s : (K,)
        Times and arrivals of the detections the node received, s.

    Returns
    -------
    report_s : (R,)
        ``max(t, max arrival of detections made at or before t)``, s.
    """
    if det_time_s.size == 0:
        return np.asarray(frame_s, dtype=np.float64).copy()
    order = np.argsort(det_time_s, kind="stable")
    latest = np.maximum.accumulate(arrival_s[order])
    before = np.searchsorted(det_time_s[order], frame_s + 1e-9, side="right") - 1
    known = np.where(before >= 0, latest[np.maximum(before, 0)], -np.inf)
    return np.maximum(frame_s, known)


def node_tracks(
    detections: pa.Table,
    deliveries: Deliveries,
    network: NetworkConfig,
    tracking: TrackingConfig,
    epoch: datetime,
    *,
    cut_off: frozenset[str] = frozenset(),
    innovations: list[pa.Table] | None = None,
) -> pa.Table:
    """Run every node's tracker on what arrived there (fixed-lag reprocessing).

    Parameters
    ----------
    detections
        The ``detections`` table (``truth_id`` is dropped unread).
    deliveries
        Arrivals of its rows at the nodes (:func:`tracklayer.network.delivery.deliver`).
    network, tracking
        The scenario's ``network`` and ``tracking`` sections.
    epoch
        Scenario epoch (UTC).
    cut_off
        Owners (or ``joint``) whose node is cut off: no tracker runs there.
    innovations
        When given, each node tracker's ``innovations`` table
        (:func:`tracklayer.tracking.run.innovations_table`) is appended to it.

    Returns
    -------
    pyarrow.Table
        :data:`NODE_TRACKS_SCHEMA`: the ``tracks`` rows of each node's tracker (named by
        its owner, ``joint`` at the C2 node), with ``node`` and ``report_time``.
    """
    table = strip_truth(detections)
    if table.num_rows == 0:
        return NODE_TRACKS_SCHEMA.empty_table()
    det, _owner = detections_arrays(table, epoch)
    time_s = seconds_since(table.column("time"), epoch)
    parts = []
    for node in sorted(network.nodes, key=lambda n: (n.owner == JOINT_NODE_OWNER, n.owner)):
        if node.owner in cut_off:
            continue
        rows, arrival = received(deliveries, node.name, time_s, network.reprocessing_lag_s)
        if rows.size == 0:
            continue
        tracker = JOINT if node.owner == JOINT_NODE_OWNER else node.owner
        batch = BatchTracker(tracking)
        history = batch.run(det.take(rows))
        if innovations is not None:
            innovations.append(innovations_table(batch.innovations(), tracker, epoch))
        rows_table = history_table(history, tracker, epoch)
        report = report_times(history.time_s, time_s[rows], arrival)
        stamps = utc_timestamps(epoch, report) if len(history) else _EMPTY_TIMES
        names = pa.array([node.name] * len(history), pa.string())
        parts.append(rows_table.append_column("node", names).append_column("report_time", stamps))
    return pa.concat_tables(parts) if parts else NODE_TRACKS_SCHEMA.empty_table()
