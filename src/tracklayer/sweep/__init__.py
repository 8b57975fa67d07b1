"""Trade studies on Dask: sweeps over constellation designs and Monte Carlo raids.

A sweep file (:mod:`tracklayer.sweep.config`) names a base scenario and axes over any of its
fields; :func:`expand_sweep` turns it into validated cases with stable ids;
:func:`run_sweep` runs them on a Dask cluster into a Parquet dataset (one file per case,
resumable); :func:`write_summary` writes per-design statistics, Pareto fronts, joint gains
and plots. ``tracklayer sweep`` (:mod:`tracklayer.sweep.cli`) does all of it. Names load
on first use: Dask only when a sweep runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracklayer._lazy import lazy_exports

if TYPE_CHECKING:
    from tracklayer.sweep.cases import Case, Design, SweepPlan, expand_sweep
    from tracklayer.sweep.config import SweepConfig, SweepError, load_sweep, validate_sweep
    from tracklayer.sweep.runner import SweepOutcome, dask_client, run_sweep
    from tracklayer.sweep.summary import (
        design_status,
        design_summary,
        joint_gain,
        pareto_fronts,
        write_summary,
    )

_MODULES = {
    "tracklayer.sweep.cases": ("Case", "Design", "SweepPlan", "expand_sweep"),
    "tracklayer.sweep.config": ("SweepConfig", "SweepError", "load_sweep", "validate_sweep"),
    "tracklayer.sweep.runner": ("SweepOutcome", "dask_client", "run_sweep"),
    "tracklayer.sweep.summary": (
        "design_status",
        "design_summary",
        "joint_gain",
        "pareto_fronts",
        "write_summary",
    ),
}
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "Case",
    "Design",
    "SweepConfig",
    "SweepError",
    "SweepOutcome",
    "SweepPlan",
    "dask_client",
    "design_status",
    "design_summary",
    "expand_sweep",
    "joint_gain",
    "load_sweep",
    "pareto_fronts",
    "run_sweep",
    "validate_sweep",
    "write_summary",
]

__getattr__, __dir__ = lazy_exports("tracklayer.sweep", _EXPORTS, globals())
