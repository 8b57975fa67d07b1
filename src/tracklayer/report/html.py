"""The run report: ``DIR/report.html``, one self-contained file built from a run's tables.

:func:`write_report` reads what a run folder holds (``scenario.yaml``, ``satellites``,
``coverage_summary`` and ``maps/*.png``, ``truth``, ``detections``, ``tracks``,
``metrics``, ``gospa``) and writes one HTML page: every figure is embedded as a base64
PNG, the style sheet is inline, and the page names no remote resource, so it opens
offline and can be mailed as one file. Sections whose tables are missing are left out,
so the report also works on a folder of a coverage-only run.

Plots come from :mod:`tracklayer.report.run_plots`; the HTML is built with
:func:`html.escape` on every value taken from the tables or the scenario.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracklayer._version import __version__
from tracklayer.constants import KM, WGS84_A_M
from tracklayer.errors import ScenarioError
from tracklayer.io.outputs import run_folder_name
from tracklayer.io.parquet import read_table
from tracklayer.report import run_plots
from tracklayer.report.coverage_maps import span_text
from tracklayer.report.custody_section import consistency_section, custody_timelines_section
from tracklayer.report.fused_section import fused_section
from tracklayer.report.losses_section import losses_section
from tracklayer.report.markup import Cell as _Cell
from tracklayer.report.markup import CellLike as _CellLike
from tracklayer.report.markup import esc as _esc
from tracklayer.report.markup import figure as _figure
from tracklayer.report.markup import figure_png as _figure_png
from tracklayer.report.markup import fmt as _fmt
from tracklayer.report.markup import html_table as _table
from tracklayer.report.markup import note as _note
from tracklayer.report.markup import page
from tracklayer.report.network_section import network_section
from tracklayer.report.run_plots import Flight, RadarSite
from tracklayer.scenario import Scenario, load_scenario
from tracklayer.sensors.config import SensorPayload
from tracklayer.threats.config import ThreatsConfig
from tracklayer.tracking.config import TrackingConfig
from tracklayer.vocabulary import FUSED, JOINT, TrackerSummary, tracker_order, tracker_summary

__all__ = ["REPORT_FILE", "build_report_html", "write_report"]

REPORT_FILE = "report.html"
#: The globe's scene in a run folder (``tracklayer view DIR`` shows it).
SCENE_FILE = "scene.czml"
#: Threat timelines drawn at most (the table lists every threat).
MAX_TIMELINES = 24
_TABLES = (
    "satellites",
    "coverage_summary",
    "truth",
    "detections",
    "sightlines",
    "tracks",
    "innovations",
    "metrics",
    "tracker_metrics",
    "gospa",
)


@dataclass
class RunFolder:
    """What a run folder holds: its scenario (None when it has no copy) and tables."""

    path: Path
    scenario: Scenario | None
    tables: dict[str, pa.Table]
    maps: list[Path] = field(default_factory=list)

    def table(self, name: str) -> pa.Table | None:
        """The table, or None when the folder has none (or it is empty)."""
        table = self.tables.get(name)
        return table if table is not None and table.num_rows else None


def load_run(run_dir: Path) -> RunFolder:
    """Read the scenario copy, the tables and the coverage map files of a run folder.

    Raises
    ------
    ScenarioError
        The folder does not exist, holds neither ``scenario.yaml`` nor any table, or its
        ``scenario.yaml`` is not a valid scenario (the message names the field).
    InputFormatError
        A table file is not readable Parquet.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ScenarioError(f"{run_dir}: no such run folder")
    scenario_path = run_dir / "scenario.yaml"
    scenario = load_scenario(scenario_path) if scenario_path.is_file() else None
    tables = {
        name: read_table(run_dir / f"{name}.parquet")
        for name in _TABLES
        if (run_dir / f"{name}.parquet").is_file()
    }
    if scenario is None and not tables:
        raise ScenarioError(
            f"{run_dir}: neither scenario.yaml nor any table here; "
            "run `tracklayer run SCENARIO --out DIR` first"
        )
    maps = sorted((run_dir / "maps").glob("*.png"), key=_map_sort_key)
    return RunFolder(run_dir, scenario, tables, maps)


