"""Shared fixtures: a small scenario, and the command line run in-process."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ccsds_check import ccsds_validated

#: Fixtures shared by every test module: each CCSDS file written is checked by ccsds-ndm.
__all__ = ["ccsds_validated"]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SMALL_SCENARIO = """\
name: small test layer
epoch: 2027-03-01T00:00:00Z
seed: 1
duration_s: 600
step_s: 60
sensors:
  ir: {field_of_regard: {kind: earth_limb}, grazing_altitude_km: 20}
space:
  constellations:
    - {name: A, owner: USA, sensor: ir, kind: walker_delta, total: 12, planes: 3,
       phasing: 1, altitude_km: 1000, inclination_deg: 60}
    - {name: B, owner: JPN, sensor: ir, kind: walker_delta, total: 6, planes: 2,
       phasing: 0, altitude_km: 800, inclination_deg: 45}
coverage:
  region: {kind: box, lat_min_deg: 20, lat_max_deg: 40, lon_min_deg: 120, lon_max_deg: 150}
  cell_size_deg: 5
  altitudes_km: [0]
  duration_s: 7200
  step_s: 300
  k: [1, 2]
"""


@pytest.fixture
def small_scenario(tmp_path: Path) -> Path:
    """A scenario of 18 satellites and a coarse 2-hour coverage analysis."""
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_SCENARIO)
    return path


CliResult = tuple[int, str, str]


@pytest.fixture
def run_cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CliResult]:
    """Run ``tracklayer ARGS`` in-process: (exit code, stdout, stderr)."""
    from tracklayer.cli import main

    def run(*args: str) -> CliResult:
        monkeypatch.setattr(sys, "argv", ["tracklayer", *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
