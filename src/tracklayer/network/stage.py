"""The network stage as pure computations on tables: links, deliveries, node trackers.

:func:`run_network` takes a scenario's ``network`` and ``tracking`` sections, the
satellites' ephemeris at the raid's cadence and the ``detections`` table, and returns
every table of the connected layer (:class:`NetworkTables`). The runner writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from tracklayer.frames import utc_timestamps
from tracklayer.network.config import JOINT_NODE_OWNER, NetworkConfig
from tracklayer.network.delivery import Deliveries, deliver, deliveries_table, seconds_since
from tracklayer.network.layer import (
    Network,
    NetworkOutage,
    SpaceSegmentStates,
    build_network,
    station_positions,
)
from tracklayer.network.links import LINK_KINDS
from tracklayer.network.nodes import NODE_TRACKS_SCHEMA, node_tracks
from tracklayer.network.pictures import fused_picture, national_pictures
from tracklayer.network.release import may_receive
from tracklayer.network.routes import ReportLoad
from tracklayer.network.warning import latency_table
from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.run import INNOVATIONS_SCHEMA
from tracklayer.vocabulary import TRACKS_SCHEMA

I64 = NDArray[np.int64]

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

#: The ends of the sampled links, placed: ``id`` (a ``links`` table's ``a``/``b``),
#: ``kind`` (``satellite`` or ``station``), ECEF position, m, at the link sample ``time``.
LINK_ENDS_SCHEMA = pa.schema(
    [
        ("time", pa.timestamp("ns", tz="UTC")),
        ("id", pa.string()),
        ("kind", pa.string()),
        ("x", pa.float64()),
        ("y", pa.float64()),
        ("z", pa.float64()),
    ]
)


@dataclass(frozen=True)
class NetworkTables:
    """Every table of the connected layer.

    Attributes
    ----------
    links
        Sampled link states (``time``, ``a``, ``b``, ``kind``, ``range_m``, ``delay_s``).
    link_ends
        Where the sampled links' ends were (:data:`LINK_ENDS_SCHEMA`), for maps.
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
    national_pictures
        Each national node's fused picture of its own and its partners' tracks
        (:func:`tracklayer.network.pictures.national_pictures`), tracker ``fused``.
    innovations
        Each detection that updated a node tracker's track, with its NIS
        (:data:`tracklayer.tracking.run.INNOVATIONS_SCHEMA`).
    """

    links: pa.Table
    deliveries: pa.Table
    latency: pa.Table
    tracks: pa.Table
    node_tracks: pa.Table
    national_pictures: pa.Table
    innovations: pa.Table = field(default_factory=INNOVATIONS_SCHEMA.empty_table)
    link_ends: pa.Table = field(default_factory=LINK_ENDS_SCHEMA.empty_table)


def sampled_steps(network: Network) -> I64:
    """Indices into ``network.links`` of the sampled link states: every ``link_sample_s``
    (and the first step), the rows of the ``links`` table."""
    seconds = network.space.seconds
    links = network.links
    if seconds.size <= 1:
        return np.arange(len(links), dtype=np.int64)
    every = max(1, round(network.config.link_sample_s / float(np.median(np.diff(seconds)))))
    return np.flatnonzero(links.step % every == 0).astype(np.int64)


def vertex_names(network: Network) -> NDArray[np.str_]:
    """The network's vertex names: satellites' ``sat_id``, then ground stations' names."""
    return np.concatenate([network.space.sat_id, network.station_names]).astype(str)