def write_report(run_dir: Path, *, title: str | None = None) -> Path:
    """Build ``run_dir/report.html`` from the run's tables; return its path.

    Parameters
    ----------
    run_dir
        A run folder as ``tracklayer run`` writes it (any subset of its tables).
    title
        Page title; default: the scenario's name.

    Raises
    ------
    ScenarioError
        ``run_dir`` is not a run folder (see :func:`load_run`).
    """
    run_dir = Path(run_dir)
    text = build_report_html(run_dir, title=title)
    path = run_dir / REPORT_FILE
    tmp = path.with_name(f".{REPORT_FILE}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def build_report_html(run_dir: Path, *, title: str | None = None) -> str:
    """The report of a run folder as one HTML document (see :func:`write_report`)."""
    run = load_run(run_dir)
    ctx = _Context.of(run, title)
    sections = [
        ("glance", "At a glance", _glance_section(ctx)),
        ("scenario", "Scenario", _scenario_section(ctx)),
        ("coverage", "Coverage", _coverage_section(ctx)),
        ("timelines", "Threat timelines", _timelines_section(ctx)),
        ("custody", "Custody and track error", _custody_section(ctx)),
        ("custody-timelines", "Custody timelines", _custody_timelines(ctx)),
        (
            "consistency",
            "Filter consistency",
            consistency_section(
                ctx.run.table("truth"),
                ctx.run.table("tracks"),
                ctx.tracking,
                ctx.trackers,
                ctx.run.table("innovations"),
            ),
        ),
        ("gospa", "GOSPA", _gospa_section(ctx)),
        ("comparison", "Alone versus joint", _comparison_section(ctx)),
        (
            "fused",
            "The fused picture",
            fused_section(
                ctx.run.table("truth"),
                ctx.run.table("tracks"),
                ctx.tracking,
                ctx.owners,
                ctx.summary,
            ),
        ),
        ("ground-tracks", "Ground tracks", _ground_tracks_section(ctx)),
        ("network", "Network", network_section(run.path)),
        ("losses", "Losses", losses_section(run.path)),
        ("globe", "Globe", _globe_section(run)),
    ]
    description = "" if ctx.scenario is None else ctx.scenario.description.strip()
    folder = _esc(run_folder_name(run.path))
    files = _esc(", ".join(sorted(f"{n}.parquet" for n in run.tables)))
    return page(
        title=ctx.title,
        kicker="tracklayer run report",
        lead=f'<p class="lead">{_esc(description)}</p>' if description else "",
        facts=" · ".join(ctx.header_facts()),
        sections=sections,
        footer=f"Built by tracklayer {_esc(__version__)} from the run folder <code>{folder}"
        f"</code> ({files}).\nOn the globe: <code>tracklayer view {folder}</code>.",
        version=__version__,
    )


# --------------------------------------------------------------------------- context


@dataclass
class _Context:
    """The run with the quantities every section shares, computed once."""

    run: RunFolder
    title: str
    epoch_ns: int
    epoch_label: str
    trackers: list[str]
    owners: list[str]
    flights: list[Flight]
    radars: list[RadarSite]
    summary: dict[str, dict[str, float | None]]

    @property
    def scenario(self) -> Scenario | None:
        return self.run.scenario

    @classmethod
    def of(cls, run: RunFolder, title: str | None) -> _Context:
        scenario = run.scenario
        epoch = None if scenario is None else scenario.epoch.astimezone(UTC)
        if epoch is None:
            times = [
                int(pc.min(pc.cast(t.column("time"), pa.int64())).as_py())
                for name in ("truth", "detections", "gospa")
                if (t := run.table(name)) is not None
            ]
            epoch_ns = min(times) if times else 0
            epoch = datetime.fromtimestamp(epoch_ns / 1e9, tz=UTC)
        else:
            epoch_ns = round(epoch.timestamp() * 1e9)
        label = epoch.strftime("%Y-%m-%d %H:%M:%S UTC").replace(":00 UTC", " UTC")
        metrics = run.table("metrics")
        names: set[str] = set()
        for name in ("metrics", "gospa", "tracks"):
            table = run.table(name)
            if table is not None:
                names |= set(pc.unique(table.column("tracker")).to_pylist())
        trackers = tracker_order(str(n) for n in names)
        truth = run.table("truth")
        return cls(
            run=run,
            title=title or (run_folder_name(run.path) if scenario is None else scenario.name),
            epoch_ns=epoch_ns,
            epoch_label=label,
            trackers=trackers,
            owners=[t for t in trackers if t not in (JOINT, FUSED)],
            flights=run_plots.flights(truth, epoch_ns) if truth is not None else [],
            radars=_radar_sites(scenario, run.table("detections")),
            summary=(
                _in_display_units(tracker_summary(metrics, run.table("tracker_metrics")))
                if metrics is not None
                else {}
            ),
        )

    def header_facts(self) -> list[str]:
        facts = [f"epoch {self.epoch_label}"]
        if self.scenario is not None:
            s = self.scenario
            if s.threats is not None:
                facts.append(
                    f"raid: {s.duration_s / 60.0:g} min simulated at a {s.step_s:g} s step"
                )
            if s.coverage is not None:
                facts.append(
                    f"coverage: {span_text(s.coverage.duration_s)} of satellite motion at a "
                    f"{s.coverage.step_s:g} s step"
                )
            facts.append(f"seed {s.seed}")
        return facts

    @property
    def tracking(self) -> TrackingConfig:
        """The tracking settings of the run (the defaults when the folder has no scenario)."""
        return TrackingConfig() if self.scenario is None else self.scenario.tracking


def _radar_sites(scenario: Scenario | None, detections: pa.Table | None) -> list[RadarSite]:
    """Radars of the scenario, else the radar sensors that appear in the detections."""
    radars = [] if scenario is None else scenario.radars
    sites = [RadarSite(r.name, r.owner, r.lat_deg, r.lon_deg) for r in radars]
    if not sites and detections is not None and "sensor_kind" in detections.column_names:
        radar = detections.filter(pc.equal(detections.column("sensor_kind"), "radar"))
        names = radar.column("sensor_id").to_pylist()
        owners = radar.column("owner").to_pylist()
        pairs = sorted(set(zip(names, owners, strict=True)))
        sites = [RadarSite(str(s), str(o), math.nan, math.nan) for s, o in pairs]
    return sites


#: Summary figures shown in display units: display key, SI key, scale.
_DISPLAY_UNITS = (
    ("custody_pct", "custody_fraction", 100.0),
    ("rmse_pos_km", "rmse_pos_m", 1.0 / KM),
    ("mean_gospa_km", "mean_gospa_m", 1.0 / KM),
)


def _in_display_units(summary: Mapping[str, TrackerSummary]) -> dict[str, TrackerSummary]:
    """The per-tracker summary with custody in % and distances in km added."""
    out = {}
    for tracker, figures in summary.items():
        shown = dict(figures)
        for key, si_key, scale in _DISPLAY_UNITS:
            value = figures[si_key]
            shown[key] = None if value is None else value * scale
        out[tracker] = shown
    return out


# --------------------------------------------------------------------------- HTML pieces


# --------------------------------------------------------------------------- sections


def _glance_section(ctx: _Context) -> str:
    cards: list[tuple[str, str, str]] = []
    satellites = ctx.run.table("satellites")
    if satellites is not None:
        owners = Counter(satellites.column("owner").to_pylist())
        detail = ", ".join(f"{o} {n}" for o, n in sorted(owners.items()))
        cards.append((f"{satellites.num_rows:,}", "satellites", detail))
    if ctx.flights:
        kinds = Counter(f.kind for f in ctx.flights)
        detail = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        cards.append((str(len(ctx.flights)), "threats", detail))
    detections = ctx.run.table("detections")
    if detections is not None:
        false = int(pc.sum(pc.is_null(detections.column("truth_id"))).as_py() or 0)
        cards.append((f"{detections.num_rows:,}", "detections", f"{false:,} false alarms"))
    joint = ctx.summary.get(JOINT)
    single = {k: v for k, v in ctx.summary.items() if k in ctx.owners}
    if joint is not None:
        best = max(single.items(), key=lambda kv: kv[1]["custody_pct"] or 0.0, default=None)
        detail = f"best owner alone: {best[0]} {_fmt(best[1]['custody_pct'])} %" if best else ""
        cards.append((f"{_fmt(joint['custody_pct'])} %", "joint custody", detail))
        fastest = min(
            ((k, v["first_track_s"]) for k, v in single.items() if v["first_track_s"] is not None),
            key=lambda kv: kv[1],
            default=None,
        )
        detail = f"fastest owner alone: {fastest[0]} {_fmt(fastest[1])} s" if fastest else ""
        cards.append((f"{_fmt(joint['first_track_s'])} s", "joint first track", detail))
    if not cards:
        return ""
    html_cards = "".join(
        f'<div class="card"><div class="big">{_esc(big)}</div><div class="what">{_esc(what)}'
        f'</div><div class="detail">{_esc(detail)}</div></div>'
        for big, what, detail in cards
    )
    findings = "".join(f"<li>{_esc(s)}</li>" for s in _findings(ctx))
    return f'<div class="cards">{html_cards}</div>' + (
        f'<ul class="findings">{findings}</ul>' if findings else ""
    )


def _findings(ctx: _Context) -> list[str]:
    """Plain sentences, computed from the metrics, on what operating jointly changes."""
    out = []
    s = ctx.summary
    owners = [o for o in ctx.owners if o in s]
    if JOINT in s and owners:

        def alone(key: str, unit: str, digits: int = 1) -> str:
            return "; ".join(
                f"{o} alone never tracked"
                if s[o][key] is None
                else f"{o} alone {_fmt(s[o][key], digits)} {unit}"
                for o in owners
            )

        out.append(
            f"Tracking jointly, the threats were held in custody {_fmt(s[JOINT]['custody_pct'])} % "
            f"of their flight on average ({alone('custody_pct', '%')})."
        )
        out.append(
            f"Mean time from launch to a first track: joint {_fmt(s[JOINT]['first_track_s'])} s "
            f"({alone('first_track_s', 's')})."
        )
        out.append(
            f"Mean position RMSE of the matched tracks: joint "
            f"{_fmt(s[JOINT]['rmse_pos_km'], 2)} km ({alone('rmse_pos_km', 'km', 2)})."
        )
    if FUSED in s:
        out.append(
            f"The fused picture (track-to-track fusion of the national tracks) held custody "
            f"{_fmt(s[FUSED]['custody_pct'])} % with a first track after "
            f"{_fmt(s[FUSED]['first_track_s'])} s on average."
        )
    detections = ctx.run.table("detections")
    if ctx.radars and ctx.flights and detections is not None:
        first = run_plots.radar_first_detections(detections, ctx.epoch_ns)
        launch = {f.object_id: f.launch_s for f in ctx.flights}
        earliest: dict[str, float] = {}
        for (_, threat), t in first.items():
            if threat in launch:
                earliest[threat] = min(earliest.get(threat, math.inf), t - launch[threat])
        if earliest:
            out.append(
                f"The ground radars saw {len(earliest)} of {len(ctx.flights)} threats, the "
                f"first {_fmt(float(np.mean(list(earliest.values()))))} s after launch on "
                "average."
            )
        else:
            out.append(f"The ground radars saw none of the {len(ctx.flights)} threats.")
    return out


def _scenario_section(ctx: _Context) -> str:
    parts: list[str] = []
    satellites = ctx.run.table("satellites")
    if satellites is not None:
        parts.append("<h3>Space segment</h3>")
        parts.append(_space_table(satellites))
    scenario = ctx.scenario
    if scenario is not None and scenario.sensors:
        parts.append("<h3>Sensor payloads</h3>")
        parts.append(_sensor_table(scenario.sensors))
    if ctx.flights:
        parts.append("<h3>Threats</h3>")
        parts.append(_threats_table(ctx))
        if scenario is not None and scenario.threats is not None and scenario.threats.raids:
            parts.append(_raids_table(scenario.threats))
    if ctx.radars:
        parts.append("<h3>Ground radars</h3>")
        parts.append(_radars_table(ctx))
    detections = ctx.run.table("detections")
    if detections is not None:
        parts.append("<h3>Detections</h3>")
        parts.append(_detections_table(detections))
    if scenario is not None and scenario.threats is not None:
        tracking = scenario.tracking
        parts.append(
            _note(
                f"Tracking: {tracking.filter.upper()} filter, "
                f"{tracking.motion} motion model, M-of-N confirmation "
                f"{tracking.management.confirm_m} of {tracking.management.confirm_n}, "
                f"GOSPA cut-off {_fmt(tracking.scoring.gospa_c_m / KM, 0)} km, "
                f"p = {tracking.scoring.gospa_p:g}. "
                "Each owner's tracker uses only that owner's sensors; the joint tracker uses "
                "all; the fused picture combines the national tracks."
            )
        )
    return "\n".join(parts)


def _space_table(satellites: pa.Table) -> str:
    cols = {c: satellites.column(c).to_pylist() for c in ("owner", "constellation", "sensor")}
    sma = satellites.column("sma_m").to_numpy() if "sma_m" in satellites.column_names else None
    inc = satellites.column("inc_rad").to_numpy() if "inc_rad" in satellites.column_names else None
    keys = list(zip(cols["owner"], cols["constellation"], cols["sensor"], strict=True))
    rows: list[list[_CellLike]] = []
    for key in sorted(set(keys)):
        idx = np.array([k == key for k in keys])
        alt = _fmt(float(np.mean(sma[idx]) - WGS84_A_M) / KM, 0) if sma is not None else "–"
        incl = _fmt(float(np.rad2deg(np.mean(inc[idx]))), 1) if inc is not None else "–"
        rows.append([*map(str, key), f"{int(idx.sum()):,}", alt, incl])
    per_owner = Counter(cols["owner"])
    if len(per_owner) < len(set(keys)):
        rows += [
            [_Cell(f"{owner} total", "strong"), "", "", _Cell(f"{n:,}", "strong"), "", ""]
            for owner, n in sorted(per_owner.items())
        ]
    return _table(
        ["owner", "constellation", "sensor", "satellites", "mean altitude, km", "inclination, deg"],
        rows,
        text_columns=3,
    )


def _sensor_table(sensors: Mapping[str, SensorPayload]) -> str:
    rows = []
    for name, payload in sorted(sensors.items()):
        ir = payload.infrared
        max_range = payload.max_range_km
        rows.append(
            [
                name,
                "geometry only" if ir is None else str(ir.kind),
                "–" if ir is None else ir.band,
                _fmt(None if ir is None else ir.aperture_cm, 0),
                _fmt(None if ir is None else ir.ifov_urad, 0),
                _fmt(None if ir is None else ir.threshold_snr, 1),
                "horizon" if max_range is None else _fmt(max_range, 0),
            ]
        )
    return _table(
        ["payload", "kind", "band", "aperture, cm", "IFOV, µrad", "threshold SNR", "max range, km"],
        rows,
        text_columns=3,
    )


def _threats_table(ctx: _Context) -> str:
    rows = []
    for kind in sorted({f.kind for f in ctx.flights}):
        mine = [f for f in ctx.flights if f.kind == kind]
        phases = list(dict.fromkeys(p for f in mine for p, _, _ in f.phases))
        rows.append(
            [
                kind,
                " → ".join(phases),
                f"{len(mine):,}",
                _fmt(min(f.launch_s for f in mine) / 60.0, 1),
                _fmt(max(f.launch_s for f in mine) / 60.0, 1),
                _fmt(float(np.mean([f.end_s - f.launch_s for f in mine])) / 60.0, 1),
            ]
        )
    return _table(
        ["kind", "phases", "threats", "first launch, min", "last launch, min", "mean flight, min"],
        rows,
        text_columns=2,
        caption=f"Launch times in minutes after {ctx.epoch_label}.",
    )


def _raids_table(threats: ThreatsConfig) -> str:
    rows = []
    for raid in threats.raids:
        vehicle = threats.vehicles.get(raid.vehicle)
        kind = "?" if vehicle is None else vehicle.kind
        rows.append(
            [
                raid.name or "?",
                f"{raid.vehicle} ({kind})",
                raid.trajectory or "–",
                _fmt(raid.count, 0),
                f"{_fmt(raid.launch.lat_deg, 1)}, {_fmt(raid.launch.lon_deg, 1)}",
                f"{_fmt(raid.aim.lat_deg, 1)}, {_fmt(raid.aim.lon_deg, 1)}",
                _fmt(raid.launch_time_s, 0),
                _fmt(raid.launch_spread_s, 0),
            ]
        )
    return _table(
        [
            "raid",
            "vehicle",
            "trajectory",
            "count",
            "launch area, lat, lon deg",
            "aim area, lat, lon deg",
            "first launch, s",
            "launch spread, s",
        ],
        rows,
        text_columns=3,
    )


def _radars_table(ctx: _Context) -> str:
    detections = ctx.run.table("detections")
    counts: Counter[str] = Counter()
    seen: dict[str, set[str]] = {}
    if detections is not None and "sensor_kind" in detections.column_names:
        radar = detections.filter(pc.equal(detections.column("sensor_kind"), "radar"))
        for sensor, truth_id in zip(
            radar.column("sensor_id").to_pylist(), radar.column("truth_id").to_pylist(), strict=True
        ):
            counts[sensor] += 1
            if truth_id is not None:
                seen.setdefault(sensor, set()).add(truth_id)
    rows = [
        [
            site.name,
            site.owner,
            _fmt(site.lat_deg, 2),
            _fmt(site.lon_deg, 2),
            f"{counts[site.name]:,}",
            f"{len(seen.get(site.name, ())):,} of {len(ctx.flights):,}",
        ]
        for site in ctx.radars
    ]
    return _table(
        ["radar", "owner", "latitude, deg", "longitude, deg", "detections", "threats seen"],
        rows,
        text_columns=2,
    )


def _detections_table(detections: pa.Table) -> str:
    owner = detections.column("owner").to_pylist()
    kind = (
        detections.column("sensor_kind").to_pylist()
        if "sensor_kind" in detections.column_names
        else ["ir"] * detections.num_rows
    )
    sensor = detections.column("sensor_id").to_pylist()
    truth_id = detections.column("truth_id").to_pylist()
    groups: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(owner, kind, strict=True)):
        groups.setdefault((str(key[0]), str(key[1])), []).append(i)
    rows = []
    for (o, k), idx in sorted(groups.items()):
        threats = {truth_id[i] for i in idx if truth_id[i] is not None}
        false = sum(1 for i in idx if truth_id[i] is None)
        rows.append(
            [
                o,
                k,
                f"{len({sensor[i] for i in idx}):,}",
                f"{len(idx):,}",
                f"{false:,}",
                f"{len(threats):,}",
            ]
        )
    return _table(
        ["owner", "sensor kind", "sensors reporting", "detections", "false alarms", "threats seen"],
        rows,
        text_columns=2,
    )


