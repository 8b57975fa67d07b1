"""The command line's stage lines: elapsed time per stage and whether it came from the cache."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from tests.losses.helpers import scenario
from tests.test_raid_stages import DOUBLE, FLY, THREATS
from tracklayer import raid
from tracklayer.console import StageClock, stage_display
from tracklayer.raid import RAID, StageCache, run_stages


def _ticks(*times: float) -> Iterator[float]:
    yield from times


def test_stage_lines_with_elapsed_time_and_cache_status() -> None:
    """Reference: a fake clock reading 0, 2.5, 2.5, 3.0, 3.0, 12.25 s. The flyout runs from
    0 to 2.5 s (computed), sensing from 2.5 to 3.0 s (cached); steps inside losses do not
    end it; losses runs from 3.0 to 12.25 s."""
    clock = _ticks(0.0, 2.5, 2.5, 3.0, 3.0, 12.25)
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=100)
    with stage_display(console, clock=lambda: next(clock)) as say:
        say("flyout")
        say("sensing (cached)")
        say("losses: coverage k=0 draw 1/3")
        say("losses: raid k=4 draw 2/3")
    lines = out.getvalue().splitlines()
    assert [line.split() for line in lines] == [
        ["flyout", "2.5", "s", "computed"],
        ["sensing", "0.5", "s", "from", "the", "cache"],
        ["losses", "9.2", "s", "computed"],
    ]


def test_a_clock_with_nothing_under_way_has_no_line() -> None:
    assert StageClock(lambda: 0.0).finish() is None


def test_run_stages_says_which_stages_come_from_the_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(raid, "STAGES", (FLY, DOUBLE))
    threats = scenario(threats=THREATS)
    first: list[str] = []
    run_stages(threats, RAID, StageCache(tmp_path), first.append)
    again: list[str] = []
    run_stages(threats, RAID, StageCache(tmp_path), again.append)
    assert first == ["flyout", "doubling"]
    assert again == ["flyout (cached)", "doubling (cached)"]
