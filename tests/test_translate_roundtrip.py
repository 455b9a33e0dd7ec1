"""Hypothesis properties: a request translated OpenAI -> Anthropic -> OpenAI (issue 3) and
Anthropic -> OpenAI -> Anthropic keeps its meaning; a reply split into arbitrary stream
fragments reassembles to the non-stream translation."""

from __future__ import annotations

import itertools
from typing import Any

import orjson
from anthropic.types import MessageCreateParams
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types.chat import CompletionCreateParams
from pydantic import TypeAdapter

from gatecheck.protocols.translate import (
    DEFAULT_MAX_TOKENS,
    AnthropicToOpenAIStream,
    OpenAIToAnthropicStream,
    anthropic_to_openai_request,
    anthropic_to_openai_response,
    openai_to_anthropic_request,
    openai_to_anthropic_response,
)

ANTHROPIC_REQUEST = TypeAdapter(MessageCreateParams)
OPENAI_REQUEST = TypeAdapter(CompletionCreateParams)
EMPTY_SCHEMA = {"type": "object", "properties": {}}

# Bounded and derandomized: a fixed, fast example set that CI reproduces exactly.
PROPERTY = settings(
    max_examples=60,
    derandomize=True,
    database=None,  # derandomized: nothing to replay, and no .hypothesis/ left in the tree
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
names = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True)
json_args = st.dictionaries(
    names, st.one_of(st.integers(-5, 5), texts, st.booleans(), st.none()), max_size=3
)
schemas = st.sampled_from(
    [
        None,
        EMPTY_SCHEMA,
        {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    ]
)


def text_content(text: str, as_parts: bool) -> Any:
    return [{"type": "text", "text": text}] if as_parts else text


@st.composite
def user_messages(draw: st.DrawFn) -> dict[str, Any]:
    text = draw(texts)
    if not draw(st.booleans()):
        return {"role": "user", "content": text}
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
    if draw(st.booleans()):
        parts.append(
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
        )
    return {"role": "user", "content": parts}


@st.composite
def openai_requests(draw: st.DrawFn) -> dict[str, Any]:
    tool_names = draw(st.lists(names, max_size=3, unique=True))
    messages: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 2))):
        messages.append(
            {
                "role": draw(st.sampled_from(["system", "developer"])),
                "content": text_content(draw(texts), draw(st.booleans())),
            }
        )
    for turn in range(draw(st.integers(1, 4))):
        messages.append(draw(user_messages()))
        if draw(st.booleans()):
            continue  # two user turns in a row: merged for Anthropic
        calls = []
        if tool_names and draw(st.booleans()):
            for k in range(draw(st.integers(1, 3))):
                arguments = orjson.dumps(draw(json_args)).decode()
                calls.append(
                    {
                        "id": f"call_{turn}_{k}",
                        "type": "function",
                        "function": {
                            "name": draw(st.sampled_from(tool_names)),
                            "arguments": arguments,
                        },
                    }
                )
        content = draw(st.one_of(texts, st.none(), st.just(""))) if calls else draw(texts)
        assistant: dict[str, Any] = {"role": "assistant", "content": content}
        if calls:
            assistant["tool_calls"] = calls
        messages.append(assistant)
        for call in calls:
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": call["id"],
                    "content": text_content(draw(texts), draw(st.booleans())),
                }
            )
        if draw(st.integers(0, 9)) == 0:
            messages.append(
                {"role": "developer", "content": draw(texts)}
            )  # mid-conversation: hoisted
    body: dict[str, Any] = {"model": "alias", "messages": messages}
    if tool_names:
        tools = []
        for name in tool_names:
            function: dict[str, Any] = {"name": name}
            if draw(st.booleans()):
                function["description"] = draw(texts)
            schema = draw(schemas)
            if schema is not None:
                function["parameters"] = schema
            tools.append({"type": "function", "function": function})
        body["tools"] = tools
        choices = [
            None,
            "auto",
            "none",
            "required",
            {"type": "function", "function": {"name": tool_names[0]}},
        ]
        choice = draw(st.sampled_from(choices))
        if choice is not None:
            body["tool_choice"] = choice
        if draw(st.booleans()):
            body["parallel_tool_calls"] = draw(st.booleans())
    stop = draw(st.one_of(st.none(), texts, st.lists(texts, min_size=1, max_size=4)))
    if stop is not None:
        body["stop"] = stop
    limit_key = draw(st.sampled_from([None, "max_tokens", "max_completion_tokens"]))
    if limit_key:
        body[limit_key] = draw(st.integers(1, 8192))
    for key, strategy in (
        ("temperature", st.floats(0, 1)),
        ("top_p", st.floats(0, 1)),
        ("user", names),
        ("stream", st.booleans()),
    ):
        if draw(st.booleans()):
            body[key] = draw(strategy)
    return body


