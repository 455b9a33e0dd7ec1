"""Per-key rate limits: requests per minute/hour/day and tokens per minute, two backends.

A window opens at a key's first request and lasts its span (60 s, 1 h, 1 day); the count
resets when it closes. Anchoring windows on first use, rather than on the clock's minute
boundaries, means a burst is never split by a boundary the client cannot see, and it is
the classic ``INCR`` + ``PEXPIRE`` pattern Redis makes atomic. A request is admitted only
if every request window has room and the token window is not exhausted; a refused request
counts nowhere. Tokens (input + output, from the upstream's usage) are added when the
answer is finished, so a request that overshoots the token budget is admitted and the next
one waits.

Backends behind the ``RateLimiter`` protocol: ``MemoryLimiter`` (one process; the check
and the increment run without an ``await`` between them, so they are atomic on the event
loop and N concurrent requests against a limit L admit exactly min(N, L)) and
``RedisLimiter`` (several processes; one Lua script checks and increments every window
atomically on the server).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "REQUEST_WINDOWS",
    "Decision",
    "Limits",
    "MemoryLimiter",
    "RateLimiter",
    "RedisLimiter",
    "WindowState",
    "format_duration",
]

log = logging.getLogger("gatecheck.proxy")

# (field of rate_limits, span in seconds), shortest first.
REQUEST_WINDOWS = (
    ("requests_per_minute", 60.0),
    ("requests_per_hour", 3600.0),
    ("requests_per_day", 86400.0),
)
TOKEN_WINDOW = ("tokens_per_minute", 60.0)


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits of one key: (field, limit, span) per request window, and the token one."""

    requests: tuple[tuple[str, int, float], ...] = ()
    tokens_per_minute: int | None = None

    @property
    def empty(self) -> bool:
        return not self.requests and self.tokens_per_minute is None

    @classmethod
    def resolve(
        cls, defaults: Mapping[str, int | None], key: Mapping[str, int] | None
    ) -> Limits:
        """The key's own values over the config defaults, field by field."""
        merged = {**{k: v for k, v in defaults.items() if v is not None}, **(key or {})}
        requests = tuple(
            (name, int(merged[name]), span) for name, span in REQUEST_WINDOWS if name in merged
        )
        tpm = merged.get(TOKEN_WINDOW[0])
        return cls(requests, int(tpm) if tpm is not None else None)


@dataclass(slots=True)  # not frozen: built on every request, and frozen __init__ costs
class WindowState:
    """One window as the client's headers show it: limit, remaining, seconds to reset."""

    limit: int
    remaining: int
    reset_s: float


@dataclass(slots=True)
class Decision:
    allowed: bool
    retry_after_s: float = 0.0  # when refused: until the blocking window resets
    blocked_by: str | None = None  # the field of the window that refused
    requests: WindowState | None = None  # the tightest request window
    tokens: WindowState | None = None


class RateLimiter(Protocol):
    """A backend: admit (and count) a request, add tokens after it, close."""

    async def acquire(self, key_id: str, limits: Limits) -> Decision: ...

    def add_tokens(self, key_id: str, limits: Limits, tokens: int) -> None:
        """Count a finished answer's tokens; never waits (called as its last byte goes)."""

    async def aclose(self) -> None: ...


def _tightest(states: list[tuple[str, WindowState]]) -> WindowState | None:
    """The request window to show: fewest remaining, then the shortest (OpenAI shows RPM)."""
    if not states:
        return None
    return min(states, key=lambda s: s[1].remaining)[1]


def _decide(
    limits: Limits,
    counts: list[tuple[int, float]],  # per request window: count after this request, ttl
    tokens: tuple[int, float] | None,  # tokens used so far, ttl
    blocked: int | None,  # index of the refusing window (len(requests) = the token window)
) -> Decision:
    states = [
        (name, WindowState(limit, max(limit - count, 0), ttl))
        for (name, limit, _), (count, ttl) in zip(limits.requests, counts, strict=True)
    ]
    token_state = None
    if limits.tokens_per_minute is not None and tokens is not None:
        used, ttl = tokens
        token_state = WindowState(
            limits.tokens_per_minute, max(limits.tokens_per_minute - used, 0), ttl
        )
    if blocked is None:
        return Decision(True, requests=_tightest(states), tokens=token_state)
    if blocked < len(states):
        name, state = states[blocked]
    else:
        name, state = TOKEN_WINDOW[0], token_state or WindowState(0, 0, 1.0)
    return Decision(
        False,
        retry_after_s=state.reset_s,
        blocked_by=name,
        requests=_tightest(states),
        tokens=token_state,
    )


