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
from tracklayer.network.routes import Routes, earliest_arrival, shortest_delays

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
        delay = hop_delay_s(
            rng, config.hop_processing_s, config.message_bits, station.data_rate_mbps * MBPS
        )
        kind = np.full(step.size, DOWNLINK, np.int8)
        parts.append(LinkSet(step, sat, np.full(step.size, n + g), kind, rng, delay))
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
        parts.append(LinkSet(step, i, j, np.full(step.size, CROSSLINK, np.int8), rng, delay))
    return LinkSet.concat(parts)


def build_network(
    config: NetworkConfig, space: SpaceSegmentStates, outage: NetworkOutage | None = None
) -> Network:
    """Links and routes of every step, and each report's earliest arrival at each node."""
    outage = outage or NetworkOutage()
    links = network_links(config, space, outage)
    national = sorted({n.owner for n in config.nodes if n.owner != JOINT_NODE_OWNER})
    n, g, t = space.sat_id.size, len(config.ground_stations), space.seconds.size
    node_vertex = {owner: n + g + p for p, owner in enumerate(national)}
    # Edges point from the destination towards the sources (see routes.shortest_delays).
    up_down = [links.step, links.b, links.a, links.delay_s]
    cross = links.kind == CROSSLINK
    down_up = [links.step[cross], links.a[cross], links.b[cross], links.delay_s[cross]]
    feeds = [
        (node_vertex[owner], n + k, station.node_latency_s)
        for k, station in enumerate(config.ground_stations)
        if station.name not in outage.stations
        for owner in station.served_owners
        if owner in node_vertex
    ]
    terrestrial = _every_step(feeds, t)
    step, a, b, w = (
        np.concatenate(cols) for cols in zip(up_down, down_up, terrestrial, strict=True)
    )
    sources = np.array([node_vertex[o] for o in national], np.int64)
    dist, edges = shortest_delays(n + g + len(national), t, step, a, b, w, sources)
    processing = np.array([_node(config, o).processing_s for o in national])
    delay = dist[:, :, :n] + processing[:, None, None]
    hops = np.where(edges[:, :, :n] > 0, edges[:, :, :n] - 1, -1)  # less the terrestrial edge
    arrival, taken = earliest_arrival(space.seconds, delay, hops)
    routes = Routes(arrival, taken, delay)
    return Network(
        config,
        space,
        np.array([s.name for s in config.ground_stations]),
        national,
        links,
        routes,
        outage,
    )


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
