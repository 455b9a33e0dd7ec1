"""OpenAI Chat Completions judges: completion bodies and the chunk grammar (W-1..4, STR-O*)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from gatecheck.checks._common import NOT_JSON, EventLike, as_object, excerpt, json_of
from gatecheck.checks._failures import ExchangeLike, expect, warn

__all__ = [
    "FINISH_REASONS",
    "OpenAIStream",
    "assistant_message_is_well_formed",
    "chat_completion_is_well_formed",
    "chunks_are_well_formed",
    "finish_reason_is_valid",
    "finish_reason_matches",
    "finish_reason_once_per_choice",
    "first_delta_has_role",
    "no_usage_without_include_usage",
    "read_openai_stream",
    "stream_carries_chunks",
    "stream_ends_with_done",
    "stream_error_is_reported",
    "stream_has_no_event_ids",
    "stream_is_data_only",
    "stream_payloads_are_json",
    "tool_call_fragments_assemble",
    "usage_chunk_is_last",
]

FINISH_REASONS = frozenset({"stop", "length", "tool_calls", "content_filter", "function_call"})
# Above this a `created` value is milliseconds, not the spec's Unix seconds (year 5138).
_MAX_SECONDS = 10**11


@dataclass(slots=True)
class OpenAIStream:
    """One OpenAI stream, split into what the grammar checks look at."""

    chunks: list[dict[str, Any]] = field(default_factory=list)  # completion chunks, in order
    errors: list[dict[str, Any]] = field(default_factory=list)  # events whose JSON has `error`
    not_json: list[str] = field(default_factory=list)  # data payloads that do not parse
    event_names: list[str] = field(default_factory=list)  # explicit `event:` fields seen
    ids_seen: int = 0  # events carrying an SSE `id:` field
    done_seen: bool = False
    after_done: list[str] = field(default_factory=list)  # data payloads after [DONE]
    order: list[str] = field(default_factory=list)  # "chunk" / "error" / "done" / "other"

    def text(self) -> str:
        """The concatenated content of choice 0."""
        parts: list[str] = []
        for chunk in self.chunks:
            for choice in _choices(chunk):
                delta = choice.get("delta")
                if choice.get("index", 0) == 0 and isinstance(delta, dict):
                    content = delta.get("content")
                    if isinstance(content, str):
                        parts.append(content)
        return "".join(parts)

    def usage(self) -> dict[str, Any] | None:
        """The last non-null `usage` object in the stream."""
        found: dict[str, Any] | None = None
        for chunk in self.chunks:
            if isinstance(chunk.get("usage"), dict):
                found = chunk["usage"]
        return found

    def finish_reasons(self) -> dict[int, list[Any]]:
        """Every non-null finish_reason seen, per choice index."""
        seen: dict[int, list[Any]] = {}
        for chunk in self.chunks:
            for choice in _choices(chunk):
                reason = choice.get("finish_reason")
                if reason is not None:
                    seen.setdefault(int(choice.get("index", 0)), []).append(reason)
        return seen


def read_openai_stream(events: Iterable[EventLike]) -> OpenAIStream:
    """Sort the events of one stream into chunks, errors, [DONE] and anomalies."""
    stream = OpenAIStream()
    for event in events:
        if event.event is not None:
            stream.event_names.append(event.event)
        if event.id is not None:
            stream.ids_seen += 1
        data = event.data
        if stream.done_seen:
            stream.after_done.append(excerpt(data, 120))
            continue
        if data.strip() == "[DONE]":
            stream.done_seen = True
            stream.order.append("done")
            continue
        value = json_of(data)
        if value is NOT_JSON:
            stream.not_json.append(excerpt(data, 120))
            stream.order.append("other")
        elif isinstance(value, dict) and value.get("error"):
            stream.errors.append(value)
            stream.order.append("error")
            if "choices" in value:  # OpenRouter style: an error riding on a chunk
                stream.chunks.append(value)
        elif isinstance(value, dict):
            stream.chunks.append(value)
            stream.order.append("chunk")
        else:
            stream.not_json.append(excerpt(data, 120))
            stream.order.append("other")
    return stream


def stream_carries_chunks(stream: OpenAIStream, *,
                          exchange: ExchangeLike | None = None) -> None:
    """STR-O*: the stream carries a chunk (or an error event): a grammar check of a stream
    with none would judge nothing, and must not pass."""
    first = f", e.g. {stream.not_json[0]!r}" if stream.not_json else ""
    expect(bool(stream.chunks or stream.errors), "no event of the stream is a completion chunk",
           expected="chat.completion.chunk objects",
           observed=f"{len(stream.not_json)} data payloads that are not JSON objects{first}"
                    + (", then [DONE]" if stream.done_seen else ""),
           exchange=exchange, cause="stream-grammar")


def _choices(chunk: dict[str, Any]) -> list[dict[str, Any]]:
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        return []
    return [c for c in choices if isinstance(c, dict)]


# --- non-streamed completions ------------------------------------------------------------


def chat_completion_is_well_formed(body: Any, *, exchange: ExchangeLike | None = None) -> None:
    """W-1: the invariants the schema cannot express (object name, seconds, choice keys)."""
    body = as_object(body, "completion body is not a JSON object",
                     expected="a chat.completion object", exchange=exchange)
    expect(body.get("object") == "chat.completion", "`object` is not \"chat.completion\"",
           expected='"chat.completion"', observed=repr(body.get("object")), exchange=exchange)
    for key in ("id", "model"):
        expect(isinstance(body.get(key), str) and bool(body.get(key)), f"`{key}` missing or empty",
               expected=f"non-empty string `{key}`", observed=repr(body.get(key)),
               exchange=exchange)
    created = body.get("created")
    expect(isinstance(created, int) and not isinstance(created, bool)
           and 0 <= created < _MAX_SECONDS,
           "`created` is not a Unix timestamp in seconds",
           expected="integer seconds since the epoch", observed=repr(created), exchange=exchange)
    choices = body.get("choices")
    expect(isinstance(choices, list) and len(choices) > 0, "`choices` missing or empty",
           expected="at least one choice", observed=excerpt(choices), exchange=exchange)
    for n, choice in enumerate(_choices(body)):
        missing = [k for k in ("index", "message", "finish_reason") if k not in choice]
        expect(not missing, f"choice {n} lacks required keys {missing}",
               expected="index, message, finish_reason", observed=excerpt(choice),
               exchange=exchange)


def assistant_message_is_well_formed(body: dict[str, Any], *, strict: bool = False,
                                     exchange: ExchangeLike | None = None) -> None:
    """W-2: role assistant, content string|null, tool calls with JSON-string arguments."""
    for choice in _choices(body):
        message = choice.get("message")
        message = as_object(message, "choice `message` is not an object",
                            expected="an assistant message", exchange=exchange)
        expect(message.get("role") == "assistant", "message role is not \"assistant\"",
               expected='"assistant"', observed=repr(message.get("role")), exchange=exchange)
        content = message.get("content")
        expect(content is None or isinstance(content, str), "message content is not string|null",
               expected="string or null", observed=excerpt(content), exchange=exchange)
        if strict:
            missing = [k for k in ("content", "refusal") if k not in message]
            expect(not missing, f"message lacks spec-required keys {missing} (strict profile)",
                   expected="content and refusal present (null allowed)",
                   observed=excerpt(message), exchange=exchange)
        for call in message.get("tool_calls") or []:
            _tool_call_is_complete(call, exchange)


def _tool_call_is_complete(call: Any, exchange: ExchangeLike | None) -> None:
    shape = '{"id": str, "type": "function", "function": {"name", "arguments"}}'
    call = as_object(call, "tool call is not an object", expected=shape, exchange=exchange)
    function = as_object(call.get("function"), "tool call lacks a `function` object",
                         expected=shape, exchange=exchange)
    expect(isinstance(call.get("id"), str) and call.get("type") == "function"
           and isinstance(function.get("name"), str),
           "tool call lacks id / type \"function\" / function.name",
           expected=shape, observed=excerpt(call), exchange=exchange)
    arguments = function.get("arguments")
    expect(isinstance(arguments, str), "tool call `arguments` is not a JSON-encoded string",
           expected="a string holding JSON", observed=excerpt(arguments), exchange=exchange)
    expect(json_of(arguments) is not NOT_JSON, "tool call `arguments` is not valid JSON",
           expected="JSON text", observed=excerpt(arguments), exchange=exchange)


def finish_reason_is_valid(body: dict[str, Any], *, exchange: ExchangeLike | None = None) -> None:
    """W-3: every choice's finish_reason is from the spec enum (never "", "error", null)."""
    for choice in _choices(body):
        reason = choice.get("finish_reason")
        expect(reason in FINISH_REASONS, "finish_reason is not one of the spec's values",
               expected=" | ".join(sorted(FINISH_REASONS)), observed=repr(reason),
               exchange=exchange)


