"""Every example scenario loads, validates and builds its space segment, so none rots."""

from __future__ import annotations

from pathlib import Path

import pytest

import tracklayer as tl
from tests.conftest import EXAMPLES

SCENARIOS = sorted(p for p in EXAMPLES.glob("*.yaml") if not p.name.startswith("sweep"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_example_loads_and_builds(path: Path) -> None:
    scenario = tl.load_scenario(path)
    catalog = tl.space_segment(scenario)
    assert len(catalog) > 0
    assert sorted(set(catalog.owner.tolist())) == scenario.owners


def test_allied_example_reads_tle_and_omm() -> None:
    """The four-owner example's KOR ring comes from a TLE file (12 satellites) and its AUS
    ring from an OMM JSON file (8), as scripts/make_example_catalogs.py wrote them."""
    catalog = tl.space_segment(tl.load_scenario(EXAMPLES / "allied.yaml"))
    owners, counts = (catalog.owner == "KOR").sum(), (catalog.owner == "AUS").sum()
    assert (owners, counts) == (12, 8)


def test_demo_is_the_packaged_builtin() -> None:
    assert tl.demo_scenario_path().read_text() == (EXAMPLES / "demo.yaml").read_text()