def links_table(network: Network, epoch: datetime) -> pa.Table:
    """Link states every ``link_sample_s`` (and at the first step), names for vertices."""
    links, keep = network.links, sampled_steps(network)
    names = vertex_names(network)
    return pa.Table.from_arrays(
        [
            utc_timestamps(epoch, network.space.seconds[links.step[keep]])
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


def link_ends_table(network: Network, epoch: datetime) -> pa.Table:
    """Where each end of the sampled links was: one row per vertex and link sample.

    The ``links`` table names its ends; this one places them (ECEF, m) at the same
    ``time``, so a map of the links needs nothing but the run folder. Satellites are at
    their ephemeris state of that step, ground stations at their fixed positions.
    """
    links, keep = network.links, sampled_steps(network)
    n_sat = network.space.sat_id.size
    step = np.concatenate([links.step[keep], links.step[keep]]).astype(np.int64)
    vertex = np.concatenate([links.a[keep], links.b[keep]]).astype(np.int64)
    n_vertex = n_sat + network.station_names.size
    key = np.unique(step * n_vertex + vertex)  # each (step, vertex) once, time-ordered
    step, vertex = key // n_vertex, key % n_vertex
    stations = station_positions(network.config).reshape(-1, 3)
    is_sat = vertex < n_sat
    xyz = np.empty((key.size, 3), dtype=np.float64)
    xyz[is_sat] = network.space.r_ecef[vertex[is_sat], step[is_sat]]
    xyz[~is_sat] = stations[vertex[~is_sat] - n_sat]
    kinds = np.where(is_sat, "satellite", "station")
    return pa.Table.from_arrays(
        [
            utc_timestamps(epoch, network.space.seconds[step])
            if key.size
            else pa.array([], LINK_ENDS_SCHEMA[0].type),
            pa.array(vertex_names(network)[vertex], pa.string()),
            pa.array(kinds, pa.string()),
            *(pa.array(xyz[:, i], pa.float64()) for i in range(3)),
        ],
        schema=LINK_ENDS_SCHEMA,
    )


def offered_counts(config: NetworkConfig, owner: np.ndarray, cut: frozenset[str]) -> dict[str, int]:
    """Per node: detections its owner made plus those its partners release to it."""
    made = {o: int(np.sum(owner == o)) for o in set(owner.tolist())}
    counts = {}
    for node in config.nodes:
        if node.owner in cut:
            continue
        counts[node.name] = made.get(node.owner, 0) + sum(
            n
            for source, n in made.items()
            if source != node.owner and may_receive(config, source, "detections", node.owner)
        )
    return counts


def report_load(
    space: SpaceSegmentStates, sensor_id: np.ndarray, time_s: np.ndarray, window_s: float
) -> ReportLoad:
    """The bursts each satellite sends: one per frame (its detections of one time), counted
    over ``window_s`` around each step (:meth:`ReportLoad.from_bursts`); bursts of
    different satellites at the same frame time (to the microsecond) leave together.

    Parameters
    ----------
    space
        The satellites and their sample times.
    sensor_id, time_s : (D,)
        Each detection's sensor and time, s since the epoch (ground sensors' are skipped).
    window_s
        The burst window, s (the ``network`` section's ``queue_window_s``).
    """
    order = np.argsort(space.sat_id)
    pos = np.minimum(np.searchsorted(space.sat_id[order], sensor_id), max(order.size - 1, 0))
    is_sat = (space.sat_id[order][pos] == sensor_id) if order.size else np.zeros(0, bool)
    sat = order[pos[is_sat]]
    step = np.searchsorted(space.seconds, time_s[is_sat] - 1e-9, side="left")
    inside = step < space.seconds.size
    micros = np.round(time_s[is_sat][inside] * 1e6).astype(np.int64)  # one frame's time
    micros -= micros.min(initial=0)
    # One int64 key per (satellite, frame time): a 1-D unique, far cheaper than rows.
    key = sat[inside].astype(np.int64) * (int(micros.max(initial=0)) + 1) + micros
    _, first, size = np.unique(key, return_index=True, return_counts=True)
    return ReportLoad.from_bursts(
        sat[inside][first], step[inside][first], size.astype(np.float64), space.sat_id.size,
        space.seconds, window_s, frame=micros[first],
    )  # fmt: skip


def run_network(
    config: NetworkConfig,
    tracking: TrackingConfig,
    space: SpaceSegmentStates,
    detections: pa.Table,
    epoch: datetime,
    *,
    outage: NetworkOutage | None = None,
    fusion_interval_s: float = 1.0,
    pictures: bool = True,
    national: bool = True,
) -> NetworkTables:
    """Links, deliveries, node trackers and the fused pictures (C2, nations) of one run.

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
        Refresh of the nodes' fused pictures, s.
    pictures
        Whether to fuse the C2 node's and the nations' pictures (False: the node
        trackers alone, as the attacks need; ``national_pictures`` is then empty).
    national
        Whether to fuse the nations' pictures (False: ``national_pictures`` is empty; the
        raid makes them in a stage of their own, which the resilience reruns skip).
    """
    outage = outage or NetworkOutage()
    time_s = seconds_since(detections.column("time"), epoch)
    owner = np.asarray(detections.column("owner").to_pylist(), dtype=object).astype(str)
    sensor = np.asarray(detections.column("sensor_id").to_pylist(), dtype=object).astype(str)
    load = report_load(space, sensor, time_s, config.queue_window_s)
    network = build_network(config, space, outage, load)
    arrivals: Deliveries = deliver(network, time_s, sensor, owner)
    det_id = np.asarray(detections.column("det_id").to_numpy(), dtype=np.int64)
    innovations: list[pa.Table] = []
    nodes = node_tracks(
        detections, arrivals, config, tracking, epoch, cut_off=outage.nodes,
        innovations=innovations,
    )  # fmt: skip
    plain = nodes.select(TRACKS_SCHEMA.names)
    fused = (
        TRACKS_SCHEMA.empty_table()
        if JOINT_NODE_OWNER in outage.nodes or not pictures  # a C2 node cut off fuses nothing
        else fused_picture(nodes, config, JOINT_NODE_OWNER, epoch, fusion_interval_s)
    )
    nations = (
        national_pictures(nodes, config, epoch, fusion_interval_s, outage.nodes)
        if pictures and national
        else NODE_TRACKS_SCHEMA.empty_table()
    )
    c2 = config.node_of(JOINT_NODE_OWNER)
    if fused.num_rows and c2 is not None:  # fused at C2 from what had arrived: known at once
        names = pa.array([c2.name] * fused.num_rows, pa.string())
        nodes = pa.concat_tables(
            [nodes, fused.append_column("node", names).append_column("report_time", fused["time"])]
        )
    return NetworkTables(
        links=links_table(network, epoch),
        link_ends=link_ends_table(network, epoch),
        deliveries=deliveries_table(arrivals, det_id, epoch),
        latency=latency_table(
            arrivals, time_s, offered_counts(config, owner, outage.nodes), config.reprocessing_lag_s
        ),
        tracks=pa.concat_tables([plain, fused]),
        node_tracks=nodes if nodes.num_rows else NODE_TRACKS_SCHEMA.empty_table(),
        national_pictures=nations,
        innovations=(
            pa.concat_tables(innovations) if innovations else INNOVATIONS_SCHEMA.empty_table()
        ),
    )
