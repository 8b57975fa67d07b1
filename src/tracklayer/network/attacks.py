"""Attacks on the network as loss pools: warning time against what is lost.

A pool says what an attacker takes out for the whole run: ``stations`` (ground entry
points lost or jammed), ``crosslink_terminals`` (satellites whose crosslink terminals
fail; they fall back to store and forward) or ``nodes`` (processing nodes cut off), from
every owner or from one (``owner``). For each count k and each of ``draws`` seeded random
draws, the network, deliveries and node trackers are run again and scored; the result is
one row per draw, node tracker and threat with its warning time (null: never warned),
and per node the latency p95. :func:`attack_summary` gives the loss curves: per k and
node, the fraction of threats warned and the mean warning time of those warned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.errors import ScenarioError
from tracklayer.metrics.tracking import tracking_metrics
from tracklayer.network.config import NetworkAttacks, NetworkConfig
from tracklayer.network.layer import NetworkOutage, SpaceSegmentStates
from tracklayer.network.stage import run_network
from tracklayer.network.warning import warning_table
from tracklayer.tracking.config import TrackingConfig

ATTACK_SCHEMA = pa.schema(
    [
        ("pool", pa.string()),
        ("k", pa.int64()),
        ("draw", pa.int64()),
        ("lost", pa.string()),
        ("node", pa.string()),
        ("tracker", pa.string()),
        ("object_id", pa.string()),
        ("warning_s", pa.float64()),
        ("latency_p95_s", pa.float64()),
    ]
)

#: The :class:`NetworkOutage` field each pool fills.
_OUTAGE_FIELD = {
    "stations": "stations",
    "nodes": "nodes",
    "crosslink_terminals": "crosslink_satellites",
}


def attack_pool(
    attacks: NetworkAttacks, config: NetworkConfig, space: SpaceSegmentStates
) -> list[str]:
    """The names an attack draws from: stations, satellites (``sat_id``) or node owners."""
    owner = attacks.owner
    if attacks.pool == "stations":
        return [s.name for s in config.ground_stations if owner in (None, s.owner)]
    if attacks.pool == "nodes":
        return [n.owner for n in config.nodes if owner in (None, n.owner)]
    crosslinked = np.isin(space.constellation, [c.constellation for c in config.crosslinks])
    mine = crosslinked & ((space.owner == owner) if owner is not None else True)
    return [str(s) for s in space.sat_id[mine]]


def draw_outages(
    attacks: NetworkAttacks, pool: list[str], seed: int
) -> list[tuple[int, int, NetworkOutage]]:
    """``(k, draw, outage)`` for every count and draw (k = 0 once: nothing lost).

    Raises
    ------
    ScenarioError
        A count is larger than the pool.
    """
    too_big = [k for k in attacks.counts if k > len(pool)]
    if too_big:
        raise ScenarioError(
            f"network.attacks.counts: {too_big[0]} is more than the {len(pool)} "
            f"{attacks.pool} in the pool"
        )
    rng = np.random.default_rng(seed)
    out = []
    for k in attacks.counts:
        for draw in range(1 if k == 0 else attacks.draws):
            lost = frozenset(rng.choice(pool, size=k, replace=False).tolist()) if k else frozenset()
            out.append((k, draw, NetworkOutage(**{_OUTAGE_FIELD[attacks.pool]: lost})))
    return out


@dataclass(frozen=True)
class AttackBaseline:
    """The raid's own network run, with nothing lost: its ``metrics``, ``node_tracks`` and
    ``latency`` tables stand for the draw that loses nothing (k = 0) instead of a rerun."""

    metrics: pa.Table
    node_tracks: pa.Table
    latency: pa.Table


def run_attacks(
    config: NetworkConfig,
    tracking: TrackingConfig,
    space: SpaceSegmentStates,
    detections: pa.Table,
    truth: pa.Table,
    epoch: datetime,
    *,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    baseline: AttackBaseline | None = None,
) -> pa.Table:
    """Warning time of every threat at every node under each drawn attack.

    ``baseline``: the raid's tables of the same network with nothing lost, reused for the
    k = 0 draw (the same run, so the same rows) instead of running it again.

    Returns
    -------
    pyarrow.Table
        :data:`ATTACK_SCHEMA`, one row per draw, node tracker and threat.
    """
    attacks = config.attacks
    if attacks is None:
        return ATTACK_SCHEMA.empty_table()
    say = progress or (lambda _message: None)
    rows: list[dict[str, object]] = []
    node_names = {n.owner: n.name for n in config.nodes}  # trackers are named by owner (joint: C2)
    for k, draw, outage in draw_outages(attacks, attack_pool(attacks, config, space), seed):
        say(f"network attack: {attacks.pool} k={k} draw {draw}")
        if baseline is not None and outage == NetworkOutage():
            metrics, node_tracks, latency = baseline.metrics, baseline.node_tracks, baseline.latency
        else:
            # Warning at the node trackers only: no fused pictures are needed here.
            tables = run_network(
                config, tracking, space, detections, epoch, outage=outage, pictures=False
            )
            metrics, _ = tracking_metrics(truth, tables.tracks, detections, tracking)
            node_tracks, latency = tables.node_tracks, tables.latency
        expected = {n: node_names[n] for n in node_names if n not in outage.nodes}
        warning = warning_table(metrics, truth, node_tracks, epoch, expected)
        p95 = dict(
            zip(latency["node"].to_pylist(), latency["latency_p95_s"].to_pylist(), strict=True)
        )
        lost = ",".join(sorted(outage.stations | outage.nodes | outage.crosslink_satellites))
        rows += [
            {
                "pool": attacks.pool,
                "k": k,
                "draw": draw,
                "lost": lost,
                "node": w["node"],
                "tracker": w["tracker"],
                "object_id": w["object_id"],
                "warning_s": w["warning_s"],
                "latency_p95_s": p95.get(w["node"]),
            }
            for w in warning.to_pylist()
        ]
    return pa.Table.from_pylist(rows, schema=ATTACK_SCHEMA)


def attack_summary(attack_rows: pa.Table) -> pa.Table:
    """Loss curves: per pool, k and node tracker, the warned fraction and warning times.

    Columns: ``pool``, ``k``, ``tracker``, ``node``, ``draws``, ``warned_fraction`` (of
    threat-draws; a node cut off warns of nothing), ``mean_warning_s`` and
    ``max_warning_s`` over the warned ones, ``mean_latency_p95_s``.
    """
    if attack_rows.num_rows == 0:
        return pa.table(
            {
                c: pa.array([], t)
                for c, t in (
                    ("pool", pa.string()),
                    ("k", pa.int64()),
                    ("tracker", pa.string()),
                    ("node", pa.string()),
                    ("draws", pa.int64()),
                    ("warned_fraction", pa.float64()),
                    ("mean_warning_s", pa.float64()),
                    ("max_warning_s", pa.float64()),
                    ("mean_latency_p95_s", pa.float64()),
                )
            }
        )
    warned = attack_rows.append_column(
        "warned", pc.cast(pc.is_valid(attack_rows["warning_s"]), pa.float64())
    )
    grouped = warned.group_by(["pool", "k", "tracker", "node"]).aggregate(
        [
            ("draw", "count_distinct"),
            ("warned", "mean"),
            ("warning_s", "mean"),
            ("warning_s", "max"),
            ("latency_p95_s", "mean"),
        ]
    )
    return grouped.rename_columns(
        [
            "pool",
            "k",
            "tracker",
            "node",
            "draws",
            "warned_fraction",
            "mean_warning_s",
            "max_warning_s",
            "mean_latency_p95_s",
        ]
    ).sort_by([("pool", "ascending"), ("k", "ascending"), ("tracker", "ascending")])
