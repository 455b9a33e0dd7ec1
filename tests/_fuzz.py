"""Hostile request bodies for the fuzz tests of the proxy and the mock, and their judge.

The property both must hold, whatever the body: the answer is a 2xx or a 4xx, never a 5xx,
and a 4xx is an error envelope of the route's surface. Bodies come from four sources:

- the request schemas' own strategies (``gatecheck.schemas.strategies``), valid and invalid;
- those bodies (and richer fixed ones: tool calls, tool results, images) with one node, at
  any depth, replaced by an arbitrary JSON value or deleted, or with a known field added;
- arbitrary JSON values as the whole body, and raw bytes (random, cut, one byte changed);
- ``HOSTILE``: hand-picked cases a random draw rarely reaches (deep nesting, surrogates,
  wrong Content-Type, 0 bytes, ...).

Text never holds ``[``: a ``[[mock ...]]`` directive asks the mock for a fault on purpose.
``GATECHECK_FUZZ_EXAMPLES`` raises the example count of every fuzz test (default: small,
for CI); run once with e.g. 2000 after a change to a validator.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from gatecheck.schemas.strategies import invalid_requests, valid_requests

__all__ = [
    "HOSTILE",
    "fuzz_settings",
    "hostile_bodies",
    "judge",
    "key_bodies",
    "key_hostile",
    "route_bodies",
]

EXAMPLES = int(os.environ.get("GATECHECK_FUZZ_EXAMPLES", "0"))


def fuzz_settings(max_examples: int) -> settings:
    """Bounded and repeatable: fixed examples (or the env override), no deadline."""
    return settings(
        max_examples=EXAMPLES or max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )


def dumps(value: Any) -> bytes:
    """JSON bytes; the stdlib writes integers past 64 bits, which orjson refuses to."""
    return json.dumps(value, ensure_ascii=False).encode()


TEXT = st.text(st.characters(codec="utf-8", exclude_characters="["), max_size=12)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    TEXT, st.sampled_from(["", "user", "assistant", "function", "text", "auto", "tool"]),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)

# Top-level fields each surface reads (added with an arbitrary value by the mutations).
FIELDS = {
    "openai": ("model", "messages", "max_tokens", "max_completion_tokens", "stream",
               "stream_options", "stop", "temperature", "top_p", "n", "tools", "tool_choice",
               "parallel_tool_calls", "response_format", "metadata", "user", "seed",
               "logprobs", "top_logprobs", "logit_bias", "presence_penalty",
               "frequency_penalty", "modalities", "audio", "store", "reasoning_effort"),
    "anthropic": ("model", "messages", "max_tokens", "system", "stop_sequences", "stream",
                  "temperature", "top_p", "top_k", "tools", "tool_choice", "metadata",
                  "thinking", "service_tier"),
}
_SCHEMA = {"type": "object", "properties": {"q": {"type": "string"}}}
# Rich valid bodies: every nested place a translator or a validator reads.
RICH = {
    "openai": {
        "model": "mock-chat", "max_tokens": 8, "stop": ["zz"], "user": "u",
        "messages": [
            {"role": "system", "content": [{"type": "text", "text": "be brief"}]},
            {"role": "user", "content": [
                {"type": "text", "text": "hi"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "lookup", "arguments": "{\"q\": \"x\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "42"},
            {"role": "user", "content": "thanks", "name": "bob"},
        ],
        "tools": [{"type": "function", "function": {
            "name": "lookup", "description": "d", "parameters": _SCHEMA}}],
        "tool_choice": {"type": "function", "function": {"name": "lookup"}},
    },
    "anthropic": {
        "model": "mock-chat", "max_tokens": 8, "stop_sequences": ["zz"],
        "system": [{"type": "text", "text": "be brief", "cache_control": {"type": "ephemeral"}}],
        "metadata": {"user_id": "u"},
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "hi"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                             "data": "iVBO"}}]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "calling"},
                {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "x"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "42"},
                {"type": "text", "text": "thanks"}]},
        ],
        "tools": [{"name": "lookup", "description": "d", "input_schema": _SCHEMA}],
        "tool_choice": {"type": "tool", "name": "lookup"},
    },
}


def _places(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key-or-index) below ``node``, depth first."""
    out: list[tuple[Any, Any]] = []
    items = node.items() if isinstance(node, dict) else (
        enumerate(node) if isinstance(node, list) else ())
    for key, child in items:
        out.append((node, key))
        out.extend(_places(child))
    return out


