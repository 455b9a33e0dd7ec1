"""Fixtures: the embedded stack (mock + proxy on loopback) over both upstream formats,
and an in-process proxy over a fake upstream on loopback (for faults the mock lacks)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest

from gatecheck.embedded import EmbeddedStack, serve_in_thread, start_embedded
from gatecheck.proxy import create_app, parse_config

ADMIN = "gk-admin-0123456789abcdefABCDEF0123456789"


@pytest.fixture(scope="session")
def openai_stack() -> Iterator[EmbeddedStack]:
    with start_embedded(upstream_format="openai", admin_key=ADMIN) as stack:
        yield stack


@pytest.fixture(scope="session")
def anthropic_stack() -> Iterator[EmbeddedStack]:
    with start_embedded(upstream_format="anthropic", admin_key=ADMIN) as stack:
        yield stack


@pytest.fixture(params=["openai", "anthropic"], ids=["up-openai", "up-anthropic"])
def stack(request: pytest.FixtureRequest) -> EmbeddedStack:
    """The embedded stack, once per upstream format."""
    return request.getfixturevalue(f"{request.param}_stack")


@pytest.fixture
def client(stack: EmbeddedStack) -> Iterator[httpx.Client]:
    """A raw client on the proxy, admin key NOT applied (tests choose their auth)."""
    with httpx.Client(base_url=stack.proxy_url, timeout=30.0) as c:
        yield c


def bearer(key: str = ADMIN) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def xkey(key: str = ADMIN) -> dict[str, str]:
    return {"x-api-key": key, "anthropic-version": "2023-06-01"}


def chat_body(text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}], **extra}


def messages_body(text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {
        "model": "mock-chat",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }


def create_key(client: httpx.Client, **body: Any) -> dict[str, Any]:
    body.setdefault("name", "test")
    r = client.post("/v1/keys", json=body, headers=bearer())
    assert r.status_code == 201, r.text
    return dict(r.json())


class FakeRequest:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method, self.path, self.headers, self.body = method, path, headers, body


Handler = Callable[[FakeRequest], Awaitable[tuple[int, dict[str, str], bytes | list[bytes]]]]


def fake_upstream_app(handler: Handler) -> Any:
    """A tiny ASGI upstream: ``await handler(request) -> (status, headers, body)``; a body
    given as a list of parts is sent part by part, 0.5 s apart (separate reads upstream)."""

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        status, out_headers, out = await handler(
            FakeRequest(scope["method"], scope["path"], headers, body)
        )
        raw = [(k.encode(), v.encode()) for k, v in out_headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        parts = out if isinstance(out, list) else [out]
        for i, part in enumerate(parts):
            if i:
                await asyncio.sleep(0.5)
            more = i < len(parts) - 1
            await send({"type": "http.response.body", "body": part, "more_body": more})

    return app


def json_reply(status: int, value: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json"}, orjson.dumps(value)


@pytest.fixture
def inproc() -> Callable[..., Any]:
    """Factory: ``async with inproc(handler, ...) as client`` -- an in-process proxy (httpx
    ASGITransport) whose upstream is ``handler`` served on loopback (or a dead port, None)."""

    @contextlib.asynccontextmanager
    async def make(
        handler: Handler | None,
        fmt: str = "openai",
        provider: dict[str, Any] | None = None,
        **config: Any,
    ) -> AsyncIterator[httpx.AsyncClient]:
        with contextlib.ExitStack() as stack:
            if handler is None:
                sock = stack.enter_context(socket.socket())
                sock.bind(("127.0.0.1", 0))  # bound, never listening: connection refused
                url = f"http://127.0.0.1:{sock.getsockname()[1]}"
            else:
                url = stack.enter_context(serve_in_thread(fake_upstream_app(handler)))
            raw = {
                "provider": [{"name": "up", "format": fmt, "base-url": url, "models": ["m"],
                              **(provider or {})}],
                "aliases": {"gpt-4o-mini": "up/m"},
                **config,
            }
            app = create_app(parse_config(raw), admin_key=ADMIN)
            try:
                async with httpx.AsyncClient(
                    transport=httpx.ASGITransport(app), base_url="http://proxy", timeout=30
                ) as client:
                    yield client
            finally:
                await app.aclose()

    return make


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
