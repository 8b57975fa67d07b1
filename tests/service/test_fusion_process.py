"""Fusion in a worker process: the same system tracks as in the server's own process.

Reference: :func:`tracklayer.service.picture.fuse` called directly on the same national
rows (exact equality: the same code on the same arrays), and a worker killed outright is
replaced without losing the fusion asked of it next.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.service.conftest import track_state
from tracklayer.service.fusion_process import FusionProcess
from tracklayer.service.ingest import track_job
from tracklayer.service.live_picture import _track_rows
from tracklayer.service.picture import FusedTracks, FusionSettings, TrackRows, fuse
from tracklayer.service.schemas import TrackMessage


def _national() -> TrackRows:
    rows: list[Any] = []
    rng = np.random.default_rng(7)
    for code in ("USA", "GBR", "JPN"):
        tracks = [
            track_state(code, f"T{k}", pos=(6.5e6 + 1e4 * k + rng.normal(0, 30), 0.0, 2e5))
            for k in range(20)
        ]
        message = TrackMessage.model_validate(
            {"message_id": code, "releasable_to": "all", "tracks": tracks}
        )
        rows += track_job(code, message).rows
    return _track_rows(rows)


def _same(a: FusedTracks, b: FusedTracks) -> None:
    assert a.track_id == b.track_id and a.status == b.status and a.sources == b.sources
    np.testing.assert_array_equal(a.state, b.state)
    np.testing.assert_array_equal(a.cov, b.cov)


def test_worker_fuses_as_the_server_would_and_survives_being_killed() -> None:
    """Equal to the in-process fusion; SIGKILL of the child: the next fusion starts
    another, and a fusion's own error reaches the caller."""
    national = _national()
    at_ns = int(national.time_ns.max())
    settings = FusionSettings()
    expected = fuse(national, at_ns, settings)
    assert len(expected) == 20  # three allies' tracks of 20 threats, associated
    worker = FusionProcess()
    try:
        pid = worker.start()
        assert pid != os.getpid()
        _same(worker.fuse(national, at_ns, settings), expected)
        os.kill(pid, signal.SIGKILL)
        _same(worker.fuse(national, at_ns, settings), expected)
        assert worker.start() != pid
        bad: Any = FusionSettings(criterion="nope")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="criterion must be"):
            worker.fuse(national, at_ns, bad)
    finally:
        worker.stop()


def test_worker_ends_when_its_server_is_killed(tmp_path: Path) -> None:
    """A server killed outright (SIGKILL) leaves no fusion process behind."""
    script = tmp_path / "server.py"
    script.write_text(
        "import time\n"
        "from tracklayer.service.fusion_process import FusionProcess\n"
        "if __name__ == '__main__':\n"
        "    print(FusionProcess().start(), flush=True)\n"
        "    time.sleep(600)\n"
    )
    with subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True
    ) as server:
        assert server.stdout is not None
        worker_pid = int(server.stdout.readline())
        server.kill()
    deadline = time.monotonic() + 20
    while _alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker_pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose: it runs nothing (its parent, init, reaps it).
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))
