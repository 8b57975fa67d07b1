"""The command line as a user meets it: outputs, messages, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.conftest import CliResult

Run = Callable[..., CliResult]


def _count(parquet: Path) -> int:
    return int(duckdb.sql(f"select count(*) from '{parquet}'").fetchall()[0][0])


def test_coverage_writes_tables_maps_and_a_summary(
    run_cli: Run, small_scenario: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, stdout, _ = run_cli("coverage", str(small_scenario), "--out", str(out))
    assert code == 0
    assert "joint" in stdout and "USA" in stdout and "JPN" in stdout
    summary = duckdb.sql(
        f"select \"group\", pct_time_k1 from '{out / 'coverage_summary.parquet'}' order by 1"
    ).fetchall()
    groups = [row[0] for row in summary]
    assert groups == ["JPN", "USA", "joint"]
    pct = dict(summary)
    # The joint layer sees at least as much as either owner alone.
    assert pct["joint"] >= max(pct["USA"], pct["JPN"]) - 1e-9
    pngs = sorted(p.name for p in (out / "maps").glob("*.png"))
    assert pngs == [
        "coverage_0km_max_gap.png",
        "coverage_0km_pct_time_k1.png",
        "coverage_0km_pct_time_k2.png",
    ]
    assert all((out / "maps" / name).stat().st_size > 10_000 for name in pngs)
    assert _count(out / "coverage_cells.parquet") > 0
    assert _count(out / "satellites.parquet") == 18


def test_propagate_writes_ephemeris_and_oem(
    run_cli: Run, small_scenario: Path, tmp_path: Path, ccsds_validated: list[Path]
) -> None:
    """The satellites' OEM files each pass ccsds-ndm's schema check as they are written."""
    out = tmp_path / "eph"
    code, _, _ = run_cli("propagate", str(small_scenario), "--out", str(out))
    assert code == 0
    assert _count(out / "ephemeris.parquet") == 18 * 11  # 18 satellites, 0..600 s every 60 s
    assert len(list((out / "oem").glob("*.oem"))) == 18
    assert len(ccsds_validated) == 18


def test_bad_scenario_exits_2_names_the_field_and_writes_nothing(
    run_cli: Run, small_scenario: Path, tmp_path: Path
) -> None:
    small_scenario.write_text(small_scenario.read_text().replace("planes: 3", "planes: 0"))
    out = tmp_path / "never"
    code, stdout, stderr = run_cli("coverage", str(small_scenario), "--out", str(out))
    assert code == 2
    assert "space.constellations[0].planes: must be >= 1, got 0" in stderr
    assert "Traceback" not in stderr + stdout
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["small.yaml"]


def test_missing_file_and_bad_tle_exit_2(run_cli: Run, tmp_path: Path) -> None:
    code, _, stderr = run_cli("validate", str(tmp_path / "absent.yaml"))
    assert code == 2 and "scenario file not found" in stderr
    tle = tmp_path / "bad.tle"
    tle.write_text(
        "SAT\n"
        "1 90001U 27001A   27060.00000000  .00000000  00000-0  00000+0 0    08\n"
        "2 90001  45.0000   0.0000 0001000   0.0000   0.0000 15.05491974    07\n"
    )
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: t\nepoch: 2027-03-01T00:00:00Z\nsensors: {ir: {}}\n"
        "space: {constellations: [{name: K, owner: KOR, sensor: ir, kind: tle, file: bad.tle}]}\n"
    )
    code, _, stderr = run_cli("validate", str(scenario))
    assert code == 2 and "bad.tle" in stderr and "line 2" in stderr


def test_validate_and_schema(run_cli: Run, small_scenario: Path) -> None:
    code, stdout, _ = run_cli("validate", str(small_scenario))
    assert code == 0 and "18 satellites" in stdout
    code, stdout, _ = run_cli("schema")
    assert code == 0
    schema = json.loads(stdout)
    assert "space" in schema["properties"] and "coverage" in schema["properties"]


@pytest.mark.parametrize("command", ["coverage", "flyout"])
def test_missing_section_is_a_clear_error(
    run_cli: Run, small_scenario: Path, tmp_path: Path, command: str
) -> None:
    text = small_scenario.read_text()
    small_scenario.write_text(text[: text.index("coverage:")])
    code, _, stderr = run_cli(command, str(small_scenario), "--out", str(tmp_path / "o"))
    assert code == 2 and "section" in stderr
