"""The connected layer: links, routes and deliveries against a per-step networkx peer.

The case: 1,000 satellites (two owners, 600 USA in a crosslinked shell at 1,000 km and
400 JPN small satellites at 600 km that store and forward), 4 crosslink terminals each,
1 Hz for 30 min (1,801 steps), 12 ground stations, two national nodes and the C2 node
(detections shared with it), and 1.2 M detections spread over the satellites and the run.
Satellite positions (circular orbits over a rotating Earth) and the detection arrays are
made before any timing.

1. tracklayer: :func:`tracklayer.network.layer.build_network` (crosslinks by mutual
   nearest neighbours on k-d trees, ground contacts, one batched Dijkstra per node over
   all steps, the links' M/D/1 queueing under the detections' load and a second search,
   store-and-forward arrivals) then :func:`tracklayer.network.delivery.deliver`
   for the 1.2 M detections; timed once each.
2. The peer, the way a user writes it with networkx: per step, a ``networkx.Graph`` of that
   step's links (the same links as ours) and ``all_pairs_dijkstra_path_length``; run on
   ``--peer-steps`` steps and extrapolated to the full run by its per-step rate. On those
   steps its satellite-to-node delays are compared with ours (the same link delays,
   queueing included).

Run: ``.venv/bin/python benchmarks/bench_network.py`` (``--quick`` for 5 minutes of 100
satellites).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import networkx as nx
import numpy as np

from tracklayer.network.config import NetworkConfig
from tracklayer.network.delivery import deliver
from tracklayer.network.layer import SpaceSegmentStates, build_network
from tracklayer.network.stage import report_load
from tracklayer.tracking.synthetic import satellite_positions

STATIONS = [
    ("COLORADO", "USA", 38.8, -104.7),
    ("GUAM", "USA", 13.4, 144.8),
    ("HAWAII", "USA", 21.3, -157.9),
    ("ALASKA", "USA", 64.8, -147.7),
    ("DIEGO", "USA", -7.3, 72.4),
    ("MAINE", "USA", 44.8, -68.8),
    ("KWAJALEIN", "USA", 9.4, 167.5),
    ("TOKYO", "JPN", 35.7, 139.7),
    ("OKINAWA", "JPN", 26.3, 127.8),
    ("HOKKAIDO", "JPN", 43.1, 141.3),
    ("KYUSHU", "JPN", 31.6, 130.6),
    ("OGASAWARA", "JPN", 27.1, 142.2),
]


def case(n_sats: int, duration_s: float, n_detections: int, seed: int = 0):
    """Space segment states, network section and detection arrays of the case."""
    seconds = np.arange(0.0, duration_s + 0.5, 1.0)
    n_us = n_sats * 3 // 5
    r = np.concatenate(
        [
            satellite_positions(n_us, seconds, altitude_km=1000.0, inclination_deg=80.0, seed=seed),
            satellite_positions(
                n_sats - n_us, seconds, altitude_km=600.0, inclination_deg=50.0, seed=seed + 1
            ),
        ]
    )
    owner = np.array(["USA"] * n_us + ["JPN"] * (n_sats - n_us))
    sat_id = np.char.add("SAT", np.char.zfill(np.arange(n_sats).astype(str), 5))
    constellation = np.where(owner == "USA", "TRK", "QZT")
    space = SpaceSegmentStates(sat_id, owner, constellation, seconds, r, np.ones(r.shape[:2], bool))
    config = NetworkConfig.model_validate(
        {
            "crosslinks": [{"constellation": "TRK", "terminals": 4, "max_range_km": 5000}],
            "ground_stations": [
                {"name": n, "owner": o, "lat_deg": la, "lon_deg": lo, "terminals": 4}
                for n, o, la, lo in STATIONS
            ],
            "nodes": [
                {"owner": "USA", "name": "US"},
                {"owner": "JPN", "name": "JP"},
                {"owner": "joint", "name": "C2"},
            ],
            "sharing": [{"from": "USA", "to": "joint"}, {"from": "JPN", "to": "joint"}],
        }
    )
    rng = np.random.default_rng(seed)
    det_sat = rng.integers(0, n_sats, n_detections)
    det_t = np.sort(rng.uniform(0.0, duration_s, n_detections))
    return space, config, det_t, sat_id[det_sat], owner[det_sat]


def peer(space: SpaceSegmentStates, config: NetworkConfig, net, steps: np.ndarray) -> float:
    """networkx per step: the same links, all-pairs Dijkstra; returns seconds per step.

    Also checks its satellite-to-national-node delays against ours.
    """
    n, g = space.sat_id.size, len(config.ground_stations)
    stations = config.ground_stations
    node_vertex = {o: n + g + p for p, o in enumerate(net.national)}
    start = time.perf_counter()
    worst = 0.0
    for s in steps:
        graph = nx.DiGraph()
        here = net.links.step == s
        for a, b, w, k in zip(
            net.links.a[here],
            net.links.b[here],
            net.links.delay_s[here],
            net.links.kind[here],
            strict=True,
        ):
            graph.add_edge(int(a), int(b), weight=float(w))
            if k == 0:
                graph.add_edge(int(b), int(a), weight=float(w))
        for j, st in enumerate(stations):
            for o in st.served_owners:
                graph.add_edge(n + j, node_vertex[o], weight=st.node_latency_s)
        lengths = dict(nx.all_pairs_dijkstra_path_length(graph))
        for p, o in enumerate(net.national):
            mine = np.flatnonzero(space.owner == o)
            theirs = np.array([lengths.get(int(v), {}).get(node_vertex[o], np.inf) for v in mine])
            ours = net.routes.delay_s[p, s, mine]
            both = np.isfinite(theirs) | np.isfinite(ours)
            if np.any(both):
                worst = max(worst, float(np.max(np.abs(np.nan_to_num(theirs[both] - ours[both])))))
            assert np.array_equal(np.isfinite(theirs), np.isfinite(ours))
    elapsed = (time.perf_counter() - start) / steps.size
    print(f"peer agreement: largest delay difference {worst:.2e} s over {steps.size} steps")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sats", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=1800.0)
    parser.add_argument("--detections", type=int, default=1_200_000)
    parser.add_argument("--peer-steps", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.sats, args.duration, args.detections = 100, 300.0, 100_000
    space, config, det_t, det_sensor, det_owner = case(args.sats, args.duration, args.detections)
    print(
        f"python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    start = time.perf_counter()
    load = report_load(space, det_sensor, det_t, config.queue_window_s)
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    net = build_network(config, space, load=load)
    built = time.perf_counter() - start + loaded
    start = time.perf_counter()
    arrivals = deliver(net, det_t, det_sensor, det_owner)
    delivered = time.perf_counter() - start
    steps = space.seconds.size
    print(
        f"links: {len(net.links):,} link-steps over {steps} steps; "
        f"deliveries: {arrivals.row.size:,} rows"
    )
    print(
        f"tracklayer report bursts: {loaded:.2f} s; build_network (bursts included): "
        f"{built:.2f} s; deliver: {delivered:.2f} s; "
        f"total {built + delivered:.2f} s ({(built + delivered) / steps * 1e3:.2f} ms/step)"
    )
    pick = np.linspace(0, steps - 1, args.peer_steps).astype(int)
    per_step = peer(space, config, net, pick)
    print(
        f"networkx all-pairs per step: {per_step:.2f} s/step; extrapolated to {steps} steps: "
        f"{per_step * steps:.0f} s ({per_step * steps / built:.0f}x build_network)"
    )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