@st.composite
def _mutated(draw: st.DrawFn, base: st.SearchStrategy[Any], fields: tuple[str, ...]) -> Any:
    body = copy.deepcopy(draw(base))
    if not isinstance(body, dict):
        return body
    how = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
    places = _places(body)
    if how == "add" or not places:
        body[draw(st.sampled_from(fields))] = draw(JSON_VALUES)
        return body
    container, key = draw(st.sampled_from(places))
    if how == "delete":
        del container[key]
    else:
        container[key] = draw(JSON_VALUES)
    return body


def _schema_bodies(surface: str) -> st.SearchStrategy[Any]:
    return st.one_of(
        valid_requests(surface),  # type: ignore[arg-type]
        invalid_requests(surface).filter(lambda c: c.raw is None).map(lambda c: c.body),  # type: ignore[arg-type]
        st.sampled_from([RICH[surface], {**RICH[surface], "stream": True}]),
    )


@st.composite
def _raw(draw: st.DrawFn, base: st.SearchStrategy[Any]) -> bytes:
    """Random bytes, or a JSON body cut short or with one byte changed."""
    how = draw(st.sampled_from(["random", "cut", "flip"]))
    if how == "random":
        return draw(st.binary(max_size=48))
    text = dumps(draw(base))
    at = draw(st.integers(0, max(len(text) - 1, 0)))
    if how == "cut":
        return text[:at]
    return text[:at] + bytes([draw(st.integers(0, 255))]) + text[at + 1:]


def route_bodies(surface: str) -> st.SearchStrategy[bytes]:
    """Request bytes for chat completions (openai) or messages / count_tokens (anthropic)."""
    base = _schema_bodies(surface)
    return st.one_of(
        base.map(dumps),
        _mutated(base, FIELDS[surface]).map(dumps),
        _mutated(_mutated(base, FIELDS[surface]), FIELDS[surface]).map(dumps),
        JSON_VALUES.map(dumps),
        _raw(base),
    )


_RATE_FIELDS = ("requests_per_minute", "requests_per_hour", "requests_per_day",
                "tokens_per_minute")
_KEY_BODIES = st.fixed_dictionaries(
    {"name": st.one_of(st.just("fuzz"), TEXT, JSON_VALUES)},
    optional={
        "permissions": st.one_of(
            st.lists(st.sampled_from(["chat", "admin"]), max_size=2),
            st.lists(JSON_VALUES, max_size=2), JSON_VALUES),
        "expires_at": st.one_of(
            st.floats(allow_nan=False, allow_infinity=False), st.integers(),
            st.sampled_from(["2999-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "10000-01-01",
                             "2999-01-01T00:00:00+25:00", "0001-01-01", "now"]),
            JSON_VALUES),
        "expires_in": st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                                st.integers(), JSON_VALUES),
        "rate_limits": st.one_of(
            st.dictionaries(st.sampled_from(_RATE_FIELDS), st.integers() | JSON_VALUES,
                            max_size=2),
            JSON_VALUES),
    },
)


def key_bodies() -> st.SearchStrategy[bytes]:
    """``POST /v1/keys`` bytes: the create fields with wrong values, any JSON, raw bytes."""
    return st.one_of(
        _KEY_BODIES.map(dumps), _KEY_BODIES.map(dumps), JSON_VALUES.map(dumps),
        _raw(_KEY_BODIES),
    )


