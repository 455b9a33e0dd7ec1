"""Anthropic Messages judges: message bodies and the stream event grammar (W-5..7, STR-A*)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gatecheck.checks._common import NOT_JSON, EventLike, as_object, excerpt, json_of
from gatecheck.checks._failures import ExchangeLike, expect, warn

__all__ = [
    "KNOWN_EVENTS",
    "STOP_REASONS",
    "AnthropicStream",
    "delta_types_match_blocks",
    "event_order_is_valid",
    "events_are_named",
    "message_delta_is_complete",
    "message_is_well_formed",
    "message_start_is_complete",
    "no_done_marker",
    "read_anthropic_stream",
    "stop_reason_is_valid",
    "stream_carries_events",
    "stream_error_is_reported",
    "tool_use_blocks_assemble",
    "tool_use_input_is_object",
    "unknown_event_types",
]

STOP_REASONS = frozenset({"end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn",
                          "refusal", "model_context_window_exceeded"})
KNOWN_EVENTS = frozenset({"message_start", "content_block_start", "content_block_delta",
                          "content_block_stop", "message_delta", "message_stop", "ping", "error"})
# Which delta types may appear inside which block type (STR-A4).
_DELTAS = {
    "text": frozenset({"text_delta", "citations_delta"}),
    "tool_use": frozenset({"input_json_delta"}),
    "server_tool_use": frozenset({"input_json_delta"}),
    "thinking": frozenset({"thinking_delta", "signature_delta"}),
}


@dataclass(frozen=True, slots=True)
class AnthropicEvent:
    name: str | None  # the SSE `event:` field
    data: Any  # parsed JSON, or NOT_JSON
    raw: str

    @property
    def type(self) -> Any:
        return self.data.get("type") if isinstance(self.data, dict) else None


@dataclass(slots=True)
class AnthropicStream:
    """One Anthropic stream as (event name, parsed data) pairs, plus [DONE] sightings."""

    events: list[AnthropicEvent] = field(default_factory=list)
    done_seen: bool = False

    def of_type(self, name: str) -> list[dict[str, Any]]:
        return [e.data for e in self.events if e.type == name]

    def text(self) -> str:
        return "".join(d["delta"].get("text", "") for d in self.of_type("content_block_delta")
                       if isinstance(d.get("delta"), dict))

    def usage(self) -> dict[str, int]:
        """message_start usage merged with every message_delta usage, max wins (cumulative)."""
        merged: dict[str, int] = {}
        sources = [s["message"].get("usage") for s in self.of_type("message_start")
                   if isinstance(s.get("message"), dict)]
        sources += [d.get("usage") for d in self.of_type("message_delta")]
        for usage in sources:
            for key, value in (usage or {}).items():
                if isinstance(value, int) and not isinstance(value, bool):
                    merged[key] = max(merged.get(key, 0), value)
        return merged

    def stop_reason(self) -> Any:
        deltas = self.of_type("message_delta")
        return deltas[-1].get("delta", {}).get("stop_reason") if deltas else None


def read_anthropic_stream(events: Iterable[EventLike]) -> AnthropicStream:
    stream = AnthropicStream()
    for event in events:
        if event.data.strip() == "[DONE]":
            stream.done_seen = True
            continue
        stream.events.append(AnthropicEvent(event.event, json_of(event.data), event.data))
    return stream


# --- non-streamed messages ----------------------------------------------------------------


def message_is_well_formed(body: Any, *, strict: bool = False,
                           exchange: ExchangeLike | None = None) -> None:
    """W-5: type message, role assistant, content blocks, non-null stop_reason, int usage."""
    body = as_object(body, "message body is not a JSON object", expected="a Message",
                     exchange=exchange)
    expect(body.get("type") == "message" and body.get("role") == "assistant",
           "body is not an assistant message", expected='type "message", role "assistant"',
           observed=f"type={body.get('type')!r} role={body.get('role')!r}", exchange=exchange)
    for key in ("id", "model"):
        expect(isinstance(body.get(key), str) and bool(body.get(key)), f"`{key}` missing",
               expected=f"non-empty string `{key}`", observed=repr(body.get(key)),
               exchange=exchange)
    content = body.get("content")
    expect(isinstance(content, list) and all(isinstance(b, dict) and isinstance(b.get("type"), str)
                                             for b in content),
           "`content` is not a list of typed blocks", expected="[{type: ...}, ...]",
           observed=excerpt(content), exchange=exchange)
    expect(body.get("stop_reason") is not None, "stop_reason is null in a non-streamed message",
           expected="a stop_reason", observed="null", exchange=exchange)
    # The spec requires the key; anthropic-sdk-python reads a missing one as None, so the
    # sdk-compat profile relaxes it (schemas/profiles/sdk-compat.json) and so does this judge.
    expect("stop_sequence" in body or not strict, "`stop_sequence` key missing",
           expected="stop_sequence (string or null)", observed=excerpt(body), exchange=exchange)
    usage = as_object(body.get("usage"), "`usage` is not an object",
                      expected="{input_tokens: int, output_tokens: int}", exchange=exchange)
    for key in ("input_tokens", "output_tokens"):
        expect(isinstance(usage.get(key), int) and not isinstance(usage.get(key), bool),
               f"usage.{key} is not an integer", expected="integer",
               observed=repr(usage.get(key)), exchange=exchange)


def stop_reason_is_valid(stop_reason: Any, stop_sequence: Any, *,
                         exchange: ExchangeLike | None = None) -> None:
    """W-6: stop_reason from the enum (unknown string: WARN); stop_sequence iff stop_sequence."""
    expect(isinstance(stop_reason, str), "stop_reason is not a string",
           expected=" | ".join(sorted(STOP_REASONS)), observed=repr(stop_reason),
           exchange=exchange)
    if stop_reason in ("error", "", "stop", "length", "tool_calls"):
        expect(False, "stop_reason is not an Anthropic value", expected=" | ".join(
            sorted(STOP_REASONS)), observed=repr(stop_reason), exchange=exchange)
    if stop_reason not in STOP_REASONS:
        warn(f"unknown stop_reason {stop_reason!r} (Anthropic may add values)", exchange=exchange)
    expect((stop_sequence is not None) == (stop_reason == "stop_sequence"),
           "stop_sequence must be non-null exactly when stop_reason is \"stop_sequence\"",
           expected="stop_sequence set iff stop_reason == 'stop_sequence'",
           observed=f"stop_reason={stop_reason!r} stop_sequence={stop_sequence!r}",
           exchange=exchange)


def tool_use_input_is_object(body: dict[str, Any], *, exchange: ExchangeLike | None = None) -> None:
    """W-7: every tool_use block has an id, a name and a dict `input`."""
    blocks = [b for b in body.get("content") or [] if isinstance(b, dict)]
    for block in (b for b in blocks if b.get("type") == "tool_use"):
        expect(isinstance(block.get("id"), str) and isinstance(block.get("name"), str)
               and isinstance(block.get("input"), dict),
               "tool_use block lacks id/name or its input is not an object",
               expected='{"type": "tool_use", "id": str, "name": str, "input": {...}}',
               observed=excerpt(block), exchange=exchange)


# --- streams ------------------------------------------------------------------------------


def stream_carries_events(stream: AnthropicStream, *,
                          exchange: ExchangeLike | None = None) -> None:
    """STR-A*: the stream carries a Messages event (JSON with a type): a grammar check of a
    stream with none would judge nothing, and must not pass."""
    typed = [e for e in stream.events if isinstance(e.type, str)]
    first = f", e.g. {excerpt(stream.events[0].raw, 120)!r}" if stream.events else ""
    expect(bool(typed), "no event of the stream is a Messages stream event",
           expected="events whose data is JSON with a type",
           observed=f"{len(stream.events)} events without one{first}",
           exchange=exchange, cause="stream-grammar")


def events_are_named(stream: AnthropicStream, *, exchange: ExchangeLike | None = None) -> None:
    """STR-A1: each event has an `event:` line equal to its data's `type`, and JSON data."""
    for n, event in enumerate(stream.events):
        expect(event.data is not NOT_JSON, f"event {n}: data is not JSON",
               expected="JSON data", observed=excerpt(event.raw, 120), exchange=exchange)
        expect(event.name is not None and event.name == event.type,
               f"event {n}: SSE event name does not match data.type",
               expected=f"event: {event.type}", observed=f"event: {event.name}",
               exchange=exchange)