class MemoryLimiter:
    """In-process windows; ``clock`` is injectable so tests never sleep through a window."""

    SWEEP_AT = 10_000  # entries before expired windows are dropped (bounds memory)

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, str], list[float]] = {}  # -> [ends_at, count]

    def _window(self, key_id: str, name: str, now: float) -> list[float] | None:
        window = self._windows.get((key_id, name))
        if window is not None and window[0] <= now:
            del self._windows[(key_id, name)]
            return None
        return window

    async def acquire(self, key_id: str, limits: Limits) -> Decision:
        # No await in here: check-then-increment is atomic on the event loop.
        now = self._clock()
        current = [self._window(key_id, name, now) for name, _, _ in limits.requests]
        counts = [int(w[1]) if w else 0 for w in current]
        token_window = (
            self._window(key_id, TOKEN_WINDOW[0], now)
            if limits.tokens_per_minute is not None
            else None
        )
        used = int(token_window[1]) if token_window else 0
        tokens = (used, token_window[0] - now if token_window else TOKEN_WINDOW[1])
        blocked = None
        for i, ((_, limit, _), count) in enumerate(zip(limits.requests, counts, strict=True)):
            if count >= limit:
                blocked = i
                break
        if (
            blocked is None
            and limits.tokens_per_minute is not None
            and used >= limits.tokens_per_minute
        ):
            blocked = len(limits.requests)
        if blocked is not None:
            ttls = [(c, (w[0] - now) if w else span) for c, w, (_, _, span)
                    in zip(counts, current, limits.requests, strict=True)]
            return _decide(limits, ttls, tokens, blocked)
        after = []
        for (name, _, span), window in zip(limits.requests, current, strict=True):
            if window is None:
                window = self._windows[(key_id, name)] = [now + span, 0.0]
            window[1] += 1
            after.append((int(window[1]), window[0] - now))
        if len(self._windows) > self.SWEEP_AT:
            self._sweep(now)
        return _decide(limits, after, tokens, None)

    def add_tokens(self, key_id: str, limits: Limits, tokens: int) -> None:
        if limits.tokens_per_minute is None or tokens <= 0:
            return
        now = self._clock()
        window = self._window(key_id, TOKEN_WINDOW[0], now)
        if window is None:
            window = self._windows[(key_id, TOKEN_WINDOW[0])] = [now + TOKEN_WINDOW[1], 0.0]
        window[1] += tokens

    def _sweep(self, now: float) -> None:
        self._windows = {k: w for k, w in self._windows.items() if w[0] > now}

    async def aclose(self) -> None:
        self._windows.clear()


# KEYS: one per request window, then the token window. ARGV: n, then limit and span (ms) per
# request window, then the token limit (0: none), then tokens to add first (the key's
# finished answers since its last admission). Returns {blocked index (0: none, else
# 1-based), count, ttl_ms per request window..., tokens used, token ttl_ms}.
_ACQUIRE = """
local n = tonumber(ARGV[1])
local tlimit = tonumber(ARGV[2 * n + 2])
local add = tonumber(ARGV[2 * n + 3])
if add > 0 then
  local v = redis.call('INCRBY', KEYS[n + 1], add)
  if v == add then redis.call('PEXPIRE', KEYS[n + 1], 60000) end
end
local blocked = 0
for i = 1, n do
  local c = tonumber(redis.call('GET', KEYS[i]) or '0')
  if blocked == 0 and c >= tonumber(ARGV[2 * i]) then blocked = i end
end
local used = 0
if tlimit > 0 then
  used = tonumber(redis.call('GET', KEYS[n + 1]) or '0')
  if blocked == 0 and used >= tlimit then blocked = n + 1 end
end
local out = {blocked}
for i = 1, n do
  local c
  if blocked == 0 then
    c = redis.call('INCR', KEYS[i])
    if c == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * i + 1]) end
  else
    c = tonumber(redis.call('GET', KEYS[i]) or '0')
  end
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl < 0 then ttl = tonumber(ARGV[2 * i + 1]) end
  out[#out + 1] = c
  out[#out + 1] = ttl
end
local tttl = 60000
if tlimit > 0 then
  tttl = redis.call('PTTL', KEYS[n + 1])
  if tttl < 0 then tttl = 60000 end
end
out[#out + 1] = used
out[#out + 1] = tttl
return out
"""
_ADD_TOKENS = """
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if v == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v
"""


