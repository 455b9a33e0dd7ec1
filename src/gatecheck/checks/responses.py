"""OpenAI Responses API judges: Response bodies and the stream event grammar (RESP-*).

Expectations come from the spec (``Response``, ``ResponseStreamEvent``), the official SDK's
stream accumulator (which raises on an event for an item it was never told about, on a
changed item identity, on a completion with unfinished items) and the Open Responses
compliance suite; never from what gatecheck's own mock or proxy happen to send.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from gatecheck.checks._common import EventLike, as_object, excerpt, json_of, obj
from gatecheck.checks._failures import ExchangeLike, expect

__all__ = [
    "EVENT",
    "INCOMPLETE_REASONS",
    "LIFECYCLE_EVENTS",
    "OPEN_RESPONSES_REQUIRED",
    "STATUSES",
    "TERMINAL_EVENTS",
    "ResponsesStream",
    "arguments_assemble",
    "event_order_is_valid",
    "events_are_named",
    "function_calls",
    "open_responses_fields_present",
    "output_text",
    "read_responses_stream",
    "response_is_well_formed",
    "sequence_numbers_increase",
    "status_is",
    "stream_failure_is_reported",
    "text_deltas_assemble",
    "usage_adds_up",
]

class _Events:
    """The event types the judge reads, transcribed from the spec's ResponseStreamEvent."""

    CREATED: Final = "response.created"
    QUEUED: Final = "response.queued"
    IN_PROGRESS: Final = "response.in_progress"
    COMPLETED: Final = "response.completed"
    INCOMPLETE: Final = "response.incomplete"
    FAILED: Final = "response.failed"
    ERROR: Final = "error"
    ITEM_ADDED: Final = "response.output_item.added"
    ITEM_DONE: Final = "response.output_item.done"
    PART_ADDED: Final = "response.content_part.added"
    PART_DONE: Final = "response.content_part.done"
    TEXT_DELTA: Final = "response.output_text.delta"
    TEXT_DONE: Final = "response.output_text.done"
    REFUSAL_DELTA: Final = "response.refusal.delta"
    ARGS_DELTA: Final = "response.function_call_arguments.delta"
    ARGS_DONE: Final = "response.function_call_arguments.done"
    REASONING_DELTA: Final = "response.reasoning_text.delta"


# The judge's own tables (the spec; Open Responses for the last one): gatecheck's producers
# take theirs from gatecheck.protocols.responses, and tests/test_wire_facts.py holds the two
# together, so an implementation table never grades itself.
EVENT: Final = _Events()
LIFECYCLE_EVENTS: Final = frozenset({EVENT.CREATED, EVENT.QUEUED, EVENT.IN_PROGRESS,
                                     EVENT.COMPLETED, EVENT.INCOMPLETE, EVENT.FAILED})
TERMINAL_EVENTS: Final = frozenset({EVENT.COMPLETED, EVENT.INCOMPLETE, EVENT.FAILED})
STATUSES: Final = frozenset({"completed", "failed", "in_progress", "cancelled", "queued",
                             "incomplete"})  # Response.status
INCOMPLETE_REASONS: Final = frozenset({"max_output_tokens", "content_filter"})
# Open Responses' ResponseResource.required (schema/components/schemas/ResponseResource.json):
# its compliance suite validates every final response against it.
OPEN_RESPONSES_REQUIRED: Final = (
    "id", "object", "created_at", "completed_at", "status", "incomplete_details", "model",
    "previous_response_id", "instructions", "output", "error", "tools", "tool_choice",
    "truncation", "parallel_tool_calls", "text", "top_p", "presence_penalty",
    "frequency_penalty", "top_logprobs", "temperature", "reasoning", "user", "usage",
    "max_output_tokens", "max_tool_calls", "store", "background", "service_tier", "metadata",
    "safety_identifier", "prompt_cache_key",
)
_MAX_SECONDS = 10**11  # above this a timestamp is milliseconds (as in the chat judges)
_DELTA_OF = {EVENT.TEXT_DELTA: "message", EVENT.REFUSAL_DELTA: "message",
             EVENT.ARGS_DELTA: "function_call", EVENT.REASONING_DELTA: "reasoning"}


@dataclass(frozen=True, slots=True)
class ResponsesEvent:
    name: str | None  # the SSE `event:` field
    data: Any  # parsed JSON, or NOT_JSON
    raw: str

    @property
    def type(self) -> Any:
        return self.data.get("type") if isinstance(self.data, dict) else None