_MAP_NAME = re.compile(r"coverage_(?P<alt>[\d.]+)km_(?P<what>.+)\.png")


def _map_sort_key(path: Path) -> tuple[float, str]:
    match = _MAP_NAME.fullmatch(path.name)
    if not match:
        return (math.inf, path.name)
    # Time fractions by k first, the longest gap last, altitude by altitude.
    return (
        float(match["alt"]),
        "~" + match["what"] if match["what"] == "max_gap" else match["what"],
    )


def _map_caption(path: Path) -> str:
    match = _MAP_NAME.fullmatch(path.name)
    if not match:
        return path.name
    what = match["what"]
    if what == "max_gap":
        figure = "longest gap with no satellite in view, min"
    elif k := re.fullmatch(r"pct_time_k(\d+)", what):
        n = int(k[1])
        figure = f"% of time seen by at least {n} satellite{'s' if n > 1 else ''}"
    else:
        figure = what.replace("_", " ")
    return f"Targets at {match['alt']} km: {figure}, per owner and joint."


def _coverage_section(ctx: _Context) -> str:
    summary = ctx.run.table("coverage_summary")
    if summary is None and not ctx.run.maps:
        return ""
    parts = []
    if summary is not None:
        parts.append(_coverage_table(summary))
        parts.append(
            _note(
                "Area-weighted over the region. “Continuous” is the share of the area never "
                "without k satellites in view; the joint gain is the percentage points of "
                "time the joint constellation adds over the best single owner."
            )
        )
    if ctx.run.maps and ctx.scenario is not None and ctx.scenario.coverage is not None:
        span = span_text(ctx.scenario.coverage.duration_s)
        parts.append(
            _note(
                f"The maps and the table cover {span} of the satellites' motion (the "
                "coverage section's span), a different question from the raid's few "
                "minutes: how often each place is watched, not whether this raid was."
            )
        )
    parts += [
        _figure(path.read_bytes(), alt=f"coverage map {path.stem}", caption=_map_caption(path))
        for path in ctx.run.maps
    ]
    return "\n".join(parts)