def meaning(body: dict[str, Any]) -> dict[str, Any]:
    """What a Chat Completions request asks for, with the formats' free choices normalised away."""
    system: list[str] = []
    turns: list[tuple[str, list[Any]]] = []

    def add(role: str, items: list[Any]) -> None:
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(items)
        elif items:
            turns.append((role, items))

    for message in body["messages"]:
        role, content = message["role"], message.get("content")
        if role in ("system", "developer"):
            system.extend(
                p
                for p in ([content] if isinstance(content, str) else [p["text"] for p in content])
                if p
            )
        elif role == "user":
            parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
            add(
                "user",
                [
                    ("text", p["text"]) if p["type"] == "text" else ("image", p["image_url"]["url"])
                    for p in parts
                ],
            )
        elif role == "tool":
            text = content if isinstance(content, str) else "".join(p["text"] for p in content)
            add("user", [("tool_result", message["tool_call_id"], text)])
        else:
            text = (
                content
                if isinstance(content, str) or content is None
                else "".join(p["text"] for p in content)
            )
            items: list[Any] = [("text", text)] if text else []
            items += [
                (
                    "tool_use",
                    c["id"],
                    c["function"]["name"],
                    orjson.loads(c["function"]["arguments"]),
                )
                for c in message.get("tool_calls", [])
            ]
            add("assistant", items)
    # Merged assistant turns come back as one text plus the calls: compare them that way.
    turns = [
        (
            role,
            items
            if role == "user"
            else [
                "".join(i[1] for i in items if i[0] == "text"),
                [i for i in items if i[0] != "text"],
            ],
        )
        for role, items in turns
    ]
    tools = body.get("tools") or []
    choice = body.get("tool_choice") or "auto"
    stop = body.get("stop")
    limit = body.get("max_completion_tokens") or body.get("max_tokens") or DEFAULT_MAX_TOKENS
    return {
        "system": system,
        "turns": turns,
        "tools": [
            (
                t["function"]["name"],
                t["function"].get("description"),
                t["function"].get("parameters") or EMPTY_SCHEMA,
            )
            for t in tools
        ],
        "tool_choice": choice if tools else None,
        "parallel": body.get("parallel_tool_calls") is not False or not tools or choice == "none",
        "stop": [stop] if isinstance(stop, str) else (stop or None),
        "max_tokens": limit,
        "sampling": (
            body.get("temperature"),
            body.get("top_p"),
            body.get("user"),
            bool(body.get("stream")),
        ),
    }


@PROPERTY
@given(openai_requests())
def test_openai_request_round_trip_keeps_its_meaning(body: dict[str, Any]) -> None:
    anthropic = openai_to_anthropic_request(body, model="claude-x")
    ANTHROPIC_REQUEST.validate_python(anthropic)
    roles = [m["role"] for m in anthropic["messages"]]
    assert all(a != b for a, b in itertools.pairwise(roles))  # alternation
    back = anthropic_to_openai_request(anthropic, model="alias")
    OPENAI_REQUEST.validate_python(back)
    assert meaning(back) == meaning(body)


# ------------------------------------------------------------------- stream fragment property


@st.composite
def replies(draw: st.DrawFn) -> tuple[str, list[tuple[str, str, dict[str, Any]]], str]:
    text = draw(st.one_of(st.just(""), texts))
    calls = [(f"call_{k}", draw(names), draw(json_args)) for k in range(draw(st.integers(0, 3)))]
    if not text and not calls:
        text = "x"
    finish = "tool_calls" if calls else draw(st.sampled_from(["stop", "length"]))
    return text, calls, finish


def split(text: str, sizes: list[int]) -> list[str]:
    out, i = [], 0
    for size in sizes:
        if i >= len(text):
            break
        out.append(text[i : i + size])
        i += size
    if i < len(text):
        out.append(text[i:])
    return out


