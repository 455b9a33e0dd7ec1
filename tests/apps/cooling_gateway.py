"""A gateway with a cool-down of its own, in front of gatecheck's mock (tests of _cooldown).

Like LiteLLM's router: after the upstream answers an error, it answers ``429`` itself, with
``Retry-After``, for ``cooldown`` seconds, without calling the upstream. ``always_429``
makes it answer 429 only after calling the upstream (not made up). The rest is forwarded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class CoolingGateway:
    def __init__(self, upstream: str, cooldown: float, *, always_429: bool = False) -> None:
        self.upstream = upstream
        self.cooldown = cooldown
        self.always_429 = always_429
        self.cool_until = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/health":
            await _answer(send, 200, {"status": "ok"})
            return
        if time.time() < self.cool_until:
            await _answer(send, 429, {"error": {
                "message": "No deployments available: the model is cooling down",
                "type": "rate_limit_error", "param": None, "code": "429"}},
                [(b"retry-after", str(max(int(self.cooldown), 1)).encode())])
            return
        async with httpx.AsyncClient(base_url=self.upstream, timeout=10) as client:
            upstream = await client.request(
                scope["method"], scope["path"], content=body,
                headers={"content-type": "application/json"})
        if upstream.status_code >= 400:
            self.cool_until = time.time() + self.cooldown
        status = 429 if self.always_429 else upstream.status_code
        await _answer(send, status, upstream.json())


async def _answer(send: Send, status: int, body: Any,
                  extra: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()), *(extra or [])]})
    await send({"type": "http.response.body", "body": payload})
