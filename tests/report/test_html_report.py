"""The run report ``report.html``: its sections, its self-containment, and how it renders.

The run folder is built fast from a synthetic raid (``tracking.synthetic.make_raid``:
three ballistic threats seen by two owners' satellites), tracked per owner and jointly
(``run_tracking``), fused (``fuse_timeline``) and scored (``tracking_scores``), with a
satellites table from the small test scenario, a hand-made coverage summary and map, and
a few radar detections of one threat added for the report alone (tracking did not use
them). The screenshot test renders the page in headless Debian Chromium, as a person
opening the file would, and checks the picture.
"""

from __future__ import annotations

import base64
import io
import math
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import yaml
from PIL import Image

from tests.conftest import SMALL_SCENARIO
from tracklayer import pipeline
from tracklayer.constants import KM
from tracklayer.errors import ScenarioError
from tracklayer.frames import geodetic_to_ecef, utc_timestamps
from tracklayer.fusion.timeline import fuse_timeline
from tracklayer.io.parquet import write_table
from tracklayer.metrics.gospa import gospa
from tracklayer.metrics.tracking import tracking_scores
from tracklayer.report.coverage_maps import plot_coverage_map
from tracklayer.report.html import REPORT_FILE, write_report
from tracklayer.report.run_plots import custody_error_series, flights
from tracklayer.scenario import validate_scenario
from tracklayer.stages.scoring import tracker_metrics_table
from tracklayer.tracking.config import TrackingConfig
from tracklayer.tracking.run import run_tracking_tables
from tracklayer.tracking.synthetic import EPOCH, make_raid

CHROMIUM = Path("/usr/bin/chromium")
SECTIONS = (
    "glance",
    "scenario",
    "coverage",
    "timelines",
    "custody",
    "custody-timelines",
    "consistency",
    "gospa",
    "comparison",
    "fused",
    "ground-tracks",
)
RADAR = {"name": "R1", "owner": "JPN", "lat_deg": 41.0, "lon_deg": 131.0, "alt_km": 0.1}


def _radar_detections(truth: pa.Table, det_id0: int) -> pa.Table:
    """Detections of threat T000 by radar R1 every 5 s from 20 s after its launch."""
    t000 = truth.filter(pc.equal(truth["object_id"], "T000"))
    t_s = (t000["time"].cast(pa.int64()).to_numpy() - int(EPOCH.timestamp() * 1e9)) / 1e9
    pick = np.flatnonzero(t_s >= t_s[0] + 20.0)[::5]
    target = np.stack([t000[c].to_numpy()[pick] for c in ("x", "y", "z")], axis=1)
    site = geodetic_to_ecef(
        math.radians(RADAR["lat_deg"]), math.radians(RADAR["lon_deg"]), RADAR["alt_km"] * KM
    )
    d = target - site
    rng = np.linalg.norm(d, axis=1)
    los = d / rng[:, None]
    n = pick.size
    return pa.table(
        {
            "det_id": pa.array(np.arange(det_id0, det_id0 + n, dtype=np.int64)),
            "sensor_id": pa.array(["R1"] * n),
            "sensor_kind": pa.array(["radar"] * n),
            "owner": pa.array(["JPN"] * n),
            "time": utc_timestamps(EPOCH, t_s[pick]),
            "los_x": los[:, 0], "los_y": los[:, 1], "los_z": los[:, 2],
            "sensor_x": np.full(n, site[0]), "sensor_y": np.full(n, site[1]),
            "sensor_z": np.full(n, site[2]),
            "sigma_rad": np.full(n, 2e-3),
            "snr": np.full(n, 20.0),
            "range_m": rng,
            "sigma_range_m": np.full(n, 30.0),
            "truth_id": pa.array(["T000"] * n),
        }
    )  # fmt: skip


