"""The end-to-end run: every stage of a scenario, cached by content, written to one folder.

Each stage's tables are stored under ``DIR/.cache/<stage>-<key>/`` where the key hashes
the scenario sections the stage reads and the keys of the stages it depends on, so editing
a tracker setting re-runs tracking and metrics but reuses the flyout and the detections.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from tracklayer import __version__
from tracklayer.fusion.timeline import fuse_timeline
from tracklayer.io.parquet import read_table, write_table
from tracklayer.metrics.tracking import tracking_metrics
from tracklayer.network.attacks import attack_summary, run_attacks
from tracklayer.network.scenario_run import scenario_network, scenario_space_states
from tracklayer.network.warning import warning_table
from tracklayer.report.html import write_report
from tracklayer.scenario import Scenario
from tracklayer.tracking.run import run_tracking

Tables = dict[str, pa.Table]
Progress = Callable[[str], None]


def stage_key(*parts: Any) -> str:
    """A content hash of JSON-able parts and the package version (16 hex digits)."""
    text = json.dumps([__version__, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _section(scenario: Scenario, *names: str) -> dict[str, Any]:
    dumped = scenario.model_dump(mode="json")
    return {name: dumped.get(name) for name in names}


class StageCache:
    """Tables of finished stages on disk, found again by their content key."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits: list[str] = []

    def get_or_run(self, stage: str, key: str, compute: Callable[[], Tables]) -> Tables:
        """The stage's tables from the cache, or computed and stored."""
        if self.folder is None:
            return compute()
        entry = self.folder / f"{stage}-{key}"
        manifest = entry / "tables.json"
        if manifest.is_file():
            names = json.loads(manifest.read_text())
            self.hits.append(stage)
            return {name: read_table(entry / f"{name}.parquet") for name in names}
        tables = compute()
        entry.mkdir(parents=True, exist_ok=True)
        for name, table in tables.items():
            write_table(table, entry / f"{name}.parquet")
        manifest.write_text(json.dumps(sorted(tables)))  # written last: marks a whole entry
        return tables


@dataclass
class RaidRun:
    """Every table of a raid: truth, detections, tracks (national, joint, fused), metrics."""

    truth: pa.Table
    detections: pa.Table
    tracks: pa.Table
    metrics: pa.Table
    gospa: pa.Table
    keys: Mapping[str, str]
    #: The connected layer's tables (links, deliveries, latency, node_tracks, warning),
    #: empty without a ``network`` section.
    network: Mapping[str, pa.Table] = field(default_factory=dict)


def run_raid(
    scenario: Scenario,
    cache: StageCache | None = None,
    progress: Progress | None = None,
    *,
    truth: pa.Table | None = None,
    detections: pa.Table | None = None,
) -> RaidRun:
    """Fly, sense, track (each owner alone, jointly, and fused) and score a raid.

    ``truth`` and ``detections``, when given, replace those stages (``tracklayer track``
    re-tracks a run folder's own detections).
    """
    from tracklayer import pipeline

    cache = cache or StageCache(None)
    say = progress or (lambda _stage: None)
    base = _section(scenario, "epoch", "seed", "duration_s", "step_s")
    keys = {"truth": stage_key("truth", base, _section(scenario, "threats"))}
    keys["detections"] = stage_key(
        "detections", keys["truth"], _section(scenario, "sensors", "space", "radars")
    )
    keys["tracks"] = stage_key(
        "tracks", keys["detections"], _section(scenario, "tracking", "network")
    )
    keys["metrics"] = stage_key("metrics", keys["tracks"], keys["truth"])

    if truth is None:
        say("flyout")
        truth = cache.get_or_run(
            "truth", keys["truth"], lambda: {"truth": pipeline.truth_table(scenario)}
        )["truth"]
    if detections is None:
        say("sensing")
        flown = truth
        detections = cache.get_or_run(
            "detections",
            keys["detections"],
            lambda: {"detections": pipeline.detections(scenario, flown)},
        )["detections"]
    sensed = detections
    say("tracking")

    def track() -> Tables:
        if scenario.network is not None:  # trackers at their nodes, fed by the network
            return _network_tables(scenario, sensed)
        national = run_tracking(sensed, scenario.tracking, epoch=scenario.epoch)
        # Fused at the raid's cadence, so it is scored on the same clock as the trackers.
        fused = fuse_timeline(national, scenario.epoch, interval_s=scenario.step_s)
        return {"tracks": pa.concat_tables([national, fused])}

    tracked = cache.get_or_run("tracks", keys["tracks"], track)
    tracks = tracked["tracks"]
    say("metrics")

    def score() -> Tables:
        metrics, gospa = tracking_metrics(truth, tracks, detections, scenario.tracking)
        out = {"metrics": metrics, "gospa": gospa}
        if "node_tracks" in tracked:
            out["warning"] = warning_table(metrics, truth, tracked["node_tracks"], scenario.epoch)
        return out

    scored = cache.get_or_run("metrics", keys["metrics"], score)
    network = {k: v for k, v in {**tracked, **scored}.items() if k in NETWORK_TABLES}
    return RaidRun(truth, detections, tracks, scored["metrics"], scored["gospa"], keys, network)


#: The connected layer's tables, written beside the raid's when a scenario has a network.
NETWORK_TABLES = ("links", "deliveries", "latency", "node_tracks", "warning")


