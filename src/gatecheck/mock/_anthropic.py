"""The Anthropic Messages surface: validation, bodies, the event grammar, error shapes."""

from __future__ import annotations

import dataclasses
import itertools
import os
from typing import Any

import orjson

from gatecheck.mock._config import MockConfig
from gatecheck.mock._directives import Directive
from gatecheck.mock._errors import context_length_error, context_window, error_for_status
from gatecheck.mock._evidence import (
    block_digest,
    image_digests,
    redacted_data,
    verify_thinking_blocks,
)
from gatecheck.mock._evidence import signature as sign
from gatecheck.mock._generate import Reply, answer, seed_of
from gatecheck.mock._plan import (
    MODEL_CREATED,
    PROMPT_EXCERPT,
    Invalid,
    Plan,
    cache_counts,
    resolve,
    text_of,
)
from gatecheck.mock._tokenizer import count_anthropic_request
from gatecheck.mock._validate import check_anthropic

__all__ = ["AnthropicSurface", "models_page"]

_STOP_REASON = {
    "stop": "end_turn",
    "stop_sequence": "stop_sequence",
    "length": "max_tokens",
    "tool": "tool_use",
}
_DELTA = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":'
_CREATED_AT = "2023-11-14T22:13:20Z"  # MODEL_CREATED in RFC 3339
assert MODEL_CREATED == 1_700_000_000


def models_page(models: list[str], query: dict[str, str]) -> bytes:
    """``GET /v1/models`` in Anthropic's paged shape (``after_id``/``before_id``/``limit``)."""
    try:
        limit = max(1, min(1000, int(query.get("limit", "20"))))
    except ValueError:
        limit = 20
    start, end = 0, len(models)
    if query.get("after_id") in models:
        start = models.index(query["after_id"]) + 1
    if query.get("before_id") in models:
        end = models.index(query["before_id"])
        start = max(start, end - limit)
    page = models[start:end][:limit]
    return orjson.dumps(
        {
            "data": [
                {
                    "type": "model",
                    "id": m,
                    "display_name": m.replace("-", " ").title(),
                    "created_at": _CREATED_AT,
                    "lifecycle": "active",  # the SDK type requires it; no preset is retired
                }
                for m in page
            ],
            "has_more": start + len(page) < end,
            "first_id": page[0] if page else None,
            "last_id": page[-1] if page else None,
        }
    )


def _forced_tool(body: dict[str, Any], wanted: str | None) -> dict[str, Any] | None:
    tools: list[dict[str, Any]] = body.get("tools") or []
    if wanted is not None:
        if not tools:
            raise Invalid(400, f"mock directive: tool={wanted} needs tools in the request")
        found = tools[0] if wanted == "*" else next((t for t in tools if t["name"] == wanted), None)
        if found is None:
            raise Invalid(400, f"mock directive: tool {wanted!r} is not in tools")
        return found
    choice = body.get("tool_choice") or {}
    if choice.get("type") == "any" and tools:
        return tools[0]
    if choice.get("type") == "tool":
        return next(t for t in tools if t["name"] == choice["name"])
    return None


