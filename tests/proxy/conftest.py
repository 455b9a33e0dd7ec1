"""Fixtures: the embedded stack (mock + proxy on loopback) over both upstream formats,
and an in-process proxy whose upstream is an httpx handler (for faults the mock lacks)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gatecheck.embedded import EmbeddedStack, start_embedded
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


Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def inproc() -> Callable[..., httpx.AsyncClient]:
    """Factory: an AsyncClient on an in-process proxy whose upstream is ``handler``."""

    def make(handler: Handler, fmt: str = "openai", **config: Any) -> httpx.AsyncClient:
        raw = {
            "provider": [
                {"name": "up", "format": fmt, "base-url": "http://upstream", "models": ["m"]}
            ],
            "aliases": {"gpt-4o-mini": "up/m"},
            **config,
        }
        app = create_app(
            parse_config(raw), admin_key=ADMIN, transport=httpx.MockTransport(handler)
        )
        return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://proxy")

    return make


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