def key_hostile() -> list[tuple[str, bytes]]:
    """(label, body) for ``POST /v1/keys``: what a random draw rarely reaches."""
    values: list[tuple[str, Any]] = [
        ("name NUL", {"name": "a\u0000b"}), ("name 100", {"name": "n" * 100}),
        ("name 101", {"name": "n" * 101}), ("name RTL", {"name": "\u202egnp.exe"}),
        ("permissions duplicate", {"name": "p", "permissions": ["chat", "chat"]}),
        ("permissions nested", {"name": "p", "permissions": [["chat"]]}),
        ("permissions object", {"name": "p", "permissions": [{}]}),
    ]
    for value in (1e308, -1e308, 2**63, 2**64, 10**30, 253402300799, 253402300800, 0.5,
                  "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-01:00", "10000-01-01T00:00:00Z",
                  "0001-01-01T00:00:00Z", "0000-01-01", "2999-02-30", "2999-01-01T24:00:00Z",
                  "", [], {}, True):
        values.append((f"expires_at {value!r}", {"name": "e", "expires_at": value}))
        values.append((f"expires_in {value!r}", {"name": "e", "expires_in": value}))
    for value in (2**63, 2**64, 10**30, 1.0, 1.5, "1", None, [], True):
        values.append((f"rate_limits {value!r}",
                       {"name": "r", "rate_limits": {"requests_per_minute": value}}))
    out = [(label, dumps(body)) for label, body in values]
    out += [("0-byte body", b""), ("JSON null", b"null"), ("JSON array", b"[]"),
            ("10,000 levels", b'{"name":' + b"[" * 10_000 + b"]" * 10_000 + b"}"),
            ("lone surrogate", b'{"name":"\\ud800"}'), ("invalid UTF-8", b'{"name":"\xff"}')]
    return out


def _deep(levels: int) -> bytes:
    return b'{"model":"mock-chat","max_tokens":8,"messages":' + b"[" * levels + b"]" * levels + b"}"


def _with(surface: str, **fields: Any) -> dict[str, Any]:
    body = copy.deepcopy(RICH[surface])
    body.update(fields)
    return body


def _message(surface: str, message: Any) -> dict[str, Any]:
    return _with(surface, messages=[message], tools=None, tool_choice=None)


