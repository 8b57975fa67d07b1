"""``tracklayer view`` on a real run, as an analyst opens it: Debian's Chromium, headless.

A small scenario (the demo's payloads on 30 satellites of two owners, one medium-range
ballistic missile, 10 min) is run end to end by :func:`tracklayer.runner.write_run`, then
``tracklayer view DIR`` serves it and the page is checked against the run's own tables:

- the camera opens over the scene's region (the threat's area), from within 20,000 km;
- the clock opens on the raid window (the threat's first sample less the lead) and runs;
- the threat is on screen within a few seconds of the page being ready;
- the legend names each tracker of ``tracks.parquet`` once, each entry in its own colour;
- the info box of a track holding the threat shows its error against truth, and the
  threat's own info box names the tracker among those holding it;
- the layers (footprints, orbits) switch; coastlines and borders are drawn; there is no
  Cesium ion logo; every request stays on the machine; the console stays clean;
- false alarms draw their lines of sight at their times, ending on the Earth for those seen
  against it, and every satellite that looks above the limb gets its field of regard's
  ring, shown on demand.

Screenshots are kept in ``test-artifacts/view/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import yaml

from tests.conftest import EXAMPLES
from tests.service.browser_helper import (
    Watched,
    chromium,
    foreign,
    skip_without_browser,
    start_view,
    stop_view,
)
from tests.service.server_helper import free_port
from tracklayer.io.scene_layers import WINDOW_LEAD_S
from tracklayer.service.app import STATIC_DIR

pytestmark = pytest.mark.slow

skip_without_browser()

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "view"
VIEWPORT = {"width": 900, "height": 640}
#: "Within a few seconds" of the page being ready: the clock opens WINDOW_LEAD_S (20 s)
#: before the launch and plays 10x, so 2 s; the rest is slack for software rendering.
THREAT_VISIBLE_MS = 15_000
ERROR_ROW = re.compile(r"error against truth\s+([\d.]+) (m|km)")


def _small_scenario() -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES / "demo.yaml").read_text())
    for section in ("coverage", "losses", "radars", "network"):
        data.pop(section, None)
    data["sensors"] = {k: data["sensors"][k] for k in ("wide_field_ir", "small_sat_ir")}
    walker = {"kind": "walker_delta", "planes": 3, "phasing": 1}
    data["space"]["constellations"] = [
        {**walker, "name": "TRK", "owner": "USA", "sensor": "wide_field_ir", "total": 18,
         "altitude_km": 1000, "inclination_deg": 60},
        {**walker, "name": "QZT", "owner": "JPN", "sensor": "small_sat_ir", "total": 12,
         "altitude_km": 600, "inclination_deg": 50},
    ]  # fmt: skip
    raid = copy.deepcopy(data["threats"]["raids"][0])
    raid.update(count=1, launch_time_s=30, launch_spread_s=0)
    data["threats"]["raids"] = [raid]
    data.update(duration_s=600, step_s=2)
    return data


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small scenario's run folder, every stage written (scene.czml and report too)."""
    from tracklayer.runner import write_run
    from tracklayer.scenario import validate_scenario

    out = tmp_path_factory.mktemp("view-run")
    write_run(validate_scenario(_small_scenario(), base_dir=EXAMPLES), out, None)
    return out


def test_the_report_gives_the_globe_command(run_dir: Path) -> None:
    """The run's report shows the command that opens this globe."""
    assert f"tracklayer view {run_dir.name}" in (run_dir / "report.html").read_text()


@pytest.fixture(scope="module")
def page(run_dir: Path) -> Iterator[tuple[Watched, str]]:
    """The view's page, ready (scene loaded), and the server's base URL."""
    port = free_port()
    proc, url = start_view(run_dir, port)
    try:
        with chromium() as browser:
            w = Watched(browser.new_context(viewport=VIEWPORT).new_page())  # type: ignore[arg-type]
            w.page.goto(url)
            w.wait("s.ready")
            yield w, f"http://127.0.0.1:{port}/"
    finally:
        stop_view(proc)


