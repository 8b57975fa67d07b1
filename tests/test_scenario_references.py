"""Cross-references `validate` checks before any stage runs, and the run's cut-off check."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import yaml

from tracklayer.errors import ScenarioError
from tracklayer.frames import utc_timestamps
from tracklayer.run_checks import CutOff, cut_off_warning, threats_cut_off
from tracklayer.scenario import validate_scenario
from tracklayer.tracking.synthetic import EPOCH

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def demo_data() -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES / "demo.yaml").read_text())
    assert isinstance(data, dict)
    return data


def test_a_payload_naming_an_undefined_band_fails_validation(demo_data: dict[str, Any]) -> None:
    data = copy.deepcopy(demo_data)
    name = next(n for n, s in data["sensors"].items() if s.get("infrared"))
    data["sensors"][name]["infrared"]["band"] = "lwir"
    data["threats"]["bands"] = {"mwir": [3.0, 5.0]}
    with pytest.raises(ScenarioError) as info:
        validate_scenario(data, source="s.yaml", base_dir=EXAMPLES)
    assert f"sensors.{name}.infrared.band: no band named 'lwir'" in str(info.value)
    assert "(defined: mwir)" in str(info.value)


def test_bands_are_not_checked_without_threats(demo_data: dict[str, Any]) -> None:
    data = copy.deepcopy(demo_data)
    name = next(n for n, s in data["sensors"].items() if s.get("infrared"))
    data["sensors"][name]["infrared"]["band"] = "lwir"
    for section in ("threats", "losses", "network"):
        data.pop(section, None)
    assert validate_scenario(data, base_dir=EXAMPLES).threats is None


def _truth() -> pa.Table:
    """T0 impacts (0 m) at 30 s; T1 is 80 km up at the run's end (60 s); T2 ends 500 m up."""
    rows = [("T0", t, 1e5 * (1 - t / 30.0)) for t in range(0, 31, 10)]
    rows += [("T1", t, 80e3) for t in range(20, 61, 10)]
    rows += [("T2", t, 500.0) for t in range(40, 61, 10)]
    ids, times, alt = zip(*rows, strict=True)
    return pa.table(
        {"object_id": list(ids), "time": utc_timestamps(EPOCH, np.array(times, float)),
         "alt_m": list(alt)}
    )  # fmt: skip


def test_threats_still_flying_at_the_end_are_cut_off() -> None:
    """Reference: the hand-made flights above; impact is at 0 m and the 1 km threshold
    separates a threat in flight from one on (or just above) the ground."""
    cut = threats_cut_off(_truth(), duration_s=60.0, step_s=10.0)
    assert cut == [CutOff("T1", 80e3)]
    message = cut_off_warning(cut, 60.0)
    assert message is not None
    assert "duration_s = 60 s" in message and "T1 (80 km up)" in message
    assert cut_off_warning([], 60.0) is None
