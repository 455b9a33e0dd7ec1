"""The mock's Responses and embeddings surfaces, thinking, prompt-cache counts and evidence."""

from __future__ import annotations

import base64
import hashlib
import struct

import httpx
import openai
import orjson
import pytest

from gatecheck import SseDecoder
from gatecheck.checks import responses as rc
from gatecheck.mock import count_request_tokens
from gatecheck.schemas import validate

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n-not-really-an-image").decode()
TOOL = {"type": "function", "name": "get_weather", "strict": False,
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}


@pytest.fixture
def client(mock_url):
    with httpx.Client(base_url=mock_url, timeout=10) as c:
        yield c


def events(client, body):
    response = client.post("/v1/responses", json={**body, "stream": True})
    assert response.status_code == 200, response.text
    decoder = SseDecoder()
    return rc.read_responses_stream(decoder.feed(response.content) + decoder.close())


def judge(stream):
    """Every stream judge of the suite, on the mock's own output."""
    rc.events_are_named(stream)
    rc.event_order_is_valid(stream)
    rc.sequence_numbers_increase(stream)
    rc.text_deltas_assemble(stream)
    rc.arguments_assemble(stream)
    for event in stream.events:
        assert validate("openai/response-stream-event", event.data) == []


def last_log(client):
    return client.get("/_mock/log?limit=1").json()["entries"][-1]


def test_a_response_is_valid_exact_and_counted(client):
    body = {"model": "mock-chat", "input": "Say hi [[mock text=\"hi there\"]]",
            "instructions": "be brief"}
    reply = client.post("/v1/responses", json=body).json()
    assert validate("openai/response", reply) == []
    rc.open_responses_fields_present(reply)
    assert rc.output_text(reply) == "hi there"
    assert reply["usage"]["input_tokens"] == count_request_tokens("responses", body)
    assert reply["usage"]["output_tokens"] == 2
    assert last_log(client)["usage"]["input_tokens"] == reply["usage"]["input_tokens"]


def test_a_simple_conversation_counts_as_its_chat_completions_form():
    chat = {"messages": [{"role": "system", "content": "be brief"},
                         {"role": "user", "content": "hello there"}]}
    responses = {"instructions": "be brief", "input": [{"role": "user", "content": "hello there"}]}
    assert count_request_tokens("responses", responses) == count_request_tokens("openai", chat)


def test_the_stream_obeys_the_grammar_and_equals_the_body(client):
    body = {"model": "mock-chat", "input": "hello", "reasoning": {"effort": "low"}}
    stream = events(client, body)
    judge(stream)
    final = stream.terminal()
    whole = client.post("/v1/responses", json=body).json()
    assert [i["type"] for i in final["output"]] == ["reasoning", "message"]
    assert final["output"][1]["content"] == whole["output"][1]["content"]
    assert final["usage"] == whole["usage"]
    assert whole["usage"]["output_tokens_details"]["reasoning_tokens"] == 12
    assert [e["sequence_number"] for e in (ev.data for ev in stream.events)] == list(
        range(len(stream.events)))


def test_a_forced_function_call_streams_its_arguments(client):
    body = {"model": "mock-chat", "input": "weather [[mock args='{\"city\": \"Oslo\"}']]",
            "tools": [TOOL], "tool_choice": "required"}
    stream = events(client, body)
    judge(stream)
    assert list(rc.arguments_assemble(stream).values()) == [{"city": "Oslo"}]
    whole = client.post("/v1/responses", json=body).json()
    assert rc.function_calls(whole)[0]["call_id"].startswith("call_")


def test_a_cut_reply_is_incomplete(client):
    body = {"model": "mock-chat", "input": "long [[mock tokens=40]]", "max_output_tokens": 16}
    whole = client.post("/v1/responses", json=body).json()
    rc.status_is(whole, "incomplete", reason="max_output_tokens")
    assert whole["output"][0]["status"] == "incomplete"
    stream = events(client, body)
    judge(stream)
    assert stream.types()[-1] == "response.incomplete"


