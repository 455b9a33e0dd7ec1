"""GET /metrics: Prometheus text with requests, latency, TTFT, tokens, retries, breaker,
rate-limit rejections; bounded labels."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gatecheck.embedded import serve_in_thread
from gatecheck.mock import create_app as create_mock
from gatecheck.proxy import create_app, parse_config

ADMIN = "gk-admin-metrics-0123456789abcdef0123456"
pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with serve_in_thread(create_mock()) as url:
        yield url


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(all_: dict, name: str, **labels: str) -> float:
    return all_.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_cover_the_issue_list(mock_url: str) -> None:
    config = parse_config({
        "provider": [{"name": "mock", "format": "openai", "base-url": mock_url,
                      "models": ["mock-chat"]}],
        "aliases": {"gpt-4o-mini": "mock/mock-chat"},
        "retries": {"max-attempts": 2, "backoff-initial": 0.01, "backoff-max": 0.01},
        "circuit-breaker": {"failure-threshold": 1, "cooldown": 60},
    })
    app = create_app(config, admin_key=ADMIN)
    auth = {"authorization": f"Bearer {ADMIN}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://p",
                                 timeout=30) as c:
        def chat(text: str, stream: bool = False, model: str = "gpt-4o-mini"):
            return c.post("/v1/chat/completions", headers=auth, json={
                "model": model, "stream": stream,
                "messages": [{"role": "user", "content": text}]})

        assert (await chat("[[mock tokens=5]]")).status_code == 200
        assert (await chat("[[mock tokens=5 ttft=50]]", stream=True)).status_code == 200
        assert (await chat("hi", model="sk-secret-looking-model")).status_code == 404
        assert (await c.get("/v1/models/whatever", headers=auth)).status_code == 404
        created = await c.post("/v1/keys", headers=auth, json={
            "name": "m", "rate_limits": {"requests_per_minute": 1}})
        key = created.json()["key"]
        for _ in range(2):
            await c.post("/v1/chat/completions", headers={"authorization": f"Bearer {key}"},
                         json={"model": "mock-chat",
                               "messages": [{"role": "user", "content": "hi"}]})
        assert (await chat("[[mock fault=500]]")).status_code == 502  # retried once, opens
        r = await c.get("/metrics")
    await app.aclose()
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert "sk-secret" not in text
    all_ = samples(text)
    requests = "gatecheck_proxy_requests_total"
    assert value(all_, requests, route="/chat/completions", status="200", model="gpt-4o-mini") == 2
    assert value(all_, requests, route="/chat/completions", status="404", model="unknown") == 1
    assert value(all_, requests, route="/models/{id}", status="404", model="") == 1
    assert value(all_, requests, route="/chat/completions", status="429", model="") == 1
    assert value(all_, "gatecheck_proxy_request_duration_seconds_count",
                 route="/chat/completions") >= 4
    assert value(all_, "gatecheck_proxy_time_to_first_token_seconds_count",
                 model="gpt-4o-mini") == 1
    assert value(all_, "gatecheck_proxy_time_to_first_token_seconds_sum",
                 model="gpt-4o-mini") >= 0.05
    assert value(all_, "gatecheck_proxy_tokens_total", direction="output",
                 model="gpt-4o-mini") == 10
    assert value(all_, "gatecheck_proxy_tokens_total", direction="input",
                 model="gpt-4o-mini") > 0
    assert value(all_, "gatecheck_proxy_upstream_retries_total", provider="mock") == 1
    assert value(all_, "gatecheck_proxy_circuit_breaker_state", provider="mock") == 1
    assert value(all_, "gatecheck_proxy_rate_limit_rejections_total",
                 window="requests_per_minute") == 1
