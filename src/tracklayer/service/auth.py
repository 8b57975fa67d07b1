"""Partners and their credentials.

A token is 256 random bits (:func:`secrets.token_urlsafe`) behind a ``tl_`` prefix, shown
once when issued; the database keeps only its SHA-256. A slow password hash (argon2,
bcrypt) protects guessable secrets; a 256-bit random token cannot be guessed, so a fast
hash is as safe and lets every request be checked with one indexed lookup. Rotating a
partner's token replaces the hash, so the old token stops working at once; revoking
refuses every request of that partner while its records stay in the picture.

Both end the partner's open live streams: in the process that revokes or rotates at once
(its listeners, :func:`on_token_change`, are called before the function returns), and in
every other server process within ``TOKEN_CACHE_TTL_S`` (see
:mod:`tracklayer.service.revocation`).

A server checks every request's token, so :func:`authenticate` keeps what it found for
:data:`TOKEN_CACHE_TTL_S` (1 s) in a small per-process cache. :func:`rotate_token` and
:func:`revoke_partner` clear that cache in their own process, so there they take effect
at once; run from another process (``tracklayer partner revoke`` while a server runs),
they take effect in that server within ``TOKEN_CACHE_TTL_S``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tracklayer.errors import TracklayerError
from tracklayer.service.db import partners, write_transaction

__all__ = [
    "TOKEN_CACHE_TTL_S",
    "Partner",
    "PartnerError",
    "add_partner",
    "authenticate",
    "cached_authentication",
    "clear_token_cache",
    "hash_token",
    "list_partners",
    "new_token",
    "on_token_change",
    "revoke_partner",
    "rotate_token",
]

_CODE = re.compile(r"^[A-Z]{3}$")
_TOKEN_PREFIX = "tl_"
#: Longest time a server keeps accepting a token revoked or rotated by another process, s.
TOKEN_CACHE_TTL_S = 1.0
#: Most tokens cached; past it the cache is emptied (a cache miss costs one indexed query).
_TOKEN_CACHE_MAX = 4096
# (database URL, token hash) -> (monotonic expiry, partner or None when refused)
_token_cache: dict[tuple[str, str], tuple[float, Partner | None]] = {}
_token_cache_lock = threading.Lock()
# Bumped by each clear, so a lookup that read the database before a rotation or
# revocation committed does not cache its stale answer afterwards.
_token_cache_generation = [0]


#: A listener of token changes: ``(database URL, partner code, reason)``.
TokenListener = Callable[[str, str, str], None]
_listeners: list[TokenListener] = []


def on_token_change(listener: TokenListener) -> Callable[[], None]:
    """Call ``listener(db_url, code, reason)`` after each revocation (reason ``"token
    revoked"``) or rotation (``"token rotated"``) committed by this process, before that
    function returns; return a function that removes the listener."""
    with _token_cache_lock:
        _listeners.append(listener)

    def remove() -> None:
        with _token_cache_lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return remove


def _token_changed(engine: Engine, code: str, reason: str) -> None:
    clear_token_cache()
    with _token_cache_lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(str(engine.url), code, reason)


def clear_token_cache() -> None:
    """Forget every cached token check (done by rotate and revoke in this process)."""
    with _token_cache_lock:
        _token_cache.clear()
        _token_cache_generation[0] += 1


class PartnerError(TracklayerError):
    """A partner command cannot be done (bad code, unknown or duplicate partner)."""


@dataclass(frozen=True)
class Partner:
    """A partner nation of the picture service."""

    code: str
    name: str
    created_ns: int
    token_issued_ns: int
    revoked_ns: int | None

    @property
    def active(self) -> bool:
        """Whether its token is accepted."""
        return self.revoked_ns is None


def new_token() -> str:
    """A fresh bearer token: ``tl_`` and 43 URL-safe characters (256 random bits)."""
    return _TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The SHA-256 of a token, hex: what the database stores and looks up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_code(code: str) -> str:
    if not _CODE.match(code):
        raise PartnerError(
            f"partner code: expected an ISO 3166-1 alpha-3 code in upper case (USA, JPN), "
            f"got {code!r}"
        )
    return code


def _row_to_partner(row: Any) -> Partner:
    return Partner(
        code=row[0],
        name=row[1],
        created_ns=row[2],
        token_issued_ns=row[3],
        revoked_ns=row[4],
    )


_COLUMNS = (
    partners.c.code,
    partners.c.name,
    partners.c.created_ns,
    partners.c.token_issued_ns,
    partners.c.revoked_ns,
)


def add_partner(engine: Engine, code: str, name: str | None = None) -> str:
    """Register a partner and return its token (shown once; only its hash is stored).

    Raises
    ------
    PartnerError
        The code is not an alpha-3 code, or the partner exists already.
    """
    _check_code(code)
    token = new_token()
    now = time.time_ns()
    with write_transaction(engine) as conn:
        if conn.execute(sa.select(partners.c.code).where(partners.c.code == code)).first():
            raise PartnerError(f"partner {code} exists already (use rotate for a new token)")
        conn.execute(
            partners.insert().values(
                code=code,
                name=name or code,
                token_hash=hash_token(token),
                created_ns=now,
                token_issued_ns=now,
                revoked_ns=None,
            )
        )
    return token


def rotate_token(engine: Engine, code: str) -> str:
    """Issue a new token for a partner (reactivating it if revoked); the old one stops working."""
    _check_code(code)
    token = new_token()
    with write_transaction(engine) as conn:
        done = conn.execute(
            partners.update()
            .where(partners.c.code == code)
            .values(token_hash=hash_token(token), token_issued_ns=time.time_ns(), revoked_ns=None)
        )
        if done.rowcount != 1:
            raise PartnerError(f"no partner {code}")
    _token_changed(engine, code, "token rotated")
    return token


def revoke_partner(engine: Engine, code: str) -> None:
    """Refuse every further request from a partner (its records stay in the picture)."""
    _check_code(code)
    with write_transaction(engine) as conn:
        done = conn.execute(
            partners.update()
            .where(partners.c.code == code, partners.c.revoked_ns.is_(None))
            .values(revoked_ns=time.time_ns())
        )
        if done.rowcount != 1:
            exists = conn.execute(sa.select(partners.c.code).where(partners.c.code == code))
            if exists.first() is None:
                raise PartnerError(f"no partner {code}")
    _token_changed(engine, code, "token revoked")


def list_partners(engine: Engine) -> list[Partner]:
    """Every partner, active or revoked, by code."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*_COLUMNS).order_by(partners.c.code)).all()
    return [_row_to_partner(r) for r in rows]


def partner_codes(engine: Engine) -> set[str]:
    """Codes of every registered partner (active or revoked)."""
    with engine.connect() as conn:
        return set(conn.execute(sa.select(partners.c.code)).scalars())


def cached_authentication(engine: Engine, token: str | None) -> tuple[bool, Partner | None]:
    """:func:`authenticate` without touching the database: ``(True, answer)`` when the
    answer is known (a malformed token, or one checked less than
    :data:`TOKEN_CACHE_TTL_S` ago), ``(False, None)`` when only the database can tell."""
    if not token or not token.startswith(_TOKEN_PREFIX) or len(token) > 200:
        return True, None
    key = (str(engine.url), hash_token(token))
    with _token_cache_lock:
        cached = _token_cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return True, cached[1]
    return False, None


def authenticate(engine: Engine, token: str | None) -> Partner | None:
    """The active partner holding ``token``, or None (unknown, revoked, missing, malformed).

    Answers are cached for :data:`TOKEN_CACHE_TTL_S` per database (see the module notes).
    """
    if not token or not token.startswith(_TOKEN_PREFIX) or len(token) > 200:
        return None
    key = (str(engine.url), hash_token(token))
    now = time.monotonic()
    with _token_cache_lock:
        cached = _token_cache.get(key)
        generation = _token_cache_generation[0]
    if cached is not None and cached[0] > now:
        return cached[1]
    with engine.connect() as conn:
        row = conn.execute(sa.select(*_COLUMNS).where(partners.c.token_hash == key[1])).first()
    partner = None if row is None else _row_to_partner(row)
    if partner is not None and not partner.active:
        partner = None
    with _token_cache_lock:
        if generation == _token_cache_generation[0]:
            if len(_token_cache) >= _TOKEN_CACHE_MAX:
                _token_cache.clear()
            _token_cache[key] = (now + TOKEN_CACHE_TTL_S, partner)
    return partner
