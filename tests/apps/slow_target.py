"""A tiny path-routed ASGI target that misbehaves in time and size, for the client's tests.

Routes (query parameters in brackets):
  /json                  200, echoes method, headers and body as JSON
  /late [s]              204 after s seconds (nothing before the headers)
  /silence [s]           200 headers, then no body until the client leaves (at most s seconds)
  /drip [n, every]       n one-byte chunks, one per `every` seconds
  /big [size, cl]        a body of `size` bytes, with Content-Length unless cl=0
  /sse-split             an OpenAI stream written in awkward pieces (mid-UTF-8, CR|LF), with
                         a short pause between writes so they leave as separate TCP segments
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

SSE_PIECES = [
    b'data: {"choices":[{"delta":{"role":"assistant"}}]}\r',
    b'\n\r\ndata: {"choices":[{"delta":{"content":"h\xc3',
    b'\xa9"}}]}\n',
    b'\n: keepalive\n\ndata: {"choices":[{"delta":{"content":"llo"}}]}\n\ndata: {"choices":[],',
    b' "usage":{"prompt_tokens":3,"completion_tokens":2}}\n\ndata: [DONE]\n\n',
]


async def _start(send: Send, status: int = 200, headers: list[tuple[bytes, bytes]] | None = None,
                 ) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers or []})


async def _body(send: Send, chunk: bytes, more: bool = True) -> None:
    await send({"type": "http.response.body", "body": chunk, "more_body": more})


async def _wait_for_disconnect(receive: Receive, limit: float) -> bool:
    """Wait up to `limit` seconds for the client to leave; True if it did."""
    async def until_gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(until_gone(), limit)
    except TimeoutError:
        return False
    return True


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["type"] == "http"
    path = scope["path"]
    query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
    if path == "/json":
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        payload = {"method": scope["method"], "body": body.decode(),
                   "headers": {k.decode(): v.decode() for k, v in scope["headers"]}}
        await _start(send, 200, [(b"content-type", b"application/json")])
        await _body(send, json.dumps(payload).encode(), more=False)
    elif path == "/late":
        if not await _wait_for_disconnect(receive, float(query.get("s", "5"))):
            await _start(send, 204)
            await _body(send, b"", more=False)
    elif path == "/silence":
        await _start(send, 200, [(b"content-type", b"text/event-stream")])
        await _body(send, b"")
        await _wait_for_disconnect(receive, float(query.get("s", "10")))
    elif path == "/drip":
        await _start(send, 200, [(b"content-type", b"text/plain")])
        for _ in range(int(query.get("n", "50"))):
            await _body(send, b"x")
            if await _wait_for_disconnect(receive, float(query.get("every", "0.1"))):
                return  # the client gave up: stop, so the server can shut down at once
        await _body(send, b"", more=False)
    elif path == "/big":
        size = int(query["size"])
        headers = [(b"content-type", b"application/octet-stream")]
        if query.get("cl", "1") != "0":
            headers.append((b"content-length", str(size).encode()))
        await _start(send, 200, headers)
        sent = 0
        while sent < size:
            chunk = min(65536, size - sent)
            await _body(send, b"x" * chunk)
            sent += chunk
        await _body(send, b"", more=False)
    elif path == "/sse-split":
        await _start(send, 200, [(b"content-type", b"text/event-stream")])
        for piece in SSE_PIECES:
            await _body(send, piece)
            await asyncio.sleep(0.02)
        await _body(send, b"", more=False)
    else:
        await _start(send, 404)
        await _body(send, b"not found", more=False)
