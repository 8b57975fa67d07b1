"""The end-to-end run: every stage of a scenario, written to one folder.

:func:`write_run` runs the stages of :data:`tracklayer.raid.STAGES` through their
content-addressed cache (``DIR/.cache/<stage>-<key>/``) and writes every table they
return, the coverage maps, the resilience analysis, the globe's scene and the report.
It computes nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from tracklayer.background import Background, Pending
from tracklayer.io.parquet import write_table
from tracklayer.losses.resilience import DrawTables, PlainRun
from tracklayer.pipeline import write_scenario_copy
from tracklayer.raid import NETWORK, RAID, StageCache, StageRun, run_stages
from tracklayer.scenario import Scenario
from tracklayer.space import SatelliteCatalog, ephemeris_table, satellites_table
from tracklayer.stages.coverage import coverage_grid
from tracklayer.stages.space import ephemeris, space_segment

__all__ = ["SCENE_STEP_S", "write_run"]

Progress = Callable[[str], None]

#: Sampling of the satellites in the globe's scene, s.
SCENE_STEP_S = 60.0


def write_run(
    scenario: Scenario,
    out_dir: Path,
    cache_dir: Path | None,
    progress: Progress | None = None,
) -> tuple[list[Path], StageRun | None]:
    """Run every stage the scenario defines and write its tables and plots to ``out_dir``.

    Returns
    -------
    files, raid
        The files written (relative to ``out_dir``), and the raid's tables when the
        scenario has threats (None otherwise).
    """
    from tracklayer.report.html import write_report

    say = progress or (lambda _stage: None)
    cache = StageCache(cache_dir)
    catalog = space_segment(scenario)
    files = [
        write_scenario_copy(scenario, out_dir),
        write_table(satellites_table(catalog, scenario.epoch), out_dir / "satellites.parquet"),
    ]
    raid = None
    # Maps and the scene are written by workers beside the stages (tables by the caller).
    with Background() as background:
        plain, maps = PlainRun(), None
        if scenario.coverage is not None:
            tables, maps = _write_coverage(scenario, catalog, cache, out_dir, say, background)
            files += [write_table(t, out_dir / f"{name}.parquet") for name, t in tables.items()]
            plain = PlainRun(coverage_summary=tables["coverage_summary"])
        maps_at, draws, scene = len(files), None, None
        if scenario.threats is not None:
            # The losses' draws need only the threats' truth: they run beside the raid.
            flown = run_stages(scenario, RAID, cache, say, catalog=catalog, until=("truth",))
            draws = _start_losses(background, scenario, catalog, cache, plain, flown.truth)
            raid = run_stages(scenario, RAID, cache, say, given=flown.tables, catalog=catalog)
            scene = background.submit(_write_scene, scenario, catalog, raid, out_dir)
            files += _write_raid(scenario, catalog, cache, out_dir, say, raid)
        elif scenario.losses is not None:
            draws = _start_losses(background, scenario, catalog, cache, plain, None)
        if draws is not None:
            if raid is not None:
                plain = PlainRun(plain.coverage_summary, raid.metrics, raid.tracker_metrics)
            files += _write_losses(scenario, catalog, draws, plain, cache, out_dir, say)
        if scene is None:
            scene = background.submit(_write_scene, scenario, catalog, raid, out_dir)
        files.append(scene.result())
        if maps is not None:
            files[maps_at:maps_at] = maps.result()
    say("report")
    files.append(write_report(out_dir))
    return [f.relative_to(out_dir) for f in files], raid


def _write_raid(
    scenario: Scenario,
    catalog: SatelliteCatalog,
    cache: StageCache,
    out_dir: Path,
    say: Progress,
    raid: StageRun,
) -> list[Path]:
    """The raid's tables, then the attacks on its network and theirs, written."""
    files = [write_table(t, out_dir / f"{name}.parquet") for name, t in raid.tables.items()]
    if scenario.network is not None:  # attacks on the network, after the raid
        more = run_stages(scenario, NETWORK, cache, say, given=raid.tables, catalog=catalog)
        files += [
            write_table(t, out_dir / f"{name}.parquet")
            for name, t in more.tables.items()
            if name not in raid.tables
        ]
    return files


