"""The stages of a run in order, which scenario sections feed each, and their cache.

:data:`STAGES` is the one list of a run's stages: for each, the scenario sections it
reads, the tables it reads and writes, and the function that computes them (a pure
function of :mod:`tracklayer.stages`). From it come

- the run order (the list's order: a stage reads only tables of stages above it);
- each stage's content key (:func:`stage_keys`): a hash of the sections it reads and the
  keys of the stages whose tables it reads, so editing a tracker setting re-runs tracking
  and scoring but reuses the flyout and the detections, and the resilience analysis
  (:mod:`tracklayer.losses.resilience`) keys its draws on the same hashes;
- the tables of a run (:func:`run_stages`), cached on disk by content
  (:class:`StageCache`, ``DIR/.cache/<stage>-<key>/``).

Adding a stage means adding one :class:`Stage` here, with its function in
:mod:`tracklayer.stages`: the runner writes every table the stages return, the cache
and the keys follow.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from tracklayer._version import __version__
from tracklayer.io.parquet import read_table, write_table
from tracklayer.scenario import Scenario
from tracklayer.space import SatelliteCatalog
from tracklayer.stages import network
from tracklayer.stages.coverage import coverage
from tracklayer.stages.scoring import score
from tracklayer.stages.sensing import Outage, sightlines_table
from tracklayer.stages.sensing import detections as detections_table
from tracklayer.stages.space import space_segment
from tracklayer.stages.threats import truth_table
from tracklayer.stages.tracking import tracking_tables

__all__ = [
    "NETWORK",
    "RAID",
    "STAGES",
    "Stage",
    "StageCache",
    "StageInputs",
    "StageRun",
    "run_raid",
    "run_stages",
    "scenario_sections",
    "stage_key",
    "stage_keys",
]

Tables = dict[str, pa.Table]
#: Called with a stage's label (``"flyout"``, ``"sensing"``...) as it starts.
Progress = Callable[[str], None]

#: The group of stages a ``threats`` section makes run.
RAID = "raid"
#: The group of stages run after the raid when the scenario has a ``network`` section
#: (attacks on the network: each draw reruns the network stage, so not in the raid's group,
#: which the resilience analysis reruns per draw).
NETWORK = "network"


@dataclass
class StageInputs:
    """What a stage computes from: the scenario, earlier stages' tables, the satellites."""

    scenario: Scenario
    tables: Tables = field(default_factory=dict)
    known_catalog: SatelliteCatalog | None = None
    #: Satellites out of service (the resilience analysis's draw), for stages that
    #: propagate the satellites again (the network); None: every satellite works.
    outage: Outage | None = None

    @property
    def catalog(self) -> SatelliteCatalog:
        """The space segment, built once on first use."""
        if self.known_catalog is None:
            self.known_catalog = space_segment(self.scenario)
        return self.known_catalog


@dataclass(frozen=True)
class Stage:
    """One stage of a run.

    Attributes
    ----------
    name
        The stage's name (its cache entries are ``<name>-<key>``).
    label
        What the progress display says while it runs.
    group
        ``coverage``, :data:`RAID` or :data:`NETWORK`: the scenario section whose presence
        makes it run (a ``network`` group stage also needs ``threats``).
    sections
        Top-level scenario sections it reads (its cache key hashes them).
    reads, writes
        Tables it reads (written by stages above it) and tables it returns.
    compute
        The computation, a pure function of the inputs.
    when
        A further condition on the scenario (e.g. that it has a ``network`` section);
        None: always, within its group.

    A stage runs when its group runs and ``when`` holds, unless stages above it already
    write every table it writes: a stage that replaces another (trackers fed through a
    network instead of directly) is listed above the one it replaces. A stage of the
    :data:`NETWORK` group also needs the raid (a ``threats`` section).
    """

    name: str
    label: str
    group: str
    sections: tuple[str, ...]
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    compute: Callable[[StageInputs], Tables]
    when: Callable[[Scenario], bool] | None = None

    def applies(self, scenario: Scenario) -> bool:
        """Whether the scenario has the section that makes this stage's group run, and
        the stage's own condition holds."""
        section = "threats" if self.group == RAID else self.group
        if getattr(scenario, section) is None:
            return False
        if self.group == NETWORK and scenario.threats is None:
            return False
        return self.when is None or self.when(scenario)


def _coverage_tables(inputs: StageInputs) -> Tables:
    result = coverage(inputs.scenario, inputs.catalog)
    return {"coverage_cells": result.cells_table(), "coverage_summary": result.summary_table()}


_SPAN = ("epoch", "seed", "duration_s", "step_s")

