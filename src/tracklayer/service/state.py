"""The service's state: what one application holds for its lifetime, built and started once.

:func:`build_state` opens (and migrates) the database and wires the service's moving
parts together: the group commit (a thread, or the writer child process), the live
picture it feeds, the stream hub it publishes to, the fusion child process, and the
commit bus joining the workers of ``serve --workers N``. Routes reach it through the
dependencies of :mod:`tracklayer.service.deps`, never through a closure.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import anyio
from sqlalchemy.engine import Engine

from tracklayer.fusion.releasability import Release
from tracklayer.service.audit import RefusalAudit
from tracklayer.service.bus import BusClient
from tracklayer.service.clock import PictureClock
from tracklayer.service.db import WalCheckpointer, make_engine, migrate, normalize_db_url
from tracklayer.service.fused_store import FusedRecorder, Store, fused_rows_at, insert_fused
from tracklayer.service.fusion_process import FusionProcess
from tracklayer.service.groupcommit import GroupCommitter
from tracklayer.service.ingest import IngestJob, commit_batch
from tracklayer.service.live_picture import LivePicture, StoredTracks
from tracklayer.service.metrics import ServiceMetrics
from tracklayer.service.picture import FusionSettings
from tracklayer.service.revocation import RevocationWatch
from tracklayer.service.stream import StreamHub
from tracklayer.service.stream_texts import StreamTexts
from tracklayer.service.writer import WriterProcess

__all__ = ["CommitFeed", "ServiceOptions", "ServiceState", "build_state"]

#: What the commit bus carries: each commit's stream updates and its stored track rows.
BusPayload = tuple[list[tuple[Release, str]], list[StoredTracks]]


@dataclass(frozen=True)
class ServiceOptions:
    """How the service runs (the keyword arguments of
    :func:`tracklayer.service.app.create_app`).

    Attributes
    ----------
    fusion : FusionSettings
        Track-to-track fusion parameters.
    picture_interval_s : float
        Shortest interval between two fused pictures pushed to one stream subscriber, s
        (0 pushes none).
    stream_queue_size : int
        Updates queued per stream subscriber before it is dropped as too slow.
    commit_max_batch : int
        Most ingest messages committed in one transaction (group commit).
    commit_linger_s : float
        Longest wait for more messages to join a commit, s.
    bus_path : Path or str, optional
        The commit bus socket of a service run as several worker processes (see
        :mod:`tracklayer.service.bus`): each commit is sent to the other workers, and
        theirs reach this one's stream and live picture.
    writer_process : bool
        Run the group commit in a child process (:mod:`tracklayer.service.writer`, as
        ``serve`` does) instead of a thread: the database work of ingest then never waits
        for, or holds up, the event loop's interpreter lock.
    fusion_process : bool
        Fuse the live stream's pictures in a worker process
        (:mod:`tracklayer.service.fusion_process`, as ``serve`` does) instead of a thread.
    clock : PictureClock
        The server clock, the clock skew accepted at ingest and the age after which a
        track leaves the picture (default: the system clock, 5 s, 60 s; see
        :mod:`tracklayer.service.clock`).
    fused_record_interval_s : float
        Store every active partner's system tracks this often, s, for their history and
        export (:mod:`tracklayer.service.fused_store`; ``serve`` records each second);
        0 stores none.
    """

    fusion: FusionSettings
    picture_interval_s: float = 1.0
    stream_queue_size: int = 10_000
    commit_max_batch: int = 256
    commit_linger_s: float = 0.0
    bus_path: Path | str | None = None
    writer_process: bool = False
    fusion_process: bool = False
    clock: PictureClock = field(default_factory=PictureClock)
    fused_record_interval_s: float = 0.0


@dataclass(eq=False)
class CommitFeed:
    """Carries commits to the live picture and the stream: this process's, and (with
    several workers) the others' through the commit bus."""

    live: LivePicture
    hub: StreamHub
    metrics: ServiceMetrics
    bus: BusClient | None = None

    def local(self, stored: list[tuple[IngestJob, int]]) -> None:
        """After this process's commit: the stored jobs and their ``messages.pk``."""
        if stored:
            self.metrics.batch.observe(len(stored))
        tracks = [(job.release, pk, job.rows) for job, pk in stored if job.kind == "tracks"]
        self.live.add(tracks)
        if self.bus is not None and stored:
            self.bus.send(([(job.release, job.update) for job, _ in stored], tracks))

    def remote(self, payload: BusPayload) -> None:
        """Another worker's commit, read from the bus."""
        updates, tracks = payload
        self.live.add(tracks)
        self.hub.publish_texts(updates)


