"""Stream relays: upstream SSE in, the caller's SSE out, event by event as they arrive.

Four paths (caller surface x upstream format). Same-format paths pass events through,
re-encoding only what they must: every OpenAI chunk (the ``model`` echo and the usage
chunk), and only ``message_start``, ``message_delta`` and ``error`` on Anthropic streams
(text deltas are checked to be JSON, then forwarded as the upstream's own text).
Cross-format paths use the translate package's stream state machines. Whatever arrives
in one upstream read goes out in one ``send``, so nothing is held back. Any failure after
the 200 becomes one error event in the caller's format and the end of the stream, never a
fake success (STR-O10, STR-A7).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any, Protocol

import aiohttp
import orjson

from gatecheck import SseDecoder, SseEvent, StreamError
from gatecheck.protocols.translate import CUT_STREAM_MESSAGE
from gatecheck.proxy.app import Ctx
from gatecheck.proxy.config import ProviderConfig
from gatecheck.proxy.errors import ProxyError, error_event
from gatecheck.proxy.upstream import TRANSPORT_ERRORS, transport_error

__all__ = ["AnthropicEmitter", "OpenAIEmitter", "Relayed", "Translator", "relay"]

DONE = b"data: [DONE]\n\n"
KEEPALIVE = {"openai": b": keep-alive\n\n", "anthropic": b'event: ping\ndata: {"type":"ping"}\n\n'}


class OpenAIEmitter:
    """Writes chunks for an OpenAI caller, normalised to what clients rely on.

    - ``model`` is the requested name; ``id`` and ``created`` are the first chunk's in
      every chunk (STR-O1), whatever the upstream varies;
    - chunks without choices and without usage (Azure's ``prompt_filter_results``
      preamble) are dropped: clients index ``choices[0]`` (STR-O8);
    - usage: the proxy asks OpenAI-format upstreams for it even when the caller did not,
      so accounting is exact. It is kept off every choice chunk and sent, when the caller
      asked for it, as one ``choices: []`` chunk right before ``[DONE]`` (STR-O7).
    """

    __slots__ = (
        "complete", "created", "failed", "id", "include_usage", "input_tokens", "model",
        "output_tokens", "usage",
    )

    def __init__(self, model: str, include_usage: bool) -> None:
        self.model = model
        self.include_usage = include_usage
        self.id: str | None = None
        self.created: int | None = None
        self.usage: dict[str, Any] | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.complete = False
        self.failed = False

    def chunk(self, chunk: dict[str, Any]) -> bytes:
        if chunk.get("error"):
            self.failed = True
            error = chunk["error"]
            if not isinstance(error, dict):
                error = {"message": str(error)}
            envelope = {
                "message": str(error.get("message") or "upstream stream failed"),
                "type": error.get("type") if isinstance(error.get("type"), str) else "server_error",
                "param": error.get("param") if isinstance(error.get("param"), str) else None,
                "code": error.get("code") if isinstance(error.get("code"), str) else None,
            }
            return b"data: " + orjson.dumps({"error": envelope}) + b"\n\n"
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.usage = usage
            self.input_tokens = usage.get("prompt_tokens")
            self.output_tokens = usage.get("completion_tokens")
        if not chunk.get("choices"):
            return b""  # a usage-only chunk (sent at the end) or an empty preamble
        if self.id is None:
            self.id = chunk.get("id") or "chatcmpl-" + os.urandom(12).hex()
            self.created = chunk.get("created") or int(time.time())
        chunk["id"] = self.id
        chunk["created"] = self.created
        chunk["model"] = self.model
        if self.include_usage:
            chunk["usage"] = None
        else:
            chunk.pop("usage", None)
        return b"data: " + orjson.dumps(chunk) + b"\n\n"

    def done(self) -> bytes:
        self.complete = True
        if not self.include_usage or self.usage is None:
            return DONE
        final = {
            "id": self.id or "chatcmpl-" + os.urandom(12).hex(),
            "object": "chat.completion.chunk",
            "created": self.created or int(time.time()),
            "model": self.model,
            "choices": [],
            "usage": self.usage,
        }
        return b"data: " + orjson.dumps(final) + b"\n\n" + DONE


class AnthropicEmitter:
    """Writes events for an Anthropic caller; ``model`` echo in message_start, usage merged."""

    __slots__ = ("complete", "failed", "model", "usage")

    def __init__(self, model: str) -> None:
        self.model = model
        self.usage: dict[str, int] = {}
        self.complete = False
        self.failed = False

    def _merge(self, usage: Any) -> None:
        if isinstance(usage, dict):
            for key, value in usage.items():
                if isinstance(value, int) and value >= self.usage.get(key, 0):
                    self.usage[key] = value  # cumulative counts: the latest is the largest

    def event(self, name: str, data: dict[str, Any]) -> bytes:
        if name == "message_start":
            message = data.get("message") or {}
            message["model"] = self.model
            self._merge(message.get("usage"))
        elif name == "message_delta":
            self._merge(data.get("usage"))
        elif name == "message_stop":
            self.complete = True
        elif name == "error":
            self.failed = True
        return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"

    def raw(self, event: SseEvent) -> bytes:
        """Pass an event through: re-encode only the ones that carry model, usage or the end.

        Every other event is checked to be a JSON object (a broken frame must become an
        error event, not reach the client) and forwarded as the upstream's own text.
        """
        name = event.event or "message"
        if name in ("message_start", "message_delta", "error", "message_stop"):
            return self.event(name, event.json())
        if not isinstance(event.json(), dict):
            raise ValueError(f"{name} event data is not a JSON object")
        return b"event: " + name.encode() + b"\ndata: " + event.data.encode() + b"\n\n"

    @property
    def input_tokens(self) -> int | None:
        if "input_tokens" not in self.usage:
            return None
        return sum(
            self.usage.get(k, 0)
            for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        )

    @property
    def output_tokens(self) -> int | None:
        return self.usage.get("output_tokens")


class Translator:
    """One of the four paths: turns upstream events into bytes for the caller."""

    def __init__(self, surface: str, upstream_format: str, emitter: Any, machine: Any) -> None:
        self.surface = surface
        self.upstream_format = upstream_format
        self.emitter = emitter
        self.machine = machine  # translate state machine, or None on same-format paths

    def finished(self) -> bool:
        return bool(self.emitter.complete or self.emitter.failed)

    def feed(self, event: SseEvent) -> bytes:
        if self.finished():
            return b""
        if self.upstream_format == "openai":
            if event.data == "[DONE]":
                return self.end()
            chunk = event.json()
            if self.machine is None:
                return bytes(self.emitter.chunk(chunk))
            return b"".join(self.emitter.event(n, d) for n, d in self.machine.feed(chunk))
        # Anthropic upstream
        if self.machine is None:
            return bytes(self.emitter.raw(event))
        data = event.json()
        name = event.event or str(data.get("type", ""))
        out = b"".join(self.emitter.chunk(c) for c in self.machine.feed(name, data))
        if name == "message_stop":
            out += self.end()
        return out

    def error(self, err: ProxyError) -> bytes:
        """The one error event for a failure after the 200 (STR-O10, STR-A7)."""
        return error_event(err, self.surface)  # type: ignore[arg-type]

    def end(self) -> bytes:
        """The upstream sent its end marker ([DONE] / message_stop).

        A bare close is not an end: the relay never calls this then, ``finished`` stays
        False and the caller gets the cut-stream error event, on all four paths alike.
        The translate state machines still judge the end (an error when no stop reason came).
        """
        if self.finished():
            return b""
        if self.machine is not None:
            if self.surface == "openai":
                out = b"".join(self.emitter.chunk(c) for c in self.machine.finish(complete=True))
                return out if self.emitter.failed else out + self.emitter.done()
            pairs = self.machine.finish(complete=True)
            return b"".join(self.emitter.event(n, d) for n, d in pairs)
        if self.surface == "openai":
            return self.emitter.done()  # type: ignore[no-any-return]
        return b""


class Relayed(Protocol):
    """What ``relay`` needs of a translator (``Translator``, ``responses.ResponsesRelay``)."""

    @property
    def emitter(self) -> Any: ...  # failed / input_tokens / output_tokens

    def finished(self) -> bool: ...
    def feed(self, event: SseEvent) -> bytes: ...
    def error(self, err: ProxyError) -> bytes: ...


async def relay(
    ctx: Ctx,
    provider: ProviderConfig,
    response: aiohttp.ClientResponse,
    translator: Relayed,
    headers: list[tuple[str, str]],
) -> None:
    """Copy an upstream 200 stream to the caller through ``translator``; always ends it."""
    await ctx.start_stream(headers)
    decoder = SseDecoder()
    emitter = translator.emitter
    chunks = response.content.iter_any().__aiter__()
    gone = asyncio.Event()

    async def watch_client() -> None:
        # uvicorn drops writes to a client that left without telling the app; without this
        # watcher the proxy would keep reading (and the upstream keep generating) until the
        # stream ended. Closing the upstream response aborts the pending read.
        while True:
            message = await ctx.receive()
            if message["type"] == "http.disconnect":
                gone.set()
                response.close()
                return

    watcher = asyncio.get_running_loop().create_task(watch_client())
    try:
        while not translator.finished():
            try:
                raw = await chunks.__anext__()
            except StopAsyncIteration:  # the upstream closed the stream
                out = b"".join(translator.feed(e) for e in decoder.close())
                if out:
                    await ctx.stream_send(out)
                if translator.finished():
                    break
                # Closed without its end marker, even after a stop reason: cut. One error
                # (same wording, code and log label on every path), never a faked success.
                raise ProxyError("upstream", CUT_STREAM_MESSAGE) from None
            except TRANSPORT_ERRORS as exc:
                raise transport_error(provider, exc) from None
            comments = decoder.comments_seen
            try:
                out = b"".join(translator.feed(e) for e in decoder.feed(raw))
            except (StreamError, ValueError, TypeError, AttributeError, KeyError) as exc:
                # Bad framing, bad JSON, or JSON of the wrong shape for the translator:
                # the upstream broke its own format; the caller gets one error event.
                message = f"Upstream sent a malformed event stream: {exc}"
                raise ProxyError("upstream", message) from None
            if not out and decoder.comments_seen > comments:
                # An upstream keep-alive: pass one on in the caller's form (STR-3), never
                # the upstream's comment text and never as `data:` (STR-2).
                out = KEEPALIVE[ctx.surface]
            if out:
                await ctx.stream_send(out)
    except ProxyError as err:
        ctx.error = err.kind
        if not gone.is_set():
            await ctx.stream_send(translator.error(err))
    finally:
        watcher.cancel()
    if gone.is_set():
        ctx.error = "client_disconnected"
    elif emitter.failed:
        ctx.error = ctx.error or "upstream_stream_error"
    ctx.input_tokens = emitter.input_tokens
    ctx.output_tokens = emitter.output_tokens
    await ctx.stream_end()