def event_order_is_valid(stream: AnthropicStream, *, exchange: ExchangeLike | None = None) -> None:
    """STR-A2: message_start; per block start/delta*/stop with contiguous indices;
    message_delta (>= 1); message_stop last. `ping` anywhere; `error` ends the stream."""
    state = "before"  # before -> message -> block -> after_delta -> stopped
    open_block: int | None = None
    next_index = 0
    deltas = 0
    seq = [e.type for e in stream.events]

    def fail(n: int, why: str) -> None:
        expect(False, f"event {n} ({seq[n]}): {why}",
               expected="message_start, (block_start, delta*, block_stop)*, message_delta+, "
                        "message_stop", observed=" ".join(str(t) for t in seq[:40]),
               exchange=exchange)

    for n, event in enumerate(stream.events):
        kind, data = event.type, event.data if isinstance(event.data, dict) else {}
        index = data.get("index")
        if kind == "ping" or kind not in KNOWN_EVENTS:
            continue  # pings may appear anywhere; unknown types are STR-A8's business
        if state == "stopped":
            fail(n, "event after message_stop")
        if kind == "error":
            state = "stopped"
            continue
        if kind == "message_start":
            if state != "before":
                fail(n, "message_start is not first / appears twice")
            state = "message"
        elif state == "before":
            fail(n, "event before message_start")
        elif kind == "content_block_start":
            if state != "message" or open_block is not None:
                fail(n, "block starts while another is open or after message_delta")
            if index != next_index:
                fail(n, f"block index {index!r}, expected {next_index} (contiguous from 0)")
            open_block, next_index = next_index, next_index + 1
        elif kind == "content_block_delta":
            if open_block is None or index != open_block:
                fail(n, f"delta for index {index!r} while open block is {open_block!r}")
        elif kind == "content_block_stop":
            if open_block is None or index != open_block:
                fail(n, f"stop for index {index!r} while open block is {open_block!r}")
            open_block = None
        elif kind == "message_delta":
            if open_block is not None:
                fail(n, "message_delta while a block is open")
            state, deltas = "after_delta", deltas + 1
        elif kind == "message_stop":
            if deltas == 0:
                fail(n, "message_stop without a message_delta")
            state = "stopped"
    expect(state == "stopped", "stream did not end with message_stop (or an error event)",
           expected="message_stop last", observed=" ".join(str(t) for t in seq[-6:]),
           exchange=exchange)


