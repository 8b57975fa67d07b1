"""Trade studies on Dask: sweeps over constellation designs and Monte Carlo raids.

A sweep file (:mod:`tracklayer.sweep.config`) names a base scenario and axes over any of its
fields; :func:`expand_sweep` turns it into validated cases with stable ids;
:func:`run_sweep` runs them on a Dask cluster into a Parquet dataset (one file per case,
resumable); :func:`write_summary` writes per-design statistics, Pareto fronts, joint gains
and plots. ``tracklayer sweep`` (:mod:`tracklayer.sweep.cli`) does all of it.
"""

from __future__ import annotations

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
