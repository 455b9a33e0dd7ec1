"""Retries, circuit breaker, failover, concurrency gate and timeouts, driven by mock faults.

The proxy runs in-process (httpx.ASGITransport) over the mock served on loopback. The
dispatcher gets an injected clock and sleep, so cool-downs and backoffs take no time: the
tests read the waits the proxy asked for instead of sleeping through them.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest

from gatecheck.embedded import serve_in_thread
from gatecheck.mock import MockApp
from gatecheck.mock import create_app as create_mock
from gatecheck.proxy import ProxyApp, create_app, parse_config
from gatecheck.proxy.dispatch import Dispatcher

ADMIN = "gk-admin-resilience-0123456789abcdef0123"
pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def mock() -> Iterator[tuple[str, MockApp]]:
    app = create_mock()
    with serve_in_thread(app) as url:
        yield url, app


@dataclass
class Proxy:
    client: httpx.AsyncClient
    app: ProxyApp
    mock: MockApp
    waits: list[float] = field(default_factory=list)
    now: float = 0.0

    def sent(self) -> int:
        """Requests the mock has received so far."""
        return int(self.mock.log.total)

    async def chat(self, directive: str = "", *, stream: bool = False,
                   model: str = "gpt-4o-mini", **extra: Any) -> httpx.Response:
        text = f"hi [[mock {directive}]]" if directive else "hi"
        body = {"model": model, "messages": [{"role": "user", "content": text}],
                "stream": stream, **extra}
        return await self.client.post("/v1/chat/completions", json=body,
                                      headers={"authorization": f"Bearer {ADMIN}"})


def _dead_url() -> tuple[str, socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, never listening: connection refused
    return f"http://127.0.0.1:{sock.getsockname()[1]}", sock


@contextlib.asynccontextmanager
async def proxy(
    mock: tuple[str, MockApp],
    *,
    providers: list[dict[str, Any]] | None = None,
    aliases: dict[str, Any] | None = None,
    **config: Any,
) -> AsyncIterator[Proxy]:
    url, mock_app = mock
    raw = {
        "provider": providers or [{"name": "mock", "format": "openai", "base-url": url,
                                   "models": ["mock-chat"]}],
        "aliases": aliases or {"gpt-4o-mini": "mock/mock-chat"},
        **config,
    }
    cfg = parse_config(raw)
    app = create_app(cfg, admin_key=ADMIN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://proxy",
                                 timeout=30) as client:
        p = Proxy(client, app, mock_app)

        async def sleep(seconds: float) -> None:
            p.waits.append(seconds)

        app.forwarder.dispatch = Dispatcher(cfg, app.upstream, clock=lambda: p.now, sleep=sleep)
        try:
            yield p
        finally:
            await app.aclose()


# -- retries ------------------------------------------------------------------------------


async def test_5xx_is_retried_with_bounded_jittered_backoff(mock) -> None:
    retries = {"max-attempts": 3, "backoff-initial": 0.5, "backoff-max": 1.0}
    async with proxy(mock, retries=retries) as p:
        before = p.sent()
        r = await p.chat("fault=500")
        assert r.status_code == 502
        assert p.sent() - before == 3
        assert len(p.waits) == 2
        assert 0 <= p.waits[0] <= 0.5
        assert 0 <= p.waits[1] <= 1.0


async def test_upstream_retry_after_is_honoured_then_passed_on(mock) -> None:
    async with proxy(mock, retries={"max-attempts": 3, "retry-after-cap": 5}) as p:
        before = p.sent()
        r = await p.chat("fault=429 retry_after=2")
        assert r.status_code == 429
        assert r.headers["retry-after"] == "2"
        assert p.sent() - before == 3
        assert p.waits == [2.0, 2.0]


async def test_retry_after_beyond_the_cap_goes_straight_to_the_client(mock) -> None:
    async with proxy(mock, retries={"max-attempts": 3, "retry-after-cap": 5}) as p:
        before = p.sent()
        r = await p.chat("fault=429 retry_after=9")
        assert r.status_code == 429
        assert r.headers["retry-after"] == "9"
        assert p.sent() - before == 1
        assert p.waits == []


@pytest.mark.parametrize("fault", ["400", "401", "404", "413", "422"])
async def test_other_4xx_are_never_retried(mock, fault: str) -> None:
    async with proxy(mock, retries={"max-attempts": 5}) as p:
        before = p.sent()
        await p.chat(f"fault={fault}")
        assert p.sent() - before == 1
        assert p.waits == []


async def test_a_stream_is_retried_only_before_it_starts(mock) -> None:
    async with proxy(mock, retries={"max-attempts": 3}) as p:
        before = p.sent()
        r = await p.chat("fault=503", stream=True)  # before the 200: retried
        assert r.status_code == 503
        assert p.sent() - before == 3
        before = p.sent()
        r = await p.chat("fault=reset after=2", stream=True)  # after the 200: never
        assert r.status_code == 200
        assert '"error"' in r.text
        assert p.sent() - before == 1


async def test_connect_errors_are_retried(mock) -> None:
    dead, sock = _dead_url()
    with sock:
        providers = [{"name": "dead", "format": "openai", "base-url": dead, "models": ["m"]}]
        async with proxy(mock, providers=providers, aliases={"gpt-4o-mini": "dead/m"},
                         retries={"max-attempts": 3}) as p:
            r = await p.chat()
            assert r.status_code == 502
            assert len(p.waits) == 2
            assert p.app.upstream.state["dead"].requests == 3


# -- circuit breaker ----------------------------------------------------------------------


async def _health(p: Proxy) -> dict[str, Any]:
    r = await p.client.get("/health")
    return dict(r.json()["providers"]["mock"]["breaker"])


async def test_breaker_opens_on_5xx_answers_503_then_probes_once(mock) -> None:
    cb = {"failure-threshold": 3, "cooldown": 30}
    async with proxy(mock, retries={"max-attempts": 1}, **{"circuit-breaker": cb}) as p:
        for _ in range(3):
            assert (await p.chat("fault=500")).status_code == 502
        assert (await _health(p))["state"] == "open"
        ready = await p.client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["breakers"] == {"mock": "open"}
        assert (await p.client.get("/health")).json()["status"] == "unavailable"
        before = p.sent()
        r = await p.chat()
        assert r.status_code == 503
        assert r.headers["retry-after"] == "30"
        assert r.json()["error"]["type"] == "service_unavailable_error"
        assert p.sent() == before  # refused without touching the upstream
        p.now = 29.0
        assert (await p.chat()).status_code == 503
        p.now = 30.0
        assert (await p.chat()).status_code == 200  # the probe succeeds: closed
        assert (await _health(p))["state"] == "closed"
        assert (await p.client.get("/health/ready")).status_code == 200


async def test_failed_probe_reopens(mock) -> None:
    cb = {"failure-threshold": 2, "cooldown": 10}
    async with proxy(mock, retries={"max-attempts": 3}, **{"circuit-breaker": cb}) as p:
        for _ in range(2):
            await p.chat("fault=529")
        p.now = 10.0
        before = p.sent()
        assert (await p.chat("fault=500")).status_code == 502
        assert p.sent() - before == 1  # a probe gets one attempt, no retries
        health = await _health(p)
        assert health["state"] == "open"
        assert health["times_opened"] == 2


@pytest.mark.parametrize("fault", ["400", "404", "429 retry_after=1", "413"])
async def test_client_errors_never_open_the_breaker(mock, fault: str) -> None:
    cb = {"failure-threshold": 2}
    async with proxy(mock, retries={"max-attempts": 1}, **{"circuit-breaker": cb}) as p:
        for _ in range(6):
            await p.chat(f"fault={fault}")
        health = await _health(p)
        assert health["state"] == "closed"
        assert health["consecutive_failures"] == 0
        assert (await p.chat()).status_code == 200


async def test_half_open_lets_exactly_one_request_through(mock) -> None:
    cb = {"failure-threshold": 1, "cooldown": 5}
    async with proxy(mock, retries={"max-attempts": 1}, **{"circuit-breaker": cb}) as p:
        await p.chat("fault=500")
        p.now = 5.0
        before = p.sent()
        # all slow: whichever becomes the probe is still in flight when the others arrive
        results = await asyncio.gather(*(p.chat("ttft=1000") for _ in range(6)))
        statuses = sorted(r.status_code for r in results)
        assert statuses == [200, 503, 503, 503, 503, 503]
        assert p.sent() - before == 1


async def test_timeouts_count_as_failures(mock) -> None:
    cb = {"failure-threshold": 2}
    async with proxy(mock, retries={"max-attempts": 1}, timeouts={"total": 0.3},
                     **{"circuit-breaker": cb}) as p:
        for _ in range(2):
            assert (await p.chat("fault=hang")).status_code == 504
        assert (await _health(p))["state"] == "open"


# -- failover -----------------------------------------------------------------------------


async def test_failover_skips_a_provider_whose_breaker_is_open(mock) -> None:
    url, _ = mock
    dead, sock = _dead_url()
    with sock:
        providers = [
            {"name": "dead", "format": "openai", "base-url": dead, "models": ["m-dead"]},
            {"name": "mock", "format": "anthropic", "base-url": url, "models": ["mock-chat"]},
        ]
        aliases = {"gpt-4o-mini": ["dead/m-dead", "mock/mock-chat"]}
        async with proxy(mock, providers=providers, aliases=aliases,
                         retries={"max-attempts": 1},
                         **{"circuit-breaker": {"failure-threshold": 2}}) as p:
            for _ in range(4):
                r = await p.chat()
                assert r.status_code == 200
                assert r.headers["x-gatecheck-resolved-model"] == "mock-chat"
                assert r.json()["model"] == "gpt-4o-mini"
            # two failures opened the dead provider's breaker; after that it is skipped
            assert p.app.upstream.state["dead"].requests == 2
            r = await p.chat(stream=True)
            assert r.status_code == 200
            assert r.text.rstrip().endswith("data: [DONE]")


async def test_all_providers_open_is_503_with_retry_after(mock) -> None:
    dead, sock = _dead_url()
    with sock:
        providers = [{"name": "dead", "format": "openai", "base-url": dead, "models": ["m"]}]
        async with proxy(mock, providers=providers, aliases={"gpt-4o-mini": "dead/m"},
                         retries={"max-attempts": 1},
                         **{"circuit-breaker": {"failure-threshold": 1, "cooldown": 12}}) as p:
            assert (await p.chat()).status_code == 502
            r = await p.client.post(
                "/v1/messages", headers={"x-api-key": ADMIN, "anthropic-version": "2023-06-01"},
                json={"model": "gpt-4o-mini", "max_tokens": 5,
                      "messages": [{"role": "user", "content": "hi"}]})
            assert r.status_code == 503
            assert r.headers["retry-after"] == "12"
            assert r.json()["type"] == "error"


# -- concurrency gate ---------------------------------------------------------------------


async def test_full_queue_answers_503_at_once(mock) -> None:
    url, _ = mock
    providers = [{"name": "mock", "format": "openai", "base-url": url, "models": ["mock-chat"],
                  "max-concurrency": 1, "queue-size": 1}]
    async with proxy(mock, providers=providers, retries={"max-attempts": 1}) as p:
        slow = [asyncio.create_task(p.chat("ttft=400")) for _ in range(2)]
        gate = p.app.forwarder.dispatch.gates["mock"]
        for _ in range(200):  # bounded: until one holds the slot and one waits
            if gate.active == 1 and gate.waiting == 1:
                break
            await asyncio.sleep(0.01)
        third = await p.chat("ttft=400")
        assert third.status_code == 503
        assert third.headers["retry-after"] == "1"
        assert not all(t.done() for t in slow)  # refused at once, not queued behind them
        assert [r.status_code for r in await asyncio.gather(*slow)] == [200, 200]
        assert (await _health(p))["consecutive_failures"] == 0


# -- timeouts -----------------------------------------------------------------------------


async def test_first_byte_timeout_is_504(mock) -> None:
    async with proxy(mock, retries={"max-attempts": 1}, timeouts={"first-byte": 0.3}) as p:
        r = await p.chat("fault=hang", stream=True)
        assert r.status_code == 504
        assert r.json()["error"]["type"] == "timeout_error"


async def test_total_timeout_is_504(mock) -> None:
    async with proxy(mock, retries={"max-attempts": 1}, timeouts={"total": 0.3}) as p:
        r = await p.chat("fault=hang")
        assert r.status_code == 504


@pytest.mark.parametrize("directive", ["fault=silence hold_ms=3000",
                                       "tokens=8 stall_after=2 stall_ms=3000"])
async def test_idle_stream_ends_with_an_error_event(mock, directive: str) -> None:
    async with proxy(mock, retries={"max-attempts": 1}, timeouts={"idle": 0.3}) as p:
        r = await p.chat(directive, stream=True)
        assert r.status_code == 200
        events = [line[6:] for line in r.text.splitlines() if line.startswith("data: ")]
        last = orjson.loads(events[-1])
        assert last["error"]["type"] == "timeout_error"
        assert "[DONE]" not in events


async def test_total_stream_deadline_ends_with_an_error_event(mock) -> None:
    async with proxy(mock, retries={"max-attempts": 1}, timeouts={"total": 0.5}) as p:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        r = await p.chat("tokens=100 itl=50", stream=True)
        elapsed = loop.time() - t0
        assert r.status_code == 200
        events = [line[6:] for line in r.text.splitlines() if line.startswith("data: ")]
        assert len(events) > 2  # content flowed before the deadline
        assert orjson.loads(events[-1])["error"]["type"] == "timeout_error"
        assert elapsed < 3  # not the whole 5 s reply (generous)


@contextlib.contextmanager
def _unanswered_port() -> Iterator[str]:
    """A port whose accept queue is full: SYNs are dropped, so connecting times out."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    try:
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        yield f"http://127.0.0.1:{port}"
    finally:
        for filler in fillers:
            filler.close()
        server.close()


async def test_connect_timeout_is_504_and_retried(mock) -> None:
    with _unanswered_port() as url:
        providers = [{"name": "slow", "format": "openai", "base-url": url, "models": ["m"]}]
        async with proxy(mock, providers=providers, aliases={"gpt-4o-mini": "slow/m"},
                         retries={"max-attempts": 2}, timeouts={"connect": 0.3}) as p:
            r = await p.chat()
            assert r.status_code == 504
            assert "connect" in r.json()["error"]["message"]
            assert p.app.upstream.state["slow"].requests == 2
            assert len(p.waits) == 1
            breaker = p.app.upstream.state["slow"].breaker
            assert breaker is not None
            assert breaker.consecutive_failures == 1  # one client request, one failure