def message_start_is_complete(stream: AnthropicStream, *, min_input_tokens: int = 1,
                              strict: bool = False,
                              exchange: ExchangeLike | None = None) -> dict[str, Any]:
    """STR-A3: message_start carries a full Message with content [], null stop fields, usage."""
    starts = stream.of_type("message_start")
    expect(len(starts) == 1, "expected exactly one message_start", expected="1",
           observed=str(len(starts)), exchange=exchange)
    message = as_object(starts[0].get("message"), "message_start.message is not an object",
                        expected="a Message", exchange=exchange)
    expect(message.get("type") == "message" and message.get("role") == "assistant"
           and isinstance(message.get("id"), str) and isinstance(message.get("model"), str),
           "message_start.message lacks id/model/type/role", expected="a full Message",
           observed=excerpt(message), exchange=exchange)
    expect(message.get("content") == [] and message.get("stop_reason") is None
           and ("stop_sequence" in message or not strict)
           and message.get("stop_sequence") is None,
           "message_start.message must have content [] and null stop_reason/stop_sequence",
           expected="content: [], stop_reason: null, stop_sequence: null",
           observed=excerpt(message), exchange=exchange)
    usage = as_object(message.get("usage"), "message_start.message.usage is not an object",
                      expected="{input_tokens, output_tokens}", exchange=exchange)
    tokens = usage.get("input_tokens")
    expect(isinstance(tokens, int) and tokens >= min_input_tokens
           and isinstance(usage.get("output_tokens"), int),
           "message_start usage lacks the real input_tokens (a 0 placeholder breaks clients)",
           expected=f"input_tokens >= {min_input_tokens} and an integer output_tokens",
           observed=excerpt(usage), exchange=exchange)
    return message


def delta_types_match_blocks(stream: AnthropicStream, *,
                             exchange: ExchangeLike | None = None) -> None:
    """STR-A4: text blocks get text_delta, tool_use blocks input_json_delta, and so on."""
    kinds: dict[Any, Any] = {}
    for n, event in enumerate(stream.events):
        data = event.data if isinstance(event.data, dict) else {}
        if event.type == "content_block_start":
            block = data.get("content_block")
            kinds[data.get("index")] = block.get("type") if isinstance(block, dict) else None
        elif event.type == "content_block_delta":
            block_type = kinds.get(data.get("index"))
            delta = data.get("delta")
            delta_type = delta.get("type") if isinstance(delta, dict) else None
            allowed = _DELTAS.get(str(block_type))
            if allowed is None:
                continue  # an unknown block type: nothing to hold its deltas to
            expect(delta_type in allowed, f"event {n}: {delta_type!r} inside a {block_type} block",
                   expected=" | ".join(sorted(allowed)), observed=excerpt(data),
                   exchange=exchange)