def finish_reason_matches(reason: Any, expected: str, *, has_tool_calls: bool = False,
                          exchange: ExchangeLike | None = None) -> None:
    """W-4 / STR-O4 semantics: `length` on truncation, `tool_calls` with tool calls.

    `stop` together with tool calls is a warning: real OpenAI models have been seen doing it.
    """
    if expected == "tool_calls" and reason == "stop" and has_tool_calls:
        warn("finish_reason is \"stop\" although the message carries tool calls",
             exchange=exchange)
        return
    expect(reason == expected, f"finish_reason should be {expected!r}",
           expected=repr(expected), observed=repr(reason), exchange=exchange)


# --- streams ------------------------------------------------------------------------------


def stream_payloads_are_json(stream: OpenAIStream, *, exchange: ExchangeLike | None = None) -> None:
    """STR-2: every data payload but [DONE] is a JSON object (no `data: : comment` re-emits)."""
    expect(not stream.not_json, "stream carries data payloads that are not JSON objects",
           expected="every `data:` is a JSON object or [DONE]",
           observed="; ".join(stream.not_json[:3]), exchange=exchange)


def stream_has_no_event_ids(stream: OpenAIStream, *, exchange: ExchangeLike | None = None) -> None:
    """STR-3: no SSE `id:` fields (they make openai-python <= 2.37 crash on keep-alives)."""
    expect(stream.ids_seen == 0, "OpenAI stream carries SSE `id:` fields",
           expected="no id: fields", observed=f"{stream.ids_seen} events with id:",
           exchange=exchange)


