"""Fixtures of the picture-service tests: a database per test, SQLite and PostgreSQL.

PostgreSQL cases run when ``TRACKLAYER_TEST_POSTGRES_URL`` is set (``.ci/postgres.sh``
prints it) and are skipped otherwise. Each PostgreSQL test gets its own schema, dropped
afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

POSTGRES_ENV = "TRACKLAYER_TEST_POSTGRES_URL"
EPOCH = datetime(2027, 3, 1, tzinfo=UTC)


class ManualClock:
    """A server clock set by hand: UTC ns since the Unix epoch, ``EPOCH + t_s``.

    Starts at ``EPOCH + 10 s``, so that the states the tests post (a few seconds after
    EPOCH) are current and none is ahead of the clock by more than the skew.
    """

    def __init__(self, t_s: float = 10.0) -> None:
        self.set(t_s)

    def set(self, t_s: float) -> None:
        """Set the clock to ``EPOCH + t_s``."""
        self.ns = (int(EPOCH.timestamp()) * 1_000_000_000) + round(t_s * 1e9)

    def __call__(self) -> int:
        return self.ns


def wall_time(offset_s: float = 0.0) -> str:
    """ISO 8601 UTC of the real clock's now plus ``offset_s``: the time of a state posted
    to a real server (``serve`` refuses states more than 5 s ahead of its clock)."""
    return (datetime.now(UTC) + timedelta(seconds=offset_s)).isoformat()


def manual_picture_clock(
    t_s: float = 10.0, max_clock_skew_s: float = 5.0, max_age_s: float = 60.0
) -> Any:
    """``(PictureClock on a ManualClock, the ManualClock)`` for an app or a picture."""
    from tracklayer.service.clock import PictureClock

    manual = ManualClock(t_s)
    return PictureClock(max_clock_skew_s, max_age_s, manual), manual


def postgres_url() -> str | None:
    """The test server's URL, or None when PostgreSQL tests are off."""
    return os.environ.get(POSTGRES_ENV) or None


def _pg_admin_url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1]