@dataclass(slots=True)
class ResponsesStream:
    """One Responses stream as (event name, parsed data) pairs; a ``[DONE]`` is only noted
    (not the Responses grammar, but the official SDK and Open Responses both skip it)."""

    events: list[ResponsesEvent] = field(default_factory=list)
    done_seen: bool = False

    def of_type(self, name: str) -> list[dict[str, Any]]:
        return [e.data for e in self.events if e.type == name]

    def types(self) -> list[str]:
        return [str(e.type) for e in self.events]

    def terminal(self) -> dict[str, Any] | None:
        """The response of the last terminal event (completed / incomplete / failed)."""
        found = [e.data for e in self.events if e.type in TERMINAL_EVENTS]
        response = found[-1].get("response") if found else None
        return response if isinstance(response, dict) else None

    def text(self) -> str:
        return "".join(str(d.get("delta", "")) for d in self.of_type(EVENT.TEXT_DELTA))


def read_responses_stream(events: Iterable[EventLike]) -> ResponsesStream:
    """Every event of a stream, data parsed."""
    stream = ResponsesStream()
    for event in events:
        if event.data.strip() == "[DONE]":
            stream.done_seen = True
            continue
        stream.events.append(ResponsesEvent(event.event, json_of(event.data), event.data))
    return stream


# --- non-streamed bodies ------------------------------------------------------------------


def response_is_well_formed(value: Any, *, exchange: ExchangeLike | None = None
                            ) -> dict[str, Any]:
    """RESP-1: object "response", id, model, created_at in seconds, a known status, typed output."""
    body = as_object(value, "Response body is not a JSON object", expected="a Response",
                     exchange=exchange)
    expect(body.get("object") == "response", '`object` is not "response"',
           expected='"response"', observed=repr(body.get("object")), exchange=exchange)
    for key in ("id", "model"):
        expect(isinstance(body.get(key), str) and bool(body.get(key)), f"`{key}` missing or empty",
               expected=f"non-empty string `{key}`", observed=repr(body.get(key)),
               exchange=exchange)
    created = body.get("created_at")
    expect(isinstance(created, int | float) and not isinstance(created, bool)
           and 0 <= created < _MAX_SECONDS, "`created_at` is not a Unix timestamp in seconds",
           expected="seconds since the epoch", observed=repr(created), exchange=exchange)
    expect(body.get("status") in STATUSES, "`status` is not one of the spec's values",
           expected=" | ".join(sorted(STATUSES)), observed=repr(body.get("status")),
           exchange=exchange)
    output = body.get("output")
    expect(isinstance(output, list) and all(isinstance(i, dict) and isinstance(i.get("type"), str)
                                            for i in output),
           "`output` is not a list of typed items", expected="[{type: ...}, ...]",
           observed=excerpt(output), exchange=exchange)
    return body


def output_text(body: dict[str, Any]) -> str:
    """The text of every output_text part of every message item, in order (SDK output_text)."""
    return "".join(str(part.get("text", "")) for item in body.get("output") or []
                   if isinstance(item, dict) and item.get("type") == "message"
                   for part in item.get("content") or []
                   if isinstance(part, dict) and part.get("type") == "output_text")


def status_is(body: dict[str, Any], expected: str, *, reason: str | None = None,
              exchange: ExchangeLike | None = None) -> None:
    """The response ended as expected: "completed", or "incomplete" with its reason."""
    expect(body.get("status") == expected, f"Response status should be {expected!r}",
           expected=repr(expected), observed=f"status={body.get('status')!r} "
           f"incomplete_details={body.get('incomplete_details')!r}", exchange=exchange)
    if expected == "incomplete":
        details = body.get("incomplete_details")
        got = details.get("reason") if isinstance(details, dict) else None
        expect(got == reason and got in INCOMPLETE_REASONS,
               "incomplete_details.reason does not say why the response stopped",
               expected=repr(reason), observed=repr(details), exchange=exchange)
    elif expected == "completed":
        expect(body.get("incomplete_details") is None and body.get("error") is None,
               "a completed response carries incomplete_details or an error",
               expected="both null", observed=f"incomplete_details="
               f"{body.get('incomplete_details')!r} error={body.get('error')!r}",
               exchange=exchange)


