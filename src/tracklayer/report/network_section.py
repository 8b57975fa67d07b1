"""The report's network section: links, latency per node, warning times, attacks.

A run whose scenario has a ``network`` section writes the connected layer's tables
(:mod:`tracklayer.stages.network`): ``links`` (sampled link states), ``latency`` (per node,
:func:`tracklayer.network.warning.latency_table`), ``warning`` (per threat and node,
:func:`tracklayer.network.warning.warning_table`), ``warning_joint_vs_alone``
(:func:`tracklayer.network.warning.joint_vs_alone`), ``national_warning`` (per nation
and threat, alone and in its fused picture with its partners' tracks,
:func:`tracklayer.network.pictures.national_warning`) and, with attacks,
``network_attacks`` and its curves (:func:`tracklayer.network.attacks.attack_summary`).
This section shows them; where a derived table is missing it is derived here with the
same functions. Times are seconds; warning times are from the threat's launch.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracklayer.io.parquet import read_table
from tracklayer.network.attacks import attack_summary
from tracklayer.network.warning import joint_vs_alone
from tracklayer.report.markup import CellLike, figure, figure_png, fmt, html_table, note
from tracklayer.report.network_map import link_map

__all__ = ["NETWORK_TABLES", "network_section"]

#: The tables of the connected layer that the section reads, when the run folder has them.
NETWORK_TABLES = (
    "links",
    "link_ends",
    "latency",
    "warning",
    "warning_joint_vs_alone",
    "national_warning",
    "network_attacks",
    "network_attacks_summary",
)

_READING = (
    "Detections travel from each satellite over crosslinks and downlinks to the owners' "
    "processing nodes (and, where shared, to the combined C2 node); each node tracks with "
    "what has arrived. Latency is detection time to arrival at the node. The warning time "
    "of a threat at a node is from launch to the moment the node holds a confirmed track "
    "of it: the track's first time plus the age of its report, what the network cost. A "
    "nation whose partners release their tracks to it fuses them with its own as they "
    "arrive; its line below compares that picture with its own tracker alone."
)


def load_network_tables(run_dir: Path) -> dict[str, pa.Table]:
    """The connected layer's tables of a run folder, derived ones filled in."""
    run_dir = Path(run_dir)
    tables = {
        name: read_table(run_dir / f"{name}.parquet")
        for name in NETWORK_TABLES
        if (run_dir / f"{name}.parquet").is_file()
    }
    if "warning" in tables and "warning_joint_vs_alone" not in tables:
        tables["warning_joint_vs_alone"] = joint_vs_alone(tables["warning"])
    if "network_attacks" in tables and "network_attacks_summary" not in tables:
        tables["network_attacks_summary"] = attack_summary(tables["network_attacks"])
    return tables


def network_section(run_dir: Path) -> str:
    """The section's HTML, or ``""`` when the run had no network."""
    tables = load_network_tables(run_dir)
    if not any(t.num_rows for t in tables.values()):
        return ""
    parts = [note(_READING)]
    links, ends = tables.get("links"), tables.get("link_ends")
    if links is not None and ends is not None and links.num_rows and ends.num_rows:
        parts += ["<h3>Map of the links</h3>", _map(links, ends)]
    builders = (
        ("links", "Links", _links),
        ("latency", "Latency per node", _latency),
        ("warning", "Warning time per threat and node", _warning),
        ("warning_joint_vs_alone", "Combined node against the best national node", _joint),
        ("national_warning", "Each nation with its partners' tracks", _nations),
        ("network_attacks_summary", "Attacks on the network", _attacks),
    )
    for name, heading, build in builders:
        table = tables.get(name)
        if table is not None and table.num_rows:
            parts.append(f"<h3>{heading}</h3>")
            parts.append(build(table))
    return "\n".join(parts)


def _links(links: pa.Table) -> str:
    """Links up per sample by kind (figure) and per kind: range and delay figures."""
    seconds = pc.cast(links["time"], pa.int64()).to_numpy() / 1e9
    seconds = seconds - seconds.min()
    kinds = links["kind"].to_numpy(zero_copy_only=False).astype(str)
    fig, ax = plt.subplots(figsize=(9.0, 3.2), layout="constrained")
    rows: list[list[CellLike]] = []
    for i, kind in enumerate(sorted(set(kinds.tolist()))):
        mine = kinds == kind
        times, counts = np.unique(seconds[mine], return_counts=True)
        ax.step(times / 60.0, counts, where="post", color=f"C{i}", label=f"{kind}s")
        rng = links["range_m"].to_numpy()[mine]
        delay = links["delay_s"].to_numpy()[mine]
        rows.append(
            [kind, fmt(float(counts.mean()), 1), fmt(float(np.median(rng)) / 1e3, 0),
             fmt(float(rng.max()) / 1e3, 0), fmt(float(np.median(delay)) * 1e3, 1),
             fmt(float(delay.max()) * 1e3, 1)]
        )  # fmt: skip
    ax.set_xlabel("minutes after the first sample")
    ax.set_ylabel("links up")
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    table = html_table(
        ["kind", "mean up", "median range, km", "max range, km", "median delay, ms",
         "max delay, ms"],
        rows,
        caption="Links per kind over the sampled link states.",
    )  # fmt: skip
    return table + figure(
        figure_png(fig), alt="links up over time", caption="Links up at each link sample."
    )


def _map(links: pa.Table, link_ends: pa.Table) -> str:
    """The links at their busiest sample on a map
    (:func:`tracklayer.report.network_map.link_map`)."""
    fig, time_ns = link_map(links, link_ends)
    first_ns = int(pc.min(pc.cast(links["time"], pa.int64())).as_py())
    when = np.datetime64(time_ns, "ns").astype("datetime64[s]")
    caption = (
        f"The links up at {when} UTC, {(time_ns - first_ns) / 60e9:.1f} min after the first "
        "link sample (the sample with the most links): satellites at their sub-satellite "
        "points, each link along the ground path below its line of sight."
    )
    return figure(figure_png(fig), alt="map of the network's links", caption=caption)


