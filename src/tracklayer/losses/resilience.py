"""The resilience analysis: every figure of merit re-run per loss draw, against k lost.

For each draw of :func:`tracklayer.losses.apply.draw_losses` the lost satellites are put out
of service from ``losses.at_s`` on (:func:`~tracklayer.losses.apply.apply_losses`, given to
the pipeline's ``outage`` hook right after propagation), then

- coverage (``losses.coverage``): the scenario's coverage analysis, its area-weighted
  summary per owner, joint and target altitude;
- raid (``losses.raid``): sensing, tracking per owner, joint and fused, and the tracking
  metrics, for the first ``losses.max_raid_draws`` draws of each k. The threats fly once.

The long table (:data:`LOSSES_SCHEMA`) has one row per source, k, draw, group, altitude and
metric, so a new metric needs no new column; :func:`losses_summary` reduces the draws of
each k to mean, spread and percentiles, the curves of :mod:`tracklayer.report.losses`.

Raid metrics per tracker, over the scenario's threats: ``first_detection_s`` and
``first_track_s`` (mean time from launch over the threats detected or tracked at all, s),
``tracked_fraction`` (share of threats ever tracked), ``custody_fraction`` (mean over all
threats), ``rmse_pos_m`` (mean over the tracked threats of their position RMSE, m) and
``mean_gospa_m``. A tracker that has nothing left to track (an owner who lost every
satellite) still gets its row: nothing tracked, no custody, and the GOSPA of no estimate at
all (every threat missed).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from tracklayer.errors import ScenarioError
from tracklayer.losses.apply import LossDraw, apply_losses, draw_losses
from tracklayer.losses.config import LossesConfig
from tracklayer.metrics.gospa import gospa
from tracklayer.raid import RAID, StageCache, run_raid, stage_key, stage_keys
from tracklayer.scenario import Scenario
from tracklayer.space import SatelliteCatalog
from tracklayer.stages.coverage import coverage
from tracklayer.stages.sensing import detections
from tracklayer.stages.space import space_segment
from tracklayer.stages.threats import truth_table
from tracklayer.vocabulary import FUSED, JOINT, TrackerSummary, tracker_summary

__all__ = [
    "LOSSES_SCHEMA",
    "SUMMARY_SCHEMA",
    "DrawTables",
    "PlainRun",
    "loss_draws",
    "losses_summary",
    "losses_table",
    "run_losses",
]

Progress = Callable[[str], None]

LOSSES_SCHEMA = pa.schema(
    [
        ("source", pa.string()),  # coverage | raid
        ("k", pa.int64()),  # units lost: satellites (planes for the plane pool)
        ("draw", pa.int64()),
        ("n_lost", pa.int64()),  # satellites lost, all owners
        ("group", pa.string()),  # owner, joint (coverage); tracker (raid)
        ("n_lost_group", pa.int64()),  # satellites lost by that owner (all for joint/fused)
        ("altitude_m", pa.float64()),  # coverage target altitude; null for raid
        ("metric", pa.string()),
        ("value", pa.float64()),  # null: undefined in that draw (e.g. no threat tracked)
    ]
)

SUMMARY_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("k", pa.int64()),
        ("group", pa.string()),
        ("altitude_m", pa.float64()),
        ("metric", pa.string()),
        ("draws", pa.int64()),  # draws evaluated
        ("n", pa.int64()),  # draws with a value
        ("n_lost_mean", pa.float64()),
        ("n_lost_group_mean", pa.float64()),
        ("mean", pa.float64()),
        ("std", pa.float64()),
        ("p10", pa.float64()),
        ("p50", pa.float64()),
        ("p90", pa.float64()),
        ("min", pa.float64()),
        ("max", pa.float64()),
    ]
)

#: Raid metrics reported per tracker (see the module notes).
RAID_METRICS = (
    "first_detection_s",
    "first_track_s",
    "tracked_fraction",
    "custody_fraction",
    "rmse_pos_m",
    "mean_gospa_m",
)
_SUMMARY_KEYS = {"group", "altitude_m", "n_cells", "area_m2"}

Row = dict[str, Any]


@dataclass(frozen=True)
class PlainRun:
    """Tables of the run without losses, which the draws that lose nothing reuse.

    Attributes
    ----------
    coverage_summary
        The coverage stage's ``coverage_summary`` (None: computed again for k = 0).
    metrics, tracker_metrics
        The raid's ``metrics`` and ``tracker_metrics`` (None: the raid read from the
        stage cache, or computed).
    """

    coverage_summary: pa.Table | None = None
    metrics: pa.Table | None = None
    tracker_metrics: pa.Table | None = None


@dataclass(frozen=True)
class DrawTables:
    """What the draws computed: each coverage draw's summary and each raid draw's
    ``metrics`` and ``tracker_metrics`` (None for a raid draw that loses nothing: the
    plain run's), and the threats' truth (None when no raid draw ran)."""

    coverage: list[tuple[LossDraw, pa.Table]]
    raid: list[tuple[LossDraw, dict[str, pa.Table] | None]]
    truth: pa.Table | None


def run_losses(
    scenario: Scenario,
    *,
    progress: Progress | None = None,
    truth: pa.Table | None = None,
    catalog: SatelliteCatalog | None = None,
    cache: StageCache | None = None,
    plain: PlainRun | None = None,
) -> pa.Table:
    """Run the scenario's ``losses`` analysis.

    Parameters
    ----------
    scenario
        A scenario with a ``losses`` section.
    progress
        Called with a short description before each evaluation (``"losses: coverage k=4
        draw 2/10"``), like the stage callback of :func:`tracklayer.runner.write_run`.
    truth
        The raid's ``truth`` table when already flown (the threats fly once otherwise).
    catalog
        The space segment when already built.
    cache
        Stage cache of the run: the no-loss raid reuses the plain run's stages, and each
        draw's tables are stored by content, so editing ``counts`` re-runs only new draws.
    plain
        The plain run's tables when already computed, for the draws that lose nothing
        (bit for bit what they would compute).

    Returns
    -------
    pyarrow.Table
        :data:`LOSSES_SCHEMA`, ordered by source, k, draw, group, altitude, metric.

    Raises
    ------
    ScenarioError
        No ``losses`` section, a pool that does not fit the space segment, or an analysis
        asked for whose scenario section is missing.
    """
    catalog = space_segment(scenario) if catalog is None else catalog
    plain = plain or PlainRun()
    computed = loss_draws(
        scenario, catalog, progress=progress, truth=truth, cache=cache,
        plain_coverage=plain.coverage_summary,
    )  # fmt: skip
    return losses_table(scenario, catalog, computed, plain=plain, cache=cache)


def loss_draws(
    scenario: Scenario,
    catalog: SatelliteCatalog,
    *,
    progress: Progress | None = None,
    truth: pa.Table | None = None,
    cache: StageCache | None = None,
    plain_coverage: pa.Table | None = None,
) -> DrawTables:
    """The costly part of :func:`run_losses`: every draw that loses satellites.

    It needs nothing of the plain raid but the threats' truth, so a run computes it
    while the plain raid runs (:func:`tracklayer.runner.write_run`, in another process).
    ``plain_coverage``: the coverage stage's summary, reused for the coverage draw that
    loses nothing. Parameters and errors as :func:`run_losses`.
    """
    config = scenario.losses
    if config is None:
        raise ScenarioError("the scenario has no `losses` section to analyse")
    do_coverage, do_raid = _analyses(scenario, config)
    cache = cache or StageCache(None)
    say = progress or (lambda _text: None)
    draws = draw_losses(catalog, config, scenario.seed)
    covered: list[tuple[LossDraw, pa.Table]] = []
    if do_coverage:
        for i, draw in enumerate(draws):
            say(f"losses: coverage k={draw.k} draw {i + 1}/{len(draws)}")
            if plain_coverage is not None and not draw.lost.any():
                covered.append((draw, plain_coverage))  # no loss: the plain coverage
                continue
            covered.append((draw, _coverage_summary(scenario, catalog, draw, config.at_s, cache)))
    raided: list[tuple[LossDraw, pa.Table | None]] = []
    if do_raid:
        chosen = [d for d in draws if d.draw < config.max_raid_draws]
        raided, truth = _raid_metrics(scenario, catalog, chosen, config.at_s, cache, say, truth)
    return DrawTables(covered, raided, truth if do_raid else None)


def losses_table(
    scenario: Scenario,
    catalog: SatelliteCatalog,
    computed: DrawTables,
    *,
    plain: PlainRun | None = None,
    cache: StageCache | None = None,
) -> pa.Table:
    """The long table of :func:`run_losses` from the draws' tables; a raid draw that
    loses nothing takes the ``plain`` run's metrics (the raid from the cache without
    them)."""
    rows: list[Row] = []
    for draw, summary in computed.coverage:
        rows += _coverage_rows(catalog, draw, summary)
    truth = computed.truth
    known = plain or PlainRun()
    results: list[tuple[LossDraw, dict[str, TrackerSummary]]] = []
    for draw, tables in computed.raid:
        if tables is None:
            if known.metrics is None:
                # No loss is the plain run: its cached stages (and its truth) are reused.
                run = run_raid(scenario, cache, truth=truth, catalog=catalog)
                truth = run.truth
                known = PlainRun(known.coverage_summary, run.metrics, run.tracker_metrics)
            tables = {"metrics": known.metrics, "tracker_metrics": known.tracker_metrics}
        results.append((draw, tracker_summary(tables["metrics"], tables["tracker_metrics"])))
    if computed.raid:
        rows += _raid_rows(scenario, catalog, results, truth)
    return _table(rows)


def _analyses(scenario: Scenario, config: LossesConfig) -> tuple[bool, bool]:
    """Which analyses run: those asked for whose section exists; an explicit ``true``
    without its section is an error, a default one is skipped."""
    out = []
    for name, section in (("coverage", scenario.coverage), ("raid", scenario.threats)):
        wanted = bool(getattr(config, name))
        if wanted and section is None and name in config.model_fields_set:
            needed = "coverage" if name == "coverage" else "threats"
            raise ScenarioError(
                f"losses.{name}: true needs a `{needed}` section in the scenario "
                f"(or set losses.{name}: false)"
            )
        out.append(wanted and section is not None)
    if not any(out):
        raise ScenarioError(
            "losses: nothing to evaluate: the scenario has neither a `coverage` nor a "
            "`threats` section"
        )
    return out[0], out[1]


def _lost_key(catalog: SatelliteCatalog, draw: LossDraw, at_s: float) -> list[Any]:
    return [sorted(str(s) for s in catalog.sat_id[draw.lost]), at_s]


def _base(draw: LossDraw) -> Row:
    return {"k": draw.k, "draw": draw.draw, "n_lost": int(draw.lost.sum())}


def _lost_by(catalog: SatelliteCatalog, draw: LossDraw, group: str) -> int:
    if group in (JOINT, FUSED):
        return int(draw.lost.sum())
    return int((draw.lost & (catalog.owner == group)).sum())


def _coverage_summary(
    scenario: Scenario,
    catalog: SatelliteCatalog,
    draw: LossDraw,
    at_s: float,
    cache: StageCache,
) -> pa.Table:
    """The draw's coverage summary (the stage's ``coverage_summary`` with its losses)."""
    key = stage_key(
        "losses-coverage", stage_keys(scenario, "coverage"), _lost_key(catalog, draw, at_s)
    )
    outage = functools.partial(apply_losses, lost=draw.lost, at_s=at_s)
    return cache.get_or_run(
        "losses-coverage",
        key,
        lambda: {"summary": coverage(scenario, catalog, outage=outage).summary_table()},
    )["summary"]


def _coverage_rows(catalog: SatelliteCatalog, draw: LossDraw, summary: pa.Table) -> list[Row]:
    rows = []
    base = _base(draw)
    for record in summary.to_pylist():
        group = str(record["group"])
        for metric, value in record.items():
            if metric in _SUMMARY_KEYS or value is None:
                continue
            rows.append(
                {
                    **base,
                    "source": "coverage",
                    "group": group,
                    "n_lost_group": _lost_by(catalog, draw, group),
                    "altitude_m": float(record["altitude_m"]),
                    "metric": metric,
                    "value": float(value),
                }
            )
    return rows


#: The tables a draw's cached raid keeps (part of its cache key: a change of them is a new
#: entry, never an old one read without a table).
_RAID_TABLES = ("metrics", "tracker_metrics")


def _raid_metrics(
    scenario: Scenario,
    catalog: SatelliteCatalog,
    draws: Sequence[LossDraw],
    at_s: float,
    cache: StageCache,
    say: Progress,
    truth: pa.Table | None,
) -> tuple[list[tuple[LossDraw, dict[str, pa.Table] | None]], pa.Table | None]:
    """Each draw's raid ``metrics`` and ``tracker_metrics`` tables (cached by content;
    None for a draw that loses nothing), and the threats' truth."""
    raid_keys = stage_keys(scenario, RAID)
    results: list[tuple[LossDraw, dict[str, pa.Table] | None]] = []
    for i, draw in enumerate(draws):
        say(f"losses: raid k={draw.k} draw {i + 1}/{len(draws)}")
        if not draw.lost.any():
            results.append((draw, None))  # no loss: the plain run's (see losses_table)
            continue
        if truth is None:
            say("losses: flyout")
            truth = truth_table(scenario)
        outage = functools.partial(apply_losses, lost=draw.lost, at_s=at_s)

        def raid(
            flown: pa.Table = truth, outage: Callable[..., Any] = outage
        ) -> dict[str, pa.Table]:
            sensed = detections(scenario, flown, catalog, outage=outage)
            run = run_raid(
                scenario, truth=flown, detections=sensed, catalog=catalog, outage=outage,
                until=("metrics",),
            )  # fmt: skip
            return {"metrics": run.metrics, "tracker_metrics": run.tracker_metrics}

        key = stage_key("losses-raid", raid_keys, _lost_key(catalog, draw, at_s), _RAID_TABLES)
        results.append((draw, cache.get_or_run("losses-raid", key, raid)))
    return results, truth


