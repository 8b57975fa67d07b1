"""The live (incremental) picture of the stream against the SQL picture it replaces.

Reference: :func:`tracklayer.service.picture.build_picture` at the same server clock
reading (a hand-set clock, 60 s age, 5 s skew) on the same database, which ranks every
visible state in SQL; the two must agree exactly (same national rows field by field,
same fused tracks bit for bit), and every record must be released to the reader by
:meth:`Release.visible_to`.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.service.conftest import (
    auth,
    detection_json,
    manual_picture_clock,
    message,
    spd_cov,
    track_state,
)
from tracklayer.fusion.releasability import Release
from tracklayer.service import live_picture
from tracklayer.service.auth import add_partner
from tracklayer.service.db import make_engine, messages, migrate
from tracklayer.service.ingest import (
    IngestJob,
    IngestResult,
    commit_batch,
    ingest_tracks,
    to_ns,
)
from tracklayer.service.live_picture import LivePicture
from tracklayer.service.picture import FusionSettings, PictureView, build_picture
from tracklayer.service.schemas import TrackMessage

CODES = ("USA", "JPN", "KOR", "AUS")
SETTINGS = FusionSettings()
#: Three threats (ECEF m, m/s); tracks of one threat from several owners get fused.
TARGETS = np.array(
    [
        [6.50e6, 1.0e5, 2.0e5, 100.0, 2000.0, 1500.0],
        [6.45e6, -8.0e5, 1.1e6, -300.0, 2500.0, 900.0],
        [6.60e6, 4.0e5, -6.0e5, 50.0, -1800.0, 2200.0],
    ]
)
STATUSES = ["confirmed", "tentative", "coasting", "deleted"]


class _Batcher:
    """Collects checked jobs from ``ingest_tracks`` to commit them later, several at once."""

    def __init__(self) -> None:
        self.jobs: list[IngestJob] = []

    def submit(self, job: IngestJob) -> Future[IngestResult]:
        self.jobs.append(job)
        job.future.set_result(IngestResult(job.message_id, len(job.rows), False))
        return job.future

    def take(self) -> list[IngestJob]:
        """Fresh copies (unresolved futures) of the collected jobs."""
        fields = [k for k in IngestJob.__dataclass_fields__ if k != "future"]
        jobs = [IngestJob(**{k: getattr(j, k) for k in fields}) for j in self.jobs]
        self.jobs = []
        return jobs


class _Feed:
    """The app's ``on_commit``: track jobs only, into a live picture; remembers every call."""

    def __init__(self, live: LivePicture) -> None:
        self.live = live
        self.stored: list[tuple[str, str, int]] = []

    def __call__(self, stored: list[tuple[IngestJob, int]]) -> None:
        self.stored += [(job.sender, job.message_id, pk) for job, pk in stored]
        self.live.add([(job.release, pk, job.rows) for job, pk in stored if job.kind == "tracks"])


def _engine(db_url: str) -> Engine:
    engine = make_engine(db_url)
    migrate(engine)
    for code in CODES:
        add_partner(engine, code)
    return engine


def _random_message(rng: np.random.Generator, mid: str, base_s: float) -> TrackMessage:
    """A message of 1-4 states: mixed releases, out-of-order and repeated times, deletions.

    Times sit on a 10 s grid behind ``base_s`` (so equal times are common), sometimes
    90 s behind (older than the window); a track may appear twice in one message.
    """
    sender = str(rng.choice(CODES))
    others = [c for c in CODES if c != sender]
    kind = int(rng.integers(3))
    release: Any = "all"
    if kind == 1:
        release = []
    elif kind == 2:
        release = [str(c) for c in rng.choice(others, size=int(rng.integers(1, 4)), replace=False)]
    tracks = []
    for _ in range(int(rng.integers(1, 5))):
        target = int(rng.integers(3))
        t_s = base_s - 10.0 * float(rng.integers(0, 4)) - (90.0 if rng.random() < 0.1 else 0.0)
        state = TARGETS[target].copy()
        state[:3] += state[3:] * t_s + rng.normal(0.0, 50.0, 3)
        tracks.append(
            track_state(
                sender,
                f"T{target}",
                t_s=t_s,
                pos=(state[0], state[1], state[2]),
                vel=(state[3], state[4], state[5]),
                cov=spd_cov(rng),
                status=str(rng.choice(STATUSES, p=[0.4, 0.2, 0.2, 0.2])),
            )
        )
    return TrackMessage.model_validate(message(mid, release, tracks))