def tool_use_blocks_assemble(stream: AnthropicStream, *,
                             exchange: ExchangeLike | None = None) -> dict[int, dict[str, Any]]:
    """STR-A5: tool_use starts carry id/name/input {}; partial_json assembles to an object."""
    blocks: dict[int, dict[str, Any]] = {}
    for data in stream.of_type("content_block_start"):
        block = data.get("content_block")
        if isinstance(block, dict) and block.get("type") == "tool_use":
            expect(isinstance(block.get("id"), str) and isinstance(block.get("name"), str)
                   and block.get("input") == {},
                   "tool_use content_block_start lacks id/name or input is not {}",
                   expected='{"type": "tool_use", "id", "name", "input": {}}',
                   observed=excerpt(block), exchange=exchange)
            blocks[int(data.get("index", -1))] = {"id": block["id"], "name": block["name"],
                                                  "raw": ""}
    for data in stream.of_type("content_block_delta"):
        delta = data.get("delta")
        index = data.get("index")
        if index in blocks and isinstance(delta, dict):
            blocks[index]["raw"] += str(delta.get("partial_json", ""))
    for index, block in blocks.items():
        parsed = json_of(block["raw"] or "{}")
        expect(isinstance(parsed, dict), f"tool_use block {index}: partial_json does not "
               "assemble to a JSON object", expected="a JSON object",
               observed=excerpt(block["raw"]), exchange=exchange)
        block["input"] = parsed
    return blocks


def message_delta_is_complete(stream: AnthropicStream, *, strict: bool = False,
                              exchange: ExchangeLike | None = None) -> None:
    """STR-A6: message_delta has delta.stop_reason, delta.stop_sequence, usage.output_tokens;
    counts are cumulative (never decrease)."""
    deltas = stream.of_type("message_delta")
    expect(bool(deltas), "no message_delta event", expected=">= 1 message_delta",
           observed="none", exchange=exchange)
    previous = 0
    for data in deltas:
        delta = as_object(data.get("delta"), "message_delta.delta is not an object",
                          expected="{stop_reason, stop_sequence}", exchange=exchange)
        usage = as_object(data.get("usage"), "message_delta.usage is not an object",
                          expected="{output_tokens: int}", exchange=exchange)
        # stop_sequence: required by the spec, Optional in the SDK (strict profile only)
        expect(("stop_sequence" in delta or not strict) and delta.get("stop_reason") is not None,
               "message_delta lacks a stop_reason or the stop_sequence key",
               expected="delta.stop_reason (non-null) and delta.stop_sequence",
               observed=excerpt(data), exchange=exchange)
        tokens = usage.get("output_tokens")
        expect(isinstance(tokens, int) and tokens >= previous,
               "message_delta.usage.output_tokens missing or decreasing (must be cumulative)",
               expected=f"integer >= {previous}", observed=repr(tokens), exchange=exchange)
        previous = tokens if isinstance(tokens, int) else previous
    last = deltas[-1]["delta"]
    stop_reason_is_valid(last.get("stop_reason"), last.get("stop_sequence"), exchange=exchange)


def stream_error_is_reported(stream: AnthropicStream, *,
                             exchange: ExchangeLike | None = None) -> None:
    """STR-A7: a failure after 200 is `event: error` with an error object, then the end."""
    errors = [(n, e) for n, e in enumerate(stream.events) if e.type == "error"]
    expect(bool(errors), "the failed stream carried no error event",
           expected='event: error / data: {"type": "error", "error": {...}}',
           observed=" ".join(str(e.type) for e in stream.events[-6:]), exchange=exchange,
           cause="stream-cut-silently")
    n, event = errors[0]
    error = event.data.get("error") if isinstance(event.data, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    expect(event.name == "error" and isinstance(error, dict)
           and isinstance(kind, str) and isinstance(error.get("message"), str),
           "the error event is not named `error` or lacks error.type/message",
           expected='event: error + {"type": "error", "error": {"type", "message"}}',
           observed=f"event: {event.name} {excerpt(event.raw, 200)}", exchange=exchange,
           cause="error-type-null" if isinstance(error, dict) and not isinstance(kind, str)
           else "stream-grammar")
    expect(stream.stop_reason() is None and not stream.of_type("message_stop"),
           "the failed stream also reports a normal end (stop_reason / message_stop)",
           expected="no message_stop on a stream that failed",
           observed=f"stop_reason={stream.stop_reason()!r}", exchange=exchange,
           cause="stream-cut-silently")
    expect(n == len(stream.events) - 1, "events follow the error event",
           expected="error last", observed=" ".join(str(e.type) for e in stream.events[n:]),
           exchange=exchange, cause="stream-grammar")


def unknown_event_types(stream: AnthropicStream) -> list[str]:
    """STR-A8: event types this harness does not know (a WARN, never a failure)."""
    return sorted({str(e.type) for e in stream.events if e.type not in KNOWN_EVENTS})


def no_done_marker(stream: AnthropicStream, *, exchange: ExchangeLike | None = None) -> None:
    """STR-A9: no `data: [DONE]` on the Anthropic surface (removed in 2023-06-01)."""
    expect(not stream.done_seen, "Anthropic stream carries `data: [DONE]`",
           expected="no [DONE]", observed="data: [DONE] seen", exchange=exchange)