def open_responses_fields_present(body: dict[str, Any], *,
                                  exchange: ExchangeLike | None = None) -> None:
    """The keys Open Responses' ResponseResource requires are present (null allowed)."""
    missing = [key for key in OPEN_RESPONSES_REQUIRED if key not in body]
    expect(not missing, "the Response lacks keys Open Responses clients require",
           expected="every key of ResponseResource.required (null where nullable)",
           observed=f"missing: {', '.join(missing)}", exchange=exchange)


def function_calls(body: dict[str, Any], *, exchange: ExchangeLike | None = None
                   ) -> list[dict[str, Any]]:
    """RESP-5: function_call items carry call_id, name and arguments: a JSON object as text."""
    calls = [i for i in body.get("output") or [] if isinstance(i, dict)
             and i.get("type") == "function_call"]
    for call in calls:
        expect(isinstance(call.get("call_id"), str) and bool(call.get("call_id"))
               and isinstance(call.get("name"), str) and bool(call.get("name")),
               "function_call item lacks call_id or name",
               expected='{"type": "function_call", "call_id": str, "name": str, ...}',
               observed=excerpt(call), exchange=exchange)
        arguments = call.get("arguments")
        expect(isinstance(arguments, str) and isinstance(json_of(arguments), dict),
               "function_call arguments are not a JSON object encoded as a string",
               expected="a string holding a JSON object", observed=excerpt(arguments),
               exchange=exchange)
    return calls


