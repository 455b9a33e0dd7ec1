"""The official openai SDK consumes the mock: the oracle that its OpenAI wire format is right."""

from __future__ import annotations

import httpx
import openai
import orjson
import pytest

from gatecheck.mock import count_request_tokens, count_tokens

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer"},
                "unit": {"enum": ["c", "f"]},
            },
            "required": ["city"],
        },
    },
}


@pytest.fixture(scope="module")
def client(mock_url):
    with openai.OpenAI(
        base_url=mock_url + "/v1", api_key="sk-test", max_retries=0, timeout=10
    ) as client:
        yield client


def _messages(text: str) -> list[dict]:
    return [{"role": "system", "content": "You are terse."}, {"role": "user", "content": text}]


def test_non_stream_usage_is_exact(client):
    messages = _messages("Say something [[mock tokens=12]]")
    reply = client.chat.completions.create(model="mock-chat", messages=messages)
    body = {"model": "mock-chat", "messages": messages}
    assert reply.object == "chat.completion"
    assert reply.choices[0].finish_reason == "stop"
    text = reply.choices[0].message.content
    assert reply.usage.completion_tokens == count_tokens(text) == 12
    assert reply.usage.prompt_tokens == count_request_tokens("openai", body)
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + 12


def test_output_is_deterministic_per_conversation(client):
    messages = _messages("Same question")
    first = client.chat.completions.create(model="mock-chat", messages=messages)
    again = client.chat.completions.create(model="mock-chat", messages=messages)
    other = client.chat.completions.create(model="mock-chat", messages=_messages("Other question"))
    assert first.choices[0].message.content == again.choices[0].message.content
    assert first.choices[0].message.content != other.choices[0].message.content
    assert first.id != again.id