def _raid_rows(
    scenario: Scenario,
    catalog: SatelliteCatalog,
    results: Sequence[tuple[LossDraw, dict[str, TrackerSummary]]],
    truth: pa.Table | None,
) -> list[Row]:
    """The long-table rows of each draw's raid metrics, per tracker (every owner, every
    radar's owner and joint, even where a tracker had nothing to track)."""
    trackers = sorted(
        set(catalog.owners)
        | {r.owner for r in scenario.radars}
        | {JOINT}
        | {str(t) for _, summary in results for t in summary}
    )
    n_threats, missed_gospa = _no_track_gospa(truth, scenario)
    rows = []
    for draw, summary in results:
        base = _base(draw)
        for tracker in trackers:
            values = _tracker_metrics(summary.get(tracker), n_threats, missed_gospa)
            rows += [
                {
                    **base,
                    "source": "raid",
                    "group": tracker,
                    "n_lost_group": _lost_by(catalog, draw, tracker),
                    "altitude_m": None,
                    "metric": metric,
                    "value": values[metric],
                }
                for metric in RAID_METRICS
            ]
    return rows


def _no_track_gospa(truth: pa.Table | None, scenario: Scenario) -> tuple[int, float]:
    """Number of threats, and the mean GOSPA of a tracker with no track at all.

    With no estimate every live threat is missed, so GOSPA at a time depends only on the
    number of threats flying then; the scoring grid is the truth's sample times
    (:mod:`tracklayer.metrics.tracking`).
    """
    if truth is None or truth.num_rows == 0:
        return 0, math.nan
    c, p = scenario.tracking.scoring.gospa_c_m, scenario.tracking.scoring.gospa_p
    _, alive = np.unique(truth["time"].to_numpy(), return_counts=True)
    per_time = {n: gospa(np.zeros((n, 3)), np.zeros((0, 3)), c, p).distance for n in set(alive)}
    n_threats = len(set(truth["object_id"].to_pylist()))
    return n_threats, float(np.mean([per_time[n] for n in alive]))


