"""Scenario model of a resilience analysis: which satellites are lost, when, and how often.

A scenario's ``losses:`` section::

    losses:
      at_s: 300              # the satellites fail 300 s after the epoch (and stay dead)
      counts: [0, 4, 8, 16]  # k: how many are lost (satellites; planes for the plane pool)
      draws: 20              # random draws per k, seeded from the scenario seed
      pool: random           # or {owner: USA}, plane, {plane: TRK}, {named: [ids]}
      coverage: true         # coverage figures of merit per draw (cheap)
      raid: true             # sensing, tracking and metrics per draw (costly) ...
      max_raid_draws: 3      # ... for at most this many draws of each k

The pool says what may be lost: ``random`` draws from every satellite, ``{owner: USA}``
from one owner's, ``plane`` whole orbit planes of every Walker constellation (``{plane:
TRK}``: of one), ``{named: [USA-TRK-P01-S01, ...]}`` from the listed satellites (k equal
to the list's length loses exactly them). The long form ``{kind: owner, owner: USA}`` is
accepted too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from tracklayer.config_base import OwnerCode, StrictModel

__all__ = ["LossPool", "LossesConfig"]

PoolKind = Literal["random", "owner", "plane", "named"]


class LossPool(StrictModel):
    """The satellites (or planes) that losses are drawn from."""

    kind: PoolKind = Field(
        default="random",
        description="random: any satellite; owner: one owner's satellites; plane: whole "
        "orbit planes of Walker constellations; named: the listed satellites",
    )
    owner: OwnerCode | None = Field(default=None, description="The owner (kind: owner)")
    plane: str | None = Field(
        default=None,
        min_length=1,
        description="Constellation whose planes are lost (kind: plane; default: every "
        "Walker constellation)",
    )
    named: list[str] | None = Field(
        default=None, min_length=1, description="Satellite ids (kind: named)"
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        """``random`` / ``plane`` as strings; ``{owner: X}``, ``{plane: X}``, ``{named: [...]}``
        without ``kind``."""
        if isinstance(data, str):
            if data in ("random", "plane"):
                return {"kind": data}
            raise ValueError(
                f"expected random, plane, {{owner: USA}}, {{plane: NAME}} or "
                f"{{named: [sat ids]}}, got {data!r}"
            )
        if isinstance(data, Mapping) and "kind" not in data:
            given = [key for key in ("owner", "plane", "named") if key in data]
            if len(given) == 1:
                return {"kind": given[0], **data}
            if len(given) > 1:
                raise ValueError(f"give one of owner, plane or named, not {' and '.join(given)}")
        return data

    @field_validator("named")
    @classmethod
    def _unique(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            repeated = sorted({s for s in value if value.count(s) > 1})
            if repeated:
                raise ValueError(f"satellite ids must not repeat: {', '.join(repeated)}")
        return value

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> LossPool:
        needs = {"owner": "owner", "named": "named"}
        if self.kind in needs and getattr(self, needs[self.kind]) is None:
            raise ValueError(f"kind {self.kind} needs the field `{needs[self.kind]}`")
        allowed = {"owner": {"owner"}, "plane": {"plane"}, "named": {"named"}}.get(self.kind, set())
        stray = [f for f in ("owner", "plane", "named") if f not in allowed and getattr(self, f)]
        if stray:
            raise ValueError(f"kind {self.kind} takes no field {', '.join(stray)}")
        return self

    def describe(self) -> str:
        """A short label for plots and tables, e.g. ``random``, ``owner USA``, ``planes of TRK``."""
        if self.kind == "owner":
            return f"owner {self.owner}"
        if self.kind == "plane":
            return "whole planes" if self.plane is None else f"planes of {self.plane}"
        if self.kind == "named":
            return f"named ({len(self.named or [])})"
        return "random"

    @property
    def unit(self) -> str:
        """What ``k`` counts: ``planes`` for the plane pool, else ``satellites``."""
        return "planes" if self.kind == "plane" else "satellites"


class LossesConfig(StrictModel):
    """A resilience analysis: k satellites lost at ``at_s``, many random draws per k.

    Every figure of merit is recomputed per draw with the lost satellites out of service
    from ``at_s`` on, and reported against k (:func:`tracklayer.losses.resilience.run_losses`).
    """

    at_s: float = Field(
        default=0.0, ge=0.0, description="Time of the loss, s after the scenario epoch"
    )
    counts: list[Annotated[int, Field(ge=0)]] = Field(
        min_length=1,
        description="Numbers lost, k (satellites; planes for the plane pool), e.g. [0, 4, 8, 16]",
    )
    draws: int = Field(
        default=10, ge=1, le=10_000, description="Random draws per k (seeded by the scenario)"
    )
    pool: LossPool = Field(default_factory=LossPool, description="What may be lost")
    coverage: bool = Field(
        default=True, description="Recompute the coverage figures of merit per draw"
    )
    raid: bool = Field(
        default=True, description="Re-run sensing, tracking and metrics per draw (costly)"
    )
    max_raid_draws: int = Field(
        default=3, ge=1, description="Raid re-runs per k: the first draws of each k only"
    )

    @field_validator("counts")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError(f"counts must not repeat a value, got {value}")
        return sorted(value)

    @model_validator(mode="after")
    def _consistent(self) -> LossesConfig:
        if not (self.coverage or self.raid):
            raise ValueError("coverage and raid are both false: nothing to evaluate")
        if self.pool.kind == "named" and self.pool.named is not None:
            n = len(self.pool.named)
            over = [k for k in self.counts if k > n]
            if over:
                raise ValueError(
                    f"counts {over} exceed the {n} named satellite{'s' if n > 1 else ''}"
                )
        return self
