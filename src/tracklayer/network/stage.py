"""The network stage as pure computations on tables: links, deliveries, node trackers.

:func:`run_network` takes a scenario's ``network`` and ``tracking`` sections, the
satellites' ephemeris at the raid's cadence and the ``detections`` table, and returns
every table of the connected layer (:class:`NetworkTables`). The runner writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.frames import utc_timestamps
from tracklayer.fusion.timeline import fuse_timeline
from tracklayer.network.config import JOINT_NODE_OWNER, NetworkConfig
from tracklayer.network.delivery import Deliveries, deliver, deliveries_table, seconds_since
from tracklayer.network.layer import Network, NetworkOutage, SpaceSegmentStates, build_network
from tracklayer.network.links import LINK_KINDS
from tracklayer.network.nodes import NODE_TRACKS_SCHEMA, node_tracks
from tracklayer.network.warning import latency_table
from tracklayer.tracking.config import TrackingConfig
from tracklayer.vocabulary import TRACKS_SCHEMA

LINKS_SCHEMA = pa.schema(
    [
        ("time", pa.timestamp("ns", tz="UTC")),
        ("a", pa.string()),
        ("b", pa.string()),
        ("kind", pa.string()),
        ("range_m", pa.float64()),
        ("delay_s", pa.float64()),
    ]
)


@dataclass(frozen=True)
class NetworkTables:
    """Every table of the connected layer.

    Attributes
    ----------
    links
        Sampled link states (``time``, ``a``, ``b``, ``kind``, ``range_m``, ``delay_s``).
    deliveries
        Each detection's arrival at each node (``det_id``, ``node``, ``arrival_time``,
        ``hops``).
    latency
        Per node: offered, delivered, received, latency p50/p95/max, mean hops.
    tracks
        The ``tracks`` table of the node trackers (each owner's, ``joint``) and the C2
        node's ``fused`` picture, in the ``tracks`` schema.
    node_tracks
        The node trackers' rows with ``node`` and ``report_time``, and the C2 node's
        ``fused`` rows (known at their own time: fused from what had arrived).
    """

    links: pa.Table
    deliveries: pa.Table
    latency: pa.Table
    tracks: pa.Table
    node_tracks: pa.Table


def links_table(network: Network, epoch: datetime) -> pa.Table:
    """Link states every ``link_sample_s`` (and at the first step), names for vertices."""
    seconds = network.space.seconds
    links = network.links
    every = max(1, round(network.config.link_sample_s / float(np.median(np.diff(seconds)))))
    keep = np.flatnonzero(links.step % every == 0) if seconds.size > 1 else np.arange(len(links))
    names = np.concatenate([network.space.sat_id, network.station_names]).astype(str)

    return pa.Table.from_arrays(
        [
            utc_timestamps(epoch, seconds[links.step[keep]])
            if keep.size
            else pa.array([], LINKS_SCHEMA[0].type),
            pa.array(names[links.a[keep]], pa.string()),
            pa.array(names[links.b[keep]], pa.string()),
            pa.array(np.asarray(LINK_KINDS)[links.kind[keep]], pa.string()),
            pa.array(links.range_m[keep], pa.float64()),
            pa.array(links.delay_s[keep], pa.float64()),
        ],
        schema=LINKS_SCHEMA,
    )


def offered_counts(config: NetworkConfig, owner: np.ndarray, cut: frozenset[str]) -> dict[str, int]:
    """Per node: detections its owner made plus those its sharing partners pass on."""
    made = {o: int(np.sum(owner == o)) for o in set(owner.tolist())}
    counts = {}
    for node in config.nodes:
        if node.owner in cut:
            continue
        counts[node.name] = made.get(node.owner, 0) + sum(
            made.get(s.source, 0)
            for s in config.sharing
            if s.to == node.owner and s.carries("detections")
        )
    return counts


def report_rates(space: SpaceSegmentStates, sensor_id: np.ndarray) -> np.ndarray:
    """Detections each satellite reports per second over the run, (N,) Hz.

    The mean rate drives the links' queueing (:func:`tracklayer.network.layer.build_network`).
    """
    seconds = space.seconds
    span = (
        float(seconds[-1] - seconds[0]) + float(np.median(np.diff(seconds)))
        if seconds.size > 1
        else 1.0
    )
    index = {str(s): i for i, s in enumerate(space.sat_id)}
    mine = np.array([index.get(s, -1) for s in np.unique(sensor_id)], np.int64)
    counts = np.unique(sensor_id, return_counts=True)[1]
    rate = np.zeros(space.sat_id.size)
    rate[mine[mine >= 0]] = counts[mine >= 0] / span
    return rate


def fused_at_c2(
    tracks: pa.Table, config: NetworkConfig, epoch: datetime, interval_s: float
) -> pa.Table:
    """The C2 node's ``fused`` picture: national tracks fused as they arrive there.

    National tracks shared with the C2 node (``what: tracks``) arrive at their report
    time plus the arrangement's delay; :func:`tracklayer.fusion.timeline.fuse_timeline`
    uses each state from its arrival on.
    """
    c2 = config.node_of(JOINT_NODE_OWNER)
    shares = [s for s in config.sharing if s.to == JOINT_NODE_OWNER and s.carries("tracks")]
    if c2 is None or not shares or tracks.num_rows == 0:
        return TRACKS_SCHEMA.empty_table()
    delay = {s.source: s.delay_s + c2.processing_s for s in shares}
    national = tracks.filter(pc.is_in(tracks["tracker"], pa.array(sorted(delay))))
    if national.num_rows == 0:
        return TRACKS_SCHEMA.empty_table()
    extra = np.array([delay[t] for t in national["tracker"].to_pylist()])
    known = seconds_since(national["report_time"], epoch) + extra

    national = national.append_column("known_time", utc_timestamps(epoch, known))
    return fuse_timeline(national, epoch, interval_s=interval_s, known_column="known_time")


def run_network(
    config: NetworkConfig,
    tracking: TrackingConfig,
    space: SpaceSegmentStates,
    detections: pa.Table,
    epoch: datetime,
    *,
    outage: NetworkOutage | None = None,
    fusion_interval_s: float = 1.0,
    fuse: bool = True,
) -> NetworkTables:
    """Links, deliveries, node trackers and the C2 picture of one run.

    Parameters
    ----------
    config, tracking
        The scenario's ``network`` and ``tracking`` sections.
    space
        The satellites and their ECEF states at the raid's samples.
    detections
        The ``detections`` table.
    epoch
        Scenario epoch (UTC).
    outage
        An attack on the network (stations, crosslink terminals, nodes out).
    fusion_interval_s
        Cadence of the C2 node's fused picture, s.
    fuse
        Build the C2 node's fused picture (False: node trackers only, for runs that read
        nothing else, such as the attack draws' warning times).
    """
    outage = outage or NetworkOutage()
    time_s = seconds_since(detections.column("time"), epoch)
    owner = np.asarray(detections.column("owner").to_pylist(), dtype=object).astype(str)
    sensor = np.asarray(detections.column("sensor_id").to_pylist(), dtype=object).astype(str)
    network = build_network(config, space, outage, report_rates(space, sensor))
    arrivals: Deliveries = deliver(network, time_s, sensor, owner)
    det_id = np.asarray(detections.column("det_id").to_numpy(), dtype=np.int64)
    nodes = node_tracks(detections, arrivals, config, tracking, epoch, cut_off=outage.nodes)
    plain = nodes.select(TRACKS_SCHEMA.names)
    fused = (
        fused_at_c2(nodes, config, epoch, fusion_interval_s)
        if fuse
        else TRACKS_SCHEMA.empty_table()
    )
    c2 = config.node_of(JOINT_NODE_OWNER)
    if fused.num_rows and c2 is not None:  # fused at C2 from what had arrived: known at once
        names = pa.array([c2.name] * fused.num_rows, pa.string())
        nodes = pa.concat_tables(
            [nodes, fused.append_column("node", names).append_column("report_time", fused["time"])]
        )
    return NetworkTables(
        links=links_table(network, epoch),
        deliveries=deliveries_table(arrivals, det_id, epoch),
        latency=latency_table(
            arrivals, time_s, offered_counts(config, owner, outage.nodes), config.reprocessing_lag_s
        ),
        tracks=pa.concat_tables([plain, fused]),
        node_tracks=nodes if nodes.num_rows else NODE_TRACKS_SCHEMA.empty_table(),
    )
