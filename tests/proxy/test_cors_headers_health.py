"""CORS (CORS-1..9), headers (HDR-1/2/6, gzip), health (HEALTH-1..3), models (MOD-*)."""

from __future__ import annotations

import gzip

import httpx
import pytest

from gatecheck.proxy import create_app, parse_config

from .conftest import ADMIN, bearer, chat_body, messages_body, xkey

ORIGIN = "https://app.example"
REQUESTED = ("authorization,content-type,x-api-key,anthropic-version,anthropic-beta,"
             "anthropic-dangerous-direct-browser-access,x-stainless-arch,x-stainless-lang,"
             "x-stainless-os,x-stainless-package-version,x-stainless-retry-count,"
             "x-stainless-runtime,x-stainless-runtime-version,x-stainless-timeout")


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages", "/v1/models",
                                  "/chat/completions", "/v1/does-not-exist"])
def test_preflight_204_before_auth_reflects_headers_CORS_1_2_3_6_7_8(client, path):
    r = client.options(path, headers={"origin": ORIGIN, "access-control-request-method": "POST",
                                      "access-control-request-headers": REQUESTED})
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert set(REQUESTED.split(",")) <= allowed
    assert "origin" in r.headers["vary"].lower()
    assert "access-control-request-headers" in r.headers["vary"].lower()
    assert 600 <= int(r.headers["access-control-max-age"]) <= 7200
    exposed = r.headers["access-control-expose-headers"].lower()
    for name in ("x-request-id", "request-id", "retry-after", "x-ratelimit-remaining-requests",
                 "anthropic-ratelimit-requests-remaining"):
        assert name in exposed
    assert r.headers["x-request-id"]


def test_acao_on_success_error_and_stream_CORS_4(client):
    o = {"origin": ORIGIN}
    responses = [
        client.post("/v1/chat/completions", json=chat_body(), headers={**o, **bearer()}),
        client.post("/v1/chat/completions", json=chat_body(), headers=o),  # 401
        client.post("/v1/messages", json=messages_body("[[mock fault=429]]"),
                    headers={**o, **xkey()}),
        client.post("/v1/messages", json=messages_body(stream=True), headers={**o, **xkey()}),
        client.get("/v1/nope", headers=o),
    ]
    assert [r.status_code for r in responses] == [200, 401, 429, 200, 404]
    for r in responses:
        assert r.headers["access-control-allow-origin"] == "*"
        assert "x-request-id" in r.headers["access-control-expose-headers"]


