"""Expand a sweep into designs and cases, each a validated scenario with a stable id.

A *design* is one point of the design space: one value per axis, applied on top of the
base scenario (after the sweep's ``set`` overrides) and validated as a whole scenario. A
*case* is a design and a Monte Carlo replicate, whose seed is derived from the base seed.

Identifiers are hashes, so that re-running a sweep finds its finished cases:
``design_id`` = SHA-256 of the design's (path, value) pairs in canonical JSON, and
``case_id`` = SHA-256 of (design_id, replicate, seed); both are 16 hex digits.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from scipy.stats import qmc

from tracklayer.errors import ScenarioError
from tracklayer.scenario import Scenario, format_validation_errors, load_scenario, validate_scenario
from tracklayer.sweep.config import Axis, SweepConfig
from tracklayer.sweep.paths import PathError, set_path

__all__ = [
    "Case",
    "Design",
    "SweepPlan",
    "canonical_json",
    "derive_seed",
    "expand_sweep",
    "lhs_unit_samples",
]

#: At most this many invalid designs are described in one error message.
_MAX_REPORTED = 8


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _hash(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:16]


def derive_seed(base_seed: int, replicate: int) -> int:
    """The seed of Monte Carlo replicate ``replicate``: the first 32-bit word of
    ``numpy.random.SeedSequence(base_seed, spawn_key=(replicate,))``, the same stream
    ``SeedSequence(base_seed).spawn(n)[replicate]`` gives. Replicates get statistically
    independent seeds, and a replicate gets the same seed in every design."""
    seq = np.random.SeedSequence(base_seed, spawn_key=(replicate,))
    return int(seq.generate_state(1, dtype=np.uint32)[0])


@dataclass(frozen=True)
class Design:
    """One point of the design space.

    Attributes
    ----------
    design_id
        Hash of ``overrides``.
    values
        Axis column name -> value (a linked axis's value is its list).
    overrides
        (path as written in the sweep file, value), one per path of every axis.
    scenario
        The base scenario with the overrides applied, validated.
    """

    design_id: str
    values: dict[str, Any]
    overrides: tuple[tuple[str, Any], ...]
    scenario: Scenario


@dataclass(frozen=True)
class Case:
    """A design and one Monte Carlo replicate; ``scenario.seed`` is the replicate's seed."""

    case_id: str
    design_id: str
    replicate: int
    seed: int
    values: dict[str, Any]
    scenario: Scenario


@dataclass(frozen=True)
class SweepPlan:
    """A sweep expanded: its designs and cases, what each case measures, and a fingerprint.

    Attributes
    ----------
    measures
        ``coverage`` and/or ``raid``: the evaluations every case runs.
    fingerprint
        Hash of what makes results comparable (base scenario after ``set``, axes, measures,
        base seed); results in a folder of another fingerprint belong to another sweep.
    notes
        Remarks for the user (duplicate designs merged, replicates reduced...).
    """

    config: SweepConfig
    source: str
    designs: list[Design]
    cases: list[Case]
    axes: list[Axis]
    measures: tuple[str, ...]
    replicates: int
    base_seed: int
    fingerprint: str
    notes: list[str] = field(default_factory=list)

    @property
    def axis_columns(self) -> list[tuple[str, bool]]:
        """(column name, numeric) of every axis, in file order."""
        return [(a.label, a.numeric) for a in self.axes]


def lhs_unit_samples(n_samples: int, n_dims: int, seed: int) -> np.ndarray:
    """Latin hypercube sample of the unit cube, shape ``(n_samples, n_dims)``.

    Each column has exactly one sample in each of the ``n_samples`` strata
    ``[i/n, (i+1)/n)`` (McKay, Beckman and Conover, Technometrics 21, 1979), drawn by
    :class:`scipy.stats.qmc.LatinHypercube` seeded with ``seed``.
    """
    sampler = qmc.LatinHypercube(d=n_dims, rng=np.random.default_rng(seed))
    return np.asarray(sampler.random(n_samples), dtype=np.float64)


def _lhs_value(axis: Axis, u: float) -> Any:
    if axis.lhs is not None:
        lo, hi = axis.lhs.low, axis.lhs.high
        if axis.lhs.integer:
            return int(lo) + min(math.floor(u * (hi - lo + 1)), int(hi - lo))
        return float(f"{lo + u * (hi - lo):.12g}")
    values = axis.discrete_values()
    return values[min(math.floor(u * len(values)), len(values) - 1)]


def _design_points(config: SweepConfig) -> list[list[Any]]:
    """One list of axis values per design, in the order of ``config.axes``."""
    if config.combination == "grid":
        return [list(p) for p in itertools.product(*(a.discrete_values() for a in config.axes))]
    assert config.samples is not None
    u = lhs_unit_samples(config.samples, len(config.axes), config.seed)
    return [
        [_lhs_value(a, float(u[i, j])) for j, a in enumerate(config.axes)] for i in range(len(u))
    ]


def _base_mapping(config: SweepConfig, folder: Path, source: str) -> tuple[dict[str, Any], Path]:
    """The base scenario as a plain mapping, and the folder its data files resolve against."""
    if isinstance(config.base, dict):
        return copy.deepcopy(config.base), folder
    path = Path(config.base)
    path = path if path.is_absolute() else folder / path
    from tracklayer.scenario import parse_yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{source}: base: scenario file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{source}: base: cannot read {path} ({exc})") from None
    data = parse_yaml(text, source=str(path))
    if not isinstance(data, dict):
        load_scenario(path)  # raises the scenario loader's own message
    return data, path.parent


def _related(problem_path: str, axis_paths: list[str]) -> bool:
    return any(
        problem_path == a
        or problem_path.startswith((a + ".", a + "["))
        or a.startswith((problem_path + ".", problem_path + "["))
        for a in axis_paths
    )


def _validate_design(
    data: dict[str, Any],
    concrete: dict[str, list[str]],
    values: dict[str, Any],
    base_dir: Path,
    source: str,
) -> Scenario | str:
    """The design's scenario, or a message naming the axes and the fields at fault."""
    try:
        Scenario.model_validate(data)
    except ValidationError as exc:
        lines = format_validation_errors(exc, data)
        paths = [line.partition(": ")[0] for line in lines]
        blamed = [name for name, ps in concrete.items() if any(_related(p, ps) for p in paths)]
        blamed = blamed or list(concrete)
        shown = ", ".join(f"{name} = {values[name]!r}" for name in blamed)
        return f"axis {shown}: " + "; ".join(lines)
    try:
        return validate_scenario(data, source=source, base_dir=base_dir)
    except ScenarioError as exc:
        return f"design {values}: {exc}"


def expand_sweep(config: SweepConfig, folder: Path, *, source: str = "sweep") -> SweepPlan:
    """Expand ``config`` into validated designs and cases.

    Parameters
    ----------
    config
        The sweep.
    folder
        The sweep file's folder: a relative ``base`` path is resolved against it.
    source
        The sweep file's name, for messages.

    Raises
    ------
    ScenarioError
        An axis path or ``set`` path does not exist in the base scenario, or some designs
        are invalid scenarios (up to 8 are described, each naming its axis and field), or
        the sweep measures nothing.
    """
    base, base_dir = _base_mapping(config, folder, source)
    for path, value in config.fixed.items():
        try:
            set_path(base, path, value)
        except PathError as exc:
            raise ScenarioError(f"{source}: set.{path}: {exc}") from None
    measures = _measures(config, base, source)
    replicates = config.monte_carlo.replicates if "raid" in measures else 1
    notes: list[str] = []
    if replicates < config.monte_carlo.replicates:
        notes.append(
            f"{config.monte_carlo.replicates} Monte Carlo replicates asked, 1 run per design: "
            "without a raid to fly, coverage does not depend on the seed"
        )
    raw_seed = (
        config.monte_carlo.seed if config.monte_carlo.seed is not None else base.get("seed", 0)
    )
    base_seed = raw_seed if isinstance(raw_seed, int) and raw_seed >= 0 else 0

    designs, n_points = _designs(config, base, base_dir, source)
    if len(designs) < n_points:
        notes.append(f"{n_points - len(designs)} repeated designs merged ({len(designs)} distinct)")
    seeds = [derive_seed(base_seed, r) for r in range(replicates)]
    cases = [
        Case(
            case_id=_hash([d.design_id, r, seeds[r]]),
            design_id=d.design_id,
            replicate=r,
            seed=seeds[r],
            values=d.values,
            scenario=d.scenario.model_copy(update={"seed": seeds[r]}),
        )
        for d in designs
        for r in range(replicates)
    ]
    fingerprint = _hash(
        {
            "base": base,
            "axes": [[a.label, a.paths, a.numeric] for a in config.axes],
            "measures": list(measures),
            "base_seed": base_seed,
        }
    )
    return SweepPlan(
        config=config,
        source=source,
        designs=designs,
        cases=cases,
        axes=list(config.axes),
        measures=measures,
        replicates=replicates,
        base_seed=base_seed,
        fingerprint=fingerprint,
        notes=notes,
    )


def _designs(
    config: SweepConfig, base: dict[str, Any], base_dir: Path, source: str
) -> tuple[list[Design], int]:
    """The distinct, validated designs of the sweep's axes, and how many points the axes
    gave (repeated designs are merged).

    Raises
    ------
    ScenarioError
        An axis path does not exist in the base scenario, or some designs are invalid
        scenarios (up to :data:`_MAX_REPORTED` described).
    """
    designs: list[Design] = []
    seen: set[str] = set()
    problems: list[str] = []
    n_bad = 0
    points = _design_points(config)
    for point in points:
        data = copy.deepcopy(base)
        overrides: list[tuple[str, Any]] = []
        concrete: dict[str, list[str]] = {}
        values: dict[str, Any] = {}
        for i, (axis, value) in enumerate(zip(config.axes, point, strict=True)):
            values[axis.label] = value
            parts = value if axis.linked else [value]
            concrete[axis.label] = []
            for path, part in zip(axis.paths, parts, strict=True):
                try:
                    concrete[axis.label].append(set_path(data, path, part))
                except PathError as exc:
                    raise ScenarioError(f"{source}: axes[{i}].path ({axis.label}): {exc}") from None
                overrides.append((path, part))
        design_id = _hash(sorted(overrides, key=lambda kv: kv[0]))
        if design_id in seen:
            continue
        seen.add(design_id)
        scenario = _validate_design(data, concrete, values, base_dir, source)
        if isinstance(scenario, str):
            n_bad += 1
            if len(problems) < _MAX_REPORTED:
                problems.append(scenario)
            continue
        designs.append(Design(design_id, values, tuple(overrides), scenario))
    if problems:
        more = f"\n  ... and {n_bad - len(problems)} more" if n_bad > len(problems) else ""
        raise ScenarioError(
            f"{source}: {n_bad} design{'s are' if n_bad > 1 else ' is'} not a valid scenario:\n  "
            + "\n  ".join(problems)
            + more
        )
    return designs, len(points)


def _measures(config: SweepConfig, base: Mapping[str, Any], source: str) -> tuple[str, ...]:
    measures = []
    if config.metrics.coverage and base.get("coverage") is not None:
        measures.append("coverage")
    if config.metrics.raid and base.get("threats") is not None:
        measures.append("raid")
    if not measures:
        raise ScenarioError(
            f"{source}: the sweep measures nothing: its base scenario needs a `coverage` "
            "section (with metrics.coverage: true) or `threats` (with metrics.raid: true, "
            "and a tracklayer that runs raids end to end)"
        )
    return tuple(measures)
