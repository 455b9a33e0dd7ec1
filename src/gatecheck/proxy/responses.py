"""The Responses and embeddings front doors: ``POST /v1/responses`` and ``POST /v1/embeddings``.

A Responses request goes, per provider of the model: to an OpenAI-format provider that
serves the Responses API itself (``responses-api = true``) as is, ``model`` swapped (a
passthrough); to any other OpenAI-format provider translated to Chat Completions; to an
Anthropic-format provider translated to Messages (``gatecheck.protocols.translate``,
``_resp_*``). The answer is a Response either way, streamed as the Responses event grammar.
Embeddings pass through to OpenAI-format providers; an Anthropic-format one has none (400).

Same pipeline as the other model routes (``forward.Forwarder``): auth, the key's limits,
bounded body, validation, aliases, dispatch (failover, breaker, retries), the relay.
Policies as there: the Response (and every lifecycle event's ``response``) names the model
the client asked for; usage is the upstream's; errors before the stream are the OpenAI
envelope; after the 200 one ``error`` event and ``response.failed`` end the stream.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from gatecheck import SseEvent
from gatecheck.protocols import translate
from gatecheck.protocols.responses import StreamWriter
from gatecheck.protocols.responses.wire import EVENT, LIFECYCLE_EVENTS, sse
from gatecheck.protocols.translate import TranslationError
from gatecheck.proxy.app import Ctx
from gatecheck.proxy.config import ProviderConfig, ProxyConfig
from gatecheck.proxy.dispatch import Dispatcher
from gatecheck.proxy.errors import ProxyError
from gatecheck.proxy.models import ModelTable, Target
from gatecheck.proxy.streams import relay
from gatecheck.proxy.upstream import (
    Upstream,
    forwardable_headers,
    map_upstream_error,
    read_error_body,
)
from gatecheck.proxy.validate import validate_embeddings, validate_responses

__all__ = ["Front", "embeddings", "responses"]


class Front(Protocol):
    """What these handlers use of ``forward.Forwarder`` (which calls them)."""

    config: ProxyConfig
    models: ModelTable
    upstream: Upstream
    dispatch: Dispatcher
    scrub: Callable[[str], str]

    async def _begin(self, ctx: Ctx, *, requests_only: bool = False) -> dict[str, Any]: ...


def _path(provider: ProviderConfig) -> str:
    if provider.format == "anthropic":
        return "/messages"
    return "/responses" if provider.responses_api else "/chat/completions"


def _payload(body: dict[str, Any], target: Target) -> bytes:
    provider = target.provider
    try:
        if provider.format == "anthropic":
            out = translate.responses_to_anthropic_request(body, model=target.model)
        elif provider.responses_api:
            out = dict(body, model=target.model)
        else:
            out = translate.responses_to_chat_request(body, model=target.model)
    except TranslationError as exc:
        raise ProxyError("invalid_request", exc.message, param=exc.param) from None
    except (TypeError, AttributeError, KeyError, ValueError) as exc:
        raise ProxyError("invalid_request", "The request cannot be translated for this "
                         f"model's provider: malformed field ({type(exc).__name__}).") from None
    return orjson.dumps(out)


def _answer(provider: ProviderConfig, body: dict[str, Any], requested: str,
            content: bytes) -> dict[str, Any]:
    try:
        upstream = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise ProxyError("upstream", "Upstream returned a body that is not JSON.") from None
    if not isinstance(upstream, dict) or upstream.get("error") or upstream.get("type") == "error":
        raise ProxyError("upstream", "Upstream returned an error inside a success status.")
    rid, now = "resp_" + os.urandom(12).hex(), int(time.time())
    try:
        if provider.format == "anthropic":
            return translate.anthropic_to_responses_response(
                upstream, request=body, model=requested, response_id=rid, created_at=now)
        if not provider.responses_api:
            return translate.chat_to_responses_response(
                upstream, request=body, model=requested, response_id=rid, created_at=now)
    except (TranslationError, TypeError, AttributeError, KeyError, ValueError) as exc:
        raise ProxyError("upstream", f"Upstream response is malformed ({type(exc).__name__})."
                         ) from None
    upstream["model"] = requested
    return upstream


async def responses(fw: Front, ctx: Ctx) -> None:
    """``POST /v1/responses``."""
    body = await fw._begin(ctx)
    stream = validate_responses(body, fw.config.max_messages)
    requested: str = body["model"]
    ctx.model = requested
    targets = fw.models.resolve_all(requested)
    ctx.resolved = targets[0].model

    def prepare(target: Target) -> tuple[str, bytes, dict[str, str]]:
        headers = fw.upstream.headers(target.provider, ctx.request_id, ctx.headers,
                                      stream=stream)
        return _path(target.provider), _payload(body, target), headers

    if stream:
        async with fw.dispatch.stream(targets, prepare) as out:
            provider, ctx.resolved = out.target.provider, out.target.model
            if out.status >= 300 or out.response is None:
                error_body = out.content
                if not error_body and out.response is not None:
                    error_body = await read_error_body(out.response)
                raise map_upstream_error(provider, "openai", out.status, out.headers,
                                         error_body, fw.scrub)
            extra = [("x-gatecheck-resolved-model", out.target.model),
                     *forwardable_headers(out.headers)]
            await relay(ctx, provider, out.response, _translator(provider, body, requested),
                        extra)
        return
    out = await fw.dispatch.post(targets, prepare)
    provider, ctx.resolved = out.target.provider, out.target.model
    if out.status >= 300:
        raise map_upstream_error(provider, "openai", out.status, out.headers, out.content,
                                 fw.scrub)
    result = _answer(provider, body, requested, out.content)
    usage = result.get("usage")
    if isinstance(usage, dict):
        ctx.input_tokens, ctx.output_tokens = usage.get("input_tokens"), usage.get("output_tokens")
    extra = [("x-gatecheck-resolved-model", out.target.model), *forwardable_headers(out.headers)]
    await ctx.respond_json(200, result, extra)


async def embeddings(fw: Front, ctx: Ctx) -> None:
    """``POST /v1/embeddings``: a passthrough to an OpenAI-format provider."""
    body = await fw._begin(ctx)
    validate_embeddings(body)
    requested: str = body["model"]
    ctx.model = requested
    targets = fw.models.resolve_all(requested)
    ctx.resolved = targets[0].model
    if all(t.provider.format == "anthropic" for t in targets):
        raise ProxyError("invalid_request", f"The model `{requested}` does not serve "
                         "embeddings (its provider speaks the Anthropic API, which has none).",
                         param="model")

    def prepare(target: Target) -> tuple[str, bytes, dict[str, str]]:
        if target.provider.format == "anthropic":
            raise ProxyError("invalid_request", "This provider serves no embeddings.",
                             param="model")
        headers = fw.upstream.headers(target.provider, ctx.request_id, ctx.headers,
                                      stream=False)
        return "/embeddings", orjson.dumps(dict(body, model=target.model)), headers

    out = await fw.dispatch.post(targets, prepare)
    provider, ctx.resolved = out.target.provider, out.target.model
    if out.status >= 300:
        raise map_upstream_error(provider, "openai", out.status, out.headers, out.content,
                                 fw.scrub)
    try:
        result = orjson.loads(out.content)
    except orjson.JSONDecodeError:
        raise ProxyError("upstream", "Upstream returned a body that is not JSON.") from None
    if not isinstance(result, dict) or result.get("error"):
        raise ProxyError("upstream", "Upstream returned an error inside a success status.")
    result["model"] = requested
    usage = result.get("usage")
    if isinstance(usage, dict):
        ctx.input_tokens, ctx.output_tokens = usage.get("prompt_tokens"), 0
    extra = [("x-gatecheck-resolved-model", out.target.model), *forwardable_headers(out.headers)]
    await ctx.respond_json(200, result, extra)


class ResponsesRelay:
    """Upstream events in, Responses events out; the relay's translator for this route.

    Doubles as its own ``emitter`` (``streams.relay`` reads ``failed``/``complete`` and the
    token counts from there).
    """

    def __init__(self, machine: Any, upstream: str, model: str) -> None:
        self.machine = machine  # a translate stream machine; None for the passthrough
        self.upstream = upstream  # "openai" (chat), "anthropic" or "responses"
        self.model = model
        self.emitter = self
        self.complete = False
        self.failed = False
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self._seq = -1  # passthrough: the last sequence_number seen
        self._snapshot: dict[str, Any] = {}
        self._errored = False  # passthrough: the upstream sent an `error` event already

    def finished(self) -> bool:
        return self.complete or self.failed

    def _emit(self, events: list[dict[str, Any]]) -> bytes:
        for event in events:
            kind = event["type"]
            if kind in (EVENT.COMPLETED, EVENT.INCOMPLETE):
                self.complete = True
                self._usage(event["response"].get("usage"))
            elif kind == EVENT.FAILED:
                self.failed = True
        return b"".join(sse(e) for e in events)

    def _usage(self, usage: Any) -> None:
        if isinstance(usage, dict):
            self.input_tokens = usage.get("input_tokens")
            self.output_tokens = usage.get("output_tokens")

    def feed(self, event: SseEvent) -> bytes:
        if self.finished():
            return b""
        if self.upstream == "responses":
            return self._pass(event)
        if self.upstream == "openai":
            if event.data == "[DONE]":
                return self.end()
            return self._emit(self.machine.feed(event.json()))
        data = event.json()
        name = event.event or str(data.get("type", ""))
        out = self._emit(self.machine.feed(name, data))
        return out + self.end() if self.machine.stopped else out

    def _pass(self, event: SseEvent) -> bytes:
        """A Responses upstream: events as they are, the model echo in the lifecycle ones."""
        if event.data == "[DONE]":
            return b""
        data = event.json()
        if not isinstance(data, dict):
            raise ValueError("event data is not a JSON object")
        kind = data.get("type")
        if isinstance(data.get("sequence_number"), int):
            self._seq = data["sequence_number"]
        if kind == EVENT.ERROR:
            self._errored = True
        if kind not in LIFECYCLE_EVENTS:
            name = event.event or str(kind)
            return b"event: " + name.encode() + b"\ndata: " + event.data.encode() + b"\n\n"
        response = data.get("response")
        if isinstance(response, dict):
            response["model"] = self.model
            self._snapshot = response
        return self._emit([data])

    def end(self) -> bytes:
        """The upstream's end marker ([DONE] / message_stop); a passthrough ends by its events."""
        if self.finished() or self.machine is None:
            return b""
        return self._emit(self.machine.finish(complete=True, completed_at=int(time.time())))

    def error(self, err: ProxyError) -> bytes:
        """A failure after the 200: the ``error`` event and ``response.failed``."""
        code = err.code or err.openai_type
        if self.machine is not None:
            return self._emit(self.machine.fail(str(code), err.message))
        writer = StreamWriter(dict(self._snapshot, model=self.model))
        writer.seq = self._seq + 1
        events = writer.fail(str(code), err.message)
        return self._emit(events[1:] if self._errored else events)


def _translator(provider: ProviderConfig, body: dict[str, Any], requested: str) -> ResponsesRelay:
    if provider.format == "openai" and provider.responses_api:
        return ResponsesRelay(None, "responses", requested)
    kw = {"request": body, "model": requested, "response_id": "resp_" + os.urandom(12).hex(),
          "created_at": int(time.time())}
    if provider.format == "anthropic":
        return ResponsesRelay(translate.AnthropicToResponsesStream(**kw), "anthropic", requested)
    return ResponsesRelay(translate.ChatToResponsesStream(**kw), "openai", requested)