# Thinking when the request enables it (thinking.type "enabled") and no thinking=N says
# how much; and the output tokens one redacted_thinking block stands for (redacted=N).
DEFAULT_THINKING_TOKENS = 12
REDACTED_TOKENS = 8


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class AnthropicSurface:
    """``POST /v1/messages`` and ``/v1/messages/count_tokens`` as Anthropic answers them."""

    name = "anthropic"

    def __init__(self) -> None:
        self._prefix = "msg_mock" + os.urandom(4).hex()
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        return f"{self._prefix}{next(self._ids):012d}"

    def plan(self, raw: bytes, config: MockConfig) -> Plan:
        return self._guarded(raw, config, count_only=False)

    def count_plan(self, raw: bytes, config: MockConfig) -> Plan:
        """``/v1/messages/count_tokens``: the same validation bar max_tokens, and the count."""
        return self._guarded(raw, config, count_only=True)

    def _guarded(self, raw: bytes, config: MockConfig, *, count_only: bool) -> Plan:
        try:
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise Invalid(
                    400, "There was an issue with the request body: invalid JSON."
                ) from None
            check_anthropic(body, needs_max_tokens=not count_only)
            return self._plan(body, config, count_only)
        except Invalid as exc:
            return Plan("anthropic", exc.status, self.error_body(exc.status, exc.message))

    def _plan(self, body: dict[str, Any], config: MockConfig, count_only: bool) -> Plan:
        messages = body["messages"]
        last_user = next((m for m in reversed(messages) if m["role"] == "user"), None)
        asked = text_of(last_user["content"]) if last_user else ""
        directive, behaviour, latency, chaos = resolve(config, body["model"], asked)
        verify_thinking_blocks(messages)  # a tampered earlier thinking block is a 400
        enabled = (body.get("thinking") or {}).get("type") == "enabled"
        if enabled and behaviour.thinking is None:
            behaviour = Directive(thinking=DEFAULT_THINKING_TOKENS).over(behaviour)
        system = text_of(body.get("system"))
        turns = [f"system:{system}"] if system else []
        seed = seed_of(
            "\n".join([*turns, *(f"{m['role']}:{text_of(m['content'])}" for m in messages)])
        )
        plan = Plan(
            "anthropic",
            model=body["model"],
            stream=bool(body.get("stream")),
            directive=directive,
            behaviour=behaviour,
            latency=latency,
            input_tokens=count_anthropic_request(body),
            seed=seed,
            chaos=chaos,
            prompt=asked[:PROMPT_EXCERPT],
            cache_control=_cache_marks(body),
            images=image_digests(m["content"] for m in messages),
        )
        if count_only:
            plan.data["count"] = orjson.dumps({"input_tokens": plan.input_tokens})
            return plan
        window = context_window(behaviour.fault, behaviour.context, plan.input_tokens)
        if window is not None:  # counting never fails on length; a real request does
            error = context_length_error("anthropic", plan.input_tokens, window)
            return Plan("anthropic", 400, error)
        plan.cache_read, plan.cache_write = cache_counts(behaviour, plan.input_tokens)
        tool = _forced_tool(body, behaviour.tool)
        reply = answer(
            seed,
            behaviour,
            max_tokens=body["max_tokens"],
            stops=body.get("stop_sequences") or [],
            tool=None
            if tool is None
            else (f"toolu_mock{seed:016x}", tool["name"], tool.get("input_schema")),
        )
        if behaviour.redacted:
            extra = REDACTED_TOKENS * behaviour.redacted
            reply = dataclasses.replace(reply, output_tokens=reply.output_tokens + extra)
        plan.reply = reply
        self._precompute(plan, reply)
        return plan

    def _precompute(self, plan: Plan, reply: Reply) -> None:
        prompt, completion = plan.input_tokens, reply.output_tokens
        usage = {  # input_tokens excludes the cached parts (Anthropic's TOK-4 semantics)
            "input_tokens": prompt - plan.cache_read - plan.cache_write,
            "cache_creation_input_tokens": plan.cache_write,
            "cache_read_input_tokens": plan.cache_read,
            "output_tokens": completion,
        }
        stop_reason = _STOP_REASON[reply.finish]
        # Each block: (final block, its content_block_start form, timed deltas, closing deltas)
        blocks: list[tuple[dict[str, Any], dict[str, Any], list[Any], list[Any]]] = []
        for n in range(plan.behaviour.redacted or 0):
            # opaque and whole: content_block_start carries it, no deltas follow
            redacted = {"type": "redacted_thinking", "data": redacted_data(plan.seed, n)}
            blocks.append((redacted, redacted, [], []))
        if reply.thinking:
            signature = sign(reply.thinking)
            blocks.append((
                {"type": "thinking", "thinking": reply.thinking, "signature": signature},
                {"type": "thinking", "thinking": "", "signature": ""},
                [{"type": "thinking_delta", "thinking": p} for p in reply.thinking_pieces],
                [{"type": "signature_delta", "signature": signature}],
            ))  # fmt: skip
        call = reply.tool
        if call is not None:
            block = {"type": "tool_use", "id": call.id, "name": call.name, "input": call.input}
            deltas = [{"type": "input_json_delta", "partial_json": f} for f in call.fragments]
            blocks.append((block, dict(block, input={}), deltas, []))
        else:
            deltas = [{"type": "text_delta", "text": p} for p in reply.pieces]
            blocks.append(
                ({"type": "text", "text": reply.text}, {"type": "text", "text": ""}, deltas, [])
            )
        plan.thinking = tuple(block_digest(b[0]) for b in blocks
                              if b[0]["type"] in ("thinking", "redacted_thinking"))
        rest = {
            "type": "message",
            "role": "assistant",
            "model": plan.model,
            "content": [b[0] for b in blocks],
            "stop_reason": stop_reason,
            "stop_sequence": reply.stop_sequence,
            "usage": usage,
        }
        # Only the shape this body asked for is built (a plan is per body).
        plan.data["n_content"] = sum(len(b[2]) for b in blocks)
        if not plan.stream:
            plan.data["body"] = orjson.dumps(rest)[1:]
            return
        start = dict(
            rest,
            content=[],
            stop_reason=None,
            stop_sequence=None,
            usage=dict(usage, output_tokens=min(1, completion)),
        )
        plan.data["start"] = orjson.dumps(start)[1:]
        events: list[tuple[bytes, bool]] = []
        for index, (_, opening, timed, closing) in enumerate(blocks):
            head = {"type": "content_block_start", "index": index, "content_block": opening}
            events.append((_event("content_block_start", head), False))
            if index == 0:
                events.append((_event("ping", {"type": "ping"}), False))
            for delta, content in [*((d, True) for d in timed), *((d, False) for d in closing)]:
                data = {"type": "content_block_delta", "index": index, "delta": delta}
                events.append((_event("content_block_delta", data), content))
            stop = {"type": "content_block_stop", "index": index}
            events.append((_event("content_block_stop", stop), False))
        final = {"stop_reason": stop_reason, "stop_sequence": reply.stop_sequence}
        events.append(
            (
                _event("message_delta", {"type": "message_delta", "delta": final, "usage": usage}),
                False,
            )
        )
        events.append((_event("message_stop", {"type": "message_stop"}), False))
        plan.data["events"] = events

    def body(self, plan: Plan, rid: str, created: int) -> bytes:
        return b'{"id":"%s",' % rid.encode() + plan.data["body"]  # type: ignore[no-any-return]

    def events(self, plan: Plan, rid: str, created: int) -> list[tuple[bytes, bool]]:
        start = (
            b'event: message_start\ndata: {"type":"message_start","message":{"id":"%s",%s}\n\n'
            % (rid.encode(), plan.data["start"])
        )
        return [(start, False), *plan.data["events"]]

    def error_body(self, status: int, message: str | None = None) -> bytes:
        return error_for_status("anthropic", status, message)

    def error_event(self, status: int, plan: Plan | None = None, rid: str = "",
                    at: int = 0) -> bytes:
        return b"event: error\ndata: " + error_for_status("anthropic", status) + b"\n\n"

    def malformed_event(self) -> bytes:
        return _DELTA + b'{"type":"text_\n\n'

    def bad_utf8_event(self) -> bytes:
        return _DELTA + b'{"type":"text_delta","text":"\xff\xfe\xc3("}}\n\n'

    def giant_body(self, plan: Plan, rid: str, created: int) -> tuple[bytes, bytes]:
        """The JSON around an oversized text reply (the filler goes between)."""
        head = b'{"id":"%s","type":"message","role":"assistant","model":%s,' % (
            rid.encode(),
            orjson.dumps(plan.model),
        )
        tail = b'"}],"stop_reason":"end_turn","stop_sequence":null,"usage":'
        usage = b'{"input_tokens":%d,"output_tokens":1}}' % plan.input_tokens
        return head + b'"content":[{"type":"text","text":"', tail + usage

    def giant_event(self, plan: Plan, rid: str, created: int) -> tuple[bytes, bytes]:
        """The event around an oversized text delta."""
        return _DELTA + b'{"type":"text_delta","text":"', b'"}}\n\n'


def _cache_marks(body: dict[str, Any]) -> int:
    """How many system, message-content and tool blocks carry ``cache_control``."""
    blocks: list[Any] = [*(body.get("tools") or [])]
    if isinstance(body.get("system"), list):
        blocks += body["system"]
    for message in body["messages"]:
        if isinstance(message.get("content"), list):
            blocks += message["content"]
    return sum(1 for b in blocks if isinstance(b, dict) and b.get("cache_control") is not None)
