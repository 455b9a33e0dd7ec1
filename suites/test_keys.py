"""Keys: create a chat key with the admin key, use it, list it, revoke it (feature keys).

Key management has no vendor spec; the lifecycle is judged by the checklist items it
exercises: a working key is accepted (AUTH-1), listings never show it again (AUTH-8), a
revoked key is a wrong key (AUTH-4), and creating keys needs credentials (AUTH-3).
"""

from __future__ import annotations

from gatecheck.checks import auth, check, expect, keys
from gatecheck.checks.support import PATHS, auth_as, body_for, conforms, no_auth


def _create(admin_client, name, profile, record_exchange):
    response = admin_client.request("POST", "/v1/keys",
                                    json={"name": name, "permissions": ["chat"]})
    record_exchange(response.exchange)
    body = keys.key_created(response, prefix=None)
    conforms("gatecheck/key-created", body, profile=profile, what="created key",
             exchange=response.exchange)
    return body


@check("AUTH-1", level="MUST", category="Keys", feature="keys", surface="openai",
       title="A freshly created chat key works at once")
def test_keys_new_key_works(client, admin_client, target, chat_model, profile, record_exchange):
    created = _create(admin_client, "gatecheck-new", profile, record_exchange)
    try:
        keys.key_created(_Again(created), prefix=target.auth.key_prefix)
        response = client.request("POST", PATHS["openai"], auth=auth_as("bearer", created["key"]),
                                  json=body_for("openai", chat_model, max_tokens=1))
        record_exchange(response.exchange)
        auth.credentials_accepted(response, "a new chat key")
    finally:
        admin_client.request("DELETE", f"/v1/keys/{created['id']}")


class _Again:
    """The creation body seen again as a 201 response (to judge its prefix)."""

    def __init__(self, body):
        import orjson

        self.status, self.headers, self.exchange = 201, {}, None
        self.content = orjson.dumps(body)


@check("AUTH-8", level="SHOULD", category="Keys", feature="keys",
       title="Key listings never show a key's secret again")
def test_keys_listing_hides_secret(admin_client, profile, record_exchange):
    created = _create(admin_client, "gatecheck-list", profile, record_exchange)
    try:
        listing = admin_client.request("GET", "/v1/keys")
        record_exchange(listing.exchange)
        keys.key_listing_hides_secrets(listing, created["key"])
        conforms("gatecheck/key-list", listing.json(), profile=profile, what="key list",
                 exchange=listing.exchange)
    finally:
        admin_client.request("DELETE", f"/v1/keys/{created['id']}")


@check("AUTH-4", level="MUST", category="Keys", feature="keys", surface="openai",
       title="A revoked key is refused like a wrong key")
def test_keys_revoked_key_refused(client, admin_client, target, chat_model, profile,
                                  record_exchange):
    created = _create(admin_client, "gatecheck-revoke", profile, record_exchange)
    revoked = admin_client.request("DELETE", f"/v1/keys/{created['id']}")
    record_exchange(revoked.exchange)
    keys.key_revoked(revoked)
    response = client.request("POST", PATHS["openai"], auth=auth_as("bearer", created["key"]),
                              json=body_for("openai", chat_model, max_tokens=1))
    record_exchange(response.exchange)
    auth.credentials_rejected("openai", response, why="revoked key",
                              sent_secret=created["key"])


@check("AUTH-3", level="MUST", category="Keys", feature="keys",
       title="Creating a key without credentials, or with a chat key, is refused")
def test_keys_create_needs_admin(client, target, record_exchange):
    response = client.request("POST", "/v1/keys", auth=no_auth(),
                              json={"name": "gatecheck-anon", "permissions": ["chat", "admin"]})
    record_exchange(response.exchange)
    auth.credentials_rejected("openai", response, why="key creation without credentials")
    response = client.request("POST", "/v1/keys",
                              json={"name": "gatecheck-escalate", "permissions": ["admin"]})
    record_exchange(response.exchange)
    expect(response.status in (401, 403), "a chat key could create keys",
           expected="403 (or 401)", observed=f"{response.status} {response.text[:160]}",
           exchange=response.exchange)