def _coverage_table(summary: pa.Table) -> str:
    rows = summary.to_pylist()
    ks = sorted(
        int(m[1]) for c in summary.column_names if (m := re.fullmatch(r"pct_time_k(\d+)", c))
    )
    headers = ["group", "altitude, km"]
    for k in ks:
        headers += [f"% time k≥{k}", f"% area continuous k≥{k}"]
    headers += ["mean in view", "worst gap, min"]
    if ks:
        headers.append(f"joint gain k≥{ks[-1]}, pts")
    rows.sort(key=lambda r: (r.get("altitude_m", 0.0), r["group"] == JOINT, str(r["group"])))
    body, classes = [], []
    for row in rows:
        cells: list[_CellLike] = [str(row["group"]), _fmt(row.get("altitude_m", 0.0) / KM, 0)]
        for k in ks:
            cells += [_fmt(row.get(f"pct_time_k{k}")), _fmt(row.get(f"pct_area_continuous_k{k}"))]
        cells += [_fmt(row.get("mean_in_view"), 2), _fmt((row.get("max_gap_s") or 0.0) / 60.0)]
        if ks:
            gain = row.get(f"gain_pct_time_k{ks[-1]}")
            cells.append("" if gain is None or not math.isfinite(gain) else f"{gain:+.1f}")
        body.append(cells)
        classes.append("joint" if row["group"] == JOINT else "")
    return _table(headers, body, row_classes=classes, caption="Coverage figures of merit")


