"""The ``tracklayer exercise`` command: a run replayed into the picture service, live."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from tracklayer.errors import TracklayerError

if TYPE_CHECKING:
    pass

__all__ = ["exercise", "register", "service_start_s", "start_offset_s", "time_shift_s"]

_err = Console(stderr=True)
#: Longest wait for the service's clock to reach the exercise's first epoch, wall s.
MAX_WAIT_S = 3600.0


def start_offset_s(first: datetime, text: str | None) -> float:
    """``--start-at``: seconds after the exercise's start ``first``, or an ISO 8601 UTC time."""
    if text is None:
        return 0.0
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise TracklayerError(
            f"--start-at: {text!r} is neither seconds nor an ISO 8601 time"
        ) from None
    if when.tzinfo is None:
        raise TracklayerError(f"--start-at: {text!r} needs a time zone (e.g. Z)")
    return (when - first).total_seconds()


def time_shift_s(
    first: datetime, text: str, start_at_s: float, service_now_ns: int | None = None
) -> float:
    """``--time-shift``: seconds, ``now`` (the exercise's start ``first`` plus ``start_at_s``
    becomes the present, to the whole second) or ``service`` (it becomes the service
    clock's now ``service_now_ns``, to the whole second)."""
    if text == "service" and service_now_ns is not None:
        return float(round(service_now_ns * 1e-9 - first.timestamp() - start_at_s))
    if text not in ("now", "service"):
        try:
            return float(text)
        except ValueError:
            raise TracklayerError(
                f"--time-shift: {text!r} is neither seconds, 'now' nor 'service'"
            ) from None
    return float(round(datetime.now(UTC).timestamp() - first.timestamp() - start_at_s))


def service_start_s(
    service: tuple[int, float], speed: float, t0_ns: int, shift_s: float, first_due_s: float
) -> tuple[float | None, str | None]:
    """Where the exercise's clock starts when it follows the service's, and a note for the
    user: ``(sim_start_s, note)``.

    The exercise follows the service clock ``service = (now_ns, rate)`` when that clock
    runs at ``speed`` (``serve --clock-rate``): the simulated time at the start is then the
    service's now, in the messages' ``due_s`` scale (s after the run's first epoch
    ``t0_ns``, less the ``shift_s`` added to the states). Otherwise it starts at the first
    message, and the note says that the service's picture will not follow.
    """
    now_ns, rate = service
    if abs(rate - speed) > 1e-9 * speed:
        return None, (
            f"the service's clock runs at {rate:g}x wall time and this exercise at {speed:g}x: "
            "its picture (system tracks, ages) will not follow the exercise; start the "
            f"service with --clock-rate {speed:g}"
        )
    sim_start_s = (now_ns - t0_ns) * 1e-9 - shift_s
    wait_s = (first_due_s - sim_start_s) / speed
    if wait_s > MAX_WAIT_S:
        raise TracklayerError(
            f"the service's clock is {wait_s * speed:.0f} s behind the exercise's first "
            f"epoch ({wait_s:.0f} s of waiting at --speed {speed:g}): pass --time-shift "
            "service to start now"
        )
    if wait_s > 1.0:
        return sim_start_s, f"waiting {wait_s:.0f} s for the service's clock to reach the exercise"
    return sim_start_s, None


def _run_folder(target: Path, out: Path) -> Path:
    """The run folder: ``target`` itself, or where the scenario ``target`` is run first."""
    if target.is_dir():
        return target
    from tracklayer.console import stage_display
    from tracklayer.io.outputs import staged_output
    from tracklayer.runner import write_run
    from tracklayer.scenario import load_scenario

    scenario = load_scenario(target)
    with staged_output(out) as stage, stage_display(_err) as say:
        write_run(scenario, stage, out / ".cache", say)
    return out


def exercise(
    target: Annotated[
        Path, typer.Argument(help="Scenario YAML (run first) or a run folder", show_default=False)
    ],
    server: Annotated[str, typer.Option(help="The picture service, http://host:port")],
    tokens: Annotated[
        Path, typer.Option(help="YAML/JSON mapping of owner code to token", dir_okay=False)
    ],
    speed: Annotated[
        float, typer.Option(help="Simulated seconds per real second (1 = real time)", min=0.001)
    ] = 1.0,
    start_at: Annotated[
        str | None,
        typer.Option(help="Skip epochs before this: seconds after the first, or ISO 8601"),
    ] = None,
    time_shift: Annotated[
        str,
        typer.Option(
            help="Seconds added to every state's time, 'now' (the first epoch sent becomes "
            "the present) or 'service' (it becomes the service clock's now); the service "
            "refuses states ahead of its clock. A resumed exercise passes the shift printed "
            "by the first run"
        ),
    ] = "0",
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Run folder written for a scenario")
    ] = Path("out/exercise"),
    detections_as: Annotated[
        str,
        typer.Option(help="Shared detections sent as json (records) or tdm (CCSDS TDM files)"),
    ] = "json",
) -> None:
    """Replay a run as a live exercise: each owner posts its national tracks to the service."""
    from tracklayer.client import ClientError, ServiceUnavailable
    from tracklayer.exercise.plan import read_tokens
    from tracklayer.exercise.progress import exercise_progress
    from tracklayer.exercise.replay import replay
    from tracklayer.exercise.run import plan_exercise, read_run

    if detections_as not in ("json", "tdm"):
        raise TracklayerError(f"--detections-as: {detections_as!r} is not json or tdm")
    run = read_run(_run_folder(target, out))
    start_s = start_offset_s(run.start(), start_at)
    service = _service_clock(server)
    shift_s = time_shift_s(run.start(), time_shift, start_s, service[0])
    messages = plan_exercise(run, start_s, shift_s)
    if detections_as == "tdm":
        from tracklayer.exercise.tdm import tdm_messages

        messages = tdm_messages(messages)
    _err.print(f"time shift {shift_s:.0f} s (pass --time-shift {shift_s:.0f} to resume)")
    owner_tokens = read_tokens(tokens, sorted({m.owner for m in messages}))
    first_due = messages[0].due_s if messages else 0.0
    sim_start_s, note = service_start_s(service, speed, run.start_ns(), shift_s, first_due)
    if note is not None:
        _err.print(note, highlight=False)
    try:
        with exercise_progress(_err, len(messages)) as update:
            counts = replay(messages, server, owner_tokens, speed, update, sim_start_s=sim_start_s)
    except ClientError as exc:
        raise TracklayerError(f"the service refused a message: {exc}") from None
    except ServiceUnavailable as exc:
        _err.print(f"[bold red]error:[/] service unavailable: {exc}", highlight=False)
        _err.print("re-run the same command to resume: acknowledged messages are not re-stored")
        raise typer.Exit(1) from None
    per_owner = ", ".join(f"{o} {n}" for o, n in sorted(counts.records.items()))
    typer.echo(
        f"{counts.acknowledged} messages acknowledged ({counts.duplicates} already held, "
        f"{counts.retries} retries); track states per owner: {per_owner}; "
        f"detections: {counts.detections}"
    )


def _service_clock(server: str) -> tuple[int, float]:
    """The service's clock (now, UTC ns; rate), or exit 1 when the service does not answer."""
    from tracklayer.client import ServiceUnavailable, service_clock

    try:
        return service_clock(server)
    except ServiceUnavailable as exc:
        _err.print(f"[bold red]error:[/] service unavailable: {exc}", highlight=False)
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    """Add ``exercise`` to the ``tracklayer`` command."""
    app.command("exercise")(exercise)
