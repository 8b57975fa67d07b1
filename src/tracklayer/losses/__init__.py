"""Resilience: satellites lost at a time in the scenario, and every metric against how many.

>>> from tracklayer.losses import run_losses, losses_summary   # doctest: +SKIP
>>> table = run_losses(scenario)           # one row per k, draw, group and metric
>>> losses_summary(table)                  # mean, std, p10, p50, p90 per k

Names load lazily: the scenario model imports :mod:`tracklayer.losses.config`, and the
analysis itself imports the pipeline, which imports the scenario model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracklayer._lazy import lazy_exports

if TYPE_CHECKING:
    from tracklayer.losses.apply import LossDraw, apply_losses, draw_losses, pool_units
    from tracklayer.losses.config import LossesConfig, LossPool
    from tracklayer.losses.resilience import LOSSES_SCHEMA, losses_summary, run_losses

_EXPORTS = {
    "LossDraw": "tracklayer.losses.apply",
    "apply_losses": "tracklayer.losses.apply",
    "draw_losses": "tracklayer.losses.apply",
    "pool_units": "tracklayer.losses.apply",
    "LossPool": "tracklayer.losses.config",
    "LossesConfig": "tracklayer.losses.config",
    "LOSSES_SCHEMA": "tracklayer.losses.resilience",
    "losses_summary": "tracklayer.losses.resilience",
    "run_losses": "tracklayer.losses.resilience",
}

__all__ = [
    "LOSSES_SCHEMA",
    "LossDraw",
    "LossPool",
    "LossesConfig",
    "apply_losses",
    "draw_losses",
    "losses_summary",
    "pool_units",
    "run_losses",
]


__getattr__, __dir__ = lazy_exports("tracklayer.losses", _EXPORTS, globals())
