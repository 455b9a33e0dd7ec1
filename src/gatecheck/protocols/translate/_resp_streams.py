"""Stream translation into the Responses event grammar, event by event as events arrive.

``ChatToResponsesStream`` takes Chat Completions chunks, ``AnthropicToResponsesStream``
Anthropic events; both write through ``gatecheck.protocols.responses.StreamWriter``
(one grammar with the mock's), so a client sees ``response.created`` and
``response.in_progress`` first, each output item added, filled and done in turn, and one
terminal event with the whole response and its usage. Items map as in ``_resp_bodies``.

An item closes when the next one opens or the stream ends, so the last one can still be
marked ``incomplete`` when the stop reason says the token limit cut it. The end is the
upstream's end marker only (``[DONE]`` / ``message_stop``, the caller says which with
``finish(complete=...)``); a cut stream or an upstream error event becomes the ``error``
event and ``response.failed``, never a ``response.completed``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from gatecheck.protocols import responses as _emit
from gatecheck.protocols.translate._common import dumps
from gatecheck.protocols.translate._resp_bodies import (
    anthropic_usage_to_responses,
    chat_usage_to_responses,
)
from gatecheck.protocols.translate._resp_requests import REDACTED_PREFIX
from gatecheck.protocols.translate._streams import CUT_STREAM_MESSAGE

__all__ = ["AnthropicToResponsesStream", "ChatToResponsesStream"]

_INCOMPLETE = {"length": "max_output_tokens", "max_tokens": "max_output_tokens",
               "model_context_window_exceeded": "max_output_tokens",
               "content_filter": "content_filter"}
# Anthropic error types -> the `error` event's code (rate limits keep their meaning)
_CODES = {"rate_limit_error": "rate_limit_exceeded", "invalid_request_error": "invalid_prompt"}

Event = dict[str, Any]


class _Base:
    """What both directions share: the writer, the stop reason, the usage, the end."""

    def __init__(self, *, request: Mapping[str, Any], model: str, response_id: str,
                 created_at: int) -> None:
        skeleton = _emit.response_object(id=response_id, created_at=created_at, model=model,
                                         echoed=_emit.echo(request), status="in_progress",
                                         output=[], usage=None)
        self.writer = _emit.StreamWriter(skeleton)
        self._tag = os.urandom(8).hex()
        self._items = 0
        self._said = False  # a message or call item was opened
        self._started = False
        self._closed = False
        self.reason: Any = None
        self.usage: dict[str, Any] | None = None

    def _id(self, prefix: str) -> str:
        self._items += 1
        return f"{prefix}_{self._tag}{self._items:03d}"

    def _start(self, out: list[Event]) -> None:
        if not self._started:
            self._started = True
            out.extend(self.writer.start())

    def fail(self, code: str, message: str) -> list[Event]:
        """The failure events (the stream is over after them)."""
        if self._closed:
            return []
        out: list[Event] = []
        self._start(out)
        self._closed = True
        return [*out, *self.writer.fail(code, message)]

    def finish(self, *, complete: bool, completed_at: int) -> list[Event]:
        """The end of the upstream stream: the terminal event, or a failure if it was cut."""
        if self._closed:
            return []
        if not complete:
            return self.fail("server_error", CUT_STREAM_MESSAGE)
        out: list[Event] = []
        self._start(out)
        if not self._said:  # nothing was generated: still one (empty) message, as non-stream
            out.extend(self.writer.open_message(self._id("msg")))
        self._closed = True
        out.extend(self.writer.finish(self.usage, completed_at=completed_at,
                                      incomplete=_INCOMPLETE.get(str(self.reason))))
        return out

    @property
    def closed(self) -> bool:
        return self._closed


class ChatToResponsesStream(_Base):
    """Chat Completions chunks -> Responses events."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._tool: int | None = None  # the index of the open tool call

    def feed(self, chunk: Mapping[str, Any]) -> list[Event]:
        if self._closed:
            return []
        error = chunk.get("error")
        if error:
            message = error.get("message") if isinstance(error, Mapping) else str(error)
            code = error.get("code") if isinstance(error, Mapping) else None
            return self.fail(str(code or "server_error"), str(message or "upstream error"))
        out: list[Event] = []
        self._start(out)
        if isinstance(chunk.get("usage"), Mapping):
            self.usage = chat_usage_to_responses(chunk["usage"])
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, Mapping) or choice.get("index", 0) != 0:
                continue
            self._delta(choice.get("delta") or {}, out)
            if choice.get("finish_reason") is not None:
                self.reason = choice["finish_reason"]
        return out

    def _delta(self, delta: Mapping[str, Any], out: list[Event]) -> None:
        writer = self.writer
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            if writer.open_kind != "reasoning":
                out.extend(writer.open_reasoning(self._id("rs")))
            out.append(writer.reasoning(reasoning))
        content = delta.get("content")
        if isinstance(content, str) and content:
            if writer.open_kind != "message":
                self._said = True
                out.extend(writer.open_message(self._id("msg")))
            out.append(writer.text(content))
        for fragment in delta.get("tool_calls") or ():
            function = fragment.get("function") or {}
            if fragment.get("index", 0) != self._tool or writer.open_kind != "function_call":
                self._tool, self._said = fragment.get("index", 0), True
                out.extend(writer.open_call(self._id("fc"), str(fragment.get("id") or ""),
                                            str(function.get("name") or "")))
            if function.get("arguments"):
                out.append(writer.arguments(function["arguments"]))