def _coverage(folder: Path, scenario_data: dict[str, object]) -> None:
    """A coverage summary and one map, shaped as ``pipeline.write_coverage`` writes them."""
    scenario = validate_scenario(scenario_data)
    grid = pipeline.coverage_grid(scenario)
    lat = grid.lat.ravel() if grid.lat.ndim > 1 else grid.lat
    values = np.clip(60.0 + 40.0 * np.cos(np.asarray(lat, dtype=float) * 3.0), 0.0, 100.0)
    plot_coverage_map(
        grid,
        {"USA": values * 0.8, "JPN": values * 0.6, "joint": values},
        title="Time seen by at least 1 satellite, targets at 0 km",
        colorbar_label="% of time",
        path=folder / "maps" / "coverage_0km_pct_time_k1.png",
        vmin=0.0,
        vmax=100.0,
    )
    summary = pa.table(
        {
            "group": ["JPN", "USA", "joint"],
            "altitude_m": [0.0, 0.0, 0.0],
            "pct_time_k1": [55.0, 73.0, 91.0],
            "pct_area_continuous_k1": [10.0, 20.0, 40.0],
            "gain_pct_time_k1": [None, None, 18.0],
            "max_gap_s": [1800.0, 1200.0, 600.0],
            "mean_in_view": [0.7, 1.1, 1.8],
        }
    )
    write_table(summary, folder / "coverage_summary.parquet")
    write_table(
        pipeline.satellites_table(pipeline.space_segment(scenario), scenario.epoch),
        folder / "satellites.parquet",
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    data = yaml.safe_load(SMALL_SCENARIO)
    data.pop("coverage")
    data["coverage"] = {
        "region": {"kind": "box", "lat_min_deg": 20, "lat_max_deg": 50, "lon_min_deg": 110,
                   "lon_max_deg": 150},
        "cell_size_deg": 5,
    }  # fmt: skip
    data["epoch"] = EPOCH.isoformat().replace("+00:00", "Z")
    data["description"] = "Synthetic raid <for the report test> & its tables."
    data["radars"] = [RADAR]
    _coverage(folder, data)
    (folder / "scenario.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")

    raid = make_raid(n_threats=3, n_sats=10, duration_s=150.0, step_s=1.0, seed=3)
    config = TrackingConfig()
    national, innovations = run_tracking_tables(raid.detections, config, epoch=EPOCH)
    tracks = pa.concat_tables([national, fuse_timeline(national, EPOCH)])
    detections = pa.concat_tables(
        [raid.detections, _radar_detections(raid.truth, raid.detections.num_rows)]
    )
    metrics, trackers, gospa_table = tracking_scores(raid.truth, tracks, detections, config)
    for name, table in (
        ("truth", raid.truth),
        ("detections", detections),
        ("tracks", tracks),
        ("innovations", innovations),
        ("metrics", metrics),
        ("tracker_metrics", tracker_metrics_table(metrics, trackers)),
        ("gospa", gospa_table),
    ):
        write_table(table, folder / f"{name}.parquet")
    write_report(folder)
    return folder


class _Page(HTMLParser):
    """Every tag with its attributes, section ids, headings and table cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _decoded_images(page: _Page) -> list[Image.Image]:
    images = []
    for tag, attrs in page.tags:
        if tag == "img":
            src = attrs.get("src") or ""
            assert src.startswith("data:image/png;base64,"), src[:60]
            data = base64.b64decode(src.split(",", 1)[1], validate=True)
            images.append(Image.open(io.BytesIO(data)).convert("RGB"))
    return images


def _distinct_colours(image: Image.Image) -> int:
    pixels = np.asarray(image.convert("RGB"), dtype=np.uint32)
    packed = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    return int(np.unique(packed).size)


def test_report_has_every_section_and_table(run_dir: Path) -> None:
    """Reference: the report sections of issue 7 (scenario, coverage, per-threat timelines,
    custody and error, GOSPA, owners alone versus joint, ground tracks), each a section with
    its id; the threats, trackers and radar of the run appear in its tables."""
    page = _parse(run_dir / REPORT_FILE)
    ids = [attrs.get("id") for tag, attrs in page.tags if tag == "section"]
    assert ids == list(SECTIONS)
    text = " ".join(page.text)
    for needle in ("T000", "T001", "T002", "USA", "JPN", "joint", "fused", "R1", "small test"):
        assert needle in text, needle
    tables = sum(1 for tag, _ in page.tags if tag == "table")
    assert tables >= 8  # space, sensors, threats, radars, detections, coverage, times, ...
    # The description's markup characters are escaped, not interpreted.
    raw = (run_dir / REPORT_FILE).read_text(encoding="utf-8")
    assert "&lt;for the report test&gt; &amp; its tables" in raw
    assert "<for the report test>" not in raw
    # One figure per plot: coverage map, timelines, custody, custody timelines, NEES, NIS,
    # GOSPA, comparison, ground tracks.
    assert len(_decoded_images(page)) == 9
    assert "median NEES" in text and "median NIS" in text
    assert "held, %" in text and "losses" in text
    # Time not held, by reason; without a sightlines table the unseen reason is unknown.
    assert "not seen (no sightlines table), s" in text
    # The fused picture has no sensors: detection reads as not applying, not as 0 of N.
    assert "n/a: fuses tracks" in text and "share of fused moments, %" in text
    # Mean GOSPA and false tracks, figures of a whole tracker, are read from its row of
    # ``tracker_metrics`` (``metrics`` holds one row per threat and tracker, without them).
    per_tracker = pq.read_table(run_dir / "tracker_metrics.parquet").to_pylist()
    for row in per_tracker:
        assert f"{row['mean_gospa_m'] / 1000.0:.2f}" in page.text, row["tracker"]


def test_report_is_self_contained(run_dir: Path) -> None:
    """Reference: issue 7, "nothing fetched from the network when the file is opened": no
    src or href names anything but an embedded data URI or an anchor in the page, there is
    no script, link or CSS import, and no http(s) URL at all; every embedded image decodes
    to a PNG that is not blank (more than 50 distinct colours, not one flat tone)."""
    page = _parse(run_dir / REPORT_FILE)
    raw = (run_dir / REPORT_FILE).read_text(encoding="utf-8")
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed"), tag
        for name in ("src", "href", "srcset", "poster", "data"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), (tag, name, value[:60])
    assert "http://" not in raw and "https://" not in raw
    assert "@import" not in raw and "url(" not in raw
    for image in _decoded_images(page):
        assert image.width > 200 and image.height > 150
        assert _distinct_colours(image) > 50
        assert float(np.asarray(image, dtype=np.float64).std()) > 10.0


def test_custody_and_error_series_from_gospa_components() -> None:
    """Reference: GOSPA (Rahmathullah et al. 2017) of two threats and one track 300 m off
    the first, c = 10 km, p = 2: one threat matched (custody 1/2), its error 300 m; and a
    step with no track: custody 0, no error. Tolerance 1e-9 m."""
    c, p = 10_000.0, 2.0
    truth = np.array([[7.0e6, 0.0, 0.0], [0.0, 7.0e6, 0.0]])
    one = gospa(truth, truth[:1] + np.array([300.0, 0.0, 0.0]), c, p)
    none = gospa(truth, np.zeros((0, 3)), c, p)
    table = pa.table(
        {
            "tracker": ["joint", "joint"],
            "time": utc_timestamps(EPOCH, np.array([0.0, 1.0])),
            "gospa_m": [one.distance, none.distance],
            "localisation": [one.localisation, none.localisation],
            "missed": [one.missed, none.missed],
            "false": [one.false, none.false],
            "n_truth": [2, 2],
            "n_tracks": [1, 0],
        }
    )
    _, custody, error = custody_error_series(table, c_m=c, p=p)["joint"]
    np.testing.assert_allclose(custody, [0.5, 0.0])
    assert error[0] == pytest.approx(300.0, abs=1e-9)
    assert math.isnan(error[1])


def test_flights_split_phases_in_time_order() -> None:
    """Reference: a truth table built with known phases (boost 0-2 s, glide 3-5 s, sampled
    out of order): the phase runs tile the flight, each ending where the next begins."""
    t = np.array([4.0, 0.0, 1.0, 5.0, 2.0, 3.0])
    phase = ["glide" if x >= 3.0 else "boost" for x in t]
    truth = pa.table(
        {
            "object_id": ["H1"] * t.size,
            "kind": ["hgv"] * t.size,
            "time": utc_timestamps(EPOCH, t),
            "phase": phase,
        }
    )
    (flight,) = flights(truth, int(EPOCH.timestamp() * 1e9))
    assert (flight.object_id, flight.kind, flight.launch_s, flight.end_s) == ("H1", "hgv", 0, 5)
    assert flight.phases == (("boost", 0.0, 3.0), ("glide", 3.0, 5.0))


def test_partial_and_missing_folders(run_dir: Path, tmp_path: Path) -> None:
    """Reference: the report leaves out sections whose tables a folder lacks (a coverage-only
    run has no threat sections), and a folder that is not a run is a user error."""
    for name in ("scenario.yaml", "satellites.parquet", "coverage_summary.parquet"):
        shutil.copy(run_dir / name, tmp_path / name)
    shutil.copytree(run_dir / "maps", tmp_path / "maps")
    page = _parse(write_report(tmp_path, title="Coverage only"))
    ids = [attrs.get("id") for tag, attrs in page.tags if tag == "section"]
    assert ids == ["glance", "scenario", "coverage"]
    assert "Coverage only" in " ".join(page.text)
    with pytest.raises(ScenarioError, match="no such run folder"):
        write_report(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ScenarioError, match="tracklayer run"):
        write_report(tmp_path / "empty")


def test_scenario_is_read_through_the_model(run_dir: Path, tmp_path: Path) -> None:
    """The report reads ``scenario.yaml`` as a validated ``Scenario``: a copy with a bad
    field is a user error naming the field, and nothing is written."""
    data = yaml.safe_load((run_dir / "scenario.yaml").read_text(encoding="utf-8"))
    data["step_s"] = -1.0
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError, match="step_s"):
        write_report(tmp_path)
    assert not (tmp_path / REPORT_FILE).exists()


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian Chromium is not installed at /usr/bin/chromium (`bash .ci/chromium.sh`)",
)
def test_report_renders_in_headless_chromium(run_dir: Path, tmp_path: Path) -> None:
    """Reference: a person opening the file. Headless Chromium renders the page offline
    into a 1400 x 4000 screenshot that is not blank (over 256 distinct colours, not one flat
    tone) and whose plots were drawn: at least 0.5 % of the pixels below the header are
    strongly coloured (HSV saturation > 0.5, value > 0.35). Measured on this page: 4 % with
    its images, 0.04 % with every image source emptied (text, tables and header alone), so
    the threshold sits a decade from either."""
    shot = tmp_path / "report.png"
    result = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--screenshot={shot}",
            "--window-size=1400,4000",
            (run_dir / REPORT_FILE).resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shot.is_file(), result.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1400, 4000)
    assert _distinct_colours(image) > 256
    assert float(np.asarray(image, dtype=np.float64).std()) > 10.0
    hsv = np.asarray(image.convert("HSV"), dtype=np.float64) / 255.0
    below_header = hsv[300:]
    coloured = (below_header[..., 1] > 0.5) & (below_header[..., 2] > 0.35)
    assert coloured.mean() > 0.005
