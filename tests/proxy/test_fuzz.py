"""Hypothesis: no body gets a 5xx or a 200 with an error from the proxy (ERR-4, ERR-6).

Over both upstream formats (the ``client`` fixture), every route that reads a body: chat
completions, messages, count_tokens, and the keys routes. The bodies come from
``tests/_fuzz.py``: the request schemas' strategies, the same with one node at any depth
replaced by any JSON value, any JSON value, raw bytes, and a list of hand-picked hostile
cases. A 4xx must be in the envelope of the route's surface (the keys routes: by header).
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatecheck.schemas import validate
from tests._fuzz import HOSTILE, fuzz_settings, judge, key_bodies, key_hostile, route_bodies

from .conftest import bearer, xkey

ROUTES = {  # route -> (path, surface of its bodies and envelope, auth headers)
    "chat": ("/v1/chat/completions", "openai", bearer()),
    "messages": ("/v1/messages", "anthropic", xkey()),
    "count_tokens": ("/v1/messages/count_tokens", "anthropic", xkey()),
}
JSON_TYPE = {"content-type": "application/json"}


@pytest.fixture
def client(stack):
    """A raw client on the proxy; every request bounded by a 10 s timeout."""
    with httpx.Client(base_url=stack.proxy_url, timeout=10.0) as c:
        yield c


scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 5000), st.floats(-2, 3),
                    st.text(max_size=12))
blocks = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "image", "tool_use", "tool_result", "image_url",
                              "input_audio", "nonsense"])},
    optional={"text": scalars, "id": scalars, "name": scalars, "input": st.one_of(
        scalars, st.dictionaries(st.text(max_size=4), scalars, max_size=2)),
        "tool_use_id": scalars, "content": scalars, "image_url": scalars, "source": scalars},
)
content = st.one_of(scalars, st.lists(st.one_of(blocks, scalars), max_size=3))
message = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system", "tool", "developer", "x"])},
    optional={"content": content, "tool_calls": st.one_of(scalars, st.lists(
        st.dictionaries(st.sampled_from(["id", "type", "function"]), st.one_of(
            scalars, st.dictionaries(st.sampled_from(["name", "arguments"]), scalars)),
            max_size=3), max_size=2)), "tool_call_id": scalars, "name": scalars},
)
bodies = st.fixed_dictionaries(
    {"model": st.sampled_from(["gpt-4o-mini", "mock-chat", "claude-3-5-haiku-latest"]),
     "messages": st.lists(message, min_size=1, max_size=4)},
    optional={
        "max_tokens": st.one_of(st.integers(1, 40), scalars),
        "stream": st.one_of(st.booleans(), scalars),
        "stop": st.one_of(scalars, st.lists(st.text(max_size=3), max_size=2)),
        "stop_sequences": st.one_of(scalars, st.lists(st.text(max_size=3), max_size=2)),
        "temperature": scalars,
        "system": st.one_of(scalars, st.lists(blocks, max_size=2)),
        "tools": st.one_of(scalars, st.lists(st.dictionaries(
            st.sampled_from(["type", "name", "function", "input_schema"]), scalars,
            max_size=3), max_size=2)),
        "tool_choice": st.one_of(scalars, st.dictionaries(
            st.sampled_from(["type", "name", "function"]), scalars, max_size=2)),
        "n": scalars,
    },
)


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
@fuzz_settings(40)
@given(body=bodies)
def test_malformed_bodies_never_5xx_ERR_4_ERR_6(client, surface, body):
    path, _, headers = ROUTES["chat" if surface == "openai" else "messages"]
    sent = orjson.dumps(body)
    judge(client.post(path, content=sent, headers=headers), surface, sent)


@pytest.mark.parametrize("route", list(ROUTES))
def test_fuzzed_bodies_never_5xx(client, route):
    path, surface, headers = ROUTES[route]

    @fuzz_settings(75)
    @given(sent=route_bodies(surface))
    def check(sent: bytes) -> None:
        judge(client.post(path, content=sent, headers={**headers, **JSON_TYPE}), surface, sent)

    check()


@pytest.mark.parametrize("route", list(ROUTES))
def test_hostile_bodies_never_5xx(client, route):
    """Every hand-picked case (tests/_fuzz.py HOSTILE); all failures reported at once."""
    path, surface, headers = ROUTES[route]
    failures = []
    for label, sent, extra in HOSTILE[surface]:
        response = client.post(path, content=sent, headers={**headers, **JSON_TYPE, **extra})
        try:
            judge(response, surface, sent)
        except AssertionError as exc:
            failures.append(f"{label}: {exc}")
    assert not failures, "\n".join(failures)


def test_key_routes_never_5xx_and_the_listing_survives(client):
    """POST and DELETE /v1/keys with any body or id; GET /v1/keys still renders after."""
    created = []

    @fuzz_settings(100)
    @given(sent=key_bodies(), anthropic=st.booleans())
    def create(sent: bytes, anthropic: bool) -> None:
        headers = {**(xkey() if anthropic else bearer()), **JSON_TYPE}
        response = client.post("/v1/keys", content=sent, headers=headers)
        judge(response, "anthropic" if anthropic else "openai", sent)
        if response.status_code == 201:
            created.append(response.json()["id"])

    @fuzz_settings(30)
    @given(key_id=st.text(max_size=40), anthropic=st.booleans())
    def delete(key_id: str, anthropic: bool) -> None:
        headers = xkey() if anthropic else bearer()
        response = client.delete("/v1/keys/" + quote(key_id, safe=""), headers=headers)
        judge(response, "anthropic" if anthropic else "openai", key_id.encode())

    create()
    delete()
    failures = []
    for label, sent in key_hostile():
        for anthropic in (False, True):
            headers = {**(xkey() if anthropic else bearer()), **JSON_TYPE}
            response = client.post("/v1/keys", content=sent, headers=headers)
            try:
                judge(response, "anthropic" if anthropic else "openai", sent)
            except AssertionError as exc:
                failures.append(f"{label}: {exc}")
            if response.status_code == 201:
                created.append(response.json()["id"])
    assert not failures, "\n".join(failures)
    listing = client.get("/v1/keys", headers=bearer())
    assert listing.status_code == 200, listing.text
    assert not validate("gatecheck/key-list", listing.json())
    assert set(created) <= {key["id"] for key in listing.json()["data"]}
    for key_id in created[:5]:  # the created keys revoke cleanly
        assert client.delete(f"/v1/keys/{key_id}", headers=bearer()).status_code == 200

