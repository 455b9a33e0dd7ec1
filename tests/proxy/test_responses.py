"""The Responses and embeddings front doors, over every upstream format, with the official SDK.

Three upstreams: an OpenAI-format provider that serves /v1/responses itself (passthrough), one
that serves only Chat Completions (translated), and an Anthropic one (translated).
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import httpx
import openai
import pytest

from gatecheck import SseDecoder
from gatecheck.checks import responses as rc
from gatecheck.embedded import start_embedded
from gatecheck.proxy import default_config

from .conftest import ADMIN, bearer

TOOL = {"type": "function", "name": "get_weather", "strict": False,
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
KINDS = ("passthrough", "chat", "anthropic")


def _config(kind):
    def build(mock_url):
        config = default_config(mock_url)
        provider = dataclasses.replace(config.providers[0],
                                       format="anthropic" if kind == "anthropic" else "openai",
                                       responses_api=kind == "passthrough")
        return dataclasses.replace(config, providers=(provider,))

    return build


@pytest.fixture(scope="module", params=KINDS)
def stack(request):
    with start_embedded(proxy_config=_config(request.param), admin_key=ADMIN) as stack:
        yield SimpleNamespace(kind=request.param, proxy_url=stack.proxy_url, proxy=stack.proxy)


@pytest.fixture
def sdk(stack):
    with openai.OpenAI(base_url=stack.proxy_url + "/v1", api_key=ADMIN, max_retries=0) as c:
        yield c


def _events(stack, body):
    response = httpx.post(stack.proxy_url + "/v1/responses", json={**body, "stream": True},
                          headers=bearer(), timeout=10)
    assert response.status_code == 200, response.text
    decoder = SseDecoder()
    return rc.read_responses_stream(decoder.feed(response.content) + decoder.close())


def test_sdk_create_and_stream_agree(sdk):
    text = 'Count. [[mock text="one two three"]]'
    created = sdk.responses.create(model="gpt-4o-mini", input=text, instructions="be brief")
    with sdk.responses.stream(model="gpt-4o-mini", input=text, instructions="be brief") as s:
        deltas = [e.delta for e in s if e.type == "response.output_text.delta"]
        final = s.get_final_response()
    assert created.output_text == final.output_text == "".join(deltas) == "one two three"
    assert created.model == final.model == "gpt-4o-mini"  # the name the client sent
    assert created.usage.input_tokens == final.usage.input_tokens > 0
    assert created.usage.output_tokens == final.usage.output_tokens == 3


def test_sdk_streams_a_function_call(sdk):
    with sdk.responses.stream(model="gpt-4o-mini", tools=[TOOL],
                              input="weather? [[mock args='{\"city\": \"Oslo\"}']]",
                              tool_choice={"type": "function", "name": "get_weather"}) as s:
        for _ in s:
            pass
        final = s.get_final_response()
    [call] = [item for item in final.output if item.type == "function_call"]
    assert (call.name, call.arguments) == ("get_weather", '{"city":"Oslo"}')


def test_the_stream_grammar_holds_on_every_path(stack):
    for body in ({"model": "gpt-4o-mini", "input": "hi", "reasoning": {"effort": "low"},
                  "max_output_tokens": 4096},
                 {"model": "gpt-4o-mini", "input": "w", "tools": [TOOL],
                  "tool_choice": "required"}):
        stream = _events(stack, body)
        rc.events_are_named(stream)
        rc.event_order_is_valid(stream)
        rc.sequence_numbers_increase(stream)
        rc.text_deltas_assemble(stream)
        rc.arguments_assemble(stream)


def test_reasoning_round_trips_to_an_anthropic_upstream(sdk, stack):
    first = sdk.responses.create(model="gpt-4o-mini", input="think", max_output_tokens=4096,
                                 reasoning={"effort": "low"})
    kinds = [item.type for item in first.output]
    if stack.kind == "chat":  # Chat Completions carries no reasoning for the mock to answer
        assert kinds == ["message"]
        return
    assert kinds == ["reasoning", "message"]
    history = [item.model_dump(exclude_none=True) for item in first.output]
    # the mock checks a thinking block's signature: a changed reasoning item is a 400
    again = sdk.responses.create(model="gpt-4o-mini", max_output_tokens=4096,
                                 input=[*history, {"role": "user", "content": "and?"}])
    assert again.status == "completed"


def test_a_cut_reply_is_incomplete_and_failures_end_the_stream(sdk, stack):
    cut = sdk.responses.create(model="gpt-4o-mini", input="x [[mock tokens=40]]",
                               max_output_tokens=16)
    assert (cut.status, cut.incomplete_details.reason) == ("incomplete", "max_output_tokens")
    for fault in ("reset", "error-event"):
        stream = _events(stack, {"model": "gpt-4o-mini",
                                 "input": f"x [[mock fault={fault} after=4]]"})
        rc.stream_failure_is_reported(stream)
        rc.sequence_numbers_increase(stream)


def test_errors_are_the_openai_envelope(stack):
    client = httpx.Client(base_url=stack.proxy_url, headers=bearer(), timeout=10)
    with client:
        missing = client.post("/v1/responses", json={"model": "gpt-4o-mini"})
        assert missing.status_code == 400
        assert missing.json()["error"]["param"] == "input"
        stored = client.post("/v1/responses", json={"model": "gpt-4o-mini", "input": "x",
                                                    "previous_response_id": "resp_1"})
        assert stored.status_code == 400  # nothing stores responses on any path
        assert stored.json()["error"]["param"] == "previous_response_id"
        upstream = client.post("/v1/responses", json={"model": "gpt-4o-mini",
                                                      "input": "x [[mock fault=429]]"})
        assert upstream.status_code == 429
        assert "retry-after" in upstream.headers


def test_embeddings_pass_through_or_are_refused_on_anthropic(stack):
    response = httpx.post(stack.proxy_url + "/v1/embeddings", headers=bearer(), timeout=10,
                          json={"model": "gpt-4o-mini", "input": ["a b", "c"]})
    if stack.kind == "anthropic":
        assert response.status_code == 400
        assert response.json()["error"]["param"] == "model"
        return
    body = response.json()
    assert response.status_code == 200, body
    assert body["model"] == "gpt-4o-mini"
    assert body["usage"] == {"prompt_tokens": 3, "total_tokens": 3}
    assert [d["index"] for d in body["data"]] == [0, 1]


def test_usage_is_counted_for_the_key(stack):
    client = httpx.Client(base_url=stack.proxy_url, headers=bearer(), timeout=10)
    with client:
        key = client.post("/v1/keys", json={"name": "resp", "permissions": ["chat"]}).json()
        headers = {"authorization": f"Bearer {key['key']}"}
        reply = client.post("/v1/responses", headers=headers,
                            json={"model": "gpt-4o-mini", "input": "hi"}).json()
        stack.proxy.store.flush()
        [mine] = client.get("/v1/usage", params={"key_id": key["id"]}).json()["data"]
    assert mine["requests"] == 1
    assert mine["input_tokens"] == reply["usage"]["input_tokens"]
    assert mine["output_tokens"] == reply["usage"]["output_tokens"]
