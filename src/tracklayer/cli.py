"""The ``tracklayer`` command: one sub-command per pipeline stage.

Errors caused by input (a bad scenario, a malformed TLE) are printed as their message
and exit with code 2; nothing is written to the output folder then.

Each command imports what it uses when it runs, so ``tracklayer --help`` and
``tracklayer validate`` start without loading the numerical kernels, plotting, DuckDB or
the service.
"""

from __future__ import annotations

import gc
import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from tracklayer.cot.cli import register as register_cot_command
from tracklayer.errors import TracklayerError
from tracklayer.exercise.cli import register as register_exercise_command
from tracklayer.export.cli import register as register_export_command
from tracklayer.io.outputs import staged_output
from tracklayer.service.cli import register as register_service_commands
from tracklayer.service.view import register_view
from tracklayer.sweep.cli import register as register_sweep_command

app = typer.Typer(
    name="tracklayer",
    help="Design, simulate and operate a jointly run satellite missile-warning tracking layer.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
register_service_commands(app)
register_sweep_command(app)
register_view(app)
register_exercise_command(app)
register_cot_command(app)
register_export_command(app)
console = Console()
err_console = Console(stderr=True)


@app.callback()
def _collector_back_on() -> None:
    # Runs once the command line is parsed, before the command: `main` pauses the
    # garbage collector over the start-up's imports (Typer's parsing loads pydantic).
    _resume_collector()


if TYPE_CHECKING:
    import pyarrow as pa

    from tracklayer.scenario import Scenario

ScenarioArg = Annotated[
    Path, typer.Argument(help="Scenario YAML file", dir_okay=False, show_default=False)
]
OutOption = Annotated[Path, typer.Option("--out", "-o", help="Output folder (created)")]


def _resume_collector() -> None:
    """Python's cyclic garbage collector back on, the objects made while it was paused
    (modules, classes, the scenario: long-lived) moved out of its reach (``gc.freeze``), so
    that its next pass does not traverse them all at once."""
    gc.freeze()
    gc.enable()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The garbage collector paused, then resumed as it was (:func:`_resume_collector`):
    the scenario models' import and a scenario's validation make many objects and few
    cycles, and the collector's passes over them cost a tenth of ``validate``'s time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            _resume_collector()


def _load(path: Path) -> Scenario:
    with _collector_paused():
        from tracklayer.scenario import load_scenario

        scenario = load_scenario(path)
    err_console.print(f"[green]scenario[/] {scenario.name!r} from {path}")
    return scenario


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors and validators)."""
    from tracklayer.scenario import scenario_json_schema

    typer.echo(json.dumps(scenario_json_schema(), indent=2))


@app.command()
def validate(scenario: ScenarioArg) -> None:
    """Check a scenario file and say what it holds; exit 2 with the problems if it is bad."""
    with _collector_paused():
        from tracklayer.scenario import load_scenario
        from tracklayer.stages.space import space_segment

        scn = load_scenario(scenario)
        catalog = space_segment(scn)
    console.print(
        f"[green]ok[/] {scn.name!r}: {len(catalog)} satellites of "
        f"{', '.join(catalog.owners)}; epoch {scn.epoch.isoformat()}"
    )


@app.command()
def propagate(
    scenario: ScenarioArg,
    out: OutOption = Path("out/propagate"),
    oem: Annotated[bool, typer.Option(help="Also write a CCSDS OEM file")] = True,
) -> None:
    """Propagate the space segment over the scenario span: satellites, ephemeris, OEM."""
    from tracklayer.console import progress_bar
    from tracklayer.pipeline import write_ephemeris

    scn = _load(scenario)
    with staged_output(out) as stage, progress_bar("propagating", err_console) as update:
        written = write_ephemeris(scn, stage, oem=oem, progress=update)
    _report_written(out, written)


@app.command()
def coverage(scenario: ScenarioArg, out: OutOption = Path("out/coverage")) -> None:
    """Coverage figures of merit over the scenario's region, joint and per owner."""
    from tracklayer.console import coverage_summary_rich, progress_bar
    from tracklayer.pipeline import write_coverage

    scn = _load(scenario)
    with staged_output(out) as stage, progress_bar("coverage", err_console) as update:
        result = write_coverage(scn, stage, progress=update)
    console.print(coverage_summary_rich(result.result, result.catalog))
    _report_written(out, result.files)


