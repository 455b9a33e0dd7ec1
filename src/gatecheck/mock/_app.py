"""The mock's ASGI app: routing, auth, body limits, plans, faults, and the log.

Raw ASGI rather than Starlette routes: the non-stream path is the hot one in gateway
benchmarks (the goal is 5,000 requests/s on one worker), and the faults need byte-level
control of the response (abort mid-body, invalid UTF-8, trickled writes) that Starlette's
Response classes would hide. Routing is an exact dict lookup on the path.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson

from gatecheck.mock._anthropic import AnthropicSurface, models_page
from gatecheck.mock._config import MockConfig
from gatecheck.mock._directives import CHAOS_FAULTS, CHAOS_RATE, LISTED, PRESETS, Directive
from gatecheck.mock._embeddings import EmbeddingsSurface
from gatecheck.mock._errors import anthropic_error, error_for_status, openai_error
from gatecheck.mock._faults import JSON, Conn, deliver
from gatecheck.mock._log import RequestLog
from gatecheck.mock._openai import OpenAISurface, model_object, models_list
from gatecheck.mock._plan import PlanCache, Surface
from gatecheck.mock._responses import ResponsesSurface
from gatecheck.mock._timings import Stopwatch, TimingLog, split_nonce

__all__ = ["MockApp"]

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_POST_ROUTES = {
    "/v1/chat/completions": "openai",
    "/v1/messages": "anthropic",
    "/v1/messages/count_tokens": "count",
    "/v1/responses": "responses",
    "/v1/embeddings": "embeddings",
}


class _TooLarge(Exception):
    pass


def _without_body(send: Send) -> Send:
    """``send`` for a HEAD request: the status and headers of the GET answer, no body."""

    async def head_send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return head_send


def _unknown_path(surface: str, method: str, path: str) -> bytes:
    """A 404 for a path no route serves, worded as the real APIs word it.

    Not the model-404 body: OpenAI answers an unknown URL with ``code: null`` and "Invalid
    URL (GET /v1/nope)", Anthropic with ``not_found_error``.
    """
    if surface == "anthropic":
        return anthropic_error(f"Not Found ({method} {path})", "not_found_error")
    return openai_error(f"Invalid URL ({method} {path})")


class MockApp:
    """The ASGI callable; ``create_app`` builds one. State: plan caches, log, chaos RNG."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.log = RequestLog(config.log_size)
        self.timings = TimingLog(config.timing_size)
        self.models = list(PRESETS)  # every preset answers GET /v1/models/{id}
        self.listed = self.models if config.list_all_models else list(LISTED)
        self.openai = OpenAISurface()
        self.anthropic = AnthropicSurface()
        self.responses = ResponsesSurface()
        self.embeddings = EmbeddingsSurface()
        self._surfaces: dict[str, Surface] = {"responses": self.responses,
                                              "embeddings": self.embeddings}
        self._plans = {
            "openai": PlanCache(lambda raw: self.openai.plan(raw, config)),
            "responses": PlanCache(lambda raw: self.responses.plan(raw, config)),
            "embeddings": PlanCache(lambda raw: self.embeddings.plan(raw, config)),
            "anthropic": PlanCache(lambda raw: self.anthropic.plan(raw, config)),
            "count": PlanCache(lambda raw: self.anthropic.count_plan(raw, config)),
        }
        self._rng = random.Random(config.seed)
        self._rate = config.effective_fault_rate
        self._pool = config.fault_pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        if method == "HEAD":  # answered as GET, without the body (RFC 9110 9.3.2)
            method, send = "GET", _without_body(send)
        route = _POST_ROUTES.get(path)
        anthropic_shaped = route in ("anthropic", "count") or any(
            k == b"anthropic-version" for k, _ in headers
        )
        # Every answer of the API carries the provider's request-id header, errors and
        # streams included (OpenAI x-request-id, Anthropic request-id: req_...), as the real
        # ones do; gateways relay or replace it (HDR-1, HDR-2).
        request_id = None
        if path.startswith("/v1/"):
            request_id = "req_" + os.urandom(12).hex()
            name = b"request-id" if anthropic_shaped else b"x-request-id"
            conn = Conn(receive, send, [(name, request_id.encode())])
        else:
            conn = Conn(receive, send)
        surface: Surface = self._surfaces.get(route or "") or (
            self.anthropic if anthropic_shaped else self.openai)
        try:
            if route is not None or path == "/v1/models" or path.startswith("/v1/models/"):
                wanted = "POST" if route is not None else "GET"
                if method != wanted:
                    body = surface.error_body(405, f"Method {method} not allowed on {path}.")
                    allow = b"POST" if route is not None else b"GET, HEAD"
                    await conn.respond(405, body, [*JSON, (b"allow", allow)])
                    return
                if self.config.api_keys and not self._authorised(headers):
                    await conn.respond(401, surface.error_body(401))
                    self.log.add(method, path, headers, arrived=conn.arrived,
                                 surface=surface.name, status=401, sent_id=request_id)
                    return
                if route is not None:
                    await self._completion(route, surface, conn, method, path, headers,
                                           request_id)
                else:
                    await self._models(conn, path, scope, anthropic_shaped, surface)
            elif path == "/_mock/log" and method == "GET":
                query = dict(parse_qsl(scope.get("query_string", b"").decode()))
                limit = int(query["limit"]) if query.get("limit", "").isdigit() else None
                since = int(query["since"]) if query.get("since", "").isdigit() else 0
                await conn.respond(200, orjson.dumps(self.log.render(limit, since)))
            elif path == "/_mock/timings" and method == "GET":
                query = dict(parse_qsl(scope.get("query_string", b"").decode()))
                since = int(query["since"]) if query.get("since", "").isdigit() else 0
                limit = min(int(query["limit"]), 100_000) if query.get(
                    "limit", "").isdigit() else 10_000
                body = self.timings.render(since=since, limit=limit, nonce=query.get("nonce"))
                await conn.respond(200, body)
            elif path == "/_mock/reset" and method == "POST":
                self.log.reset()
                self.timings.reset()
                await conn.respond(200, b'{"reset":true}')
            else:
                await conn.respond(404, _unknown_path(surface.name, method, path))
        finally:
            if conn.stopwatch is not None:  # before close() yields: the row is there as soon
                self.timings.add(conn.stopwatch)  # as the answer's last byte has left
            await conn.close()

    def _authorised(self, headers: list[tuple[bytes, bytes]]) -> bool:
        keys = self.config.api_keys
        for name, value in headers:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and token.strip() in keys:
                    return True
            elif name == b"x-api-key" and value.decode("latin-1") in keys:
                return True
        return False

    async def _read(self, conn: Conn) -> bytes:
        message = await conn.receive()
        body: bytes = message.get("body", b"")
        if not message.get("more_body"):
            return body
        parts, size, limit = [body], len(body), self.config.max_request_bytes
        while message.get("more_body"):
            message = await conn.receive()
            if message["type"] == "http.disconnect":
                raise ConnectionResetError
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            parts.append(chunk)
        return b"".join(parts)

    async def _completion(
        self,
        route: str,
        surface: Surface,
        conn: Conn,
        method: str,
        path: str,
        headers: list[tuple[bytes, bytes]],
        sent_id: str | None = None,
    ) -> None:
        try:
            raw = await self._read(conn)
        except _TooLarge:
            await conn.respond(413, surface.error_body(413))
            self.log.add(method, path, headers, arrived=conn.arrived,
                         surface=surface.name, status=413, sent_id=sent_id)
            return
        except ConnectionResetError:
            return
        if len(raw) > self.config.max_request_bytes:
            await conn.respond(413, surface.error_body(413))
            self.log.add(method, path, headers, arrived=conn.arrived,
                         surface=surface.name, status=413, sent_id=sent_id)
            return
        nonce, raw = split_nonce(raw)  # before the cache: a marked body hits the same plan
        if nonce is not None:
            # The mock's own clock starts once the body is in (for a load request, one read
            # of bytes that came with the headers); unmarked requests never read the clock.
            conn.stopwatch = Stopwatch(nonce, time.perf_counter_ns())  # kept by _http
        plan = self._plans[route].get(raw)
        if plan.status != 200:
            await conn.respond(plan.status, plan.error)
            self.log.add(method, path, headers, arrived=conn.arrived,
                         surface=surface.name, status=plan.status,
                         sent_id=sent_id)
            return
        if route == "count":
            await conn.respond(200, plan.data["count"])
            self.log.add(
                method,
                path,
                headers,
                arrived=conn.arrived,
                surface="anthropic",
                model=plan.model,
                directive=plan.directive,
                input_tokens=plan.input_tokens,
                prompt=plan.prompt,
                sent_id=sent_id,
            )
            return
        fault = self._choose_fault(plan.behaviour, plan.chaos)
        rid = surface.new_id()
        status = await deliver(
            conn,
            surface,
            plan,
            fault,
            rid,
            int(time.time()),
            plan.seed ^ self.config.seed,
            self.config.max_hold_s,
        )
        ok = status == 200
        self.log.add(
            method,
            path,
            headers,
            arrived=conn.arrived,
            surface=surface.name,
            model=plan.model,
            stream=plan.stream,
            directive=plan.directive,
            status=status,
            fault=fault.fault if fault is not None else None,
            input_tokens=plan.input_tokens if ok else None,
            output_tokens=plan.output_tokens if ok else None,
            request_id=rid,
            prompt=plan.prompt,
            cache_control=plan.cache_control,
            cache_read=plan.cache_read,
            cache_write=plan.cache_write,
            images=plan.images,
            thinking=plan.thinking if ok else (),
            sent_id=sent_id,
        )

    def _choose_fault(self, behaviour: Directive, chaos: bool) -> Directive | None:
        """The directive's or preset's fault; else a seeded draw (chaos model, --fault-rate)."""
        if behaviour.fault is not None:
            return behaviour
        if chaos:
            if self._rng.random() < CHAOS_RATE:
                return behaviour.over(self._rng.choice(CHAOS_FAULTS))
            return None
        if self._rate and (self._rate >= 1.0 or self._rng.random() < self._rate):
            return behaviour.over(self._rng.choice(self._pool))
        return None

    async def _models(
        self, conn: Conn, path: str, scope: Scope, anthropic_shaped: bool, surface: Surface
    ) -> None:
        if path == "/v1/models":
            query = dict(parse_qsl(scope.get("query_string", b"").decode()))
            listed = self.models if query.get("all") in ("1", "true") else self.listed
            if anthropic_shaped:
                await conn.respond(200, models_page(listed, query))
            else:
                await conn.respond(200, models_list(listed))
            return
        model = path[len("/v1/models/") :]
        if model not in PRESETS and not self.config.accept_any_model:
            await conn.respond(
                404,
                error_for_status(
                    surface.name,
                    404,
                    f"The model `{model}` does not exist or you do not have access to it.",
                ),
            )
            return
        if anthropic_shaped:
            page = orjson.loads(models_page([model], {}))
            await conn.respond(200, orjson.dumps(page["data"][0]))
        else:
            await conn.respond(200, orjson.dumps(model_object(model)))
