"""Unit tests of the misbehave wrapper: each rewrite on canned requests, answers and events."""

from __future__ import annotations

import httpx
import orjson
import pytest

from gatecheck import UsageError
from gatecheck.mock._misbehaviours import Exchange, rewrite_json, rewrite_request, rewrite_start
from gatecheck.mock._misbehaviours_sse import rewrite_event, stream_end
from gatecheck.mock.misbehave import MODES, wrap


def ex(*modes, path="/v1/chat/completions", method="POST", body=None, headers=None):
    raw = orjson.dumps(body if body is not None else {"model": "m", "messages": []})
    return Exchange(method=method, path=path, headers=headers or {}, body=raw,
                    modes=frozenset(modes), count=1)


def start(status=200, **headers):
    return {"type": "http.response.start", "status": status,
            "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]}


def test_every_mode_is_documented_in_the_module_docstring():
    import gatecheck.mock.misbehave as module

    missing = [m for m in MODES if m not in module.__doc__]
    assert not missing


def test_unknown_modes_are_refused():
    with pytest.raises(UsageError, match="known:"):
        wrap(object(), ["no-such"])


def test_request_rewrites():
    e = ex("ignore-stop", body={"model": "m", "messages": [], "stop": ["x"]})
    assert "stop" not in orjson.loads(rewrite_request(e))
    e = ex("accept-empty-messages", body={"model": "m", "messages": []})
    assert orjson.loads(rewrite_request(e))["messages"]
    assert rewrite_request(ex()) == ex().body


def test_json_rewrites_change_status_and_body():
    e = ex("error-as-string")
    body = {"error": {"message": "bad key", "type": "t", "param": None, "code": None}}
    _, out = rewrite_json(e, start(401), orjson.dumps(body))
    assert orjson.loads(out) == {"error": "bad key"}
    new_start, _ = rewrite_json(ex("error-200"), start(502), orjson.dumps(body))
    assert new_start["status"] == 200
    e = ex("total-zero")
    _, out = rewrite_json(e, start(200), orjson.dumps({"usage": {"prompt_tokens": 1,
                                                                 "completion_tokens": 1,
                                                                 "total_tokens": 2}}))
    assert orjson.loads(out)["usage"]["total_tokens"] == 0


def test_header_rewrites():
    out = rewrite_start(ex("no-request-id"), start(200, x_request_id="r", request_id="r"), b"{}")
    names = {k for k, _ in out["headers"]}
    assert b"x-request-id" not in names
    assert b"request-id" not in names
    assert (b"content-length", b"2") in out["headers"]
    out = rewrite_start(ex("no-retry-after"), start(429, retry_after="2"), b"{}")
    assert b"retry-after" not in {k for k, _ in out["headers"]}


def chunk(**delta):
    return orjson.dumps({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                         "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                        ).decode()


def test_openai_stream_rewrites():
    assert rewrite_event(ex("no-done"), "data: [DONE]") == ""
    assert rewrite_event(ex(), "data: [DONE]") == "data: [DONE]\n\n"
    out = rewrite_event(ex("no-role", "sse-ids"), f"data: {chunk(role='assistant', content='')}")
    assert out.startswith("id: 1\n")
    assert "role" not in out
    out = rewrite_event(ex("no-finish-reason-key"), f"data: {chunk(content='x')}")
    assert "finish_reason" not in out
    assert rewrite_event(ex(), ": keep-alive") == ": keep-alive\n\n"


def test_anthropic_stream_rewrites():
    path = "/v1/messages"
    e = ex("block-before-start", "anthropic-done", path=path)
    start_event = 'event: message_start\ndata: {"type":"message_start","message":{"usage":{}}}'
    block = ('event: content_block_start\ndata: {"type":"content_block_start","index":0,'
             '"content_block":{"type":"text","text":""}}')
    assert rewrite_event(e, start_event) == ""
    out = rewrite_event(e, block)
    assert out.index("content_block_start") < out.index("message_start")
    assert stream_end(e) == "data: [DONE]\n\n"
    out = rewrite_event(ex("data-only", path=path), block)
    assert not out.startswith("event:")


def test_wrapper_rewrites_a_whole_asgi_exchange():
    async def app(scope, receive, send):
        await send(start(200, content_type="application/json"))
        await send({"type": "http.response.body", "body": b'{"ok": true}'})

    transport = httpx.ASGITransport(app=wrap(app, ["no-request-id"]))

    async def call():
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/v1/models")

    import asyncio

    response = asyncio.run(call())
    assert response.json() == {"ok": True}
    assert response.headers["content-length"] == "11"  # re-serialised compactly


OVERFLOW_OPENAI = {"error": {"message": "This model's maximum context length is 32 tokens.",
                             "type": "invalid_request_error", "param": "messages",
                             "code": "context_length_exceeded"}}
OVERFLOW_ANTHROPIC = {"type": "error", "error": {"type": "invalid_request_error",
                                                 "message": "prompt is too long: 99 > 32"}}


@pytest.mark.parametrize(("mode", "status"), [("context-length-413", 413),
                                              ("context-length-500", 500)])
def test_context_length_rewrites_only_touch_window_errors(mode, status):
    out_start, _ = rewrite_json(ex(mode), start(400), orjson.dumps(OVERFLOW_OPENAI))
    assert out_start["status"] == status
    e = ex(mode, path="/v1/messages")
    out_start, out = rewrite_json(e, start(400), orjson.dumps(OVERFLOW_ANTHROPIC))
    assert out_start["status"] == status
    assert orjson.loads(out)["type"] == "error"
    other = {"error": {"message": "bad", "type": "invalid_request_error", "param": None,
                       "code": None}}
    assert rewrite_json(ex(mode), start(400), orjson.dumps(other))[0]["status"] == 400


def test_context_length_sse_turns_a_stream_request_into_a_200_stream():
    e = ex("context-length-sse", body={"model": "m", "messages": [], "stream": True})
    out_start, out = rewrite_json(e, start(400), orjson.dumps(OVERFLOW_OPENAI))
    assert out_start["status"] == 200
    assert out.startswith(b"data: {")
    assert e.as_sse
    plain = ex("context-length-sse")
    assert rewrite_json(plain, start(400), orjson.dumps(OVERFLOW_OPENAI))[0]["status"] == 400


def test_anthropic_beta_and_cache_control_are_dropped():
    from gatecheck.mock._misbehaviours import ignored_headers

    assert ignored_headers(ex("drop-anthropic-beta", path="/v1/messages")) == {"anthropic-beta"}
    assert ignored_headers(ex("drop-anthropic-beta")) == set()
    body = {"model": "m", "system": [{"type": "text", "text": "s",
                                      "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}]}]}
    out = rewrite_request(ex("strip-cache-control", path="/v1/messages", body=body))
    assert b"cache_control" not in out
    assert orjson.loads(out)["messages"][0]["content"][0]["text"] == "x"


def test_upstream_leg_rewrites_of_answers():
    from gatecheck.mock import _misbehaviours_upstream as up

    body = orjson.dumps({"error": {"message": "boom", "type": "server_error"}})
    _, nulled = up.rewrite_answer(ex("null-error-type"), start(502), body)
    assert orjson.loads(nulled)["error"]["type"] is None
    assert up.rewrite_answer(ex("null-error-type"), start(429), body)[1] == body  # 5xx only
    event = 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error"}}'
    assert '"type":null' in up.rewrite_event(ex("null-error-type"), event)
    dropped = ex("unreachable-as-500", body={"messages": [{"content": "[[mock fault=drop]]"}]})
    assert up.rewrite_answer(dropped, start(502), body)[0]["status"] == 500
    assert up.rewrite_answer(ex("unreachable-as-500"), start(503), body)[0]["status"] == 503
    gone, answer = up.rewrite_answer(ex("no-health", path="/health/live", method="GET"),
                                     start(200), b'{"status": "ok"}')
    assert gone["status"] == 404
    assert orjson.loads(answer)["error"]["message"] == "Not Found"
    faulted = ex("prefixed-retry-after", body={"messages": [{"content": "[[mock fault=429]]"}]})
    renamed, _ = up.rewrite_answer(faulted, start(429, retry_after="2"), body)
    assert (b"llm_provider-retry-after", b"2") in renamed["headers"]
    assert up.retry_after_of(start(429, retry_after="2")) == 2.0
    assert up.retry_after_of(start(429)) == 1.0


def test_upstream_leg_rewrites_of_what_the_gateway_sends():
    from gatecheck.mock import _misbehaviours_upstream as up

    sent = [(b"authorization", b"Bearer provider-key"), (b"content-type", b"x")]
    forwarded = up.outbound_headers(sent, frozenset({"forward-client-key"}),
                                    "/v1/chat/completions", {"client-credential": "gk-client"})
    assert (b"authorization", b"Bearer gk-client") in forwarded
    assert (b"authorization", b"Bearer provider-key") not in forwarded
    junk = up.outbound_headers(sent, frozenset({"placeholder-credential"}), "/v1/messages", {})
    assert (b"x-api-key", b"") in junk
    assert up.outbound_headers(sent, frozenset(), "/v1/messages", {}) == sent
