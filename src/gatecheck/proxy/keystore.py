"""Client keys and per-key usage, stored in SQLite (a file in the state dir, or in memory).

Keys are ``gk-`` plus 32 random bytes (256 bits). Only their SHA-256 digest is stored. A
fast unsalted hash is enough for secrets of that entropy: nobody can brute-force 2**256
preimages, so a slow password KDF (bcrypt, argon2) would only add milliseconds to every
request. A lookup is a dict probe on the digest followed by ``hmac.compare_digest``; any
timing difference depends on the digest, which tells an attacker nothing about a key.

The hot path never touches the disk. All keys live in a dict that is reloaded when
another process commits (``PRAGMA data_version``, checked at most once a second). Usage
counters build up in memory and are flushed as increments (``flush``), so several proxy
workers can share one file.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

__all__ = ["ADMIN_KEY_ID", "LAST_INSTANT", "KeyRecord", "KeyStore", "digest_key", "new_key"]

log = logging.getLogger("gatecheck.proxy")

ADMIN_KEY_ID = "admin"
PERMISSIONS = frozenset({"chat", "admin"})
# 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range an RFC 3339 time can write.
FIRST_INSTANT, LAST_INSTANT = -62135596800.0, 253402300799.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, digest BLOB NOT NULL UNIQUE,
    permissions TEXT NOT NULL, created_at REAL NOT NULL, expires_at REAL,
    revoked_at REAL, rate_limits TEXT);
CREATE TABLE IF NOT EXISTS usage (
    key_id TEXT PRIMARY KEY, requests INTEGER NOT NULL DEFAULT 0,
    successes INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,
    input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0);
"""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # time.gmtime overflows well inside year 1..9999
_USAGE_FIELDS = ("requests", "successes", "failures", "input_tokens", "output_tokens")


