"""Stream translation, event by event as events arrive: Anthropic events <-> OpenAI chunks.

Both translators are small state machines: ``feed`` returns what to send for one upstream
event right away, ``finish`` what to send when the upstream ends. Nothing is held back except
(OpenAI -> Anthropic) text that arrives while a tool-call block is open, until that block
ends, because Anthropic blocks cannot interleave or reopen.

The end of a stream is the upstream's end marker (Anthropic ``message_stop``, OpenAI
``data: [DONE]``), never just a stop reason: a connection that closes after the stop reason
but before the marker was cut, and a cut stream ends in one error, never a faked success
(STR-O10, STR-A7). The caller says which it saw: ``finish(complete=...)``.

Usage over an OpenAI upstream (STR-A3/TOK-5): the request translator asks for
``stream_options.continuous_usage_stats`` (a vLLM extension the gatecheck mock honours), so
the first chunk carries ``prompt_tokens`` and ``message_start`` reports the real input count.
Upstreams that ignore it (OpenAI itself) leave ``message_start.usage.input_tokens`` at 0; the
final ``message_delta.usage`` then carries the input, cache and output counts, cumulative, so
clients that merge start and delta (as the SDK does) still end with the exact figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gatecheck.protocols.translate._common import dumps
from gatecheck.protocols.translate._errors import (
    anthropic_error_to_openai,
    openai_error_to_anthropic,
)
from gatecheck.protocols.translate._responses import (
    ANTHROPIC_TO_OPENAI_STOP,
    anthropic_stop,
    anthropic_usage_to_openai,
    openai_usage_to_anthropic,
)

__all__ = ["CUT_STREAM_MESSAGE", "AnthropicToOpenAIStream", "OpenAIToAnthropicStream"]

# One wording for a stream cut before its end marker, on every path (the proxy's
# same-format relays use it too), so logs and clients see the same failure the same way.
CUT_STREAM_MESSAGE = "Upstream stream ended before its end marker."

_USAGE_KEYS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)


class AnthropicToOpenAIStream:
    """Anthropic upstream events -> ``chat.completion.chunk`` objects for an OpenAI client.

    The proxy writes each returned chunk as ``data: <json>`` and, after :meth:`finish`,
    ``data: [DONE]``. A chunk of the form ``{"error": {...}}`` ends the stream (STR-O10).
    """

    def __init__(
        self, *, model: str, include_usage: bool, completion_id: str, created: int
    ) -> None:
        self._base = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
        }
        self._include_usage = include_usage
        self._usage: dict[str, int] = {}
        self._tool_index: dict[int, int] = {}  # Anthropic block index -> OpenAI tool_calls index
        self._started = False
        self._finished = False  # the finish_reason chunk was sent
        self._stopped = False  # message_stop arrived
        self._closed = False  # an error was sent or finish() ran: nothing more to say

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        chunk: dict[str, Any] = {**self._base, "choices": [choice]}
        if self._include_usage:
            chunk["usage"] = None  # STR-O7: only the final usage chunk carries it
        return chunk

    def _merge_usage(self, usage: Any) -> None:
        if not isinstance(usage, dict):
            return
        for key in _USAGE_KEYS:
            value = usage.get(key)
            if isinstance(value, int):  # counts are cumulative: the largest is the latest
                self._usage[key] = max(self._usage.get(key, 0), value)

    def feed(self, event: str, data: dict[str, Any]) -> list[dict[str, Any]]:
        """The chunks to emit now for one upstream event (``event`` is the SSE event name)."""
        if self._closed:
            return []
        out: list[dict[str, Any]] = []
        raw: Any = data
        try:
            kind = event if event and event != "message" else str(raw.get("type", ""))
            if kind == "error":
                self._closed = True
                return [anthropic_error_to_openai(500, data)[1]]
            self._feed(kind, data, out)
        except (AttributeError, TypeError, ValueError, KeyError):
            self._closed = True  # an event that breaks its own format: fail honestly (STR-O10)
            message = "upstream sent a malformed event"
            out.append(
                {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
            )
        return out

    def _feed(self, kind: str, data: dict[str, Any], out: list[dict[str, Any]]) -> None:
        if not self._started and kind not in ("ping", "message_stop"):
            self._started = True
            out.append(self._chunk({"role": "assistant", "content": ""}))  # STR-O5
        if kind == "message_start":
            self._merge_usage((data.get("message") or {}).get("usage"))
        elif kind == "content_block_start":
            block = data.get("content_block") or {}
            if block.get("type") == "tool_use":
                index = self._tool_index.setdefault(
                    int(data.get("index", 0)), len(self._tool_index)
                )
                args = dumps(block["input"]) if block.get("input") else ""
                call = {"index": index, "id": block.get("id"), "type": "function"}
                call["function"] = {"name": block.get("name"), "arguments": args}
                out.append(self._chunk({"tool_calls": [call]}))
            elif block.get("type") == "text" and block.get("text"):
                out.append(self._chunk({"content": block["text"]}))
        elif kind == "content_block_delta":
            delta = data.get("delta") or {}
            if delta.get("type") == "text_delta" and delta.get("text"):
                out.append(self._chunk({"content": delta["text"]}))
            elif delta.get("type") == "input_json_delta" and delta.get("partial_json"):
                tool = self._tool_index.get(int(data.get("index", 0)))
                if tool is not None:
                    call = {"index": tool, "function": {"arguments": delta["partial_json"]}}
                    out.append(self._chunk({"tool_calls": [call]}))
            # thinking, signature and citations deltas have no Chat Completions field
        elif kind == "message_stop":
            self._stopped = True
        elif kind == "message_delta":
            self._merge_usage(data.get("usage"))
            stop_reason = (data.get("delta") or {}).get("stop_reason")
            if stop_reason and not self._finished:
                self._finished = True
                out.append(self._chunk({}, ANTHROPIC_TO_OPENAI_STOP.get(stop_reason, "stop")))

    def finish(self, *, complete: bool) -> list[dict[str, Any]]:
        """What to emit when the upstream ends: the usage chunk, or an error if it ended early.

        ``complete``: the upstream sent ``message_stop`` (rather than just closing). Without
        it the stream was cut, whatever stop reason came before (STR-O10).
        """
        if self._closed:
            return []
        self._closed = True
        message = None
        if not (complete and self._stopped):
            message = CUT_STREAM_MESSAGE
        elif not self._finished:  # never fake a successful end (STR-O10)
            message = "upstream stream ended before its stop reason"
        if message is not None:
            return [
                {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
            ]
        if not self._include_usage:
            return []
        return [{**self._base, "choices": [], "usage": anthropic_usage_to_openai(self._usage)}]


class OpenAIToAnthropicStream:
    """OpenAI upstream chunks -> Anthropic ``(event, data)`` pairs for an Anthropic client.

    ``stop_sequences`` (the request's) only serves to recognise a stop-sequence stop; see
    :func:`gatecheck.protocols.translate.anthropic_stop`.
    """

    def __init__(self, *, model: str, message_id: str, stop_sequences: Sequence[str] = ()) -> None:
        self._model = model
        self._message_id = message_id
        self._stop_sequences = tuple(stop_sequences)
        self._tail_size = max((len(s) for s in self._stop_sequences), default=0)
        self._tail = ""  # the end of the text so far, to spot a stop sequence kept in it
        self._usage: dict[str, int] | None = None
        self._next_index = 0
        self._open: int | None = None  # Anthropic index of the open block
        self._open_tool: int | None = None  # its OpenAI tool index, when it is a tool_use block
        self._tools: dict[int, int] = {}  # OpenAI tool index -> Anthropic block index
        self._held_text: list[str] = []  # text that arrived while a tool block was open
        self._refused = False
        self._finish_reason: str | None = None
        self._matched: Any = None
        self._started = False
        self._closed = False

    # -- helpers ---------------------------------------------------------------------------

    def _start(self, out: list[tuple[str, dict[str, Any]]]) -> None:
        self._started = True
        usage = dict(self._usage or openai_usage_to_anthropic({}))
        message: dict[str, Any] = {
            "id": self._message_id,
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": self._model,
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        }
        out.append(("message_start", {"type": "message_start", "message": message}))
        out.append(("ping", {"type": "ping"}))

    def _open_block(self, out: list[tuple[str, dict[str, Any]]], block: dict[str, Any]) -> int:
        self._close_blocks(out)
        index = self._open = self._next_index
        self._next_index += 1
        out.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": block},
            )
        )
        return index

    def _close_blocks(self, out: list[tuple[str, dict[str, Any]]]) -> None:
        """Close the open block; closing a tool block may flush held text into a text block."""
        while self._open is not None:
            self._close_block(out)

    def _close_block(self, out: list[tuple[str, dict[str, Any]]]) -> None:
        if self._open is None:
            return
        out.append(("content_block_stop", {"type": "content_block_stop", "index": self._open}))
        was_tool, self._open, self._open_tool = self._open_tool is not None, None, None
        if was_tool and self._held_text:
            held, self._held_text = "".join(self._held_text), []
            self._text(out, held)

    def _text(self, out: list[tuple[str, dict[str, Any]]], text: str) -> None:
        if self._open_tool is not None:
            self._held_text.append(text)
            return
        if self._open is None:
            self._open_block(out, {"type": "text", "text": ""})
        delta = {"type": "text_delta", "text": text}
        out.append(
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": self._open, "delta": delta},
            )
        )
        if self._tail_size:
            self._tail = (self._tail + text)[-self._tail_size :]

    def _tool(self, out: list[tuple[str, dict[str, Any]]], call: dict[str, Any]) -> bool:
        """Forward one tool-call fragment; False when it cannot be expressed (a late fragment)."""
        tool = int(call.get("index", 0))
        function = call.get("function") or {}
        if tool not in self._tools:
            block: dict[str, Any] = {
                "type": "tool_use",
                # vLLM has streamed tool calls without an id: make a stable one
                "id": call.get("id") or f"toolu_{self._message_id}_{tool}",
                "name": function.get("name") or "",
                "input": {},
            }
            self._tools[tool] = self._open_block(out, block)
            self._open_tool = tool
        elif self._open_tool != tool:
            return not function.get("arguments")  # a block once stopped cannot take more input
        if function.get("arguments"):
            delta = {"type": "input_json_delta", "partial_json": function["arguments"]}
            index = self._tools[tool]
            out.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        return True

    def _error(self, status: int, body: Any) -> list[tuple[str, dict[str, Any]]]:
        self._closed = True
        return [("error", openai_error_to_anthropic(status, body)[1])]

    def _end(self, out: list[tuple[str, dict[str, Any]]]) -> None:
        self._close_blocks(out)
        stop_reason, stop_sequence = anthropic_stop(
            self._finish_reason,
            matched=self._matched,
            text=self._tail,
            stop_sequences=self._stop_sequences,
            has_tool_calls=bool(self._tools),
        )
        if self._refused:
            stop_reason, stop_sequence = "refusal", None
        usage: dict[str, int] = dict(self._usage) if self._usage else {"output_tokens": 0}
        delta = {"stop_reason": stop_reason, "stop_sequence": stop_sequence}
        out.append(("message_delta", {"type": "message_delta", "delta": delta, "usage": usage}))
        out.append(("message_stop", {"type": "message_stop"}))
        self._closed = True

    # -- public ----------------------------------------------------------------------------

    def feed(self, chunk: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """The ``(event, data)`` pairs to emit now for one upstream chunk."""
        if self._closed:
            return []
        raw: Any = chunk
        if not isinstance(raw, dict):
            return self._error(502, {"error": {"message": "upstream sent a malformed chunk"}})
        error = chunk.get("error")
        if error:
            code = error.get("code") if isinstance(error, dict) else None
            return self._error(code if isinstance(code, int) and 400 <= code < 600 else 500, chunk)
        out: list[tuple[str, dict[str, Any]]] = []
        try:
            self._feed(chunk, out)
        except (AttributeError, TypeError, ValueError, KeyError):
            # a chunk that breaks its own format: fail the stream honestly (STR-A7)
            return out + self._error(502, {"error": {"message": "upstream sent a malformed chunk"}})
        return out

    def _feed(self, chunk: dict[str, Any], out: list[tuple[str, dict[str, Any]]]) -> None:
        if isinstance(chunk.get("usage"), dict):
            self._usage = openai_usage_to_anthropic(chunk["usage"])
        if not self._started:
            self._start(out)
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue  # Anthropic has one candidate; extra OpenAI choices have nowhere to go
            delta = choice.get("delta") or {}
            for key in ("content", "refusal"):
                if isinstance(delta.get(key), str) and delta[key]:
                    self._refused = self._refused or key == "refusal"
                    self._text(out, delta[key])
            for call in delta.get("tool_calls") or ():
                if not self._tool(out, call):
                    message = "upstream sent arguments for a tool call after another one had begun"
                    out.extend(self._error(502, {"error": {"message": message}}))
                    return
            if choice.get("finish_reason") and self._finish_reason is None:
                self._finish_reason = choice["finish_reason"]
                self._matched = choice.get("stop_reason")
                self._close_blocks(out)
        # message_delta and message_stop wait for finish(complete=True): a usage chunk after
        # the finish_reason is not the end of the stream, [DONE] is.

    def finish(self, *, complete: bool) -> list[tuple[str, dict[str, Any]]]:
        """What to emit when the upstream ends: the closing events, or an error if it was cut.

        ``complete``: the upstream sent ``data: [DONE]`` (rather than just closing). Without
        it the stream was cut, whatever finish_reason came before (STR-A7).
        """
        if self._closed:
            return []
        if not complete:
            return self._error(502, {"error": {"message": CUT_STREAM_MESSAGE}})
        if self._finish_reason is None:
            return self._error(
                502, {"error": {"message": "upstream stream ended before its finish_reason"}}
            )
        out: list[tuple[str, dict[str, Any]]] = []
        self._end(out)
        return out
