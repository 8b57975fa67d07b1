"""Stage functions: a scenario in, each stage's tables and files out.

These mirror the command line (``tracklayer coverage`` calls :func:`write_coverage`) and
form the Python API re-exported by :mod:`tracklayer`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from rich.table import Table

from tracklayer.constants import KM
from tracklayer.errors import ScenarioError
from tracklayer.io.oem import write_oem_files
from tracklayer.io.parquet import write_table
from tracklayer.metrics.coverage import JOINT, CoverageResult, compute_coverage
from tracklayer.metrics.grid import equal_area_grid
from tracklayer.report.coverage_maps import plot_coverage_map
from tracklayer.scenario import Scenario
from tracklayer.space import (
    Ephemeris,
    SatelliteCatalog,
    build_space_segment,
    ephemeris_table,
    propagate,
    satellites_table,
)

Progress = Callable[[int, int], None]


def demo_scenario_path() -> Path:
    """Path of the built-in demo scenario (``examples/demo.yaml``, shipped in the package)."""
    return Path(str(resources.files("tracklayer").joinpath("examples/demo.yaml")))


def space_segment(scenario: Scenario) -> SatelliteCatalog:
    """Every satellite of the scenario, with its owner, constellation and sensor."""
    return build_space_segment(scenario.space.constellations, scenario.epoch, Path.cwd())


def ephemeris(
    scenario: Scenario, catalog: SatelliteCatalog, seconds: NDArray[np.float64] | None = None
) -> Ephemeris:
    """ECEF states of every satellite at ``seconds`` since the epoch.

    The default samples the raid span: ``0 .. duration_s`` every ``step_s``.
    """
    if seconds is None:
        seconds = np.arange(0.0, scenario.duration_s + 1e-9, scenario.step_s)
    return propagate(catalog, scenario.epoch, seconds)


@dataclass
class CoverageRun:
    """A coverage analysis: its result, the satellites it used, and the files written."""

    result: CoverageResult
    catalog: SatelliteCatalog
    files: list[Path] = field(default_factory=list)


def coverage(
    scenario: Scenario,
    catalog: SatelliteCatalog | None = None,
    progress: Progress | None = None,
) -> CoverageResult:
    """Coverage figures of merit of the scenario's ``coverage`` section, per owner and joint."""
    config = scenario.coverage
    if config is None:
        raise ScenarioError("the scenario has no `coverage` section to analyse")
    catalog = space_segment(scenario) if catalog is None else catalog
    try:
        grid = equal_area_grid(config.cell_size_deg, config.region)
    except ValueError as exc:
        raise ScenarioError(f"coverage.region: {exc}") from None
    seconds = config.sample_seconds(scenario.epoch)
    states = propagate(catalog, scenario.epoch, seconds)
    sensor_names = sorted(set(catalog.sensor.tolist()))
    constraints = [config.constraints_for(scenario.sensors[name]) for name in sensor_names]
    constraint_index = np.searchsorted(sensor_names, catalog.sensor)
    return compute_coverage(
        states.r_ecef,
        seconds,
        constraints,
        constraint_index,
        catalog.owner,
        grid,
        altitudes_m=config.altitudes_m,
        ks=config.k,
        progress=progress,
        end_s=float(seconds[0] + config.duration_s),
    )


def write_coverage(
    scenario: Scenario, out_dir: Path, progress: Progress | None = None
) -> CoverageRun:
    """Run :func:`coverage` and write its tables and maps into ``out_dir``.

    Files: ``satellites.parquet``, ``coverage_cells.parquet``, ``coverage_summary.parquet``
    and ``maps/coverage_<alt>km_<figure>.png``.
    """
    catalog = space_segment(scenario)
    result = coverage(scenario, catalog, progress)
    files = [
        write_table(satellites_table(catalog, scenario.epoch), out_dir / "satellites.parquet"),
        write_table(result.cells_table(), out_dir / "coverage_cells.parquet"),
        write_table(result.summary_table(), out_dir / "coverage_summary.parquet"),
    ]
    files += write_coverage_maps(result, out_dir / "maps")
    return CoverageRun(result, catalog, [f.relative_to(out_dir) for f in files])


