"""Storage of the picture service: tables, engines, and schema migration at startup.

SQLite (the default, a file in a data folder) runs in WAL mode with ``synchronous=FULL``,
so a committed transaction survives a power cut, and the service acknowledges a message
only after its commit returns. PostgreSQL is reached through psycopg 3 with its default
``synchronous_commit=on``. Times are stored as integer nanoseconds since the Unix epoch
(UTC): exact, ordered, and the same in both databases. A covariance is stored as its 36
little-endian float64 values, row-major.

The schema is owned by the Alembic migrations in ``migrations/``; :data:`metadata` mirrors
them, and a test checks that the two agree.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

__all__ = [
    "WalCheckpointer",
    "audit_log",
    "default_db_url",
    "detections",
    "downgrade",
    "fused_states",
    "make_engine",
    "message_releases",
    "messages",
    "metadata",
    "migrate",
    "normalize_db_url",
    "partners",
    "schema_revision",
    "track_releases",
    "track_states",
    "write_transaction",
]

log = logging.getLogger("tracklayer.service.db")

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("code", sa.String(3), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_ns", sa.BigInteger(), nullable=False),
    sa.Column("token_issued_ns", sa.BigInteger(), nullable=False),
    sa.Column("revoked_ns", sa.BigInteger(), nullable=True),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("pk", _BIGINT, primary_key=True, autoincrement=True),
    sa.Column("owner", sa.String(3), sa.ForeignKey("partners.code"), nullable=False),
    sa.Column("message_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("release_all", sa.Boolean(), nullable=False),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("n_records", sa.Integer(), nullable=False),
    sa.Column("received_ns", sa.BigInteger(), nullable=False),
    sa.UniqueConstraint("owner", "message_id"),
)

message_releases = sa.Table(
    "message_releases",
    metadata,
    sa.Column("message_pk", _BIGINT, sa.ForeignKey("messages.pk"), primary_key=True),
    sa.Column("partner", sa.String(3), primary_key=True),
    sa.Index(None, "partner", "message_pk"),
)

track_states = sa.Table(
    "track_states",
    metadata,
    sa.Column("pk", _BIGINT, primary_key=True, autoincrement=True),
    sa.Column("message_pk", _BIGINT, sa.ForeignKey("messages.pk"), nullable=False),
    sa.Column("owner", sa.String(3), nullable=False),
    sa.Column("track_id", sa.String(64), nullable=False),
    sa.Column("tracker", sa.String(8), nullable=False),
    sa.Column("time_ns", sa.BigInteger(), nullable=False),
    *(sa.Column(c, sa.Double(), nullable=False) for c in ("x", "y", "z", "vx", "vy", "vz")),
    sa.Column("cov", sa.LargeBinary(), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Index(None, "tracker", "track_id", "time_ns"),
    sa.Index(None, "time_ns"),
    sa.Index(None, "message_pk"),
)

#: Who may see some state of a track: a named partner, or ``*`` for everyone (the owner,
#: the tracker itself, always may). Read first by a lookup of one track, so that a hidden
#: track and an unknown one cost the same (see ``picture.track_history``).
track_releases = sa.Table(
    "track_releases",
    metadata,
    sa.Column("tracker", sa.String(8), primary_key=True),
    sa.Column("track_id", sa.String(64), primary_key=True),
    sa.Column("partner", sa.String(3), primary_key=True),
)

#: Each partner's (``audience``) system tracks, recorded from its picture with who may
#: see all their inputs (``release_all``, or the codes in ``releasable_to``, comma
#: separated); see :mod:`tracklayer.service.fused_store`.
fused_states = sa.Table(
    "fused_states",
    metadata,
    sa.Column("pk", _BIGINT, primary_key=True, autoincrement=True),
    sa.Column("audience", sa.String(3), nullable=False),
    sa.Column("track_id", sa.String(80), nullable=False),
    sa.Column("time_ns", sa.BigInteger(), nullable=False),
    *(sa.Column(c, sa.Double(), nullable=False) for c in ("x", "y", "z", "vx", "vy", "vz")),
    sa.Column("cov", sa.LargeBinary(), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("sources", sa.Text(), nullable=False),
    sa.Column("release_all", sa.Boolean(), nullable=False),
    sa.Column("releasable_to", sa.Text(), nullable=False),
    sa.UniqueConstraint("audience", "track_id", "time_ns"),
    sa.Index(None, "audience", "time_ns"),
)

detections = sa.Table(
    "detections",
    metadata,
    sa.Column("pk", _BIGINT, primary_key=True, autoincrement=True),
    sa.Column("message_pk", _BIGINT, sa.ForeignKey("messages.pk"), nullable=False),
    sa.Column("owner", sa.String(3), nullable=False),
    sa.Column("det_id", sa.String(64), nullable=False),
    sa.Column("sensor_id", sa.String(64), nullable=False),
    sa.Column("sensor_kind", sa.String(16), nullable=False),
    sa.Column("time_ns", sa.BigInteger(), nullable=False),
    *(
        sa.Column(c, sa.Double(), nullable=False)
        for c in ("los_x", "los_y", "los_z", "sensor_x", "sensor_y", "sensor_z", "sigma_rad")
    ),
    *(sa.Column(c, sa.Double(), nullable=True) for c in ("snr", "range_m", "sigma_range_m")),
    sa.Index(None, "time_ns"),
    sa.Index(None, "message_pk"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("pk", _BIGINT, primary_key=True, autoincrement=True),
    sa.Column("time_ns", sa.BigInteger(), nullable=False),
    sa.Column("partner", sa.String(3), nullable=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(300), nullable=False),
    sa.Column("n_records", sa.Integer(), nullable=False),
    sa.Column("status", sa.Integer(), nullable=False),
    sa.Index(None, "partner", "time_ns"),
)

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_db_url() -> str:
    """The database used when none is given.

    ``$TRACKLAYER_DB`` if set, else SQLite in ``$XDG_DATA_HOME/tracklayer/picture.db``
    (``~/.local/share/tracklayer/picture.db``).
    """
    env = os.environ.get("TRACKLAYER_DB")
    if env:
        return env
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'tracklayer' / 'picture.db'}"


def normalize_db_url(url: str) -> str:
    """Accept ``postgresql://...``, ``sqlite:///path`` or a plain file path.

    A plain path becomes SQLite; ``postgresql://`` and ``postgres://`` select psycopg 3.
    """
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's begin hook below (pysqlite's own is lazy).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # A writer takes the write lock up front: a deferred transaction that reads and then
    # writes can fail with SQLITE_BUSY instead of waiting when another process writes.
    write = conn.get_execution_options().get("tracklayer_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _sqlite_manual_checkpoints(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _create_private(path: Path) -> None:
    """Create a SQLite database file readable and writable by its owner alone (0600), and
    its folder (0700), unless they exist; SQLite gives the ``-wal`` and ``-shm`` files it
    creates beside it the database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def make_engine(url: str, background_checkpoints: bool = False) -> Engine:
    """An engine for ``url`` (see :func:`normalize_db_url`), set up for durable commits.

    With ``background_checkpoints`` (SQLite), commits never copy the write-ahead log back
    into the database file themselves; a :class:`WalCheckpointer` must then do it.
    """
    url = normalize_db_url(url)
    if url.startswith("sqlite"):
        target = sa.make_url(url).database
        if target and target != ":memory:":
            _create_private(Path(target))
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=32,
        )
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        if background_checkpoints:
            sa.event.listen(engine, "connect", _sqlite_manual_checkpoints)
        sa.event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return sa.create_engine(url, pool_size=8, max_overflow=32, pool_pre_ping=True)


