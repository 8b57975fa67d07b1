"""The network stages: links, deliveries and trackers at their nodes; warning; attacks.

With a ``network`` section these replace the plain tracking stage: every detection
travels to the nodes that may receive it and each tracker runs where it lives
(:mod:`tracklayer.network`).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.network.attacks import AttackBaseline, attack_summary, run_attacks
from tracklayer.network.layer import NetworkOutage, SpaceSegmentStates
from tracklayer.network.pictures import national_pictures, national_warning
from tracklayer.network.stage import run_network
from tracklayer.network.warning import joint_vs_alone, warning_table
from tracklayer.scenario import Scenario
from tracklayer.space import SatelliteCatalog
from tracklayer.stages.sensing import Outage
from tracklayer.stages.space import ephemeris
from tracklayer.vocabulary import FUSED

__all__ = [
    "AttackBaseline",
    "attacks",
    "national_tables",
    "network_tables",
    "space_states",
    "warning",
]


def space_states(
    scenario: Scenario, catalog: SatelliteCatalog, states_outage: Outage | None = None
) -> SpaceSegmentStates:
    """Every satellite's ECEF states at the raid's samples, as the network sees them.

    ``states_outage`` edits the states first (satellites lost: NaN states, no links).
    """
    states = ephemeris(scenario, catalog)
    if states_outage is not None:
        states = states_outage(states)
    return SpaceSegmentStates(
        catalog.sat_id, catalog.owner, catalog.constellation, states.seconds, states.r_ecef,
        states.valid,
    )  # fmt: skip


def network_tables(
    scenario: Scenario,
    detections: pa.Table,
    catalog: SatelliteCatalog,
    outage: NetworkOutage | None = None,
    *,
    states_outage: Outage | None = None,
) -> dict[str, pa.Table]:
    """``tracks`` from the trackers at their nodes (and the C2 node's fused picture),
    ``links`` (and ``link_ends``, where their ends were), ``deliveries``, ``latency``,
    ``node_tracks`` and ``innovations`` (the node trackers' NIS). Each
    nation's own fused picture is :func:`national_tables`'s.

    ``outage`` is an attack on the network; ``states_outage`` takes satellites out of
    service (a resilience draw: they neither sense nor relay).
    """
    config = scenario.network
    if config is None:
        raise ValueError("the scenario has no network section")
    tables = run_network(
        config, scenario.tracking, space_states(scenario, catalog, states_outage), detections,
        scenario.epoch, outage=outage, fusion_interval_s=scenario.step_s, national=False,
    )  # fmt: skip
    names = ("tracks", "links", "link_ends", "deliveries", "latency", "node_tracks", "innovations")
    return {name: getattr(tables, name) for name in names}


def national_tables(scenario: Scenario, node_tracks: pa.Table) -> dict[str, pa.Table]:
    """``national_pictures``: each nation's fused picture of its own and its partners'
    tracks, from the node trackers' tracks (the C2 node's fused rows left out, as
    :func:`~tracklayer.network.stage.run_network` fuses them)."""
    config = scenario.network
    if config is None:
        raise ValueError("the scenario has no network section")
    nodes = node_tracks.filter(pc.not_equal(node_tracks["tracker"], FUSED))
    pictures = national_pictures(nodes, config, scenario.epoch, scenario.step_s)
    return {"national_pictures": pictures}


def warning(
    scenario: Scenario,
    metrics: pa.Table,
    truth: pa.Table,
    node_tracks: pa.Table,
    national_pictures: pa.Table,
) -> dict[str, pa.Table]:
    """``warning`` (per threat and node, launch to warning at the node),
    ``warning_joint_vs_alone`` (per threat, the C2 node against the best national node)
    and ``national_warning`` (per nation and threat, alone and with its partners' tracks)."""
    config = scenario.network
    if config is None:
        raise ValueError("the scenario has no network section")
    table = warning_table(metrics, truth, node_tracks, scenario.epoch)
    nations = national_warning(
        national_pictures, table, truth, config, scenario.tracking, scenario.epoch
    )
    return {
        "warning": table,
        "warning_joint_vs_alone": joint_vs_alone(table),
        "national_warning": nations,
    }


def attacks(
    scenario: Scenario,
    detections: pa.Table,
    truth: pa.Table,
    catalog: SatelliteCatalog,
    baseline: AttackBaseline | None = None,
) -> dict[str, pa.Table]:
    """``network_attacks`` (per draw, node and threat) and its loss curves.

    ``baseline``: the raid's ``metrics``, ``node_tracks`` and ``latency`` (the network with
    nothing lost), which stand for the k = 0 draw instead of a rerun.
    """
    config = scenario.network
    if config is None:
        raise ValueError("the scenario has no network section")
    rows = run_attacks(
        config, scenario.tracking, space_states(scenario, catalog), detections, truth,
        scenario.epoch, seed=scenario.seed, baseline=baseline,
    )  # fmt: skip
    return {"network_attacks": rows, "network_attacks_summary": attack_summary(rows)}
