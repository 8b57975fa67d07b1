"""Scenario files: the pydantic models, YAML loading, and errors that name their field.

A scenario is one YAML file. Degrees, km and ISO 8601 UTC times appear in the file; the
models convert to SI at this boundary. Every problem found is reported as one line that
starts with its field path, e.g. ``space.constellations[1].planes: must be >= 1, got 0``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import AwareDatetime, Field, ValidationError, field_validator, model_validator

from tracklayer.config_base import StrictModel
from tracklayer.errors import ScenarioError
from tracklayer.losses.config import LossesConfig
from tracklayer.metrics.config import CoverageConfig
from tracklayer.network.config import NetworkConfig
from tracklayer.scenario_errors import (
    LineIndex,
    did_you_mean,
    format_validation_errors,
    problem_line,
    yaml_line_index,
)
from tracklayer.sensors.config import SensorPayload
from tracklayer.sensors.environment import EnvironmentConfig
from tracklayer.sensors.radar_config import GroundRadar
from tracklayer.space.config import ConstellationConfig
from tracklayer.threats.config import ThreatsConfig
from tracklayer.tracking.config import TrackingConfig


class SpaceSegmentConfig(StrictModel):
    """The satellites of every owner, as a list of constellations."""

    constellations: list[ConstellationConfig] = Field(
        min_length=1, description="Walker patterns and TLE/OMM imports, each with its owner"
    )

    @field_validator("constellations")
    @classmethod
    def _names_are_unique(cls, value: list[ConstellationConfig]) -> list[ConstellationConfig]:
        seen: set[str] = set()
        for constellation in value:
            if constellation.name in seen:
                raise ValueError(f"constellation name {constellation.name!r} is used twice")
            seen.add(constellation.name)
        return value


class Scenario(StrictModel):
    """A whole tracklayer scenario: the space segment, its sensors, threats and analyses."""

    name: str = Field(min_length=1, description="Short title, used in reports")
    description: str = ""
    epoch: AwareDatetime = Field(description="Scenario start, ISO 8601 with a time zone (UTC)")
    seed: int = Field(default=0, ge=0, description="The one seed of every random draw")
    duration_s: float = Field(default=1800.0, gt=0, description="Length of a raid run, s")
    step_s: float = Field(default=1.0, gt=0, description="Sampling cadence of a raid run, s")
    sensors: dict[str, SensorPayload] = Field(
        min_length=1, description="Sensor payloads by name; each constellation names one"
    )
    space: SpaceSegmentConfig
    coverage: CoverageConfig | None = None
    threats: ThreatsConfig | None = None
    radars: list[GroundRadar] = Field(
        default_factory=list, description="Ground radars, for comparison with the constellation"
    )
    tracking: TrackingConfig = Field(
        default_factory=TrackingConfig, description="Tracker settings (national and joint)"
    )
    losses: LossesConfig | None = Field(
        default=None, description="Resilience: metrics against the number of satellites lost"
    )
    environment: EnvironmentConfig = Field(
        default_factory=EnvironmentConfig,
        description="Model atmosphere (auto by launch latitude and month) and cloud tops",
    )
    network: NetworkConfig | None = Field(
        default=None,
        description="The connected layer: crosslinks, ground stations, nodes, sharing "
        "(none: every detection reaches every tracker the instant it is made)",
    )

    @field_validator("epoch")
    @classmethod
    def _epoch_in_utc(cls, value: dt.datetime) -> dt.datetime:
        return value.astimezone(dt.UTC)

    @model_validator(mode="after")
    def _sensors_exist(self) -> Scenario:
        problems = [
            f"space.constellations[{i}].sensor: no sensor named {c.sensor!r} "
            f"(defined: {', '.join(sorted(self.sensors))}){did_you_mean(c.sensor, self.sensors)}"
            for i, c in enumerate(self.space.constellations)
            if c.sensor not in self.sensors
        ]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _bands_exist(self) -> Scenario:
        """Each sensing payload's band is one of ``threats.bands`` (sensing needs both)."""
        if self.threats is None:
            return self
        bands = sorted(self.threats.bands)
        problems = [
            f"sensors.{name}.infrared.band: no band named {payload.infrared.band!r} "
            f"in threats.bands (defined: {', '.join(bands)})"
            + did_you_mean(payload.infrared.band, bands)
            for name, payload in self.sensors.items()
            if payload.infrared is not None and payload.infrared.band not in self.threats.bands
        ]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _network_matches_space(self) -> Scenario:
        if self.network is not None:
            names = [c.name for c in self.space.constellations]
            problems = self.network.problems_with(
                names, self.owners, [r.owner for r in self.radars]
            )
            if problems:
                raise ValueError("\n".join(f"network.{p}" for p in problems))
        return self

    @property
    def owners(self) -> list[str]:
        """The owners of the space segment, sorted."""
        return sorted({c.owner for c in self.space.constellations})


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, for editors and validators."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "tracklayer scenario"
    return schema


