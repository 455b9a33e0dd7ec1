"""The OpenAI Responses surface (``POST /v1/responses``): validation, bodies, typed event streams.

Replies come from the same generator as the other surfaces (a Responses conversation seeds
like its Chat Completions form, ``_tokenizer.responses_turns``) and are shaped by
``gatecheck.protocols.responses``: reasoning (``thinking=N``, or 12 tokens when the
request sets ``reasoning.effort``) is a ``reasoning`` item whose ``encrypted_content`` is
the mock's signature of its text, then a ``message`` item or one forced ``function_call``.
A reply cut by ``max_output_tokens`` ends ``response.incomplete`` (reason
``max_output_tokens``). Nothing is stored: ``previous_response_id`` is a 400, as for an id
the real API does not know.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import orjson

from gatecheck.mock._config import MockConfig
from gatecheck.mock._directives import Directive
from gatecheck.mock._errors import context_window, error_for_status, openai_error
from gatecheck.mock._evidence import image_digests, signature
from gatecheck.mock._generate import Reply, answer, seed_of
from gatecheck.mock._plan import PROMPT_EXCERPT, Invalid, Plan, cache_counts, resolve
from gatecheck.mock._tokenizer import count_responses_request, responses_turns
from gatecheck.mock._validate import check_responses
from gatecheck.protocols import responses as _emit
from gatecheck.protocols.responses.wire import EVENT, sse

__all__ = ["ResponsesSurface"]

DEFAULT_REASONING_TOKENS = 12  # reasoning.effort set, no thinking=N
# Per-request values are spliced into the precomputed events (a plan is shared by every
# request with the same body): the response id, and created_at / completed_at.
_RID = b"resp_gatecheckmockid"
_AT = b"1111111111"


def _forced_tool(body: dict[str, Any], wanted: str | None) -> dict[str, Any] | None:
    tools: list[dict[str, Any]] = body.get("tools") or []
    if wanted is not None:
        if not tools:
            raise Invalid(400, f"mock directive: tool={wanted} needs tools in the request",
                          "input")
        found = tools[0] if wanted == "*" else next((t for t in tools if t["name"] == wanted),
                                                    None)
        if found is None:
            raise Invalid(400, f"mock directive: tool {wanted!r} is not in tools", "input")
        return found
    choice = body.get("tool_choice")
    if choice == "required" and tools:
        return tools[0]
    if isinstance(choice, dict):
        return next(t for t in tools if t["name"] == choice["name"])
    return None


def _context_error(prompt: int, window: int) -> bytes:
    return openai_error(
        f"Your input exceeds the context window of this model ({window} tokens); the input "
        f"has {prompt} tokens. Please adjust your input and try again.",
        "invalid_request_error", "input", "context_length_exceeded")


class ResponsesSurface:
    """``POST /v1/responses`` as OpenAI answers it."""

    name = "responses"

    def __init__(self) -> None:
        self._prefix = "resp_mock" + os.urandom(4).hex()
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        return f"{self._prefix}{next(self._ids):012d}"

    def plan(self, raw: bytes, config: MockConfig) -> Plan:
        try:
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise Invalid(400, "We could not parse the JSON body of your request. "
                              "The OpenAI API expects a JSON payload.") from None
            check_responses(body)
            return self._plan(body, config)
        except Invalid as exc:
            error = openai_error(exc.message, "invalid_request_error", exc.param, exc.code)
            return Plan("responses", exc.status, error)

    def _plan(self, body: dict[str, Any], config: MockConfig) -> Plan:
        turns = responses_turns(body)
        asked = next((text for role, text, _ in reversed(turns) if role == "user"), "")
        directive, behaviour, latency, chaos = resolve(config, body["model"], asked)
        effort = (body.get("reasoning") or {}).get("effort")
        if effort not in (None, "none") and behaviour.thinking is None:
            behaviour = Directive(thinking=DEFAULT_REASONING_TOKENS).over(behaviour)
        seed = seed_of("\n".join(f"{role}:{text}" for role, text, _ in turns))
        tool = _forced_tool(body, behaviour.tool)
        reply = answer(
            seed, behaviour, max_tokens=body.get("max_output_tokens"), stops=(),
            tool=None if tool is None else (f"call_mock{seed:016x}", tool["name"],
                                            tool.get("parameters")),
        )
        prompt = count_responses_request(body)
        window = context_window(behaviour.fault, behaviour.context, prompt)
        if window is not None:
            return Plan("responses", 400, _context_error(prompt, window))
        read, write = cache_counts(behaviour, prompt)
        items = [i for i in body["input"] if isinstance(i, dict)] if isinstance(
            body["input"], list) else []
        plan = Plan(
            "responses", model=body["model"], stream=bool(body.get("stream")),
            directive=directive, behaviour=behaviour, latency=latency, input_tokens=prompt,
            reply=reply, seed=seed, chaos=chaos, prompt=asked[:PROMPT_EXCERPT],
            cache_read=read, cache_write=write,
            images=image_digests(i.get("content") for i in items),
        )
        self._precompute(plan, body, reply)
        return plan

    def _precompute(self, plan: Plan, body: dict[str, Any], reply: Reply) -> None:
        usage = _emit.usage(plan.input_tokens, reply.output_tokens, cached=plan.cache_read,
                            cache_write=plan.cache_write, reasoning=reply.thinking_tokens)
        skeleton = _emit.response_object(
            id=_RID.decode(), created_at=int(_AT), model=str(plan.model),
            echoed=_emit.echo(body), status="in_progress", output=[], usage=None)
        writer = _emit.StreamWriter(skeleton)
        events: list[tuple[dict[str, Any], bool]] = [(e, False) for e in writer.start()]
        suffix = f"{plan.seed:016x}"
        if reply.thinking:
            events += [(e, False) for e in writer.open_reasoning(f"rs_mock{suffix}")]
            events += [(writer.reasoning(p), True) for p in reply.thinking_pieces]
            writer.seal(signature(reply.thinking))
        call = reply.tool
        if call is not None:
            events += [(e, False) for e in writer.open_call(f"fc_mock{suffix}", call.id,
                                                            call.name)]
            events += [(writer.arguments(f), True) for f in call.fragments]
        else:
            events += [(e, False) for e in writer.open_message(f"msg_mock{suffix}")]
            events += [(writer.text(p), True) for p in reply.pieces]
        cut = reply.finish == "length"
        events += [(e, False) for e in writer.finish(
            usage, completed_at=int(_AT), incomplete="max_output_tokens" if cut else None)]
        plan.data["n_content"] = sum(1 for _, content in events if content)
        plan.data["skeleton"] = skeleton
        plan.data["seq"] = writer.seq
        plan.data["items"] = writer.items
        if not plan.stream:
            plan.data["body"] = orjson.dumps(events[-1][0]["response"])
            return
        plan.data["frames"] = [(sse(e), content, e["type"] in _SPLICED) for e, content in events]

    @staticmethod
    def _splice(data: bytes, rid: str, created: int) -> bytes:
        return data.replace(_RID, rid.encode()).replace(_AT, b"%d" % created)

    def body(self, plan: Plan, rid: str, created: int) -> bytes:
        return self._splice(plan.data["body"], rid, created)

    def events(self, plan: Plan, rid: str, created: int) -> list[tuple[bytes, bool]]:
        return [(self._splice(frame, rid, created) if spliced else frame, content)
                for frame, content, spliced in plan.data["frames"]]

    def error_body(self, status: int, message: str | None = None) -> bytes:
        return error_for_status("openai", status, message)

    def error_event(self, status: int, plan: Plan | None = None, rid: str = "",
                    at: int = 0) -> bytes:
        """``error`` then ``response.failed``, numbered after the ``at`` events already sent."""
        envelope = orjson.loads(error_for_status("openai", status))["error"]
        skeleton = dict(plan.data["skeleton"]) if plan is not None else {}
        writer = _emit.StreamWriter(skeleton)
        writer.seq = at
        code = envelope.get("code") or envelope.get("type") or "server_error"
        out = b"".join(sse(e) for e in writer.fail(str(code), envelope["message"]))
        return self._splice(out, rid or "resp_failed", 0)

    def malformed_event(self) -> bytes:
        return (b'event: response.output_text.delta\n'
                b'data: {"type":"response.output_text.delta","delta":"cut\n\n')

    def bad_utf8_event(self) -> bytes:
        return (b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta",'
                b'"item_id":"msg_broken","output_index":0,"content_index":0,'
                b'"delta":"\xff\xfe\xc3(","sequence_number":999}\n\n')

    def giant_body(self, plan: Plan, rid: str, created: int) -> tuple[bytes, bytes]:
        """The JSON around an oversized output_text (the filler goes between)."""
        head = b'{"id":"%s","object":"response","created_at":%d,"status":"completed",' % (
            rid.encode(), created)
        return (head + b'"model":%s,"output":[{"type":"message","id":"msg_giant","status":'
                b'"completed","role":"assistant","content":[{"type":"output_text","text":"'
                % orjson.dumps(plan.model),
                b'","annotations":[]}]}]}')

    def giant_event(self, plan: Plan, rid: str, created: int) -> tuple[bytes, bytes]:
        """The event around an oversized text delta."""
        return (b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta",'
                b'"item_id":"msg_giant","output_index":0,"content_index":0,"delta":"',
                b'","sequence_number":0}\n\n')


_SPLICED = frozenset({EVENT.CREATED, EVENT.IN_PROGRESS, EVENT.COMPLETED, EVENT.INCOMPLETE})
