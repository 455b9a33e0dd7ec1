"""HEAD is answered wherever GET is (no body, the GET's headers) and listed in Allow."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from gatecheck.embedded import EmbeddedStack

from .conftest import bearer


@pytest.fixture
def proxy(openai_stack: EmbeddedStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=openai_stack.proxy_url, timeout=30.0) as c:
        yield c


@pytest.mark.parametrize("path", ["/health/live", "/health", "/v1/models", "/v1/models/gpt-4o-mini",
                                  "/v1/keys"])
def test_head_answers_like_get_without_a_body(proxy, path):
    get = proxy.get(path, headers={**bearer(), "accept-encoding": "identity"})
    head = proxy.head(path, headers={**bearer(), "accept-encoding": "identity"})
    assert get.status_code == 200
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    if path in ("/health", "/v1/keys"):  # live figures (uptime, key list) vary in length
        assert int(head.headers["content-length"]) > 0
    else:
        assert head.headers["content-length"] == get.headers["content-length"]


def test_head_needs_the_same_auth_as_get(proxy):
    assert proxy.head("/v1/models").status_code == proxy.get("/v1/models").status_code == 401


def test_allow_lists_head_where_get_is_allowed(proxy):
    r = proxy.post("/v1/models", headers=bearer())
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, OPTIONS"
    r = proxy.options("/health/live")
    assert "HEAD" in r.headers["allow"].split(", ")


def test_head_on_a_post_only_route_is_405_without_head_in_allow(proxy):
    r = proxy.head("/v1/chat/completions", headers=bearer())
    assert r.status_code == 405
    assert r.headers["allow"] == "POST, OPTIONS"