def usage_adds_up(value: Any, *, exchange: ExchangeLike | None = None) -> dict[str, Any]:
    """RESP-T1: integer input/output/total, total = input + output, details within them."""
    usage = as_object(value, "`usage` missing or not an object",
                      expected="{input_tokens, output_tokens, total_tokens, *_details}",
                      exchange=exchange)

    def count(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    trio = ("input_tokens", "output_tokens", "total_tokens")
    expect(all(count(usage.get(k)) for k in trio), "usage lacks non-negative integer counts",
           expected="integers " + ", ".join(trio), observed=excerpt(usage), exchange=exchange)
    total = usage["input_tokens"] + usage["output_tokens"]
    expect(usage["total_tokens"] == total, "total_tokens != input_tokens + output_tokens",
           expected=str(total), observed=str(usage["total_tokens"]), exchange=exchange)
    for details, part, whole in (("input_tokens_details", "cached_tokens", "input_tokens"),
                                 ("output_tokens_details", "reasoning_tokens", "output_tokens")):
        value = obj(usage.get(details)).get(part)
        expect(count(value) and value <= usage[whole], f"{details}.{part} missing or over {whole}",
               expected=f"an integer <= {usage[whole]}", observed=excerpt(usage.get(details)),
               exchange=exchange)
    return usage


# --- streams ------------------------------------------------------------------------------


def events_are_named(stream: ResponsesStream, *, exchange: ExchangeLike | None = None) -> None:
    """RESP-S1: each event is a JSON object with a `type`; an `event:` name equals it."""
    expect(bool(stream.events), "the stream carried no events", expected="events",
           observed="none", exchange=exchange)
    for n, event in enumerate(stream.events):
        expect(isinstance(event.data, dict) and isinstance(event.type, str),
               f"event {n}: data is not a JSON object with a type",
               expected='{"type": ..., ...}', observed=excerpt(event.raw, 160),
               exchange=exchange)
        expect(event.name is None or event.name == event.type,
               f"event {n}: SSE event name differs from data.type",
               expected=f"event: {event.type}", observed=f"event: {event.name}",
               exchange=exchange)


def sequence_numbers_increase(stream: ResponsesStream, *,
                              exchange: ExchangeLike | None = None) -> None:
    """RESP-S3: every event has an integer sequence_number, each larger than the one before."""
    previous: int | None = None
    for n, event in enumerate(stream.events):
        data = event.data if isinstance(event.data, dict) else {}
        seq = data.get("sequence_number")
        number = isinstance(seq, int) and not isinstance(seq, bool)
        expect(number,
               f"event {n} ({event.type}) has no integer sequence_number",
               expected="sequence_number on every event", observed=excerpt(data, 160),
               exchange=exchange)
        current = seq if isinstance(seq, int) else 0  # an integer: the expect above held
        expect(previous is None or current > previous,
               f"event {n} ({event.type}): sequence_number does not increase",
               expected=f"> {previous}", observed=repr(seq), exchange=exchange)
        previous = current


def _fail(stream: ResponsesStream, n: int, why: str, exchange: ExchangeLike | None) -> None:
    types = stream.types()
    expect(False, f"event {n} ({types[n] if n < len(types) else 'end'}): {why}",
           expected="response.created, items (added, parts, deltas, done) in turn, one "
           "terminal event last", observed=" ".join(types[:48]), exchange=exchange)


def event_order_is_valid(stream: ResponsesStream, *,
                         exchange: ExchangeLike | None = None) -> None:
    """RESP-S2: the event grammar, as the official SDK's accumulator holds a stream to it.

    ``response.created`` first; one lifecycle response id throughout; items added with
    output_index 0, 1, 2, ...; every part, delta and done event names an added item (by
    output_index and item_id) of the right type, parts added before their deltas; each
    item done once, with the id and type it was added with; exactly one terminal event
    (completed / incomplete / failed), last, with every item done unless it failed.
    """
    events = stream.events
    if not events or events[0].type != EVENT.CREATED:
        _fail(stream, 0, "the stream does not start with response.created", exchange)
    rid: Any = None
    added: dict[int, dict[str, Any]] = {}  # output_index -> item as added
    done: set[int] = set()
    parts: set[tuple[int, int]] = set()
    terminal: int | None = None
    for n, event in enumerate(events):
        data = event.data if isinstance(event.data, dict) else {}
        kind = event.type
        if terminal is not None:
            _fail(stream, n, "an event follows the terminal event", exchange)
        if kind in LIFECYCLE_EVENTS:
            response = obj(data.get("response"))
            if rid is not None and response.get("id") != rid:
                _fail(stream, n, f"response id changed from {rid!r} to "
                      f"{response.get('id')!r}", exchange)
            rid = response.get("id")
            if kind in TERMINAL_EVENTS:
                terminal = n
                if kind != EVENT.FAILED and set(added) - done:
                    _fail(stream, n, f"items {sorted(set(added) - done)} never done", exchange)
            continue
        index = data.get("output_index")
        if kind == EVENT.ITEM_ADDED:
            item = obj(data.get("item"))
            if index != len(added):
                _fail(stream, n, f"output_index {index!r}, expected {len(added)}", exchange)
            added[len(added)] = item
        elif kind == EVENT.ITEM_DONE:
            item = obj(data.get("item"))
            before = added.get(index) if isinstance(index, int) else None
            if before is None or index in done:
                _fail(stream, n, f"item {index!r} done without being added (or twice)",
                      exchange)
            elif (item.get("type"), item.get("id")) != (before.get("type"), before.get("id")):
                _fail(stream, n, "the done item's type or id differs from the added one",
                      exchange)
            if isinstance(index, int):
                done.add(index)
        elif kind is not None and str(kind).startswith("response.") and "output_index" in data:
            before = added.get(index) if isinstance(index, int) else None
            if before is None or index in done:
                _fail(stream, n, f"refers to output_index {index!r}, not an open item",
                      exchange)
            elif "item_id" in data and data["item_id"] != before.get("id"):
                _fail(stream, n, f"item_id {data['item_id']!r} is not the item's "
                      f"{before.get('id')!r}", exchange)
            elif kind in _DELTA_OF and before.get("type") != _DELTA_OF[kind]:
                _fail(stream, n, f"a {kind} inside a {before.get('type')} item", exchange)
            ci = (int(index or 0), int(data.get("content_index") or 0))
            if kind == EVENT.PART_ADDED:
                parts.add(ci)
            elif kind in (EVENT.TEXT_DELTA, EVENT.TEXT_DONE) and ci not in parts:
                _fail(stream, n, "text for a content part that was never added", exchange)
    if terminal is None:
        _fail(stream, len(events), "no terminal event (completed / incomplete / failed)",
              exchange)


def text_deltas_assemble(stream: ResponsesStream, *,
                         exchange: ExchangeLike | None = None) -> dict[str, str]:
    """RESP-S4: per message item, the text deltas add up to output_text.done, the done part,
    the done item and the final response's item. Returns the text per item id."""
    texts: dict[str, str] = {}
    for data in stream.of_type(EVENT.TEXT_DELTA):
        texts[str(data.get("item_id"))] = texts.get(str(data.get("item_id")), "") + str(
            data.get("delta", ""))
    claims: list[tuple[str, str, Any]] = []
    for data in stream.of_type(EVENT.TEXT_DONE):
        claims.append(("output_text.done", str(data.get("item_id")), data.get("text")))
    for data in stream.of_type(EVENT.PART_DONE):
        part = obj(data.get("part"))
        if part.get("type") == "output_text":
            claims.append(("content_part.done", str(data.get("item_id")), part.get("text")))
    final = (stream.terminal() or {}).get("output") or []
    sources = [("output_item.done", d.get("item")) for d in stream.of_type(EVENT.ITEM_DONE)]
    sources += [("the final response", item) for item in final]
    for where, item in sources:
        if isinstance(item, dict) and item.get("type") == "message":
            text = "".join(str(p.get("text", "")) for p in item.get("content") or []
                           if isinstance(p, dict) and p.get("type") == "output_text")
            claims.append((where, str(item.get("id")), text))
    for where, ident, text in claims:
        expect(text == texts.get(ident, ""), f"{where} text differs from the assembled deltas "
               f"of item {ident}", expected=excerpt(texts.get(ident, ""), 200),
               observed=excerpt(text, 200), exchange=exchange)
    return texts


def arguments_assemble(stream: ResponsesStream, *,
                       exchange: ExchangeLike | None = None) -> dict[str, dict[str, Any]]:
    """RESP-S5: per function_call item, the argument deltas add up to the done arguments,
    the done item's and the final response's, and parse as a JSON object."""
    raw: dict[str, str] = {}
    for data in stream.of_type(EVENT.ARGS_DELTA):
        raw[str(data.get("item_id"))] = raw.get(str(data.get("item_id")), "") + str(
            data.get("delta", ""))
    claims = [("function_call_arguments.done", str(d.get("item_id")), d.get("arguments"))
              for d in stream.of_type(EVENT.ARGS_DONE)]
    final = (stream.terminal() or {}).get("output") or []
    sources = [("output_item.done", d.get("item")) for d in stream.of_type(EVENT.ITEM_DONE)]
    sources += [("the final response", item) for item in final]
    for where, item in sources:
        if isinstance(item, dict) and item.get("type") == "function_call":
            claims.append((where, str(item.get("id")), item.get("arguments")))
            raw.setdefault(str(item.get("id")), "")
    for where, ident, arguments in claims:
        expect(arguments == raw.get(ident, ""), f"{where} arguments differ from the assembled "
               f"deltas of item {ident}", expected=excerpt(raw.get(ident, ""), 200),
               observed=excerpt(arguments, 200), exchange=exchange)
    parsed: dict[str, dict[str, Any]] = {}
    for ident, text in raw.items():
        value = json_of(text)
        expect(isinstance(value, dict), f"function_call {ident}: arguments do not assemble to "
               "a JSON object", expected="a JSON object", observed=excerpt(text),
               exchange=exchange)
        parsed[ident] = value
    return parsed


def stream_failure_is_reported(stream: ResponsesStream, *,
                               exchange: ExchangeLike | None = None) -> None:
    """RESP-S7: a failure after the 200 is an `error` event and/or `response.failed` (status
    "failed", an error with code and message), never response.completed; nothing after."""
    failed = stream.of_type(EVENT.FAILED)
    errors = stream.of_type(EVENT.ERROR)
    expect(bool(failed or errors), "the failed stream carried no error / response.failed",
           expected="an `error` event or response.failed",
           observed=" ".join(stream.types()[-6:]), exchange=exchange)
    expect(not stream.of_type(EVENT.COMPLETED), "the failed stream also reports completion",
           expected="no response.completed on a stream that failed",
           observed=" ".join(stream.types()[-6:]), exchange=exchange)
    for data in errors:
        expect(isinstance(data.get("message"), str) and "code" in data,
               "the error event lacks code / message",
               expected='{"type": "error", "code", "message", "param"}',
               observed=excerpt(data), exchange=exchange)
    for data in failed:
        response = obj(data.get("response"))
        error = response.get("error")
        expect(response.get("status") == "failed" and isinstance(error, dict)
               and isinstance(error.get("code"), str) and isinstance(error.get("message"), str),
               "response.failed does not carry status failed and an error {code, message}",
               expected='response.status "failed", response.error {code, message}',
               observed=excerpt(response, 240), exchange=exchange)
    last = stream.events[-1].type if stream.events else None
    expect(last in (EVENT.FAILED, EVENT.ERROR), "events follow the failure",
           expected="the failure ends the stream", observed=" ".join(stream.types()[-4:]),
           exchange=exchange)