@pytest.mark.parametrize(("body", "param"), [
    ({"model": "mock-chat"}, "input"),
    ({"model": "mock-chat", "input": "x", "max_output_tokens": 8}, "max_output_tokens"),
    ({"model": "mock-chat", "input": "x", "previous_response_id": "resp_1"},
     "previous_response_id"),
    ({"model": "mock-chat", "input": [{"type": "message", "role": "robot", "content": "x"}]},
     "input[0].role"),
])
def test_what_openai_refuses_is_a_400_naming_the_param(client, body, param):
    response = client.post("/v1/responses", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_a_mid_stream_error_is_an_error_event_then_response_failed(client):
    stream = events(client, {"model": "mock-chat", "input": "x [[mock fault=error-event after=4]]"})
    assert stream.types()[-2:] == ["error", "response.failed"]
    rc.stream_failure_is_reported(stream)
    rc.sequence_numbers_increase(stream)
    rc.event_order_is_valid(stream)  # response.failed is a terminal event; the item stays open
    assert stream.terminal()["status"] == "failed"


def test_the_official_sdk_reads_create_and_stream(mock_url):
    sdk = openai.OpenAI(base_url=mock_url + "/v1", api_key="x", max_retries=0)
    created = sdk.responses.create(model="mock-chat", input="hi [[mock text=\"a b c\"]]")
    with sdk.responses.stream(model="mock-chat", input="hi [[mock text=\"a b c\"]]") as stream:
        final = stream.get_final_response()
    assert created.output_text == final.output_text == "a b c"
    assert created.usage == final.usage


def test_embeddings_are_deterministic_exact_and_the_same_in_base64(client):
    body = {"model": "mock-chat", "input": ["one two", "three"], "dimensions": 6}
    first = client.post("/v1/embeddings", json=body).json()
    assert validate("openai/embedding-list", first) == []
    assert first == client.post("/v1/embeddings", json=body).json()
    assert [len(d["embedding"]) for d in first["data"]] == [6, 6]
    assert first["usage"] == {"prompt_tokens": 3, "total_tokens": 3}
    norm = sum(v * v for v in first["data"][0]["embedding"])
    assert abs(norm - 1.0) < 1e-5
    packed = client.post("/v1/embeddings", json={**body, "encoding_format": "base64"}).json()
    raw = base64.b64decode(packed["data"][0]["embedding"])
    assert list(struct.unpack("<6f", raw)) == first["data"][0]["embedding"]
    assert client.post("/v1/embeddings", json={"model": "mock-chat"}).status_code == 400


def anthropic_body(**extra):
    return {"model": "mock-chat", "max_tokens": 2048,
            "messages": [{"role": "user", "content": "think"}], **extra}


def test_thinking_when_the_request_enables_it_and_tampering_is_refused(client):
    body = anthropic_body(thinking={"type": "enabled", "budget_tokens": 1024})
    message = client.post("/v1/messages", json=body).json()
    kinds = [b["type"] for b in message["content"]]
    assert kinds == ["thinking", "text"]
    logged = last_log(client)["thinking"]
    canonical = orjson.dumps(message["content"][0], option=orjson.OPT_SORT_KEYS)
    assert logged == [hashlib.sha256(canonical).hexdigest()]
    history = [*body["messages"], {"role": "assistant", "content": message["content"]},
               {"role": "user", "content": "again"}]
    assert client.post("/v1/messages", json={**body, "messages": history}).status_code == 200
    message["content"][0]["thinking"] += "!"
    refused = client.post("/v1/messages", json={**body, "messages": history})
    assert refused.status_code == 400
    assert "signature" in refused.json()["error"]["message"]
    small = anthropic_body(max_tokens=512, thinking={"type": "enabled", "budget_tokens": 1024})
    assert client.post("/v1/messages", json=small).status_code == 400  # budget >= max_tokens


def test_redacted_thinking_blocks_stream_whole_and_verify(client):
    body = anthropic_body(messages=[{"role": "user", "content": "x [[mock redacted=1]]"}])
    message = client.post("/v1/messages", json=body).json()
    assert message["content"][0]["type"] == "redacted_thinking"
    assert message["usage"]["output_tokens"] == 16 + 8
    text = client.post("/v1/messages", json={**body, "stream": True}).text
    assert '"content_block":{"type":"redacted_thinking","data":"' in text
    forged = [*body["messages"], {"role": "assistant", "content": [
        {"type": "redacted_thinking", "data": base64.b64encode(b"x" * 48).decode()},
        {"type": "text", "text": "ok"}]}, {"role": "user", "content": "again"}]
    assert client.post("/v1/messages", json={**body, "messages": forged}).status_code == 400


@pytest.mark.parametrize(("path", "body", "read"), [
    ("/v1/messages", anthropic_body(), lambda u: (u["cache_read_input_tokens"],
                                                  u["cache_creation_input_tokens"])),
    ("/v1/chat/completions", {"model": "mock-chat", "messages": [{"role": "user", "content": ""}]},
     lambda u: (u["prompt_tokens_details"]["cached_tokens"], 0)),
    ("/v1/responses", {"model": "mock-chat", "input": ""},
     lambda u: (u["input_tokens_details"]["cached_tokens"],
                u["input_tokens_details"]["cache_write_tokens"])),
])
def test_cache_counts_follow_the_directive_on_every_surface(client, path, body, read):
    text = "a long cached prefix [[mock cache_read=5 cache_write=3]]"
    if "messages" in body:
        body = {**body, "messages": [{"role": "user", "content": text}]}
    else:
        body = {**body, "input": text}
    usage = client.post(path, json=body).json()["usage"]
    logged = last_log(client)["usage"]
    assert (logged["cache_read_input_tokens"], logged["cache_creation_input_tokens"]) == (5, 3)
    assert read(usage)[0] == 5
    if path == "/v1/messages":  # input_tokens is the uncached rest there
        assert usage["input_tokens"] + 5 + 3 == logged["input_tokens"]
    over = text.replace("cache_read=5", "cache_read=500")
    key = "messages" if "messages" in body else "input"
    value = [{"role": "user", "content": over}] if key == "messages" else over
    assert client.post(path, json={**body, key: value}).status_code == 400


@pytest.mark.parametrize(("path", "body"), [
    ("/v1/chat/completions", {"model": "mock-chat", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "see"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]}]}),
    ("/v1/messages", {"model": "mock-chat", "max_tokens": 8, "messages": [{"role": "user",
     "content": [{"type": "text", "text": "see"}, {"type": "image", "source": {
         "type": "base64", "media_type": "image/png", "data": PNG}}]}]}),
    ("/v1/responses", {"model": "mock-chat", "input": [{"role": "user", "content": [
        {"type": "input_text", "text": "see"},
        {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"}]}]}),
])
def test_images_are_logged_by_their_bytes_and_counted(client, path, body):
    assert client.post(path, json=body).status_code == 200
    entry = last_log(client)
    digest = hashlib.sha256(base64.b64decode(PNG)).hexdigest()
    assert entry["images"] == [{"media_type": "image/png", "sha256": digest}]
    assert entry["usage"]["input_tokens"] == 3 + 4 + 1 + 85  # priming, message, "see", image