@app.command()
def flyout(scenario: ScenarioArg, out: OutOption = Path("out/flyout")) -> None:
    """Fly the scenario's threats: the truth table, events and plots."""
    from tracklayer.pipeline import write_flyout

    scn = _load(scenario)
    with staged_output(out) as stage:
        written = write_flyout(scn, stage)
    _report_written(out, written)


@app.command()
def detect(scenario: ScenarioArg, out: OutOption = Path("out/detect")) -> None:
    """Fly the threats and sense them: truth, detections, CCSDS TDM per sensor, plots."""
    from tracklayer.pipeline import write_detections

    scn = _load(scenario)
    with staged_output(out) as stage:
        written = write_detections(scn, stage)
    _report_written(out, written)


@app.command()
def track(
    run_dir: Annotated[
        Path, typer.Argument(help="A run folder holding scenario.yaml and detections.parquet")
    ],
) -> None:
    """Track a run's detections (each owner, joint, fused) and score them against its truth."""
    from tracklayer.pipeline import write_tracks

    written = write_tracks(run_dir)
    _report_written(run_dir, written)


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `tracklayer run`")],
    title: Annotated[str | None, typer.Option(help="Report title")] = None,
) -> None:
    """(Re)build a run folder's self-contained report.html from its tables."""
    from tracklayer.report.html import write_report

    console.print(f"wrote {write_report(run_dir, title=title)}")


@app.command()
def run(
    scenario: ScenarioArg,
    out: OutOption = Path("out/run"),
    cache: Annotated[bool, typer.Option(help="Reuse stages whose inputs did not change")] = True,
) -> None:
    """Run every stage: coverage, flyout, sensing, tracking, fusion, metrics, report."""
    _run(_load(scenario), out, cache)


@app.command()
def demo(out: OutOption = Path("out/demo")) -> None:
    """Run the built-in Indo-Pacific demo scenario end to end."""
    from tracklayer.pipeline import demo_scenario_path

    _run(_load(demo_scenario_path()), out, cache=True)


def _run(scn: Scenario, out: Path, cache: bool) -> None:
    from tracklayer.console import metrics_summary_rich, stage_display
    from tracklayer.runner import write_run

    with staged_output(out) as stage, stage_display(err_console) as say:
        written, raid = write_run(scn, stage, out / ".cache" if cache else None, say)
    if raid is not None:
        console.print(metrics_summary_rich(raid.metrics, raid.tracker_metrics))
        _warn_cut_off(scn, raid.truth)
    _report_written(out, written)


def _warn_cut_off(scn: Scenario, truth: pa.Table) -> None:
    """Warn when the run's end cuts threats off before impact."""
    from tracklayer.run_checks import cut_off_warning, threats_cut_off

    cut = threats_cut_off(truth, scn.duration_s, scn.step_s)
    message = cut_off_warning(cut, scn.duration_s)
    if message is not None:
        err_console.print(f"[bold yellow]warning:[/] {message}", highlight=False, soft_wrap=True)


def _report_written(out: Path, written: list[Path]) -> None:
    """List the files written; a folder of many files (OEM, TDM) as one line."""
    console.print(f"[bold]{len(written)} files[/] in {out}/")
    per_folder = Counter(p.parts[0] for p in written if len(p.parts) > 1)
    shown: set[str] = set()
    for path in written:
        folder = path.parts[0]
        if len(path.parts) > 1 and per_folder[folder] > 3:
            if folder not in shown:
                shown.add(folder)
                console.print(f"  {folder}/ ({per_folder[folder]} files)")
            continue
        console.print(f"  {path.as_posix()}")


def main() -> None:
    """Entry point: run the app, turning input errors into a message and exit code 2.

    Python's cyclic garbage collector is paused over the start-up's imports and argument
    parsing (many objects, few cycles; its passes cost a twentieth of ``validate``) and
    back on before the command runs.
    """
    gc.disable()
    try:
        app()
    except TracklayerError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    finally:
        gc.enable()


if __name__ == "__main__":
    main()
