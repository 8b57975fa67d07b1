"""The stage commands: each runs its stages and writes their tables and files to a folder.

These mirror the command line (``tracklayer coverage`` calls :func:`write_coverage`) and
form, with the stage functions of :mod:`tracklayer.stages` (re-exported here), the Python
API of :mod:`tracklayer`. The computations themselves are the stages'; this module only
writes what they return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from tracklayer.errors import ScenarioError
from tracklayer.io.parquet import read_table, write_table
from tracklayer.metrics.coverage import CoverageResult
from tracklayer.raid import run_raid
from tracklayer.scenario import Scenario, load_scenario
from tracklayer.space import SatelliteCatalog, ephemeris_table, satellites_table
from tracklayer.stages.coverage import Progress, coverage, coverage_grid
from tracklayer.stages.sensing import detections, infrared_payloads
from tracklayer.stages.space import ephemeris, raid_seconds, space_segment
from tracklayer.stages.threats import truth_table

__all__ = [
    "CoverageRun",
    "coverage",
    "coverage_grid",
    "demo_scenario_path",
    "detections",
    "ephemeris",
    "infrared_payloads",
    "raid_seconds",
    "satellites_table",
    "space_segment",
    "truth_table",
    "write_coverage",
    "write_detections",
    "write_ephemeris",
    "write_flyout",
    "write_scenario_copy",
    "write_tracks",
]


def demo_scenario_path() -> Path:
    """Path of the built-in demo scenario (``examples/demo.yaml``, shipped in the package)."""
    return Path(str(resources.files("tracklayer").joinpath("examples/demo.yaml")))


@dataclass
class CoverageRun:
    """A coverage analysis: its result, the satellites it used, and the files written."""

    result: CoverageResult
    catalog: SatelliteCatalog
    files: list[Path] = field(default_factory=list)


def write_coverage(
    scenario: Scenario, out_dir: Path, progress: Progress | None = None
) -> CoverageRun:
    """Run :func:`~tracklayer.stages.coverage.coverage` and write its tables and maps.

    Files: ``satellites.parquet``, ``coverage_cells.parquet``, ``coverage_summary.parquet``
    and ``maps/coverage_<alt>km_<figure>.png``.
    """
    from tracklayer.report.coverage_maps import write_coverage_maps

    catalog = space_segment(scenario)
    result = coverage(scenario, catalog, progress)
    cells = result.cells_table()
    files = [
        write_table(satellites_table(catalog, scenario.epoch), out_dir / "satellites.parquet"),
        write_table(cells, out_dir / "coverage_cells.parquet"),
        write_table(result.summary_table(), out_dir / "coverage_summary.parquet"),
    ]
    files += write_coverage_maps(result.grid, cells, result.ks, result.span_s, out_dir / "maps")
    return CoverageRun(result, catalog, [f.relative_to(out_dir) for f in files])


def write_ephemeris(
    scenario: Scenario, out_dir: Path, *, oem: bool = True, progress: Progress | None = None
) -> list[Path]:
    """Propagate over the raid span and write ``satellites.parquet``, ``ephemeris.parquet``
    and, with ``oem``, one CCSDS OEM file per satellite in ``oem/``."""
    from tracklayer.io.oem import write_oem_files

    catalog = space_segment(scenario)
    states = ephemeris(scenario, catalog)
    if progress is not None:
        progress(1, 1)
    files = [
        write_table(satellites_table(catalog, scenario.epoch), out_dir / "satellites.parquet"),
        write_table(ephemeris_table(catalog, states), out_dir / "ephemeris.parquet"),
    ]
    if oem:
        files += write_oem_files(out_dir / "oem", catalog, states)
    return [f.relative_to(out_dir) for f in files]


def write_flyout(scenario: Scenario, out_dir: Path) -> list[Path]:
    """Fly the threats and write ``truth.parquet`` and the flyout plots."""
    from tracklayer.report.flyout import plot_flyout

    truth = truth_table(scenario)
    files = [write_table(truth, out_dir / "truth.parquet")]
    files += plot_flyout(truth, out_dir / "plots")
    return [f.relative_to(out_dir) for f in files]


def write_scenario_copy(scenario: Scenario, out_dir: Path) -> Path:
    """Save the validated scenario (data files as absolute paths) as ``scenario.yaml``,
    so later stages (``tracklayer track DIR``) read the run folder alone."""
    data = scenario.model_dump(mode="json", exclude_defaults=False)
    path = out_dir / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def write_detections(scenario: Scenario, out_dir: Path) -> list[Path]:
    """Fly the threats, sense them, and write ``truth``, ``detections``, TDM files and plots."""
    from tracklayer.io.tdm import write_tdm_files
    from tracklayer.report.detections import plot_detections_per_owner, plot_first_detections

    truth = truth_table(scenario)
    table = detections(scenario, truth)
    sites = {r.name: (r.lat_rad, r.lon_rad) for r in scenario.radars}
    files = [
        write_scenario_copy(scenario, out_dir),
        write_table(truth, out_dir / "truth.parquet"),
        write_table(table, out_dir / "detections.parquet"),
        plot_detections_per_owner(table, out_dir / "plots" / "detections_per_owner.png"),
        plot_first_detections(table, out_dir / "plots" / "first_detections.png"),
    ]
    files += write_tdm_files(table, out_dir / "tdm", sites=sites)
    return [f.relative_to(out_dir) for f in files]


def write_tracks(run_dir: Path) -> list[Path]:
    """Track a run folder's detections and score them: ``tracks``, ``metrics``, ``gospa``.

    The folder must hold ``scenario.yaml`` and ``detections.parquet`` (as ``tracklayer
    detect`` writes them); ``truth.parquet`` is used for scoring. Every owner's tracker,
    the joint one and the fused picture are run (see :func:`tracklayer.raid.run_raid`),
    and every table of the stages after sensing is written.
    """
    run_dir = Path(run_dir)
    for name in ("scenario.yaml", "truth.parquet", "detections.parquet"):
        if not (run_dir / name).is_file():
            raise ScenarioError(f"{run_dir}: no {name} here; run `tracklayer detect` first")
    given = {name: read_table(run_dir / f"{name}.parquet") for name in ("truth", "detections")}
    raid = run_raid(load_scenario(run_dir / "scenario.yaml"), **given)
    files = [
        write_table(table, run_dir / f"{name}.parquet")
        for name, table in raid.tables.items()
        if name not in given
    ]
    return [f.relative_to(run_dir) for f in files]