def _assert_same(view: PictureView, ref: PictureView) -> None:
    """Equal pictures: every national field exactly, fused tracks bit for bit."""
    assert view.partner == ref.partner
    assert view.time_ns == ref.time_ns
    a, b = view.national, ref.national
    assert a.tracker.tolist() == b.tracker.tolist()
    assert a.track_id.tolist() == b.track_id.tolist()
    assert a.status.tolist() == b.status.tolist()
    np.testing.assert_array_equal(a.time_ns, b.time_ns)
    np.testing.assert_array_equal(a.state, b.state)
    np.testing.assert_array_equal(a.cov, b.cov)
    f, g = view.fused, ref.fused
    assert (f.time_ns, f.track_id, f.status, f.sources) == (
        g.time_ns,
        g.track_id,
        g.status,
        g.sources,
    )
    np.testing.assert_array_equal(f.state, g.state)
    np.testing.assert_array_equal(f.cov, g.cov)


def _assert_released(view: PictureView, posted: list[TrackMessage], senders: list[str]) -> None:
    """Every national state and every fused source is released to the reader."""
    allowed = {
        (t.tracker, t.track_id, to_ns(t.time))
        for m, sender in zip(posted, senders, strict=True)
        if Release.of(sender, m.releasable_to).visible_to(view.partner)
        for t in m.tracks
    }
    n = view.national
    for row in zip(n.tracker.tolist(), n.track_id.tolist(), n.time_ns.tolist(), strict=True):
        assert tuple(row) in allowed, (view.partner, row)
    tracks = {(a, b) for a, b, _ in allowed}
    for sources in view.fused.sources:
        assert set(sources) <= tracks, (view.partner, sources)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_live_picture_equals_sql_picture(db_url: str, seed: int) -> None:
    """Random batches: each asking partner's live picture equals build_picture's after each.

    USA and JPN ask from the start (empty seed, then live only), KOR first asks midway
    (seed plus live), AUS only at the end (seed only). Tolerance: exact equality.
    """
    rng = np.random.default_rng(seed)
    engine = _engine(db_url)
    clock, manual = manual_picture_clock(0.0)
    live = LivePicture(engine, SETTINGS, clock)
    feed = _Feed(live)
    batcher: Any = _Batcher()
    posted: list[TrackMessage] = []
    senders: list[str] = []
    asking = ["USA", "JPN"]
    for p in asking:
        _assert_same(live.picture(p), build_picture(engine, p, clock, None, None, SETTINGS))
    n_batches = 24
    for b in range(n_batches):
        manual.set(8.0 * b)
        for k in range(int(rng.integers(1, 5))):
            msg = _random_message(rng, f"m{b}-{k}", base_s=8.0 * b)
            sender = msg.tracks[0].tracker
            ingest_tracks(engine, sender, msg, batcher)
            posted.append(msg)
            senders.append(sender)
        jobs = batcher.take()
        commit_batch(engine, jobs, None, feed)
        assert all(not j.future.result().duplicate for j in jobs)
        if b == n_batches // 2:
            asking.append("KOR")
        if b == n_batches - 1:
            asking.append("AUS")
        for p in asking:
            view = live.picture(p)
            _assert_same(view, build_picture(engine, p, clock, None, None, SETTINGS))
            _assert_released(view, posted, senders)
    # on_commit got every stored message once, with its messages.pk.
    with engine.connect() as conn:
        stored = conn.execute(sa.select(messages.c.owner, messages.c.message_id, messages.c.pk))
        assert sorted(feed.stored) == sorted(tuple(r) for r in stored)
    engine.dispose()


