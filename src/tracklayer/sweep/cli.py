"""The ``tracklayer sweep`` command: run a sweep file on Dask, then summarise and plot it.

Mounted on the main app by :func:`register`. Input errors (a bad sweep file, an invalid
design, an unreachable scheduler, an output folder of another sweep) are
:class:`tracklayer.errors.TracklayerError` subclasses, which the main command prints as a
message with exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.table import Table

    from tracklayer.sweep.cases import SweepPlan
    from tracklayer.sweep.runner import SweepOutcome

__all__ = ["register", "sweep_command"]

_console = Console()
_err = Console(stderr=True)

#: Failed cases listed after a run, at most.
_SHOWN_FAILURES = 5


def _describe_plan(plan: SweepPlan, sweep_file: Path) -> None:
    axes = ", ".join(
        f"{a.label} ({len(a.discrete_values()) if a.lhs is None else 'lhs'})" for a in plan.axes
    )
    _err.print(
        f"[green]sweep[/] {plan.config.name!r} from {sweep_file}: {len(plan.designs)} designs "
        f"x {plan.replicates} replicate{'s' if plan.replicates > 1 else ''} = "
        f"{len(plan.cases)} cases; axes {axes}; measures {', '.join(plan.measures)}",
        highlight=False,
    )
    for note in plan.notes:
        _err.print(f"[yellow]note:[/] {note}", highlight=False)


def _run(
    plan: SweepPlan, out: Path, scheduler: str | None, workers: int, retry_failed: bool
) -> SweepOutcome:
    from tracklayer.console import progress_bar
    from tracklayer.sweep.runner import run_sweep

    with progress_bar("cases", _err) as bar:

        def update(done: int, total: int, failed: int) -> None:
            bar(done, total, f"cases ({failed} failed)" if failed else "cases")

        return run_sweep(
            plan,
            out,
            scheduler=scheduler,
            workers=workers,
            retry_failed=retry_failed,
            progress=update,
        )


def _status_table(out: Path) -> Table:
    import pyarrow as pa
    from rich.table import Table

    from tracklayer.sweep.summary import axis_names, design_status

    results = out / "results"
    axes = axis_names(results)
    status = design_status(results).to_pylist()
    pareto = pa.Table.from_pylist([])
    path = out / "summary" / "pareto.parquet"
    if path.is_file():
        from tracklayer.io.parquet import read_table

        pareto = read_table(path)
    objectives = (
        list(dict.fromkeys(pareto.column("objective").to_pylist())) if pareto.num_rows else []
    )
    points = (
        {(r["objective"], r["design_id"]): r for r in pareto.to_pylist()} if pareto.num_rows else {}
    )
    table = Table(title="Designs: joint means over replicates (* on the Pareto front)")
    for a in axes:
        table.add_column(a, justify="right")
    table.add_column("sats", justify="right")
    table.add_column("cases", justify="right")
    for o in objectives:
        table.add_column(str(o).replace("pct_time_", "").replace("_", " "), justify="right")
    for row in status:
        cells = [f"{row[a]:g}" if isinstance(row[a], float) else str(row[a]) for a in axes]
        cells.append("" if row["n_satellites"] is None else str(row["n_satellites"]))
        cases = f"{row['n_ok']}" + (
            f" [red]+{row['n_failed']} failed[/]" if row["n_failed"] else ""
        )
        cells.append(cases)
        for o in objectives:
            p = points.get((o, row["design_id"]))
            if p is None or p["mean"] is None:
                cells.append("")
                continue
            star = " *" if p["on_front"] else ""
            cells.append(f"{p['mean']:.4g}{star}")
        table.add_row(*cells)
    return table


def sweep_command(
    sweep_file: Path,
    out: Path,
    scheduler: str | None = None,
    workers: int = 2,
    retry_failed: bool = False,
) -> SweepOutcome:
    """Everything ``tracklayer sweep`` does: expand, run (resuming), summarise, print."""
    from tracklayer.sweep.cases import expand_sweep
    from tracklayer.sweep.config import load_sweep
    from tracklayer.sweep.summary import write_summary

    config, folder = load_sweep(sweep_file)
    plan = expand_sweep(config, folder, source=str(sweep_file))
    _describe_plan(plan, sweep_file)
    try:
        outcome = _run(plan, out, scheduler, workers, retry_failed)
    except KeyboardInterrupt:
        _err.print(
            f"interrupted: finished cases are saved in {out / 'results'}; "
            "run the same command again to resume"
        )
        raise typer.Exit(130) from None
    _err.print(
        f"ran {outcome.ran} cases in {outcome.elapsed_s:.1f} s"
        + (f" ([red]{len(outcome.failed)} failed[/])" if outcome.failed else "")
        + (f"; {outcome.skipped} already finished, skipped" if outcome.skipped else ""),
        highlight=False,
    )
    for case_id, error in outcome.failed[:_SHOWN_FAILURES]:
        _err.print(f"  [red]failed[/] case {case_id}: {error}", highlight=False, soft_wrap=True)
    if len(outcome.failed) > _SHOWN_FAILURES:
        _err.print(f"  ... {len(outcome.failed) - _SHOWN_FAILURES} more in summary/status.parquet")
    files = write_summary(out)
    _console.print(_status_table(out))
    _console.print(f"[bold]{len(files)} summary files[/] in {out}/; results in {out / 'results'}/")
    for path in files:
        _console.print(f"  {path.as_posix()}")
    return outcome


def register(app: typer.Typer) -> None:
    """Add the ``sweep`` command to ``app`` (the ``tracklayer`` command line)."""

    @app.command("sweep")
    def sweep(
        sweep_file: Annotated[
            Path, typer.Argument(help="Sweep YAML file", dir_okay=False, show_default=False)
        ],
        out: Annotated[
            Path, typer.Option("--out", "-o", help="Output folder (created; reused to resume)")
        ] = Path("out/sweep"),
        scheduler: Annotated[
            str | None,
            typer.Option(
                help="Address of a running Dask scheduler, tcp://HOST:PORT "
                "(default: a local cluster)"
            ),
        ] = None,
        workers: Annotated[
            int, typer.Option(min=1, help="Worker processes of the local cluster")
        ] = 2,
        retry_failed: Annotated[
            bool, typer.Option("--retry-failed", help="Run the cases recorded as failed again")
        ] = False,
    ) -> None:
        """Trade study: every design of a sweep file x Monte Carlo raids, on Dask.

        Finished cases are kept in OUT/results (Parquet, one file per case): running the
        same command again resumes. Summaries per design, Pareto fronts of satellites
        against each objective, and joint-versus-alone gains go to OUT/summary and
        OUT/plots.
        """
        sweep_command(sweep_file, out, scheduler, workers, retry_failed)
