"""Figures of the connected layer: latency per node, and warning time per threat and node.

* **Latency** of a node: detection-to-arrival times of the detections it received
  (``p50``, ``p95``, ``max``, mean hops), and the fraction of the detections offered to it
  that arrived at all.
* **Warning time** of a threat at a node: from launch (its first truth sample) to the
  report time at the node (:mod:`tracklayer.network.nodes`) of the node tracker's first
  confirmed track matched to it (``first_track_s`` of :func:`tracklayer.metrics.tracking.
  tracking_metrics`, scored on the node's tracks). ``warning_age_s`` is that report's age:
  report time minus the state's own time, i.e. what the network cost the warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from tracklayer.network.delivery import Deliveries, seconds_since
from tracklayer.vocabulary import JOINT, SYSTEM_TRACKERS

F64 = NDArray[np.float64]

LATENCY_SCHEMA = pa.schema(
    [
        ("node", pa.string()),
        ("offered", pa.int64()),
        ("delivered", pa.int64()),
        ("received", pa.int64()),
        ("latency_p50_s", pa.float64()),
        ("latency_p95_s", pa.float64()),
        ("latency_max_s", pa.float64()),
        ("mean_hops", pa.float64()),
    ]
)

WARNING_SCHEMA = pa.schema(
    [
        ("object_id", pa.string()),
        ("tracker", pa.string()),
        ("node", pa.string()),
        ("first_track_s", pa.float64()),
        ("warning_s", pa.float64()),
        ("warning_age_s", pa.float64()),
        ("mean_track_age_s", pa.float64()),
    ]
)


def latency_table(
    deliveries: Deliveries,
    det_time_s: F64,
    offered: dict[str, int],
    lag_s: float,
) -> pa.Table:
    """Per node: detections offered, delivered, received within the lag, latency figures.

    Parameters
    ----------
    deliveries
        Arrivals of detections at nodes.
    det_time_s : (D,)
        Detection times, s.
    offered
        Per node name: how many detections its owner's sensors and sharing partners sent it.
    lag_s
        The nodes' reprocessing lag, s (``received`` counts those within it).
    """
    rows = []
    for node in sorted(offered):
        at = deliveries.node == node
        latency = deliveries.arrival_s[at] - det_time_s[deliveries.row[at]]
        if latency.size:
            p50, p95, top = np.percentile(latency, [50.0, 95.0, 100.0])
            hops = float(np.mean(deliveries.hops[at]))
        else:
            p50 = p95 = top = hops = float("nan")
        rows.append(
            (
                node,
                offered[node],
                int(latency.size),
                int(np.sum(latency <= lag_s + 1e-9)),
                float(p50),
                float(p95),
                float(top),
                hops,
            )
        )
    return pa.Table.from_pylist(
        [dict(zip(LATENCY_SCHEMA.names, r, strict=True)) for r in rows], schema=LATENCY_SCHEMA
    )


def warning_table(
    metrics: pa.Table,
    truth: pa.Table,
    node_tracks: pa.Table,
    epoch: datetime,
    nodes: Mapping[str, str] | None = None,
) -> pa.Table:
    """Per threat and node: warning time from launch, its age, and the node's mean track age.

    Parameters
    ----------
    metrics
        The ``metrics`` table scored on the node trackers' tracks (``object_id``,
        ``tracker``, ``first_track_s`` from launch).
    truth
        The ``truth`` table (launch = each threat's first sample).
    node_tracks
        Node trackers' rows (:data:`tracklayer.network.nodes.NODE_TRACKS_SCHEMA`).
    epoch
        Scenario epoch (UTC).
    nodes
        Node name by tracker name, of every node that should warn (one that received
        nothing then gets null rows); default: the trackers in ``node_tracks``.

    Returns
    -------
    pyarrow.Table
        :data:`WARNING_SCHEMA`, one row per threat and node tracker; ``warning_s`` and
        ``warning_age_s`` are null for a threat the node never tracked.
    """
    tracker = np.asarray(node_tracks.column("tracker").to_pylist(), dtype=object).astype(str)
    node = np.asarray(node_tracks.column("node").to_pylist(), dtype=object).astype(str)
    if nodes is None:
        nodes = dict(zip(tracker.tolist(), node.tolist(), strict=True))
    t = seconds_since(node_tracks.column("time"), epoch)
    age = seconds_since(node_tracks.column("report_time"), epoch) - t
    launches = launch_seconds(truth, epoch).to_pylist()
    first_track = {
        (r["object_id"], r["tracker"]): r["first_track_s"]
        for r in metrics.select(["object_id", "tracker", "first_track_s"]).to_pylist()
    }
    out = []
    for name in sorted(nodes):
        mine = tracker == name
        mean_age = float(np.mean(age[mine])) if np.any(mine) else None
        for threat in launches:
            first = first_track.get((threat["object_id"], name))
            warning = warning_age = None
            if first is not None and np.isfinite(first) and np.any(mine):
                # The first matched state's frame: report delays are per frame of the node.
                at = int(np.argmin(np.abs(t[mine] - (threat["launch_s"] + first))))
                warning_age = float(age[mine][at])
                warning = first + warning_age
            out.append(
                {"object_id": threat["object_id"], "tracker": name, "node": nodes[name],
                 "first_track_s": first, "warning_s": warning, "warning_age_s": warning_age,
                 "mean_track_age_s": mean_age}
            )  # fmt: skip
    return pa.Table.from_pylist(out, schema=WARNING_SCHEMA)


def launch_seconds(truth: pa.Table, epoch: datetime) -> pa.Table:
    """Each threat's launch (first truth sample): ``object_id``, ``launch_s`` since the epoch."""
    grouped = truth.select(["object_id", "time"]).group_by("object_id").aggregate([("time", "min")])
    return pa.table(
        {
            "object_id": grouped.column("object_id"),
            "launch_s": pa.array(seconds_since(grouped.column("time_min"), epoch)),
        }
    )


def joint_vs_alone(warning: pa.Table) -> pa.Table:
    """Per threat: the earliest national warning against the C2 node's joint warning.

    National trackers are the owners' (not ``joint`` nor ``fused``).

    Columns: ``object_id``, ``best_national_tracker``, ``best_national_warning_s``,
    ``joint_warning_s``, ``gain_s`` (national minus joint: positive when the combined
    node warns first, network included); nulls where a side never warned.
    """
    rows = warning.to_pylist()
    out = []
    for object_id in sorted({r["object_id"] for r in rows}):
        mine = [r for r in rows if r["object_id"] == object_id]
        national = [
            r for r in mine if r["tracker"] not in SYSTEM_TRACKERS and r["warning_s"] is not None
        ]
        joint = next((r["warning_s"] for r in mine if r["tracker"] == JOINT), None)
        best = min(national, key=lambda r: r["warning_s"]) if national else None
        best_s = None if best is None else best["warning_s"]
        out.append(
            {
                "object_id": object_id,
                "best_national_tracker": None if best is None else best["tracker"],
                "best_national_warning_s": best_s,
                "joint_warning_s": joint,
                "gain_s": None if best_s is None or joint is None else best_s - joint,
            }
        )
    return pa.Table.from_pylist(out, schema=JOINT_VS_ALONE_SCHEMA)


JOINT_VS_ALONE_SCHEMA = pa.schema(
    [
        ("object_id", pa.string()),
        ("best_national_tracker", pa.string()),
        ("best_national_warning_s", pa.float64()),
        ("joint_warning_s", pa.float64()),
        ("gain_s", pa.float64()),
    ]
)