def _timelines_section(ctx: _Context) -> str:
    metrics = ctx.run.table("metrics")
    if not ctx.flights:
        return ""
    detections = ctx.run.table("detections")
    radar_first = (
        run_plots.radar_first_detections(detections, ctx.epoch_ns) if detections is not None else {}
    )
    radar_names = [r.name for r in ctx.radars]
    parts = [
        _note(
            "Per threat: its flight phases, then, for each tracker, its first detection (by "
            "that tracker's own sensors), first track and first cue-quality track, and each "
            "ground radar's first detection; times in seconds after the threat's launch."
        )
    ]
    shown = ctx.flights[:MAX_TIMELINES]
    if metrics is not None or radar_first:
        fig = run_plots.plot_threat_timelines(
            shown,
            metrics if metrics is not None else pa.table({"object_id": [], "tracker": []}),
            radar_first,
            trackers=ctx.trackers,
            radars=radar_names,
        )
        caption = "Threat timelines."
        if len(ctx.flights) > len(shown):
            caption += (
                f" The first {len(shown)} of {len(ctx.flights)} threats are drawn; "
                "the table lists all."
            )
        parts.append(_figure(_figure_png(fig, dpi=90), alt="threat timelines", caption=caption))
    parts.append(_first_times_table(ctx, metrics, radar_first, radar_names))
    return "\n".join(parts)


