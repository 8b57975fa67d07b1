"""The time-varying network of a scenario: its links and routes at every step.

:func:`build_network` turns the ``network`` section, the satellites and their ephemeris
into the links that are up (:mod:`tracklayer.network.links`) and the shortest-delay
routes to each owner's national node (:mod:`tracklayer.network.routes`). Attacks on the
network enter as a :class:`NetworkOutage`.

Routes are searched backwards from each node over directed edges node -> station ->
satellite -> satellite, so a route never relays through a ground station back into
space nor through another owner's node. A report's delay: per-hop delays
(:func:`tracklayer.network.links.hop_delay_s`) over crosslinks and the downlink, the
station's terrestrial latency to the node, and the node's ingest processing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tracklayer.constants import DEG, KM
from tracklayer.frames import geodetic_to_ecef
from tracklayer.network.config import JOINT_NODE_OWNER, MBPS, NetworkConfig, ProcessingNode
from tracklayer.network.links import (
    CROSSLINK,
    DOWNLINK,
    LinkSet,
    acquired,
    ground_contacts,
    hop_delay_s,
    mutual_nearest_links,
)
from tracklayer.network.routes import (
    ReportLoad,
    Routes,
    batch_wait_s,
    earliest_arrival,
    path_totals,
    shortest_trees,
    tree_loads,
)

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class NetworkOutage:
    """An attack on the network: what is out of service for the whole run.

    Attributes
    ----------
    stations
        Ground stations lost or jammed, by name.
    crosslink_satellites
        Satellites whose crosslink terminals failed, by ``sat_id`` (they store and forward).
    nodes
        Nodes cut off, by owner (an owner code or ``joint``): they receive nothing.
    """

    stations: frozenset[str] = field(default_factory=frozenset)
    crosslink_satellites: frozenset[str] = field(default_factory=frozenset)
    nodes: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class SpaceSegmentStates:
    """The satellites as the network sees them.

    Attributes
    ----------
    sat_id, owner, constellation : (N,) str
    seconds : (T,) sample times, s since the epoch
    r_ecef : (N, T, 3) ECEF positions, m
    valid : (N, T) bool, False where a satellite has no state or is out of service
    """

    sat_id: NDArray[np.str_]
    owner: NDArray[np.str_]
    constellation: NDArray[np.str_]
    seconds: F64
    r_ecef: F64
    valid: NDArray[np.bool_]


@dataclass(frozen=True)
class Network:
    """Links and routes of a run.

    Attributes
    ----------
    config
        The ``network`` section.
    space
        The satellites and their states.
    station_names : (G,) str
    national : list of str, length P
        Owners of the national nodes, in the order of ``routes``' first axis.
    links
        Every link up at every step (vertices: satellites, then stations).
    routes
        Earliest arrivals at each national node (store and forward included).
    outage
        What was out of service.
    """

    config: NetworkConfig
    space: SpaceSegmentStates
    station_names: NDArray[np.str_]
    national: list[str]
    links: LinkSet
    routes: Routes
    outage: NetworkOutage


def station_positions(config: NetworkConfig) -> F64:
    """ECEF positions of the ground stations, (G, 3) m."""
    g = config.ground_stations
    return geodetic_to_ecef(
        np.array([s.lat_deg for s in g]) * DEG,
        np.array([s.lon_deg for s in g]) * DEG,
        np.array([s.alt_km for s in g]) * KM,
    )


def network_links(
    config: NetworkConfig, space: SpaceSegmentStates, outage: NetworkOutage | None = None
) -> LinkSet:
    """Crosslinks and ground contacts that are up at each step (module notes)."""
    outage = outage or NetworkOutage()
    parts = [_crosslinks(config, space, outage)]
    n = space.sat_id.size
    positions = station_positions(config)
    for g, station in enumerate(config.ground_stations):
        if station.name in outage.stations:
            continue
        served = np.isin(space.owner, station.served_owners)
        step, sat, rng = ground_contacts(
            space.r_ecef,
            space.valid & served[:, None],
            positions[g],
            station.min_elevation_rad,
            station.terminals,
        )
        service = np.full(step.size, config.message_bits / (station.data_rate_mbps * MBPS))
        delay = hop_delay_s(
            rng, config.hop_processing_s, config.message_bits, station.data_rate_mbps * MBPS
        )
        kind = np.full(step.size, DOWNLINK, np.int8)
        parts.append(LinkSet(step, sat, np.full(step.size, n + g), kind, rng, delay, service))
    return LinkSet.concat(parts)


def _crosslinks(config: NetworkConfig, space: SpaceSegmentStates, outage: NetworkOutage) -> LinkSet:
    parts = []
    working = ~np.isin(space.sat_id, list(outage.crosslink_satellites))
    for xl in config.crosslinks:
        members = np.flatnonzero(space.constellation == xl.constellation)
        step, i, j, rng = mutual_nearest_links(
            space.r_ecef[members],
            space.valid[members] & working[members, None],
            xl.terminals,
            xl.max_range_m,
            xl.grazing_altitude_m,
        )
        up = acquired(step, i, j, space.seconds, xl.acquisition_s)
        step, i, j, rng = step[up], members[i[up]], members[j[up]], rng[up]
        delay = hop_delay_s(
            rng, config.hop_processing_s, config.message_bits, xl.data_rate_mbps * MBPS
        )
        service = np.full(step.size, config.message_bits / (xl.data_rate_mbps * MBPS))
        kind = np.full(step.size, CROSSLINK, np.int8)
        parts.append(LinkSet(step, i, j, kind, rng, delay, service))
    return LinkSet.concat(parts)


def build_network(
    config: NetworkConfig,
    space: SpaceSegmentStates,
    outage: NetworkOutage | None = None,
    load: ReportLoad | None = None,
) -> Network:
    """Links and routes of every step, and each report's earliest arrival at each node.

    Parameters
    ----------
    config, space, outage
        The ``network`` section, the satellites' states, an attack on the network.
    load : ReportLoad, optional
        What each satellite sends around each step, as bursts of reports
        (:meth:`tracklayer.network.routes.ReportLoad.from_bursts`: the raid's burst where
        it happens, not the run's mean). When given, every link gets a queueing delay:
        the load of the first routing's shortest-path trees on each link at each step,
        as an M^X/D/1 queue of the link's serialisation time
        (:func:`tracklayer.network.routes.batch_wait_s`; a saturated link is dropped).
        When some link waits longer than :data:`REROUTE_WAIT_S` the routes are searched
        again with those delays; otherwise the routes stay and each adds the waits along
        it. None: no queueing (light load).
    """
    outage = outage or NetworkOutage()
    links = network_links(config, space, outage)
    national = sorted({n.owner for n in config.nodes if n.owner != JOINT_NODE_OWNER})
    graph = _RoutingGraph(config, space, outage, national)
    dist, edges, parent = graph.search(links)
    if load is not None and len(links):
        links, wait, tree_wait = graph.with_queueing(links, parent, edges, load)
        if np.any(wait > REROUTE_WAIT_S):
            dist, edges, parent = graph.search(links)  # queues long enough to move routes
        else:
            dist = dist + tree_wait  # the same routes, each with its waits added
    n = space.sat_id.size
    processing = np.array([_node(config, o).processing_s for o in national])
    delay = dist[:, :, :n] + processing[:, None, None]
    hops = np.where(edges[:, :, :n] > 0, edges[:, :, :n] - 1, -1)  # less the terrestrial edge
    arrival, taken = earliest_arrival(space.seconds, delay, hops)
    stations = np.array([s.name for s in config.ground_stations])
    return Network(config, space, stations, national, links, Routes(arrival, taken, delay), outage)


#: A queue longer than this on some link makes the routes be searched again, s. Shorter
#: waits (microseconds at the detection rates of a raid) cannot move a route worth moving.
REROUTE_WAIT_S = 1.0e-3


class _RoutingGraph:
    """The per-step graph of satellites, stations and national nodes, searched from each node.

    Edges point from the destination towards the sources (see
    :func:`tracklayer.network.routes.shortest_delays`): node -> station (terrestrial
    latency), station -> satellite (downlink), satellite <-> satellite (crosslinks).
    """

    def __init__(
        self,
        config: NetworkConfig,
        space: SpaceSegmentStates,
        outage: NetworkOutage,
        national: list[str],
    ) -> None:
        self.n, g, self.t = space.sat_id.size, len(config.ground_stations), space.seconds.size
        self.seconds = space.seconds
        self.n_vertices = self.n + g + len(national)
        node_vertex = {owner: self.n + g + p for p, owner in enumerate(national)}
        feeds = [
            (node_vertex[owner], self.n + k, station.node_latency_s)
            for k, station in enumerate(config.ground_stations)
            if station.name not in outage.stations
            for owner in station.served_owners
            if owner in node_vertex
        ]
        self.terrestrial = _every_step(feeds, self.t)
        self.sources = np.array([node_vertex[o] for o in national], np.int64)
        self.sender = [np.where(space.owner == o, 1.0, 0.0) for o in national]

    def search(self, links: LinkSet) -> tuple[F64, I64, I64]:
        """Distances, edge counts and trees from every national node, all steps at once."""
        up = links.delay_s < np.inf
        down_link = [links.step[up], links.b[up], links.a[up], links.delay_s[up]]
        cross = up & (links.kind == CROSSLINK)
        cross_back = [links.step[cross], links.a[cross], links.b[cross], links.delay_s[cross]]
        step, a, b, w = (
            np.concatenate(c) for c in zip(down_link, cross_back, self.terrestrial, strict=True)
        )
        return shortest_trees(self.n_vertices, self.t, step, a, b, w, self.sources)

    def with_queueing(
        self, links: LinkSet, parent: I64, edges: I64, load: ReportLoad
    ) -> tuple[LinkSet, F64, F64]:
        """The links with their M^X/D/1 waits under the load of the trees' routes.

        Returns
        -------
        links
            The links, each delay with its wait (``inf`` where saturated).
        wait_s : (L,)
            Each link's wait, s.
        tree_wait_s : (P, T, V)
            Waits summed along each vertex's route in the given trees, s.
        """
        v = self.n_vertices
        link_key = (links.step * v + np.minimum(links.a, links.b)) * v + np.maximum(
            links.a, links.b
        )
        order = np.argsort(link_key)
        sorted_key = link_key[order]
        steps = np.broadcast_to(np.arange(self.t)[:, None], (self.t, v))
        # Each tree edge (vertex -> parent) as its row in ``links`` (-1: terrestrial edge).
        row = np.full(parent.shape, -1, np.int64)
        for k in range(parent.shape[0]):
            up = parent[k]
            key = (steps * v + np.minimum(np.arange(v), up)) * v + np.maximum(np.arange(v), up)
            at = np.minimum(np.searchsorted(sorted_key, key), order.size - 1)
            row[k] = np.where((up >= 0) & (sorted_key[at] == key), order[at], -1)
        on_link = np.zeros((2, len(links)))  # reports/s and squared bursts/s per link
        for k, sends in enumerate(self.sender):
            on = row[k] >= 0
            for m, offered in enumerate((load.rate_hz, load.square_rate_hz)):
                rate = np.zeros((self.t, v))
                rate[:, : self.n] = offered.T * sends
                np.add.at(on_link[m], row[k][on], tree_loads(parent[k], edges[k], rate)[on])
            cross = load.superposed_square_hz(parent[k], edges[k], sends, self.seconds)
            np.add.at(on_link[1], row[k][on], cross[on])
        wait = batch_wait_s(on_link[0], on_link[1], links.service_s)
        edge_wait = np.where(row >= 0, wait[np.maximum(row, 0)], 0.0)
        flat = (parent + np.arange(self.t)[None, :, None] * v).reshape(parent.shape[0], -1)
        tree_wait = np.stack(
            [
                path_totals(
                    np.where(parent[k] >= 0, flat[k].reshape(self.t, v), -1).ravel(),
                    edge_wait[k].ravel(),
                ).reshape(self.t, v)
                for k in range(parent.shape[0])
            ]
        )
        queued = LinkSet(
            links.step,
            links.a,
            links.b,
            links.kind,
            links.range_m,
            links.delay_s + wait,
            links.service_s,
        )
        return queued, wait, tree_wait


def _every_step(feeds: list[tuple[int, int, float]], n_steps: int) -> list[NDArray[np.generic]]:
    if not feeds:
        z = np.zeros(0, np.int64)
        return [z, z, z, np.zeros(0)]
    node, station, latency = (np.array(col) for col in zip(*feeds, strict=True))
    step = np.repeat(np.arange(n_steps), node.size)
    return [step, np.tile(node, n_steps), np.tile(station, n_steps), np.tile(latency, n_steps)]


def _node(config: NetworkConfig, owner: str) -> ProcessingNode:
    node = config.node_of(owner)
    assert node is not None
    return node
