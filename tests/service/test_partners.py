"""Partners and tokens: hashed storage, rotation, revocation, and the command line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from tracklayer.service.auth import (
    add_partner,
    authenticate,
    hash_token,
    list_partners,
    revoke_partner,
    rotate_token,
)
from tracklayer.service.cli import register
from tracklayer.service.db import make_engine, migrate, partners


def test_tokens_are_stored_hashed_and_checked(db_url: str) -> None:
    """Only the SHA-256 of a token is stored; the token authenticates, others do not."""
    engine = make_engine(db_url)
    migrate(engine)
    token = add_partner(engine, "USA", "United States")
    assert token.startswith("tl_") and len(token) == 46
    with engine.connect() as conn:
        stored = conn.execute(sa.select(partners.c.token_hash)).scalar_one()
    assert stored == hash_token(token) and token not in stored
    partner = authenticate(engine, token)
    assert partner is not None and (partner.code, partner.name) == ("USA", "United States")
    assert authenticate(engine, None) is None
    assert authenticate(engine, token + "x") is None
    assert authenticate(engine, stored) is None
    engine.dispose()


def test_rotate_and_revoke(db_url: str) -> None:
    """Rotation invalidates the old token; revocation refuses; rotating reactivates."""
    engine = make_engine(db_url)
    migrate(engine)
    old = add_partner(engine, "JPN")
    new = rotate_token(engine, "JPN")
    assert authenticate(engine, old) is None and authenticate(engine, new) is not None
    revoke_partner(engine, "JPN")
    assert authenticate(engine, new) is None
    assert [p.active for p in list_partners(engine)] == [False]
    again = rotate_token(engine, "JPN")
    assert authenticate(engine, again) is not None
    engine.dispose()


def test_partner_commands(tmp_path: Path) -> None:
    """`partner add|list|rotate|revoke`: tokens printed once on stdout; errors exit non-zero."""
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    db = str(tmp_path / "p.db")
    added = runner.invoke(app, ["partner", "add", "USA", "--db", db, "--name", "United States"])
    assert added.exit_code == 0, added.output
    token = added.stdout.strip().splitlines()[-1]
    engine = make_engine(db)
    assert authenticate(engine, token) is not None
    listed = runner.invoke(app, ["partner", "list", "--db", db])
    assert "USA" in listed.stdout and "active" in listed.stdout and token not in listed.stdout
    rotated = runner.invoke(app, ["partner", "rotate", "USA", "--db", db])
    new = rotated.stdout.strip().splitlines()[-1]
    assert authenticate(engine, token) is None and authenticate(engine, new) is not None
    assert runner.invoke(app, ["partner", "revoke", "USA", "--db", db]).exit_code == 0
    assert authenticate(engine, new) is None
    dup = runner.invoke(app, ["partner", "add", "USA", "--db", db])
    assert dup.exit_code != 0
    assert "exists already" in str(dup.exception)
    bad = runner.invoke(app, ["partner", "add", "usa", "--db", db])
    assert bad.exit_code != 0 and "alpha-3" in str(bad.exception)
    engine.dispose()


def test_token_cache_ttl(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A revocation by another process (a direct update here) holds within the cache TTL.

    Reference: the documented bound, TOKEN_CACHE_TTL_S (set to 0.2 s here); a revocation
    in this process (revoke_partner) takes effect at once.
    """
    from tracklayer.service import auth

    monkeypatch.setattr(auth, "TOKEN_CACHE_TTL_S", 0.2)
    engine = make_engine(db_url)
    migrate(engine)
    token = add_partner(engine, "USA")
    assert authenticate(engine, token) is not None
    with engine.begin() as conn:
        conn.execute(partners.update().values(revoked_ns=1))
    # Still cached: another process's revocation is seen only after the TTL.
    assert authenticate(engine, token) is not None
    time.sleep(0.25)
    assert authenticate(engine, token) is None
    new = rotate_token(engine, "USA")
    assert authenticate(engine, new) is not None
    revoke_partner(engine, "USA")
    assert authenticate(engine, new) is None
    engine.dispose()
