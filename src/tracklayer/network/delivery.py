"""Every detection's arrival at every node that may receive it: the ``deliveries`` table.

A satellite's detection reaches its owner's national node by the earliest route of the
network (:class:`tracklayer.network.routes.Routes`), leaving at the first sample at or
after the detection (a report waits on board until then); a ground sensor's detection
(radar) reaches its owner's node after ``ground_sensor_latency_s``. A national node that
shares raw detections passes each one on as it arrives, after the arrangement's
``delay_s`` and the receiving node's processing, when the arrangements release raw
detections to that node (:mod:`tracklayer.network.release`, the picture service's rule).
Detections that never arrive (no route before the end of the run, a node cut off) have
no row.

Columns: ``det_id`` (int64), ``node`` (node name), ``arrival_time`` (timestamp[ns, UTC]),
``hops`` (int16: space links used; 0 for a ground sensor).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tracklayer.frames import utc_timestamps
from tracklayer.network.config import NetworkConfig
from tracklayer.network.layer import Network
from tracklayer.network.release import may_receive

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

DELIVERIES_SCHEMA = pa.schema(
    [
        ("det_id", pa.int64()),
        ("node", pa.string()),
        ("arrival_time", pa.timestamp("ns", tz="UTC")),
        ("hops", pa.int16()),
    ]
)


@dataclass(frozen=True)
class Deliveries:
    """Arrivals as arrays: row r of the detections reaches ``node`` at ``arrival_s``.

    Attributes
    ----------
    row : (R,) int64, index into the detections table
    node : (R,) str, node name
    arrival_s : (R,) float64, s since the epoch
    hops : (R,) int64
    """

    row: I64
    node: NDArray[np.str_]
    arrival_s: F64
    hops: I64


def deliver(
    network: Network, time_s: F64, sensor_id: NDArray[np.str_], owner: NDArray[np.str_]
) -> Deliveries:
    """Arrival of each detection at each node that may receive it.

    Parameters
    ----------
    network
        The run's network (links, routes).
    time_s : (D,)
        Detection times, s since the epoch.
    sensor_id, owner : (D,) str
        The detecting sensor (a satellite's ``sat_id`` or a ground sensor's name) and its owner.
    """
    config = network.config
    national = _at_national_nodes(network, time_s, sensor_id, owner)
    parts = [
        Deliveries(rows, np.full(rows.size, _node_name(config, o)), arrival, hops)
        for o, (rows, arrival, hops) in national.items()
    ]
    for share in config.sharing:
        target = config.node_of(share.to)
        if share.source not in national or target is None:
            continue
        if not may_receive(config, share.source, "detections", share.to):
            continue  # the arrangement does not release raw detections to it
        if share.to in network.outage.nodes:
            continue
        rows, arrival, hops = national[share.source]
        late = arrival + share.delay_s + target.processing_s
        parts.append(Deliveries(rows, np.full(rows.size, target.name), late, hops))
    if not parts:
        return Deliveries(
            np.zeros(0, np.int64), np.zeros(0, str), np.zeros(0), np.zeros(0, np.int64)
        )
    row, arrival, hops = (
        np.concatenate([getattr(p, f) for p in parts]) for f in ("row", "arrival_s", "hops")
    )
    node_name = np.concatenate([p.node for p in parts])
    keep = np.flatnonzero(np.isfinite(arrival))
    order = keep[np.lexsort((row[keep], arrival[keep], node_name[keep]))]
    return Deliveries(row[order], node_name[order], arrival[order], hops[order])


def _node_name(config: NetworkConfig, owner: str) -> str:
    node = config.node_of(owner)
    assert node is not None  # national nodes come from the configured nodes
    return node.name


def _at_national_nodes(
    network: Network, time_s: F64, sensor_id: NDArray[np.str_], owner: NDArray[np.str_]
) -> dict[str, tuple[I64, F64, I64]]:
    """Per national node (by owner): rows of its owner's detections, arrivals and hops."""
    config, space = network.config, network.space
    sat_order = np.argsort(space.sat_id)
    pos = np.minimum(np.searchsorted(space.sat_id[sat_order], sensor_id), sat_order.size - 1)
    is_sat = space.sat_id[sat_order][pos] == sensor_id
    sat = np.where(is_sat, sat_order[pos], -1)
    # First sample at or after each detection (a 1 ns allowance for round-off).
    step = np.searchsorted(space.seconds, time_s - 1e-9, side="left")
    national: dict[str, tuple[I64, F64, I64]] = {}
    for p, name in enumerate(network.national):
        if name in network.outage.nodes:
            continue
        node = config.node_of(name)
        processing = 0.0 if node is None else node.processing_s
        rows = np.flatnonzero((owner == name) & (step < space.seconds.size) & is_sat)
        ground = np.flatnonzero((owner == name) & ~is_sat)
        ground_arrival = time_s[ground] + config.ground_sensor_latency_s + processing
        national[name] = (
            np.r_[rows, ground],
            np.r_[network.routes.arrival_s[p, step[rows], sat[rows]], ground_arrival],
            np.r_[network.routes.hops[p, step[rows], sat[rows]], np.zeros(ground.size, np.int64)],
        )
    return national


def deliveries_table(deliveries: Deliveries, det_id: I64, epoch: datetime) -> pa.Table:
    """The ``deliveries`` table (module notes), by node then arrival time."""
    n = deliveries.row.size
    return pa.Table.from_arrays(
        [
            pa.array(det_id[deliveries.row], pa.int64()),
            pa.array(deliveries.node, pa.string()),
            utc_timestamps(epoch, deliveries.arrival_s)
            if n
            else pa.array([], DELIVERIES_SCHEMA[2].type),
            pa.array(deliveries.hops.astype(np.int16), pa.int16()),
        ],
        schema=DELIVERIES_SCHEMA,
    )


def seconds_since(column: pa.ChunkedArray | pa.Array, epoch: datetime) -> F64:
    """A timestamp column as float seconds since ``epoch`` (UTC), shape (R,)."""
    ns = pc.cast(column, pa.timestamp("ns", tz="UTC")).to_numpy()
    base = np.datetime64(epoch.astimezone(UTC).replace(tzinfo=None), "ns")
    return np.asarray((ns.astype("datetime64[ns]") - base).astype(np.int64) / 1e9)
