"""A tiny path-routed ASGI "gateway" for plugin and runner tests: health, models, echo.

It answers enough for a start-of-session probe and for checks that read a status; it is
not a gateway (gatecheck.proxy is).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    extra: list[tuple[bytes, bytes]] = []
    if path == "/health":
        status, body = 200, {"status": "ok"}
    elif path == "/cookie/set":  # a gateway that hands out a session cookie
        status, body = 200, {"set": True}
        extra.append((b"set-cookie", b"session=fake-session; Path=/"))
    elif path == "/cookie/echo":
        cookie = dict(scope["headers"]).get(b"cookie", b"").decode()
        status, body = 200, {"cookie": cookie}
    elif path == "/v1/models":
        status, body = 200, {"object": "list", "data": [{"id": "fake-model", "object": "model",
                                                         "created": 0, "owned_by": "fake"}]}
    elif path.endswith("/echo-headers"):  # what the gateway was sent
        status, body = 200, {"headers": {k.decode(): v.decode() for k, v in scope["headers"]}}
    elif path.startswith("/status/"):
        status, body = int(path.rsplit("/", 1)[1]), {"status": path}
    else:
        status, body = 404, {"error": {"message": "not found", "type": "invalid_request_error",
                                       "param": None, "code": None}}
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()), *extra]})
    await send({"type": "http.response.body", "body": payload})
