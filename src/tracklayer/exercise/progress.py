"""Rich progress of an exercise: simulated time, posted, acknowledged, retries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tracklayer.exercise.replay import ExerciseCounts

__all__ = ["exercise_progress"]


@contextmanager
def exercise_progress(console: Console, total: int) -> Iterator[Callable[[ExerciseCounts], None]]:
    """A live progress bar; yields the callback that :func:`replay` calls per message."""
    columns = (
        TextColumn("T+{task.fields[sim]:>8.1f} s"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "posted {task.fields[posted]} acked {task.fields[acked]} retries {task.fields[retries]}"
        ),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("exercise", total=total, sim=0.0, posted=0, acked=0, retries=0)

        def update(counts: ExerciseCounts) -> None:
            bar.update(
                task,
                completed=counts.acknowledged,
                sim=counts.sim_s,
                posted=counts.posted,
                acked=counts.acknowledged,
                retries=counts.retries,
            )

        yield update