def chunks_are_well_formed(stream: OpenAIStream, *, strict: bool = False,
                           exchange: ExchangeLike | None = None) -> None:
    """STR-O1: chunk invariants: object name, finish_reason key, one id/created/model."""
    expect(bool(stream.chunks), "stream carried no chunks", expected="at least one chunk",
           observed=f"{len(stream.order)} events", exchange=exchange, cause="stream-grammar")
    first = stream.chunks[0]
    unkeyed: list[int] = []
    for n, chunk in enumerate(stream.chunks):
        expect(chunk.get("object") == "chat.completion.chunk",
               f"chunk {n}: `object` is not \"chat.completion.chunk\"",
               expected='"chat.completion.chunk"', observed=repr(chunk.get("object")),
               exchange=exchange)
        expect(isinstance(chunk.get("choices"), list), f"chunk {n}: `choices` is not a list",
               expected="a list (possibly empty for the usage chunk)",
               observed=excerpt(chunk.get("choices")), exchange=exchange,
               cause="stream-grammar")
        for key in ("id", "created", "model"):
            expect(chunk.get(key) == first.get(key) and bool(chunk.get(key)),
                   f"chunk {n}: `{key}` differs from the first chunk or is empty",
                   expected=f"{key} == {first.get(key)!r} in every chunk",
                   observed=repr(chunk.get(key)), exchange=exchange, cause="stream-grammar")
        for choice in _choices(chunk):
            missing = [k for k in ("index", "delta") if k not in choice]
            expect(not missing, f"chunk {n}: choice lacks keys {missing}",
                   expected="index, delta and finish_reason (null until the end) present",
                   observed=excerpt(choice), exchange=exchange, cause="stream-grammar")
            if "finish_reason" not in choice:
                unkeyed.append(n)
    if unkeyed:
        # The spec requires the key (null until the end); openai-python's Choice defaults it
        # to None, dict readers (mlflow) raise KeyError. MUST in strict, SHOULD (a WARN) in
        # sdk-compat, as the profile is defined: what the specs require but the SDKs do without.
        message = (f"{len(unkeyed)} of {len(stream.chunks)} chunks (first: chunk {unkeyed[0]}) "
                   "have a choice without the finish_reason key")
        if strict:
            expect(False, message, expected="finish_reason present in every choice (null until "
                   "the end)", observed=excerpt(stream.chunks[unkeyed[0]]), exchange=exchange,
                   cause="stream-grammar")
        warn(message + " (openai-python reads it as None; dict readers fail)", exchange=exchange)