def _latency(latency: pa.Table) -> str:
    rows: list[list[CellLike]] = []
    for r in latency.to_pylist():
        offered = r["offered"] or 0
        share = None if not offered else 100.0 * (r["delivered"] or 0) / offered
        rows.append(
            [str(r["node"]), fmt(r["offered"]), fmt(r["delivered"]), fmt(share), fmt(r["received"]),
             fmt(r["latency_p50_s"], 2), fmt(r["latency_p95_s"], 2), fmt(r["latency_max_s"], 2),
             fmt(r["mean_hops"], 2)]
        )  # fmt: skip
    return html_table(
        ["node", "offered", "delivered", "delivered, %", "received in the lag", "latency p50, s",
         "p95, s", "max, s", "mean hops"],
        rows,
        caption="Per node: detections offered to it (its owner's and those shared with it), "
        "delivered at all, and received within the reprocessing lag; latency of the delivered.",
    )  # fmt: skip


def _warning(warning: pa.Table) -> str:
    nodes = sorted({(str(r["tracker"]), str(r["node"])) for r in warning.to_pylist()})
    by_key: Mapping[tuple[str, str], dict[str, object]] = {
        (str(r["object_id"]), str(r["tracker"])): r for r in warning.to_pylist()
    }
    threats = sorted({str(r["object_id"]) for r in warning.to_pylist()})
    rows: list[list[CellLike]] = []
    for threat in threats:
        cells: list[CellLike] = [threat]
        for tracker, _ in nodes:
            r = by_key.get((threat, tracker), {})
            cells += [fmt(_num(r.get("warning_s")), 0), fmt(_num(r.get("warning_age_s")), 1)]
        rows.append(cells)
    headers = ["threat"]
    for _ in nodes:
        headers += ["warning, s", "report age, s"]
    return html_table(
        headers,
        rows,
        groups=[("", 1), *[(f"{node} ({tracker})", 2) for tracker, node in nodes]],
        caption="Warning time after launch at each node, and the age of the report that "
        "carried it; – : the node never held a track of the threat.",
    )


def _joint(table: pa.Table) -> str:
    rows: list[list[CellLike]] = []
    for r in table.to_pylist():
        gain = _num(r["gain_s"])
        rows.append(
            [str(r["object_id"]), str(r["best_national_tracker"] or "–"),
             fmt(_num(r["best_national_warning_s"]), 0), fmt(_num(r["joint_warning_s"]), 0),
             "–" if gain is None else f"{gain:+.0f}"]
        )  # fmt: skip
    return html_table(
        ["threat", "best national node", "its warning, s", "joint warning, s", "joint gain, s"],
        rows,
        text_columns=2,
        caption="Per threat: the earliest national warning against the combined node's; "
        "positive gain: the combined node warns first, network delays included.",
    )


def _nations(table: pa.Table) -> str:
    """One line per nation: its warnings alone and with the tracks its partners share."""
    rows: list[list[CellLike]] = []
    records = table.to_pylist()
    for nation in sorted({str(r["nation"]) for r in records}):
        mine = [r for r in records if r["nation"] == nation]
        alone = [v for r in mine if (v := _num(r["warning_alone_s"])) is not None]
        fused = [v for r in mine if (v := _num(r["warning_s"])) is not None]
        gains = [v for r in mine if (v := _num(r["gain_s"])) is not None]
        rows.append(
            [nation, str(mine[0]["node"]), str(mine[0]["partners"] or "–"),
             f"{len(alone)}/{len(mine)}", f"{len(fused)}/{len(mine)}",
             fmt(float(np.mean(alone)) if alone else None, 0),
             fmt(float(np.mean(fused)) if fused else None, 0),
             fmt(float(np.mean(gains)) if gains else None, 1),
             fmt(float(np.max(gains)) if gains else None, 1)]
        )  # fmt: skip
    return html_table(
        ["nation", "node", "fuses tracks of", "warned alone", "warned with partners",
         "mean warning alone, s", "with partners, s", "mean gain, s", "largest gain, s"],
        rows,
        text_columns=3,
        caption="Per nation: threats warned of and mean warning time after launch by its own "
        "tracker at its node, and by its node's fused picture of its own tracks and those its "
        "partners release to it, as they arrive; gain: alone minus with partners (a threat "
        "warned of on both sides).",
    )  # fmt: skip


def _attacks(summary: pa.Table) -> str:
    rows: list[list[CellLike]] = []
    for r in summary.to_pylist():
        warned = _num(r["warned_fraction"])
        rows.append(
            [str(r["pool"]), str(r["node"]), fmt(r["k"]), fmt(r["draws"]),
             fmt(None if warned is None else 100.0 * warned, 0),
             fmt(_num(r["mean_warning_s"]), 0), fmt(_num(r["max_warning_s"]), 0),
             fmt(_num(r["mean_latency_p95_s"]), 2)]
        )  # fmt: skip
    return html_table(
        ["pool", "node", "k lost", "draws", "warned, %", "mean warning, s", "max warning, s",
         "latency p95, s"],
        rows,
        text_columns=2,
        caption="k elements of each pool (stations, terminals, nodes) out, random draws: the "
        "share of threat-draws each node warned of and its warning times.",
    )  # fmt: skip


def _num(value: object) -> float | None:
    if isinstance(value, int | float) and np.isfinite(value):
        return float(value)
    return None