class RedisLimiter:
    """Windows in Redis, shared by every proxy process that points at the same server.

    Tokens are buffered per key and sent with the key's next admission (one round trip per
    request instead of two), or by a background flush within ``FLUSH_S`` for keys that
    have no next request yet; so other processes see them at most that much later.
    """

    FLUSH_S = 0.2

    def __init__(self, url: str, *, prefix: str = "gatecheck:rl:", client: Any = None) -> None:
        import redis.asyncio as aioredis

        if client is None:
            # A blocking pool: under a burst, requests wait (bounded) for one of 64
            # connections; the default pool raises "Too many connections" instead, which
            # would turn a burst into unlimited admissions (the limiter fails open).
            pool: Any = aioredis.BlockingConnectionPool.from_url(
                url, max_connections=64, timeout=2.0,
                socket_timeout=2.0, socket_connect_timeout=2.0,
            )
            redis_cls: Any = aioredis.Redis  # (types-redis predates from_pool)
            client = redis_cls.from_pool(pool)  # owns the pool: aclose closes it
        self._redis: Any = client
        self._prefix = prefix
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._pending: dict[str, int] = {}  # key id -> tokens not yet in Redis
        self._flusher: asyncio.Task[None] | None = None
        self._warned_at = -60.0

    def _key(self, key_id: str, name: str) -> str:
        return f"{self._prefix}{key_id}:{name}"

    async def acquire(self, key_id: str, limits: Limits) -> Decision:
        keys = [self._key(key_id, name) for name, _, _ in limits.requests]
        keys.append(self._key(key_id, TOKEN_WINDOW[0]))
        args: list[int] = [len(limits.requests)]
        for _, limit, span in limits.requests:
            args += [limit, int(span * 1000)]
        add = self._pending.pop(key_id, 0)
        args += [limits.tokens_per_minute or 0, add]
        try:
            raw = [int(v) for v in await self._acquire(keys=keys, args=args)]
        except BaseException:
            if add:  # not counted: keep them for the next attempt
                self._pending[key_id] = self._pending.get(key_id, 0) + add
            raise
        n = len(limits.requests)
        counts = [(raw[1 + 2 * i], raw[2 + 2 * i] / 1000) for i in range(n)]
        tokens = (raw[1 + 2 * n], raw[2 + 2 * n] / 1000)
        blocked = raw[0] - 1 if raw[0] else None
        return _decide(limits, counts, tokens, blocked)

    def add_tokens(self, key_id: str, limits: Limits, tokens: int) -> None:
        if limits.tokens_per_minute is None or tokens <= 0:
            return
        self._pending[key_id] = self._pending.get(key_id, 0) + tokens
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        while self._pending:
            await asyncio.sleep(self.FLUSH_S)
            try:
                await self.flush()
            except Exception as exc:  # Redis unreachable: those tokens go uncounted
                now = time.monotonic()
                if now - self._warned_at >= 60:  # at most once a minute
                    self._warned_at = now
                    log.warning("rate-limit backend failed (tokens not counted): %r", exc)

    async def flush(self) -> None:
        """Send the buffered tokens of every key (one pipeline)."""
        pending, self._pending = self._pending, {}
        if not pending:
            return
        pipe = self._redis.pipeline(transaction=False)
        for key_id, tokens in pending.items():
            key = self._key(key_id, TOKEN_WINDOW[0])
            pipe.eval(_ADD_TOKENS, 1, key, tokens, int(TOKEN_WINDOW[1] * 1000))
        await pipe.execute()

    async def aclose(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._flusher
        with contextlib.suppress(Exception):  # best effort: the server may be gone
            await self.flush()
        await self._redis.aclose()


def format_duration(seconds: float) -> str:
    """A Go-style duration as OpenAI sends in x-ratelimit-reset-*: 12ms, 1s, 6m0s, 1h2m3s.

    Rounded up to the millisecond (a client that waits this long finds the window reset).
    Integer arithmetic: it runs twice per limited request."""
    ms = math.ceil(seconds * 1000)
    if ms < 1000:
        return f"{max(ms, 1)}ms"
    whole, frac = divmod(ms, 1000)
    secs = f"{whole % 60}.{frac:03d}".rstrip("0") + "s" if frac else f"{whole % 60}s"
    if whole < 60:
        return secs
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes}m{secs}"
    return f"{minutes // 60}h{minutes % 60}m{secs}"
