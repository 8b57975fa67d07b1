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
import pyarrow.compute as pc
import yaml
from numpy.typing import NDArray
from rich.table import Table

from tracklayer.constants import KM
from tracklayer.errors import ScenarioError
from tracklayer.io.oem import write_oem_files
from tracklayer.io.parquet import write_table
from tracklayer.metrics.coverage import JOINT, CoverageResult, compute_coverage
from tracklayer.metrics.grid import CoverageGrid, equal_area_grid
from tracklayer.report.coverage_maps import plot_coverage_map
from tracklayer.scenario import Scenario
from tracklayer.sensors.detect import detect
from tracklayer.sensors.geometry import VisibilityConstraints
from tracklayer.sensors.ir_config import InfraredParameters
from tracklayer.space import (
    Ephemeris,
    SatelliteCatalog,
    build_space_segment,
    ephemeris_table,
    propagate,
    satellites_table,
)

Progress = Callable[[int, int], None]
FloatArray = NDArray[np.float64]


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
    *,
    outage: Callable[[Ephemeris], Ephemeris] | None = None,
) -> CoverageResult:
    """Coverage figures of merit of the scenario's ``coverage`` section, per owner and joint.

    ``outage``, when given, edits the propagated states before they are used (e.g.
    :func:`tracklayer.losses.apply.apply_losses`: NaN states are satellites out of service).
    """
    config = scenario.coverage
    if config is None:
        raise ScenarioError("the scenario has no `coverage` section to analyse")
    catalog = space_segment(scenario) if catalog is None else catalog
    grid = coverage_grid(scenario)
    seconds = config.sample_seconds(scenario.epoch)
    states = propagate(catalog, scenario.epoch, seconds)
    if outage is not None:
        states = outage(states)
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
    cells = result.cells_table()
    files = [
        write_table(satellites_table(catalog, scenario.epoch), out_dir / "satellites.parquet"),
        write_table(cells, out_dir / "coverage_cells.parquet"),
        write_table(result.summary_table(), out_dir / "coverage_summary.parquet"),
    ]
    files += write_coverage_maps(result.grid, cells, result.ks, result.span_s, out_dir / "maps")
    return CoverageRun(result, catalog, [f.relative_to(out_dir) for f in files])


def write_coverage_maps(
    grid: CoverageGrid, cells: pa.Table, ks: list[int], span_s: float, folder: Path
) -> list[Path]:
    """One PNG per altitude and figure of merit, with a panel per owner and the joint.

    Parameters
    ----------
    grid
        The coverage grid the ``cells`` table refers to (its ``cell`` column).
    cells
        The ``coverage_cells`` table.
    ks, span_s
        The multiplicities and the span's length, s, for titles.
    folder
        Output folder of the PNG files.
    """
    paths = []
    groups = [*sorted(set(cells["group"].to_pylist()) - {JOINT}), JOINT]
    for altitude_m in sorted(set(cells["altitude_m"].to_pylist())):
        layer = cells.filter(pc.equal(cells["altitude_m"], altitude_m))
        alt = f"{altitude_m / KM:g}"

        def panels(
            column: str, scale: float = 1.0, layer: pa.Table = layer
        ) -> dict[str, FloatArray]:
            out = {}
            for group in groups:
                rows = layer.filter(pc.equal(layer["group"], group))
                values = np.full(grid.n_cells, np.nan)
                values[rows["cell"].to_numpy()] = rows[column].to_numpy() * scale
                out[group] = values
            return out

        for k in ks:
            paths.append(
                plot_coverage_map(
                    grid,
                    panels(f"pct_time_k{k}"),
                    title=f"Time seen by at least {k} satellite{'s' if k > 1 else ''}, "
                    f"targets at {alt} km, over {span_s / 3600.0:g} h",
                    colorbar_label="% of time",
                    path=folder / f"coverage_{alt}km_pct_time_k{k}.png",
                    vmin=0.0,
                    vmax=100.0,
                )
            )
        gaps = panels("max_gap_s", 1.0 / 60.0)
        worst = max(float(np.nanmax(v)) for v in gaps.values())
        paths.append(
            plot_coverage_map(
                grid,
                gaps,
                title=f"Longest gap with no satellite in view, targets at {alt} km",
                colorbar_label="longest gap, min",
                path=folder / f"coverage_{alt}km_max_gap.png",
                vmin=0.0,
                vmax=max(1.0, worst),
                cmap="magma_r",
            )
        )
    return paths


