"""Scenario errors: one path style, the YAML line of each problem, "did you mean"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SMALL_SCENARIO
from tracklayer.errors import ScenarioError
from tracklayer.scenario import load_scenario
from tracklayer.scenario_errors import did_you_mean, yaml_line_index

RAID = """\
threats:
  vehicles:
    gv: {preset: hgv-medium, weave_periode_s: 120}
    bm: {preset: mrbm}
  raids:
    - name: south
      vehicel: bm
      count: 1
      launch: {lat_deg: 25.5, lon_deg: 116.5}
      aim: {lat_deg: 21.5, lon_deg: 125.5}
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [line.strip() for line in str(info.value).splitlines()[1:]]


def test_each_problem_names_its_path_and_line(tmp_path: Path) -> None:
    """Reference: the lines counted in the text (1-based): ``planes: 0`` of the first
    constellation is on line 10 (its flow mapping starts there); the misspelt top-level
    ``sed`` is line 3."""
    text = SMALL_SCENARIO.replace("planes: 3", "planes: 0").replace("seed: 1", "sed: 1")
    lines = {p.split(":")[0]: p for p in _problems(tmp_path, text)}
    assert lines["space.constellations[0].planes"].endswith("got 0 (line 10)")
    assert lines["sed"].endswith("did you mean 'seed'? (line 3)")


def test_misspelt_keys_inside_lists_unions_and_presets(tmp_path: Path) -> None:
    """Reference: ``vehicel`` of raid 0 (line 7 of the raid block, after the 26 lines of
    the small scenario) is ``vehicle``; ``weave_periode_s`` of the preset glider (a union
    member told by its tag, not a key) is ``weave_period_s``; the missing ``vehicle`` is
    placed on its raid's first line."""
    problems = _problems(tmp_path, SMALL_SCENARIO + RAID)
    start = SMALL_SCENARIO.count("\n")
    assert (
        "threats.raids[0].vehicel: unknown field (check the spelling; `tracklayer schema` "
        f"lists the fields); did you mean 'vehicle'? (line {start + 7})"
    ) in problems
    assert f"threats.raids[0].vehicle: required field is missing (line {start + 6})" in problems
    glider = next(p for p in problems if "weave_periode_s" in p)
    assert glider.startswith("threats.vehicles.gv.weave_periode_s: unknown field")
    assert glider.endswith(f"did you mean 'weave_period_s'? (line {start + 3})")


def test_cross_references_get_a_suggestion_and_a_line(tmp_path: Path) -> None:
    """Reference: constellation B names sensor ``ri`` (line 12); the only sensor is
    ``ir``, close enough (difflib ratio 0.5 < 0.6: no suggestion); a sensor named
    ``irr`` is suggested for ``ir_`` (ratio 0.67)."""
    text = SMALL_SCENARIO.replace("owner: JPN, sensor: ir", "owner: JPN, sensor: ri")
    (problem,) = _problems(tmp_path, text)
    assert problem.startswith("space.constellations[1].sensor: no sensor named 'ri'")
    assert problem.endswith("(defined: ir) (line 12)")
    assert did_you_mean("ir_", ["irr", "space"]) == "; did you mean 'irr'?"


def test_did_you_mean_keeps_only_the_closest_matches() -> None:
    """Reference: difflib ratios: nwir/mwir and nwir/swir 0.75 both (two suggestions);
    weave_periode_s/weave_period_s 0.97 against weave_amplitude_deg 0.65 (one)."""
    assert did_you_mean("nwir", ["swir", "mwir", "lwir_long"]) == (
        "; did you mean 'mwir' or 'swir'?"
    )
    assert did_you_mean("weave_periode_s", ["weave_period_s", "weave_amplitude_deg"]) == (
        "; did you mean 'weave_period_s'?"
    )
    assert did_you_mean("zzz", ["seed"]) == ""


def test_line_index_of_block_and_flow_yaml() -> None:
    """Keys and list items of block and flow YAML, 1-based."""
    index = yaml_line_index("a: 1\nb:\n  - {c: 2,\n     d: 3}\n  - e: 4\n")
    assert index[("a",)] == 1 and index[("b",)] == 2
    assert index[("b", 0)] == 3 and index[("b", 0, "d")] == 4
    assert index[("b", 1, "e")] == 5
    assert yaml_line_index("a: [") == {}