class WalCheckpointer:
    """Copies an SQLite database's write-ahead log into the database file, in a thread.

    By default SQLite does this inside the commit that takes the log past 1,000 pages
    (4 MB): at thousands of track states a second, one commit in a few then also writes
    and syncs megabytes of the database file, and every message waiting on it is late
    (tens to hundreds of ms). Here commits only append to the log (``wal_autocheckpoint=0``,
    :func:`make_engine`), and this thread runs a passive checkpoint every ``interval_s``:
    it copies what no reader still needs without blocking readers or the writer. Nothing
    changes for durability: a commit is durable once in the log, checkpointed or not.
    """

    def __init__(self, engine: Engine, interval_s: float = 0.5) -> None:
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self._path = database if database and database != ":memory:" else None
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start checkpointing (nothing to do for PostgreSQL or an in-memory database)."""
        if self._path is None or self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, name="tracklayer-wal-checkpoint", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop after a last checkpoint."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        import sqlite3

        assert self._path is not None
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            while True:
                stopping = self._stop.wait(self._interval_s)
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    log.exception("WAL checkpoint failed")
                if stopping:
                    return
        finally:
            conn.close()


_WRITE_LOCK = threading.Lock()
_LOCK_FILES: dict[str, int] = {}


@contextmanager
def _writer_turn(engine: Engine) -> Iterator[None]:
    """Take this SQLite database's writer turn among the processes that share it.

    SQLite lets one writer in at a time and makes the others poll (sleeping 1, 2, 5, 10...
    ms between tries); several worker processes of one service queue on an advisory lock
    file beside the database instead, and each wakes as soon as the previous one is done.
    Nothing for PostgreSQL, an in-memory database, or a system without ``fcntl``.
    """
    target = engine.url.database if engine.dialect.name == "sqlite" else None
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        target = None
    if not target or target == ":memory:":
        yield
        return
    path = f"{target}-writer.lock"
    fd = _LOCK_FILES.get(path)
    if fd is None:
        fd = _LOCK_FILES[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction; committed (durably) when the block exits without error.

    Writers of one process take turns on a lock first (SQLite has a single writer anyway,
    and queueing in-process is cheaper than contending on the file lock), then, on SQLite,
    on a lock file shared with the other processes of the service (:func:`_writer_turn`).
    """
    with _WRITE_LOCK, _writer_turn(engine), engine.connect() as conn:
        conn = conn.execution_options(tracklayer_write=True)
        with conn.begin():
            yield conn


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` with the package's Alembic migrations."""
    from alembic import command

    with _WRITE_LOCK, _writer_turn(engine), engine.connect() as conn:
        command.upgrade(_alembic_config(conn), revision)
        conn.commit()


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (``"base"``: drop every table of the service)."""
    from alembic import command

    with _WRITE_LOCK, engine.connect() as conn:
        command.downgrade(_alembic_config(conn), revision)
        conn.commit()


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
