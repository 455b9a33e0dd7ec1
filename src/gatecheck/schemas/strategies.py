"""Hypothesis strategies for request bodies: valid ones, and invalid ones labelled with the flaw.

Hand-written rather than `hypothesis_jsonschema.from_schema` on the request schemas: those
schemas are 50-110 KB of unions (audio, predictions, server tools, containers, ...), so
`from_schema` is slow to start, rarely satisfies the cross-field rules the APIs add (no
`stream_options` without `stream`, alternating roles), and draws exotic features a gateway may
legitimately not support. These draw the requests real clients send, bounded (1-4 messages,
short text, max_tokens 1-16), in microseconds; tests validate every drawn body against the
schemas, so the two cannot drift apart.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

import orjson
from hypothesis import strategies as st

from gatecheck import Surface, UsageError

__all__ = ["INVALID_LABELS", "InvalidRequest", "invalid_requests", "valid_requests"]

Body = dict[str, Any]

# Short, realistic text: letters, digits, punctuation, symbols (emoji) and spaces of any
# script, no control or private-use characters. No brackets: `[[mock ...]]` steers the mock.
_ALPHABET: Final = st.characters(
    categories=("L", "N", "P", "S", "Zs"), max_codepoint=0x1FAFF, exclude_characters="[]"
)
_TEXT: Final = st.text(_ALPHABET, min_size=1, max_size=24)
_SHORT: Final = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
_MAX_TOKENS: Final = st.integers(1, 16)
_TOOL: Final = st.fixed_dictionaries({
    "name": st.sampled_from(["get_weather", "lookup", "add"]),
    "description": _TEXT,
})


@dataclass(frozen=True, slots=True)
class InvalidRequest:
    """A body the API must reject with a 4xx, and what is wrong with it."""

    label: str  # e.g. "missing model"; one of INVALID_LABELS[surface]
    body: Any  # the JSON value to send (may be a non-object)
    raw: bytes | None = None  # when set, send these bytes instead (malformed JSON)

    @property
    def content(self) -> bytes:
        """The request body bytes."""
        return self.raw if self.raw is not None else orjson.dumps(self.body)


def _content(blocks: bool) -> st.SearchStrategy[Any]:
    parts = st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": _TEXT}),
                     min_size=1, max_size=2)
    return st.one_of(_TEXT, parts) if blocks else _TEXT


@st.composite
def _turns(draw: st.DrawFn) -> list[Body]:
    """1-3 alternating user/assistant turns ending with the user (content string or parts)."""
    count = draw(st.sampled_from([1, 1, 3]))
    roles = ["user", "assistant", "user"][-count:]
    return [{"role": role, "content": draw(_content(blocks=True))} for role in roles]


def _maybe(draw: st.DrawFn, body: Body, key: str, value: st.SearchStrategy[Any]) -> None:
    if draw(st.booleans()):
        body[key] = draw(value)


@st.composite
def _openai(draw: st.DrawFn, model: str) -> Body:
    messages = draw(_turns())
    if draw(st.booleans()):
        role = draw(st.sampled_from(["system", "developer"]))
        messages.insert(0, {"role": role, "content": draw(_TEXT)})
    body: Body = {"model": model, "messages": messages}
    body[draw(st.sampled_from(["max_tokens", "max_completion_tokens"]))] = draw(_MAX_TOKENS)
    _maybe(draw, body, "temperature", st.floats(0, 2, allow_nan=False).map(lambda f: round(f, 2)))
    _maybe(draw, body, "top_p", st.sampled_from([0.1, 0.5, 1]))
    _maybe(draw, body, "stop", st.one_of(_SHORT, st.lists(_SHORT, min_size=1, max_size=4)))
    _maybe(draw, body, "seed", st.integers(0, 2**31 - 1))
    _maybe(draw, body, "user", _SHORT)
    if draw(st.booleans()):
        body["stream"] = draw(st.booleans())
        if body["stream"] and draw(st.booleans()):
            # only with stream: true, else OpenAI answers 400 (STR-O9)
            body["stream_options"] = {"include_usage": draw(st.booleans())}
    if draw(st.integers(0, 3)) == 0:
        tool = draw(_TOOL)
        body["tools"] = [{"type": "function", "function": {
            **tool, "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}]
        _maybe(draw, body, "tool_choice", st.sampled_from(["auto", "none"]))
    return body


@st.composite
def _anthropic(draw: st.DrawFn, model: str) -> Body:
    body: Body = {"model": model, "max_tokens": draw(_MAX_TOKENS), "messages": draw(_turns())}
    _maybe(draw, body, "system", _content(blocks=True))
    _maybe(draw, body, "stop_sequences", st.lists(_SHORT, min_size=1, max_size=4))
    _maybe(draw, body, "stream", st.booleans())
    _maybe(draw, body, "metadata", st.fixed_dictionaries({"user_id": _SHORT}))
    if draw(st.integers(0, 3)) == 0:
        tool = draw(_TOOL)
        body["tools"] = [{**tool, "input_schema": {
            "type": "object", "properties": {"q": {"type": "string"}}}}]
        _maybe(draw, body, "tool_choice", st.just({"type": "auto"}))
    return body


def valid_requests(surface: Surface, *, model: str = "mock-chat") -> st.SearchStrategy[Body]:
    """Valid chat-completions (openai) or messages (anthropic) request bodies for `model`."""
    return _openai(model) if surface == "openai" else _anthropic(model)


# -- invalid bodies: each mutation breaks exactly one rule of the request schema --------------

Mutation = Callable[[Body], st.SearchStrategy[Any]]


def _set(key: str, values: st.SearchStrategy[Any]) -> Mutation:
    return lambda body: values.map(lambda v: {**body, key: v})


def _drop(key: str) -> Mutation:
    return lambda body: st.just({k: v for k, v in body.items() if k != key})


def _in_message(key: str, values: st.SearchStrategy[Any]) -> Mutation:
    def mutate(body: Body) -> st.SearchStrategy[Any]:
        def put(value: Any) -> Body:
            out = copy.deepcopy(body)
            out["messages"][-1][key] = value
            return out

        return values.map(put)

    return mutate


_INTS: Final = st.integers(-1000, 10**6)  # JSON-safe everywhere (no 64-bit overflow)
_NOT_OBJECTS: Final = st.one_of(st.lists(_INTS, max_size=2), _TEXT, _INTS, st.none(),
                                st.booleans())
_NOT_STRINGS: Final = st.one_of(_INTS, st.none(), st.lists(_SHORT, max_size=1))
_NOT_INTEGERS: Final = st.sampled_from(["16", 1.5, [16], {"n": 16}])  # null: OpenAI allows it
_NOT_BOOLEANS: Final = st.sampled_from(["yes", "true", 1])
_BAD_ROLES: Final = st.sampled_from(["wizard", "bot", "", "USER", "function_result"])

_COMMON: Final[dict[str, Mutation]] = {
    "missing model": _drop("model"),
    "missing messages": _drop("messages"),
    "model not a string": _set("model", _NOT_STRINGS),
    "empty messages": _set("messages", st.just([])),
    "messages not an array": _set("messages", st.one_of(_TEXT, st.just({"role": "user"}))),
    "unknown role": _in_message("role", _BAD_ROLES),
    "content not text": _in_message("content", st.one_of(_INTS, st.booleans())),
    "max_tokens not an integer": _set("max_tokens", _NOT_INTEGERS),
    "stream not a boolean": _set("stream", _NOT_BOOLEANS),
}
_OPENAI: Final[dict[str, Mutation]] = {
    **_COMMON,
    "temperature out of range": _set("temperature", st.sampled_from([-0.5, 2.5, 100])),
    "bad stream_options": lambda body: st.sampled_from(["yes", [], 1]).map(
        lambda v: {**body, "stream": True, "stream_options": v}),
    "stop not a string or list": _set("stop", st.one_of(_INTS, st.just({"x": 1}))),
}
_ANTHROPIC: Final[dict[str, Mutation]] = {
    **_COMMON,
    "missing max_tokens": _drop("max_tokens"),
    "system not text": _set("system", st.one_of(_INTS, st.just({"text": "x"}))),
    "stop_sequences not a list": _set("stop_sequences", _SHORT),
}
_MUTATIONS: Final = {"openai": _OPENAI, "anthropic": _ANTHROPIC}
_SHAPELESS: Final = ("non-object body", "malformed JSON")

INVALID_LABELS: Final[dict[Surface, tuple[str, ...]]] = {
    "openai": (*_OPENAI, *_SHAPELESS),
    "anthropic": (*_ANTHROPIC, *_SHAPELESS),
}


def _labelled(
    base: st.SearchStrategy[Body], label: str, mutation: Mutation
) -> st.SearchStrategy[InvalidRequest]:
    return base.flatmap(mutation).map(lambda body: InvalidRequest(label, body))


def invalid_requests(
    surface: Surface, *, model: str = "mock-chat", labels: Iterable[str] | None = None
) -> st.SearchStrategy[InvalidRequest]:
    """Bodies that violate the surface's request schema, each labelled with its flaw.

    `labels` restricts the flaws drawn (a subset of INVALID_LABELS[surface]).
    """
    wanted = tuple(labels) if labels is not None else INVALID_LABELS[surface]
    unknown = set(wanted) - set(INVALID_LABELS[surface])
    if unknown or not wanted:
        raise UsageError(f"unknown invalid-request labels for {surface}: {sorted(unknown)}; "
                         f"known: {', '.join(INVALID_LABELS[surface])}")
    base = valid_requests(surface, model=model)
    cases = [_labelled(base, label, mutation)
             for label, mutation in _MUTATIONS[surface].items() if label in wanted]
    if "non-object body" in wanted:
        cases.append(_NOT_OBJECTS.map(lambda body: InvalidRequest("non-object body", body)))
    if "malformed JSON" in wanted:
        cases.append(base.map(lambda body: InvalidRequest(
            "malformed JSON", None, orjson.dumps(body)[:-1])))  # cut off the closing brace
    return st.one_of(cases)
