"""A misbehaving wrapper: any ASGI gateway (the reference proxy, the mock) broken on request.

``wrap(app, modes)`` returns an ASGI app that forwards to ``app`` and breaks its answers in the
named ways, so every conformance check can be shown to fail on exactly the fault it exists
to catch (tests/test_checks_fail_*.py). ``Misbehave.modes`` may be changed between requests.

Modes, by the check that catches them (the full table with descriptions is ``MODES``):

  wire bodies     created-ms (W-1) tool-args-object (W-2) finish-end-turn (W-3)
                  ignore-stop (W-8, a request rewrite) anthropic-input-string (W-7)
  OpenAI stream   comment-as-data (STR-2) sse-ids (STR-3) one-burst (STR-4, both surfaces)
                  no-finish-reason-key (STR-O1) no-done (STR-O2) event-names (STR-O3)
                  empty-finish-reason (STR-O4) no-role (STR-O5) tool-id-missing (STR-O6)
                  no-usage-chunk (STR-O7) usage-always (STR-O8) fake-stop-on-error (STR-O10)
  Anthropic       data-only (STR-A1) block-before-start (STR-A2) zero-input-tokens (STR-A3)
  stream          thinking-in-text (STR-A4) stop-reason-error (STR-A6)
                  fake-stop-on-error (STR-A7) anthropic-done (STR-A9)
  errors          error-as-string integer-code none-strings (ERR-1) anthropic-flat-error
                  (ERR-2) error-200 (ERR-4) collapse-upstream-errors (ERR-5)
                  no-allow-header unknown-route-200 (ERR-7) stack-trace-messages (ERR-8)
                  text-plain-errors (ERR-1, ERR-2, HDR-6)
  auth            key-in-error (AUTH-8) wrong-key-403 (AUTH-4) cors-auth (CORS-1/3, AUTH-7)
  tokens          total-zero (TOK-1) usage-off-by-one (TOK-1 vs the mock) cache-double-count
                  (TOK-4) count-tokens-off (TOK-7)
  CORS            narrow-allow-headers (CORS-2) no-acao-on-errors (CORS-4)
                  credentials-wildcard (CORS-5) reflect-no-vary (CORS-6) no-max-age (CORS-8)
  models/aliases  model-prefix-leak (ALIAS-2) models-created-ms (MOD-1, MOD-5)
                  models-public (MOD-4) no-anthropic-models (MOD-3)
  headers, limits no-request-id (HDR-1, HDR-2) no-retry-after (LIM-3) html-413 (LIM-4)
  health          health-auth (HEALTH-1) health-secret (HEALTH-3) health-429 (HEALTH-4)
  performance     every-third-500 (PERF-1)
  more            accept-stream-options (STR-O9) wrong-error-type (ERR-3) no-expose-headers
                  (CORS-7) origin-500 (CORS-9) small-body-limit (LIM-5) model-retrieve-404
                  (MOD-2) resolved-header-wrong (ALIAS-1) unlisted-alias (ALIAS-4)
                  require-version (AUTH-9) chat-key-admin (AUTH-5) missing-key-400 (AUTH-3)
                  partial-json-broken (STR-A5) cached-exceeds (TOK-2) upstream-auth-401
                  (ERR-5) trip-on-4xx trip-on-count-404 (ALIAS-5) no-model-not-found-code
                  (ALIAS-3) no-x-api-key no-bearer-on-anthropic (AUTH-2) no-bearer-on-openai
                  (AUTH-1) length-as-stop (W-4) max-tokens-as-end-turn (W-6)
                  server-typed-4xx (ERR-3) ready-503 (HEALTH-2) message-limit-500 (LIM-4)
                  ratelimit-epoch (HDR-4) anthropic-reset-duration (HDR-5)
                  context-length-413 context-length-500 context-length-sse (ERR-9)
                  drop-anthropic-beta strip-cache-control (AUTH-10)
                  retry-after-huge (LIM-2) revoked-still-works (AUTH-4) key-listing-leak
                  (AUTH-8) anon-key-create (AUTH-3) new-key-wrong-prefix (AUTH-1)
                  no-stop-sequence-key (W-5) assistant-role-user (W-2) stream-errors-as-sse
                  (STR-1) stream-content-length (HDR-7) output-zero (TOK-6) auth-429
                  (AUTH-6) accept-empty-messages (ERR-6) tool-calls-as-length (W-4)
                  tool-calls-as-stop (W-4 WARN) stream-text-plain (STR-1) unknown-event
                  (STR-A8 WARN) message-role-user (W-5, SDK W-5) invalid-400-as-500 (the
                  generated ERR-6 tests) no-body-id (the generated W-1 / W-5 tests)
  Responses       resp-empty-text (RESP-1) resp-drop-or-fields (RESP-2) resp-refuse-system
                  (RESP-3) resp-refuse-history (RESP-4) resp-args-object (RESP-5)
                  resp-incomplete-as-completed (RESP-6) resp-refuse-images (RESP-7)
                  resp-cached-exceeds (RESP-T1) resp-usage-off-by-one (RESP-T2)
                  resp-error-as-string (RESP-E1) resp-event-name-mismatch (RESP-S1)
                  resp-skip-created (RESP-S2) resp-sequence-reset (RESP-S3)
                  resp-text-done-differs (RESP-S4) resp-args-done-differs (RESP-S5)
                  resp-final-in-progress (RESP-S6) resp-fake-complete-on-error (RESP-S7)
                  resp-stream-usage-off (RESP-T3) resp-usage-total-zero (RESP-SDK1)
                  resp-completed-missing (RESP-SDK2/3)
  thinking, cache thinking-text-trimmed (THINK-1) thinking-signature-first (THINK-2)
                  drop-redacted-thinking (THINK-3) thinking-resent-changed (THINK-4)
                  cache-read-dropped (CACHE-1) cached-tokens-dropped (CACHE-2)
                  responses-cached-dropped (CACHE-3) cache-creation-dropped (CACHE-4)
  images, embed.  image-data-altered (IMG-1..3) embedding-order-reversed (EMB-1)
                  dimensions-ignored (EMB-2) embedding-usage-off (EMB-3)
                  embedding-errors-500 (EMB-4)
  upstream leg    null-error-type (ERR-11) unreachable-as-500 (ERR-12) no-health
                  (HEALTH-5) root-only-health (HEALTH-5 warns) retry-429-behind-client
                  (LIM-7) prefixed-retry-after (LIM-3)
                  flaky-invalid-500 (the generated ERR-6 tests, as a flaky failure)
                  forward-client-key (AUTH-11) placeholder-credential (AUTH-12); the last two
                  act on the way out: ``wrap(mock, modes, side="upstream")`` in front of the
                  mock applies them to what the gateway sends (``UPSTREAM_SIDE``)

Request bodies and responses are buffered whole (streams event by event), so this is for
tests and demonstrations, not for load. Accept-Encoding is dropped on the way in: the
wrapper rewrites plain bodies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Literal

import orjson

from gatecheck import UsageError
from gatecheck.mock import _misbehaviours_upstream as upstream
from gatecheck.mock import _misbehaviours_wire as wire
from gatecheck.mock._misbehaviours import MODES as _MODES
from gatecheck.mock._misbehaviours import (
    Exchange,
    ignored_headers,
    rewrite_json,
    rewrite_request,
    rewrite_start,
)
from gatecheck.mock._misbehaviours_sse import rewrite_event, stream_end

__all__ = ["MODES", "UPSTREAM_SIDE", "Misbehave", "wrap"]

MODES = {**_MODES, **wire.MODES, **upstream.MODES}  # mode -> what it breaks
UPSTREAM_SIDE = upstream.UPSTREAM_SIDE  # the modes a wrapper in front of the upstream applies
Side = Literal["gateway", "upstream"]

Scope = dict[str, Any]


class Misbehave:
    """The ASGI wrapper; ``modes`` is a plain set, read on every request."""

    def __init__(self, app: Any, modes: Iterable[str], side: Side = "gateway",
                 shared: dict[str, Any] | None = None) -> None:
        self.app = app
        self.modes = set(modes)
        check_modes(self.modes)
        self.side = side
        self.counter = 0  # requests seen (health-429 answers every 5th liveness poll 429)
        # state kept across requests (trip-on-4xx, keys); a gateway-side and an upstream-side
        # wrapper share it to pass the client's key along (forward-client-key)
        self.shared: dict[str, Any] = {} if shared is None else shared

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.modes:
            await self.app(scope, receive, send)
            return
        if self.side == "upstream":
            # the outbound leg: only the request's credential changes; the upstream's own
            # send goes through untouched (fault=drop needs the server's)
            scope = {**scope, "headers": upstream.outbound_headers(
                scope["headers"], frozenset(self.modes & UPSTREAM_SIDE), scope["path"],
                self.shared)}
            await self.app(scope, receive, send)
            return
        self.counter += 1
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        ex = Exchange(
            method=scope["method"],
            path=scope["path"],
            headers=headers,
            body=bytes(body),
            modes=frozenset(self.modes),
            count=self.counter,
            shared=self.shared,
        )
        ex.body = wire.rewrite_request(ex) or ex.body
        ex.body = rewrite_request(ex)
        scope = dict(scope)
        scope["headers"] = [
            (k, v)
            for k, v in scope["headers"]
            if k.lower() not in (b"accept-encoding", b"content-length")
        ]
        scope["headers"].append((b"content-length", str(len(ex.body)).encode()))
        dropped = {name.encode() for name in ignored_headers(ex)}
        if ex.drop_anthropic_version:
            dropped.add(b"anthropic-version")
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() not in dropped]
        if "forward-client-key" in self.modes and ex.credential:
            self.shared["client-credential"] = ex.credential
        responder = _Responder(ex, send)
        if ex.on("retry-429-behind-client") and ex.surface is not None:
            await self._retrying(scope, receive, responder, ex.body)
            return
        await self.app(scope, _replay(ex.body, receive), responder)

    async def _retrying(self, scope: Scope, receive: Any, responder: Any, body: bytes) -> None:
        """Wait out each upstream 429's Retry-After and send the request again, RETRIES times,
        while the client waits: the answer it finally gets is the last attempt's."""
        for attempt in range(upstream.RETRIES + 1):
            held: list[dict[str, Any]] = []

            async def hold(message: dict[str, Any], held: list[dict[str, Any]] = held) -> None:
                held.append(message)

            await self.app(scope, _replay(body, receive), hold)
            start = held[0] if held else {}
            if start.get("status") != 429 or attempt == upstream.RETRIES:
                break
            await asyncio.sleep(min(upstream.retry_after_of(start), 5.0))
        for message in held:
            await responder(message)