def _tracker_metrics(
    summary: TrackerSummary | None, n_threats: int, missed_gospa: float
) -> TrackerSummary:
    """The raid metrics of the module notes for one tracker, from its summary
    (:func:`tracklayer.vocabulary.tracker_summary`; None: the tracker had no row)."""
    if summary is None:
        # The tracker had nothing to work on: nothing detected or tracked.
        return {
            "first_detection_s": None,
            "first_track_s": None,
            "tracked_fraction": 0.0 if n_threats else None,
            "custody_fraction": 0.0 if n_threats else None,
            "rmse_pos_m": None,
            "mean_gospa_m": None if math.isnan(missed_gospa) else missed_gospa,
        }
    return {metric: summary[metric] for metric in RAID_METRICS}


def _table(rows: list[Row]) -> pa.Table:
    table = pa.Table.from_pylist(rows, schema=LOSSES_SCHEMA)
    if table.num_rows == 0:
        return table
    keys = ["source", "k", "draw", "group", "altitude_m", "metric"]
    return table.sort_by([(k, "ascending") for k in keys])


def losses_summary(table: pa.Table) -> pa.Table:
    """Statistics over the draws of each k: the curves with their spread.

    Parameters
    ----------
    table
        A :data:`LOSSES_SCHEMA` table (:func:`run_losses`).

    Returns
    -------
    pyarrow.Table
        :data:`SUMMARY_SCHEMA`, one row per source, k, group, altitude and metric: the
        number of draws, of draws with a value, mean satellites lost (all, and the group's),
        and over the draws with a value the mean, sample standard deviation (0 for one
        value), 10th/50th/90th percentiles (linear interpolation) and extremes; statistics
        are null where no draw has a value.
    """
    if table.num_rows == 0:
        return SUMMARY_SCHEMA.empty_table()
    keys = ["source", "k", "group", "altitude_m", "metric"]
    cols = {name: table[name].to_pylist() for name in keys}
    values = np.asarray(table["value"].to_numpy(zero_copy_only=False), dtype=np.float64)
    n_lost = table["n_lost"].to_numpy()
    n_lost_group = table["n_lost_group"].to_numpy()
    index: dict[tuple[Any, ...], list[int]] = {}
    for i, key in enumerate(zip(*(cols[k] for k in keys), strict=True)):
        index.setdefault(key, []).append(i)
    out: dict[str, list[Any]] = {name: [] for name in SUMMARY_SCHEMA.names}
    for key, members in index.items():
        v = values[members]
        v = v[np.isfinite(v)]
        for name, part in zip(keys, key, strict=True):
            out[name].append(part)
        out["draws"].append(len(members))
        out["n"].append(int(v.size))
        out["n_lost_mean"].append(float(n_lost[members].mean()))
        out["n_lost_group_mean"].append(float(n_lost_group[members].mean()))
        stats: dict[str, float | None] = dict.fromkeys(("mean", "std", "p10", "p50", "p90"))
        stats |= {"min": None, "max": None}
        if v.size:
            p10, p50, p90 = np.percentile(v, [10.0, 50.0, 90.0])
            stats = {
                "mean": float(v.mean()),
                "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
                "p10": float(p10),
                "p50": float(p50),
                "p90": float(p90),
                "min": float(v.min()),
                "max": float(v.max()),
            }
        for name, value in stats.items():
            out[name].append(value)
    summary = pa.table(out, schema=SUMMARY_SCHEMA)
    return summary.sort_by([(k, "ascending") for k in keys])
