"""The picture page in a real headless browser: Debian's Chromium driven by Playwright.

The service runs as a uvicorn subprocess on 127.0.0.1 and serves the built page
(``web/build.mjs`` into ``service/static/``); partners log in on the page with their tokens.
Checked: the Cesium globe starts without console errors; tracks posted to the service appear
live (WebSocket) and after a reload (REST history); a partner's page never holds a track not
released to it; every request the page makes goes to the local server; a screenshot shows
the rendered globe. ``tracklayer view`` is checked the same way in file mode.

Skipped, with the reason, when ``/usr/bin/chromium`` (``.ci/chromium.sh`` installs it), the
Python ``playwright`` package or the page build is missing. Playwright never downloads a
browser here: it launches Debian's.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.service.browser_helper import (
    Watched,
    chromium,
    foreign,
    skip_without_browser,
    start_view,
    stop_view,
)
from tests.service.server_helper import free_port, start_server, stop_server

pytestmark = pytest.mark.slow

VIEWPORT = {"width": 640, "height": 480}
EPOCH = datetime(2027, 3, 1, tzinfo=UTC)


skip_without_browser()

from playwright.sync_api import Browser  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, launched by Playwright (never downloaded)."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The picture service on a free loopback port with partners USA, JPN, KOR."""
    from tracklayer.service.auth import add_partner
    from tracklayer.service.db import make_engine, migrate

    db = f"sqlite:///{tmp_path_factory.mktemp('web') / 'picture.db'}"
    engine = make_engine(db)
    migrate(engine)
    tokens = {code: add_partner(engine, code) for code in ("USA", "JPN", "KOR")}
    engine.dispose()
    port = free_port()
    proc = start_server(db, port)
    try:
        yield f"http://127.0.0.1:{port}/", tokens
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def pages(browser: Browser, service: tuple[str, dict[str, str]]) -> Iterator[dict[str, Watched]]:
    """The page of JPN and of KOR, each logged in through the login box, in one context."""
    base, tokens = service
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    out = {code: Watched(context.new_page()) for code in ("JPN", "KOR")}
    for code, w in out.items():
        w.page.goto(base)
        w.page.fill("#token", tokens[code])
        w.page.click("#login-button")
    for w in out.values():
        w.wait("s.ready && s.connected")
    yield out
    context.close()


def _state(tracker: str, track_id: str, t_s: float, pos: tuple[float, float, float]) -> Any:
    cov = np.diag([4.0e6, 1.0e6, 2.5e5, 25.0, 25.0, 25.0])
    cov[0, 1] = cov[1, 0] = 5.0e5
    return {
        "track_id": track_id,
        "tracker": tracker,
        # The server's clock is the real one: states a few seconds old, none ahead of it.
        "time": (datetime.now(UTC) + timedelta(seconds=t_s - 3.0)).isoformat(),
        "x": pos[0],
        "y": pos[1],
        "z": pos[2],
        "vx": 100.0,
        "vy": 2000.0,
        "vz": 1500.0,
        "cov": cov.reshape(-1).tolist(),
        "status": "confirmed",
    }