def _replay(body: bytes, receive: Any) -> Any:
    """A ``receive`` that gives the (rewritten) request body once, then the client's events."""
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        message: dict[str, Any] = await receive()
        return message

    return replay


class _Responder:
    """Holds the response start until it knows the body kind, then rewrites as it goes."""

    def __init__(self, ex: Exchange, send: Any) -> None:
        self.ex, self.send = ex, send
        self.start: dict[str, Any] | None = None
        self.sse = False
        self.buffer = bytearray()  # JSON: the whole body; SSE: the unfinished event
        self.held: list[bytes] = []  # one-burst: everything until the end

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            content_type = _header(message.get("headers", []), b"content-type")
            self.sse = content_type.startswith("text/event-stream")
            if self.sse and "stream-content-length" not in self.ex.modes:
                await self.send(rewrite_start(self.ex, message, None))
            return
        if message["type"] != "http.response.body":
            await self.send(message)
            return
        self.buffer += message.get("body", b"")
        more = bool(message.get("more_body"))
        if self.sse:
            await self._events(final=not more)
        elif not more:
            await self._json()

    async def _events(self, *, final: bool) -> None:
        # Not gatecheck._sse: this re-frames the wrapped server's own output block by block
        # and must pass comments (the proxy's `: keep-alive`) and odd bytes through as they
        # were, which the shared reader, built to judge a stream, drops or refuses.
        text = self.buffer.decode("utf-8", "replace").replace("\r\n", "\n")
        *complete, rest = text.split("\n\n")
        self.buffer = bytearray(rest.encode())
        out = "".join(upstream.rewrite_event(self.ex, rewrite_event(self.ex, block))
                      for block in complete if block.strip())
        if final:
            out += stream_end(self.ex)
        if self.ex.modes & {"one-burst", "stream-content-length"}:
            self.held.append(out.encode())
            if final:
                body = b"".join(self.held)
                if "stream-content-length" in self.ex.modes and self.start is not None:
                    start = rewrite_start(self.ex, self.start, None)
                    start["headers"] = [*start["headers"],
                                        (b"content-length", str(len(body)).encode())]
                    await self.send(start)
                await self.send({"type": "http.response.body", "body": body, "more_body": False})
            return
        await self.send(
            {"type": "http.response.body", "body": out.encode(), "more_body": not final}
        )

    async def _json(self) -> None:
        if self.start is None:  # the ASGI protocol sends the start first; nothing to rewrite
            return
        start, body = rewrite_json(self.ex, self.start, bytes(self.buffer))
        start, body = _rewire(self.ex, start, body)
        start, body = upstream.rewrite_answer(self.ex, start, body)
        start = rewrite_start(self.ex, start, body)
        await self.send(start)
        await self.send({"type": "http.response.body", "body": body, "more_body": False})


def _rewire(ex: Exchange, start: dict[str, Any], body: bytes) -> tuple[dict[str, Any], bytes]:
    """The Responses / thinking / caching / embeddings modes on a whole JSON answer."""
    try:
        value: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = None
    status, changed = wire.rewrite_json(ex, start["status"], value)
    if status == start["status"] and changed is value and value is not None:
        return start, orjson.dumps(value)  # rewritten in place (or not at all)
    if changed is None:
        return {**start, "status": status}, body
    return {**start, "status": status}, orjson.dumps(changed)


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1").lower()
    return ""


def check_modes(modes: Iterable[str]) -> None:
    """A UsageError naming the unknown mode (and the known ones) when there is one."""
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        raise UsageError(f"unknown misbehaviour {unknown[0]!r}; known: {', '.join(sorted(MODES))}")


def wrap(app: Any, modes: Iterable[str], side: Side = "gateway",
         shared: dict[str, Any] | None = None) -> Misbehave:
    """`app` behind a wrapper that breaks its answers in the named ways (see MODES).

    ``side="upstream"`` wraps the upstream instead, applying the ``UPSTREAM_SIDE`` modes to
    what the gateway sends it; give both wrappers the same ``shared`` dict.
    """
    return Misbehave(app, modes, side, shared)
