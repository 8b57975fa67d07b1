"""A run folder as an exercise: its tables, its start, and every message it posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from tracklayer.errors import InputFormatError
from tracklayer.exercise.detections import detection_releases, plan_detection_messages
from tracklayer.exercise.plan import (
    ExerciseMessage,
    first_time_ns,
    national_rows,
    plan_messages,
    run_key,
)

__all__ = ["ExerciseRun", "plan_exercise", "read_run"]


@dataclass(frozen=True)
class ExerciseRun:
    """The tables of a run folder an exercise replays.

    Attributes
    ----------
    scenario : Scenario
        The run's scenario.
    tracks : pyarrow.Table
        The national tracks' source: ``node_tracks`` when the network stage ran (its
        ``report_time`` paces them), else ``tracks``.
    detections, deliveries : pyarrow.Table or None
        The run's ``detections``, and the network stage's ``deliveries``, when present.
    """

    scenario: Any
    tracks: pa.Table
    detections: pa.Table | None = None
    deliveries: pa.Table | None = None

    @property
    def shares_detections(self) -> bool:
        """Whether any owner's sharing passes raw detections (and the run has some)."""
        return (
            self.detections is not None
            and self.detections.num_rows > 0
            and bool(detection_releases(self.scenario))
        )

    def start_ns(self) -> int:
        """Simulated time 0, ns since 1970: the first national track epoch, or the first
        detection when detections are shared (they come first)."""
        firsts = [first_time_ns(national_rows(self.tracks))]
        if self.shares_detections:
            assert self.detections is not None
            firsts.append(first_time_ns(self.detections))
        return min(t for t in firsts if t is not None)

    def start(self) -> datetime:
        """:meth:`start_ns` as a UTC time (to the microsecond)."""
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=self.start_ns() // 1000)


def read_run(run_dir: Path) -> ExerciseRun:
    """The exercise's tables of a run folder (``scenario.yaml`` and ``tracks.parquet``
    at least)."""
    from tracklayer.io.parquet import read_table
    from tracklayer.scenario import load_scenario

    for name in ("scenario.yaml", "tracks.parquet"):
        if not (run_dir / name).is_file():
            raise InputFormatError(f"{run_dir}: not a run folder with tracks (no {name})")

    def optional(name: str) -> pa.Table | None:
        path = run_dir / f"{name}.parquet"
        return read_table(path) if path.is_file() else None

    node_tracks = optional("node_tracks")
    tracks = node_tracks if node_tracks is not None else read_table(run_dir / "tracks.parquet")
    return ExerciseRun(
        load_scenario(run_dir / "scenario.yaml"),
        tracks,
        optional("detections"),
        optional("deliveries"),
    )


def plan_exercise(
    run: ExerciseRun, start_at_s: float = 0.0, time_shift_s: float = 0.0
) -> list[ExerciseMessage]:
    """Every post of the exercise (national tracks, and detections where shared), in the
    order they fall due."""
    t0_ns = run.start_ns()
    national = national_rows(run.tracks)
    shift_ns = round(time_shift_s * 1e6) * 1000
    key = run_key(national, str(getattr(run.scenario, "name", "run")), shift_ns)
    messages = plan_messages(run.tracks, run.scenario, start_at_s, time_shift_s, t0_ns, key)
    if run.shares_detections:
        assert run.detections is not None
        messages += plan_detection_messages(
            run.detections, run.scenario, key, t0_ns, run.deliveries, start_at_s, time_shift_s
        )
        messages.sort(key=lambda m: (m.due_s, m.owner, m.message_id))
    return messages
