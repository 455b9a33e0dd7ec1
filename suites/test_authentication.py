"""Authentication: both header styles, missing / malformed / wrong keys, permissions (AUTH-*)."""

from __future__ import annotations

import secrets

import pytest

from gatecheck.checks import auth, cases, check, cors, expect, inconclusive, note_behaviour
from gatecheck.checks.support import (
    PATHS,
    auth_as,
    auth_for,
    body_for,
    directive,
    headers_for,
    no_auth,
    nonce,
    require_credentials,
    response_json,
    takes_credentials,
)

# What applies to a gateway without credentials of its own too: AUTH-3 says once that it
# takes none (_missing); the preflight, anthropic-version and passthrough checks need no key.
_WITHOUT_CREDENTIALS = ("test_auth3_missing", "test_auth7_", "test_auth9_", "test_auth10_")


@pytest.fixture(autouse=True)
def _credentials(request, target):
    """The checks here judge how credentials are handled: none taken, none to judge."""
    if not request.node.originalname.startswith(_WITHOUT_CREDENTIALS):
        require_credentials(target)


def _post(client, surface, model, *, auth_=None, headers=None):
    kwargs = {} if auth_ is None else {"auth": auth_}
    return client.request("POST", PATHS[surface], json=body_for(surface, model, max_tokens=1),
                          headers=headers_for(surface, headers), **kwargs)


def _wrong_key(target):
    return (target.auth.key_prefix or "sk-") + secrets.token_urlsafe(24)


def _secret(target):
    secret = target.secret()
    expect(bool(secret), "no client secret to test with", expected="the target's key",
           observed="none")
    return secret


@check("AUTH-1", level="MUST", category="Authentication", surface="openai",
       title="OpenAI surface accepts Authorization: Bearer")
def test_auth1_bearer_openai(client, target, chat_model, record_exchange):
    response = _post(client, "openai", chat_model, auth_=auth_as("bearer", _secret(target)))
    record_exchange(response.exchange)
    auth.credentials_accepted(response, "Authorization: Bearer")


@check("AUTH-2", level="MUST", category="Authentication", surface="anthropic",
       title="Anthropic surface accepts x-api-key")
def test_auth2_x_api_key(client, target, chat_model, record_exchange):
    response = _post(client, "anthropic", chat_model, auth_=auth_as("x-api-key", _secret(target)))
    record_exchange(response.exchange)
    auth.credentials_accepted(response, "x-api-key")


@check("AUTH-2", level="SHOULD", category="Authentication", surface="anthropic",
       title="Anthropic surface also accepts Authorization: Bearer (auth_token)")
def test_auth2_bearer_on_anthropic(client, target, chat_model, record_exchange):
    response = _post(client, "anthropic", chat_model, auth_=auth_as("bearer", _secret(target)))
    record_exchange(response.exchange)
    auth.credentials_accepted(response, "Authorization: Bearer on /v1/messages")


def _missing(client, target, surface, model, record_exchange):
    response = _post(client, surface, model, auth_=no_auth())
    record_exchange(response.exchange)
    if takes_credentials(target):
        auth.credentials_rejected(surface, response, why="no credentials", check_envelope=False)
        return
    # Declared without credentials (auth.scheme = none): nothing to reject, but the operator
    # should know, once, as an info finding, rather than find every auth check skipped.
    if response.status in (401, 403):
        inconclusive(f"target {target.name!r} declares auth.scheme = none, yet answered "
                     f"{response.status} to a request without credentials: declare its auth")
    if not 200 <= response.status < 300:  # the chat checks judge a gateway that cannot chat
        inconclusive(f"a request without credentials answered {response.status}, so whether "
                     f"the gateway serves it cannot be told")
    note_behaviour("no-credential", f"{surface}: answered {response.status} to a request "
                   f"with no credential at all (the target declares auth.scheme = none)")


@check("AUTH-3", level="MUST", category="Authentication", surface="openai",
       title="Missing credentials get 401 (OpenAI surface)")
def test_auth3_missing_openai(client, target, chat_model, record_exchange):
    _missing(client, target, "openai", chat_model, record_exchange)


@check("AUTH-3", level="MUST", category="Authentication", surface="anthropic",
       title="Missing credentials get 401 (Anthropic surface)")
def test_auth3_missing_anthropic(client, target, chat_model, record_exchange):
    _missing(client, target, "anthropic", chat_model, record_exchange)


def _wrong(client, target, surface, model, record_exchange, secret, scheme="bearer"):
    response = _post(client, surface, model, auth_=auth_as(scheme, secret))
    record_exchange(response.exchange)
    auth.credentials_rejected(surface, response, why="wrong key", check_envelope=False)


@check("AUTH-4", level="MUST", category="Authentication", surface="openai",
       title="A wrong key gets 401 (OpenAI surface)")
def test_auth4_wrong_openai(client, target, chat_model, record_exchange):
    _wrong(client, target, "openai", chat_model, record_exchange, _wrong_key(target))


@check("AUTH-4", level="MUST", category="Authentication", surface="anthropic",
       title="A wrong key gets 401 (Anthropic surface, x-api-key)")
def test_auth4_wrong_anthropic(client, target, chat_model, record_exchange):
    _wrong(client, target, "anthropic", chat_model, record_exchange, _wrong_key(target),
           scheme="x-api-key")


@check("AUTH-4", level="MUST", category="Authentication", surface="openai",
       title="A malformed Authorization header gets 401, not 400/500")