@PROPERTY
@given(replies(), st.lists(st.integers(1, 5), min_size=1, max_size=30))
def test_any_fragmentation_reassembles_to_the_non_stream_translation(
    reply: tuple[str, list[tuple[str, str, dict[str, Any]]], str], sizes: list[int]
) -> None:
    text, calls, finish = reply
    usage = {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}
    chunk_base = {
        "id": "chatcmpl-p",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "up",
    }

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            **chunk_base,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in split(text, sizes)]
    for index, (call_id, name, args) in enumerate(calls):
        encoded = orjson.dumps(args).decode()
        chunks.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call_id,
                            "type": "function",
                            "function": {"name": name, "arguments": ""},
                        }
                    ]
                }
            )
        )
        chunks += [
            chunk({"tool_calls": [{"index": index, "function": {"arguments": p}}]})
            for p in split(encoded, sizes)
        ]
    chunks.append(chunk({}, finish))
    chunks.append({**chunk_base, "choices": [], "usage": usage})

    # OpenAI upstream -> Anthropic client
    to_anthropic = OpenAIToAnthropicStream(model="alias", message_id="msg_p")
    events = [e for c in chunks for e in to_anthropic.feed(c)] + to_anthropic.finish(complete=True)
    message = rebuild_anthropic(events)
    tool_calls = [
        {
            "id": i,
            "type": "function",
            "function": {"name": n, "arguments": orjson.dumps(a).decode()},
        }
        for i, n, a in calls
    ]
    completion = {
        "id": "chatcmpl-p",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "tool_calls": tool_calls},
                "finish_reason": finish,
            }
        ],
        "usage": usage,
    }
    expected = openai_to_anthropic_response(completion, model="alias")
    assert message == {
        k: expected[k] for k in ("id", "content", "stop_reason", "stop_sequence", "usage")
    }

    # ... and that Anthropic stream, fed to the other translator, gives back the OpenAI reply
    to_openai = AnthropicToOpenAIStream(
        model="alias", include_usage=True, completion_id="chatcmpl-p", created=1
    )
    out = [c for name, data in events for c in to_openai.feed(name, data)]
    out += to_openai.finish(complete=True)
    rebuilt = anthropic_to_openai_response(expected, model="alias", created=1)
    assert (
        "".join(c["choices"][0]["delta"].get("content") or "" for c in out if c["choices"]) == text
    )
    arguments: dict[int, str] = {}
    for c in out:
        for call in (c["choices"][0]["delta"].get("tool_calls") or []) if c["choices"] else []:
            arguments[call["index"]] = (
                arguments.get(call["index"], "") + call["function"]["arguments"]
            )
    assert [orjson.loads(arguments[i]) for i in sorted(arguments)] == [a for _, _, a in calls]
    assert out[-2]["choices"][0]["finish_reason"] == rebuilt["choices"][0]["finish_reason"]
    assert out[-1]["usage"] == rebuilt["usage"]