def _post(base: str, token: str, message_id: str, release: Any, tracks: list[Any]) -> None:
    body = {"message_id": message_id, "releasable_to": release, "tracks": tracks}
    r = httpx.post(base + "api/v1/tracks", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.text


def test_page_loads_with_globe_and_login(pages: dict[str, Watched]) -> None:
    """The Cesium viewer's canvas is there, the login box is gone, no console error."""
    for code, w in pages.items():
        assert w.page.locator(".cesium-widget canvas").count() == 1
        assert w.page.locator("#login").is_hidden()
        s = w.summary()
        assert (s["mode"], s["partner"], s["error"]) == ("service", code, None)
        assert w.page.locator("#legend-items li").count() == 3
        assert w.errors == [], (code, w.errors)


def test_posted_tracks_appear_and_unreleased_never_do(
    pages: dict[str, Watched], service: tuple[str, dict[str, str]]
) -> None:
    """USA posts SECRET (released to JPN only) then OPEN (to all), over the live stream.

    JPN's page shows both as partners' tracks and system tracks; KOR's page shows OPEN,
    and nothing of SECRET: not in its tracks, fused tracks, entities or text, live or
    after a reload (which logs in again from sessionStorage and reads the REST history).
    """
    base, tokens = service
    jpn, kor = pages["JPN"], pages["KOR"]
    _post(
        base,
        tokens["USA"],
        "web-secret",
        ["JPN"],
        [_state("USA", "SECRET", 0.0, (6.5e6, 1e5, 2e5))],
    )
    _post(
        base,
        tokens["USA"],
        "web-open",
        "all",
        [_state("USA", "OPEN", t, (6.4e6, 1.5e6 + 2e3 * t, 1.2e6 + 1.5e3 * t)) for t in (0, 1, 2)],
    )
    _post(base, tokens["JPN"], "web-own", "all", [_state("JPN", "J1", 2.0, (6.2e6, 2e6, 1.4e6))])
    jpn.wait("s.others.length === 2 && s.own.length === 1 && s.fused.length >= 3")
    kor.wait("s.others.includes('USA/OPEN') && s.others.includes('JPN/J1') && s.fused.length >= 2")
    s_jpn, s_kor = jpn.summary(), kor.summary()
    assert s_jpn["own"] == ["JPN/J1"]
    assert s_jpn["others"] == ["USA/OPEN", "USA/SECRET"]
    assert s_kor["own"] == []
    assert s_kor["others"] == ["JPN/J1", "USA/OPEN"]

    def no_secret(w: Watched) -> None:
        s = w.summary()
        text = w.page.evaluate(
            "window.tracklayer.viewer.entities.values.map(e => "
            "e.id + ' ' + (e.description ? e.description.getValue() : '') + ' ' + "
            "JSON.stringify(e.properties ? e.properties.getValue() : {})).join('\\n')"
            " + document.body.innerText"
        )
        assert "SECRET" not in str(s) and "SECRET" not in text

    no_secret(kor)
    kor.page.reload()
    kor.wait("s.ready && s.connected && s.others.length === 2")
    assert kor.summary()["partner"] == "KOR"
    no_secret(kor)
    assert jpn.errors == [] and kor.errors == []


#: Each track entity's symbol on the live page: its milsymbol SIDC, image, and what shows.
_SYMBOLS_JS = """(() => window.tracklayer.viewer.entities.values
  .filter(e => e.id.startsWith('track/') || e.id.startsWith('fused/'))
  .map(e => { const t = window.tracklayer.viewer.clock.currentTime;
    const img = e.billboard ? e.billboard.image.getValue(t) : null;
    return { id: e.id, sidc: img && img.dataset ? img.dataset.sidc || null : null,
             image: img && img.toDataURL ? img.toDataURL() : null,
             point: e.point.show === undefined ? true : e.point.show.getValue(t),
             shown: !!e.billboard
               && (e.billboard.show === undefined || e.billboard.show.getValue(t)),
           }; }))()"""


def test_tracks_are_military_symbols(
    pages: dict[str, Watched], service: tuple[str, dict[str, str]]
) -> None:
    """As on the run globe, the live page draws every track as a MIL-STD-2525C hostile air
    missile symbol (milsymbol, SIDC ``SHAPM-----``, checked valid by milsymbol itself): its
    own (JPN), partners' (USA) and fused tracks each in their class's colour (three
    distinct images), national tracks without the plain point. A screenshot of JPN's page,
    turned to the tracks, is kept in ``test-artifacts/view/live.png``."""
    w = pages["JPN"]
    w.wait("s.own.length === 1 && s.others.length === 2 && s.fused.length >= 1")
    assert w.page.evaluate("new ms.Symbol('SHAPM-----').isValid()")
    symbols = {i["id"]: i for i in w.page.evaluate(_SYMBOLS_JS)}
    assert {i["sidc"] for i in symbols.values()} == {"SHAPM-----"}, symbols
    assert all(i["shown"] for i in symbols.values())
    national = [i for k, i in symbols.items() if k.startswith("track/")]
    assert not any(i["point"] for i in national)
    own, other = symbols["track/JPN/J1"], symbols["track/USA/OPEN"]
    fused = next(i for k, i in symbols.items() if k.startswith("fused/"))
    assert len({own["image"], other["image"], fused["image"]}) == 3
    assert symbols["track/USA/SECRET"]["image"] == other["image"]
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts" / "view"
    artifacts.mkdir(parents=True, exist_ok=True)
    w.page.evaluate(
        """(() => { const v = window.tracklayer.viewer;
        v.camera.setView({ destination: Cesium.Cartesian3.fromDegrees(14, 12, 4.0e6) });
        window.tracklayer.render(); })()"""
    )
    w.page.wait_for_timeout(1000)
    w.page.screenshot(path=str(artifacts / "live.png"))
    assert (artifacts / "live.png").stat().st_size > 10_000
    assert w.errors == []


def test_every_request_stays_on_the_machine(
    pages: dict[str, Watched], service: tuple[str, dict[str, str]]
) -> None:
    """Every request the pages made (page, Cesium, imagery, REST, WebSocket) is local."""
    base, _ = service
    for w in pages.values():
        w.wait("s.tilesLoaded")
        assert any("NaturalEarthII" in u for u in w.requests)
        assert any(u.startswith("ws://") and u.endswith("/api/v1/stream") for u in w.requests)
        assert foreign(w.requests, base) == []


def test_screenshot_shows_the_globe(pages: dict[str, Watched], tmp_path: Path) -> None:
    """A screenshot is non-empty and the globe is drawn: its centre is lit, not black space.

    After the first tracks the page turns the globe to face them from 12,000 km, so the
    Earth's disc covers the middle of the view.
    """
    from PIL import Image

    w = pages["JPN"]
    w.wait("s.tilesLoaded")
    w.page.evaluate("window.tracklayer.render()")
    w.page.wait_for_timeout(500)
    path = tmp_path / "globe.png"
    w.page.screenshot(path=str(path))
    pixels = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)
    assert pixels.shape[:2] == (VIEWPORT["height"], VIEWPORT["width"])
    assert pixels.std() > 20.0
    h, wd = pixels.shape[:2]
    centre = pixels[h // 2 - 40 : h // 2 + 40, wd // 2 - 40 : wd // 2 + 40]
    assert (centre.mean(axis=2) > 40.0).mean() > 0.8


# ---------------------------------------------------------------- tracklayer view


def _run_dir(path: Path) -> dict[str, int]:
    """A small run output: 3 satellites of 2 owners, 2 threats, a USA track and a joint one."""
    t_ns = np.int64(int(EPOCH.timestamp())) * 10**9 + np.arange(0, 600, 10, dtype=np.int64) * 10**9
    n = t_ns.size
    ts = pa.timestamp("ns", tz="UTC")
    w = 2 * np.pi / 5400.0 * np.arange(n) * 10.0
    sat_rows: dict[str, list[Any]] = {k: [] for k in ("sat_id", "time", "x", "y", "z")}
    for i in range(3):
        r = 7.0e6
        sat_rows["sat_id"] += [f"S{i}"] * n
        sat_rows["time"] += t_ns.tolist()
        sat_rows["x"] += (r * np.cos(w + i)).tolist()
        sat_rows["y"] += (r * np.sin(w + i) * 0.6).tolist()
        sat_rows["z"] += (r * np.sin(w + i) * 0.8).tolist()
    eph = pa.table({**sat_rows, "time": pa.array(sat_rows["time"], ts)})
    for c in ("vx", "vy", "vz"):
        eph = eph.append_column(c, pa.array(np.zeros(eph.num_rows)))
    pq.write_table(eph, path / "ephemeris.parquet")
    sats = pa.table({"sat_id": ["S0", "S1", "S2"], "owner": ["USA", "USA", "JPN"],
                     "constellation": ["c"] * 3, "sensor": ["ir"] * 3})  # fmt: skip
    pq.write_table(sats, path / "satellites.parquet")
    up = 6.4e6 + 1.0e5 * np.sin(np.linspace(0, np.pi, n))
    truth = pa.table(
        {
            "object_id": pa.array(["B1"] * n + ["H1"] * n).dictionary_encode(),
            "kind": pa.array(["ballistic"] * n + ["hgv"] * n).dictionary_encode(),
            "time": pa.array(np.concatenate([t_ns, t_ns]), ts),
            "x": np.concatenate([up * 0.6, up * 0.5]),
            "y": np.concatenate([np.full(n, 3.0e6), np.full(n, 3.5e6)]),
            "z": np.concatenate([up * 0.5, up * 0.4]),
        }
    )
    pq.write_table(truth, path / "truth.parquet")
    cov = np.tile(np.diag([1e6, 4e6, 9e6, 1.0, 1.0, 1.0]).reshape(-1), (2 * n, 1))
    tracks = pa.table(
        {
            "track_id": ["T1"] * n + ["J1"] * n,
            "tracker": ["USA"] * n + ["joint"] * n,
            "time": pa.array(np.concatenate([t_ns, t_ns]), ts),
            "x": np.concatenate([up * 0.6, up * 0.6]),
            "y": np.full(2 * n, 3.0e6),
            "z": np.concatenate([up * 0.5, up * 0.5]),
            "vx": np.zeros(2 * n),
            "vy": np.zeros(2 * n),
            "vz": np.zeros(2 * n),
            "cov": pa.FixedSizeListArray.from_arrays(pa.array(cov.reshape(-1)), 36),
            "status": ["confirmed"] * (2 * n),
        }
    )
    pq.write_table(tracks, path / "tracks.parquet")
    return {"satellite": 3, "truth": 2, "track": 1, "joint": 1}


def test_view_shows_a_run_in_file_mode(browser: Browser, tmp_path: Path) -> None:
    """``tracklayer view DIR`` (as ``python -m tracklayer.service.view``) serves the run.

    The scene is built from the Parquet tables (no scene.czml), prints its URL, redirects
    ``/`` to file mode; the page shows every object of the run, requests nothing from
    elsewhere and logs no error.
    """
    run = tmp_path / "run"
    run.mkdir()
    expected = _run_dir(run)
    port = free_port()
    proc, url = start_view(run, port)
    try:
        base = f"http://127.0.0.1:{port}/"
        assert url == base + "?scene=scene.czml"
        root = httpx.get(base, follow_redirects=False)
        assert root.status_code == 307 and root.headers["location"] == "/?scene=scene.czml"
        assert httpx.get(base + "run.parquet").status_code == 404
        context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
        w = Watched(context.new_page())
        w.page.goto(base)
        w.wait("s.ready")
        s = w.summary()
        assert s["mode"] == "file" and s["error"] is None
        assert s["sceneKinds"] == expected
        assert "truth/B1" in s["entityIds"] and "track/USA/T1" in s["entityIds"]
        assert w.page.locator(".cesium-viewer-timelineContainer").count() == 1
        assert w.page.locator("#legend-items li").count() == 5  # 2 owners, truth, USA, joint
        w.wait("s.tilesLoaded")
        w.page.screenshot(path=str(tmp_path / "view.png"))
        assert foreign(w.requests, base) == []
        assert w.errors == []
        context.close()
    finally:
        stop_view(proc)


def test_view_explains_a_missing_build_or_empty_run(tmp_path: Path) -> None:
    """Without the page build, or with nothing to show, ``view`` says so and exits 2."""
    import typer
    from typer.testing import CliRunner

    from tracklayer.errors import TracklayerError
    from tracklayer.service.view import BUILD_HINT, register_view, view_app

    with pytest.raises(TracklayerError, match="npm ci"):
        view_app(tmp_path, static_dir=tmp_path / "nowhere")
    with pytest.raises(TracklayerError, match="nothing to show"):
        view_app(tmp_path)
    app = typer.Typer()
    register_view(app)
    app.command("other")(lambda: None)
    result = CliRunner().invoke(app, ["view", str(tmp_path / "missing"), "--no-browser"])
    assert result.exit_code != 0
    assert isinstance(result.exception, TracklayerError)
    assert "no such folder" in str(result.exception)
    proc = subprocess.run(
        [sys.executable, "-m", "tracklayer.service.view", str(tmp_path), "--no-browser"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "nothing to show" in proc.stderr
    assert BUILD_HINT.startswith("the web page is not built")