def new_postgres_schema(url: str) -> tuple[str, str]:
    """Create a fresh schema; return (URL whose search_path is that schema, schema name)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(_pg_admin_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}", schema


def drop_postgres_schema(url: str, schema: str) -> None:
    """Drop a schema made by :func:`new_postgres_schema`."""
    engine = sa.create_engine(_pg_admin_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    engine.dispose()


def fast_dir() -> str | None:
    """A RAM-backed folder for throw-away SQLite files, if the machine has one.

    Commits there skip the disk's fsync (about 7 ms each on the CI disk), which would
    otherwise dominate these tests; the crash test uses a real disk.
    """
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(postgres_url() is None, reason=f"{POSTGRES_ENV} not set"),
    ),
]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty database URL: SQLite in a RAM folder, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        with tempfile.TemporaryDirectory(dir=fast_dir()) as tmp:
            yield f"sqlite:///{Path(tmp) / 'picture.db'}"
        return
    base = postgres_url()
    assert base is not None
    url, schema = new_postgres_schema(base)
    try:
        yield url
    finally:
        drop_postgres_schema(base, schema)


def spd_cov(
    rng: np.random.Generator, pos_sigma_m: float = 200.0, vel_sigma: float = 5.0
) -> list[float]:
    """A random symmetric positive definite 6x6 covariance, row-major."""
    a = rng.normal(size=(6, 6)) * 0.2
    scale = np.array([pos_sigma_m] * 3 + [vel_sigma] * 3)
    cov = np.diag(scale**2) + (a @ a.T) * np.outer(scale, scale)
    return cov.reshape(-1).tolist()


def track_state(
    tracker: str,
    track_id: str,
    t_s: float = 0.0,
    pos: tuple[float, float, float] = (6.5e6, 1.0e5, 2.0e5),
    vel: tuple[float, float, float] = (100.0, 2000.0, 1500.0),
    cov: list[float] | None = None,
    status: str = "confirmed",
    time: str | None = None,
) -> dict[str, Any]:
    """One track state as JSON, at EPOCH + t_s (or at ``time``, ISO 8601)."""
    return {
        "track_id": track_id,
        "tracker": tracker,
        "time": time or (EPOCH + timedelta(seconds=t_s)).isoformat(),
        "x": pos[0],
        "y": pos[1],
        "z": pos[2],
        "vx": vel[0],
        "vy": vel[1],
        "vz": vel[2],
        "cov": cov if cov is not None else np.diag([1e4] * 3 + [25.0] * 3).reshape(-1).tolist(),
        "status": status,
    }


def detection_json(owner: str, det_id: str = "D1", **fields: Any) -> dict[str, Any]:
    """One IR detection as JSON, at EPOCH; ``fields`` replace or add fields."""
    return {
        "det_id": det_id,
        "sensor_id": "S1",
        "sensor_kind": "ir",
        "owner": owner,
        "time": EPOCH.isoformat(),
        "los_x": 0.6,
        "los_y": 0.8,
        "los_z": 0.0,
        "sensor_x": 4.2e7,
        "sensor_y": 0.0,
        "sensor_z": 0.0,
        "sigma_rad": 2e-5,
        **fields,
    }


def usa_message(mid: str, release: Any, x: float = 6.5e6, n: int = 2) -> Any:
    """A validated USA track message of ``n`` states (tracks T0, T1...) at x, x + 1... m."""
    from tracklayer.service.schemas import TrackMessage

    tracks = [track_state("USA", f"T{k}", pos=(x + k, 0.0, 0.0)) for k in range(n)]
    return TrackMessage.model_validate(
        {"message_id": mid, "releasable_to": release, "tracks": tracks}
    )


def mixed_batch() -> list[Any]:
    """USA messages that one commit must settle each as if alone (with ``old`` stored
    before, partners USA and JPN known): see :data:`MIXED_BATCH_OUTCOMES`."""
    return [
        usa_message("a", ["JPN"]),
        usa_message("a", ["JPN"]),  # the same message twice in one batch: a retry
        usa_message("a", "all", x=7.0e6),  # the same id, other content: 409
        usa_message("old", "all"),  # a retry of a message stored before: 200
        usa_message("b", ["KOR"]),  # a code that is no partner: stored as named, alike
        usa_message("c", "all", n=3),
    ]


def job_outcome(job: Any) -> Any:
    """``(accepted, duplicate)`` of a settled ingest job, or the type of its exception."""
    exc = job.future.exception(timeout=30)
    if exc is not None:
        return type(exc)
    result = job.future.result()
    return (result.accepted, result.duplicate)


def message(message_id: str, releasable_to: Any, tracks: list[dict[str, Any]]) -> dict[str, Any]:
    """A track ingest message."""
    return {"message_id": message_id, "releasable_to": releasable_to, "tracks": tracks}


def auth(token: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def make_tokens() -> Callable[..., dict[str, str]]:
    """Register partners on a database: ``make_tokens(url, "USA", "JPN") -> {code: token}``."""
    from tracklayer.service.auth import add_partner
    from tracklayer.service.db import make_engine, migrate

    def make(url: str, *codes: str) -> dict[str, str]:
        engine = make_engine(url)
        migrate(engine)
        tokens = {code: add_partner(engine, code) for code in codes}
        engine.dispose()
        return tokens

    return make


PARTNERS = ("USA", "JPN", "KOR")


@pytest.fixture
def service(db_url: str) -> Iterator[tuple[Any, dict[str, str]]]:
    """A running app (TestClient, lifespan on) with partners USA, JPN, KOR and their tokens."""
    from fastapi.testclient import TestClient

    from tracklayer.service.app import create_app
    from tracklayer.service.auth import add_partner

    clock, manual = manual_picture_clock()
    app = create_app(db_url, static_dir=None, picture_interval_s=0.05, clock=clock)
    app.state.manual_clock = manual
    tokens = {code: add_partner(app.state.engine, code) for code in PARTNERS}
    with TestClient(app) as client:
        yield client, tokens


@pytest.fixture(params=["threads", "processes"])
def service_either(
    request: pytest.FixtureRequest, db_url: str
) -> Iterator[tuple[Any, dict[str, str]]]:
    """:func:`service` with its group commit and stream fusion in threads (``create_app``'s
    default), then in the writer and fusion processes that ``serve`` uses."""
    from fastapi.testclient import TestClient

    from tracklayer.service.app import create_app
    from tracklayer.service.auth import add_partner

    processes = request.param == "processes"
    clock, manual = manual_picture_clock()
    app = create_app(
        db_url,
        static_dir=None,
        picture_interval_s=0.05,
        writer_process=processes,
        fusion_process=processes,
        clock=clock,
    )
    app.state.manual_clock = manual
    tokens = {code: add_partner(app.state.engine, code) for code in PARTNERS}
    with TestClient(app) as client:
        yield client, tokens


def _mixed_batch_outcomes() -> list[Any]:
    from tracklayer.service.ingest import MessageConflict

    return [(2, False), (2, True), MessageConflict, (2, True), (2, False), (3, False)]


#: What :func:`mixed_batch` settles to, message by message.
MIXED_BATCH_OUTCOMES = _mixed_batch_outcomes()
