"""The timing model: one formula per name (ttfb, ttft, itl, e2e, tpot_e2e) and a stream meter.

Every duration is in milliseconds as a float, computed from ``time.perf_counter_ns()`` stamps,
and None when it is undefined for the exchange (no headers, no content event, fewer than two
content events for ``itl``, no output tokens for ``tpot_e2e``) — never 0, which would be a
real and wrong measurement. Output tokens always come from the gateway's ``usage``, never
from counting chunks: gateways batch and split tokens freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Literal

import orjson

from gatecheck._sse import SseEvent

__all__ = [
    "Stamps",
    "StreamMeter",
    "Surface",
    "Usage",
    "Wire",
    "content_gaps",
    "e2e",
    "e2e_from_intended",
    "is_content_event",
    "itl",
    "schedule_lag",
    "tpot_decode",
    "tpot_e2e",
    "ttfb",
    "ttft",
    "ttft_from_intended",
    "usage_from",
]

Surface = Literal["openai", "anthropic"]
SURFACES: tuple[Surface, ...] = ("openai", "anthropic")
# The wire a body or stream is read as: the two chat surfaces, the OpenAI Responses API
# (its typed events) and embeddings (never streamed; usage as OpenAI's). Not a Surface:
# surfaces are a target's front-door families, and Responses is an OpenAI one.
Wire = Literal["openai", "anthropic", "responses", "embeddings"]

_NS_PER_MS = 1_000_000.0

# Delta fields that carry generated output. "refusal" and the legacy "function_call" are
# generated text too, so they count like "content".
_OPENAI_CONTENT_FIELDS = ("content", "reasoning", "reasoning_content", "refusal")
_OPENAI_CALL_FIELDS = ("tool_calls", "function_call")
# Responses events whose delta is generated output (text, refusal, reasoning, tool arguments:
# the kinds a Chat Completions content delta has), and the events that end a stream. Named
# here, not taken from gatecheck.protocols.responses: the core sits below the protocols
# (tests/test_timing.py holds the two to the same names).
_RESPONSES_CONTENT = frozenset({
    "response.output_text.delta", "response.refusal.delta",
    "response.function_call_arguments.delta", "response.reasoning_text.delta",
    "response.reasoning_summary_text.delta",
})
_RESPONSES_END = frozenset({"response.completed", "response.incomplete", "response.failed"})


@dataclass(slots=True)
class Stamps:
    """Clock readings (perf_counter_ns) of one exchange, plus its output token count."""

    send_ns: int
    headers_ns: int | None = None
    content_ns: list[int] = field(default_factory=list)  # arrival of each content event
    end_ns: int | None = None
    intended_ns: int | None = None  # open-loop runs: when the request should have been sent
    output_tokens: int | None = None  # from usage, never from chunk counts


def _ms(start: int, end: int | None) -> float | None:
    return None if end is None else (end - start) / _NS_PER_MS


def ttfb(s: Stamps) -> float | None:
    """Send -> response headers."""
    return _ms(s.send_ns, s.headers_ns)


def ttft(s: Stamps) -> float | None:
    """Send -> first event that carries generated content."""
    return _ms(s.send_ns, s.content_ns[0]) if s.content_ns else None


def itl(s: Stamps) -> float | None:
    """(last content event - first content event) / (content events - 1)."""
    if len(s.content_ns) < 2:
        return None
    return (s.content_ns[-1] - s.content_ns[0]) / (len(s.content_ns) - 1) / _NS_PER_MS


def e2e(s: Stamps) -> float | None:
    """Send -> end of stream (or of the body)."""
    return _ms(s.send_ns, s.end_ns)


def tpot_e2e(s: Stamps) -> float | None:
    """e2e / output tokens (from usage)."""
    total = e2e(s)
    if total is None or not s.output_tokens or s.output_tokens <= 0:
        return None
    return total / s.output_tokens


def tpot_decode(s: Stamps) -> float | None:
    """(e2e - ttft) / (output tokens - 1): decode time per token after the first.

    Published beside tpot_e2e because other tools use the bare names for it (vLLM's TPOT,
    AIPerf's and GuideLLM's ITL); gatecheck never calls it plain "tpot".
    """
    total, first = e2e(s), ttft(s)
    if total is None or first is None or not s.output_tokens or s.output_tokens < 2:
        return None
    return (total - first) / (s.output_tokens - 1)


def content_gaps(s: Stamps) -> list[float]:
    """Every gap between consecutive content events, in ms (vLLM pools these as its "ITL")."""
    return [(b - a) / _NS_PER_MS for a, b in pairwise(s.content_ns)]


def schedule_lag(s: Stamps) -> float | None:
    """Open-loop runs: intended send -> actual send (how late the load generator was)."""
    return None if s.intended_ns is None else (s.send_ns - s.intended_ns) / _NS_PER_MS


def ttft_from_intended(s: Stamps) -> float | None:
    """ttft measured from the intended send time (corrects coordinated omission)."""
    if s.intended_ns is None or not s.content_ns:
        return None
    return (s.content_ns[0] - s.intended_ns) / _NS_PER_MS


def e2e_from_intended(s: Stamps) -> float | None:
    """e2e measured from the intended send time (corrects coordinated omission)."""
    if s.intended_ns is None or s.end_ns is None:
        return None
    return (s.end_ns - s.intended_ns) / _NS_PER_MS


@dataclass(slots=True)
class Usage:
    """Token counts as the gateway reported them (None: not reported)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None

    @classmethod
    def from_openai(cls, usage: Any) -> Usage:
        """From a Chat Completions ``usage`` object (non-streamed body or final chunk)."""
        if not isinstance(usage, dict):
            return cls()
        details = usage.get("prompt_tokens_details")
        cached = details.get("cached_tokens") if isinstance(details, dict) else None
        return cls(_int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens")),
                   _int(cached))

    @classmethod
    def from_anthropic(cls, usage: Any) -> Usage:
        """From a Messages ``usage`` object (body, message_start or message_delta)."""
        if not isinstance(usage, dict):
            return cls()
        return cls(_int(usage.get("input_tokens")), _int(usage.get("output_tokens")),
                   _int(usage.get("cache_read_input_tokens")),
                   _int(usage.get("cache_creation_input_tokens")))

    @classmethod
    def from_responses(cls, usage: Any) -> Usage:
        """From a Responses ``usage`` (a body, or the terminal event's ``response``)."""
        if not isinstance(usage, dict):
            return cls()
        details = usage.get("input_tokens_details")
        details = details if isinstance(details, dict) else {}
        return cls(_int(usage.get("input_tokens")), _int(usage.get("output_tokens")),
                   _int(details.get("cached_tokens")), _int(details.get("cache_write_tokens")))

    def merge(self, other: Usage) -> None:
        """Fold in a later report; Anthropic counts are cumulative, so the larger one wins."""
        self.input_tokens = _max(self.input_tokens, other.input_tokens)
        self.output_tokens = _max(self.output_tokens, other.output_tokens)
        self.cache_read_input_tokens = _max(self.cache_read_input_tokens,
                                            other.cache_read_input_tokens)
        self.cache_creation_input_tokens = _max(self.cache_creation_input_tokens,
                                                other.cache_creation_input_tokens)