def test_stream_matches_non_stream_and_reports_usage_last(client):
    messages = _messages("Stream this [[mock tokens=9]]")
    whole = client.chat.completions.create(model="mock-chat", messages=messages)
    chunks = list(
        client.chat.completions.create(
            model="mock-chat",
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert len({(c.id, c.created, c.model) for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"
    assert set(finishes[:-1]) == {None}
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == 9
    assert chunks[-1].usage.prompt_tokens == whole.usage.prompt_tokens
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_without_include_usage_has_no_usage_chunk(client):
    chunks = list(
        client.chat.completions.create(model="mock-chat", messages=_messages("x"), stream=True)
    )
    assert all(c.choices and c.usage is None for c in chunks)


def test_max_tokens_truncates_with_length(client):
    for key in ("max_tokens", "max_completion_tokens"):
        reply = client.chat.completions.create(
            model="mock-chat", messages=_messages("long [[mock tokens=40]]"), **{key: 5}
        )
        assert reply.choices[0].finish_reason == "length"
        assert reply.usage.completion_tokens == 5 == count_tokens(reply.choices[0].message.content)


def test_stop_sequence_cuts_the_reply(client):
    messages = _messages('[[mock text="alpha beta STOP gamma"]]')
    reply = client.chat.completions.create(model="mock-chat", messages=messages, stop=["STOP"])
    assert reply.choices[0].message.content == "alpha beta "
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage.completion_tokens == 2
    chunks = list(
        client.chat.completions.create(
            model="mock-chat", messages=messages, stop="STOP", stream=True
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "alpha beta "


def test_forced_tool_call_non_stream_and_stream(client):
    kwargs = {
        "model": "mock-chat",
        "messages": _messages("Weather in Paris?"),
        "tools": [WEATHER],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    }
    reply = client.chat.completions.create(**kwargs)
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    args = orjson.loads(call.function.arguments)
    assert call.type == "function"
    assert call.function.name == "get_weather"
    assert call.id
    assert isinstance(args["city"], str)
    assert isinstance(args["days"], int)
    assert args["unit"] in ("c", "f")
    assert reply.usage.completion_tokens == count_tokens("get_weather") + count_tokens(
        call.function.arguments
    )

    chunks = list(client.chat.completions.create(**kwargs, stream=True))
    parts = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert parts[0].id == call.id
    assert parts[0].type == "function"
    assert parts[0].function.name == "get_weather"
    assert all(p.index == 0 and p.id is None and p.function.name is None for p in parts[1:])
    assert "".join(p.function.arguments or "" for p in parts) == call.function.arguments
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_required_tool_choice_and_directive_args(client):
    reply = client.chat.completions.create(
        model="mock-chat",
        messages=_messages("""[[mock tool=* args='{"city":"Oslo"}']]"""),
        tools=[WEATHER],
    )
    assert orjson.loads(reply.choices[0].message.tool_calls[0].function.arguments) == {
        "city": "Oslo"
    }
    reply = client.chat.completions.create(
        model="mock-chat", messages=_messages("x"), tools=[WEATHER], tool_choice="required"
    )
    assert reply.choices[0].message.tool_calls[0].function.name == "get_weather"


def test_thinking_directive_sends_reasoning_content_first(client, mock_url):
    messages = _messages("[[mock thinking=4 tokens=2]]")
    reply = client.chat.completions.create(model="mock-chat", messages=messages)
    message = reply.choices[0].message.model_dump()
    assert count_tokens(message["reasoning_content"]) == 4
    assert reply.usage.completion_tokens == 6
    assert reply.usage.completion_tokens_details.reasoning_tokens == 4
    chunks = list(client.chat.completions.create(model="mock-chat", messages=messages, stream=True))
    deltas = [c.choices[0].delta.model_dump(exclude_none=True) for c in chunks]
    reasoning = [d["reasoning_content"] for d in deltas if "reasoning_content" in d]
    assert "".join(reasoning) == message["reasoning_content"]
    first_content = next(i for i, d in enumerate(deltas) if d.get("content"))
    assert first_content > max(i for i, d in enumerate(deltas) if "reasoning_content" in d)


def test_models_list_and_retrieve(client):
    ids = [m.id for m in client.models.list()]
    assert "mock-chat" in ids
    assert "mock-slow" in ids
    model = client.models.retrieve("mock-chat")
    assert model.object == "model"
    assert model.owned_by
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")


def test_unknown_model_is_404_model_not_found(client):
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-nope", messages=_messages("x"))
    assert info.value.body["code"] == "model_not_found"


def test_schema_invalid_bodies_are_400_in_the_envelope(client, mock_url):
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="mock-chat", messages=_messages("x"), stream_options={"include_usage": True}
        )
    assert info.value.body["param"] == "stream_options"
    for body in (
        b"{not json",
        b'{"model": "mock-chat"}',
        b'{"model": "mock-chat", "messages": [], "max_tokens": 1}',
        b'{"model": "mock-chat", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0}',
    ):
        response = httpx.post(mock_url + "/v1/chat/completions", content=body, timeout=5)
        assert response.status_code == 400
        error = response.json()["error"]
        assert set(error) == {"message", "type", "param", "code"}
        assert error["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("key", "value"),
    [("temperature", 2.5), ("temperature", "hot"), ("top_p", -0.1), ("n", 0), ("n", 1.5),
     ("presence_penalty", 3), ("user", 5), ("logprobs", "yes")],
)  # fmt: skip
def test_sampling_parameters_are_validated(mock_url, key, value):
    body = {"model": "mock-chat", "messages": _messages("x"), key: value}
    response = httpx.post(mock_url + "/v1/chat/completions", json=body, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == key


def test_continuous_usage_stats_on_every_chunk(mock_url):
    body = {
        "model": "mock-chat",
        "messages": _messages("[[mock tokens=4]]"),
        "stream": True,
        "stream_options": {"include_usage": True, "continuous_usage_stats": True},
    }
    response = httpx.post(mock_url + "/v1/chat/completions", json=body, timeout=5)
    chunks = [
        orjson.loads(line[6:]) for line in response.text.split("\n\n") if line.startswith("data: {")
    ]
    prompt = count_request_tokens("openai", body)
    assert chunks[0]["usage"] == {
        "prompt_tokens": prompt,
        "completion_tokens": 0,
        "total_tokens": prompt,
    }
    assert [c["usage"]["completion_tokens"] for c in chunks] == [0, 1, 2, 3, 4, 4, 4]
    assert chunks[-1]["choices"] == []