def test_auth4_malformed(client, target, chat_model, record_exchange):
    with cases() as case:
        for value in ("Bearer", "Basic Zm9vOmJhcg==", "Bearer not a key at all"):
            response = client.request("POST", PATHS["openai"], auth=no_auth(),
                                      headers={"Authorization": value},
                                      json=body_for("openai", chat_model, max_tokens=1))
            record_exchange(response.exchange)
            with case(f"Authorization: {value.split()[0]}..."):
                auth.credentials_rejected("openai", response,
                                          why=f"malformed {{'Authorization': {value!r}}}",
                                          check_envelope=False)


@check("AUTH-5", level="SHOULD", category="Authentication", feature="keys",
       title="A chat-only key is refused admin routes with 403")
def test_auth5_permission(client, admin_client, target, record_exchange):
    created = admin_client.request("POST", "/v1/keys",
                                   json={"name": "gatecheck-auth5", "permissions": ["chat"]})
    record_exchange(created.exchange)
    expect(created.status in (200, 201), "could not create a chat key", expected="201",
           observed=f"{created.status} {created.text[:200]}", exchange=created.exchange)
    body = response_json(created, "the created key")
    try:
        response = client.request("GET", "/v1/keys", auth=auth_as("bearer", body["key"]))
        record_exchange(response.exchange)
        auth.credentials_rejected("openai", response, why="chat key on an admin route",
                                  expected_status=403, sent_secret=body["key"])
    finally:
        admin_client.request("DELETE", f"/v1/keys/{body['id']}")


@check("AUTH-6", level="MUST", category="Authentication",
       title="Auth failures use statuses SDKs do not retry (never 408/409/429/5xx)")
def test_auth6_not_retryable(client, target, record_exchange):
    with cases() as case:
        for surface in target.surfaces:
            model = target.models.for_surface(surface) or "gatecheck-model"
            for why, auth_ in (("no credentials", no_auth()),
                               ("wrong key", auth_for(target, surface, _wrong_key(target)))):
                response = _post(client, surface, model, auth_=auth_)
                record_exchange(response.exchange)
                with case(f"{surface} {why}"):
                    auth.rejection_is_final(response, why)


@check("AUTH-7", level="MUST", category="Authentication", feature="cors",
       title="CORS preflight is answered without credentials")
def test_auth7_preflight_without_credentials(client, target, record_exchange):
    with cases() as case:
        for surface in target.surfaces:
            response = client.request("OPTIONS", PATHS[surface], auth=no_auth(),
                                      headers=cors.preflight_headers(surface))
            record_exchange(response.exchange)
            with case(surface):
                cors.preflight_succeeds(response)


@check("AUTH-8", level="SHOULD", category="Authentication",
       title="Error messages never echo the key that was sent")
def test_auth8_key_not_echoed(client, target, record_exchange):
    wrong = _wrong_key(target)
    with cases() as case:
        for surface in target.surfaces:
            model = target.models.for_surface(surface) or "gatecheck-model"
            response = _post(client, surface, model, auth_=auth_for(target, surface, wrong))
            record_exchange(response.exchange)
            with case(surface):
                auth.secrets_not_echoed(response, [wrong])


@check("AUTH-9", level="MUST", category="Authentication", surface="anthropic",
       title="anthropic-version 2023-06-01 accepted; a missing version handled as documented")
def test_auth9_anthropic_version(client, target, chat_model, record_exchange):
    response = _post(client, "anthropic", chat_model)
    record_exchange(response.exchange)
    auth.credentials_accepted(response, "anthropic-version: 2023-06-01")
    bare = client.request("POST", PATHS["anthropic"],
                          json=body_for("anthropic", chat_model, max_tokens=1))
    record_exchange(bare.exchange)
    required = target.surfaces["anthropic"].version_required
    wanted = 400 if required else 200
    expect(bare.status == wanted, "request without anthropic-version not handled as documented",
           expected=f"{wanted} ({'required' if required else 'defaulted'})",
           observed=f"{bare.status} {bare.text[:160]}", exchange=bare.exchange)


_BETA = "prompt-caching-2024-07-31, token-efficient-tools-2025-02-19"
_EPHEMERAL = {"type": "ephemeral"}


@check("AUTH-10", level="SHOULD", category="Authentication", feature="anthropic-passthrough",
       surface="anthropic",
       title="anthropic-beta and cache_control reach an Anthropic upstream unmodified")
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_auth10_beta_and_cache_control(client, chat_model, mock_log, stream, record_exchange):
    if mock_log is None:
        pytest.skip("needs gatecheck's mock upstream to see what the upstream received")
    marker = nonce()
    body = body_for("anthropic", chat_model, stream=stream,
                    mock=directive(text=f"cached {marker}"))
    body["system"] = [{"type": "text", "text": "Be brief.", "cache_control": _EPHEMERAL}]
    text = body["messages"][0]["content"]
    body["messages"][0]["content"] = [{"type": "text", "text": text,
                                       "cache_control": _EPHEMERAL}]
    response = client.request("POST", PATHS["anthropic"], json=body,
                              headers={**headers_for("anthropic"), "anthropic-beta": _BETA})
    record_exchange(response.exchange)
    auth.credentials_accepted(response, "x-api-key with anthropic-beta", stream=stream)
    entry = next((e for e in reversed(mock_log.entries())
                  if marker in str((e.get("directive") or {}).get("text"))), None)
    expect(entry is not None, "request not found in the mock's log", expected="a log entry",
           observed="none", exchange=response.exchange)
    auth.anthropic_extras_forwarded(entry, beta=_BETA, cache_blocks=2,
                                    exchange=response.exchange)