def _int(value: Any) -> int | None:
    # bool is an int subclass; a gateway that sends `true` for a count reported nothing usable.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _max(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else max(a, b)


def usage_from(surface: Wire, usage: Any) -> Usage:
    """A body's ``usage`` read with the key names of its wire (completion vs output tokens)."""
    if surface == "anthropic":
        return Usage.from_anthropic(usage)
    if surface == "responses":
        return Usage.from_responses(usage)
    return Usage.from_openai(usage)  # chat and embeddings (prompt_tokens, no output)


def _openai_has_content(chunk: Any) -> bool:
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    if not isinstance(choices, list):
        return False
    for choice in choices:
        if not isinstance(choice, dict):
            continue
        if choice.get("text"):  # legacy /v1/completions chunks carry text, not a delta
            return True
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            continue
        for name in _OPENAI_CONTENT_FIELDS:
            if delta.get(name):
                return True
        for name in _OPENAI_CALL_FIELDS:
            if delta.get(name):
                return True
    return False


def _anthropic_type(event: SseEvent, payload: Any) -> str | None:
    # The `event:` line names the type; a gateway that drops it still has it in the data.
    if event.event:
        return event.event
    kind = payload.get("type") if isinstance(payload, dict) else None
    return kind if isinstance(kind, str) else None


def _load(data: str) -> Any:
    if not data or data == "[DONE]":
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