def _network_tables(scenario: Scenario, detections: pa.Table) -> Tables:
    tables = scenario_network(scenario, detections)
    return {name: getattr(tables, name) for name in ("tracks", *NETWORK_TABLES[:-1])}


def write_run(
    scenario: Scenario,
    out_dir: Path,
    cache_dir: Path | None,
    progress: Progress | None = None,
) -> tuple[list[Path], RaidRun | None]:
    """Run every stage the scenario defines and write its tables and plots to ``out_dir``."""
    from tracklayer import pipeline

    say = progress or (lambda _stage: None)
    cache = StageCache(cache_dir)
    files = [pipeline.write_scenario_copy(scenario, out_dir)]
    catalog = pipeline.space_segment(scenario)
    files.append(
        write_table(
            pipeline.satellites_table(catalog, scenario.epoch), out_dir / "satellites.parquet"
        )
    )
    if scenario.coverage is not None:
        say("coverage")
        key = stage_key("coverage", _section(scenario, "epoch", "sensors", "space", "coverage"))
        tables = cache.get_or_run("coverage", key, lambda: _coverage_tables(scenario, catalog))
        for name, table in tables.items():
            files.append(write_table(table, out_dir / f"{name}.parquet"))
        config = scenario.coverage
        files += pipeline.write_coverage_maps(
            pipeline.coverage_grid(scenario),
            tables["coverage_cells"],
            config.k,
            config.duration_s,
            out_dir / "maps",
        )
    raid = None
    if scenario.threats is not None:
        raid = run_raid(scenario, cache, say)
        for name in ("truth", "detections", "tracks", "metrics", "gospa"):
            files.append(write_table(getattr(raid, name), out_dir / f"{name}.parquet"))
        for name, table in raid.network.items():
            files.append(write_table(table, out_dir / f"{name}.parquet"))
    if raid is not None and scenario.network is not None and scenario.network.attacks:
        files += _write_network_attacks(scenario, raid, cache, out_dir, say)
    if scenario.losses is not None:
        files += _write_losses(scenario, catalog, raid, cache, out_dir, say)
    files.append(_write_scene(scenario, catalog, raid, out_dir))
    say("report")
    files.append(write_report(out_dir))
    return [f.relative_to(out_dir) for f in files], raid


def _write_network_attacks(
    scenario: Scenario, raid: RaidRun, cache: StageCache, out_dir: Path, say: Progress
) -> list[Path]:
    """Warning time against stations, terminals or nodes lost: draws and loss curves."""
    assert scenario.network is not None

    def compute() -> Tables:
        rows = run_attacks(
            scenario.network,  # type: ignore[arg-type]
            scenario.tracking,
            scenario_space_states(scenario),
            raid.detections,
            raid.truth,
            scenario.epoch,
            seed=scenario.seed,
            progress=say,
        )
        return {"network_attacks": rows, "network_attacks_summary": attack_summary(rows)}

    key = stage_key("network_attacks", raid.keys["tracks"], raid.keys["truth"])
    tables = cache.get_or_run("network_attacks", key, compute)
    return [write_table(t, out_dir / f"{name}.parquet") for name, t in tables.items()]


def _coverage_tables(scenario: Scenario, catalog: Any) -> Tables:
    from tracklayer import pipeline

    result = pipeline.coverage(scenario, catalog)
    return {"coverage_cells": result.cells_table(), "coverage_summary": result.summary_table()}


def _write_losses(
    scenario: Scenario,
    catalog: Any,
    raid: RaidRun | None,
    cache: StageCache,
    out_dir: Path,
    say: Progress,
) -> list[Path]:
    """Metrics against satellites lost: the draws, their summary, and the curves."""
    from tracklayer.losses.resilience import losses_summary, run_losses
    from tracklayer.report.losses import plot_losses

    config = scenario.losses
    assert config is not None
    losses = run_losses(
        scenario,
        progress=say,
        truth=None if raid is None else raid.truth,
        catalog=catalog,
        cache=cache,
    )
    files = [
        write_table(losses, out_dir / "losses.parquet"),
        write_table(losses_summary(losses), out_dir / "losses_summary.parquet"),
    ]
    files += plot_losses(
        losses,
        out_dir / "plots",
        unit=config.pool.unit,
        subtitle=f"{config.pool.describe()}, at {config.at_s:g} s",
    )
    return files


def _write_scene(scenario: Scenario, catalog: Any, raid: RaidRun | None, out_dir: Path) -> Path:
    """``scene.czml`` for the globe viewer: satellites every 30 s, truth and tracks."""
    import numpy as np

    from tracklayer import pipeline
    from tracklayer.io.czml import scene_czml, write_czml
    from tracklayer.space import ephemeris_table

    seconds = np.arange(0.0, scenario.duration_s + 1e-9, 30.0)
    states = pipeline.ephemeris(scenario, catalog, seconds)
    packets = scene_czml(
        truth=None if raid is None else raid.truth,
        tracks=None if raid is None else raid.tracks,
        ephemeris=ephemeris_table(catalog, states),
        satellites=pipeline.satellites_table(catalog, scenario.epoch),
        epoch=scenario.epoch,
        name=scenario.name,
    )
    return write_czml(packets, out_dir / "scene.czml")
