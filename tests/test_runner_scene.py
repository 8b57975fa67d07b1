"""The globe's scene of a run without threats opens on the coverage region (runner)."""

from __future__ import annotations

from typing import Any

import yaml

from tests.conftest import SMALL_SCENARIO
from tracklayer.runner import _coverage_box_deg
from tracklayer.scenario import Scenario, validate_scenario


def _with_region(region: dict[str, Any]) -> Scenario:
    data = yaml.safe_load(SMALL_SCENARIO)
    data["coverage"]["region"] = region
    return validate_scenario(data)


def test_coverage_box_polygon_and_global() -> None:
    """A box gives its own edges (east of the antimeridian as more than 180), a polygon
    its vertices' extent, the whole Earth nothing."""
    box: dict[str, Any] = {"kind": "box", "lat_min_deg": 20, "lat_max_deg": 40, "lon_min_deg": 120,
           "lon_max_deg": 150}  # fmt: skip
    assert _coverage_box_deg(_with_region(box)) == (120.0, 20.0, 150.0, 40.0)
    box.update(lon_min_deg=170, lon_max_deg=-170)
    assert _coverage_box_deg(_with_region(box)) == (170.0, 20.0, 190.0, 40.0)
    polygon = {"kind": "polygon", "vertices_deg": [[0, 100], [10, 110], [5, 130]]}
    assert _coverage_box_deg(_with_region(polygon)) == (100.0, 0.0, 130.0, 10.0)
    assert _coverage_box_deg(_with_region({"kind": "global"})) is None
