"""Rate-limit windows, both backends: exact counting under concurrency, resets, tokens."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator

import pytest

from gatecheck.proxy.errors import ProxyError
from gatecheck.proxy.keystore import KeyRecord
from gatecheck.proxy.limiter import KeyLimiter, rate_limit_headers
from gatecheck.proxy.ratelimit import (
    Decision,
    Limits,
    MemoryLimiter,
    RateLimiter,
    RedisLimiter,
    WindowState,
    format_duration,
)
from tests.proxy.redis_server import redis_url_fixture  # noqa: F401  (the redis_url fixture)

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        limiter: RateLimiter = MemoryLimiter()
    else:
        url = request.getfixturevalue("redis_url")
        limiter = RedisLimiter(url, prefix=f"t:{uuid.uuid4().hex}:")
    try:
        yield limiter
    finally:
        await limiter.aclose()


def rpm(n: int) -> Limits:
    return Limits.resolve({}, {"requests_per_minute": n})


@pytest.mark.parametrize("n", [1, 7, 30, 300])  # 300: more than the Redis pool's connections
async def test_concurrent_requests_admit_exactly_the_limit(backend: RateLimiter, n: int) -> None:
    limit = 10
    decisions = await asyncio.gather(*(backend.acquire("k", rpm(limit)) for _ in range(n)))
    assert sum(d.allowed for d in decisions) == min(n, limit)
    refused = [d for d in decisions if not d.allowed]
    assert all(d.blocked_by == "requests_per_minute" for d in refused)
    assert all(0 < d.retry_after_s <= 60 for d in refused)


async def test_remaining_counts_down_and_keys_are_separate(backend: RateLimiter) -> None:
    first = await backend.acquire("a", rpm(3))
    second = await backend.acquire("a", rpm(3))
    other = await backend.acquire("b", rpm(3))
    assert first.requests is not None
    assert first.requests.remaining == 2
    assert second.requests is not None
    assert second.requests.remaining == 1
    assert other.requests is not None
    assert other.requests.remaining == 2
    assert first.requests.limit == 3
    assert 59 < first.requests.reset_s <= 60


async def test_every_window_must_have_room(backend: RateLimiter) -> None:
    limits = Limits.resolve({"requests_per_minute": 100}, {"requests_per_hour": 2})
    results = [await backend.acquire("k", limits) for _ in range(3)]
    assert [d.allowed for d in results] == [True, True, False]
    assert results[2].blocked_by == "requests_per_hour"
    assert results[2].requests is not None
    assert results[2].requests.remaining == 0
    assert 3500 < results[2].retry_after_s <= 3600


async def test_tokens_per_minute(backend: RateLimiter) -> None:
    limits = Limits.resolve({}, {"tokens_per_minute": 100})
    assert (await backend.acquire("k", limits)).allowed
    backend.add_tokens("k", limits, 60)
    second = await backend.acquire("k", limits)
    assert second.allowed
    assert second.tokens == WindowState(100, 40, second.tokens.reset_s)
    backend.add_tokens("k", limits, 60)  # overshoot: admitted, the next one waits
    third = await backend.acquire("k", limits)
    assert not third.allowed
    assert third.blocked_by == "tokens_per_minute"
    assert third.tokens is not None
    assert third.tokens.remaining == 0


async def test_refused_requests_are_not_counted() -> None:
    clock = Clock()
    limiter = MemoryLimiter(clock)
    for _ in range(5):
        await limiter.acquire("k", rpm(2))
    clock.now += 60.0  # the window opened at the first request has closed
    decision = await limiter.acquire("k", rpm(2))
    assert decision.allowed
    assert decision.requests is not None
    assert decision.requests.remaining == 1


async def test_window_resets_after_its_span_from_first_use() -> None:
    clock = Clock()
    limiter = MemoryLimiter(clock)
    assert (await limiter.acquire("k", rpm(1))).allowed
    clock.now += 59.5
    refused = await limiter.acquire("k", rpm(1))
    assert not refused.allowed
    assert refused.retry_after_s == pytest.approx(0.5)
    clock.now += 0.5
    assert (await limiter.acquire("k", rpm(1))).allowed


async def test_memory_sweep_bounds_the_table() -> None:
    clock = Clock()
    limiter = MemoryLimiter(clock)
    limiter.SWEEP_AT = 10
    for i in range(10):
        await limiter.acquire(f"k{i}", rpm(5))
    clock.now += 61
    await limiter.acquire("fresh", rpm(5))
    await limiter.acquire("fresh2", rpm(5))
    assert len(limiter._windows) <= 2


def test_key_limits_override_defaults_field_by_field() -> None:
    limits = Limits.resolve(
        {"requests_per_minute": 10, "requests_per_day": 1000, "tokens_per_minute": None},
        {"requests_per_minute": 2, "tokens_per_minute": 50},
    )
    assert limits.requests == (
        ("requests_per_minute", 2, 60.0), ("requests_per_day", 1000, 86400.0),
    )
    assert limits.tokens_per_minute == 50
    assert Limits.resolve({"requests_per_minute": None}, None).empty


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.012, "12ms"), (0.0001, "1ms"), (1, "1s"), (17.28, "17.28s"), (360, "6m0s"),
     (59.9996, "1m0s"), (3723, "1h2m3s"), (86400, "24h0m0s")],
)
def test_durations_are_go_style(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_headers_per_surface() -> None:
    decision = Decision(True, requests=WindowState(60, 59, 59.2), tokens=WindowState(1000, 990, 3))
    openai = dict(rate_limit_headers("openai", decision))
    assert openai == {
        "x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "59",
        "x-ratelimit-reset-requests": "59.2s", "x-ratelimit-limit-tokens": "1000",
        "x-ratelimit-remaining-tokens": "990", "x-ratelimit-reset-tokens": "3s",
    }
    anthropic = dict(rate_limit_headers("anthropic", decision, now=1_800_000_000.0))
    assert anthropic["anthropic-ratelimit-requests-limit"] == "60"
    assert anthropic["anthropic-ratelimit-requests-remaining"] == "59"
    assert anthropic["anthropic-ratelimit-requests-reset"] == "2027-01-15T08:01:00Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                        anthropic["anthropic-ratelimit-tokens-reset"])


def _record(limits: dict[str, int] | None) -> KeyRecord:
    return KeyRecord("key_1", "t", b"d", frozenset({"chat"}), 0.0, rate_limits=limits)


async def test_key_limiter_refuses_with_retry_after_and_headers() -> None:
    rejected: list[str] = []
    limiter = KeyLimiter({"requests_per_minute": None}, MemoryLimiter(), on_reject=rejected.append)
    record = _record({"requests_per_minute": 1})
    headers = dict(await limiter.admit(record, "openai"))
    assert headers["x-ratelimit-remaining-requests"] == "0"
    with pytest.raises(ProxyError) as info:
        await limiter.admit(record, "anthropic")
    err = info.value
    assert err.status_for("anthropic") == 429
    assert err.anthropic_type == "rate_limit_error"
    assert err.code == "rate_limit_exceeded"
    retry_after = dict(err.headers)["retry-after"]
    assert retry_after.isdigit()
    assert 1 <= int(retry_after) <= 60
    assert "anthropic-ratelimit-requests-remaining" in dict(err.headers)
    assert rejected == ["requests_per_minute"]


async def test_key_without_limits_gets_no_headers() -> None:
    limiter = KeyLimiter({}, MemoryLimiter())
    assert await limiter.admit(_record(None), "openai") == []


async def test_an_unreachable_backend_fails_open(caplog: pytest.LogCaptureFixture) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening
        url = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
        limiter = KeyLimiter({}, RedisLimiter(url))
        record = _record({"requests_per_minute": 1, "tokens_per_minute": 10})
        with caplog.at_level("WARNING", logger="gatecheck.proxy"):
            for _ in range(3):
                assert await limiter.admit(record, "openai") == []
            limiter.record_tokens(record.id, 50)
            await limiter.aclose()
        warnings = [r for r in caplog.records if "rate-limit backend failed" in r.message]
        assert len(warnings) == 1  # once, not once per request


@pytest.mark.redis
async def test_redis_tokens_reach_other_processes(redis_url: str) -> None:
    prefix = f"t:{uuid.uuid4().hex}:"
    a, b = RedisLimiter(redis_url, prefix=prefix), RedisLimiter(redis_url, prefix=prefix)
    limits = Limits.resolve({}, {"tokens_per_minute": 100})
    try:
        a.add_tokens("k", limits, 30)  # no next request on `a`: the background flush sends it
        for _ in range(50):  # bounded: the flush runs within RedisLimiter.FLUSH_S
            await asyncio.sleep(0.02)
            seen = await b.acquire("k", limits)
            if seen.tokens is not None and seen.tokens.remaining == 70:
                break
        assert seen.tokens is not None
        assert seen.tokens.remaining == 70
        a.add_tokens("k", limits, 20)
        b.add_tokens("k", limits, 5)  # folded into b's next admission
        folded = await b.acquire("k", limits)
        assert folded.tokens is not None
        assert folded.tokens.remaining in (45, 65)  # a's 20 may not be flushed yet
        await a.aclose()  # flushes what is left
        final = await b.acquire("k", limits)
        assert final.tokens is not None
        assert final.tokens.remaining == 45
    finally:
        await b.aclose()
