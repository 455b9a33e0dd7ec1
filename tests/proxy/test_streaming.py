"""Streaming on both surfaces over both upstream formats: STR-*, TOK-3/5, ALIAS-2, HDR-7."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest

from gatecheck import SseDecoder

from .conftest import bearer, chat_body, messages_body, xkey


def events(raw: bytes):
    decoder = SseDecoder()
    return decoder.feed(raw) + decoder.close()


def openai_stream(client, **extra):
    r = client.post("/v1/chat/completions", json=chat_body("tell me", stream=True, **extra),
                    headers={**bearer(), "accept-encoding": "gzip"})
    assert r.status_code == 200, r.text
    return r


def assert_stream_headers(r: httpx.Response) -> None:
    """STR-1, HDR-7: event-stream, not cached, not compressed, no length."""
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["x-accel-buffering"] == "no"
    assert "content-encoding" not in r.headers
    assert "content-length" not in r.headers
    assert r.headers["x-request-id"] == r.headers["request-id"]


@pytest.mark.parametrize("include_usage", [True, False])
def test_openai_stream_grammar_STR_O1_O2_O3_O4_O5_O7_O8(client, include_usage):
    extra = {"stream_options": {"include_usage": True}} if include_usage else {}
    r = openai_stream(client, **extra)
    assert_stream_headers(r)
    assert "\nevent:" not in "\n" + r.text  # data-only (STR-O3)
    evs = events(r.content)
    assert evs[-1].data == "[DONE]"
    assert all(e.data != "[DONE]" for e in evs[:-1])
    chunks = [e.json() for e in evs[:-1]]
    assert {(c["id"], c["created"], c["model"]) for c in chunks} == {
        (chunks[0]["id"], chunks[0]["created"], "gpt-4o-mini")
    }
    with_choices = [c for c in chunks if c["choices"]]
    assert with_choices[0]["choices"][0]["delta"]["role"] == "assistant"
    for c in with_choices:
        assert "finish_reason" in c["choices"][0]
    reasons = [c["choices"][0]["finish_reason"] for c in with_choices]
    assert reasons[:-1] == [None] * (len(reasons) - 1)
    assert reasons[-1] == "stop"
    if include_usage:
        assert chunks[-1]["choices"] == []
        assert chunks[-1]["usage"]["completion_tokens"] > 0
        assert all(c["usage"] is None for c in chunks[:-1])
    else:
        assert all(c.get("usage") is None for c in chunks)
        assert all(c["choices"] for c in chunks)


def test_openai_stream_usage_equals_non_stream_TOK_3(client):
    stream = openai_stream(client, stream_options={"include_usage": True})
    usage = events(stream.content)[-2].json()["usage"]
    plain = client.post("/v1/chat/completions", json=chat_body("tell me"), headers=bearer())
    body = plain.json()
    for k in ("prompt_tokens", "completion_tokens", "total_tokens"):
        assert usage[k] == body["usage"][k]
    assert body["usage"]["total_tokens"] == (
        body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    )  # TOK-1
    assert body["model"] == "gpt-4o-mini"  # echo policy (ALIAS-2)
    assert plain.headers["x-gatecheck-resolved-model"] == "mock-chat"
    assert "mock/" not in plain.text


def test_anthropic_stream_grammar_and_usage_STR_A1_A2_A3_A6_A9_TOK_5(client):
    r = client.post("/v1/messages", json=messages_body("tell me", stream=True,
                                                       model="claude-3-5-haiku-latest"),
                    headers={**xkey(), "accept-encoding": "gzip"})
    assert r.status_code == 200
    assert_stream_headers(r)
    assert "[DONE]" not in r.text
    evs = events(r.content)
    names = [e.event for e in evs]
    for e in evs:
        assert e.json()["type"] == e.event  # STR-A1
    names = [n for n in names if n != "ping"]
    assert names[0] == "message_start"
    assert names[-2:] == ["message_delta", "message_stop"]
    assert names.count("message_start") == 1
    start = evs[0].json()["message"]
    assert start["model"] == "claude-3-5-haiku-latest"
    assert start["content"] == []
    assert start["stop_reason"] is None
    blocks = [e.json() for e in evs if e.event == "content_block_start"]
    assert [b["index"] for b in blocks] == list(range(len(blocks)))
    delta = next(e.json() for e in evs if e.event == "message_delta")
    plain = client.post("/v1/messages", json=messages_body("tell me",
                                                          model="claude-3-5-haiku-latest"),
                        headers=xkey()).json()
    assert start["usage"]["input_tokens"] == plain["usage"]["input_tokens"]
    assert delta["usage"]["output_tokens"] == plain["usage"]["output_tokens"]
    assert delta["delta"]["stop_reason"] == plain["stop_reason"] == "end_turn"
    text = "".join(e.json()["delta"].get("text", "") for e in evs
                   if e.event == "content_block_delta")
    assert text == plain["content"][0]["text"]


STALL = "[[mock stall_after=1 stall_ms=1500]]"


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_no_buffering_first_token_arrives_before_stall_ends_STR_4(stack, surface):
    """The mock holds content event 1 back 1.5 s: event 0 must reach the client first.

    Not a speed test: a buffering proxy delivers both events together (gap ~0), whatever
    the machine's speed; an incremental one shows the stall between them."""
    if surface == "openai":
        path, body, headers = "/v1/chat/completions", chat_body(STALL, stream=True), bearer()
    else:
        path, body, headers = "/v1/messages", messages_body(STALL, stream=True), xkey()
    arrivals: list[float] = []
    decoder = SseDecoder()
    with httpx.Client(base_url=stack.proxy_url, timeout=30.0) as c, c.stream(
        "POST", path, json=body, headers=headers
    ) as r:
        assert r.status_code == 200
        for raw in r.iter_raw():
            for e in decoder.feed(raw):
                if e.data == "[DONE]":
                    continue
                data = e.json()
                content = (
                    e.event == "content_block_delta"
                    if surface == "anthropic"
                    else bool(data["choices"] and data["choices"][0]["delta"].get("content"))
                )
                if content:
                    arrivals.append(time.monotonic())
    assert len(arrivals) >= 2
    assert arrivals[1] - arrivals[0] > 0.9


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_stream_tool_calls_STR_O6_STR_A5(client, surface):
    if surface == "openai":
        tools = [{"type": "function", "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
        r = client.post("/v1/chat/completions", headers=bearer(), json=chat_body(
            "weather", stream=True, tools=tools, tool_choice="required"))
        chunks = [e.json() for e in events(r.content) if e.data != "[DONE]"]
        calls = [tc for c in chunks if c["choices"]
                 for tc in c["choices"][0]["delta"].get("tool_calls") or ()]
        assert calls[0]["id"]
        assert calls[0]["function"]["name"] == "get_weather"
        args = "".join(tc["function"].get("arguments") or "" for tc in calls)
        assert isinstance(orjson.loads(args), dict)
        assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    else:
        tools = [{"name": "get_weather", "input_schema": {
            "type": "object", "properties": {"city": {"type": "string"}}}}]
        r = client.post("/v1/messages", headers=xkey(), json=messages_body(
            "weather", stream=True, tools=tools, tool_choice={"type": "any"}))
        evs = events(r.content)
        start = next(e.json() for e in evs if e.event == "content_block_start"
                     and e.json()["content_block"]["type"] == "tool_use")
        assert start["content_block"]["input"] == {}
        assert start["content_block"]["name"] == "get_weather"
        parts = "".join(e.json()["delta"]["partial_json"] for e in evs
                        if e.event == "content_block_delta"
                        and e.json()["delta"]["type"] == "input_json_delta")
        assert isinstance(orjson.loads(parts), dict)
        delta = next(e.json() for e in evs if e.event == "message_delta")
        assert delta["delta"]["stop_reason"] == "tool_use"


def test_client_disconnect_stops_the_upstream_stream(stack, caplog):
    """A client leaving mid-stream ends the proxy's upstream read at once, not when the
    upstream would have finished (the stall here is 20 s; the bound below is 10 s)."""
    import logging

    caplog.set_level(logging.INFO, logger="gatecheck.proxy.access")
    rid = f"disconnect-{time.monotonic_ns()}"
    body = chat_body("[[mock stall_after=1 stall_ms=20000]]", stream=True)
    with httpx.Client(base_url=stack.proxy_url, timeout=30.0) as c, c.stream(
        "POST", "/v1/chat/completions", json=body, headers={**bearer(), "x-request-id": rid}
    ) as r:
        next(r.iter_raw())  # the stream is open; now leave
    deadline = time.monotonic() + 10
    line = None
    while line is None and time.monotonic() < deadline:
        line = next((orjson.loads(rec.getMessage()) for rec in caplog.records
                     if rec.name == "gatecheck.proxy.access" and rid in rec.getMessage()), None)
        time.sleep(0.05)
    assert line is not None
    assert line["error"] == "client_disconnected"


def _sse(*chunks) -> bytes:
    return b"".join(b"data: " + (c if isinstance(c, bytes) else orjson.dumps(c)) + b"\n\n"
                    for c in chunks)


@pytest.mark.anyio
@pytest.mark.parametrize("include_usage", [True, False])
async def test_openai_passthrough_normalises_odd_upstream_chunks_STR_O1_O7_O8(inproc,
                                                                              include_usage):
    """Azure-style empty preamble, a varying id, usage on a choice chunk, a comment line."""
    base = {"object": "chat.completion.chunk", "model": "m"}
    usage = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    body = [b": OPENROUTER PROCESSING\n\n", _sse(
        {"id": "", "object": "", "created": 0, "model": "", "choices": [],
         "prompt_filter_results": []},
        {**base, "id": "a", "created": 7, "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": "hi"}, "finish_reason": None}]},
        {**base, "id": "b", "created": 8, "choices": [
            {"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage},
        b"[DONE]",
    )]

    async def handler(request):
        sent = orjson.loads(request.body)
        assert sent["stream_options"]["include_usage"] is True  # asked for, for accounting
        return 200, {"content-type": "text/event-stream"}, body

    extra = {"stream_options": {"include_usage": True}} if include_usage else {}
    async with inproc(handler) as c:
        r = await c.post("/v1/chat/completions", headers=bearer(),
                         json=chat_body(stream=True, **extra))
    evs = events(r.content)
    assert evs[-1].data == "[DONE]"
    chunks = [e.json() for e in evs[:-1]]
    assert "OPENROUTER" not in r.text
    assert r.text.startswith(": keep-alive\n\n")  # passed on as a comment, not as data
    assert {c["id"] for c in chunks} == {"a"}
    assert {c["created"] for c in chunks} == {7}
    assert {c["model"] for c in chunks} == {"gpt-4o-mini"}
    if include_usage:
        assert len(chunks) == 3
        assert chunks[-1]["choices"] == []
        assert chunks[-1]["usage"] == usage
        assert all(c["usage"] is None for c in chunks[:-1])
    else:
        assert len(chunks) == 2
        assert all("usage" not in c and c["choices"] for c in chunks)


@pytest.mark.anyio
async def test_upstream_keepalive_becomes_anthropic_ping_STR_3(inproc):
    base = {"id": "a", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    parts = [b": still thinking\n\n", _sse(
        {**base, "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {**base, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1,
                                          "total_tokens": 4}},
        b"[DONE]")]

    async def handler(request):
        return 200, {"content-type": "text/event-stream"}, parts

    async with inproc(handler) as c:
        r = await c.post("/v1/messages", headers=xkey(),
                         json=messages_body(stream=True, model="gpt-4o-mini"))
    evs = events(r.content)
    assert evs[0].event == "ping"
    assert "still thinking" not in r.text
    names = [e.event for e in evs if e.event != "ping"]
    assert names[0] == "message_start"
    assert names[-1] == "message_stop"


_A_CUT = b"".join(
    b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"
    for name, data in [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "m",
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": 0}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": "hi"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "usage": {"output_tokens": 1},
                           "delta": {"stop_reason": "end_turn", "stop_sequence": None}}),
    ]  # ... and no message_stop
)
_O_BASE = {"id": "a", "object": "chat.completion.chunk", "created": 1, "model": "m"}
_O_CUT = _sse(
    {**_O_BASE, "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}]},
    {**_O_BASE, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    {**_O_BASE, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1,
                                         "total_tokens": 4}},
)  # ... and no [DONE]


@pytest.mark.anyio
@pytest.mark.parametrize("upstream", ["openai", "anthropic"])
@pytest.mark.parametrize("surface", ["openai", "anthropic"])
async def test_stream_cut_after_the_stop_reason_is_one_error_on_every_path_STR_O10_A7(
        inproc, caplog, upstream, surface):
    """Stop reason seen, then a close without message_stop / [DONE]: cut, never a success;
    the same error wording, code and access-log label whether translated or passed through."""
    import logging

    caplog.set_level(logging.INFO, logger="gatecheck.proxy.access")

    async def handler(request):
        return 200, {"content-type": "text/event-stream"}, _A_CUT if upstream == "anthropic" \
            else _O_CUT

    async with inproc(handler, fmt=upstream) as c:
        if surface == "openai":
            r = await c.post("/v1/chat/completions", headers=bearer(),
                             json=chat_body(stream=True))
        else:
            r = await c.post("/v1/messages", headers=xkey(),
                             json=messages_body(stream=True, model="gpt-4o-mini"))
    assert r.status_code == 200
    evs = events(r.content)
    last = evs[-1].json()
    if surface == "openai":
        assert all(e.data != "[DONE]" for e in evs)
        assert last == {"error": {"message": "Upstream stream ended before its end marker.",
                                  "type": "server_error", "param": None,
                                  "code": "upstream_error"}}
    else:
        assert "message_stop" not in [e.event for e in evs]
        assert evs[-1].event == "error"
        assert last == {"type": "error", "error": {
            "type": "api_error", "message": "Upstream stream ended before its end marker."}}
    assert sum(1 for e in evs if e.event == "error" or '"error"' in e.data[:10]) == 1
    lines = [orjson.loads(rec.getMessage()) for rec in caplog.records
             if rec.name == "gatecheck.proxy.access"]
    assert [line["error"] for line in lines if line["path"] != "/v1/keys"] == ["upstream"]
