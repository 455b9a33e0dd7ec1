"""The front doors that reach a model: chat/completions, messages and count_tokens (and, in
``proxy.responses``, responses and embeddings).

Each request is authenticated, read (bounded), validated, resolved to a provider, then
sent either as is (same format, only ``model`` swapped) or translated by
``gatecheck.protocols.translate``. Errors known before the first byte are JSON with the
upstream's meaning kept (see ``upstream.map_upstream_error``); streams are relayed by
``streams.relay``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import orjson

from gatecheck.protocols import translate
from gatecheck.protocols.translate import TranslationError
from gatecheck.proxy import responses as front
from gatecheck.proxy.app import Ctx
from gatecheck.proxy.auth import authenticate
from gatecheck.proxy.config import ProxyConfig
from gatecheck.proxy.dispatch import Dispatcher
from gatecheck.proxy.errors import ProxyError, Surface
from gatecheck.proxy.keystore import KeyStore
from gatecheck.proxy.limiter import KeyLimiter
from gatecheck.proxy.models import ModelTable, Target
from gatecheck.proxy.streams import AnthropicEmitter, OpenAIEmitter, Translator, relay
from gatecheck.proxy.upstream import (
    Upstream,
    forwardable_headers,
    map_upstream_error,
    read_error_body,
)
from gatecheck.proxy.validate import (
    parse_json,
    validate_anthropic,
    validate_count_tokens,
    validate_openai,
)

__all__ = ["Forwarder"]

_PATH = {"openai": "/chat/completions", "anthropic": "/messages"}


def _bad_request(exc: TranslationError, scrub: Callable[[str], str]) -> ProxyError:
    # The translator's message may quote what the client sent (a block type, a role):
    # scrubbed, so a key pasted into the wrong field is not echoed back.
    return ProxyError("invalid_request", scrub(exc.message), param=exc.param)


def _malformed(exc: Exception) -> ProxyError:
    """A client body the translator choked on: the body's fault, so 400, never a 500.

    The cheap validation checks the shape the proxy itself reads; translation reads deeper
    (tool calls, content blocks), and a wrong type there surfaces as a Python error."""
    return ProxyError(
        "invalid_request",
        f"The request cannot be translated for this model's provider: malformed field "
        f"({type(exc).__name__}).",
    )


class Forwarder:
    """Handlers for the model routes; one per app."""

    def __init__(
        self,
        config: ProxyConfig,
        store: KeyStore,
        upstream: Upstream,
        models: ModelTable,
        scrub: Callable[[str], str],
        *,
        dispatch: Dispatcher | None = None,
        limiter: KeyLimiter | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.upstream = upstream
        self.models = models
        self.scrub = scrub
        self.dispatch = dispatch or Dispatcher(config, upstream)
        self.limiter = limiter

    async def _begin(self, ctx: Ctx, *, requests_only: bool = False) -> dict[str, Any]:
        record = authenticate(self.store, ctx.headers, "chat")
        ctx.key_id = record.id
        if self.limiter is not None:
            # after auth (401 first), before the body is read: a refused request is cheap
            ctx.out_headers = await self.limiter.admit(
                record, ctx.surface, requests_only=requests_only
            )
        return parse_json(await ctx.read_body(self.config.max_body_bytes))

    def _upstream_body(
        self, ctx: Ctx, body: dict[str, Any], target: Target, stream: bool
    ) -> bytes:
        """The request body in the provider's format, for its model name."""
        surface, fmt = ctx.surface, target.provider.format
        try:
            if surface == fmt:
                out = dict(body)
                out["model"] = target.model
                if stream and fmt == "openai" and target.provider.stream_usage:
                    # Ask for usage even if the caller did not: accounting must be exact;
                    # the emitter drops it again for the caller (STR-O8).
                    options = dict(out.get("stream_options") or {})
                    options["include_usage"] = True
                    out["stream_options"] = options
            elif fmt == "anthropic":
                out = translate.openai_to_anthropic_request(body, model=target.model)
            else:
                out = translate.anthropic_to_openai_request(body, model=target.model)
        except TranslationError as exc:
            raise _bad_request(exc, self.scrub) from None
        except (TypeError, AttributeError, KeyError, ValueError) as exc:
            raise _malformed(exc) from None
        return orjson.dumps(out)

    async def chat_completions(self, ctx: Ctx) -> None:
        body = await self._begin(ctx)
        stream = validate_openai(body, self.config.max_messages)
        await self._forward(ctx, body, stream)

    async def messages(self, ctx: Ctx) -> None:
        body = await self._begin(ctx)
        stream = validate_anthropic(body, self.config.max_messages)
        await self._forward(ctx, body, stream)

    async def _forward(self, ctx: Ctx, body: dict[str, Any], stream: bool) -> None:
        requested: str = body["model"]
        ctx.model = requested
        targets = self.models.resolve_all(requested)
        ctx.resolved = targets[0].model

        def prepare(target: Target) -> tuple[str, bytes, dict[str, str]]:
            payload = self._upstream_body(ctx, body, target, stream)
            headers = self.upstream.headers(
                target.provider, ctx.request_id, ctx.headers, stream=stream
            )
            return _PATH[target.provider.format], payload, headers

        # dispatch: failover over the targets, breaker, retries, concurrency (dispatch.py)
        if stream:
            async with self.dispatch.stream(targets, prepare) as out:
                provider, ctx.resolved = out.target.provider, out.target.model
                extra = [("x-gatecheck-resolved-model", out.target.model)]
                if out.status >= 300 or out.response is None:
                    error_body = out.content
                    if not error_body and out.response is not None:
                        error_body = await read_error_body(out.response)
                    raise map_upstream_error(
                        provider, ctx.surface, out.status, out.headers, error_body, self.scrub
                    )
                translator = self._translator(ctx.surface, provider.format, requested, body)
                extra += forwardable_headers(out.headers)
                await relay(ctx, provider, out.response, translator, extra)
            return
        out = await self.dispatch.post(targets, prepare)
        provider, ctx.resolved = out.target.provider, out.target.model
        extra = [("x-gatecheck-resolved-model", out.target.model)]
        status, up_headers, content = out.status, out.headers, out.content
        if status >= 300:
            raise map_upstream_error(
                provider, ctx.surface, status, up_headers, content, self.scrub
            )
        result = self._response(ctx.surface, provider.format, requested, body, content)
        _record_usage(ctx, result.get("usage"))
        await ctx.respond_json(200, result, extra + forwardable_headers(up_headers))

    def _translator(
        self, surface: Surface, fmt: str, requested: str, body: dict[str, Any]
    ) -> Translator:
        if surface == "openai":
            options = body.get("stream_options") or {}
            emitter: Any = OpenAIEmitter(requested, bool(options.get("include_usage")))
            machine: Any = None
            if fmt == "anthropic":
                machine = translate.AnthropicToOpenAIStream(
                    model=requested,
                    include_usage=True,  # always, for accounting; the emitter strips it
                    completion_id="chatcmpl-" + os.urandom(12).hex(),
                    created=int(time.time()),
                )
        else:
            emitter = AnthropicEmitter(requested)
            machine = None
            if fmt == "openai":
                machine = translate.OpenAIToAnthropicStream(
                    model=requested,
                    message_id="msg_" + os.urandom(12).hex(),
                    stop_sequences=body.get("stop_sequences") or (),
                )
        return Translator(surface, fmt, emitter, machine)

    def _response(
        self, surface: Surface, fmt: str, requested: str, body: dict[str, Any], content: bytes
    ) -> dict[str, Any]:
        """The caller's non-stream body from the upstream's; usage recorded on the way."""
        try:
            upstream = orjson.loads(content)
        except orjson.JSONDecodeError:
            raise ProxyError("upstream", "Upstream returned a body that is not JSON.") from None
        if (
            not isinstance(upstream, dict)
            or upstream.get("error")
            or upstream.get("type") == "error"
        ):
            # never 200 with an error body (ERR-4)
            raise ProxyError("upstream", "Upstream returned an error inside a success status.")
        try:
            if surface == fmt:
                result = upstream
                result["model"] = requested
            elif fmt == "anthropic":
                result = translate.anthropic_to_openai_response(upstream, model=requested)
            else:
                result = translate.openai_to_anthropic_response(
                    upstream, model=requested, stop_sequences=body.get("stop_sequences")
                )
        except TranslationError as exc:
            raise ProxyError("upstream", f"Upstream response cannot be translated: {exc}") from None
        except (TypeError, AttributeError, KeyError, ValueError) as exc:
            # a body of the right status but the wrong shape: the upstream's fault (502)
            message = f"Upstream response is malformed ({type(exc).__name__})."
            raise ProxyError("upstream", message) from None
        return result

    async def responses(self, ctx: Ctx) -> None:
        """``POST /v1/responses`` (``proxy.responses``)."""
        await front.responses(self, ctx)

    async def embeddings(self, ctx: Ctx) -> None:
        """``POST /v1/embeddings`` (``proxy.responses``)."""
        await front.embeddings(self, ctx)

    async def count_tokens(self, ctx: Ctx) -> None:
        """Anthropic upstream: passed through. OpenAI upstream: a one-token request.

        OpenAI has no counting endpoint, so the proxy sends the translated request with
        ``max_tokens: 1`` and reads ``prompt_tokens``. That is the upstream's own count of
        the very prompt a /v1/messages call would send (same translation), so the answer
        equals that call's ``usage.input_tokens`` exactly (TOK-7), where an estimate with a
        local tokenizer would not. It costs one output token per call.

        Either way it is a real upstream call, so it counts against the key's request
        limits (a 429 when they are spent); it is not checked against, and adds nothing
        to, the key's token limit or usage: it generates no answer.
        """
        body = await self._begin(ctx, requests_only=True)
        validate_count_tokens(body, self.config.max_messages)
        ctx.model = body["model"]
        targets = self.models.resolve_all(body["model"])
        ctx.resolved = targets[0].model

        def prepare(target: Target) -> tuple[str, bytes, dict[str, str]]:
            provider = target.provider
            headers = self.upstream.headers(provider, ctx.request_id, ctx.headers, stream=False)
            if provider.format == "anthropic":
                payload = dict(body)
                payload["model"] = target.model
                return "/messages/count_tokens", orjson.dumps(payload), headers
            probe = {k: v for k, v in body.items() if k not in ("stream", "stop_sequences")}
            probe["max_tokens"] = 1
            try:
                payload = translate.anthropic_to_openai_request(probe, model=target.model)
            except TranslationError as exc:
                raise _bad_request(exc, self.scrub) from None
            except (TypeError, AttributeError, KeyError, ValueError) as exc:
                raise _malformed(exc) from None
            return "/chat/completions", orjson.dumps(payload), headers

        out = await self.dispatch.post(targets, prepare)  # breaker, retries, failover
        target, provider = out.target, out.target.provider
        ctx.resolved = target.model
        status, up_headers, content = out.status, out.headers, out.content
        if status >= 300:
            raise map_upstream_error(provider, "anthropic", status, up_headers, content, self.scrub)
        try:
            answer = orjson.loads(content)
            if provider.format == "anthropic":
                count = int(answer["input_tokens"])
            else:
                count = translate.openai_usage_to_anthropic(answer["usage"])["input_tokens"]
        except (ValueError, KeyError, TypeError):
            raise ProxyError("upstream", "Upstream did not report a token count.") from None
        extra = [("x-gatecheck-resolved-model", target.model)]
        await ctx.respond_json(200, {"input_tokens": count}, extra)


def _record_usage(ctx: Ctx, usage: Any) -> None:
    """Tokens for the log and the key's usage, exactly as the caller's body reports them."""
    if not isinstance(usage, dict):
        return
    if ctx.surface == "openai":
        ctx.input_tokens = usage.get("prompt_tokens")
        ctx.output_tokens = usage.get("completion_tokens")
        return
    if isinstance(usage.get("input_tokens"), int):
        ctx.input_tokens = sum(
            int(usage.get(k) or 0)
            for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        )
    ctx.output_tokens = usage.get("output_tokens")
