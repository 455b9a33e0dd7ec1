"""Authentication and the keys API: AUTH-1..8, key lifecycle, usage per key."""

from __future__ import annotations

import sqlite3
import time

import httpx
import pytest

from gatecheck.proxy.keystore import KeyStore, digest_key

from .conftest import ADMIN, bearer, chat_body, create_key, messages_body, xkey

ROUTES = [
    ("/v1/chat/completions", "openai", chat_body()),
    ("/v1/messages", "anthropic", messages_body()),
]


def assert_envelope(r: httpx.Response, surface: str, status: int, etype: str | None = None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    if surface == "openai":
        assert set(body["error"]) == {"message", "type", "param", "code"}
        assert body["error"]["code"] is None or isinstance(body["error"]["code"], str)
        if etype:
            assert body["error"]["type"] == etype
    else:
        assert body["type"] == "error"
        assert set(body["error"]) >= {"type", "message"}
        assert body["request_id"] == r.headers["request-id"]
        if etype:
            assert body["error"]["type"] == etype
    return body


@pytest.mark.parametrize(("path", "surface", "body"), ROUTES)
def test_auth_missing_key_401_AUTH_3(client, path, surface, body):
    r = client.post(path, json=body)
    assert_envelope(r, surface, 401, "authentication_error" if surface == "anthropic" else None)


@pytest.mark.parametrize(("path", "surface", "body"), ROUTES)
@pytest.mark.parametrize("style", ["bearer", "x-api-key"])
def test_auth_invalid_key_401_never_echoed_AUTH_4_AUTH_8(client, path, surface, body, style):
    wrong = "gk-thisKeyDoesNotExist0123456789abcdefXYZ"
    headers = bearer(wrong) if style == "bearer" else xkey(wrong)
    r = client.post(path, json=body, headers=headers)
    assert_envelope(r, surface, 401)
    assert wrong not in r.text
    assert wrong[3:20] not in r.text


@pytest.mark.parametrize(("path", "surface", "body"), ROUTES)
@pytest.mark.parametrize("style", ["bearer", "x-api-key"])
def test_auth_both_header_styles_on_both_surfaces_AUTH_1_AUTH_2(client, path, surface, body, style):
    key = create_key(client, permissions=["chat"])["key"]
    headers = bearer(key) if style == "bearer" else xkey(key)
    r = client.post(path, json=body, headers=headers)
    assert r.status_code == 200, r.text


def test_auth_bearer_scheme_is_case_insensitive_AUTH_1(client):
    headers = {"authorization": f"bearer {ADMIN}"}
    r = client.post("/v1/chat/completions", json=chat_body(), headers=headers)
    assert r.status_code == 200


@pytest.mark.parametrize(("path", "surface", "body"), ROUTES)
def test_auth_revoked_key_401_AUTH_4(client, path, surface, body):
    created = create_key(client)
    assert client.post(path, json=body, headers=bearer(created["key"])).status_code == 200
    r = client.delete(f"/v1/keys/{created['id']}", headers=bearer())
    assert r.status_code == 200
    assert r.json()["deleted"] is True
    r = client.post(path, json=body, headers=bearer(created["key"]))
    assert_envelope(r, surface, 401)


def test_auth_expired_key_401_AUTH_4(client):
    created = create_key(client, expires_in=0.2)
    time.sleep(0.3)  # past its expiry (waiting longer can only keep it expired)
    r = client.post("/v1/chat/completions", json=chat_body(), headers=bearer(created["key"]))
    assert_envelope(r, "openai", 401)
    future = create_key(client, expires_in=3600)
    r = client.post("/v1/chat/completions", json=chat_body(), headers=bearer(future["key"]))
    assert r.status_code == 200


@pytest.mark.parametrize(("path", "surface", "body"), ROUTES)
def test_auth_without_permission_403_AUTH_5(client, path, surface, body):
    admin_only = create_key(client, permissions=["admin"])["key"]
    r = client.post(path, json=body, headers=bearer(admin_only))
    assert_envelope(r, surface, 403, "permission_error")


def test_keys_api_needs_admin_403_for_chat_keys(client):
    chat = create_key(client)["key"]
    r = client.post("/v1/keys", json={"name": "x"}, headers=bearer(chat))
    assert_envelope(r, "openai", 403)
    r = client.get("/v1/keys", headers=bearer(chat))
    assert r.status_code == 403
    assert client.get("/v1/keys").status_code == 401


def test_keys_create_shows_key_once_and_list_has_no_secrets(client):
    created = create_key(client, name="shown-once", permissions=["chat", "admin"],
                         rate_limits={"requests_per_minute": 5, "tokens_per_minute": 1000})
    assert created["key"].startswith("gk-")
    assert len(created["key"]) > 40
    assert created["rate_limits"] == {"requests_per_minute": 5, "tokens_per_minute": 1000}
    r = client.get("/v1/keys", headers=bearer())
    assert r.status_code == 200
    assert created["key"] not in r.text
    listed = {k["id"]: k for k in r.json()["data"]}
    assert listed[created["id"]]["name"] == "shown-once"
    assert "key" not in listed[created["id"]]
    assert "digest" not in listed[created["id"]]
    assert listed[created["id"]]["permissions"] == ["admin", "chat"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x", "permissions": ["root"]},
        {"name": "x", "permissions": []},
        {"name": "x", "expires_at": "tomorrow"},
        {"name": "x", "expires_in": -1},
        {"name": "x", "expires_at": "2001-01-01T00:00:00Z"},
        {"name": "x", "expires_at": 1_000_000_000},
        {"name": "x", "rate_limits": {"requests_per_fortnight": 1}},
        {"name": "x", "rate_limits": {"requests_per_minute": 0}},
    ],
)
def test_keys_create_rejects_bad_bodies_400(client, body):
    r = client.post("/v1/keys", json=body, headers=bearer())
    assert_envelope(r, "openai", 400)


