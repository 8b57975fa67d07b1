"""Storage: migrations match the models, durable SQLite settings, database URLs."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tracklayer.service.db import (
    downgrade,
    make_engine,
    metadata,
    migrate,
    normalize_db_url,
    schema_revision,
)


def test_migrations_build_the_models_schema(db_url: str) -> None:
    """After `migrate`, Alembic's autogenerate finds no difference with the models."""
    engine = make_engine(db_url)
    assert schema_revision(engine) is None
    migrate(engine)
    migrate(engine)  # idempotent
    assert schema_revision(engine) == "0002"
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    engine.dispose()


def test_migration_downgrade_and_upgrade(db_url: str) -> None:
    """The initial migration can be undone and redone."""
    engine = make_engine(db_url)
    migrate(engine)
    downgrade(engine, "base")
    assert schema_revision(engine) is None
    assert "track_states" not in sa.inspect(engine).get_table_names()
    migrate(engine)
    assert "track_states" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_is_durable(tmp_path: Path) -> None:
    """SQLite connections run in WAL mode with synchronous=FULL and foreign keys on."""
    engine = make_engine(str(tmp_path / "sub" / "p.db"))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_normalize_db_url(tmp_path: Path) -> None:
    """Plain paths become SQLite; postgresql:// selects psycopg 3."""
    assert (
        normalize_db_url("postgresql://u:p@127.0.0.1/db") == "postgresql+psycopg://u:p@127.0.0.1/db"
    )
    assert normalize_db_url("postgres://h/db") == "postgresql+psycopg://h/db"
    assert normalize_db_url(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path / 'a.db'}"
    assert normalize_db_url("sqlite:///x.db") == "sqlite:///x.db"


def test_background_checkpoints_keep_commits_free_of_checkpoints(tmp_path: Path) -> None:
    """With ``background_checkpoints``, commits never checkpoint: the log grows past the
    1,000 pages where SQLite would copy it back, and the database file keeps its size;
    :class:`WalCheckpointer` then copies the log into the database file.

    Reference: SQLite's ``wal_autocheckpoint`` default of 1,000 pages of 4,096 bytes; the
    1,500 rows of 4,000 bytes written need at least 1,500 pages of the database file.
    """
    import time

    from tracklayer.service.db import WalCheckpointer

    path = tmp_path / "p.db"
    engine = make_engine(f"sqlite:///{path}", background_checkpoints=True)
    migrate(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE filler (x BLOB)")
    blob = bytes(4000)
    before = path.stat().st_size
    for _ in range(1500):
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO filler VALUES (?)", (blob,))
    assert (tmp_path / "p.db-wal").stat().st_size > 1000 * 4096
    assert path.stat().st_size == before
    checkpointer = WalCheckpointer(engine, interval_s=0.05)
    checkpointer.start()
    deadline = time.monotonic() + 10
    while path.stat().st_size < 1500 * 4096 and time.monotonic() < deadline:
        time.sleep(0.05)
    checkpointer.stop()
    assert path.stat().st_size >= 1500 * 4096
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM filler").scalar() == 1500
    engine.dispose()


def test_sqlite_files_are_created_private(tmp_path: Path) -> None:
    """A new SQLite database, and the write-ahead log and shared-memory files SQLite makes
    beside it, are readable by their owner alone (mode 0600; the folder 0700), whatever
    the umask (here the permissive 0o000)."""
    import os
    import stat

    from tracklayer.service.auth import add_partner

    old = os.umask(0)
    try:
        path = tmp_path / "new" / "picture.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        add_partner(engine, "USA")
        files = [path, *path.parent.glob("picture.db-*")]
        assert {f.name for f in files} >= {"picture.db", "picture.db-wal", "picture.db-shm"}
        for f in files:
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        engine.dispose()
    finally:
        os.umask(old)