def _first_times_table(
    ctx: _Context,
    metrics: pa.Table | None,
    radar_first: Mapping[tuple[str, str], float],
    radar_names: Sequence[str],
) -> str:
    rows_by_key = (
        {(r["object_id"], r["tracker"]): r for r in metrics.to_pylist()}
        if metrics is not None
        else {}
    )
    headers = ["threat", "kind", "launch, min", "flight, s"]
    groups: list[tuple[str, int]] = [("", 4)]
    for name in ctx.trackers:
        if name == FUSED:
            headers.append("track")
            groups.append((name, 1))
        else:
            headers += ["det", "track"]
            groups.append((name, 2))
    if radar_names:
        headers += list(radar_names)
        groups.append(("ground radars: first detection", len(radar_names)))
    rows = []
    for f in ctx.flights:
        cells: list[_CellLike] = [
            f.object_id,
            f.kind,
            _fmt(f.launch_s / 60.0, 2),
            _fmt(f.end_s - f.launch_s, 0),
        ]
        for name in ctx.trackers:
            row = rows_by_key.get((f.object_id, name), {})
            if name != FUSED:
                cells.append(_fmt(row.get("first_detection_s"), 0))
            cells.append(_fmt(row.get("first_track_s"), 0))
        for radar in radar_names:
            t = radar_first.get((radar, f.object_id))
            cells.append(_fmt(None if t is None else t - f.launch_s, 0))
        rows.append(cells)
    return _table(
        headers,
        rows,
        text_columns=2,
        groups=groups,
        caption="First detection (det) and first track, s after launch; – : never.",
    )