def test_keys_delete_unknown_404(client):
    r = client.delete("/v1/keys/key_doesnotexist", headers=bearer())
    assert_envelope(r, "openai", 404)


def test_usage_counts_requests_and_exact_tokens(client, stack):
    key = create_key(client)
    headers = bearer(key["key"])
    ok = client.post("/v1/chat/completions", json=chat_body("count me"), headers=headers)
    assert ok.status_code == 200
    bad = client.post("/v1/chat/completions", json=chat_body("[[mock fault=429]]"), headers=headers)
    assert bad.status_code == 429
    streamed = client.post(
        "/v1/messages", json=messages_body("again", stream=True), headers=xkey(key["key"])
    )
    assert streamed.status_code == 200
    r = client.get("/v1/usage", headers=headers)  # a chat key sees its own usage
    assert r.status_code == 200
    (row,) = r.json()["data"]
    assert row["key_id"] == key["id"]
    assert (row["requests"], row["successes"], row["failures"]) == (3, 2, 1)
    usage = ok.json()["usage"]
    assert row["input_tokens"] > usage["prompt_tokens"]
    assert row["output_tokens"] > usage["completion_tokens"]
    every = client.get("/v1/usage", headers=bearer()).json()["data"]
    assert any(r["key_id"] == key["id"] for r in every)


def test_keystore_stores_only_digests_and_survives_restart(tmp_path):
    path = tmp_path / "state" / "proxy.sqlite"
    store = KeyStore(path)
    key, record = store.create("persist", frozenset({"chat"}))
    store.record_usage(record.id, True, 3, 4)
    store.close()
    raw = sqlite3.connect(path).execute("SELECT * FROM keys").fetchall()
    assert key not in repr(raw)
    assert key.encode() not in b"".join(
        v for row in raw for v in row if isinstance(v, bytes)
    )
    assert raw[0][2] == digest_key(key)
    reopened = KeyStore(path)
    assert reopened.lookup(key) is not None
    assert reopened.usage()[record.id]["output_tokens"] == 4
    assert reopened.lookup(key + "x") is None


def test_keystore_sees_revocation_by_another_process(tmp_path):
    path = tmp_path / "proxy.sqlite"
    a, b = KeyStore(path), KeyStore(path)
    key, record = a.create("shared", frozenset({"chat"}))
    b._checked_at = 0.0
    assert b.lookup(key) is not None
    a.revoke(record.id)
    b._checked_at = 0.0  # the reload check runs at most once a second
    assert b.lookup(key) is None


@pytest.mark.parametrize(("path", "surface", "body"), ROUTES)
def test_auth_two_different_keys_401_same_key_twice_ok_AUTH_2(client, path, surface, body):
    """A bad Bearer beside a good x-api-key (or the reverse) is refused: the keys disagree."""
    headers = {"anthropic-version": "2023-06-01"} if surface == "anthropic" else {}
    for bearer_key, x_key in [("gk-wrong", ADMIN), (ADMIN, "gk-wrong")]:
        both = {**headers, "authorization": f"Bearer {bearer_key}", "x-api-key": x_key}
        r = client.post(path, json=body, headers=both)
        error = assert_envelope(r, surface, 401)["error"]
        assert "Two different API keys" in error["message"]
        assert ADMIN not in r.text
        assert "gk-wrong" not in r.text
    r = client.post(path, json=body, headers={**headers, "authorization": f"Bearer {ADMIN}",
                                              "x-api-key": ADMIN})
    assert r.status_code == 200


def test_keys_past_expiry_is_400_naming_expires_at(client):
    r = client.post("/v1/keys", json={"name": "x", "expires_at": "2001-01-01T00:00:00Z"},
                    headers=bearer())
    error = assert_envelope(r, "openai", 400)["error"]
    assert error["param"] == "expires_at"
    assert "in the past" in error["message"]


def test_keys_expiry_as_rfc3339_and_usage_filter_by_key_id(client):
    live = create_key(client, expires_at="2999-01-01T00:00:00+00:00")
    r = client.post("/v1/chat/completions", json=chat_body(), headers=bearer(live["key"]))
    assert r.status_code == 200
    rows = client.get(f"/v1/usage?key_id={live['id']}", headers=bearer()).json()["data"]
    assert [(row["key_id"], row["requests"], row["successes"]) for row in rows] == [
        (live["id"], 1, 1)]


def test_keystore_keeps_answering_from_cache_when_sqlite_fails_AUTH_6(tmp_path, caplog):
    store = KeyStore(tmp_path / "proxy.sqlite")
    key, _ = store.create("cached", frozenset({"chat"}))

    class Broken:
        def execute(self, *args):
            raise sqlite3.OperationalError("database is locked")

    real, store._db = store._db, Broken()
    store._checked_at = 0.0
    try:
        assert store.lookup(key) is not None
        assert store.lookup("gk-unknown") is None
        assert "using cached keys" in caplog.text
    finally:
        store._db = real
        store.close()
