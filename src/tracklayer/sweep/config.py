"""Sweep files: a base scenario, the axes of the design space, and Monte Carlo raids.

A sweep file is YAML::

    name: planes and altitude of the US layer
    base: demo.yaml                  # a scenario file (relative to this file) or a mapping
    set:                             # overrides applied to every design
      coverage.cell_size_deg: 5
    combination: grid                # grid (cartesian product) or lhs (Latin hypercube)
    axes:
      - path: space.constellations[name=TRK].planes
        name: planes
        values: [3, 4, 6]
      - path: space.constellations[name=TRK].altitude_km
        range: {start: 800, stop: 1200, step: 200}
    monte_carlo: {replicates: 2}
    metrics: {coverage: true, raid: true}

Paths name a scenario field the way validation errors do (``coverage.cell_size_deg``,
``space.constellations[0].planes``); a list item may also be picked by one of its keys
(``space.constellations[name=TRK]``). :mod:`tracklayer.sweep.cases` expands the file into
cases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from tracklayer.config_base import StrictModel
from tracklayer.errors import ScenarioError, TracklayerError
from tracklayer.scenario import format_validation_errors, read_yaml_file
from tracklayer.sweep.paths import parse_path

__all__ = [
    "RESERVED_COLUMNS",
    "Axis",
    "LhsSpec",
    "MetricsOptions",
    "MonteCarlo",
    "RangeSpec",
    "SweepConfig",
    "SweepError",
    "load_sweep",
    "validate_sweep",
]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Columns of the results dataset that an axis name may not take.
RESERVED_COLUMNS = frozenset(
    {
        "case_id",
        "design_id",
        "replicate",
        "seed",
        "status",
        "error",
        "elapsed_s",
        "worker",
        "finished_at",
        "n_satellites",
        "source",
        "group",
        "target_altitude_km",
        "object_id",
        "metric",
        "value",
    }
)


class SweepError(TracklayerError):
    """A sweep cannot run: the scheduler is unreachable, or the output folder holds the
    results of a different sweep."""


class RangeSpec(StrictModel):
    """Evenly spaced values from ``start`` to ``stop``, both ends included when ``stop``
    falls on the grid (like ``numpy.linspace``, unlike Python's ``range``)."""

    start: float
    stop: float
    step: float = Field(gt=0, description="Spacing, > 0, in the field's own unit")

    @model_validator(mode="after")
    def _ordered(self) -> RangeSpec:
        if self.stop < self.start:
            raise ValueError(f"stop ({self.stop}) must be >= start ({self.start})")
        if (self.stop - self.start) / self.step > 100_000:
            raise ValueError("more than 100,000 values; use a larger step")
        return self

    def values(self) -> list[float | int]:
        """The values, as ints when start and step are whole numbers."""
        n = int((self.stop - self.start) / self.step + 1e-9) + 1
        whole = float(self.start).is_integer() and float(self.step).is_integer()
        out: list[float | int] = []
        for i in range(n):
            v = self.start + i * self.step
            # Rounding to 12 significant digits removes the drift of repeated float steps
            # (0.1 * 3 = 0.30000000000000004), which would otherwise change the case ids.
            out.append(round(v) if whole else float(f"{v:.12g}"))
        return out


class LhsSpec(StrictModel):
    """A continuous (or integer) interval sampled by the Latin hypercube."""

    low: float
    high: float
    integer: bool = Field(
        default=False, description="Draw whole numbers in [low, high] (each equally likely)"
    )

    @model_validator(mode="after")
    def _ordered(self) -> LhsSpec:
        if self.high <= self.low:
            raise ValueError(f"high ({self.high}) must be > low ({self.low})")
        if self.integer and not (float(self.low).is_integer() and float(self.high).is_integer()):
            raise ValueError("integer axes need whole numbers for low and high")
        return self


class Axis(StrictModel):
    """One dimension of the design space: a scenario field and the values it takes.

    Give exactly one of ``values``, ``range`` and ``lhs``. With a list of paths, the axis
    is *linked*: each value is a list with one entry per path, set together (e.g. planes
    and total satellites).
    """

    path: str | list[str] = Field(
        description="Scenario field path, e.g. space.constellations[name=TRK].planes; "
        "a list of paths links them"
    )
    name: str | None = Field(
        default=None,
        description="Column name in results and plots (default: from the path)",
    )
    values: list[Any] | None = Field(default=None, min_length=1)
    range: RangeSpec | None = None
    lhs: LhsSpec | None = None

    @field_validator("path")
    @classmethod
    def _paths(cls, value: str | list[str]) -> str | list[str]:
        paths = [value] if isinstance(value, str) else value
        if not paths:
            raise ValueError("at least one path is needed")
        for p in paths:
            parse_path(p)  # a PathError is a ValueError: pydantic reports it on the field
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not _NAME.match(value):
            raise ValueError(
                f"must be letters, digits and '_' (not starting with a digit), got {value!r}"
            )
        if value in RESERVED_COLUMNS:
            raise ValueError(f"{value!r} is a column of the results; choose another name")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Axis:
        given = [k for k in ("values", "range", "lhs") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of values, range, lhs (got {given or 'none'})")
        if self.linked:
            if self.values is None:
                raise ValueError("a linked axis (a list of paths) takes `values` only")
            n = len(self.paths)
            for i, v in enumerate(self.values):
                if not isinstance(v, list) or len(v) != n:
                    raise ValueError(
                        f"values[{i}]: must be a list of {n} (one per path), got {v!r}"
                    )
        return self

    @property
    def linked(self) -> bool:
        """True when the axis sets several paths together."""
        return not isinstance(self.path, str)

    @property
    def paths(self) -> list[str]:
        """The field paths this axis sets."""
        return [self.path] if isinstance(self.path, str) else list(self.path)

    @property
    def label(self) -> str:
        """The axis's column name: ``name``, or the last path sanitised."""
        if self.name is not None:
            return self.name
        text = re.sub(r"[^A-Za-z0-9_]+", "_", self.paths[-1]).strip("_")
        text = text if _NAME.match(text) else f"axis_{text}"
        return f"{text}_axis" if text in RESERVED_COLUMNS else text

    def discrete_values(self) -> list[Any]:
        """The listed values (``values`` or ``range``); an ``lhs`` axis has none."""
        if self.values is not None:
            return list(self.values)
        if self.range is not None:
            return list(self.range.values())
        raise ValueError("an lhs axis has no discrete values")

    @property
    def numeric(self) -> bool:
        """True when every value is a number (stored as float64 in results)."""
        if self.lhs is not None or self.range is not None:
            return True
        assert self.values is not None
        return not self.linked and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in self.values
        )


class MonteCarlo(StrictModel):
    """Random raids per design: replicate ``r`` runs with a seed derived from ``seed``.

    Replicate ``r`` gets the same seed in every design (common random numbers), so designs
    are compared on the same raids.
    """

    replicates: int = Field(default=1, ge=1, le=100_000, description="Raids per design")
    seed: int | None = Field(
        default=None, ge=0, description="Base seed (default: the base scenario's seed)"
    )


class MetricsOptions(StrictModel):
    """What each case measures."""

    coverage: bool = Field(
        default=True, description="Coverage figures of merit (scenarios with `coverage`)"
    )
    raid: bool = Field(default=True, description="Raid tracking metrics (scenarios with `threats`)")


class SweepConfig(StrictModel):
    """A whole sweep: base scenario, fixed overrides, axes, Monte Carlo and metrics."""

    name: str = Field(default="sweep", min_length=1, description="Title, used in reports")
    description: str = ""
    base: str | dict[str, Any] = Field(
        description="Scenario file (relative to the sweep file) or an inline scenario mapping"
    )
    fixed: dict[str, Any] = Field(
        default_factory=dict,
        alias="set",
        description="Field path -> value, applied to every design before the axes",
    )
    combination: Literal["grid", "lhs"] = Field(
        default="grid", description="grid: cartesian product of the axes; lhs: Latin hypercube"
    )
    samples: int | None = Field(
        default=None, ge=1, le=1_000_000, description="Designs drawn by the Latin hypercube"
    )
    seed: int = Field(default=0, ge=0, description="Seed of the Latin hypercube draw")
    axes: list[Axis] = Field(min_length=1)
    monte_carlo: MonteCarlo = Field(default_factory=MonteCarlo)
    metrics: MetricsOptions = Field(default_factory=MetricsOptions)

    @model_validator(mode="after")
    def _consistent(self) -> SweepConfig:
        problems = []
        if self.combination == "lhs" and self.samples is None:
            problems.append("samples: required with combination: lhs")
        if self.combination == "grid":
            if self.samples is not None:
                problems.append("samples: only with combination: lhs")
            problems += [
                f"axes[{i}].lhs: only with combination: lhs (a grid needs values or range)"
                for i, a in enumerate(self.axes)
                if a.lhs is not None
            ]
        labels = [a.label for a in self.axes]
        problems += [
            f"axes[{i}].name: {label!r} is used by another axis"
            for i, label in enumerate(labels)
            if labels.index(label) != i
        ]
        paths = [p for a in self.axes for p in a.paths]
        problems += [
            f"axes: path {p!r} is set by two axes" for p in sorted(set(paths)) if paths.count(p) > 1
        ]
        problems += [f"set: {p!r} is also an axis" for p in self.fixed if p in paths]
        if "seed" in paths or "seed" in self.fixed:
            problems.append("axes: `seed` is set by monte_carlo.seed and its replicates")
        if problems:
            raise ValueError("\n".join(problems))
        return self


def load_sweep(path: str | Path) -> tuple[SweepConfig, Path]:
    """Read and validate a sweep file.

    Returns
    -------
    config, folder
        The sweep and the folder its relative paths (``base``) are resolved against.

    Raises
    ------
    ScenarioError
        The file is missing, not YAML, or fails validation; one line per problem, each
        naming its field path.
    """
    path = Path(path)
    data = read_yaml_file(path, "sweep")
    return validate_sweep(data, source=str(path)), path.parent


def validate_sweep(data: Any, *, source: str = "sweep") -> SweepConfig:
    """Validate parsed sweep data; errors name the field path (``axes[1].range.step``)."""
    if not isinstance(data, Mapping):
        raise ScenarioError(
            f"{source}: expected a mapping of sweep fields at the top level, "
            f"got {type(data).__name__}"
        )
    try:
        return SweepConfig.model_validate(data)
    except ValidationError as exc:
        # Model-level validators report several problems in one message, one per line.
        lines = [part for line in format_validation_errors(exc, data) for part in line.split("\n")]
        raise ScenarioError(
            f"{source}: {len(lines)} problem{'s' if len(lines) > 1 else ''}:\n  "
            + "\n  ".join(lines)
        ) from None