def hostile_bodies(surface: str) -> list[tuple[str, bytes, dict[str, str]]]:
    """(label, body, extra headers): the nested wrong types random draws rarely reach."""
    user = {"role": "user", "content": "hi"}
    cases: list[tuple[str, bytes | dict[str, Any]]] = [
        ("0-byte body", b""),
        ("JSON null", b"null"),
        ("JSON string", b'"hi"'),
        ("JSON array", b"[]"),
        ("whitespace", b"  \n "),
        ("10,000 levels of arrays", _deep(10_000)),
        ("10,000 levels of objects", b'{"a":' * 10_000 + b"1" + b"}" * 10_000),
        ("lone surrogate escape", b'{"model":"mock-chat","max_tokens":8,'
                                  b'"messages":[{"role":"user","content":"\\ud800"}]}'),
        ("surrogate bytes", b'{"model":"mock-chat","max_tokens":8,'
                            b'"messages":[{"role":"user","content":"\xed\xa0\x80"}]}'),
        ("invalid UTF-8", b'{"model":"mock-chat","max_tokens":8,'
                          b'"messages":[{"role":"user","content":"\xff\xfe"}]}'),
        ("number past double", b'{"model":"mock-chat","max_tokens":1e400,'
                               b'"messages":[{"role":"user","content":"hi"}]}'),
        ("integer past 64 bits", _with(surface, max_tokens=10**30)),
        ("BOM", b"\xef\xbb\xbf" + dumps(_with(surface))),
        ("duplicate keys", b'{"model":"mock-chat","model":1,"max_tokens":8,'
                           b'"messages":[{"role":"user","content":"hi"}]}'),
    ]
    for value in ("hi", 3, None, True, [], [user]):
        cases.append((f"messages item {value!r}", _with(surface, messages=[value])))
    for role in (["user"], {"user": 1}, 1, None, True, "", "USER"):
        cases.append((f"role {role!r}", _message(surface, {"role": role, "content": "hi"})))
    for content in (3, True, {"type": "text"}, [3], [None], ["hi"], [[]],
                    [{"type": 3}], [{"type": ["text"]}], [{"type": "text", "text": 3}],
                    [{"type": "text", "text": None}], [{"type": "text", "text": {"a": 1}}],
                    [{"type": "image_url", "image_url": 3}],
                    [{"type": "image_url", "image_url": {"url": 3}}],
                    [{"type": "image", "source": 3}],
                    [{"type": "image", "source": {"type": "base64", "data": {}}}],
                    [{"type": "tool_result", "tool_use_id": 3, "content": 3}],
                    [{"type": "tool_result", "tool_use_id": "t", "content": [3]}],
                    [{"type": "tool_use", "id": 3, "name": 3, "input": 3}],
                    [{"type": "tool_use", "id": "t", "name": "n", "input": "{}"}],
                    [{"type": "thinking", "thinking": 3}]):
        cases.append((f"content {content!r}",
                      _message(surface, {"role": "user", "content": content})))
        cases.append((f"assistant content {content!r}",
                      _with(surface, tools=None, tool_choice=None, messages=[
                          user, {"role": "assistant", "content": content}, user])))
    for calls in (3, "x", [3], [None], [{"function": 3}], [{"function": {"name": 3}}],
                  [{"function": {"name": "f", "arguments": 3}}],
                  [{"function": {"name": "f", "arguments": "[1]"}}],
                  [{"function": {"name": "f", "arguments": "{"}}], [{"id": [], "function": {}}]):
        cases.append((f"tool_calls {calls!r}", _with(surface, messages=[
            user, {"role": "assistant", "content": None, "tool_calls": calls},
            {"role": "tool", "tool_call_id": "call_1", "content": "42"}, user])))
    cases.append(("tool message tool_call_id 3", _with(surface, messages=[
        user, {"role": "tool", "tool_call_id": 3, "content": "42"}, user])))
    for tools in (3, "x", {}, [3], [None], [[]], [{}], [{"type": 3}], [{"name": 3}],
                  [{"name": None}], [{"name": ["lookup"]}], [{"name": "lookup", "input_schema": 3}],
                  [{"name": "lookup", "input_schema": []}],
                  [{"type": "function", "function": 3}],
                  [{"type": "function", "function": {"name": 3}}],
                  [{"type": "function", "function": {"name": {"a": 1}}}],
                  [{"type": "function", "function": {"name": "lookup", "parameters": 3}}],
                  [{"type": "function", "function": {"name": "lookup", "parameters": "{}"}}],
                  [{"type": "function", "function": {"name": "lookup", "parameters": []}}],
                  [{"type": "function", "function": {"name": "lookup", "description": 3}}],
                  [{"type": "web_search_20250305", "name": "web_search"}]):
        for choice in (None, "required", {"type": "any"}):
            cases.append((f"tools {tools!r} tool_choice {choice!r}",
                          _with(surface, tools=tools, tool_choice=choice)))
    for choice in ("auto", "none", "required", "any", "x", 3, True, [], {}, {"type": 3},
                   {"type": "tool"}, {"type": "tool", "name": 3}, {"type": "tool", "name": "nope"},
                   {"type": "any"}, {"type": "function"}, {"type": "function", "function": 3},
                   {"type": "function", "function": {"name": 3}},
                   {"type": "function", "function": {"name": "nope"}},
                   {"type": "auto", "disable_parallel_tool_use": "yes"}):
        cases.append((f"tool_choice {choice!r}", _with(surface, tool_choice=choice)))
        cases.append((f"tool_choice {choice!r} without tools",
                      _with(surface, tool_choice=choice, tools=None)))
    for value in (10**18, 2**63, 10**30, 0, -1, 1.5, 8.0, True, False, "8", None, [8]):
        cases.append((f"max_tokens {value!r}", _with(surface, max_tokens=value)))
        cases.append((f"max_completion_tokens {value!r}",
                      _with(surface, max_completion_tokens=value)))
    for value in ("true", 1, 0, None, [], {}):
        cases.append((f"stream {value!r}", _with(surface, stream=value)))
        cases.append((f"stream_options {value!r}",
                      _with(surface, stream=True, stream_options=value)))
    cases.append(("stream_options include_usage str",
                  _with(surface, stream=True, stream_options={"include_usage": "yes"})))
    for value in (3, "x", [3], [None], [""], ["a"] * 5, ["a"] * 100, {}, [[]], True):
        cases.append((f"stop {value!r}", _with(surface, stop=value)))
        cases.append((f"stop_sequences {value!r}", _with(surface, stop_sequences=value)))
    for value in (3, "x", [], {"user_id": 3}, {"user_id": {}}, {"a": [1]}, True):
        cases.append((f"metadata {value!r}", _with(surface, metadata=value)))
        cases.append((f"system {value!r}", _with(surface, system=value)))
        cases.append((f"thinking {value!r}", _with(surface, thinking=value)))
        cases.append((f"response_format {value!r}", _with(surface, response_format=value)))
    for key in ("temperature", "top_p", "top_k", "n", "seed", "top_logprobs",
                "presence_penalty", "frequency_penalty"):
        for value in (-1, 1e308, -1e308, 10**30, "1", True, [1], 0.5):
            cases.append((f"{key} {value!r}", _with(surface, **{key: value})))
    for key in ("model", "user", "logit_bias", "modalities", "audio", "store",
                "parallel_tool_calls", "logprobs", "service_tier", "reasoning_effort"):
        for value in (3, None, [], {}, True, "", "x" * 10_000):
            cases.append((f"{key} {value!r}"[:60], _with(surface, **{key: value})))
    out = [(label, body if isinstance(body, bytes) else dumps(body), {})
           for label, body in cases]
    # and streamed: a translator that fails after the 200 shows as an in-stream error
    out += [(f"{label} (stream)", dumps({**body, "stream": True}), {})
            for label, body in cases if isinstance(body, dict) and "stream" not in body]
    good = dumps(_with(surface))
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                  "application/json; charset=latin-1", ""):
        out.append((f"content-type {ctype!r}", good, {"content-type": ctype}))
    out.append(("form body", b"model=mock-chat&max_tokens=8",
                {"content-type": "application/x-www-form-urlencoded"}))
    return out


