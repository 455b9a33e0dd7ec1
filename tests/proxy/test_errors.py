"""Error paths: ERR-1..8, ALIAS-3, LIM-1/3/4, STR-1, STR-O10, STR-A7 (mock faults + fakes)."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest

from .conftest import bearer, chat_body, json_reply, messages_body, xkey
from .test_auth_keys import assert_envelope

SURFACES = {
    "openai": ("/v1/chat/completions", chat_body, bearer),
    "anthropic": ("/v1/messages", messages_body, xkey),
}


def call(client, surface, text="hello", **extra):
    path, body, auth = SURFACES[surface]
    return client.post(path, json=body(text, **extra), headers=auth())


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_invalid_json_400_ERR_6(client, surface):
    path, _, auth = SURFACES[surface]
    r = client.post(path, content=b'{"model": "gpt-4o-mini", "messages": [', headers=auth())
    assert_envelope(r, surface, 400, "invalid_request_error")


@pytest.mark.parametrize(
    ("surface", "body", "param"),
    [
        ("openai", {"messages": [{"role": "user", "content": "x"}]}, "model"),
        ("openai", {"model": "gpt-4o-mini"}, "messages"),
        ("openai", {"model": "gpt-4o-mini", "messages": []}, "messages"),
        ("openai", {"model": "gpt-4o-mini", "messages": [{"role": "wizard", "content": "x"}]},
         "messages[0].role"),
        ("openai", {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": 5}]},
         "messages[0].content"),
        ("openai", {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}],
                    "max_tokens": "ten"}, "max_tokens"),
        ("openai", {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}],
                    "stream": "yes"}, "stream"),
        ("anthropic", {"model": "mock-chat", "messages": [{"role": "user", "content": "x"}]},
         "max_tokens"),
        ("anthropic", {"model": "mock-chat", "max_tokens": 5, "messages": [
            {"role": "system", "content": "x"}]}, "messages[0].role"),
        ("anthropic", [1, 2, 3], None),
    ],
)
def test_schema_invalid_body_400_names_param_ERR_6(client, surface, body, param):
    path, _, auth = SURFACES[surface]
    r = client.post(path, json=body, headers=auth())
    envelope = assert_envelope(r, surface, 400, "invalid_request_error")
    if surface == "openai":
        assert envelope["error"]["param"] == param


def test_stream_options_without_stream_400_STR_O9(client):
    r = call(client, "openai", stream_options={"include_usage": True})
    body = assert_envelope(r, "openai", 400, "invalid_request_error")
    assert body["error"]["param"] == "stream_options"


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_too_many_messages_400(client, surface):
    path, body, auth = SURFACES[surface]
    payload = body()
    roles = ["user", "assistant"]
    payload["messages"] = [{"role": roles[i % 2], "content": "x"} for i in range(1001)]
    r = client.post(path, json=payload, headers=auth())
    assert_envelope(r, surface, 400, "invalid_request_error")
    assert "1001" in (r.json()["error"]["message"])


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_unknown_model_404_ALIAS_3(client, surface):
    path, body, auth = SURFACES[surface]
    r = client.post(path, json={**body(), "model": "no-such-model"}, headers=auth())
    env = assert_envelope(r, surface, 404,
                          "not_found_error" if surface == "anthropic" else "invalid_request_error")
    if surface == "openai":
        assert env["error"]["code"] == "model_not_found"


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_body_over_limit_413_json_LIM_4(client, surface):
    path, _, auth = SURFACES[surface]
    big = b'{"model": "mock-chat", "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    r = client.post(path, content=big, headers=auth())
    env = assert_envelope(r, surface, 413)
    if surface == "anthropic":
        assert env["error"]["type"] == "request_too_large"


@pytest.mark.anyio
async def test_body_limit_enforced_while_reading_chunked_LIM_4(inproc):
    sent = 0

    async def body():
        nonlocal sent
        for _ in range(100):
            sent += 1
            yield b"x" * 4096

    async def never(request):
        raise AssertionError("the upstream must not be called")

    async with inproc(never, **{"max-body-bytes": 10_000}) as c:
        r = await c.post("/v1/chat/completions", content=body(), headers=bearer())
    assert r.status_code == 413
    assert sent < 100  # refused on the way, not after reading everything


@pytest.mark.parametrize("anthropic", [False, True])
def test_unknown_route_404_even_without_auth_ERR_7(client, anthropic):
    headers = {"anthropic-version": "2023-06-01"} if anthropic else {}
    r = client.get("/v1/does-not-exist", headers=headers)
    assert_envelope(r, "anthropic" if anthropic else "openai", 404)
    assert client.post("/nope").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("GET", "/v1/chat/completions", "POST"), ("DELETE", "/v1/messages", "POST"),
     ("POST", "/v1/models", "GET"), ("PUT", "/keys", "GET, POST")],
)
def test_wrong_method_405_with_allow_ERR_7(client, method, path, allow):
    r = client.request(method, path, headers=bearer())
    assert r.status_code == 405
    assert r.headers["allow"].startswith(allow)
    assert "error" in r.json()


UPSTREAM_STATUS = [
    # fault, client status on OpenAI surface, on Anthropic surface
    ("400", 400, 400),
    ("404", 404, 404),
    ("429 retry_after=2", 429, 429),
    ("529", 503, 529),
    ("500", 502, 502),
    ("503", 503, 529),
    ("401", 502, 502),
    ("403", 502, 502),
]


@pytest.mark.parametrize(("fault", "o_status", "a_status"), UPSTREAM_STATUS)
@pytest.mark.parametrize("surface", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [False, True])
def test_upstream_status_keeps_meaning_ERR_5_STR_1(client, surface, fault, o_status, a_status,
                                                   stream):
    extra = {"stream": True} if stream else {}
    r = call(client, surface, f"hi [[mock fault={fault}]]", **extra)
    status = o_status if surface == "openai" else a_status
    env = assert_envelope(r, surface, status)  # JSON before the first byte, even for streams
    message = env["error"]["message"]
    if fault in ("401", "403"):
        # the PROXY's upstream credentials failed: never a 401 that blames the client's key
        assert "gateway" in message
        assert "not your API key" in message
    if fault.startswith("429"):
        assert r.headers["retry-after"] == "2"  # LIM-3


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
@pytest.mark.parametrize("fault", ["reset", "cut", "error-event", "malformed"])
def test_failure_after_200_is_one_error_event_STR_O10_STR_A7(client, surface, fault):
    r = call(client, surface, f"hi [[mock fault={fault} after=3]]", stream=True)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    frames = [f for f in r.text.split("\n\n") if f.strip()]
    errors = [f for f in frames if f.startswith(("event: error", 'data: {"error"'))]
    assert len(errors) == 1, r.text
    assert frames[-1] == errors[0]  # the error ends the stream
    assert "data: [DONE]" not in r.text
    if surface == "anthropic":
        assert errors[0].startswith("event: error\ndata: ")
        assert "message_stop" not in r.text
        data = orjson.loads(errors[0].split("data: ", 1)[1])
        assert data["type"] == "error"
        assert data["error"]["type"]
    else:
        assert "event:" not in r.text
        data = orjson.loads(errors[0].removeprefix("data: "))
        assert set(data["error"]) == {"message", "type", "param", "code"}
        assert '"finish_reason":"stop"' not in r.text


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_never_200_with_error_body_ERR_4(client, surface):
    r = call(client, surface, "hi [[mock fault=error-event]]")
    assert r.status_code == 502
    assert_envelope(r, surface, 502)


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_upstream_not_json_502_ERR_8(client, surface):
    r = call(client, surface, "hi [[mock fault=malformed]]")
    assert_envelope(r, surface, 502)


@pytest.mark.anyio
@pytest.mark.parametrize(("stall", "status"), [(True, 504), (False, 502)])
async def test_upstream_timeout_504_and_connect_error_502(inproc, stall, status):
    async def slow(request):
        await asyncio.sleep(0.6)
        return json_reply(200, {})

    async with inproc(slow if stall else None, timeouts={"read": 0.2}) as c:
        r = await c.post("/v1/chat/completions", json=chat_body(), headers=bearer())
        assert r.status_code == status
        assert set(r.json()["error"]) == {"message", "type", "param", "code"}
        r = await c.post("/v1/messages", json=messages_body(model="gpt-4o-mini"), headers=xkey())
        assert r.status_code == status
        assert r.json()["type"] == "error"
        r = await c.post("/v1/messages", json=messages_body(model="gpt-4o-mini", stream=True),
                         headers=xkey())
        assert r.status_code == status


@pytest.mark.anyio
async def test_upstream_total_deadline_504(inproc):
    async def slow(request):
        await asyncio.sleep(0.6)
        return json_reply(200, {})

    async with inproc(slow, timeouts={"total": 0.2}) as c:
        r = await c.post("/v1/chat/completions", json=chat_body(), headers=bearer())
    assert r.status_code == 504
    assert r.json()["error"]["type"] == "timeout_error"


@pytest.mark.anyio
async def test_upstream_error_message_never_leaks_upstream_key(inproc, monkeypatch):
    secret = "sk-" "upstreamSECRET0123456789abcdefghij"  # split: a fake key
    monkeypatch.setenv("GATECHECK_TEST_UPSTREAM_KEY", secret)
    seen = []

    async def handler(request):
        seen.append(request.headers["authorization"])
        return json_reply(400, {"error": {"message": f"bad request with key {secret}",
                                          "type": "invalid_request_error"}})

    provider = {"api-key-envs": ["GATECHECK_TEST_UPSTREAM_KEY"]}
    async with inproc(handler, provider=provider) as c:
        r = await c.post("/v1/chat/completions", json=chat_body(), headers=bearer())
    assert seen == [f"Bearer {secret}"]
    assert r.status_code == 400
    assert secret not in r.text


@pytest.mark.anyio
@pytest.mark.parametrize("stream", [False, True])
async def test_upstream_body_of_the_wrong_shape_is_502_or_one_error_event(inproc, stream):
    """An OpenAI upstream answering 200 with nonsense, translated for an Anthropic caller."""
    async def handler(request):
        if stream:
            return 200, {"content-type": "text/event-stream"}, b'data: {"choices": "oops"}\n\n'
        return json_reply(200, {"id": "x", "choices": 5})

    async with inproc(handler) as c:
        r = await c.post("/v1/messages", headers=xkey(),
                         json=messages_body(model="gpt-4o-mini", stream=stream))
    if not stream:
        assert_envelope(r, "anthropic", 502)
        return
    assert r.status_code == 200
    frames = [f for f in r.text.split("\n\n") if f.strip()]
    assert frames[-1].startswith("event: error\n")
    assert sum(f.startswith("event: error") for f in frames) == 1


def test_too_many_stop_sequences_over_an_openai_upstream_name_stop_sequences(openai_stack):
    """The client sent stop_sequences; the error names stop_sequences, never 'stop'."""
    body = messages_body(stop_sequences=["a", "b", "c", "d", "e"])
    with httpx.Client(base_url=openai_stack.proxy_url, timeout=30.0) as c:
        r = c.post("/v1/messages", json=body, headers=xkey())
    env = assert_envelope(r, "anthropic", 400)
    assert env["error"]["type"] == "invalid_request_error"
    assert "stop_sequences" in env["error"]["message"]
    assert "'stop'" not in env["error"]["message"]