@dataclass(eq=False)
class ServiceState:
    """Everything a running service holds: database, commit path, picture, stream."""

    engine: Engine
    database: str
    instance: str
    settings: FusionSettings
    clock: PictureClock
    live: LivePicture
    texts: StreamTexts
    hub: StreamHub
    committer: GroupCommitter[IngestJob] | WriterProcess
    checkpointer: WalCheckpointer
    fusion_worker: FusionProcess | None
    bus: BusClient | None
    revocations: RevocationWatch
    refusals: RefusalAudit
    metrics: ServiceMetrics
    recorder: FusedRecorder

    async def start(self) -> None:
        """Start the background parts (on the application's event loop)."""
        self.checkpointer.start()
        await self.hub.start()
        await self.revocations.start()
        if isinstance(self.committer, WriterProcess):
            await anyio.to_thread.run_sync(self.committer.start, asyncio.get_running_loop())
        if self.fusion_worker is not None:
            await anyio.to_thread.run_sync(self.fusion_worker.start)
        if self.bus is not None:
            await anyio.to_thread.run_sync(self.bus.connect)
        await self.recorder.start()

    async def stop(self) -> None:
        """Stop them in reverse dependency order and release the database."""
        await self.recorder.stop()
        await anyio.to_thread.run_sync(self.committer.stop)
        if self.bus is not None:
            await anyio.to_thread.run_sync(self.bus.close)
        await self.revocations.stop()
        await self.hub.stop()
        if self.fusion_worker is not None:
            await anyio.to_thread.run_sync(self.fusion_worker.stop)
        await anyio.to_thread.run_sync(self.refusals.flush)
        await anyio.to_thread.run_sync(self.checkpointer.stop)
        self.engine.dispose()


def _committer(
    db_url: str, engine: Engine, options: ServiceOptions, hub: StreamHub, feed: CommitFeed
) -> GroupCommitter[IngestJob] | WriterProcess:
    if options.writer_process:
        return WriterProcess(
            db_url,
            publish=hub.publish_texts,
            on_commit=feed.local,
            max_batch=options.commit_max_batch,
            linger_s=options.commit_linger_s,
        )
    return GroupCommitter(
        lambda jobs: commit_batch(engine, jobs, hub.publish_texts, feed.local),
        max_batch=options.commit_max_batch,
        linger_s=options.commit_linger_s,
    )


def _fused_store(
    engine: Engine,
    options: ServiceOptions,
    committer: GroupCommitter[IngestJob] | WriterProcess,
    fusion_worker: FusionProcess | None,
) -> Store:
    """How the recorder stores system tracks: fused in the fusion child when there is one,
    inserted by the ingest writer child when there is one (in the recorder's thread
    otherwise)."""
    rows_at = (
        fusion_worker.fused_rows
        if fusion_worker is not None
        else partial(fused_rows_at, settings=options.fusion)
    )
    insert = (
        committer.insert_fused
        if isinstance(committer, WriterProcess)
        else partial(insert_fused, engine)
    )
    return lambda inputs, at_ns: insert(rows_at(inputs, at_ns))


def build_state(db_url: str, options: ServiceOptions) -> ServiceState:
    """Open and migrate the database at ``db_url`` and wire the service's parts (nothing
    runs until :meth:`ServiceState.start`)."""
    engine = make_engine(db_url, background_checkpoints=True)
    migrate(engine)
    fusion_worker = FusionProcess(options.fusion) if options.fusion_process else None
    fuser = None if fusion_worker is None else fusion_worker.fuse
    # The stream's picture is kept incrementally from the service's commits (and a seed
    # per partner), not re-queried each tick; see tracklayer.service.live_picture.
    live = LivePicture(engine, options.fusion, options.clock, fuser=fuser)
    instance = uuid.uuid4().hex[:12]
    metrics = ServiceMetrics(instance)
    texts = StreamTexts(live, metrics.fusion_seconds.observe)
    hub = StreamHub(texts.fused, options.picture_interval_s, options.stream_queue_size)
    metrics.watch_stream(lambda: hub.n_subscribers, lambda: hub.n_queued)
    feed = CommitFeed(live, hub, metrics)
    if options.bus_path is not None:
        feed.bus = BusClient(Path(options.bus_path), feed.remote)
    is_pg = normalize_db_url(db_url).startswith("postgresql")
    committer = _committer(db_url, engine, options, hub, feed)
    return ServiceState(
        engine=engine,
        database="postgresql" if is_pg else "sqlite",
        instance=instance,
        settings=options.fusion,
        clock=options.clock,
        live=live,
        texts=texts,
        hub=hub,
        committer=committer,
        checkpointer=WalCheckpointer(engine),
        fusion_worker=fusion_worker,
        bus=feed.bus,
        revocations=RevocationWatch(engine, hub),
        refusals=RefusalAudit(engine),
        metrics=metrics,
        recorder=FusedRecorder(
            engine,
            live.national_with_releases,
            _fused_store(engine, options, committer, fusion_worker),
            options.clock,
            options.fused_record_interval_s,
        ),
    )