def coverage_grid(scenario: Scenario) -> CoverageGrid:
    """The equal-area grid of the scenario's coverage region."""
    if scenario.coverage is None:
        raise ScenarioError("the scenario has no `coverage` section to analyse")
    try:
        return equal_area_grid(scenario.coverage.cell_size_deg, scenario.coverage.region)
    except ValueError as exc:
        raise ScenarioError(f"coverage.region: {exc}") from None


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


def sensing_seconds(scenario: Scenario) -> NDArray[np.float64]:
    """The raid's time grid, s since the epoch: ``0 .. duration_s`` every ``step_s``."""
    return np.arange(0.0, scenario.duration_s + 1e-9, scenario.step_s)


def infrared_payloads(
    scenario: Scenario,
) -> dict[str, tuple[VisibilityConstraints, InfraredParameters]]:
    """Payload name to (geometry, infrared parameters), for payloads that sense."""
    return {
        name: (payload.constraints(), payload.infrared)
        for name, payload in scenario.sensors.items()
        if payload.infrared is not None
    }


def detections(
    scenario: Scenario,
    truth: pa.Table,
    catalog: SatelliteCatalog | None = None,
    *,
    outage: Callable[[Ephemeris], Ephemeris] | None = None,
) -> pa.Table:
    """The ``detections`` table: every satellite payload and ground radar against ``truth``.

    ``outage``, when given, edits the propagated states before sensing (e.g.
    :func:`tracklayer.losses.apply.apply_losses`: invalid states sense nothing).
    """
    catalog = space_segment(scenario) if catalog is None else catalog
    states = propagate(catalog, scenario.epoch, sensing_seconds(scenario))
    if outage is not None:
        states = outage(states)
    bands = None if scenario.threats is None else dict(scenario.threats.bands)
    try:
        return detect(
            catalog,
            states,
            truth,
            infrared_payloads(scenario),
            scenario.radars,
            seed=scenario.seed,
            bands=bands,
            environment=scenario.environment,
        )
    except ValueError as exc:
        raise ScenarioError(f"sensors: {exc}") from None


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
    the joint one and the fused picture are run (see :func:`tracklayer.runner.run_raid`).
    """
    from tracklayer.io.parquet import read_table
    from tracklayer.runner import run_raid
    from tracklayer.scenario import load_scenario

    run_dir = Path(run_dir)
    for name in ("scenario.yaml", "truth.parquet", "detections.parquet"):
        if not (run_dir / name).is_file():
            raise ScenarioError(f"{run_dir}: no {name} here; run `tracklayer detect` first")
    raid = run_raid(
        load_scenario(run_dir / "scenario.yaml"),
        truth=read_table(run_dir / "truth.parquet"),
        detections=read_table(run_dir / "detections.parquet"),
    )
    files = [
        write_table(getattr(raid, name), run_dir / f"{name}.parquet")
        for name in ("tracks", "metrics", "gospa")
    ]
    return [f.relative_to(run_dir) for f in files]


def metrics_summary_rich(metrics: pa.Table) -> Table:
    """Per tracker: mean time to first detection and first track, custody, errors, GOSPA."""
    table = Table(title="Tracking, each owner alone versus joint (means over threats)")
    for name in (
        "tracker",
        "first det s",
        "first track s",
        "custody %",
        "RMSE km",
        "id switches",
        "GOSPA km",
        "false tracks",
    ):
        table.add_column(name, justify="left" if name == "tracker" else "right")
    summary = duckdb_query(
        metrics,
        """select tracker, avg(first_detection_s), avg(first_track_s),
                  100 * avg(custody_fraction), avg(rmse_pos_m) / 1000, sum(id_switches),
                  avg(mean_gospa_m) / 1000, max(false_tracks)
           from metrics group by tracker
           order by tracker = 'fused', tracker = 'joint', tracker""",
    )
    for row in summary:
        table.add_row(str(row[0]), *[_fmt(v) for v in row[1:]])
    return table


def duckdb_query(metrics: pa.Table, sql: str) -> list[tuple[object, ...]]:
    """Run DuckDB SQL over an Arrow table named ``metrics``."""
    import duckdb

    connection = duckdb.connect()
    connection.register("metrics", metrics)
    return connection.execute(sql).fetchall()


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