def digest_key(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()


def new_key() -> str:
    """A fresh client key: ``gk-`` and 43 url-safe characters (256 random bits)."""
    return "gk-" + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class KeyRecord:
    id: str
    name: str
    digest: bytes
    permissions: frozenset[str]
    created_at: float
    expires_at: float | None = None
    revoked_at: float | None = None
    rate_limits: dict[str, int] | None = None  # enforced in part 2

    def usable(self, now: float) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def public(self) -> dict[str, Any]:
        """The record as the keys API shows it: never the key or its digest."""
        return {
            "id": self.id,
            "object": "api_key",
            "name": self.name,
            "permissions": sorted(self.permissions),
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "revoked": self.revoked_at is not None,
            "rate_limits": self.rate_limits,
        }


def _iso(ts: float | None) -> str | None:
    """RFC 3339, clamped to the years it can write: a row from before the API refused
    such times (or edited by hand) still renders, and never breaks the listing."""
    if ts is None or ts != ts:  # NaN: _record never makes one, but stay total
        return None
    clamped = min(max(ts, FIRST_INSTANT), LAST_INSTANT)
    moment = _EPOCH + timedelta(seconds=clamped)  # isoformat pads the year, strftime does not
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


class KeyStore:
    """SQLite-backed key store with an in-memory index; safe to share between threads."""

    def __init__(self, path: str | Path = ":memory:", *, admin_key: str | None = None) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        # A TEXT value that is not UTF-8 (a hand edit) must not make every reload raise.
        self._db.text_factory = lambda raw: raw.decode("utf-8", "replace")
        self._lock = threading.Lock()
        with self._lock:
            if str(path) != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        self._admin_digest = digest_key(admin_key) if admin_key else None
        self._by_digest: dict[bytes, KeyRecord] = {}
        self._pending: dict[str, list[int]] = {}
        self._data_version = -1
        self._checked_at = 0.0
        self._reload()

    def set_admin_key(self, admin_key: str | None) -> None:
        """The key that has every permission without a row (from GATECHECK_ADMIN_KEY)."""
        self._admin_digest = digest_key(admin_key) if admin_key else None

    # -- lookups (hot path) ---------------------------------------------------------------

    def lookup(self, key: str) -> KeyRecord | None:
        """The usable record for ``key``, or None (unknown, revoked or expired)."""
        digest = digest_key(key)
        now = time.time()
        if self._admin_digest is not None and hmac.compare_digest(digest, self._admin_digest):
            return KeyRecord(ADMIN_KEY_ID, "admin", digest, PERMISSIONS, 0.0)
        if now - self._checked_at > 1.0:
            self._maybe_reload(now)
        record = self._by_digest.get(digest)
        if record is None or not hmac.compare_digest(record.digest, digest):
            return None
        return record if record.usable(now) else None

    def _maybe_reload(self, now: float) -> None:
        self._checked_at = now
        try:
            with self._lock:
                version = self._db.execute("PRAGMA data_version").fetchone()[0]
            if version != self._data_version:
                self._reload()
        except sqlite3.Error as exc:
            # A busy or broken file must not turn auth into a 5xx (AUTH-6): keep answering
            # from the keys already known and try again on a later request.
            log.warning("key store: cannot check for changes (%s); using cached keys", exc)

    def _reload(self) -> None:
        with self._lock:
            self._data_version = self._db.execute("PRAGMA data_version").fetchone()[0]
            rows = self._db.execute(
                "SELECT id, name, digest, permissions, created_at, expires_at, revoked_at,"
                " rate_limits FROM keys"
            ).fetchall()
        self._by_digest = {row[2]: _record(row) for row in rows}

    # -- administration -------------------------------------------------------------------

    def create(
        self,
        name: str,
        permissions: frozenset[str],
        *,
        expires_at: float | None = None,
        rate_limits: dict[str, int] | None = None,
    ) -> tuple[str, KeyRecord]:
        """Create a key; returns the key (shown once) and its record."""
        key = new_key()
        record = KeyRecord(
            id="key_" + secrets.token_hex(8),
            name=name,
            digest=digest_key(key),
            permissions=permissions,
            created_at=time.time(),
            expires_at=expires_at,
            rate_limits=rate_limits,
        )
        with self._lock:
            self._db.execute(
                "INSERT INTO keys VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
                (record.id, name, record.digest, ",".join(sorted(permissions)),
                 record.created_at, expires_at,
                 orjson.dumps(rate_limits).decode() if rate_limits is not None else None),
            )
        self._by_digest[record.digest] = record
        return key, record

    def list(self) -> list[KeyRecord]:
        self._reload()
        return sorted(self._by_digest.values(), key=lambda r: (r.created_at, r.id))

    def revoke(self, key_id: str) -> KeyRecord | None:
        """Revoke a key by id; None when there is no such key."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                (time.time(), key_id),
            )
        self._reload()
        if cur.rowcount == 0:
            return None
        return next((r for r in self._by_digest.values() if r.id == key_id), None)

    # -- usage ----------------------------------------------------------------------------

    def record_usage(self, key_id: str, ok: bool, input_tokens: int, output_tokens: int) -> None:
        row = self._pending.get(key_id)
        if row is None:
            row = self._pending[key_id] = [0, 0, 0, 0, 0]
        row[0] += 1
        row[1 if ok else 2] += 1
        row[3] += input_tokens
        row[4] += output_tokens

    def flush(self) -> None:
        """Write the pending usage increments (one transaction)."""
        pending, self._pending = self._pending, {}
        if not pending:
            return
        with self._lock:
            self._db.execute("BEGIN")
            for key_id, row in pending.items():
                self._db.execute(
                    "INSERT INTO usage VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key_id) DO UPDATE SET"
                    " requests = requests + excluded.requests,"
                    " successes = successes + excluded.successes,"
                    " failures = failures + excluded.failures,"
                    " input_tokens = input_tokens + excluded.input_tokens,"
                    " output_tokens = output_tokens + excluded.output_tokens",
                    (key_id, *row),
                )
            self._db.execute("COMMIT")

    def usage(self) -> dict[str, dict[str, int]]:
        """Usage per key id, pending increments included."""
        self.flush()
        with self._lock:
            rows = self._db.execute(f"SELECT key_id, {', '.join(_USAGE_FIELDS)} FROM usage")
            return {row[0]: dict(zip(_USAGE_FIELDS, row[1:], strict=True)) for row in rows}

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._db.close()


def _record(row: tuple[Any, ...]) -> KeyRecord:
    """A row as a record, whatever the columns hold (SQLite stores any type in any column).

    What cannot be read fails closed: an unreadable expiry or revocation makes the key
    unusable, unknown permissions grant nothing, unreadable limits fall back to the
    config's. The row still lists, so an admin can see and revoke it."""
    key_id = _text(row[0])
    digest = row[2] if isinstance(row[2], bytes) else b"unreadable:" + key_id.encode()
    permissions = row[3] if isinstance(row[3], str) else ""
    return KeyRecord(
        id=key_id,
        name=_text(row[1]),
        digest=digest,  # an unreadable one is never 32 bytes long: it matches no key
        permissions=frozenset(p for p in permissions.split(",") if p in PERMISSIONS),
        created_at=_time(row[4], 0.0) or 0.0,
        expires_at=_time(row[5], 0.0),
        revoked_at=_time(row[6], 0.0),
        rate_limits=_limits(row[7]),
    )


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def _time(value: Any, unreadable: float) -> float | None:
    """Epoch seconds, None for NULL, ``unreadable`` for anything else (text, NaN)."""
    if value is None:
        return None
    if isinstance(value, int | float) and value == value:
        return float(value)
    return unreadable


def _limits(value: Any) -> dict[str, int] | None:
    try:
        limits = orjson.loads(value) if isinstance(value, str | bytes) and value else None
    except orjson.JSONDecodeError:
        return None
    if not isinstance(limits, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in limits.values()
    ):
        return None
    return limits