def stream_ends_with_done(stream: OpenAIStream, *, exchange: ExchangeLike | None = None) -> None:
    """STR-O2: `data: [DONE]` terminates the stream and nothing follows it."""
    expect(stream.done_seen, "stream did not end with `data: [DONE]`",
           expected="data: [DONE] as the last event",
           observed=f"last events: {stream.order[-3:]}", exchange=exchange)
    expect(not stream.after_done, "events follow `data: [DONE]`",
           expected="nothing after [DONE]", observed="; ".join(stream.after_done[:3]),
           exchange=exchange)


def stream_is_data_only(stream: OpenAIStream, *, exchange: ExchangeLike | None = None) -> None:
    """STR-O3: no `event:` names on the OpenAI surface."""
    expect(not stream.event_names, "OpenAI stream uses `event:` names",
           expected="data-only events", observed=", ".join(sorted(set(stream.event_names))),
           exchange=exchange)


def finish_reason_once_per_choice(stream: OpenAIStream, *, expected: str | None = None,
                                  has_tool_calls: bool = False,
                                  exchange: ExchangeLike | None = None) -> None:
    """STR-O4: exactly one non-null, in-enum finish_reason per choice index."""
    indices = {int(c.get("index", 0)) for ch in stream.chunks for c in _choices(ch)}
    reasons = stream.finish_reasons()
    for index in sorted(indices or {0}):
        seen = reasons.get(index, [])
        expect(len(seen) == 1, f"choice {index}: expected exactly one final finish_reason",
               expected="one chunk with a non-null finish_reason",
               observed=f"{len(seen)}: {seen!r}", exchange=exchange)
        expect(seen[0] in FINISH_REASONS, f"choice {index}: finish_reason not in the enum",
               expected=" | ".join(sorted(FINISH_REASONS)), observed=repr(seen[0]),
               exchange=exchange)
        if expected is not None and index == 0:
            finish_reason_matches(seen[0], expected, has_tool_calls=has_tool_calls,
                                  exchange=exchange)


def first_delta_has_role(stream: OpenAIStream, *, exchange: ExchangeLike | None = None) -> None:
    """STR-O5: the first delta of each choice carries role "assistant"; later ones omit it."""
    seen: set[int] = set()
    for n, chunk in enumerate(stream.chunks):
        for choice in _choices(chunk):
            index = int(choice.get("index", 0))
            delta = choice.get("delta")
            role = delta.get("role") if isinstance(delta, dict) else None
            if index not in seen:
                expect(role == "assistant", f"chunk {n}: first delta of choice {index} lacks role",
                       expected='delta.role == "assistant"', observed=excerpt(delta),
                       exchange=exchange)
                seen.add(index)
            else:
                expect(role in (None, "assistant"), f"chunk {n}: later delta changes role",
                       expected="no role (or assistant)", observed=repr(role), exchange=exchange)


def tool_call_fragments_assemble(stream: OpenAIStream, *,
                                 exchange: ExchangeLike | None = None) -> dict[int, dict[str, Any]]:
    """STR-O6: first fragment per tool index has id/type/name; arguments concatenate to JSON.

    Returns the assembled calls by index: {"id", "name", "arguments" (parsed)}.
    """
    calls: dict[int, dict[str, Any]] = {}
    for n, chunk in enumerate(stream.chunks):
        for choice in _choices(chunk):
            delta = choice.get("delta")
            for fragment in (delta.get("tool_calls") or []) if isinstance(delta, dict) else []:
                expect(isinstance(fragment, dict) and isinstance(fragment.get("index"), int),
                       f"chunk {n}: tool-call fragment without an integer `index`",
                       expected="index on every fragment", observed=excerpt(fragment),
                       exchange=exchange)
                function = fragment.get("function") or {}
                index = fragment["index"]
                if index not in calls:
                    expect(isinstance(fragment.get("id"), str) and bool(fragment.get("id"))
                           and fragment.get("type") == "function"
                           and isinstance(function.get("name"), str),
                           f"chunk {n}: first fragment of tool call {index} lacks id/type/name",
                           expected='id, type "function", function.name on the first fragment',
                           observed=excerpt(fragment), exchange=exchange)
                    calls[index] = {"id": fragment["id"], "name": function["name"], "raw": ""}
                pieces = function.get("arguments")
                expect(pieces is None or isinstance(pieces, str),
                       f"chunk {n}: `arguments` fragment is not a string",
                       expected="string pieces of JSON", observed=excerpt(pieces),
                       exchange=exchange)
                calls[index]["raw"] += pieces or ""
    for index, call in calls.items():
        parsed = json_of(call["raw"] or "{}")
        expect(isinstance(parsed, dict), f"tool call {index}: arguments do not assemble to JSON",
               expected="concatenated arguments parse as a JSON object",
               observed=excerpt(call["raw"]), exchange=exchange)
        call["arguments"] = parsed
    return calls


