"""Bad input the proxy once answered with a 5xx (issue 12), each now a 4xx naming the field.

And the read path of the key store: a row the proxy cannot render (written by an older
version, or by hand) never breaks ``GET /v1/keys`` or authentication, across restarts.
"""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from gatecheck.proxy import KeyStore, create_app, parse_config
from gatecheck.schemas import validate

from .conftest import ADMIN, bearer, chat_body, create_key, messages_body, xkey
from .test_auth_keys import assert_envelope

SECRET = "sk-live-0123456789abcdef0123456789abcdef"  # must never come back in an answer
ROUTES = [
    ("/v1/chat/completions", "openai", chat_body, bearer),
    ("/v1/messages", "anthropic", messages_body, xkey),
    ("/v1/messages/count_tokens", "anthropic", messages_body, xkey),
]


def _names(answer: httpx.Response, surface: str, field: str) -> None:
    """The 400 names ``field`` (OpenAI: in ``param``; Anthropic: in the message)."""
    body = answer.json()
    if surface == "openai":
        assert body["error"]["param"] == field, body
    else:
        assert field in body["error"]["message"], body
    assert SECRET not in answer.text


@pytest.mark.parametrize("expiry", [{"expires_at": 1e308}, {"expires_at": 253402300800},
                                    {"expires_at": "10000-01-01T00:00:00Z"},
                                    {"expires_in": 1e308}, {"expires_in": 10**19}])
def test_keys_unrepresentable_expiry_is_400_and_nothing_is_stored(client, expiry):
    name = f"far-{sorted(expiry.items())}"
    r = client.post("/v1/keys", json={"name": name, **expiry}, headers=bearer())
    body = assert_envelope(r, "openai", 400)
    assert body["error"]["param"] == next(iter(expiry))
    listing = client.get("/v1/keys", headers=bearer())
    assert listing.status_code == 200, listing.text
    assert name not in {key["name"] for key in listing.json()["data"]}


def test_keys_latest_representable_expiry_is_accepted(client):
    key = create_key(client, expires_at="9999-12-31T23:59:59Z")
    assert key["expires_at"] == "9999-12-31T23:59:59Z"
    assert client.get("/v1/keys", headers=bearer()).status_code == 200


@pytest.mark.parametrize("permissions", [[{}], [["chat"]], [None], [1], [True], "chat"])
@pytest.mark.parametrize("style", ["openai", "anthropic"])
def test_keys_permissions_not_names_is_400(client, permissions, style):
    headers = bearer() if style == "openai" else xkey()
    r = client.post("/v1/keys", json={"name": "p", "permissions": permissions}, headers=headers)
    assert_envelope(r, style, 400)
    _names(r, style, "permissions")


@pytest.mark.parametrize("role", [["user"], {"role": "user"}, [SECRET], {SECRET: 1}])
@pytest.mark.parametrize(("path", "surface", "body", "auth"), ROUTES)
def test_role_not_a_string_is_400_naming_it(client, path, surface, body, auth, role):
    sent = body()
    sent["messages"] = [{"role": role, "content": "hi"}]
    r = client.post(path, json=sent, headers=auth())
    assert_envelope(r, surface, 400, "invalid_request_error")
    _names(r, surface, "messages[0].role")


OPENAI_TOOLS = [
    ([{"type": "function", "function": {"name": 123}}], "tools[0].function.name"),
    ([{"type": "function", "function": {"name": [SECRET]}}], "tools[0].function.name"),
    ([{"type": "function", "function": {}}], "tools[0].function.name"),
    ([{"type": "function", "function": "lookup"}], "tools[0].function"),
    ([{"type": "function", "function": {"name": "f", "parameters": "{}"}}],
     "tools[0].function.parameters"),
]
ANTHROPIC_TOOLS = [
    ([{"name": 123, "input_schema": {}}], "tools[0].name"),
    ([{"name": {SECRET: 1}}], "tools[0].name"),
    ([{"input_schema": {}}], "tools[0].name"),
    ([{"name": "f", "input_schema": []}], "tools[0].input_schema"),
]


@pytest.mark.parametrize(("tools", "field"), OPENAI_TOOLS)
@pytest.mark.parametrize("choice", [None, "required"])
def test_openai_tool_malformed_is_400_naming_it(client, tools, field, choice):
    sent = chat_body(tools=tools, **({"tool_choice": choice} if choice else {}))
    r = client.post("/v1/chat/completions", json=sent, headers=bearer())
    assert_envelope(r, "openai", 400, "invalid_request_error")
    _names(r, "openai", field)


@pytest.mark.parametrize(("tools", "field"), ANTHROPIC_TOOLS)
@pytest.mark.parametrize("path", ["/v1/messages", "/v1/messages/count_tokens"])
def test_anthropic_tool_malformed_is_400_naming_it(client, path, tools, field):
    sent = messages_body(tools=tools, tool_choice={"type": "any"})
    r = client.post(path, json=sent, headers=xkey())
    assert_envelope(r, "anthropic", 400, "invalid_request_error")
    _names(r, "anthropic", field)


