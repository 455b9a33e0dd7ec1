"""Hypothesis: no body gets a 5xx (or a crash) from the mock; a 4xx is its surface's envelope.

The mock speaks to gateways, and a gateway forwards what its clients send: a body that
crashes the mock is a 502 at the gateway and a failure blamed on the wrong party. Same
bodies as the proxy's fuzz test (``tests/_fuzz.py``), sent straight to the mock's three
model routes.
"""

from __future__ import annotations

from dataclasses import fields

import httpx
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatecheck.mock import Directive, MockConfig, create_app
from tests._fuzz import HOSTILE, fuzz_settings, judge, route_bodies

ROUTES = {  # route -> (path, surface)
    "chat": ("/v1/chat/completions", "openai"),
    "messages": ("/v1/messages", "anthropic"),
    "count_tokens": ("/v1/messages/count_tokens", "anthropic"),
}
JSON_TYPE = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def http(mock_url):
    """Every request bounded by a 10 s timeout."""
    with httpx.Client(base_url=mock_url, timeout=10.0) as client:
        yield client


@pytest.mark.parametrize("route", list(ROUTES))
def test_fuzzed_bodies_never_5xx(http, route):
    path, surface = ROUTES[route]

    @fuzz_settings(100)
    @given(sent=route_bodies(surface))
    def check(sent: bytes) -> None:
        judge(http.post(path, content=sent, headers=JSON_TYPE), surface, sent)

    check()


@pytest.mark.parametrize("route", list(ROUTES))
def test_hostile_bodies_never_5xx(http, route):
    """Every hand-picked case (tests/_fuzz.py HOSTILE); all failures reported at once."""
    path, surface = ROUTES[route]
    failures = []
    for label, sent, extra in HOSTILE[surface]:
        response = http.post(path, content=sent, headers={**JSON_TYPE, **extra})
        try:
            judge(response, surface, sent)
        except AssertionError as exc:
            failures.append(f"{label}: {exc}")
    assert not failures, "\n".join(failures)


PAIRS = st.tuples(
    st.sampled_from([*(f.name for f in fields(Directive)), "bogus"]),
    st.one_of(st.text(max_size=6), st.integers(-5, 10**6).map(str),
              st.sampled_from(["²", "١٢", "nan", "inf", "1e3", '"x"', "'y'", '{"a":1}', "[1]",
                               '"\\ud800"', "4xx", "500", "reset", "99999999999999999999"])),
).map("=".join)


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_directive_text_never_crashes_the_plan(surface):
    """A ``[[mock ...]]`` directive with any keys and values plans a reply or a 400: faults
    it asks for are the point of a directive (so not sent over HTTP here), a crash is not."""
    mock = create_app(MockConfig())
    plan = mock.openai.plan if surface == "openai" else mock.anthropic.plan
    tool = {"name": "lookup", "description": "d", "input_schema": {"type": "object"}}
    tools = [{"type": "function", "function": {**tool, "parameters": tool.pop("input_schema")}}
             if surface == "openai" else tool]

    @fuzz_settings(200)
    @given(pairs=st.lists(PAIRS, max_size=4), stream=st.booleans(), with_tools=st.booleans())
    def check(pairs: list[str], stream: bool, with_tools: bool) -> None:
        text = "[[mock " + " ".join(pairs) + "]]"
        body = {"model": "mock-chat", "max_tokens": 16, "stream": stream,
                "messages": [{"role": "user", "content": text}]}
        if with_tools:
            body["tools"] = tools
        result = plan(orjson.dumps(body), mock.config)
        assert result.status in (200, 400, 404), (text, result.status)

    check()
