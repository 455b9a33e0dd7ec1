"""The official anthropic SDK consumes the mock: the oracle that its Messages format is right."""

from __future__ import annotations

import anthropic
import httpx
import pytest

from gatecheck.mock import count_request_tokens, count_tokens

WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture(scope="module")
def client(mock_url):
    with anthropic.Anthropic(
        base_url=mock_url, api_key="sk-ant-test", max_retries=0, timeout=10
    ) as client:
        yield client


def _user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_non_stream_usage_is_exact_and_count_tokens_agrees(client):
    kwargs = {
        "model": "mock-chat",
        "system": "Be brief.",
        "messages": _user("Hello [[mock tokens=7]]"),
    }
    message = client.messages.create(max_tokens=100, **kwargs)
    assert message.type == "message"
    assert message.role == "assistant"
    assert message.stop_reason == "end_turn"
    assert message.stop_sequence is None
    assert message.usage.output_tokens == 7 == count_tokens(message.content[0].text)
    assert message.usage.input_tokens == count_request_tokens("anthropic", kwargs)
    assert client.messages.count_tokens(**kwargs).input_tokens == message.usage.input_tokens


def test_same_conversation_counts_and_answers_alike_on_both_surfaces(client, mock_url):
    import openai

    with openai.OpenAI(base_url=mock_url + "/v1", api_key="x", max_retries=0, timeout=10) as oa:
        chat = oa.chat.completions.create(
            model="mock-chat", messages=[{"role": "system", "content": "S."}, *_user("Q?")]
        )
    message = client.messages.create(
        model="mock-chat", max_tokens=100, system="S.", messages=_user("Q?")
    )
    assert message.content[0].text == chat.choices[0].message.content
    assert message.usage.input_tokens == chat.usage.prompt_tokens


def test_stream_grammar_and_cumulative_usage(client):
    kwargs = {
        "model": "mock-chat",
        "max_tokens": 100,
        "messages": _user("Stream [[mock tokens=6]]"),
    }
    whole = client.messages.create(**kwargs)
    with client.messages.stream(**kwargs) as stream:
        events = list(stream)
        final = stream.get_final_message()
    types = [e.type for e in events]
    assert types[0] == "message_start"
    assert types[-1] == "message_stop"
    assert types.count("content_block_start") == 1
    assert events[0].message.usage.input_tokens == whole.usage.input_tokens
    assert final.content[0].text == whole.content[0].text
    assert final.usage.output_tokens == 6
    assert final.stop_reason == "end_turn"


def test_every_event_is_named_after_its_type_and_a_ping_is_sent(mock_url):
    body = {"model": "mock-chat", "max_tokens": 9, "stream": True, "messages": _user("x")}
    response = httpx.post(mock_url + "/v1/messages", json=body, timeout=5)
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = [f.split("\n") for f in response.text.split("\n\n") if f]
    names = [lines[0].removeprefix("event: ") for lines in frames]
    assert all(f'"type":"{name}"' in lines[1] for name, lines in zip(names, frames, strict=True))
    assert "ping" in names
    assert "[DONE]" not in response.text


def test_max_tokens_and_stop_sequences(client):
    cut = client.messages.create(
        model="mock-chat", max_tokens=3, messages=_user("[[mock tokens=30]]")
    )
    assert cut.stop_reason == "max_tokens"
    assert cut.usage.output_tokens == 3
    stopped = client.messages.create(
        model="mock-chat",
        max_tokens=50,
        messages=_user('[[mock text="one two END three"]]'),
        stop_sequences=["END"],
    )
    assert stopped.stop_reason == "stop_sequence"
    assert stopped.stop_sequence == "END"
    assert stopped.content[0].text == "one two "
    assert stopped.usage.output_tokens == 2


def test_forced_tool_use_non_stream_and_stream(client):
    kwargs = {
        "model": "mock-chat",
        "max_tokens": 100,
        "messages": _user("Weather?"),
        "tools": [WEATHER],
        "tool_choice": {"type": "tool", "name": "get_weather"},
    }
    message = client.messages.create(**kwargs)
    block = message.content[0]
    assert message.stop_reason == "tool_use"
    assert block.type == "tool_use"
    assert block.name == "get_weather"
    assert isinstance(block.input["city"], str)
    with client.messages.stream(**kwargs) as stream:
        deltas = [e.delta.partial_json for e in stream if e.type == "content_block_delta"]
        final = stream.get_final_message()
    assert len(deltas) > 1
    assert final.content[0].input == block.input
    assert final.content[0].id == block.id


def test_thinking_directive_streams_a_signed_thinking_block_first(client):
    kwargs = {
        "model": "mock-chat",
        "max_tokens": 100,
        "messages": _user("[[mock thinking=5 tokens=3]]"),
    }
    message = client.messages.create(**kwargs)
    thinking, text = message.content
    assert thinking.type == "thinking"
    assert thinking.signature
    assert count_tokens(thinking.thinking) == 5
    assert text.type == "text"
    assert message.usage.output_tokens == 5 + 3
    with client.messages.stream(**kwargs) as stream:
        events = list(stream)
        final = stream.get_final_message()
    assert [
        b.model_dump(include={"type", "text", "thinking", "signature"}) for b in final.content
    ] == [b.model_dump(include={"type", "text", "thinking", "signature"}) for b in message.content]
    starts = [e.content_block.type for e in events if e.type == "content_block_start"]
    assert starts == ["thinking", "text"]
    kinds = [e.delta.type for e in events if e.type == "content_block_delta"]
    assert kinds == ["thinking_delta"] * 5 + ["signature_delta"] + ["text_delta"] * 3
    cut = client.messages.create(**{**kwargs, "max_tokens": 6})
    assert cut.stop_reason == "max_tokens"
    assert cut.usage.output_tokens == 6


def test_models_list_is_anthropic_shaped(client):
    page = client.models.list(limit=3)
    assert [m.type for m in page.data] == ["model"] * 3
    assert page.has_more
    assert page.first_id == page.data[0].id
    assert page.last_id == page.data[-1].id
    assert page.data[0].created_at.year == 2023
    assert {m.lifecycle for m in page.data} == {"active"}  # required by the SDK type
    assert client.models.retrieve("mock-chat").display_name


def test_missing_max_tokens_and_bad_input_are_400_invalid_request(mock_url):
    headers = {"anthropic-version": "2023-06-01"}
    for body in (
        b'{"model": "mock-chat", "messages": [{"role": "user", "content": "x"}]}',
        b"{nope",
        b'{"model": "mock-chat", "max_tokens": 5, "messages": [{"role": "robot", "content": "x"}]}',
        b'{"model": "mock-chat", "max_tokens": 5, "temperature": 1.5, '
        b'"messages": [{"role": "user", "content": "x"}]}',
        b'{"model": "mock-chat", "max_tokens": 5, "top_k": -1, "messages": [{"role": "user", '
        b'"content": "x"}]}',
    ):
        response = httpx.post(mock_url + "/v1/messages", content=body, headers=headers, timeout=5)
        assert response.status_code == 400
        assert response.json()["type"] == "error"
        assert response.json()["error"]["type"] == "invalid_request_error"


def test_unknown_model_is_not_found_error(client):
    with pytest.raises(anthropic.NotFoundError) as info:
        client.messages.create(model="claude-nope", max_tokens=5, messages=_user("x"))
    assert info.value.body["error"]["type"] == "not_found_error"
