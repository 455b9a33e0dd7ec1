"""The OpenAI Chat Completions surface: validation, bodies, chunk streams, error shapes."""

from __future__ import annotations

import itertools
import os
from typing import Any

import orjson

from gatecheck.mock._config import MockConfig
from gatecheck.mock._errors import (
    context_length_error,
    context_window,
    error_for_status,
    openai_error,
)
from gatecheck.mock._evidence import image_digests
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
from gatecheck.mock._tokenizer import count_openai_request, count_tokens
from gatecheck.mock._validate import check_openai

__all__ = ["OpenAISurface", "model_object", "models_list"]

_DONE = b"data: [DONE]\n\n"


def model_object(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": MODEL_CREATED, "owned_by": "gatecheck-mock"}


def models_list(models: list[str]) -> bytes:
    return orjson.dumps({"object": "list", "data": [model_object(m) for m in models]})


def _forced_tool(body: dict[str, Any], wanted: str | None) -> dict[str, Any] | None:
    tools = body.get("tools") or []
    if wanted is not None:
        if not tools:
            raise Invalid(
                400, f"mock directive: tool={wanted} needs tools in the request", "messages"
            )
        if wanted == "*":
            return tools[0]["function"]  # type: ignore[no-any-return]
        for tool in tools:
            if tool["function"]["name"] == wanted:
                return tool["function"]  # type: ignore[no-any-return]
        raise Invalid(400, f"mock directive: tool {wanted!r} is not in tools", "messages")
    choice = body.get("tool_choice")
    if choice == "required":
        return tools[0]["function"]  # type: ignore[no-any-return]
    if isinstance(choice, dict):
        name = choice["function"]["name"]
        return next(t["function"] for t in tools if t["function"]["name"] == name)  # type: ignore[no-any-return]
    return None


class OpenAISurface:
    """``POST /v1/chat/completions`` as OpenAI answers it."""

    name = "openai"

    def __init__(self) -> None:
        self._prefix = "chatcmpl-" + os.urandom(4).hex()
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        return f"{self._prefix}{next(self._ids):012d}"

    def plan(self, raw: bytes, config: MockConfig) -> Plan:
        try:
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise Invalid(
                    400,
                    "We could not parse the JSON body of your request. "
                    "The OpenAI API expects a JSON payload.",
                ) from None
            check_openai(body)
            return self._plan(body, config)
        except Invalid as exc:
            return Plan(
                "openai",
                exc.status,
                openai_error(exc.message, "invalid_request_error", exc.param, exc.code),
            )

    def _plan(self, body: dict[str, Any], config: MockConfig) -> Plan:
        messages = body["messages"]
        last_user = next((m for m in reversed(messages) if m["role"] == "user"), None)
        asked = text_of(last_user["content"]) if last_user else ""
        directive, behaviour, latency, chaos = resolve(config, body["model"], asked)
        seed = seed_of(
            "\n".join(
                f"{'system' if m['role'] == 'developer' else m['role']}:{text_of(m.get('content'))}"
                for m in messages
            )
        )
        tool = _forced_tool(body, behaviour.tool)
        stop = body.get("stop")
        reply = answer(
            seed,
            behaviour,
            max_tokens=body.get("max_completion_tokens") or body.get("max_tokens"),
            stops=[stop] if isinstance(stop, str) else stop or [],
            tool=None
            if tool is None
            else (f"call_mock{seed:016x}", tool["name"], tool.get("parameters")),
        )
        prompt = count_openai_request(body)
        window = context_window(behaviour.fault, behaviour.context, prompt)
        if window is not None:
            return Plan("openai", 400, context_length_error("openai", prompt, window))
        read, write = cache_counts(behaviour, prompt)
        plan = Plan(
            "openai",
            model=body["model"],
            stream=bool(body.get("stream")),
            directive=directive,
            behaviour=behaviour,
            latency=latency,
            input_tokens=prompt,
            reply=reply,
            seed=seed,
            chaos=chaos,
            prompt=asked[:PROMPT_EXCERPT],
            cache_read=read,
            cache_write=write,
            images=image_digests(m.get("content") for m in messages),
        )
        options = body.get("stream_options") or {}
        self._precompute(
            plan,
            reply,
            bool(options.get("include_usage")),
            bool(options.get("continuous_usage_stats")),
        )
        return plan

    def _precompute(self, plan: Plan, reply: Reply, include_usage: bool, continuous: bool) -> None:
        prompt, completion = plan.input_tokens, reply.output_tokens
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            # Chat Completions reports cache reads only (writes are ordinary prompt tokens)
            "prompt_tokens_details": {"cached_tokens": plan.cache_read},
            "completion_tokens_details": {"reasoning_tokens": reply.thinking_tokens},
        }
        finish = {
            "stop": "stop",
            "stop_sequence": "stop",
            "length": "length",
            "tool": "tool_calls",
        }[reply.finish]
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None if reply.tool else reply.text,
            "refusal": None,
        }
        if reply.thinking:  # the reasoning_content field of vLLM, DeepSeek and others
            message["reasoning_content"] = reply.thinking
        call = reply.tool
        if call is not None:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
            ]
        choice: dict[str, Any] = {
            "index": 0, "message": message, "logprobs": None, "finish_reason": finish
        }
        # OpenAI's finish_reason "stop" does not say which stop sequence matched; vLLM adds
        # the matched text as `stop_reason`, which lets a translating gateway report
        # Anthropic's stop_sequence. Sent only when a sequence matched.
        matched = reply.stop_sequence if reply.finish == "stop_sequence" else None
        if matched is not None:
            choice["stop_reason"] = matched
        rest = {"choices": [choice], "usage": usage}
        # Only the shape this body asked for is built: a plan is per body, and the body
        # says whether it streams (this halves the cost of a cache miss).
        plan.data["n_content"] = len(reply.thinking_pieces) + (
            (1 + len(call.fragments)) if call else len(reply.pieces)
        )
        plan.data["model"] = orjson.dumps(plan.model)
        if not plan.stream:
            plan.data["body"] = orjson.dumps(rest)[1:]  # spliced after the per-request head
            return

        # Stream: role frame, content frames, finish frame, optional usage frame.
        deltas: list[tuple[dict[str, Any], bool, int]] = [
            ({"role": "assistant", "content": None if call else ""}, False, 0)
        ]
        done = 0
        for piece in reply.thinking_pieces:
            done += count_tokens(piece)
            deltas.append(({"reasoning_content": piece}, True, done))
        if call is not None:
            done += count_tokens(call.name)
            first = {
                "index": 0,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            deltas.append(({"tool_calls": [first]}, True, done))
            for fragment in call.fragments:
                done += count_tokens(fragment)
                deltas.append(
                    (
                        {"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]},
                        True,
                        done,
                    )
                )
        else:
            for piece in reply.pieces:
                done += count_tokens(piece)
                deltas.append(({"content": piece}, True, done))
        frames: list[tuple[bytes, bool]] = []
        for i, (delta, content, so_far) in enumerate([*deltas, ({}, False, completion)]):
            last = i == len(deltas)
            frame_choice: dict[str, Any] = {
                "index": 0,
                "delta": delta,
                "logprobs": None,
                "finish_reason": finish if last else None,
            }
            if last and matched is not None:
                frame_choice["stop_reason"] = matched
            chunk: dict[str, Any] = {"choices": [frame_choice]}
            if continuous:
                chunk["usage"] = {
                    "prompt_tokens": prompt,
                    "completion_tokens": so_far,
                    "total_tokens": prompt + so_far,
                }
                if plan.cache_read:  # as vLLM with prompt-tokens details on: from the start
                    chunk["usage"]["prompt_tokens_details"] = {"cached_tokens": plan.cache_read}
            elif include_usage:
                chunk["usage"] = None
            frames.append((orjson.dumps(chunk)[1:], content))
        if include_usage:
            frames.append((orjson.dumps({"choices": [], "usage": usage})[1:], False))
        plan.data["frames"] = frames

    def body(self, plan: Plan, rid: str, created: int) -> bytes:
        head = b'{"id":"%s","object":"chat.completion","created":%d,"model":%s,' % (
            rid.encode(),
            created,
            plan.data["model"],
        )
        return head + plan.data["body"]  # type: ignore[no-any-return]

    def events(self, plan: Plan, rid: str, created: int) -> list[tuple[bytes, bool]]:
        head = b'data: {"id":"%s","object":"chat.completion.chunk","created":%d,"model":%s,' % (
            rid.encode(),
            created,
            plan.data["model"],
        )
        out = [(head + rest + b"\n\n", content) for rest, content in plan.data["frames"]]
        out.append((_DONE, False))
        return out

    def error_body(self, status: int, message: str | None = None) -> bytes:
        return error_for_status("openai", status, message)

    def error_event(self, status: int, plan: Plan | None = None, rid: str = "",
                    at: int = 0) -> bytes:
        return b"data: " + error_for_status("openai", status) + b"\n\n"

    def malformed_event(self) -> bytes:
        return b'data: {"id":"chatcmpl-broken","choices":[{"delta":{"content":"cut\n\n'

    def bad_utf8_event(self) -> bytes:
        delta = b'"delta":{"content":"\xff\xfe\xc3("},"logprobs":null,"finish_reason":null'
        return b'data: {"choices":[{"index":0,' + delta + b"}]}\n\n"

    def giant_body(self, plan: Plan, rid: str, created: int) -> tuple[bytes, bytes]:
        """The JSON around an oversized text reply (the filler goes between)."""
        head = b'{"id":"%s","object":"chat.completion","created":%d,"model":%s,' % (
            rid.encode(),
            created,
            plan.data["model"],
        )
        return (
            head + b'"choices":[{"index":0,"message":{"role":"assistant","content":"',
            b'","refusal":null},"logprobs":null,"finish_reason":"stop"}]}',
        )

    def giant_event(self, plan: Plan, rid: str, created: int) -> tuple[bytes, bytes]:
        """The frame around an oversized content delta."""
        head = b'data: {"id":"%s","object":"chat.completion.chunk","created":%d,"model":%s,' % (
            rid.encode(),
            created,
            plan.data["model"],
        )
        return (
            head + b'"choices":[{"index":0,"delta":{"content":"',
            b'"},"logprobs":null,"finish_reason":null}]}\n\n',
        )
