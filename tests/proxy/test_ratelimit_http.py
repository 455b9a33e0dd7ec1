"""Rate limits over HTTP: exact admission under concurrency, 429s and headers per surface."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from gatecheck.embedded import serve_in_thread
from gatecheck.mock import create_app as create_mock
from gatecheck.proxy import create_app, parse_config

ADMIN = "gk-admin-ratelimit-0123456789abcdef01234"
pytestmark = pytest.mark.anyio
DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:h|m|s|ms))+$")


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with serve_in_thread(create_mock()) as url:
        yield url


@pytest.fixture
async def client(mock_url: str) -> AsyncIterator[httpx.AsyncClient]:
    config = parse_config({
        "provider": [{"name": "mock", "format": "openai", "base-url": mock_url,
                      "models": ["mock-chat"]}],
        "rate-limits": {"requests-per-day": 1000},
    })
    app = create_app(config, admin_key=ADMIN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://proxy",
                                 timeout=30) as c:
        yield c
    await app.aclose()


async def new_key(client: httpx.AsyncClient, **limits: int) -> str:
    r = await client.post("/v1/keys", headers={"authorization": f"Bearer {ADMIN}"},
                          json={"name": "limited", "rate_limits": limits})
    assert r.status_code == 201, r.text
    assert r.json()["rate_limits"] == limits
    return str(r.json()["key"])


def openai_call(client: httpx.AsyncClient, key: str, text: str = "hi") -> Any:
    return client.post("/v1/chat/completions", headers={"authorization": f"Bearer {key}"},
                       json={"model": "mock-chat",
                             "messages": [{"role": "user", "content": text}]})


def anthropic_call(client: httpx.AsyncClient, key: str) -> Any:
    return client.post("/v1/messages",
                       headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
                       json={"model": "mock-chat", "max_tokens": 8,
                             "messages": [{"role": "user", "content": "hi"}]})


@pytest.mark.parametrize(("n", "limit"), [(20, 5), (4, 5), (12, 12)])
async def test_concurrent_requests_admit_exactly_min_n_l(client, n: int, limit: int) -> None:
    key = await new_key(client, requests_per_minute=limit)
    sem = asyncio.Semaphore(16)  # a bounded concurrent client

    async def one() -> httpx.Response:
        async with sem:
            return await openai_call(client, key)  # type: ignore[no-any-return]

    statuses = [r.status_code for r in await asyncio.gather(*(one() for _ in range(n)))]
    assert statuses.count(200) == min(n, limit)
    assert statuses.count(429) == n - min(n, limit)


async def test_openai_429_envelope_and_headers(client) -> None:
    key = await new_key(client, requests_per_minute=2, tokens_per_minute=100_000)
    first = await openai_call(client, key)
    assert first.status_code == 200
    h = first.headers
    assert h["x-ratelimit-limit-requests"] == "2"
    assert h["x-ratelimit-remaining-requests"] == "1"
    assert DURATION.match(h["x-ratelimit-reset-requests"])
    assert h["x-ratelimit-limit-tokens"] == "100000"
    assert DURATION.match(h["x-ratelimit-reset-tokens"])
    await openai_call(client, key)
    refused = await openai_call(client, key)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["type"] == "rate_limit_error"
    assert error["code"] == "rate_limit_exceeded"
    assert "requests per minute" in error["message"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-ratelimit-remaining-requests"] == "0"
    assert refused.headers["x-request-id"]


async def test_anthropic_429_envelope_and_rfc3339_resets(client) -> None:
    key = await new_key(client, requests_per_minute=1)
    ok = await anthropic_call(client, key)
    assert ok.status_code == 200
    reset = ok.headers["anthropic-ratelimit-requests-reset"]
    assert datetime.fromisoformat(reset.replace("Z", "+00:00")).tzinfo is not None
    assert ok.headers["anthropic-ratelimit-requests-remaining"] == "0"
    refused = await anthropic_call(client, key)
    assert refused.status_code == 429
    body = refused.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == "rate_limit_error"
    assert refused.headers["retry-after"].isdigit()


async def test_tokens_per_minute_counts_usage(client) -> None:
    key = await new_key(client, tokens_per_minute=20)
    first = await openai_call(client, key, "[[mock tokens=30]] hi")
    assert first.status_code == 200
    used = first.json()["usage"]["total_tokens"]
    assert used > 20
    second = await openai_call(client, key)
    assert second.status_code == 429
    assert "tokens per minute" in second.json()["error"]["message"]
    assert second.headers["x-ratelimit-remaining-tokens"] == "0"


async def test_config_defaults_apply_under_the_keys_own(client) -> None:
    key = await new_key(client, requests_per_minute=50)
    r = await openai_call(client, key)
    # the tightest window is shown: 49 of 50 per minute beats 999 of 1000 per day
    assert r.headers["x-ratelimit-limit-requests"] == "50"
    assert r.headers["x-ratelimit-remaining-requests"] == "49"


async def test_health_models_and_preflights_are_never_limited(client) -> None:
    key = await new_key(client, requests_per_minute=1)
    await openai_call(client, key)
    assert (await openai_call(client, key)).status_code == 429
    for _ in range(5):
        assert (await client.get("/health/live")).status_code == 200
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/v1/models",
                                 headers={"authorization": f"Bearer {key}"})).status_code == 200
        preflight = await client.options("/v1/chat/completions", headers={
            "origin": "https://app.example", "access-control-request-method": "POST"})
        assert preflight.status_code == 204


async def test_auth_comes_before_the_limit(client) -> None:
    key = await new_key(client, requests_per_minute=1)
    await openai_call(client, key)
    r = await openai_call(client, "gk-not-a-key")
    assert r.status_code == 401


async def test_count_tokens_counts_against_request_limits_not_token_limits(client) -> None:
    """count_tokens reaches the upstream: it spends the key's requests, not its tokens."""
    key = await new_key(client, requests_per_minute=2, tokens_per_minute=5)
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
    body = {"model": "mock-chat", "messages": [{"role": "user", "content": "a b c d e f g h"}]}
    first = await client.post("/v1/messages/count_tokens", headers=headers, json=body)
    assert first.status_code == 200, first.text
    assert first.json()["input_tokens"] > 5  # more than the token limit: not counted there
    assert first.headers["anthropic-ratelimit-requests-remaining"] == "1"
    assert "anthropic-ratelimit-tokens-remaining" not in first.headers
    assert (await openai_call(client, key)).status_code == 200  # tokens still unspent
    refused = await client.post("/v1/messages/count_tokens", headers=headers, json=body)
    assert refused.status_code == 429
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert "requests per minute" in refused.json()["error"]["message"]
