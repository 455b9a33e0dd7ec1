"""The misbehaviours of `gatecheck.mock.misbehave`: named modes, request and JSON rewrites."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = [
    "MODES", "Exchange", "ignored_headers", "rewrite_json", "rewrite_request", "rewrite_start",
]

# name -> what it breaks (the check that must catch it is in misbehave.py's docstring).
MODES: dict[str, str] = {
    "created-ms": "chat.completion `created` in milliseconds",
    "tool-args-object": "tool call arguments as a JSON object, not a string",
    "finish-end-turn": 'non-stream finish_reason "stop" becomes "end_turn"',
    "ignore-stop": "stop / stop_sequences dropped from requests",
    "anthropic-input-string": "tool_use input as a JSON string",
    "comment-as-data": "an SSE comment re-emitted as `data: : keep-alive`",
    "sse-ids": "OpenAI events carry `id:` fields",
    "one-burst": "the whole stream held back and sent at once at the end",
    "no-finish-reason-key": "chunks without the finish_reason key",
    "no-done": "no `data: [DONE]`",
    "event-names": "OpenAI events carry `event:` names",
    "empty-finish-reason": 'final finish_reason ""',
    "no-role": "first delta without role",
    "tool-id-missing": "tool-call fragments without id",
    "no-usage-chunk": "the include_usage chunk dropped",
    "usage-always": "usage on the first chunk without include_usage",
    "fake-stop-on-error": "a mid-stream error turned into a normal end",
    "data-only": "Anthropic events without `event:` lines",
    "block-before-start": "content_block_start before message_start",
    "zero-input-tokens": "message_start input_tokens 0",
    "thinking-in-text": "thinking_delta inside a text block",
    "stop-reason-error": 'message_delta stop_reason "error"',
    "anthropic-done": "`data: [DONE]` at the end of Anthropic streams",
    "error-as-string": 'chat 401 bodies as {"error": "..."}',
    "integer-code": "chat error `code` as the integer status",
    "none-strings": 'chat error fields as the text "None"',
    "anthropic-flat-error": "messages 401 bodies without the top-level type",
    "error-200": "502 answers sent as 200",
    "collapse-upstream-errors": "injected upstream errors answered 500",
    "no-allow-header": "405 without Allow",
    "unknown-route-200": "unknown routes answered 200 {}",
    "stack-trace-messages": "a Python traceback in chat error messages",
    "text-plain-errors": "non-stream chat/messages errors as text/plain",
    "key-in-error": "the presented key echoed in 401 messages",
    "wrong-key-403": "a wrong (present) key answered 403",
    "cors-auth": "preflights answered 401",
    "total-zero": "usage.total_tokens 0",
    "usage-off-by-one": "completion_tokens and total_tokens one too high",
    "cache-double-count": "cache_read_input_tokens equal to input_tokens",
    "count-tokens-off": "count_tokens one too high",
    "narrow-allow-headers": "preflight allows only authorization and content-type",
    "no-acao-on-errors": "errors without Access-Control-Allow-Origin",
    "credentials-wildcard": "Allow-Credentials true with origin *",
    "reflect-no-vary": "preflight reflects the origin without Vary",
    "no-max-age": "preflight without Access-Control-Max-Age",
    "model-prefix-leak": "response model is the internal mock/mock-chat",
    "models-created-ms": "/v1/models created in milliseconds",
    "models-public": "/v1/models served without credentials",
    "no-anthropic-models": "anthropic-version ignored on /v1/models",
    "no-request-id": "no x-request-id / request-id",
    "no-retry-after": "429 without Retry-After",
    "html-413": "413 as an HTML page",
    "health-auth": "/health/live needs credentials",
    "health-secret": "a key-shaped secret in health bodies",
    "health-429": "every 5th request to /health/live answered 429",
    "every-third-500": "every 3rd request, if a successful plain chat answer, answered 500",
    "accept-stream-options": "stream_options without stream silently dropped (200)",
    "wrong-error-type": "Anthropic 404 errors typed invalid_request_error",
    "no-expose-headers": "no Access-Control-Expose-Headers",
    "origin-500": "a preflight from an unexpected origin answered 500",
    "small-body-limit": "bodies over 1 MiB answered 413",
    "model-retrieve-404": "GET /v1/models/{id} answered 404",
    "resolved-header-wrong": "x-gatecheck-resolved-model names another model",
    "unlisted-alias": "gpt-4o-mini missing from /v1/models",
    "require-version": "/v1/messages without anthropic-version answered 400",
    "chat-key-admin": "a chat key may list keys",
    "missing-key-400": "missing credentials answered 400",
    "partial-json-broken": "tool_use partial_json that does not assemble",
    "cached-exceeds": "cached_tokens larger than prompt_tokens",
    "upstream-auth-401": "the upstream's 401 passed to the client as its own 401",
    "trip-on-4xx": "after 3 upstream 400s every chat request is answered 503",
    "trip-on-count-404": "after 3 count_tokens 404s every messages request is answered 503",
    "no-model-not-found-code": "OpenAI 404 errors without code model_not_found",
    "no-x-api-key": "the x-api-key request header ignored",
    "no-bearer-on-anthropic": "Authorization ignored on /v1/messages",
    "no-bearer-on-openai": "Authorization ignored on /v1/chat/completions",
    "length-as-stop": 'non-stream finish_reason "length" becomes "stop"',
    "max-tokens-as-end-turn": 'non-stream stop_reason "max_tokens" becomes "end_turn"',
    "server-typed-4xx": "OpenAI 4xx errors typed server_error",
    "ready-503": "/health/ready answered 503",
    "message-limit-500": "requests over 1000 messages answered 500",
    "ratelimit-epoch": "x-ratelimit-reset-* as epoch milliseconds",
    "anthropic-reset-duration": "anthropic-ratelimit-*-reset as a duration, not RFC 3339",
    "retry-after-huge": "the gateway's own 429s ask for Retry-After: 300",
    "revoked-still-works": "a revoked key still gets (fake) completions",
    "key-listing-leak": "key listings show each key's secret",
    "anon-key-create": "keys created without credentials",
    "new-key-wrong-prefix": "new keys shown with a pk- prefix",
    "no-stop-sequence-key": "non-stream messages without the stop_sequence key",
    "assistant-role-user": 'non-stream chat message role "user"',
    "stream-errors-as-sse": "a stream request's 404 sent as a 200 event stream",
    "stream-content-length": "streams held back and sent with Content-Length",
    "output-zero": "Anthropic non-stream output_tokens 0",
    "auth-429": "auth failures answered 429",
    "accept-empty-messages": "empty messages replaced by one user turn (200)",
    "context-length-413": "context-length 400s answered 413 request_too_large (a bytes error)",
    "context-length-500": "context-length 400s answered 500 server errors",
    "context-length-sse": "a stream request's context-length 400 sent as a 200 event stream",
    "drop-anthropic-beta": "the anthropic-beta request header dropped on /v1/messages",
    "strip-cache-control": "cache_control removed from Anthropic request blocks",
    "tool-calls-as-stop": 'non-stream finish_reason "tool_calls" becomes "stop"',
    "tool-calls-as-length": 'non-stream finish_reason "tool_calls" becomes "length"',
    "stream-text-plain": "event streams sent as Content-Type text/plain",
    "unknown-event": "an event of a type no client knows in every Anthropic stream",
    "message-role-user": 'non-stream Anthropic message role "user"',
    "invalid-400-as-500": "chat/messages 400 answers sent as 500",
    "no-body-id": "non-stream chat/messages success bodies without id",
}
_FAKE_COMPLETION = {
    "id": "chatcmpl-fake", "object": "chat.completion", "created": 1700000000,
    "model": "gpt-4o-mini", "choices": [{"index": 0, "message": {"role": "assistant",
                                                                 "content": "ok"},
                                         "logprobs": None, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}
_UPSTREAM_STATUSES = frozenset({400, 404, 429, 503, 529})


@dataclass(slots=True)
class Exchange:
    """One request and the state its rewrites keep (streams are rewritten event by event)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    modes: frozenset[str]
    count: int
    drop_anthropic_version: bool = False
    events: int = 0
    last_chunk: dict[str, Any] = field(default_factory=dict)
    held: str = ""  # block-before-start: message_start waits here
    shared: dict[str, Any] = field(default_factory=dict)  # across requests (trip-on-4xx)
    as_sse: bool = False  # stream-errors-as-sse: this JSON answer goes out as an event
    context_error: bool = False  # the answer is a context-length 400 (context-length-*)

    def on(self, mode: str) -> bool:
        return mode in self.modes

    @property
    def surface(self) -> str | None:
        if self.path.endswith("/chat/completions"):
            return "openai"
        if self.path.endswith("/messages"):
            return "anthropic"
        return None

    @property
    def request(self) -> Any:
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None

    @property
    def faulted(self) -> bool:
        return b"[[mock fault=" in self.body

    @property
    def credential(self) -> str:
        auth = self.headers.get("authorization", "")
        return auth.partition(" ")[2].strip() or self.headers.get("x-api-key", "")


