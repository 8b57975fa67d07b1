"""The ``tracklayer sweep`` command, mounted on an app the way the main CLI mounts it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import typer
from distributed import Client

from tests.sweep.conftest import GRID_SWEEP, write_sweep
from tracklayer.errors import TracklayerError
from tracklayer.sweep.cases import expand_sweep
from tracklayer.sweep.cli import register
from tracklayer.sweep.config import load_sweep
from tracklayer.sweep.runner import run_sweep


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Like ``tracklayer.cli.main``: a TracklayerError is a message and exit code 2."""
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """tracklayer"""

    register(app)
    try:
        app(args, prog_name="tracklayer", standalone_mode=False)
        code = 0
    except TracklayerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_bad_sweep_file_exits_2_with_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_sweep(tmp_path, "base: base.yaml\naxes: [{path: a.b}]\n")
    code, _, err = _run(["sweep", str(path), "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert "axes[0]: give exactly one of values, range, lhs" in err


def test_resumed_sweep_summarises_without_a_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], local_client: Client
) -> None:
    """Cases finished by an earlier run are skipped (the unreachable scheduler is never
    contacted); the command prints the designs and writes summaries and plots."""
    path = write_sweep(tmp_path / "s", GRID_SWEEP)
    config, folder = load_sweep(path)
    out = tmp_path / "out"
    run_sweep(expand_sweep(config, folder), out, local_client)
    args = ["sweep", str(path), "--out", str(out), "--scheduler", "tcp://127.0.0.1:9"]
    code, stdout, err = _run(args, capsys)
    assert code == 0, err
    assert "6 designs x 1 replicate = 6 cases" in " ".join(err.split())
    assert "6 already finished, skipped" in err
    assert "Pareto front" in stdout and "summary/pareto.parquet" in stdout
    assert (out / "plots" / "pareto_pct_time_k2_0km.png").is_file()