#: Every stage of a run, in run order.
STAGES: tuple[Stage, ...] = (
    Stage(
        "coverage", "coverage", "coverage", ("epoch", "sensors", "space", "coverage"), (),
        ("coverage_cells", "coverage_summary"), _coverage_tables,
    ),
    Stage(
        "truth", "flyout", RAID, (*_SPAN, "threats"), (), ("truth",),
        lambda i: {"truth": truth_table(i.scenario)},
    ),
    Stage(
        "detections", "sensing", RAID,
        (*_SPAN, "threats", "sensors", "space", "radars", "environment"),
        ("truth",), ("detections",),
        lambda i: {"detections": detections_table(i.scenario, i.tables["truth"], i.catalog)},
    ),
    Stage(  # why threats went unseen: each owner's lines of sight (report, not scoring)
        "sightlines", "sightlines", RAID,
        (*_SPAN, "threats", "sensors", "space", "environment"), ("truth",), ("sightlines",),
        lambda i: {
            "sightlines": sightlines_table(
                i.scenario, i.tables["truth"], i.catalog, outage=i.outage
            )
        },
    ),
    Stage(  # with a network, the trackers run at their nodes on what arrived there
        "network", "network", RAID, (*_SPAN, "space", "tracking", "network"), ("detections",),
        ("tracks", "links", "link_ends", "deliveries", "latency", "node_tracks", "innovations"),
        lambda i: network.network_tables(
            i.scenario, i.tables["detections"], i.catalog, states_outage=i.outage
        ),
        when=lambda s: s.network is not None,
    ),
    Stage(  # each nation's picture of its own and its partners' tracks (warning, report)
        "national_pictures", "national pictures", RAID, ("epoch", "step_s", "network"),
        ("node_tracks",), ("national_pictures",),
        lambda i: network.national_tables(i.scenario, i.tables["node_tracks"]),
        when=lambda s: s.network is not None,
    ),
    Stage(
        "tracks", "tracking", RAID, ("epoch", "step_s", "tracking"), ("detections",),
        ("tracks", "innovations"), lambda i: tracking_tables(i.scenario, i.tables["detections"]),
    ),
    Stage(
        "metrics", "metrics", RAID, ("tracking",), ("truth", "tracks", "detections"),
        ("metrics", "tracker_metrics", "gospa"),
        lambda i: score(i.scenario, i.tables["truth"], i.tables["tracks"], i.tables["detections"]),
    ),
    Stage(
        "warning", "warning", RAID, ("epoch", "tracking", "network"),
        ("metrics", "truth", "node_tracks", "national_pictures"),
        ("warning", "warning_joint_vs_alone", "national_warning"),
        lambda i: network.warning(
            i.scenario, i.tables["metrics"], i.tables["truth"], i.tables["node_tracks"],
            i.tables["national_pictures"],
        ),
        when=lambda s: s.network is not None,
    ),
    Stage(
        "network_attacks", "network attacks", NETWORK, (*_SPAN, "space", "tracking", "network"),
        ("detections", "truth", "metrics", "node_tracks", "latency"),
        ("network_attacks", "network_attacks_summary"),
        lambda i: network.attacks(
            i.scenario, i.tables["detections"], i.tables["truth"], i.catalog,
            network.AttackBaseline(
                i.tables["metrics"], i.tables["node_tracks"], i.tables["latency"]
            ),
        ),
        when=lambda s: s.network is not None and s.network.attacks is not None,
    ),
)  # fmt: skip


@functools.cache
def code_digest() -> str:
    """A hash of the package's own files (its code and model data, not the built web page):
    a cached stage computed by other code is never served (16 hex digits)."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or "__pycache__" in rel or rel.startswith("service/static/"):
            continue
        digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def stage_key(*parts: Any) -> str:
    """A content hash of JSON-able parts, the package version and its code
    (:func:`code_digest`), 16 hex digits."""
    text = json.dumps([__version__, code_digest(), *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def scenario_sections(scenario: Scenario, names: Iterable[str]) -> dict[str, Any]:
    """The named top-level sections of the scenario as JSON data (None where absent)."""
    dumped = scenario.model_dump(mode="json")
    return {name: dumped.get(name) for name in names}


def stage_keys(scenario: Scenario, group: str | None = None) -> dict[str, str]:
    """Each applicable stage's content key (of ``group``'s stages, or all).

    A key hashes the stage's name, the scenario sections it reads, and the keys of the
    stages that write the tables it reads, so it changes exactly when its inputs may. A
    stage whose tables stages above it already write has no key (it does not run).
    """
    keys: dict[str, str] = {}
    writer: dict[str, str] = {}
    for stage in STAGES:
        if not stage.applies(scenario) or all(t in writer for t in stage.writes):
            continue
        upstream = sorted({keys[writer[t]] for t in stage.reads if t in writer})
        keys[stage.name] = stage_key(
            stage.name, scenario_sections(scenario, stage.sections), upstream
        )
        writer |= dict.fromkeys(stage.writes, stage.name)
    return {
        name: key for name, key in keys.items() if group is None or _by_name(name).group == group
    }


def _by_name(name: str) -> Stage:
    return next(stage for stage in STAGES if stage.name == name)


class StageCache:
    """Tables of finished stages on disk, found again by their content key.

    ``None`` as the folder caches nothing (every stage is computed).
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits: list[str] = []

    def has(self, stage: str, key: str) -> bool:
        """Whether the stage's tables for ``key`` are kept (a whole entry)."""
        return self.folder is not None and (self.folder / f"{stage}-{key}/tables.json").is_file()

    def get_or_run(self, stage: str, key: str, compute: Callable[[], Tables]) -> Tables:
        """The stage's tables from the cache, or computed and stored."""
        if self.folder is None:
            return compute()
        entry = self.folder / f"{stage}-{key}"
        manifest = entry / "tables.json"
        if manifest.is_file():
            names = json.loads(manifest.read_text())
            self.hits.append(stage)
            return {name: read_table(entry / f"{name}.parquet") for name in names}
        tables = compute()
        entry.mkdir(parents=True, exist_ok=True)
        for name, table in tables.items():
            write_table(table, entry / f"{name}.parquet")
        manifest.write_text(json.dumps(sorted(tables)))  # written last: marks a whole entry
        return tables