@pytest.mark.parametrize(("path", "surface", "choice", "field"), [
    ("/v1/chat/completions", "openai", {"type": "function", "function": 3},
     "tool_choice.function"),
    ("/v1/chat/completions", "openai", {"type": "function", "function": {"name": 3}},
     "tool_choice.function.name"),
    ("/v1/chat/completions", "openai", 3, "tool_choice"),
    ("/v1/messages", "anthropic", "auto", "tool_choice"),
    ("/v1/messages", "anthropic", {"type": "tool", "name": 3}, "tool_choice.name"),
])
def test_tool_choice_malformed_is_400_naming_it(client, path, surface, choice, field):
    tools = ([{"type": "function", "function": {"name": "f"}}] if surface == "openai"
             else [{"name": "f", "input_schema": {"type": "object"}}])
    sent = (chat_body if surface == "openai" else messages_body)(tools=tools, tool_choice=choice)
    r = client.post(path, json=sent, headers=bearer() if surface == "openai" else xkey())
    assert_envelope(r, surface, 400, "invalid_request_error")
    _names(r, surface, field)


# -- the read path: rows the proxy cannot render -------------------------------------------

BAD_ROWS = [  # (id, name, digest, permissions, created_at, expires_at, revoked_at, rate_limits)
    ("key_far", "far", b"\x01" * 32, "chat", 1.0, 1e308, None, None),
    ("key_past", "past", b"\x02" * 32, "chat", -1e308, None, None, None),
    ("key_text", b"\xffblob-name", "not-a-digest", 7, "yesterday", "never", "no", "{not json"),
    ("key_limits", "limits", b"\x03" * 32, "chat,root", 1.0, None, None, "[1, 2]"),
    (9, 9, b"\x04" * 32, "", 1.0, None, None, '{"requests_per_minute": "many"}'),
]


def _proxy(path) -> httpx.AsyncClient:
    config = parse_config({"provider": [{"name": "up", "format": "openai",
                                         "base-url": "http://127.0.0.1:9", "models": ["m"]}]})
    app = create_app(config, admin_key=ADMIN, store=KeyStore(path))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://proxy",
                             timeout=10)


@pytest.mark.anyio
async def test_keys_listing_survives_rows_it_cannot_render_across_restarts(tmp_path):
    path = tmp_path / "state" / "proxy.sqlite"
    store = KeyStore(path)
    good, record = store.create("good", frozenset({"chat"}))
    store.close()
    with sqlite3.connect(path) as db:  # what an older proxy (or a hand edit) left behind
        db.executemany("INSERT INTO keys VALUES (?, ?, ?, ?, ?, ?, ?, ?)", BAD_ROWS)
        db.execute("INSERT INTO keys VALUES ('key_utf8', CAST(x'ff41' AS TEXT), x'05', 'chat',"
                   " 1.0, NULL, NULL, NULL)")  # a name that is not UTF-8
    expected = {record.id, "key_far", "key_past", "key_text", "key_limits", "9", "key_utf8"}
    for _ in range(2):  # and again after a restart
        async with _proxy(path) as proxy:
            listing = await proxy.get("/v1/keys", headers=bearer())
            assert listing.status_code == 200, listing.text
            keys = {k["id"]: k for k in listing.json()["data"]}
            assert set(keys) == expected
            assert not validate("gatecheck/key", keys[record.id])
            assert keys["key_far"]["expires_at"] == "9999-12-31T23:59:59Z"
            assert keys["key_past"]["created_at"] == "0001-01-01T00:00:00Z"
            assert keys["key_text"]["revoked"] is True  # unreadable: fail closed
            assert keys["key_limits"]["rate_limits"] is None
            assert keys["key_utf8"]["name"] == "\ufffdA"
            # the good key still authenticates; usage still lists every key
            assert (await proxy.get("/v1/models", headers=bearer(good))).status_code == 200
            usage = await proxy.get("/v1/usage", headers=bearer())
            assert usage.status_code == 200, usage.text
            created = await proxy.post("/v1/keys", json={"name": "new"}, headers=bearer())
            assert created.status_code == 201, created.text
            expected.add(created.json()["id"])
            revoked = await proxy.delete("/v1/keys/key_far", headers=bearer())
            assert revoked.status_code == 200, revoked.text


@pytest.mark.parametrize(("path", "surface", "body", "auth"), ROUTES)
def test_translator_refusals_never_echo_a_pasted_key(client, stack, path, surface, body, auth):
    """A block type the other format lacks is refused by the translator, which quotes it:
    the quote goes through the redactor."""
    sent = body()
    sent["messages"] = [{"role": "user", "content": [{"type": SECRET, "text": "hi"}]}]
    r = client.post(path, json=sent, headers=auth())
    assert r.status_code in (200, 400), r.text
    assert SECRET not in r.text
    if stack.proxy.config.providers[0].format != surface:  # translated: refused
        assert_envelope(r, surface, 400, "invalid_request_error")