HOSTILE = {surface: hostile_bodies(surface) for surface in ("openai", "anthropic")}


def _is_openai_error(body: Any) -> bool:
    error = body.get("error") if isinstance(body, dict) else None
    return (isinstance(error, dict) and set(error) == {"message", "type", "param", "code"}
            and isinstance(error["message"], str) and isinstance(error["type"], str))


def _is_anthropic_error(body: Any) -> bool:
    error = body.get("error") if isinstance(body, dict) else None
    return (isinstance(body, dict) and body.get("type") == "error" and isinstance(error, dict)
            and isinstance(error.get("type"), str) and isinstance(error.get("message"), str))


def judge(response: httpx.Response, envelope: str, sent: bytes = b"") -> None:
    """A 2xx, or a 4xx in the ``envelope`` surface's error shape; never a 5xx."""
    status, text = response.status_code, response.text[:300]
    context = f"{status} for {sent[:200]!r}: {text}"
    assert 200 <= status < 300 or 400 <= status < 500, context
    ctype = response.headers.get("content-type", "")
    if status >= 400:
        assert ctype.startswith("application/json"), context
        body = response.json()
        check = _is_openai_error if envelope == "openai" else _is_anthropic_error
        assert check(body), f"not a {envelope} error envelope: {context}"
    elif ctype.startswith("application/json"):
        body = response.json()
        assert not (isinstance(body, dict) and (body.get("error") or body.get("type") == "error")
                    ), context
    elif ctype.startswith("text/event-stream"):  # an error event is a 5xx after the 200
        assert "event: error" not in response.text, context
        assert 'data: {"error"' not in response.text, context
