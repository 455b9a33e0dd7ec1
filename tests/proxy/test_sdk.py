"""The official SDKs as clients: both surfaces over both upstream formats (SDK compatibility)."""

from __future__ import annotations

import anthropic
import openai
import pytest

from .conftest import create_key

OAI_TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}]
ANT_TOOLS = [{"name": "get_weather", "description": "weather for a city",
              "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                               "required": ["city"]}}]


@pytest.fixture
def oai(stack, client):
    key = create_key(client)["key"]
    with openai.OpenAI(base_url=stack.proxy_url + "/v1", api_key=key, max_retries=0) as c:
        yield c


@pytest.fixture
def ant(stack, client):
    key = create_key(client)["key"]
    with anthropic.Anthropic(base_url=stack.proxy_url, api_key=key, max_retries=0) as c:
        yield c


def test_openai_sdk_chat_non_stream_W_1_TOK_1(oai):
    r = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
    )
    assert r.model == "gpt-4o-mini"
    assert r.choices[0].finish_reason == "stop"
    assert r.choices[0].message.content
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    assert r._request_id  # x-request-id (HDR-1)


def test_openai_sdk_chat_stream_matches_non_stream(oai):
    messages = [{"role": "user", "content": "stream please"}]
    full = oai.chat.completions.create(model="gpt-4o-mini", messages=messages)
    text, usage = [], None
    with oai.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True,
                                     stream_options={"include_usage": True}) as stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                text.append(chunk.choices[0].delta.content)
            usage = chunk.usage or usage
    assert "".join(text) == full.choices[0].message.content
    assert usage.prompt_tokens == full.usage.prompt_tokens
    assert usage.completion_tokens == full.usage.completion_tokens


def test_openai_sdk_tools_round_trip(oai):
    r = oai.chat.completions.create(model="gpt-4o-mini", tools=OAI_TOOLS, tool_choice="required",
                                    messages=[{"role": "user", "content": "weather in Paris?"}])
    call = r.choices[0].message.tool_calls[0]
    assert r.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather"
    follow = oai.chat.completions.create(model="gpt-4o-mini", tools=OAI_TOOLS, messages=[
        {"role": "user", "content": "weather in Paris?"},
        {"role": "assistant", "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
    ])
    assert follow.choices[0].message.content


def test_openai_sdk_errors_map_to_sdk_classes_ERR_3(oai):
    with pytest.raises(openai.NotFoundError):
        oai.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.RateLimitError):
        oai.chat.completions.create(model="gpt-4o-mini", messages=[
            {"role": "user", "content": "[[mock fault=429 retry_after=1]]"}])
    stream = oai.chat.completions.create(model="gpt-4o-mini", stream=True, messages=[
        {"role": "user", "content": "[[mock fault=error-event after=2]]"}])
    with pytest.raises(openai.APIError):  # mid-stream failure surfaces as an error
        list(stream)


def test_openai_sdk_bad_key_is_authentication_error(stack):
    url = stack.proxy_url + "/v1"
    with openai.OpenAI(base_url=url, api_key="gk-wrong", max_retries=0) as c, pytest.raises(
        openai.AuthenticationError
    ):
        c.models.list()


def test_openai_sdk_models_list_MOD_1(oai):
    ids = [m.id for m in oai.models.list()]
    assert ids == ["claude-3-5-haiku-latest", "gpt-4o-mini", "mock-chat"]
    assert oai.models.retrieve("gpt-4o-mini").id == "gpt-4o-mini"


def test_anthropic_sdk_messages_non_stream_W_5(ant):
    m = ant.messages.create(model="mock-chat", max_tokens=64, system="be brief",
                            messages=[{"role": "user", "content": "hi"}])
    assert m.model == "mock-chat"
    assert m.stop_reason == "end_turn"
    assert m.content[0].text
    assert m.usage.input_tokens > 0
    assert m.usage.output_tokens > 0
    assert m._request_id  # request-id (HDR-2)


@pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")
def test_anthropic_sdk_alias_echo_ALIAS_1_ALIAS_2(ant):
    m = ant.messages.create(model="claude-3-5-haiku-latest", max_tokens=16,
                            messages=[{"role": "user", "content": "hi"}])
    assert m.model == "claude-3-5-haiku-latest"


def test_anthropic_sdk_stream_matches_non_stream(ant):
    kwargs = {"model": "mock-chat", "max_tokens": 64,
              "messages": [{"role": "user", "content": "stream please"}]}
    full = ant.messages.create(**kwargs)
    with ant.messages.stream(**kwargs) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == full.content[0].text
    assert final.usage.input_tokens == full.usage.input_tokens
    assert final.usage.output_tokens == full.usage.output_tokens
    assert final.model == "mock-chat"


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_sdk_tools_W_7(ant, stream):
    kwargs = {"model": "mock-chat", "max_tokens": 128, "tools": ANT_TOOLS,
              "tool_choice": {"type": "tool", "name": "get_weather"},
              "messages": [{"role": "user", "content": "weather in Paris?"}]}
    if stream:
        with ant.messages.stream(**kwargs) as s:
            m = s.get_final_message()
    else:
        m = ant.messages.create(**kwargs)
    block = next(b for b in m.content if b.type == "tool_use")
    assert m.stop_reason == "tool_use"
    assert block.name == "get_weather"
    assert isinstance(block.input, dict)
    follow = ant.messages.create(model="mock-chat", max_tokens=64, tools=ANT_TOOLS, messages=[
        kwargs["messages"][0],
        {"role": "assistant", "content": [b.model_dump(include={"type", "id", "name", "input"})
                                          for b in m.content if b.type == "tool_use"]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block.id,
                                      "content": "sunny"}]},
    ])
    assert follow.content[0].text


def test_anthropic_sdk_count_tokens_equals_usage_TOK_7(ant):
    messages = [{"role": "user", "content": "how many tokens is this exactly?"}]
    counted = ant.messages.count_tokens(model="mock-chat", messages=messages, system="sys")
    used = ant.messages.create(model="mock-chat", max_tokens=8, messages=messages, system="sys")
    assert counted.input_tokens == used.usage.input_tokens


def test_anthropic_sdk_errors_map_to_sdk_classes_ERR_3(ant, stack):
    with pytest.raises(anthropic.NotFoundError):
        ant.messages.create(model="nope", max_tokens=8, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.RateLimitError):
        ant.messages.create(model="mock-chat", max_tokens=8, messages=[
            {"role": "user", "content": "[[mock fault=429 retry_after=1]]"}])
    with pytest.raises(anthropic.InternalServerError) as exc:
        ant.messages.create(model="mock-chat", max_tokens=8, messages=[
            {"role": "user", "content": "[[mock fault=529]]"}])
    assert exc.value.status_code == 529
    with pytest.raises(anthropic.APIStatusError), ant.messages.stream(
        model="mock-chat", max_tokens=64,
        messages=[{"role": "user", "content": "[[mock fault=error-event after=3]]"}],
    ) as s:
        s.get_final_message()
    url = stack.proxy_url
    with anthropic.Anthropic(base_url=url, api_key="gk-wrong", max_retries=0) as c, pytest.raises(
        anthropic.AuthenticationError
    ):
        c.messages.create(model="mock-chat", max_tokens=8,
                          messages=[{"role": "user", "content": "x"}])


def test_anthropic_sdk_models_list_MOD_3(ant):
    page = ant.models.list(limit=2)
    assert [m.id for m in page.data] == ["claude-3-5-haiku-latest", "gpt-4o-mini"]
    assert page.has_more
    assert {m.lifecycle for m in page.data} == {"active"}  # required by the SDK's ModelInfo
    ids = [m.id for m in ant.models.list()]
    assert ids == ["claude-3-5-haiku-latest", "gpt-4o-mini", "mock-chat"]