def rebuild_anthropic(events: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Reassemble an Anthropic event list by hand (the SDK's accumulator is used elsewhere)."""
    message: dict[str, Any] = {}
    partial: dict[int, str] = {}
    for name, data in events:
        if name == "message_start":
            message = {
                k: data["message"][k]
                for k in ("id", "content", "stop_reason", "stop_sequence", "usage")
            }
        elif name == "content_block_start":
            message["content"].append(dict(data["content_block"]))
        elif name == "content_block_delta" and data["delta"]["type"] == "text_delta":
            message["content"][data["index"]]["text"] += data["delta"]["text"]
        elif name == "content_block_delta":
            partial[data["index"]] = partial.get(data["index"], "") + data["delta"]["partial_json"]
        elif name == "message_delta":
            message.update(data["delta"])
            message["usage"] = {**message["usage"], **data["usage"]}
    for index, raw in partial.items():
        message["content"][index]["input"] = orjson.loads(raw)
    return message


# ------------------------------------------------------------ Anthropic -> OpenAI -> Anthropic


@st.composite
def anthropic_requests(draw: st.DrawFn) -> dict[str, Any]:
    tool_names = draw(st.lists(names, max_size=3, unique=True))
    messages: list[dict[str, Any]] = []
    pending: list[str] = []  # tool_use ids the next user turn answers
    for turn in range(draw(st.integers(1, 4))):
        blocks: list[dict[str, Any]] = [
            {
                "type": "tool_result",
                "tool_use_id": i,
                "content": draw(st.one_of(texts, st.just([{"type": "text", "text": "r"}]))),
            }
            for i in pending
        ]
        blocks.append({"type": "text", "text": draw(texts)})
        if draw(st.booleans()):
            blocks.append(
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"},
                }
            )
        plain = not pending and len(blocks) == 1 and draw(st.booleans())
        messages.append({"role": "user", "content": blocks[0]["text"] if plain else blocks})
        pending = []
        assistant: list[dict[str, Any]] = []
        if draw(st.booleans()):
            assistant.append({"type": "text", "text": draw(texts)})
        if tool_names and draw(st.booleans()):
            for k in range(draw(st.integers(1, 2))):
                pending.append(f"toolu_{turn}_{k}")
                assistant.append(
                    {
                        "type": "tool_use",
                        "id": pending[-1],
                        "name": draw(st.sampled_from(tool_names)),
                        "input": draw(json_args),
                    }
                )
        if not assistant:
            assistant.append({"type": "text", "text": draw(texts)})
        plain = len(assistant) == 1 and assistant[0]["type"] == "text" and draw(st.booleans())
        messages.append(
            {"role": "assistant", "content": assistant[0]["text"] if plain else assistant}
        )
    if pending or draw(st.booleans()):
        messages.append(
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": i, "content": "ok"} for i in pending
                ]
                or "next",
            }
        )
    body: dict[str, Any] = {
        "model": "claude-x",
        "max_tokens": draw(st.integers(1, 8192)),
        "messages": messages,
    }
    system = draw(
        st.one_of(
            st.none(),
            texts,
            st.lists(texts.map(lambda t: {"type": "text", "text": t}), min_size=1, max_size=3),
        )
    )
    if system is not None:
        body["system"] = system
    if tool_names:
        body["tools"] = [
            {"name": n, "input_schema": draw(schemas) or EMPTY_SCHEMA} for n in tool_names
        ]
        choice = draw(
            st.sampled_from(
                [
                    None,
                    {"type": "auto"},
                    {"type": "any"},
                    {"type": "none"},
                    {"type": "tool", "name": tool_names[0]},
                ]
            )
        )
        if choice is not None:
            if choice["type"] != "none" and draw(st.booleans()):
                choice = {**choice, "disable_parallel_tool_use": True}
            body["tool_choice"] = choice
    if draw(st.booleans()):
        body["stop_sequences"] = draw(st.lists(texts, min_size=1, max_size=3))
    for key, strategy in (
        ("temperature", st.floats(0, 1)),
        ("top_p", st.floats(0, 1)),
        ("stream", st.booleans()),
    ):
        if draw(st.booleans()):
            body[key] = draw(strategy)
    if draw(st.booleans()):
        body["metadata"] = {"user_id": draw(names)}
    return body


def anthropic_meaning(body: dict[str, Any]) -> dict[str, Any]:
    """What a Messages request asks for, with the formats' free choices normalised away."""
    system = body.get("system")
    turns: list[tuple[str, Any]] = []
    for message in body["messages"]:
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if message["role"] == "assistant":
            text = "".join(b["text"] for b in blocks if b["type"] == "text")
            turns.append(
                (
                    "assistant",
                    (
                        text,
                        [
                            (b["id"], b["name"], b["input"])
                            for b in blocks
                            if b["type"] == "tool_use"
                        ],
                    ),
                )
            )
            continue
        items: list[Any] = []
        for b in blocks:
            if b["type"] == "tool_result":
                result = (
                    b["content"]
                    if isinstance(b["content"], str)
                    else "".join(p["text"] for p in b["content"])
                )
                items.append(("tool_result", b["tool_use_id"], result))
            else:
                items.append(
                    ("text", b["text"]) if b["type"] == "text" else ("image", b["source"]["data"])
                )
        if turns and turns[-1][0] == "user":
            turns[-1][1].extend(items)
        else:
            turns.append(("user", items))
    choice = dict(body.get("tool_choice") or {"type": "auto"})
    return {
        "system": [system] if isinstance(system, str) else [b["text"] for b in system or ()],
        "turns": turns,
        "tools": [
            (t["name"], t.get("description"), t["input_schema"]) for t in body.get("tools", [])
        ],
        "tool_choice": choice if body.get("tools") else None,
        "stop": body.get("stop_sequences") or None,
        "rest": (
            body["max_tokens"],
            body.get("temperature"),
            body.get("top_p"),
            bool(body.get("stream")),
            (body.get("metadata") or {}).get("user_id"),
        ),
    }


@PROPERTY
@given(anthropic_requests())
def test_anthropic_request_round_trip_keeps_its_meaning(body: dict[str, Any]) -> None:
    ANTHROPIC_REQUEST.validate_python(body)
    openai = anthropic_to_openai_request(body, model="gpt-x")
    OPENAI_REQUEST.validate_python(openai)
    back = openai_to_anthropic_request(openai, model="claude-x")
    assert anthropic_meaning(back) == anthropic_meaning(body)