def _start_losses(
    background: Background,
    scenario: Scenario,
    catalog: SatelliteCatalog,
    cache: StageCache,
    plain: PlainRun,
    truth: pa.Table | None,
) -> Pending[DrawTables] | None:
    """The losses' draws, started beside the caller (None without a ``losses`` section);
    the draws that lose nothing are left to the plain run's tables."""
    if scenario.losses is None:
        return None
    from tracklayer.losses.resilience import loss_draws

    return background.submit(
        loss_draws, scenario, catalog, truth=truth, cache=cache,
        plain_coverage=plain.coverage_summary,
    )  # fmt: skip


def _write_coverage(
    scenario: Scenario,
    catalog: SatelliteCatalog,
    cache: StageCache,
    out_dir: Path,
    say: Progress,
    background: Background,
) -> tuple[dict[str, pa.Table], Pending[list[Path]]]:
    """The coverage stage's tables, and its maps (drawn beside the caller)."""
    from tracklayer.report.coverage_maps import write_coverage_maps

    config = scenario.coverage
    assert config is not None
    tables = run_stages(scenario, "coverage", cache, say, catalog=catalog).tables
    maps = background.submit(
        write_coverage_maps, coverage_grid(scenario), tables["coverage_cells"], config.k,
        config.duration_s, out_dir / "maps",
    )  # fmt: skip
    return tables, maps


def _write_losses(
    scenario: Scenario,
    catalog: SatelliteCatalog,
    draws: Pending[DrawTables],
    plain: PlainRun,
    cache: StageCache,
    out_dir: Path,
    say: Progress,
) -> list[Path]:
    """Metrics against satellites lost: the draws, their summary, and the curves."""
    from tracklayer.losses.resilience import losses_summary, losses_table
    from tracklayer.report.losses import plot_losses

    config = scenario.losses
    assert config is not None
    say("losses")  # the draws ran beside the raid; this waits for the last of them
    losses = losses_table(scenario, catalog, draws.result(), plain=plain, cache=cache)
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


def _coverage_box_deg(scenario: Scenario) -> tuple[float, float, float, float] | None:
    """The coverage region's (west, south, east, north) box, degrees (none when global)."""
    from tracklayer.io.scene_layers import box_of_degrees

    region = scenario.coverage.region if scenario.coverage is not None else None
    if region is None or region.kind == "global":
        return None
    if region.kind == "box":
        lat_deg = [region.lat_min_deg, region.lat_max_deg]
        west, south, _, north = box_of_degrees(lat_deg, [region.lon_min_deg] * 2)
        return (west, south, west + region.lon_width_deg, north)
    vertices = np.asarray(region.vertices_deg, dtype=np.float64)
    return box_of_degrees(vertices[:, 0], vertices[:, 1])


def _write_scene(
    scenario: Scenario, catalog: SatelliteCatalog, raid: StageRun | None, out_dir: Path
) -> Path:
    """``scene.czml`` for the globe viewer: satellites every :data:`SCENE_STEP_S` (half an
    orbit either side of the run, for orbit paths), truth, tracks, sight lines; with a
    network, its ground stations and links."""
    from tracklayer.io.czml import write_czml
    from tracklayer.io.scene import scene_czml, scene_seconds
    from tracklayer.sensors.footprint import satellite_footprints_m, satellite_limb_rings

    satellites = satellites_table(catalog, scenario.epoch)
    seconds = scene_seconds(scenario.duration_s, satellites, SCENE_STEP_S)
    sensing = (
        scenario.sensors,
        satellites["sat_id"].to_pylist(),
        satellites["sensor"].to_pylist(),
        satellites["sma_m"].to_numpy(),
    )
    packets = scene_czml(
        truth=None if raid is None else raid.truth,
        tracks=None if raid is None else raid.tracks,
        ephemeris=ephemeris_table(catalog, ephemeris(scenario, catalog, seconds)),
        satellites=satellites,
        detections=None if raid is None else raid.detections,
        epoch=scenario.epoch,
        name=scenario.name,
        footprint_m=satellite_footprints_m(*sensing),
        limb_rings=satellite_limb_rings(*sensing),
        region_deg=None if raid is not None else _coverage_box_deg(scenario),
    )
    links = None if raid is None else raid.tables.get("links")
    if links is not None and scenario.network is not None:  # the network's links, while up
        from tracklayer.io.czml_network import network_link_packets
        from tracklayer.network.layer import station_positions

        names = [g.name for g in scenario.network.ground_stations]
        stations = dict(zip(names, station_positions(scenario.network).tolist(), strict=True))
        packets += network_link_packets(links, stations)
    return write_czml(packets, out_dir / "scene.czml")
