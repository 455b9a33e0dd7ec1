"""The proxy's ASGI core: routing before auth, the request context, responses, access log.

Plain ASGI rather than a framework: the hot path is one dict lookup to route, one pass over
the headers, and direct ``send`` calls, and streams go out event by event with nothing in
between that could buffer or compress them. ``create_app`` wraps it in the CORS layer.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson

from gatecheck.proxy.cors import ASGIApp, Message, Receive, Scope, Send, request_id
from gatecheck.proxy.errors import ProxyError, Surface, error_body

__all__ = ["Ctx", "Handler", "Route", "Router", "serve"]

log = logging.getLogger("gatecheck.proxy")
access_log = logging.getLogger("gatecheck.proxy.access")

Handler = Callable[["Ctx"], Awaitable[None]]
JSON = b"application/json"
_STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    # no-cache and X-Accel-Buffering: no keep caches and nginx-style fronts from holding
    # events back (HDR-7); no Content-Length and no compression on streams.
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


class Route:
    """One path: the surface whose envelope its errors use (None: by header) and methods."""

    __slots__ = ("counted", "methods", "surface")

    def __init__(
        self, surface: Surface | None, methods: dict[str, Handler], *, counted: bool = False
    ) -> None:
        self.surface = surface
        self.methods = methods
        self.counted = counted  # a model request: counted in the key's usage


class Router:
    """Exact paths plus a few ``/prefix/{rest}`` routes; every path also under ``/v1``."""

    def __init__(self, exact: dict[str, Route], prefixed: Sequence[tuple[str, Route]]) -> None:
        self.exact = exact
        self.prefixed = list(prefixed)

    def match(self, path: str) -> tuple[Route | None, str]:
        if path == "/v1" or path.startswith("/v1/"):
            path = path[3:] or "/"
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        route = self.exact.get(path)
        if route is not None:
            return route, ""
        for prefix, route in self.prefixed:
            if path.startswith(prefix) and len(path) > len(prefix):
                return route, path[len(prefix):]
        return None, ""


class Ctx:
    """Everything about one request the handlers and the access log need."""

    __slots__ = (
        "accounted",
        "error",
        "gzip_min",
        "headers",
        "input_tokens",
        "key_id",
        "known_path",
        "method",
        "model",
        "on_finish",
        "out_headers",
        "output_tokens",
        "param",
        "path",
        "receive",
        "request_id",
        "resolved",
        "scope",
        "send",
        "started",
        "status",
        "stream",
        "surface",
        "t0",
    )

    def __init__(self, scope: Scope, receive: Receive, send: Send, gzip_min: int) -> None:
        self.scope = scope
        self.receive = receive
        self.send = send
        self.t0 = time.perf_counter()
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.request_id = request_id(scope)
        self.surface: Surface = "openai"
        self.param = ""  # the {rest} of a prefixed route
        self.gzip_min = gzip_min
        self.status = 0
        self.started = False
        self.stream = False
        self.key_id: str | None = None
        self.model: str | None = None
        self.resolved: str | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.error: str | None = None
        # Called once just before the last byte goes out, so usage is counted before the
        # client can ask for it; serve() calls it afterwards if it never ran.
        self.on_finish: Callable[[Ctx], None] | None = None
        self.accounted = False
        self.known_path = False  # an exact route matched: the path is ours, not a secret
        # Headers for whatever answer this request gets (the rate-limit family, limiter.py).
        self.out_headers: list[tuple[str, str]] = []

    def finish(self) -> None:
        if not self.accounted:
            self.accounted = True
            if self.on_finish is not None:
                self.on_finish(self)

    def _base_headers(self) -> list[tuple[bytes, bytes]]:
        rid = self.request_id.encode()
        raw = [(b"x-request-id", rid), (b"request-id", rid)]
        if self.out_headers:
            raw.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in self.out_headers)
        return raw

    async def read_body(self, limit: int) -> bytes:
        """The request body, refused with 413 as soon as it passes ``limit`` (LIM-4)."""
        declared = self.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise ProxyError("too_large", f"Request body is larger than {limit} bytes.")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise asyncio.CancelledError("client disconnected")
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise ProxyError("too_large", f"Request body is larger than {limit} bytes.")
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def respond(
        self,
        status: int,
        body: bytes,
        headers: Sequence[tuple[str, str]] = (),
        content_type: bytes = JSON,
    ) -> None:
        """A complete response; JSON is gzipped when the client accepts it and it is big."""
        raw = self._base_headers()
        raw.append((b"content-type", content_type))
        raw.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers)
        if len(body) >= self.gzip_min and content_type == JSON:
            raw.append((b"vary", b"Accept-Encoding"))  # whether or not it is compressed
            if "gzip" in self.headers.get("accept-encoding", ""):
                body = gzip.compress(body, compresslevel=4)
                raw.append((b"content-encoding", b"gzip"))
        raw.append((b"content-length", str(len(body)).encode()))
        self.status = status
        self.started = True
        self.finish()
        await self.send({"type": "http.response.start", "status": status, "headers": raw})
        if self.method == "HEAD":  # the GET answer's status and headers (length too), no body
            body = b""
        await self.send({"type": "http.response.body", "body": body})

    async def respond_json(
        self, status: int, value: Any, headers: Sequence[tuple[str, str]] = ()
    ) -> None:
        await self.respond(status, orjson.dumps(value), headers)

    async def respond_error(self, err: ProxyError) -> None:
        self.error = err.kind
        status = err.status_for(self.surface)
        await self.respond(status, error_body(err, self.surface, self.request_id), err.headers)

    async def start_stream(self, headers: Sequence[tuple[str, str]] = ()) -> None:
        raw = self._base_headers() + _STREAM_HEADERS
        raw.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers)
        self.status = 200
        self.started = True
        self.stream = True
        await self.send({"type": "http.response.start", "status": 200, "headers": raw})

    async def stream_send(self, data: bytes) -> None:
        await self.send({"type": "http.response.body", "body": data, "more_body": True})

    async def stream_end(self) -> None:
        self.finish()
        await self.send({"type": "http.response.body", "body": b"", "more_body": False})

    def log_line(self, scrub: Callable[[str], str]) -> bytes:
        """The access-log line. Only what the client wrote can hold a secret (a key pasted
        into a path, a model name or a request id); those go through ``scrub`` unless they
        are known to be safe (a route of ours, a model of the config, an id we made)."""
        rid = self.request_id
        if not (rid.startswith("req_") and len(rid) == 28):
            rid = scrub(rid)
        model = self.model
        if model is not None and self.resolved is None:
            model = scrub(model)
        return orjson.dumps(
            {
                "ts": round(time.time(), 3),
                "request_id": rid,
                "method": self.method,
                "path": self.path if self.known_path else scrub(self.path),
                "status": self.status,
                "duration_ms": round((time.perf_counter() - self.t0) * 1000, 3),
                "key_id": self.key_id,
                "model": model,
                "resolved_model": self.resolved,
                "stream": self.stream,
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "error": self.error,
            }
        )


def _allowed(route: Route) -> list[str]:
    methods = list(route.methods)
    if "GET" in methods and "HEAD" not in methods:
        methods.append("HEAD")
    return [*methods, "OPTIONS"]


def surface_by_header(ctx: Ctx) -> Surface:
    return "anthropic" if "anthropic-version" in ctx.headers else "openai"


async def serve(
    router: Router,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    gzip_min: int,
    account: Callable[[Ctx], None],
    after: Callable[[Ctx], None],
) -> None:
    """Route (before any auth: unknown paths are 404 even without a key), run, log."""
    ctx = Ctx(scope, receive, send, gzip_min)
    route, ctx.param = router.match(ctx.path)
    ctx.known_path = route is not None and not ctx.param
    if route is not None and route.counted:
        ctx.on_finish = account
    try:
        if route is None:
            ctx.surface = surface_by_header(ctx)
            raise ProxyError("not_found", f"Unknown route: {ctx.method} {ctx.path}")
        ctx.surface = route.surface or surface_by_header(ctx)
        handler = route.methods.get(ctx.method)
        if handler is None and ctx.method == "HEAD":
            handler = route.methods.get("GET")  # HEAD wherever GET is (RFC 9110 9.3.2)
        if handler is None:
            allow = ", ".join(_allowed(route))
            if ctx.method == "OPTIONS":  # a plain OPTIONS (preflights never get here)
                await ctx.respond(204, b"", [("allow", allow)])
                return
            raise ProxyError(
                "method_not_allowed",
                f"Method {ctx.method} is not allowed on {ctx.path}; allowed: {allow}.",
                status=405,
                headers=[("allow", allow)],
            )
        await handler(ctx)
    except ProxyError as err:
        if not ctx.started:
            await ctx.respond_error(err)
        else:  # a handler that started a stream handles its own errors; keep the record
            ctx.error = err.kind
    except asyncio.CancelledError:
        ctx.error = "client_disconnected"
        if not ctx.status:
            ctx.status = 499
        raise
    except Exception:
        log.exception("unhandled error in %s %s (request %s)", ctx.method, ctx.path, ctx.request_id)
        if not ctx.started:
            await ctx.respond_error(ProxyError("api_error", "Internal error in the gateway."))
        ctx.error = "internal"
    finally:
        ctx.finish()
        after(ctx)


async def lifespan(
    receive: Receive, send: Send, on_shutdown: Callable[[], Awaitable[None]]
) -> None:
    """Minimal ASGI lifespan: nothing at startup (clients open lazily), cleanup at shutdown."""
    while True:
        message: Message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await on_shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


def build_asgi(
    router: Router,
    *,
    gzip_min: int,
    account: Callable[[Ctx], None],
    after: Callable[[Ctx], None],
    on_shutdown: Callable[[], Awaitable[None]],
) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await serve(
                router, scope, receive, send, gzip_min=gzip_min, account=account, after=after
            )
        elif scope["type"] == "lifespan":
            await lifespan(receive, send, on_shutdown)

    return app
