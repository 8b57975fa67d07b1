"""The report's losses, network and globe sections, and the run folder it names.

The folders are built from the tables' own schemas with hand-chosen values, so each
figure the report prints is known beforehand (the references below are those values,
or means of them computed by hand).
"""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pyarrow as pa
import yaml

from tests.conftest import SMALL_SCENARIO
from tracklayer.frames import utc_timestamps
from tracklayer.io.outputs import run_folder_name
from tracklayer.io.parquet import write_table
from tracklayer.losses.resilience import LOSSES_SCHEMA, losses_summary
from tracklayer.network.links import LINK_KINDS
from tracklayer.network.stage import LINKS_SCHEMA
from tracklayer.network.warning import LATENCY_SCHEMA, WARNING_SCHEMA
from tracklayer.report.html import REPORT_FILE, write_report
from tracklayer.report.losses import plot_losses

EPOCH = datetime(2027, 3, 1, tzinfo=UTC)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.images = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self.sections.append(str(dict(attrs).get("id")))
        self.images += tag == "img"

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def _page(folder: Path) -> _Text:
    page = _Text()
    page.feed((folder / REPORT_FILE).read_text(encoding="utf-8"))
    return page


def _scenario_only(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = yaml.safe_load(SMALL_SCENARIO)
    data.pop("coverage", None)
    (folder / "scenario.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")


def _losses(folder: Path) -> None:
    """Coverage at k = 0, 2, 4 lost: joint 90, 80, {60, 70, 80}; USA 70, 50, {30, 40, 50};
    custody the same as fractions; first track 200 s minus the coverage figure."""
    rows = []
    values = {"joint": ([90.0] * 3, [80.0] * 3, [60.0, 70.0, 80.0]),
              "USA": ([70.0] * 3, [50.0] * 3, [30.0, 40.0, 50.0])}  # fmt: skip
    for group, per_k in values.items():
        for k, draws in zip((0, 2, 4), per_k, strict=True):
            for draw, value in enumerate(draws):
                rows.append(
                    {"source": "coverage", "k": k, "draw": draw, "n_lost": k, "group": group,
                     "n_lost_group": k, "altitude_m": 0.0, "metric": "pct_time_k1",
                     "value": value}
                )  # fmt: skip
                for metric, raid_value in (
                    ("custody_fraction", value / 100.0),
                    ("first_track_s", 200.0 - value),
                ):
                    rows.append(
                        {"source": "raid", "k": k, "draw": draw, "n_lost": k, "group": group,
                         "n_lost_group": k, "altitude_m": None, "metric": metric,
                         "value": raid_value}
                    )  # fmt: skip
    table = pa.Table.from_pylist(rows, schema=LOSSES_SCHEMA)
    write_table(table, folder / "losses.parquet")
    write_table(losses_summary(table), folder / "losses_summary.parquet")
    plot_losses(table, folder / "plots")


def test_losses_section_shows_the_curves_and_their_ends(tmp_path: Path) -> None:
    """Reference: the hand-chosen draws above. With 4 lost the joint coverage draws are
    60, 70, 80 %: mean 70.0, 10th percentile 62.0, 90th 78.0 (linear interpolation);
    nothing lost: 90.0 %. Both curve PNGs are embedded and the reading is explained."""
    folder = tmp_path / "run"
    _scenario_only(folder)
    _losses(folder)
    write_report(folder)
    page = _page(folder)
    assert "losses" in page.sections
    text = " ".join(page.chunks)
    assert "graceful degradation" in text
    assert page.images == 2  # losses_coverage_0km.png and losses_raid.png
    raw = (folder / REPORT_FILE).read_text(encoding="utf-8")
    losses_html = raw[raw.index('<section id="losses">') :]
    losses_html = losses_html[: losses_html.index("</section>")]
    cells = _cells(losses_html)
    # coverage, joint: nothing lost 90.0; 4 lost mean 70.0, p10 62.0, p90 78.0
    assert ["coverage, % time k≥1, targets at 0 km", "joint", "90.0", "70.0", "62.0", "78.0"] in (
        cells
    )
    # custody in % of flight: USA with 4 lost 40.0 (30-50).
    assert ["custody, % of flight", "USA", "70.0", "40.0", "32.0", "48.0"] in cells


def _cells(fragment: str) -> list[list[str]]:
    rows: list[list[str]] = []

    class _Rows(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "tr":
                rows.append([])
            self.in_cell = tag == "td"

        def handle_endtag(self, tag: str) -> None:
            self.in_cell = False

        def handle_data(self, data: str) -> None:
            if getattr(self, "in_cell", False):
                rows[-1].append(data)

    _Rows().feed(fragment)
    return rows


def _network(folder: Path) -> None:
    """Two link samples; nodes US and C2; threats T0 (both warn) and T1 (only US)."""
    times = utc_timestamps(EPOCH, np.array([0.0, 0.0, 0.0, 60.0, 60.0]))
    links = pa.table(
        {"time": times, "a": ["S1", "S1", "S2", "S1", "S2"],
         "b": ["S2", "GUAM", "GUAM", "S2", "GUAM"],
         "kind": [LINK_KINDS[0], LINK_KINDS[1], LINK_KINDS[1], LINK_KINDS[0], LINK_KINDS[1]],
         "range_m": [4.0e6, 2.0e6, 3.0e6, 5.0e6, 2.5e6],
         "delay_s": [0.02, 0.01, 0.012, 0.025, 0.011]},
        schema=LINKS_SCHEMA,
    )  # fmt: skip
    latency = pa.Table.from_pylist(
        [{"node": "US", "offered": 100, "delivered": 80, "received": 75, "latency_p50_s": 1.5,
          "latency_p95_s": 4.25, "latency_max_s": 9.0, "mean_hops": 2.5},
         {"node": "C2", "offered": 200, "delivered": 150, "received": 150,
          "latency_p50_s": 2.0, "latency_p95_s": 5.0, "latency_max_s": 12.0, "mean_hops": 3.0}],
        schema=LATENCY_SCHEMA,
    )  # fmt: skip
    warning = pa.Table.from_pylist(
        [{"object_id": "T0", "tracker": "USA", "node": "US", "first_track_s": 50.0,
          "warning_s": 55.0, "warning_age_s": 5.0, "mean_track_age_s": 4.0},
         {"object_id": "T0", "tracker": "joint", "node": "C2", "first_track_s": 40.0,
          "warning_s": 47.0, "warning_age_s": 7.0, "mean_track_age_s": 6.0},
         {"object_id": "T1", "tracker": "USA", "node": "US", "first_track_s": 80.0,
          "warning_s": 83.0, "warning_age_s": 3.0, "mean_track_age_s": 4.0},
         {"object_id": "T1", "tracker": "joint", "node": "C2", "first_track_s": None,
          "warning_s": None, "warning_age_s": None, "mean_track_age_s": 6.0}],
        schema=WARNING_SCHEMA,
    )  # fmt: skip
    for name, table in (("links", links), ("latency", latency), ("warning", warning)):
        write_table(table, folder / f"{name}.parquet")


def test_network_section_shows_links_latency_and_warning(tmp_path: Path) -> None:
    """Reference: the hand-made tables above. US was offered 100 and delivered 80: 80.0 %;
    the joint-versus-alone comparison is derived with the network stage's own function:
    T0 national 55 s, joint 47 s, gain +8 s; T1 joint never warned: no gain."""
    folder = tmp_path / "run"
    _scenario_only(folder)
    _network(folder)
    write_report(folder)
    page = _page(folder)
    assert "network" in page.sections
    raw = (folder / REPORT_FILE).read_text(encoding="utf-8")
    section = raw[raw.index('<section id="network">') :]
    cells = _cells(section[: section.index("</section>")])
    assert ["US", "100", "80", "80.0", "75", "1.50", "4.25", "9.00", "2.50"] in cells
    assert ["T0", "USA", "55", "47", "+8"] in cells
    assert ["T1", "USA", "83", "–", "–"] in cells
    # warning per threat and node (US, then C2): T0 55 s with a 5.0 s old report, 47 s, 7.0 s
    assert ["T0", "55", "5.0", "47", "7.0"] in cells
    # links: crosslinks up 1 per sample, median range 4500 km; downlinks 2, 2500 km.
    assert ["crosslink", "1.0", "4,500", "5,000", "22.5", "25.0"] in cells
    assert ["downlink", "1.5", "2,500", "3,000", "11.0", "12.0"] in cells


def test_no_network_no_losses_no_section(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    _scenario_only(folder)
    write_report(folder)
    sections = _page(folder).sections
    assert "network" not in sections and "losses" not in sections and "globe" not in sections


def test_footer_names_the_run_folder_not_its_staging_folder(tmp_path: Path) -> None:
    """The runner writes the report inside ``.NAME.staging-XXXX`` before moving it to
    ``NAME``: the page names ``NAME`` and shows the globe command for it."""
    staging = tmp_path / ".demo.staging-xmvvpy9d"
    _scenario_only(staging)
    (staging / "scene.czml").write_text("[]", encoding="utf-8")
    write_report(staging)
    raw = (staging / REPORT_FILE).read_text(encoding="utf-8")
    assert "staging" not in raw
    assert "from the run folder <code>demo</code>" in raw
    assert "<code>tracklayer view demo</code>" in raw
    assert "globe" in _page(staging).sections
    assert run_folder_name(tmp_path / "demo") == "demo"
    assert run_folder_name(tmp_path / ".a.b.staging-x1") == "a.b"