def usage_chunk_is_last(stream: OpenAIStream, *, strict: bool = False,
                        exchange: ExchangeLike | None = None) -> dict[str, Any]:
    """STR-O7: with include_usage, one final `choices: []` chunk carries usage; others null."""
    carrying = [n for n, c in enumerate(stream.chunks) if c.get("usage") is not None]
    expect(len(carrying) == 1, "expected exactly one chunk with usage (include_usage)",
           expected="one usage chunk before [DONE]",
           observed=f"{len(carrying)} chunks carry usage", exchange=exchange)
    last = len(stream.chunks) - 1
    expect(carrying[0] == last, "the usage chunk is not the last chunk",
           expected=f"usage on chunk {last} (the last)", observed=f"usage on chunk {carrying[0]}",
           exchange=exchange)
    final = stream.chunks[last]
    expect(final.get("choices") == [], "the usage chunk's `choices` is not []",
           expected="choices: []", observed=excerpt(final.get("choices")), exchange=exchange,
           cause="usage-chunk-choices")
    usage = final["usage"]
    expect(isinstance(usage, dict)
           and all(isinstance(usage.get(k), int)
                   for k in ("prompt_tokens", "completion_tokens", "total_tokens")),
           "the usage chunk lacks integer prompt/completion/total tokens",
           expected="a full CompletionUsage", observed=excerpt(usage), exchange=exchange)
    if strict:
        lacking = [n for n, c in enumerate(stream.chunks[:-1]) if "usage" not in c]
        expect(not lacking, "chunks before the usage chunk lack `usage: null` (strict profile)",
               expected="usage: null on every other chunk",
               observed=f"chunks without the key: {lacking[:5]}", exchange=exchange)
    return cast(dict[str, Any], usage)


def no_usage_without_include_usage(stream: OpenAIStream, *,
                                   exchange: ExchangeLike | None = None) -> None:
    """STR-O8: without include_usage, no usage and no `choices: []` chunk."""
    for n, chunk in enumerate(stream.chunks):
        expect(chunk.get("usage") is None, f"chunk {n} carries usage without include_usage",
               expected="usage null or absent", observed=excerpt(chunk.get("usage")),
               exchange=exchange)
        expect(chunk.get("choices") != [], f"chunk {n} has empty `choices`",
               expected="at least one choice per chunk (clients index choices[0])",
               observed=excerpt(chunk), exchange=exchange)


def stream_error_is_reported(stream: OpenAIStream, *, exchange: ExchangeLike | None = None) -> None:
    """STR-O10: a failure after 200 is one `{"error": {...}}` event, never a faked finish."""
    expect(bool(stream.errors), "the failed stream carried no error event",
           expected='a data: {"error": {"message", "type", ...}} event',
           observed=f"events: {stream.order[-5:]}; finish reasons {stream.finish_reasons()}",
           exchange=exchange, cause="stream-cut-silently")
    error = stream.errors[0]["error"]
    expect(isinstance(error, dict) and isinstance(error.get("message"), str),
           "the stream's error event is not an error object with a message",
           expected='{"error": {"message": str, "type": str, ...}}',
           observed=excerpt(stream.errors[0]), exchange=exchange, cause="stream-grammar")
    faked = {i: r for i, r in stream.finish_reasons().items() if r}
    expect(not faked, "the failed stream also reports a finish_reason (faked or 'error')",
           expected="no finish_reason on a stream that failed",
           observed=repr(faked), exchange=exchange, cause="stream-cut-silently")
    expect(stream.order[-1] in ("error", "done"), "events follow the stream's error event",
           expected="the error event ends the stream", observed=repr(stream.order[-3:]),
           exchange=exchange, cause="stream-grammar")