def _custody_section(ctx: _Context) -> str:
    gospa = ctx.run.table("gospa")
    metrics = ctx.run.table("metrics")
    if gospa is None and metrics is None:
        return ""
    parts = []
    if gospa is not None:
        fig = run_plots.plot_custody_and_error(
            gospa,
            c_m=ctx.tracking.scoring.gospa_c_m,
            p=ctx.tracking.scoring.gospa_p,
            epoch_ns=ctx.epoch_ns,
            epoch_label=ctx.epoch_label,
        )
        parts.append(
            _figure(
                _figure_png(fig),
                alt="custody and position error over time",
                caption="At each scoring time, the share of the threats in flight matched to a "
                "track (within the GOSPA cut-off), and the position error of those matches.",
            )
        )
    if metrics is not None:
        by_key = {(r["object_id"], r["tracker"]): r for r in metrics.to_pylist()}
        threats = sorted({str(r["object_id"]) for r in by_key.values()})
        headers = ["threat"]
        for _ in ctx.trackers:
            headers += ["custody, %", "position RMSE, km", "velocity RMSE, m/s"]
        rows = []
        for threat in threats:
            cells: list[_CellLike] = [threat]
            for name in ctx.trackers:
                row = by_key.get((threat, name), {})
                custody = row.get("custody_fraction")
                cells += [
                    _fmt(None if custody is None else 100.0 * custody),
                    _fmt(row.get("rmse_pos_m"), 2, 1.0 / KM),
                    _fmt(row.get("rmse_vel_mps"), 0),
                ]
            rows.append(cells)
        parts.append(
            _table(
                headers,
                rows,
                groups=[("", 1), *[(name, 3) for name in ctx.trackers]],
                caption="Per threat and tracker: custody over its flight, position and "
                "velocity RMSE over the matched times.",
            )
        )
    return "\n".join(parts)


def _custody_timelines(ctx: _Context) -> str:
    return custody_timelines_section(
        ctx.run.table("truth"),
        ctx.run.table("tracks"),
        ctx.run.table("detections"),
        ctx.tracking,
        ctx.trackers,
        max_threats=MAX_TIMELINES,
        sightlines=ctx.run.table("sightlines"),
    )


def _gospa_section(ctx: _Context) -> str:
    gospa = ctx.run.table("gospa")
    if gospa is None:
        return ""
    fig = run_plots.plot_gospa(gospa, epoch_ns=ctx.epoch_ns, epoch_label=ctx.epoch_label)
    c_km = ctx.tracking.scoring.gospa_c_m / KM
    p = ctx.tracking.scoring.gospa_p
    return _figure(
        _figure_png(fig),
        alt="GOSPA over time",
        caption=f"GOSPA (Rahmathullah et al. 2017, α = 2, c = {c_km:g} km, p = {p:g}): a "
        f"missed threat or a false track adds c/2^(1/p) = {c_km / 2 ** (1 / p):.2f} km alone; "
        "a matched threat adds its position error. Below: tracks scored against threats in "
        "flight.",
    )