def load_scenario(path: str | Path) -> Scenario:
    """Read, parse and validate a scenario file.

    Relative data files (TLE, OMM) are resolved against the scenario's folder and must
    exist.

    Raises
    ------
    ScenarioError
        With one line per problem, each naming the file and the field path.
    """
    path = Path(path)
    data, lines = read_yaml_with_lines(path, "scenario")
    return validate_scenario(data, source=str(path), base_dir=path.parent, lines=lines)


def read_yaml_file(path: Path, what: str) -> Any:
    """Read and parse a YAML file; a missing, unreadable or malformed file is a
    :class:`ScenarioError` naming the path (and line), ``what`` naming the kind of file."""
    return read_yaml_with_lines(path, what)[0]


def read_yaml_with_lines(path: Path, what: str) -> tuple[Any, LineIndex]:
    """:func:`read_yaml_file`, and the line of each field in the file
    (:func:`tracklayer.scenario_errors.yaml_line_index`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: {what} file not found") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a folder, expected a {what} YAML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read the {what} file ({exc})") from None
    data = parse_yaml(text, source=str(path))
    return data, yaml_line_index(text, _StrictLoader)


def validate_scenario(
    data: Any,
    *,
    source: str = "scenario",
    base_dir: Path | None = None,
    lines: LineIndex | None = None,
) -> Scenario:
    """Validate already parsed scenario data (a mapping) and resolve its data files.

    ``lines`` (:func:`tracklayer.scenario_errors.yaml_line_index` of the file) adds each
    problem's line to its message."""
    if not isinstance(data, Mapping):
        raise ScenarioError(
            f"{source}: expected a mapping of scenario fields at the top level, "
            f"got {type(data).__name__}"
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = format_validation_errors(exc, data, lines=lines, model=Scenario)
        raise ScenarioError(
            f"{source}: {len(problems)} problem{'s' if len(problems) > 1 else ''}:\n  "
            + "\n  ".join(problems)
        ) from None
    return _resolve_files(scenario, base_dir or Path.cwd(), source, lines)


def _resolve_files(
    scenario: Scenario, base_dir: Path, source: str, lines: LineIndex | None = None
) -> Scenario:
    constellations = []
    problems = []
    for i, constellation in enumerate(scenario.space.constellations):
        file = getattr(constellation, "file", None)
        if file is not None:
            resolved = file if Path(file).is_absolute() else (base_dir / file).resolve()
            if not resolved.is_file():
                problems.append(
                    problem_line(
                        ("space", "constellations", i, "file"),
                        f"file not found: {resolved}",
                        lines,
                    )
                )
            constellation = constellation.model_copy(update={"file": resolved})
        constellations.append(constellation)
    if problems:
        raise ScenarioError(f"{source}:\n  " + "\n  ".join(problems))
    space = scenario.space.model_copy(update={"constellations": constellations})
    return scenario.model_copy(update={"space": space})


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML loader that refuses duplicate keys and leaves timestamps as text.

    Timestamps stay strings so that pydantic parses them and insists on a time zone.
    LibYAML's parser when PyYAML was built with it (six times faster on a scenario file
    than the pure-Python one, the same documents), else the pure-Python parser.
    """


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping_without_duplicates(
    loader: _StrictLoader, node: yaml.MappingNode
) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {mark.line + 1})", mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping_without_duplicates,
)


def parse_yaml(text: str, *, source: str) -> Any:
    """Parse YAML text; a syntax error names the line and column."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise ScenarioError(f"{source}:{where}: invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: invalid YAML: {exc}") from None
