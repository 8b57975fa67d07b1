"""Sweep files and their expansion: axes, ranges, Latin hypercubes, path overrides, ids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.sweep.conftest import BASE, GRID_SWEEP, write_sweep
from tracklayer.errors import ScenarioError
from tracklayer.sweep.cases import SweepPlan, derive_seed, expand_sweep, lhs_unit_samples
from tracklayer.sweep.config import RangeSpec, load_sweep, validate_sweep
from tracklayer.sweep.paths import PathError, parse_path, set_path


def _plan(tmp_path: Path, text: str, base: str | None = None) -> SweepPlan:
    path = write_sweep(tmp_path, text) if base is None else write_sweep(tmp_path, text, base)
    config, folder = load_sweep(path)
    return expand_sweep(config, folder, source=str(path))


def test_grid_is_the_cartesian_product_in_file_order(tmp_path: Path) -> None:
    """3 x 2 values give 6 designs, first axis slowest; each design's scenario carries its
    values (reference: itertools.product order)."""
    plan = _plan(tmp_path, GRID_SWEEP)
    assert [(d.values["planes"], d.values["alt"]) for d in plan.designs] == [
        (p, a) for p in (1, 2, 3) for a in (800, 1200)
    ]
    for d in plan.designs:
        a = d.scenario.space.constellations[0]
        assert (a.planes, a.altitude_km) == (d.values["planes"], d.values["alt"])
        assert d.scenario.coverage is not None and d.scenario.coverage.cell_size_deg == 10
    assert plan.measures == ("coverage",)
    assert len(plan.cases) == 6


def test_range_includes_both_ends_without_float_drift() -> None:
    """start 0.1, stop 0.5, step 0.1 gives exactly 0.1..0.5 (5 values; 0.1 * 3 would drift
    to 0.30000000000000004 without rounding); whole numbers stay ints."""
    assert RangeSpec(start=0.1, stop=0.5, step=0.1).values() == [0.1, 0.2, 0.3, 0.4, 0.5]
    assert RangeSpec(start=800, stop=1200, step=200).values() == [800, 1000, 1200]
    assert RangeSpec(start=800, stop=1100, step=200).values() == [800, 1000]


def test_lhs_is_seeded_and_stratified(tmp_path: Path) -> None:
    """A Latin hypercube of n samples puts exactly one sample of every axis in each of the
    n equal strata (McKay et al. 1979); the same seed gives the same designs, another seed
    others; integer axes stay in [low, high]; discrete axes take listed values."""
    text = """\
base: base.yaml
combination: lhs
samples: 10
seed: {seed}
set: {{"space.constellations[0].phasing": 0}}
axes:
  - {{name: alt, path: "space.constellations[0].altitude_km", lhs: {{low: 600, high: 1600}}}}
  - {{name: inc, path: "space.constellations[0].inclination_deg", lhs: {{low: 40, high: 90}}}}
  - {{name: planes, path: "space.constellations[0].planes", values: [1, 2, 3, 4, 6]}}
"""
    one = _plan(tmp_path / "a", text.format(seed=7))
    again = _plan(tmp_path / "b", text.format(seed=7))
    other = _plan(tmp_path / "c", text.format(seed=8))
    assert [d.design_id for d in one.designs] == [d.design_id for d in again.designs]
    assert [d.design_id for d in one.designs] != [d.design_id for d in other.designs]
    alt = np.array([d.values["alt"] for d in one.designs])
    inc = np.array([d.values["inc"] for d in one.designs])
    assert sorted(np.floor((alt - 600) / 100).astype(int)) == list(range(10))
    assert sorted(np.floor((inc - 40) / 5).astype(int)) == list(range(10))
    planes = [d.values["planes"] for d in one.designs]
    assert sorted(planes) == [1, 1, 2, 2, 3, 3, 4, 4, 6, 6]  # 10 strata over 5 values
    u = lhs_unit_samples(50, 3, seed=1)
    for j in range(3):
        assert sorted(np.floor(u[:, j] * 50).astype(int)) == list(range(50))


def test_integer_lhs_axis_draws_whole_numbers(tmp_path: Path) -> None:
    """An integer lhs axis over [1, 3] with 6 samples draws each of 1, 2, 3 twice (two
    strata per value); repeated designs are merged and said so."""
    text = """\
base: base.yaml
combination: lhs
samples: 6
set: {"space.constellations[0].phasing": 0}
axes:
  - {name: planes, path: "space.constellations[0].planes", lhs: {low: 1, high: 3, integer: true}}
"""
    plan = _plan(tmp_path, text)
    assert sorted(d.values["planes"] for d in plan.designs) == [1, 2, 3]
    assert any("3 repeated designs merged" in n for n in plan.notes)


def test_linked_axis_sets_paths_together(tmp_path: Path) -> None:
    """A linked axis sets planes and total at once, so 5 planes of 10 satellites is valid."""
    text = """\
base: base.yaml
axes:
  - name: pattern
    path: ["space.constellations[0].planes", "space.constellations[0].total"]
    values: [[5, 10], [4, 12]]
