"""The scaled server clock of an exercise run faster than real time (``serve --clock-rate``).

Reference: the definition in :mod:`tracklayer.service.clock`, picture time
``start + rate * (wall - anchor)``, checked on a wall clock set by hand (to the
nanosecond), and its use: ``/health`` tells it, ingest refuses states more than the skew
(5 picture seconds) ahead of it, and no request moves it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.service.conftest import auth, message, track_state
from tracklayer.cli import app as cli_app
from tracklayer.service.clock import MAX_RATE, PictureClock, ScaledTime, scaled_clock

START = datetime(2030, 1, 1, tzinfo=UTC)
START_NS = round(START.timestamp()) * 10**9
ANCHOR_NS = 1_800_000_000 * 10**9


def test_scaled_time_runs_rate_times_the_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """20x: 1.5 wall seconds after the anchor, the picture is 30 s after its start."""
    wall = {"ns": ANCHOR_NS}
    monkeypatch.setattr("tracklayer.service.clock.time.time_ns", lambda: wall["ns"])
    scaled = ScaledTime(START_NS, ANCHOR_NS, 20.0)
    assert scaled() == START_NS
    wall["ns"] = ANCHOR_NS + 1_500_000_000
    assert scaled() == START_NS + 30 * 10**9
    clock = PictureClock(now_ns=scaled)
    assert clock.rate == 20.0
    assert clock.latest_accepted_ns() == START_NS + 35 * 10**9  # 5 s skew, picture seconds
    assert clock.wall_s(10 * 10**9) == pytest.approx(0.5, abs=1e-12)  # 10 picture s
    assert PictureClock().rate == 1.0


@pytest.mark.parametrize("rate", [0.0, -1.0, MAX_RATE * 1.001, float("nan")])
def test_the_rate_is_bounded(rate: float) -> None:
    with pytest.raises(ValueError, match="clock rate"):
        ScaledTime(START_NS, ANCHOR_NS, rate)


def test_serve_s_clock_is_the_wall_clock_unless_scaled() -> None:
    wall = scaled_clock(5.0, 60.0)
    assert not isinstance(wall.now_ns, ScaledTime)
    same = scaled_clock(5.0, 60.0, 20.0, START_NS, ANCHOR_NS)
    assert same.now_ns == ScaledTime(START_NS, ANCHOR_NS, 20.0)  # a restart resumes it


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--clock-start", "2030-01-01T00:00:00"], "--clock-start"),
        (["--clock-anchor", "yesterday"], "--clock-anchor"),
        (["--clock-rate", "5000"], "--clock-rate"),
        (["--clock-rate", "0"], "--clock-rate"),
    ],
)
def test_serve_refuses_a_bad_clock_naming_the_option(
    tmp_path: Path, args: list[str], named: str
) -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--db", str(tmp_path / "p.db"), *args])
    assert result.exit_code == 2
    assert named in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def scaled_service(tmp_path: Path) -> Iterator[tuple[Any, dict[str, str]]]:
    """An app whose clock runs 20x from 2030-01-01T00:00:00Z, anchored now."""
    from fastapi.testclient import TestClient

    from tracklayer.service.app import create_app
    from tracklayer.service.auth import add_partner

    clock = scaled_clock(5.0, 60.0, 20.0, START_NS)
    app = create_app(f"sqlite:///{tmp_path / 'p.db'}", static_dir=None, clock=clock)
    tokens = {code: add_partner(app.state.engine, code) for code in ("USA", "JPN")}
    with TestClient(app) as client:
        yield client, tokens


def _health_time(client: Any) -> tuple[datetime, float]:
    body = client.get("/health").json()
    return datetime.fromisoformat(body["clock_time"].replace("Z", "+00:00")), body["clock_rate"]


def test_health_tells_the_scaled_clock_and_ingest_follows_it(
    scaled_service: tuple[Any, dict[str, str]],
) -> None:
    client, tokens = scaled_service
    first, rate = _health_time(client)
    assert rate == 20.0
    # Started at 2030-01-01T00:00:00Z moments ago: at 20x, within a minute of it.
    assert timedelta(0) <= first - START < timedelta(minutes=1), first
    second, _ = _health_time(client)
    assert second >= first  # forward only
    # A state at the clock's now is taken; one 10 min of picture time ahead is refused.
    now = (second + timedelta(seconds=1)).isoformat()
    ahead = (second + timedelta(minutes=10)).isoformat()
    ok = client.post(
        "/api/v1/tracks",
        json=message("m1", "all", [track_state("USA", "T1", time=now)]),
        headers=auth(tokens["USA"]),
    )
    assert ok.status_code == 201, ok.text
    refused = client.post(
        "/api/v1/tracks",
        json=message("m2", "all", [track_state("USA", "T2", time=ahead)]),
        headers=auth(tokens["USA"]),
    )
    assert refused.status_code == 422
    assert "ahead of the server clock" in refused.text
    # The picture is taken at the scaled clock: the fresh state is in it.
    picture = client.get("/api/v1/picture", headers=auth(tokens["JPN"])).json()
    assert datetime.fromisoformat(picture["time"].replace("Z", "+00:00")) >= second
    assert [t["track_id"] for t in picture["national"]] == ["T1"]


def test_no_request_moves_the_clock(scaled_service: tuple[Any, dict[str, str]]) -> None:
    """A partner has no route to the clock: writes to one answer 404/405, and the clock
    keeps its rate and runs on."""
    client, tokens = scaled_service
    before, _ = _health_time(client)
    for method in ("post", "put", "patch"):
        for path in ("/api/v1/clock", "/health"):
            answer = getattr(client, method)(
                path, json={"clock_time": "2100-01-01T00:00:00Z"}, headers=auth(tokens["USA"])
            )
            assert answer.status_code in (404, 405), (method, path)
    after, rate = _health_time(client)
    assert rate == 20.0
    assert before <= after < START + timedelta(hours=1)