_IGNORED_HEADERS = {  # mode -> (request header dropped, on which surface; None: every path)
    "no-x-api-key": ("x-api-key", None),
    "no-bearer-on-anthropic": ("authorization", "anthropic"),
    "no-bearer-on-openai": ("authorization", "openai"),
    "drop-anthropic-beta": ("anthropic-beta", "anthropic"),
}


def ignored_headers(ex: Exchange) -> set[str]:
    """Request headers the gateway must not see (lower-case names)."""
    return {name for mode, (name, surface) in _IGNORED_HEADERS.items()
            if ex.on(mode) and (surface is None or surface == ex.surface)}


def rewrite_request(ex: Exchange) -> bytes:
    request = ex.request
    if ex.on("accept-stream-options") and isinstance(request, dict) \
            and "stream_options" in request and not request.get("stream"):
        del request["stream_options"]
        return orjson.dumps(request)
    if ex.on("no-anthropic-models") and ex.path.endswith("/models"):
        ex.drop_anthropic_version = True
    if ex.on("accept-empty-messages") and isinstance(request, dict) \
            and request.get("messages") == []:
        request["messages"] = [{"role": "user", "content": "hi"}]
        return orjson.dumps(request)
    if ex.on("strip-cache-control") and ex.surface == "anthropic" and isinstance(request, dict):
        return orjson.dumps(_without_cache_control(request))
    if ex.on("ignore-stop") and isinstance(request, dict):
        request.pop("stop", None)
        request.pop("stop_sequences", None)
        return orjson.dumps(request)
    return ex.body