def _shot(w: Watched, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    w.page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    return path


def test_opens_over_the_region_with_the_clock_running(
    page: tuple[Watched, str], run_dir: Path
) -> None:
    """Camera over the region; clock on the raid window, animating, time advancing; the
    threat on screen within THREAT_VISIBLE_MS."""
    w, _ = page
    s = w.summary()
    region, camera = s["region"], s["camera"]
    assert region["west_deg"] <= camera["lon_deg"] <= region["east_deg"]
    assert region["south_deg"] <= camera["lat_deg"] <= region["north_deg"]
    assert 1e5 < camera["height_m"] < 2e7
    truth = pq.read_table(run_dir / "truth.parquet")
    first = pc.min(truth["time"]).as_py() - timedelta(seconds=WINDOW_LEAD_S)
    assert s["clock"]["start"].startswith(first.strftime("%Y-%m-%dT%H:%M:%S"))
    assert s["clock"]["animating"] and s["clock"]["multiplier"] > 1
    w.wait("s.visibleThreats.length > 0", timeout_ms=THREAT_VISIBLE_MS)
    threat = pc.unique(truth["object_id"]).to_pylist()
    assert set(w.summary()["visibleThreats"]) <= {str(t) for t in threat}
    w.wait(f"s.clock.time > {s['clock']['time']!r}", timeout_ms=THREAT_VISIBLE_MS)
    _shot(w, "open.png")


def test_legend_names_each_tracker_once(page: tuple[Watched, str], run_dir: Path) -> None:
    """Every tracker of the run (USA, JPN, joint, fused) has one legend entry of tracks, and
    no two entries share a name or a colour."""
    w, _ = page
    trackers = {str(t) for t in pc.unique(pq.read_table(run_dir / "tracks.parquet")["tracker"])}
    assert trackers >= {"USA", "JPN", "joint", "fused"}
    labels = w.summary()["legend"]
    track_labels = [label for label in labels if "tracks" in label]
    assert len(track_labels) == len(trackers)
    for tracker in trackers:
        assert sum(tracker in label.split() for label in track_labels) == 1, (tracker, labels)
    assert len(set(labels)) == len(labels)
    swatches = w.page.eval_on_selector_all(
        "#legend-items .swatch", "nodes => nodes.map(n => getComputedStyle(n).backgroundColor)"
    )
    assert len(set(swatches)) == len(swatches) == len(labels)


def test_track_info_box_shows_its_error(page: tuple[Watched, str]) -> None:
    """Selecting a track that follows the threat opens an info box with its tracker, the
    threat, its 3-sigma size and its error against truth (a distance under 100 km); the
    threat's info box gives its phase, altitude and speed, and names that tracker among
    those holding it."""
    w, _ = page
    w.page.wait_for_function(
        """(() => { const v = window.tracklayer.viewer; const t = v.clock.currentTime;
        return v.dataSources.get(0).entities.values.some(e => e.id.startsWith('track/')
          && e.isAvailable(t) && e.properties.hasProperty('truth')
          && e.properties.status.getValue(t) !== 'deleted'); })()""",
        timeout=60_000,
    )
    w.page.evaluate("window.tracklayer.viewer.clock.shouldAnimate = false")
    track = w.page.evaluate(
        """(() => { const v = window.tracklayer.viewer; const t = v.clock.currentTime;
        const e = v.dataSources.get(0).entities.values.find(e => e.id.startsWith('track/')
          && e.isAvailable(t) && e.properties.hasProperty('truth')
          && e.properties.status.getValue(t) !== 'deleted');
        return e.id; })()"""
    )
    assert w.page.evaluate(f"window.tracklayer.select({track!r})")
    w.page.wait_for_function(
        "window.tracklayer.infoText().includes('error against truth')", timeout=30_000
    )
    text = w.page.evaluate("window.tracklayer.infoText()")
    match = ERROR_ROW.search(text)
    assert match is not None, text
    error_m = float(match.group(1)) * (1000.0 if match.group(2) == "km" else 1.0)
    assert 0.0 < error_m < 100e3
    for row in ("held by", "threat followed", "3σ size", "altitude", "speed", "phase"):
        assert row in text, (row, text)
    _shot(w, "track-info.png")
    threat = w.page.evaluate(
        f"window.tracklayer.viewer.dataSources.get(0).entities.getById({track!r})"
        ".properties.truth.getValue()"
    )
    assert w.page.evaluate(f"window.tracklayer.select('truth/{threat}')")
    # The track's box also names the threat and its holders: wait for the threat's own box
    # (no track size in it), not the track's still showing.
    w.page.wait_for_function(
        f"window.tracklayer.infoText().includes({threat!r})"
        " && window.tracklayer.infoText().includes('held by')"
        " && !window.tracklayer.infoText().includes('3σ size')",
        timeout=30_000,
    )
    text = w.page.evaluate("window.tracklayer.infoText()")
    assert track.split("/")[1] in text.split("held by", 1)[1], text
    for row in ("phase", "altitude", "speed", "type"):
        assert row in text, (row, text)
    w.page.evaluate("window.tracklayer.viewer.clock.shouldAnimate = true")


def test_layers_basemap_and_offline(page: tuple[Watched, str]) -> None:
    """Footprints and orbit paths switch on from the legend's boxes; a legend entry hides
    and shows its objects; coastlines and borders are drawn; no Cesium ion logo shows;
    nothing is requested from elsewhere; no errors."""
    w, base = page
    w.page.check("#layers input[data-layer=footprints]")
    w.page.check("#layers input[data-layer=orbits]")
    layers = w.summary()["layers"]
    assert layers["footprints"] and layers["orbits"] and layers["sights"]
    shown = w.page.evaluate(
        """(() => { const v = window.tracklayer.viewer; const t = v.clock.currentTime;
        return v.dataSources.get(0).entities.values.filter(e => e.id.startsWith('satellite/')
          && e.ellipse && e.ellipse.show.getValue(t)).length; })()"""
    )
    assert shown == w.summary()["sceneKinds"]["satellite"]
    entry = w.page.locator("#legend-items li", has_text="threats (truth)")
    entry.click()
    assert w.summary()["hidden"] == ["threats (truth)"]
    truth_shown = """window.tracklayer.viewer.dataSources.get(0).entities.values
        .filter(e => e.id.startsWith('truth/')).map(e => e.show)"""
    assert not any(w.page.evaluate(truth_shown))
    w.page.locator("#legend-items li", has_text="threats (truth)").click()
    assert w.summary()["hidden"] == [] and all(w.page.evaluate(truth_shown))
    w.wait("s.basemapLines > 100")
    assert w.page.locator(".cesium-credit-logoContainer:visible").count() == 0
    assert w.page.locator("img[src*='ion']:visible").count() == 0
    _shot(w, "layers.png")
    assert foreign(w.requests, base) == []
    assert w.errors == []


def _settle(w: Watched) -> None:
    """Let the globe's tiles load at a new camera view, then draw it once more."""
    w.wait("s.tilesLoaded", timeout_ms=60_000)
    w.page.evaluate("window.tracklayer.render()")
    w.page.wait_for_timeout(500)


def _false_alarm_on_earth(run_dir: Path) -> tuple[str, str]:
    """The sensor and UTC time (ISO, ms) of the run's first false alarm seen against the
    Earth after the threat's launch."""
    detections = pq.read_table(run_dir / "detections.parquet")
    launch = pc.min(pq.read_table(run_dir / "truth.parquet")["time"])
    alarms = detections.filter(pc.is_null(detections["truth_id"]))
    alarms = alarms.filter(pc.greater_equal(alarms["time"], launch))
    earth = alarms.filter(pc.equal(alarms["background"], "earth")).sort_by("time")
    assert earth.num_rows > 0, "the run has no false alarm against the Earth"
    first = earth.slice(0, 1).to_pylist()[0]
    return str(first["sensor_id"]), first["time"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_false_alarms_and_fields_of_regard_above_the_limb(
    page: tuple[Watched, str], run_dir: Path
) -> None:
    """At the first false alarm against the Earth, its sensor's dashed line of sight is
    drawn from the satellite to the ground (end point within 1 km of the ellipsoid) and its
    info box says what it was seen against; the lines of sight box hides it. Every
    satellite (both payloads look 3 deg above the limb) has a ring, hidden until its box is
    checked, then drawn above the Earth (tens to hundreds of km: where the edge rays pass)."""
    w, _ = page
    sensor, when = _false_alarm_on_earth(run_dir)
    entity = (
        f"window.tracklayer.viewer.dataSources.get(0).entities.getById('false_alarms/{sensor}')"
    )
    w.page.evaluate(
        f"""(() => {{ const v = window.tracklayer.viewer; v.clock.shouldAnimate = false;
        v.clock.currentTime = Cesium.JulianDate.fromIso8601({when!r}); }})()"""
    )
    line = w.page.evaluate(
        f"""(() => {{ const v = window.tracklayer.viewer; const t = v.clock.currentTime;
        const e = v.dataSources.get(0).entities.getById('false_alarms/{sensor}');
        const ends = e.polyline.positions.getValue(t);
        const c = Cesium.Cartographic.fromCartesian(ends[1]);
        return {{ available: e.isAvailable(t), show: e.show, n: ends.length,
                 height: c.height, dashed: e.polyline.material instanceof
                   Cesium.PolylineDashMaterialProperty }}; }})()"""
    )
    assert line["available"] and line["show"] and line["dashed"] and line["n"] >= 2, line
    assert abs(line["height"]) < 1000.0, line
    assert w.summary()["sceneKinds"]["false_alarm"] > 0
    assert w.page.evaluate(f"window.tracklayer.select('false_alarms/{sensor}')")
    w.page.wait_for_function(
        "window.tracklayer.infoText().includes('seen against')", timeout=30_000
    )
    assert "earth" in w.page.evaluate("window.tracklayer.infoText()")
    w.page.uncheck("#layers input[data-layer=footprints]")
    w.page.evaluate(  # look down on the line from 6,000 km above its middle
        f"""(() => {{ const v = window.tracklayer.viewer;
        const ends = {entity}.polyline.positions.getValue(v.clock.currentTime);
        const mid = Cesium.Cartographic.fromCartesian(Cesium.Cartesian3.midpoint(
          ends[0], ends[1], new Cesium.Cartesian3()));
        v.camera.setView({{ destination: Cesium.Cartesian3.fromRadians(
          mid.longitude, mid.latitude, 6.0e6) }});
        window.tracklayer.render(); }})()"""
    )
    _settle(w)
    _shot(w, "false-alarm.png")
    shown = f"{entity}.show"
    w.page.uncheck("#layers input[data-layer=sights]")
    assert not w.page.evaluate(shown)
    w.page.check("#layers input[data-layer=sights]")
    assert w.page.evaluate(shown)
    rings = """window.tracklayer.viewer.dataSources.get(0).entities.values
        .filter(e => e.id.startsWith('regard/'))
        .map(e => ({show: e.show, height: e.ellipse.height.getValue(
          window.tracklayer.viewer.clock.currentTime)}))"""
    before = w.page.evaluate(rings)
    assert len(before) == w.summary()["sceneKinds"]["satellite"] == 30
    assert not any(r["show"] for r in before)
    w.page.check("#layers input[data-layer=regard]")
    after = w.page.evaluate(rings)
    assert all(r["show"] and 10e3 < r["height"] < 1000e3 for r in after), after
    assert "fields of regard above the limb" in w.summary()["legend"]
    w.page.evaluate(
        """(() => { const v = window.tracklayer.viewer; v.selectedEntity = undefined;
        v.camera.setView({ destination: Cesium.Cartesian3.fromDegrees(130, 25, 2.2e7) });
        window.tracklayer.render(); })()"""
    )
    _settle(w)
    _shot(w, "regard.png")
    w.page.uncheck("#layers input[data-layer=regard]")
    w.page.evaluate("window.tracklayer.viewer.clock.shouldAnimate = true")
    assert w.errors == []


def test_basemap_is_natural_earth_coastlines_and_borders() -> None:
    """The built page ships basemap.json: Natural Earth 1:110m coastlines and land borders,
    two MultiLineStrings of (longitude, latitude) degrees within their ranges."""
    collection = json.loads((STATIC_DIR / "basemap.json").read_text())
    kinds = {f["properties"]["kind"]: f["geometry"] for f in collection["features"]}
    assert sorted(kinds) == ["border", "coastline"]
    for geometry in kinds.values():
        assert geometry["type"] == "MultiLineString" and len(geometry["coordinates"]) > 100
        points = np.concatenate([np.asarray(line) for line in geometry["coordinates"]])
        assert np.all(np.abs(points[:, 0]) <= 180.0) and np.all(np.abs(points[:, 1]) <= 90.0)