class AnthropicToResponsesStream(_Base):
    """Anthropic Messages events -> Responses events."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._usage: dict[str, int] = {}
        self._signature = ""
        self.stopped = False  # message_stop arrived: the end marker

    def _merge(self, usage: Any) -> None:
        if isinstance(usage, Mapping):
            for key, value in usage.items():
                if isinstance(value, int) and value >= self._usage.get(key, 0):
                    self._usage[key] = value  # cumulative counts: the latest is the largest
            self.usage = anthropic_usage_to_responses(self._usage)

    def feed(self, name: str, data: Mapping[str, Any]) -> list[Event]:
        if self._closed:
            return []
        kind = name if name and name != "message" else str(data.get("type", ""))
        if kind == "error":
            raw = data.get("error")
            error: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
            code = _CODES.get(str(error.get("type")), "server_error")
            return self.fail(code, str(error.get("message") or "upstream error"))
        out: list[Event] = []
        if kind == "ping":
            return out
        self._start(out)
        writer = self.writer
        if kind == "message_start":
            self._merge((data.get("message") or {}).get("usage"))
        elif kind == "content_block_start":
            block = data.get("content_block") or {}
            self._open(block, out)
        elif kind == "content_block_delta":
            delta = data.get("delta") or {}
            dtype = delta.get("type")
            if dtype == "text_delta" and delta.get("text"):
                out.append(writer.text(delta["text"]))
            elif dtype == "thinking_delta" and delta.get("thinking"):
                out.append(writer.reasoning(delta["thinking"]))
            elif dtype == "signature_delta":
                self._signature += str(delta.get("signature", ""))
                writer.seal(self._signature)
            elif dtype == "input_json_delta" and delta.get("partial_json"):
                out.append(writer.arguments(delta["partial_json"]))
        elif kind == "message_delta":
            self._merge(data.get("usage"))
            self.reason = (data.get("delta") or {}).get("stop_reason") or self.reason
        elif kind == "message_stop":
            self.stopped = True
        # content_block_stop: the item closes when the next opens or the stream ends
        return out

    def _open(self, block: Mapping[str, Any], out: list[Event]) -> None:
        writer, kind = self.writer, block.get("type")
        if kind == "thinking":
            self._signature = str(block.get("signature") or "")
            out.extend(writer.open_reasoning(self._id("rs")))
            if self._signature:
                writer.seal(self._signature)
            if block.get("thinking"):
                out.append(writer.reasoning(str(block["thinking"])))
        elif kind == "redacted_thinking":
            out.extend(writer.open_reasoning(self._id("rs")))
            writer.seal(REDACTED_PREFIX + str(block.get("data", "")))
        elif kind == "text":
            self._said = True
            out.extend(writer.open_message(self._id("msg")))
            if block.get("text"):
                out.append(writer.text(str(block["text"])))
        elif kind == "tool_use":
            self._said = True
            out.extend(writer.open_call(self._id("fc"), str(block.get("id") or ""),
                                        str(block.get("name") or "")))
            if block.get("input"):
                out.append(writer.arguments(dumps(block["input"])))