def write_coverage_maps(result: CoverageResult, folder: Path) -> list[Path]:
    """One PNG per altitude and figure of merit, with a panel per owner and the joint."""
    paths = []
    span_h = result.span_s / 3600.0
    for a, altitude_m in enumerate(result.altitudes_m):
        alt = f"{altitude_m / KM:g}"
        for j, k in enumerate(result.ks):
            paths.append(
                plot_coverage_map(
                    result.grid,
                    {g: result.pct_time[j, i, a] for i, g in enumerate(result.groups)},
                    title=f"Time seen by at least {k} satellite{'s' if k > 1 else ''}, "
                    f"targets at {alt} km, over {span_h:g} h",
                    colorbar_label="% of time",
                    path=folder / f"coverage_{alt}km_pct_time_k{k}.png",
                    vmin=0.0,
                    vmax=100.0,
                )
            )
        gaps_min = result.max_gap_s[:, a] / 60.0
        paths.append(
            plot_coverage_map(
                result.grid,
                {g: gaps_min[i] for i, g in enumerate(result.groups)},
                title=f"Longest gap with no satellite in view, targets at {alt} km",
                colorbar_label="longest gap, min",
                path=folder / f"coverage_{alt}km_max_gap.png",
                vmin=0.0,
                vmax=max(1.0, float(np.nanmax(gaps_min[:, result.grid.mask]))),
                cmap="magma_r",
            )
        )
    return paths


def coverage_summary_rich(run: CoverageRun) -> Table:
    """The coverage summary as a Rich table: one row per owner (and joint) and altitude."""
    summary = run.result.summary_table().to_pylist()
    ks = run.result.ks
    counts = dict(zip(*np.unique(run.catalog.owner, return_counts=True), strict=True))
    table = Table(title="Coverage over the region (area-weighted)")
    table.add_column("owner")
    table.add_column("sats", justify="right")
    table.add_column("alt km", justify="right")
    for k in ks:
        table.add_column(f"% time k>={k}", justify="right")
    table.add_column("mean in view", justify="right")
    table.add_column("worst gap min", justify="right")
    table.add_column(f"joint gain k>={ks[-1]}", justify="right")
    for row in summary:
        group = str(row["group"])
        sats = len(run.catalog) if group == JOINT else int(counts.get(group, 0))
        gain = row.get(f"gain_pct_time_k{ks[-1]}")
        table.add_row(
            f"[bold]{group}[/]" if group == JOINT else group,
            str(sats),
            f"{row['altitude_m'] / KM:g}",
            *[f"{row[f'pct_time_k{k}']:.1f}" for k in ks],
            f"{row['mean_in_view']:.2f}",
            f"{row['max_gap_s'] / 60.0:.1f}",
            "" if gain is None else f"{gain:+.1f} pts",
        )
    return table


def write_ephemeris(
    scenario: Scenario, out_dir: Path, *, oem: bool = True, progress: Progress | None = None
) -> list[Path]:
    """Propagate over the raid span and write ``satellites.parquet``, ``ephemeris.parquet``
    and, with ``oem``, one CCSDS OEM file per satellite in ``oem/``."""
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


def truth_table(scenario: Scenario) -> pa.Table:
    """The ``truth`` table of the scenario's threats (see :mod:`tracklayer.threats`)."""
    if scenario.threats is None:
        raise ScenarioError("the scenario has no `threats` section to fly")
    from tracklayer.threats.flyout import run_flyout

    return run_flyout(
        scenario.threats,
        epoch=scenario.epoch,
        seed=scenario.seed,
        step_s=scenario.step_s,
        duration_s=scenario.duration_s,
    )


def write_flyout(scenario: Scenario, out_dir: Path) -> list[Path]:
    """Fly the threats and write ``truth.parquet`` and the flyout plots."""
    truth = truth_table(scenario)
    from tracklayer.report.flyout import plot_flyout

    files = [write_table(truth, out_dir / "truth.parquet")]
    files += plot_flyout(truth, out_dir / "plots")
    return [f.relative_to(out_dir) for f in files]