_COMPARISON_COLUMNS: tuple[tuple[str, str, int, str], ...] = (
    # key, header, digits, which value is best
    ("detected", "threats detected", 0, "max"),
    ("tracked", "threats tracked", 0, "max"),
    ("first_detection_s", "first detection, s", 1, "min"),
    ("first_track_s", "first track, s", 1, "min"),
    ("cue_time_s", "cue-quality track, s", 1, "min"),
    ("custody_pct", "custody, %", 1, "max"),
    ("rmse_pos_km", "position RMSE, km", 2, "min"),
    ("rmse_vel_mps", "velocity RMSE, m/s", 0, "min"),
    ("id_switches", "ID switches", 0, "min"),
    ("mean_gospa_km", "mean GOSPA, km", 2, "min"),
    ("false_tracks", "false tracks", 0, "min"),
)


#: Comparison columns that only a tracker with sensors has.
_SENSOR_COLUMNS = ("detected", "first_detection_s")


def _comparison_section(ctx: _Context) -> str:
    if not ctx.summary:
        return ""
    names = [n for n in ctx.trackers if n in ctx.summary]
    best: dict[str, float] = {}
    for key, _, _, sense in _COMPARISON_COLUMNS:
        values = [
            v
            for n in names
            if (v := ctx.summary[n][key]) is not None
            and not (n == FUSED and key in _SENSOR_COLUMNS)
        ]
        if values:
            best[key] = max(values) if sense == "max" else min(values)
    rows, classes = [], []
    for name in names:
        cells: list[_CellLike] = [name]
        for key, _, digits, _ in _COMPARISON_COLUMNS:
            value = ctx.summary[name][key]
            if name == FUSED and key in _SENSOR_COLUMNS:
                # Fused tracks are made of national tracks: it has no sensors to detect.
                cells.append(_Cell("n/a: fuses tracks", ""))
                continue
            text = _fmt(value, digits)
            if key in ("detected", "tracked") and value is not None:
                text = f"{value:.0f} of {ctx.summary[name]['threats']:.0f}"
            is_best = value is not None and len(names) > 1 and math.isclose(value, best[key])
            cells.append(_Cell(text, "best" if is_best else ""))
        rows.append(cells)
        classes.append("joint" if name == JOINT else "fused" if name == FUSED else "")
    table = _table(
        ["tracker", *[h for _, h, _, _ in _COMPARISON_COLUMNS]],
        rows,
        row_classes=classes,
        caption="Each owner alone versus joint (and fused): means over the threats "
        "(times in s after launch); bold: the best value of a column.",
    )
    fig = run_plots.plot_tracker_comparison(ctx.summary)
    figure = _figure(
        _figure_png(fig),
        alt="owners alone versus joint",
        caption="The same comparison at a glance.",
    )
    note = _note(
        "Detection and track times are means over the threats a tracker detected or tracked; "
        "custody is averaged over every threat (0 where never tracked). The fused picture "
        "has no sensors of its own: detection does not apply to it (see the fused "
        "picture's section for where its error comes from)."
    )
    return table + note + figure


def _ground_tracks_section(ctx: _Context) -> str:
    truth = ctx.run.table("truth")
    if truth is None or "lat_rad" not in truth.column_names:
        return ""
    tracks = ctx.run.table("tracks")
    tracker = JOINT if JOINT in ctx.trackers else (ctx.trackers[0] if ctx.trackers else JOINT)
    radars = [r for r in ctx.radars if math.isfinite(r.lat_deg) and math.isfinite(r.lon_deg)]
    fig = run_plots.plot_ground_tracks(truth, tracks, tracker=tracker, radars=radars)
    return _figure(
        _figure_png(fig),
        alt="ground tracks",
        caption=f"Truth ground tracks (lines; o launch, X last sample) and the {tracker} "
        "tracker's confirmed and coasting track positions (dots), with coastlines from "
        "Natural Earth.",
    )


def _globe_section(run: RunFolder) -> str:
    if not (run.path / SCENE_FILE).is_file():
        return ""
    folder = _esc(run_folder_name(run.path))
    return (
        f"<p>This run's satellites, threats and tracks on a 3-D globe, offline: "
        f"<code>tracklayer view {folder}</code> (from the folder above it) serves "
        f"<code>{SCENE_FILE}</code> and opens it in the browser.</p>"
    )


# --------------------------------------------------------------------------- page
