"""Pooled upstream connections the upstream closed while idle never become a 502."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from gatecheck.proxy import create_app, parse_config
from gatecheck.proxy.upstream import KEEPALIVE_S

from .conftest import ADMIN, bearer, chat_body

pytestmark = pytest.mark.anyio

COMPLETION = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"},
                 "finish_reason": "stop", "logprobs": None}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}
CHUNKS = b"".join(b"data: " + orjson.dumps(c) + b"\n\n" for c in [
    {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
     "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]},
    {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [],
     "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}},
]) + b"data: [DONE]\n\n"


class ClosingUpstream:
    """An HTTP/1.1 upstream whose idle close always crosses the next request: it answers the
    first request of a connection (keep-alive), then reads the next one on that connection
    and closes without a word, as a server does whose idle timeout fired as it arrived."""

    def __init__(self) -> None:
        self.requests = 0  # requests read, answered or not
        self.answered = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for turn in range(2):
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                body = orjson.loads(await reader.readexactly(length))
                self.requests += 1
                if turn:
                    return  # the crossing idle close
                if body.get("stream"):
                    payload, ctype = CHUNKS, b"text/event-stream"
                else:
                    payload, ctype = orjson.dumps(COMPLETION), b"application/json"
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: " + ctype
                             + b"\r\ncontent-length: " + str(len(payload)).encode()
                             + b"\r\n\r\n" + payload)
                await writer.drain()
                self.answered += 1
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def proxy_over(upstream: ClosingUpstream, **config: Any) -> AsyncIterator[httpx.AsyncClient]:
    server = await asyncio.start_server(upstream.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    raw = {"provider": [{"name": "up", "format": "openai", "base-url": f"http://127.0.0.1:{port}",
                         "models": ["m"]}],
           "aliases": {"gpt-4o-mini": "up/m"}, **config}
    app = create_app(parse_config(raw), admin_key=ADMIN)
    try:
        async with server, httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                             base_url="http://proxy", timeout=30) as client:
            yield client
    finally:
        await app.aclose()


def test_idle_keepalive_is_shorter_than_common_upstream_idle_timeouts() -> None:
    assert 0 < KEEPALIVE_S < 5  # uvicorn's and Node's default idle timeout is 5 s


@pytest.mark.parametrize("stream", [False, True])
async def test_a_pooled_connection_closed_by_the_upstream_is_resent_not_a_502(stream) -> None:
    upstream = ClosingUpstream()
    # No policy retries at all (as in the embedded default): the resend is not one of them.
    async with proxy_over(upstream, retries={"max-attempts": 1}) as c:
        for _ in range(3):
            r = await c.post("/v1/chat/completions", headers=bearer(),
                             json=chat_body(stream=stream))
            assert r.status_code == 200, r.text
            assert "hi" in r.text
            if stream:
                assert r.text.endswith("data: [DONE]\n\n")
    assert upstream.answered == 3
    assert upstream.requests == 5  # requests 2 and 3 each met a stale connection first
    # (each resend opens a fresh connection: the stale one is never tried twice)


async def test_a_fresh_connection_that_drops_the_request_is_not_resent() -> None:
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream.requests += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    upstream = ClosingUpstream()
    upstream.handle = drop  # type: ignore[method-assign]
    async with proxy_over(upstream, retries={"max-attempts": 1}) as c:
        r = await c.post("/v1/chat/completions", headers=bearer(), json=chat_body())
    assert r.status_code == 502
    assert upstream.requests == 1