@pytest.mark.anyio
async def test_credentials_mode_exact_origin_and_disallowed_origin_CORS_5_9():
    raw = {"provider": [{"name": "up", "format": "openai", "base-url": "http://u"}],
           "cors-origins": [ORIGIN], "cors-allow-credentials": True}
    app = create_app(parse_config(raw), admin_key=ADMIN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://p") as c:
        pre = {"access-control-request-method": "POST",
               "access-control-request-headers": "authorization"}
        ok = await c.options("/v1/chat/completions", headers={"origin": ORIGIN, **pre})
        assert ok.headers["access-control-allow-origin"] == ORIGIN
        assert ok.headers["access-control-allow-credentials"] == "true"
        bad = await c.options("/v1/chat/completions", headers={"origin": "https://evil", **pre})
        assert bad.status_code == 204
        assert "access-control-allow-origin" not in bad.headers
        assert "origin" in bad.headers["vary"].lower()
        live = await c.get("/health/live", headers={"origin": "https://evil"})
        assert live.status_code == 200
        assert "access-control-allow-origin" not in live.headers
        assert live.headers["vary"] == "Origin"
        live = await c.get("/health/live", headers={"origin": ORIGIN})
        assert live.headers["access-control-allow-origin"] == ORIGIN


def test_request_id_on_every_response_and_inbound_kept_HDR_1_HDR_2(client):
    r = client.get("/health/live", headers={"x-request-id": "trace-123.abc"})
    assert r.headers["x-request-id"] == r.headers["request-id"] == "trace-123.abc"
    r = client.get("/health/live", headers={"x-request-id": "bad id with spaces"})
    assert r.headers["x-request-id"].startswith("req_")
    r = client.post("/v1/messages", json={}, headers=xkey())
    assert r.json()["request_id"] == r.headers["request-id"]


def test_gzip_for_non_stream_json_when_accepted(client):
    r = client.get("/v1/models", headers={**bearer(), "accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.json()["object"] == "list"  # httpx decoded it
    plain = client.get("/v1/models", headers={**bearer(), "accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    with client.stream("GET", "/v1/models", headers={**bearer(), "accept-encoding": "gzip"}) as s:
        raw = b"".join(s.iter_raw())
    assert gzip.decompress(raw) == plain.content


def test_health_endpoints_HEALTH_1_2_3(client, stack):
    live = client.get("/health/live")
    assert live.status_code == 200
    assert live.json() == {"status": "alive"}
    health = client.get("/health")
    assert health.status_code == 200
    body = health.json()
    assert body["providers"]["mock"]["reachable"] is True
    assert stack.admin_key not in health.text
    ready = client.get("/v1/health/ready")
    assert ready.status_code == 200
    assert ready.json()["usable_providers"] == ["mock"]


def test_ready_503_when_no_upstream_usable_HEALTH_2():
    import socket

    from gatecheck.embedded import serve_in_thread

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]  # bound, never listening: connections are refused
        raw = {"provider": [{"name": "gone", "format": "openai",
                             "base-url": f"http://127.0.0.1:{dead}", "models": ["m"]}]}
        app = create_app(parse_config(raw), admin_key=ADMIN)
        with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as c:
            r = c.get("/health/ready")
            assert r.status_code == 503
            assert r.json()["status"] == "not_ready"
            assert c.get("/health").json()["providers"]["gone"]["reachable"] is False
            assert c.get("/health/live").status_code == 200
            r = c.post("/v1/chat/completions", headers=bearer(),
                       json={"model": "m", "messages": [{"role": "user", "content": "x"}]})
            assert r.status_code == 502


def test_models_need_auth_and_unknown_404_MOD_2_MOD_4(client):
    assert client.get("/v1/models").status_code == 401
    r = client.get("/v1/models/nope", headers=bearer())
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "model_not_found"
    r = client.get("/models/gpt-4o-mini", headers=bearer())
    assert r.json() == {**r.json(), "id": "gpt-4o-mini", "object": "model"}
    r = client.get("/v1/models/mock-chat", headers=xkey())
    assert r.json()["type"] == "model"
    assert r.json()["created_at"].endswith("Z")
    page = client.get("/v1/models?limit=1&after_id=claude-3-5-haiku-latest", headers=xkey())
    assert [m["id"] for m in page.json()["data"]] == ["gpt-4o-mini"]
    assert page.json()["has_more"] is True


def test_every_route_also_without_v1_prefix(client):
    assert client.post("/chat/completions", json=chat_body(), headers=bearer()).status_code == 200
    assert client.post("/messages", json=messages_body(), headers=xkey()).status_code == 200
    assert client.post("/messages/count_tokens", headers=xkey(), json={
        "model": "mock-chat", "messages": [{"role": "user", "content": "x"}]}).status_code == 200
    assert client.get("/keys", headers=bearer()).status_code == 200
    assert client.get("/usage", headers=bearer()).status_code == 200
    assert client.get("/v1/health/live").status_code == 200


def test_anthropic_version_defaulted_and_beta_forwarded_AUTH_9_AUTH_10(anthropic_stack):
    with httpx.Client(base_url=anthropic_stack.proxy_url, timeout=10) as c:
        c.post("/_mock/reset")
        r = c.post("/v1/messages", json=messages_body("versions"),
                   headers={"x-api-key": ADMIN, "anthropic-beta": "prompt-caching-2024-07-31"})
        assert r.status_code == 200
        r = c.post("/v1/messages", json=messages_body("versions 2"),
                   headers={**xkey(), "anthropic-version": "2026-10-21"})
        assert r.status_code == 200
    with httpx.Client(base_url=anthropic_stack.mock_url, timeout=10) as m:
        log = m.get("/_mock/log").json()
    entries = log["entries"] if isinstance(log, dict) else log
    text = repr(entries)
    assert "prompt-caching-2024-07-31" in text
    assert "2023-06-01" in text
    assert "2026-10-21" in text