@dataclass
class StageRun:
    """Every table of a run's stages, and each stage's content key."""

    tables: Tables
    keys: Mapping[str, str]

    @property
    def truth(self) -> pa.Table:
        """The ``truth`` table."""
        return self.tables["truth"]

    @property
    def detections(self) -> pa.Table:
        """The ``detections`` table."""
        return self.tables["detections"]

    @property
    def tracks(self) -> pa.Table:
        """The ``tracks`` table (each owner, joint, fused)."""
        return self.tables["tracks"]

    @property
    def metrics(self) -> pa.Table:
        """The ``metrics`` table (per threat and tracker)."""
        return self.tables["metrics"]

    @property
    def tracker_metrics(self) -> pa.Table:
        """The ``tracker_metrics`` table (per tracker)."""
        return self.tables["tracker_metrics"]

    @property
    def gospa(self) -> pa.Table:
        """The ``gospa`` table (per tracker and time)."""
        return self.tables["gospa"]


def run_stages(
    scenario: Scenario,
    group: str,
    cache: StageCache | None = None,
    progress: Progress | None = None,
    *,
    given: Mapping[str, pa.Table] | None = None,
    catalog: SatelliteCatalog | None = None,
    outage: Outage | None = None,
    until: Iterable[str] | None = None,
) -> StageRun:
    """Run the stages of ``group`` that the scenario has, in order, through the cache.

    Parameters
    ----------
    scenario
        The scenario.
    group
        ``coverage`` or :data:`RAID`.
    cache
        Where finished stages are kept (nothing is kept without one).
    progress
        Called with each stage's label as it starts, `` (cached)`` appended when its
        tables come from the cache.
    given
        Tables that replace the stages writing them (``tracklayer track`` re-tracks a
        run folder's own detections); they are taken to be what the scenario makes.
    catalog
        The space segment when already built.
    outage
        Satellites out of service, for stages that propagate the satellites again (the
        ``given`` detections were made under it).
    until
        Tables wanted: only the stages they need are run (None: every stage).

    Returns
    -------
    StageRun
        The tables of the stages run (and the given ones), and every stage's key.
    """
    cache = cache or StageCache(None)
    say = progress or (lambda _label: None)
    inputs = StageInputs(scenario, dict(given or {}), catalog, outage)
    keys = stage_keys(scenario, group)
    needed = None if until is None else _stages_needed(until)
    for stage in STAGES:
        if stage.name not in keys or all(t in inputs.tables for t in stage.writes):
            continue
        if needed is not None and stage.name not in needed:
            continue
        cached = cache.has(stage.name, keys[stage.name])
        say(stage.label + (" (cached)" if cached else ""))
        compute = functools.partial(stage.compute, inputs)
        inputs.tables |= cache.get_or_run(stage.name, keys[stage.name], compute)
    return StageRun(inputs.tables, keys)


def _stages_needed(tables: Iterable[str]) -> set[str]:
    """Names of the stages that write ``tables`` or, in turn, what those stages read."""
    wanted = set(tables)
    names: set[str] = set()
    for stage in reversed(STAGES):
        if wanted.intersection(stage.writes):
            names.add(stage.name)
            wanted.update(stage.reads)
    return names


def run_raid(
    scenario: Scenario,
    cache: StageCache | None = None,
    progress: Progress | None = None,
    *,
    truth: pa.Table | None = None,
    detections: pa.Table | None = None,
    catalog: SatelliteCatalog | None = None,
    outage: Outage | None = None,
    until: Iterable[str] | None = None,
) -> StageRun:
    """Fly, sense, track (each owner alone, jointly, and fused) and score a raid.

    ``truth`` and ``detections``, when given, replace those stages; ``until`` names the
    tables wanted, and only the stages they need run (see :func:`run_stages`).
    """
    given = {
        name: table
        for name, table in (("truth", truth), ("detections", detections))
        if table is not None
    }
    return run_stages(
        scenario, RAID, cache, progress, given=given, catalog=catalog, outage=outage, until=until
    )
