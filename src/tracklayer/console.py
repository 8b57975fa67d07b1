"""What the command line prints: progress displays and Rich tables of a run's results.

Presentation only: the figures come from the stages' tables and the shared summaries of
:mod:`tracklayer.vocabulary`; nothing here computes a figure of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np
from rich.console import Console
from rich.table import Table

from tracklayer.constants import KM
from tracklayer.vocabulary import JOINT, tracker_summary

if TYPE_CHECKING:
    import pyarrow as pa

    from tracklayer.metrics.coverage import CoverageResult
    from tracklayer.space import SatelliteCatalog

__all__ = [
    "CACHED_SUFFIX",
    "StageClock",
    "coverage_summary_rich",
    "metrics_summary_rich",
    "progress_bar",
    "stage_display",
]


@contextmanager
def progress_bar(description: str, console: Console) -> Iterator[Callable[..., None]]:
    """A Rich progress bar driven by an ``update(done, total, label=None)`` callback
    (``label`` replaces the description); off when ``console`` is not a terminal."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int, label: str | None = None) -> None:
            progress.update(task, completed=done, total=total, description=label or description)

        yield update


#: Suffix of a stage label whose tables come from the cache (see ``raid.run_stages``).
CACHED_SUFFIX = " (cached)"


class StageClock:
    """Times a run's stages from the labels it is told, one finished line per stage.

    A label ``"name: detail"`` is a step inside stage ``name`` (it does not end the
    stage); a label ending in :data:`CACHED_SUFFIX` is a stage read from the cache.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._stage: str | None = None
        self._cached = False
        self._since = 0.0

    def start(self, label: str) -> str | None:
        """Note ``label``; return the line of the stage it ends, if it ends one."""
        name = label.removesuffix(CACHED_SUFFIX).split(":", 1)[0]
        if name == self._stage:
            return None
        line = self.finish()
        self._stage, self._since = name, self._clock()
        self._cached = label.endswith(CACHED_SUFFIX)
        return line

    def finish(self) -> str | None:
        """The line of the stage under way (None when none is), which then ends."""
        if self._stage is None:
            return None
        elapsed = self._clock() - self._since
        source = "from the cache" if self._cached else "computed"
        line = f"{self._stage:<22} {elapsed:7.1f} s  {source}"
        self._stage = None
        return line


@contextmanager
def stage_display(
    console: Console, clock: Callable[[], float] | None = None
) -> Iterator[Callable[[str], None]]:
    """One progress display over a run's stages: which stage runs and since when, and
    a line per finished stage with its elapsed time and whether it came from the cache."""
    import time

    from rich.progress import Progress, TextColumn, TimeElapsedColumn

    stages = StageClock(clock or time.monotonic)
    with Progress(
        TextColumn("[bold]{task.description}"),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("starting", total=None)

        def say(label: str) -> None:
            progress.update(task, description=label)
            line = stages.start(label)
            if line is not None:
                console.print(line, highlight=False)

        yield say
        line = stages.finish()
        if line is not None:
            console.print(line, highlight=False)


def coverage_summary_rich(result: CoverageResult, catalog: SatelliteCatalog) -> Table:
    """The coverage summary as a Rich table: one row per owner (and joint) and altitude."""
    summary = result.summary_table().to_pylist()
    ks = result.ks
    counts = dict(zip(*np.unique(catalog.owner, return_counts=True), strict=True))
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
        sats = len(catalog) if group == JOINT else int(counts.get(group, 0))
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


#: Columns of the tracking table: heading, summary figure, scale from SI.
_TRACKING_COLUMNS = (
    ("first det s", "first_detection_s", 1.0),
    ("first track s", "first_track_s", 1.0),
    ("custody %", "custody_fraction", 100.0),
    ("RMSE km", "rmse_pos_m", 1.0 / KM),
    ("id switches", "id_switches", 1.0),
    ("GOSPA km", "mean_gospa_m", 1.0 / KM),
    ("false tracks", "false_tracks", 1.0),
)


def metrics_summary_rich(metrics: pa.Table, tracker_metrics: pa.Table) -> Table:
    """Per tracker: mean time to first detection and first track, custody, errors, GOSPA
    (the figures of :func:`tracklayer.vocabulary.tracker_summary` of the ``metrics``, per
    threat and tracker, and ``tracker_metrics``, per tracker, tables)."""
    table = Table(title="Tracking, each owner alone versus joint (means over threats)")
    table.add_column("tracker")
    for heading, _, _ in _TRACKING_COLUMNS:
        table.add_column(heading, justify="right")
    for tracker, figures in tracker_summary(metrics, tracker_metrics).items():
        cells = []
        for heading, name, scale in _TRACKING_COLUMNS:
            value = figures[name]
            integer = heading in ("id switches", "false tracks")
            cells.append(
                "-" if value is None else f"{value:.0f}" if integer else f"{value * scale:.1f}"
            )
        table.add_row(tracker, *cells)
    return table