def is_content_event(surface: Wire, event: SseEvent) -> bool:
    """Whether the event carries generated content (the events ttft and itl are made of).

    OpenAI: a chunk whose delta has non-empty content, reasoning, reasoning_content, refusal,
    tool_calls or function_call (or, for legacy completions, a choice with non-empty text);
    the role-only first frame never counts. Anthropic:
    ``content_block_delta`` only (never ping, message_start or content_block_start).
    Responses: a ``response.output_text.delta`` (the first one is the first token), or a
    refusal, reasoning or function-call-arguments delta, with a non-empty ``delta``; never
    the lifecycle, item or part events.
    """
    if surface == "anthropic":
        if event.event:
            return event.event == "content_block_delta"
        return _anthropic_type(event, _load(event.data)) == "content_block_delta"
    if surface == "responses":
        return _responses_has_content(event, _load(event.data))
    return _openai_has_content(_load(event.data))


def _responses_has_content(event: SseEvent, payload: Any) -> bool:
    kind = _anthropic_type(event, payload)  # the `event:` name, else data.type
    return kind in _RESPONSES_CONTENT and isinstance(payload, dict) and bool(payload.get("delta"))


class StreamMeter:
    """Feed it the events of one stream: it fills Stamps and Usage.

    Never raises on odd input: ``[DONE]``, non-JSON data and unexpected shapes are counted in
    ``bad_events`` (except ``[DONE]``) and otherwise ignored; judging them is the checks' job.
    """

    __slots__ = ("bad_events", "content_events", "events", "finished", "stamps", "surface",
                 "usage")

    def __init__(self, surface: Wire, send_ns: int) -> None:
        self.surface: Wire = surface
        self.stamps = Stamps(send_ns=send_ns)
        self.usage = Usage()
        self.content_events = 0
        self.events = 0
        self.bad_events = 0  # data that was neither JSON nor `[DONE]`
        # saw `[DONE]` (OpenAI), `message_stop` (Anthropic) or a terminal event (Responses)
        self.finished = False

    def on_headers(self, t_ns: int) -> None:
        self.stamps.headers_ns = t_ns

    def on_end(self, t_ns: int) -> None:
        self.stamps.end_ns = t_ns

    def on_event(self, event: SseEvent) -> None:
        self.events += 1
        data = event.data
        if data == "[DONE]":
            self.finished = True
            return
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            self.bad_events += 1
            return
        if self.surface == "anthropic":
            self._anthropic(event, payload)
        elif self.surface == "responses":
            self._responses(event, payload)
        else:
            self._openai(event, payload)

    def _content(self, t_ns: int) -> None:
        self.content_events += 1
        self.stamps.content_ns.append(t_ns)

    def _openai(self, event: SseEvent, payload: Any) -> None:
        if _openai_has_content(payload):
            self._content(event.t_ns)
        usage = payload.get("usage") if isinstance(payload, dict) else None
        if isinstance(usage, dict):
            # The chunk that carries usage reports totals for the whole stream.
            self.usage = Usage.from_openai(usage)
            self.stamps.output_tokens = self.usage.output_tokens

    def _responses(self, event: SseEvent, payload: Any) -> None:
        if _responses_has_content(event, payload):
            self._content(event.t_ns)
            return
        kind = _anthropic_type(event, payload)
        if kind in _RESPONSES_END and isinstance(payload, dict):
            self.finished = True  # the terminal event ends a Responses stream (no [DONE])
            response = payload.get("response")
            usage = response.get("usage") if isinstance(response, dict) else None
            if isinstance(usage, dict):
                self.usage = Usage.from_responses(usage)
                self.stamps.output_tokens = self.usage.output_tokens

    def _anthropic(self, event: SseEvent, payload: Any) -> None:
        kind = _anthropic_type(event, payload)
        if kind == "content_block_delta":
            self._content(event.t_ns)
            return
        if not isinstance(payload, dict):
            return
        if kind == "message_start":
            message = payload.get("message")
            usage = message.get("usage") if isinstance(message, dict) else None
        elif kind == "message_delta":
            usage = payload.get("usage")
        else:
            if kind == "message_stop":
                self.finished = True
            return
        if isinstance(usage, dict):
            self.usage.merge(Usage.from_anthropic(usage))
            self.stamps.output_tokens = self.usage.output_tokens