def _without_cache_control(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_cache_control(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_without_cache_control(v) for v in value]
    return value


def _is_context_error(status: int, value: Any) -> bool:
    """A 400 saying the prompt is over the model's window (either API's wording)."""
    if status != 400 or not isinstance(value, dict) or not isinstance(value.get("error"), dict):
        return False
    error = value["error"]
    return error.get("code") == "context_length_exceeded" or "prompt is too long" in str(
        error.get("message"))


# -- JSON answers ----------------------------------------------------------------------------


def rewrite_json(ex: Exchange, start: dict[str, Any], body: bytes) -> tuple[dict[str, Any], bytes]:
    """The (start, body) to send instead of a buffered non-stream answer."""
    status: int = start["status"]
    try:
        value: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = None
    status, value = _statuses(ex, status, value)
    if isinstance(value, dict):
        if status == 200:
            _success(ex, value)
        elif status >= 400:
            _error(ex, status, value)
    _keys(ex, status, value)
    start = {**start, "status": status}
    if ex.on("stream-errors-as-sse") and status == 404 and ex.surface is not None \
            and isinstance(ex.request, dict) and ex.request.get("stream"):
        ex.as_sse = True
        return {**start, "status": 200}, b"data: " + orjson.dumps(value) + b"\n\n"
    if ex.on("html-413") and status == 413:
        return start, b"<html><body><h1>413 Request Entity Too Large</h1></body></html>"
    if ex.on("context-length-sse") and ex.context_error and isinstance(ex.request, dict) \
            and ex.request.get("stream"):
        ex.as_sse = True  # LiteLLM #6629: the window error as a 200 text/event-stream
        return {**start, "status": 200}, b"data: " + orjson.dumps(value) + b"\n\n"
    return start, body if value is None else orjson.dumps(value)


def _keys(ex: Exchange, status: int, value: Any) -> None:
    """Remember created keys (id -> secret) and revoked ids, for the key faults."""
    if not ex.path.split("/v1", 1)[-1].startswith("/keys") or not isinstance(value, dict):
        return
    secrets: dict[str, str] = ex.shared.setdefault("keys", {})
    if ex.method == "POST" and status in (200, 201) and isinstance(value.get("key"), str):
        secrets[value["id"]] = value["key"]
        if ex.on("new-key-wrong-prefix"):
            value["key"] = "pk-" + value["key"].removeprefix("gk-")
    if ex.method == "DELETE" and status == 200:
        ex.shared.setdefault("revoked", set()).add(secrets.get(str(value.get("id")), ""))
    if ex.on("key-listing-leak") and ex.method == "GET":
        for record in value.get("data") or []:
            record["key"] = secrets.get(record.get("id"), "")


def _statuses(ex: Exchange, status: int, value: Any) -> tuple[int, Any]:
    ex.context_error = _is_context_error(status, value)
    if ex.context_error and ex.on("context-length-413"):
        if ex.surface == "anthropic":
            return 413, {"type": "error", "error": {"type": "request_too_large",
                                                    "message": "Request too large."}}
        return 413, {"error": {"message": "Request too large.", "type": "invalid_request_error",
                               "param": None, "code": "request_too_large"}}
    if ex.context_error and ex.on("context-length-500"):
        if ex.surface == "anthropic":
            return 500, {"type": "error", "error": {"type": "api_error",
                                                    "message": "Internal server error"}}
        return 500, {"error": {"message": "Internal server error", "type": "server_error",
                               "param": None, "code": None}}
    if ex.on("revoked-still-works") and status == 401 and ex.surface == "openai" \
            and ex.credential in ex.shared.get("revoked", set()):
        return 200, dict(_FAKE_COMPLETION)
    if ex.on("anon-key-create") and status == 401 and ex.method == "POST" \
            and ex.path.endswith("/keys"):
        return 201, {"id": "key_anon", "key": "gk-anonymous"}
    if ex.on("auth-429") and status == 401:
        return 429, value
    if ex.on("upstream-auth-401") and ex.faulted and b"fault=401" in ex.body and status >= 500:
        return 401, value
    if ex.on("trip-on-count-404"):
        if ex.path.endswith("/count_tokens") and status == 404:
            ex.shared["count_404"] = ex.shared.get("count_404", 0) + 1
        elif ex.surface == "anthropic" and ex.shared.get("count_404", 0) >= 3:
            return 503, {"type": "error", "error": {"type": "api_error",
                                                    "message": "model suspended"}}
    if ex.on("ready-503") and ex.path.endswith("/health/ready"):
        return 503, {"status": "unavailable"}
    messages = ex.request.get("messages") if isinstance(ex.request, dict) else None
    if ex.on("message-limit-500") and isinstance(messages, list) and len(messages) > 1000:
        return 500, value
    if ex.on("trip-on-4xx") and ex.surface is not None:
        if ex.faulted and status == 400:
            ex.shared["client_errors"] = ex.shared.get("client_errors", 0) + 1
        elif ex.shared.get("client_errors", 0) >= 3:
            return 503, {"error": {"message": "circuit open", "type": "server_error",
                                   "param": None, "code": None}}
    if ex.on("small-body-limit") and len(ex.body) > 1 << 20:
        if ex.surface == "anthropic":
            return 413, {"type": "error", "error": {"type": "request_too_large",
                                                    "message": "too large"}}
        return 413, {"error": {"message": "too large", "type": "invalid_request_error",
                               "param": None, "code": None}}
    if ex.on("model-retrieve-404") and "/models/" in ex.path:
        return 404, {"error": {"message": "no such model", "type": "invalid_request_error",
                               "param": None, "code": "model_not_found"}}
    if ex.on("require-version") and ex.surface == "anthropic" and ex.method == "POST" \
            and "anthropic-version" not in ex.headers:
        return 400, {"type": "error", "error": {"type": "invalid_request_error",
                                                "message": "anthropic-version required"}}
    if ex.on("chat-key-admin") and status == 403 and ex.path.endswith("/keys"):
        return 200, {"object": "list", "data": []}
    if ex.on("missing-key-400") and status == 401 and not ex.credential:
        return 400, value
    if ex.on("invalid-400-as-500") and status == 400 and ex.surface is not None:
        return 500, value
    if ex.on("error-200") and status == 502:
        return 200, value
    if ex.on("collapse-upstream-errors") and ex.faulted and status in _UPSTREAM_STATUSES:
        return 500, value
    if (
        ex.on("unknown-route-200")
        and status == 404
        and ex.surface is None
        and "/models" not in ex.path
    ):
        return 200, {}
    if ex.on("wrong-key-403") and status == 401 and ex.credential:
        return 403, value
    if ex.on("cors-auth") and ex.method == "OPTIONS":
        return 401, value
    if ex.on("origin-500") and ex.method == "OPTIONS" \
            and ex.headers.get("origin", "").endswith(".invalid"):
        return 500, {"error": {"message": "origin", "type": "server_error", "param": None,
                               "code": None}}
    if ex.on("models-public") and ex.path.endswith("/models") and status == 401:
        return 200, {"object": "list", "data": []}
    if ex.on("every-third-500") and ex.surface is not None and status == 200 \
            and ex.count % 3 == 0:
        return 500, {"error": {"message": "upstream hiccup", "type": "server_error",
                               "param": None, "code": None}}
    live = ex.path.endswith("/health/live")
    if ex.on("health-auth") and live:
        return 401, {
            "error": {
                "message": "auth required",
                "type": "invalid_request_error",
                "param": None,
                "code": "missing_api_key",
            }
        }
    if ex.on("health-429") and live and ex.count % 5 == 0:
        return 429, {
            "error": {
                "message": "slow down",
                "type": "requests",
                "param": None,
                "code": "rate_limit_exceeded",
            }
        }
    return status, value


def _success(ex: Exchange, value: dict[str, Any]) -> None:
    if ex.on("unlisted-alias") and ex.path.endswith("/models"):
        value["data"] = [m for m in value.get("data") or [] if m.get("id") != "gpt-4o-mini"]
    if ex.on("created-ms") and value.get("object") == "chat.completion":
        value["created"] = int(value.get("created", 0)) * 1000
    if ex.on("model-prefix-leak") and ex.surface is not None and "model" in value:
        value["model"] = "mock/mock-chat"
    for choice in value.get("choices") or []:
        message = choice.get("message") or {}
        if ex.on("assistant-role-user") and "role" in message:
            message["role"] = "user"
        if ex.on("tool-calls-as-stop") and choice.get("finish_reason") == "tool_calls":
            choice["finish_reason"] = "stop"
        if ex.on("tool-calls-as-length") and choice.get("finish_reason") == "tool_calls":
            choice["finish_reason"] = "length"
        if ex.on("length-as-stop") and choice.get("finish_reason") == "length":
            choice["finish_reason"] = "stop"
        if ex.on("finish-end-turn") and choice.get("finish_reason") == "stop":
            choice["finish_reason"] = "end_turn"
        for call in message.get("tool_calls") or []:
            if ex.on("tool-args-object"):
                call["function"]["arguments"] = orjson.loads(call["function"]["arguments"])
    if ex.on("message-role-user") and value.get("type") == "message":
        value["role"] = "user"
    if ex.on("no-body-id") and (value.get("object") == "chat.completion"
                                or value.get("type") == "message"):
        value.pop("id", None)
    if ex.on("no-stop-sequence-key") and value.get("type") == "message":
        value.pop("stop_sequence", None)
    if ex.on("max-tokens-as-end-turn") and value.get("stop_reason") == "max_tokens":
        value["stop_reason"] = "end_turn"
    for block in value.get("content") or [] if ex.on("anthropic-input-string") else []:
        if block.get("type") == "tool_use":
            block["input"] = orjson.dumps(block["input"]).decode()
    usage = value.get("usage")
    if isinstance(usage, dict):
        if ex.on("total-zero") and "total_tokens" in usage:
            usage["total_tokens"] = 0
        if ex.on("usage-off-by-one") and "completion_tokens" in usage:
            usage["completion_tokens"] += 1
            usage["total_tokens"] += 1
        if ex.on("cached-exceeds") and "prompt_tokens" in usage:
            usage["prompt_tokens_details"] = {"cached_tokens": usage["prompt_tokens"] + 5}
        if ex.on("output-zero") and "output_tokens" in usage:
            usage["output_tokens"] = 0
        if ex.on("cache-double-count") and "input_tokens" in usage:
            usage["cache_read_input_tokens"] = usage["input_tokens"]
    if ex.on("count-tokens-off") and ex.path.endswith("/count_tokens"):
        value["input_tokens"] = int(value.get("input_tokens", 0)) + 1
    if ex.on("models-created-ms") and ex.path.endswith("/models"):
        for model in value.get("data") or []:
            if "created" in model:
                model["created"] = int(model["created"]) * 1000
    if ex.on("health-secret") and "/health" in ex.path:
        value["api_key"] = "sk-" + "a1B2c3D4" * 4


def _error(ex: Exchange, status: int, value: dict[str, Any]) -> None:
    error = value.get("error")
    if not isinstance(error, dict) or ex.surface is None:
        return
    if ex.on("wrong-error-type") and status == 404 and ex.surface == "anthropic":
        error["type"] = "invalid_request_error"
    if ex.on("key-in-error") and status == 401 and ex.credential:
        error["message"] = f"{error.get('message', '')} (key {ex.credential})"
    if ex.on("stack-trace-messages"):
        error["message"] = (
            f'{error.get("message", "")} Traceback (most recent call last): File "app.py", line 12'
        )
    if ex.surface == "openai":
        if ex.on("no-model-not-found-code") and status == 404:
            error["code"] = None
        if ex.on("server-typed-4xx") and status < 500:
            error["type"] = "server_error"
        if ex.on("integer-code"):
            error["code"] = status
        if ex.on("none-strings"):
            error.update(type="None", param="None", code=str(status))
        if ex.on("error-as-string") and status == 401:
            value["error"] = error.get("message", "unauthorized")
    elif ex.on("anthropic-flat-error") and status == 401:
        value.pop("type", None)


# -- headers ---------------------------------------------------------------------------------


def rewrite_start(ex: Exchange, start: dict[str, Any], body: bytes | None) -> dict[str, Any]:
    """The response start with the header-level misbehaviours applied."""
    status = start["status"]
    headers = {
        k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])
    }

    def drop(*names: str) -> None:
        for name in names:
            headers.pop(name, None)

    if ex.on("no-request-id"):
        drop("x-request-id", "request-id")
    for name in list(headers):
        if ex.on("ratelimit-epoch") and name.startswith("x-ratelimit-reset-"):
            headers[name] = "1795252462000"
        if ex.on("anthropic-reset-duration") and name.startswith("anthropic-ratelimit-") \
                and name.endswith("-reset"):
            headers[name] = "1s"
    if ex.on("retry-after-huge") and status == 429 and not ex.faulted:
        headers["retry-after"] = "300"
        drop("retry-after-ms")
    if ex.on("no-expose-headers"):
        drop("access-control-expose-headers")
    if ex.on("resolved-header-wrong") and "x-gatecheck-resolved-model" in headers:
        headers["x-gatecheck-resolved-model"] = "some-other-model"
    if ex.on("no-allow-header") and status == 405:
        drop("allow")
    if ex.on("no-retry-after") and status == 429:
        drop("retry-after", "retry-after-ms")
    if ex.on("no-acao-on-errors") and status >= 400:
        drop("access-control-allow-origin")
    if ex.method == "OPTIONS":
        if ex.on("narrow-allow-headers"):
            headers["access-control-allow-headers"] = "authorization, content-type"
        if ex.on("reflect-no-vary"):
            headers["access-control-allow-origin"] = ex.headers.get("origin", "*")
            drop("vary")
        if ex.on("no-max-age"):
            drop("access-control-max-age")
    if ex.on("credentials-wildcard"):
        headers["access-control-allow-origin"] = "*"
        headers["access-control-allow-credentials"] = "true"
    if ex.as_sse:
        headers["content-type"] = "text/event-stream"
    if ex.on("stream-text-plain") and headers.get("content-type", "").startswith(
            "text/event-stream"):
        headers["content-type"] = "text/plain; charset=utf-8"
    if body is not None:
        if ex.on("text-plain-errors") and status >= 400 and ex.surface is not None:
            headers["content-type"] = "text/plain; charset=utf-8"
        if ex.on("html-413") and status == 413:
            headers["content-type"] = "text/html"
        headers["content-length"] = str(len(body))
        drop("content-encoding")
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    return {**start, "headers": raw}