def test_seed_overlapping_live_commits_is_harmless(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit between a partner's registration and its seed, and replayed commits.

    The commit reaches the partner both live and through the seed; replaying every stored
    message again changes nothing. Reference: build_picture; tolerance: exact.
    """
    rng = np.random.default_rng(5)
    engine = _engine(db_url)
    clock, _ = manual_picture_clock(40.0)
    live = LivePicture(engine, SETTINGS, clock)
    replay: list[tuple[Release, int, list[tuple[Any, ...]]]] = []

    def on_commit(stored: list[tuple[IngestJob, int]]) -> None:
        replay.extend((job.release, pk, job.rows) for job, pk in stored)
        live.add([(job.release, pk, job.rows) for job, pk in stored])

    batcher: Any = _Batcher()
    for i in range(6):
        msg = _random_message(rng, f"a{i}", base_s=5.0 * i)
        ingest_tracks(engine, msg.tracks[0].tracker, msg, batcher)
    commit_batch(engine, batcher.take(), None, on_commit)

    real_seed = LivePicture._seed

    def seed_after_a_commit(self: LivePicture, partner: str, state: Any) -> None:
        for i in range(3):
            msg = _random_message(rng, f"race{i}", base_s=40.0)
            ingest_tracks(engine, msg.tracks[0].tracker, msg, batcher)
        commit_batch(engine, batcher.take(), None, on_commit)
        real_seed(self, partner, state)

    monkeypatch.setattr(LivePicture, "_seed", seed_after_a_commit)
    for p in CODES:
        _assert_same(live.picture(p), build_picture(engine, p, clock, None, None, SETTINGS))
    live.add(replay)
    for p in CODES:
        _assert_same(live.picture(p), build_picture(engine, p, clock, None, None, SETTINGS))
    engine.dispose()


def test_fusion_runs_once_per_distinct_input_set(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Partners seeing the same records share one fusion; a private record splits one off.

    USA, JPN and KOR follow from the start (live); AUS first asks at the third tick
    (seeded from the database) and must still share. Reference: a count of the calls to
    the fusion; the shared result equals each partner's own build_picture (exact).
    """
    calls: list[int] = []
    real_fuse = live_picture.fuse

    def counting_fuse(national: Any, at_ns: int, settings: FusionSettings) -> Any:
        calls.append(len(national))
        return real_fuse(national, at_ns, settings)

    monkeypatch.setattr(live_picture, "fuse", counting_fuse)
    rng = np.random.default_rng(3)
    engine = _engine(db_url)
    clock, _ = manual_picture_clock(3.0)
    live = LivePicture(engine, SETTINGS, clock)
    feed = _Feed(live)
    batcher: Any = _Batcher()
    partners = ["USA", "JPN", "KOR"]
    for tick in range(3):
        for sender in partners:
            tracks = [
                track_state(sender, f"T{k}", t_s=float(tick), pos=tuple(TARGETS[k, :3]))
                for k in range(3)
            ]
            msg = TrackMessage.model_validate(message(f"m{tick}", "all", tracks))
            ingest_tracks(engine, sender, msg, batcher)
        commit_batch(engine, batcher.take(), None, feed)
        if tick == 2:
            partners.append("AUS")
        calls.clear()
        views = [live.picture(p) for p in partners]
        assert len(calls) == 1, calls
        assert all(v.fused is views[0].fused for v in views)
        for v in views:
            _assert_same(v, build_picture(engine, v.partner, clock, None, None, SETTINGS))
    # A new state for all, and a private one of USA's: USA alone, the others share.
    private = track_state("USA", "P1", t_s=3.0, cov=spd_cov(rng))
    ingest_tracks(engine, "USA", TrackMessage.model_validate(message("p", [], [private])), batcher)
    shared = track_state("JPN", "T0", t_s=3.0, pos=tuple(TARGETS[0, :3]))
    ingest_tracks(
        engine, "JPN", TrackMessage.model_validate(message("s", "all", [shared])), batcher
    )
    commit_batch(engine, batcher.take(), None, feed)
    calls.clear()
    views = [live.picture(p) for p in partners]
    assert len(calls) == 2, calls
    assert ("USA", "P1") in {s for v in views[:1] for src in v.fused.sources for s in src}
    for v in views:
        _assert_same(v, build_picture(engine, v.partner, clock, None, None, SETTINGS))
    assert all(v.fused is views[1].fused for v in views[1:])
    assert all("P1" not in v.national.track_id.tolist() for v in views[1:])
    engine.dispose()


def test_pruning_bounds_memory(db_url: str) -> None:
    """3,000 s of one new track per second: held tracks stay within the window plus slack.

    Reference: with one state per second, the 60 s window holds 61 tracks; a partner that
    stops asking is pruned by ``add`` after ``_PRUNE_SLACK`` more entries.
    """
    engine = _engine(db_url)
    clock, manual = manual_picture_clock(0.0)
    live = LivePicture(engine, SETTINGS, clock)
    asking, idle = "USA", "JPN"
    live.picture(asking)
    live.picture(idle)
    cov = np.diag([1e4] * 3 + [25.0] * 3).astype("<f8").tobytes()
    release = Release.of("KOR", "all")
    t0 = to_ns(
        TrackMessage.model_validate(message("x", "all", [track_state("KOR", "T")])).tracks[0].time
    )
    most = 0
    for s in range(3000):
        manual.set(float(s))
        row = (
            "KOR",
            f"T{s}",
            "KOR",
            t0 + s * 10**9,
            6.5e6 + 1e4 * s,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            cov,
            "confirmed",
        )
        live.add([(release, s + 1, [row])])
        if s % 100 == 99:
            assert len(live.picture(asking).national) == 61
            assert live.n_entries(asking) == 61
        most = max(most, live.n_entries(idle))
    assert most <= 61 + live_picture._PRUNE_SLACK + 1
    assert live.n_entries(idle) <= 61 + live_picture._PRUNE_SLACK + 1
    view = live.picture(idle)
    assert view.time_ns == t0 + 2999 * 10**9
    assert view.national.track_id.tolist() == sorted(f"T{s}" for s in range(2939, 3000))
    assert live.n_entries(idle) == 61
    engine.dispose()


def test_nothing_unreleased_enters_a_partner(db_url: str) -> None:
    """Messages released to nobody else, or to named partners, reach only those partners.

    Reference: Release.visible_to, checked against the live maps' national tracks.
    """
    engine = _engine(db_url)
    live = LivePicture(engine, SETTINGS, manual_picture_clock()[0])
    for p in CODES:
        live.picture(p)
    feed = _Feed(live)
    batcher: Any = _Batcher()
    cases = {"own": [], "jpn": ["JPN"], "kor_aus": ["KOR", "AUS"]}
    for i, (mid, release) in enumerate(cases.items()):
        tracks = [track_state("USA", mid, t_s=float(i))]
        ingest_tracks(
            engine, "USA", TrackMessage.model_validate(message(mid, release, tracks)), batcher
        )
    commit_batch(engine, batcher.take(), None, feed)
    seen = {p: set(live.picture(p).national.track_id.tolist()) for p in CODES}
    assert seen == {
        "USA": {"own", "jpn", "kor_aus"},
        "JPN": {"jpn"},
        "KOR": {"kor_aus"},
        "AUS": {"kor_aus"},
    }
    engine.dispose()


def test_on_commit_failure_is_logged_not_raised(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing on_commit neither loses the commit nor the jobs' results (201)."""
    engine = _engine(db_url)
    batcher: Any = _Batcher()
    msg = TrackMessage.model_validate(message("m", "all", [track_state("USA", "T1")]))
    ingest_tracks(engine, "USA", msg, batcher)
    jobs = batcher.take()

    def broken(stored: list[tuple[IngestJob, int]]) -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="tracklayer.service.ingest"):
        commit_batch(engine, jobs, None, broken)
    assert jobs[0].future.result() == IngestResult("m", 1, False)
    assert "on_commit callback failed" in caplog.text
    clock = manual_picture_clock()[0]
    assert len(build_picture(engine, "JPN", clock, None, None, SETTINGS).national) == 1
    engine.dispose()


def test_app_stream_picture_is_the_live_picture(service_either: tuple[Any, dict[str, str]]) -> None:
    """The stream's picture (live) equals the REST picture (SQL); detections are ignored.

    JPN subscribes first (seeded while empty), then messages and a detection message are
    posted; a second subscription's first picture, computed from the live map, must equal
    GET /api/v1/picture's answer exactly.
    """
    client, tok = service_either
    with client.websocket_connect("/api/v1/stream", headers=auth(tok["JPN"])) as ws:
        assert ws.receive_json() == {"type": "hello", "partner": "JPN"}
        assert ws.receive_json()["type"] == "picture"
        posts = [
            ("USA", "all", [track_state("USA", "A", t_s=1.0)]),
            ("KOR", ["JPN"], [track_state("KOR", "B", t_s=2.0, pos=(6.5e6, 1.0e5, 2.0e5))]),
            ("USA", [], [track_state("USA", "HIDDEN", t_s=3.0, pos=(7.0e6, 0.0, 0.0))]),
            ("USA", "all", [track_state("USA", "A", t_s=0.5, status="deleted")]),
            ("USA", "all", [track_state("USA", "C", t_s=1.0, pos=(6.45e6, -8.0e5, 1.1e6))]),
            ("USA", "all", [track_state("USA", "C", t_s=2.0, status="deleted")]),
        ]
        for i, (sender, release, tracks) in enumerate(posts):
            r = client.post(
                "/api/v1/tracks", json=message(f"m{i}", release, tracks), headers=auth(tok[sender])
            )
            assert r.status_code == 201
        detection = detection_json("USA", time="2027-03-01T00:00:05Z")
        r = client.post(
            "/api/v1/detections",
            json={"message_id": "d", "releasable_to": "all", "detections": [detection]},
            headers=auth(tok["USA"]),
        )
        assert r.status_code == 201
        with client.websocket_connect("/api/v1/stream", headers=auth(tok["JPN"])) as ws2:
            assert ws2.receive_json() == {"type": "hello", "partner": "JPN"}
            streamed = ws2.receive_json()
    rest = client.get("/api/v1/picture", headers=auth(tok["JPN"])).json()
    assert streamed == {"type": "picture", **rest}
    assert [(t["tracker"], t["track_id"]) for t in streamed["national"]] == [
        ("KOR", "B"),
        ("USA", "A"),
    ]
    assert client.app.state.live_picture.partners == ["JPN"]