"""
    plan = _plan(tmp_path, text)
    got = [(c.planes, c.total) for d in plan.designs for c in d.scenario.space.constellations[:1]]
    assert got == [(5, 10), (4, 12)]


def test_case_ids_are_stable_and_seeds_derived(tmp_path: Path) -> None:
    """Ids depend on the design and replicate only (the same in two expansions); replicate r
    has seed SeedSequence(base_seed).spawn(n)[r]'s first word in every design."""
    inline = {"base": BASE, "axes": [{"path": "space.constellations[0].planes", "values": [2, 3]}]}
    inline["base"] = dict(BASE, threats={})
    inline["monte_carlo"] = {"replicates": 3, "seed": 11}
    # Without run_raid the raid is not measured: replicates collapse to one.
    config = validate_sweep(inline)
    plan = expand_sweep(config, tmp_path)
    assert plan.replicates == 3
    ref = np.random.SeedSequence(11).spawn(3)
    assert [derive_seed(11, r) for r in range(3)] == [
        int(s.generate_state(1, dtype=np.uint32)[0]) for s in ref
    ]
    again = expand_sweep(validate_sweep(inline), tmp_path)
    assert [c.case_id for c in plan.cases] == [c.case_id for c in again.cases]
    assert len({c.case_id for c in plan.cases}) == len(plan.cases)
    assert all(c.scenario.seed == derive_seed(11, c.replicate) for c in plan.cases)


def test_replicates_collapse_without_a_raid(tmp_path: Path) -> None:
    """Coverage has no random draw: 4 replicates asked without threats give 1 case per
    design, with a note saying why."""
    plan = _plan(tmp_path, GRID_SWEEP + "monte_carlo: {replicates: 4}\n")
    assert len(plan.cases) == len(plan.designs) == 6
    assert any("coverage does not depend on the seed" in n for n in plan.notes)


def test_paths_parse_and_set() -> None:
    """Keys, indices and [key=value] selectors; the concrete path uses indices."""
    assert parse_path("a.b[2][name=X].c") == ["a", "b", 2, ("name", "X"), "c"]
    data = {"space": {"constellations": [{"name": "A"}, {"name": "B", "planes": 1}]}}
    assert set_path(data, "space.constellations[name=B].planes", 4) == (
        "space.constellations[1].planes"
    )
    assert data["space"]["constellations"][1]["planes"] == 4
    for bad in ("[0].a", "a..b", "a[x]", "a.[0]"):
        with pytest.raises(PathError):
            parse_path(bad)
    with pytest.raises(PathError, match=r"no item of space\.constellations with name = 'Z'"):
        set_path(data, "space.constellations[name=Z].planes", 1)
    with pytest.raises(PathError, match="has 2 items, no index 5"):
        set_path(data, "space.constellations[5].planes", 1)


def test_bad_path_names_the_axis(tmp_path: Path) -> None:
    text = """\
base: base.yaml
axes:
  - {name: planes, path: "space.constelations[0].planes", values: [1]}
"""
    with pytest.raises(
        ScenarioError, match=r"axes\[0\]\.path \(planes\).*no field 'constelations'"
    ):
        _plan(tmp_path, text)


def test_invalid_value_names_axis_and_field(tmp_path: Path) -> None:
    """planes = 5 does not divide 12 satellites, and altitude -5 km is out of range: the
    message names each design's axis value and the scenario field at fault."""
    text = """\
base: base.yaml
axes:
  - {name: planes, path: "space.constellations[0].planes", values: [3, 5]}
  - {name: alt, path: "space.constellations[0].altitude_km", values: [900, -5]}
"""
    with pytest.raises(ScenarioError) as info:
        _plan(tmp_path, text)
    message = str(info.value)
    assert "3 designs are not a valid scenario" in message
    assert "axis planes = 5" in message and "multiple of planes" in message
    assert "axis alt = -5" in message and "space.constellations[0].altitude_km" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "axes: [{path: a.b, values: [1], range: {start: 0, stop: 1, step: 1}}]",
            "give exactly one of values, range, lhs",
        ),
        ("axes: [{path: a.b, lhs: {low: 0, high: 1}}]", "only with combination: lhs"),
        ("combination: lhs\naxes: [{path: a.b, lhs: {low: 0, high: 1}}]", "samples: required"),
        ("axes: [{path: [a.b, a.c], values: [[1]]}]", "must be a list of 2"),
        ("axes: [{path: a.b, name: metric, values: [1]}]", "is a column of the results"),
        ("axes: [{path: a.b, values: [1]}, {path: a.b, name: x, values: [2]}]", "set by two axes"),
        ("axes: [{path: seed, values: [1]}]", "monte_carlo.seed"),
        ("axes: [{path: 'a[x]', values: [1]}]", "expected an index"),
        ("axes: [{path: a, range: {start: 2, stop: 1, step: 1}}]", "must be >= start"),
    ],
)
def test_sweep_file_errors_name_the_field(text: str, expected: str) -> None:
    """Each invalid sweep file gives a ScenarioError with the field path and what is wrong."""
    import yaml

    data = yaml.safe_load("base: x.yaml\n" + text)
    with pytest.raises(ScenarioError, match=expected.replace("[", r"\[").replace(".", r"\.")):
        validate_sweep(data, source="s.yaml")


def test_sweep_that_measures_nothing_is_refused(tmp_path: Path) -> None:
    text = GRID_SWEEP + "metrics: {coverage: false}\n"
    with pytest.raises(ScenarioError, match="measures nothing"):
        _plan(tmp_path, text)


def test_example_sweep_expands() -> None:
    """examples/sweep.yaml: 2 plane counts x 3 sizes x 3 altitudes of the demo's US layer."""
    path = Path(__file__).resolve().parents[2] / "examples" / "sweep.yaml"
    config, folder = load_sweep(path)
    plan = expand_sweep(config, folder, source=str(path))
    assert len(plan.designs) == 18
    sizes = {d.scenario.space.constellations[0].total for d in plan.designs}
    assert sizes == {24, 36, 48}
    assert plan.base_seed == 2027  # the demo's seed
