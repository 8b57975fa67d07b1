"""The list of stages (``tracklayer.raid.STAGES``): run order, content keys, the cache, and
adding or replacing a stage by one entry. The stages' computations are replaced by small
table functions, so these tests check the machinery, not the physics."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tests.losses.helpers import scenario
from tracklayer import raid
from tracklayer.raid import RAID, Stage, StageCache, StageInputs, run_stages, stage_keys
from tracklayer.scenario import Scenario

THREATS = {"vehicles": {}, "raids": []}


def _truth(inputs: StageInputs) -> dict[str, pa.Table]:
    return {"truth": pa.table({"seed": [inputs.scenario.seed]})}


def _double(inputs: StageInputs) -> dict[str, pa.Table]:
    truth = inputs.tables["truth"]
    return {"doubled": pa.table({"seed": pc.multiply(truth["seed"], 2)})}


def _triple(inputs: StageInputs) -> dict[str, pa.Table]:
    truth = inputs.tables["truth"]
    return {"doubled": pa.table({"seed": pc.multiply(truth["seed"], 3)})}


FLY = Stage("truth", "flyout", RAID, ("seed",), (), ("truth",), _truth)
DOUBLE = Stage("doubled", "doubling", RAID, ("step_s",), ("truth",), ("doubled",), _double)


@pytest.fixture
def threats() -> Scenario:
    return scenario(threats=THREATS)


def test_an_added_stage_runs_in_order_and_is_cached(
    monkeypatch: pytest.MonkeyPatch, threats: Scenario, tmp_path: Path
) -> None:
    """One entry adds a stage: it runs after the stage whose table it reads, says its
    label, its tables come back, and a second run reads them from the cache."""
    monkeypatch.setattr(raid, "STAGES", (FLY, DOUBLE))
    said: list[str] = []
    run = run_stages(threats, RAID, StageCache(tmp_path), said.append)
    assert said == ["flyout", "doubling"]
    assert run.tables["doubled"]["seed"].to_pylist() == [2 * threats.seed]
    cache = StageCache(tmp_path)
    again = run_stages(threats, RAID, cache)
    assert cache.hits == ["truth", "doubled"]
    assert again.tables["doubled"].equals(run.tables["doubled"])


def test_keys_follow_the_sections_each_stage_reads(
    monkeypatch: pytest.MonkeyPatch, threats: Scenario
) -> None:
    """Editing a section a stage reads changes its key and its dependants' keys only."""
    monkeypatch.setattr(raid, "STAGES", (FLY, DOUBLE))
    base = stage_keys(threats)
    step = stage_keys(threats.model_copy(update={"step_s": threats.step_s * 2}))
    seed = stage_keys(threats.model_copy(update={"seed": threats.seed + 1}))
    assert step["truth"] == base["truth"] and step["doubled"] != base["doubled"]
    assert seed["truth"] != base["truth"] and seed["doubled"] != base["doubled"]


def test_keys_follow_the_code(
    monkeypatch: pytest.MonkeyPatch, threats: Scenario, tmp_path: Path
) -> None:
    """A stage cached by other code (another digest of the package's files) is recomputed,
    not served; the digest reads the package's files and is the same on each call."""
    assert raid.code_digest() == raid.code_digest()
    assert len(raid.code_digest()) == 16
    monkeypatch.setattr(raid, "STAGES", (FLY, DOUBLE))
    run_stages(threats, RAID, StageCache(tmp_path))
    monkeypatch.setattr(raid, "code_digest", lambda: "0" * 16)
    cache = StageCache(tmp_path)
    run_stages(threats, RAID, cache)
    assert cache.hits == []


def test_a_stage_listed_above_replaces_one_writing_the_same_tables(
    monkeypatch: pytest.MonkeyPatch, threats: Scenario
) -> None:
    """A conditional stage above another that writes the same tables replaces it when its
    condition holds (and only then): the replaced stage neither runs nor has a key."""
    triple = Stage(
        "tripled", "tripling", RAID, ("seed",), ("truth",), ("doubled",), _triple,
        when=lambda s: s.seed % 2 == 1,
    )  # fmt: skip
    monkeypatch.setattr(raid, "STAGES", (FLY, triple, DOUBLE))
    odd = threats.model_copy(update={"seed": 3})
    even = threats.model_copy(update={"seed": 4})
    assert set(stage_keys(odd)) == {"truth", "tripled"}
    assert run_stages(odd, RAID).tables["doubled"]["seed"].to_pylist() == [9]
    assert set(stage_keys(even)) == {"truth", "doubled"}
    assert run_stages(even, RAID).tables["doubled"]["seed"].to_pylist() == [8]


def test_groups_run_only_with_their_section(
    monkeypatch: pytest.MonkeyPatch, threats: Scenario
) -> None:
    """Raid stages need a ``threats`` section; given tables replace their stage."""
    monkeypatch.setattr(raid, "STAGES", (FLY, DOUBLE))
    assert stage_keys(scenario()) == {}
    given = {"truth": pa.table({"seed": [21]})}
    run = run_stages(threats, RAID, given=given)
    assert run.tables["doubled"]["seed"].to_pylist() == [42]


def test_a_run_until_some_tables_runs_only_the_stages_they_need(
    monkeypatch: pytest.MonkeyPatch, threats: Scenario
) -> None:
    """``until`` names the tables wanted: a stage nothing wanted reads through is skipped."""
    monkeypatch.setattr(raid, "STAGES", (FLY, DOUBLE))
    said: list[str] = []
    run = run_stages(threats, RAID, None, said.append, until=("truth",))
    assert said == ["flyout"] and "doubled" not in run.tables
    said.clear()
    run_stages(threats, RAID, None, said.append, until=("doubled",))
    assert said == ["flyout", "doubling"]


def test_the_resilience_reruns_skip_what_metrics_do_not_need() -> None:
    """The loss draws want ``metrics``: flyout, sensing, the network's trackers and scoring
    run; the national pictures, warning, sightlines and attacks (report-only) do not."""
    needed = raid._stages_needed(("metrics",))
    assert {"truth", "detections", "network", "tracks", "metrics"} <= needed
    skipped = {"national_pictures", "warning", "sightlines", "network_attacks", "coverage"}
    assert needed.isdisjoint(skipped)
