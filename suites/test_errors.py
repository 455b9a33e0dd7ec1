"""Errors: envelopes per surface, status <-> type, no 200 errors, propagation, routes (ERR-*)."""

from __future__ import annotations

import pytest

from gatecheck.checks import check, errors, expect
from gatecheck.checks import headers as hdr
from gatecheck.checks.support import (
    PATHS,
    auth_as,
    body_for,
    conforms,
    directive,
    headers_for,
    no_auth,
    takes_credentials,
)

# The error cases every gateway can be asked for without spending a token.
CASES = ("missing-key", "wrong-key", "unknown-model", "malformed-json", "no-messages",
         "wrong-type")


def _error_case(client, target, surface, model, case):
    path, headers = PATHS[surface], headers_for(surface)
    body = body_for(surface, model, max_tokens=1)
    if case == "missing-key":
        return client.request("POST", path, json=body, headers=headers, auth=no_auth())
    if case == "wrong-key":
        wrong = (target.auth.key_prefix or "sk-") + "0" * 40
        return client.request("POST", path, json=body, headers=headers,
                              auth=auth_as("bearer", wrong))
    if case == "unknown-model":
        return client.request("POST", path, json={**body, "model": "gatecheck-no-such-model"},
                              headers=headers)
    if case == "malformed-json":
        return client.request("POST", path, content=b'{"model": "x", "messages": [',
                              headers={**headers, "content-type": "application/json"})
    if case == "no-messages":
        return client.request("POST", path, json={"model": model, "max_tokens": 1},
                              headers=headers)
    return client.request("POST", path, json={**body, "max_tokens": "many"}, headers=headers)


def _each_error(client, target, surface, record_exchange):
    model = target.models.for_surface(surface) or "gatecheck-model"
    cases = CASES if takes_credentials(target) else CASES[2:]  # no keys, no key errors
    for case in cases:
        response = _error_case(client, target, surface, model, case)
        record_exchange(response.exchange)
        expect(400 <= response.status < 500, f"{case}: not a client error",
               expected="4xx", observed=f"{response.status} {response.text[:160]}",
               exchange=response.exchange)
        yield case, response


@check("ERR-1", level="MUST", category="Errors", surface="openai",
       title="OpenAI errors are application/json {error: {message, type, param, code}}")
def test_err1_openai_envelope(client, target, profile, record_exchange):
    for _, response in _each_error(client, target, "openai", record_exchange):
        errors.openai_error_envelope(response)
        conforms("openai/error", response.json(), profile=profile, what="error body",
                 exchange=response.exchange)


@check("ERR-2", level="MUST", category="Errors", surface="anthropic",
       title="Anthropic errors are {type: error, error: {type, message}}")
def test_err2_anthropic_envelope(client, target, profile, record_exchange):
    for _, response in _each_error(client, target, "anthropic", record_exchange):
        errors.anthropic_error_envelope(response)
        conforms("anthropic/error", response.json(), profile=profile, what="error body",
                 exchange=response.exchange)


@check("ERR-2", level="MUST", category="Errors", surface="anthropic",
       title="A missing max_tokens is a 400 invalid_request_error envelope")
def test_err2_missing_max_tokens(client, chat_model, record_exchange):
    body = body_for("anthropic", chat_model)
    del body["max_tokens"]
    response = client.request("POST", PATHS["anthropic"], json=body,
                              headers=headers_for("anthropic"))
    record_exchange(response.exchange)
    errors.status_in(response, {400, 422}, "missing max_tokens")
    error = errors.anthropic_error_envelope(response)
    errors.status_matches_type("anthropic", response, error)


def _status_types(client, target, surface, record_exchange):
    for _, response in _each_error(client, target, surface, record_exchange):
        error = errors.error_object(response)
        errors.status_matches_type(surface, response, error)


@check("ERR-3", level="MUST", category="Errors", surface="openai",
       title="Error type agrees with the status (OpenAI)")
def test_err3_status_types_openai(client, target, record_exchange):
    _status_types(client, target, "openai", record_exchange)


@check("ERR-3", level="MUST", category="Errors", surface="anthropic",
       title="Error type agrees with the status (Anthropic)")
def test_err3_status_types_anthropic(client, target, record_exchange):
    _status_types(client, target, "anthropic", record_exchange)


@check("ERR-4", level="MUST", category="Errors", feature="mock-upstream",
       title="An upstream 200 carrying an error never reaches the client as a 200")
def test_err4_no_200_errors(client, target, record_exchange):
    for surface in target.surfaces:
        model = target.models.for_surface(surface) or "gatecheck-model"
        response = client.request("POST", PATHS[surface], headers=headers_for(surface),
                                  json=body_for(surface, model,
                                                mock=directive(fault="error-event")))
        record_exchange(response.exchange)
        errors.no_error_in_success(response)
        expect(response.status >= 400, "upstream error body answered as success",
               expected="a 4xx/5xx", observed=f"{response.status} {response.text[:160]}",
               exchange=response.exchange)


# Upstream status -> what each surface's client must see (529 has no OpenAI meaning: 503 ok).
PROPAGATED = {"openai": {400: {400}, 404: {404}, 429: {429}, 503: {503}, 529: {503, 529}},
              "anthropic": {400: {400}, 404: {404}, 429: {429}, 503: {503, 529},
                            529: {529}}}


@check("ERR-5", level="MUST", category="Errors", feature="mock-upstream",
       title="Upstream 400/404/429/503/529 propagate (not collapsed to 500)")
@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_err5_propagation(client, target, surface, record_exchange):
    if not target.has_surface(surface):
        pytest.skip(f"target does not claim the {surface} surface")
    model = target.models.for_surface(surface) or "gatecheck-model"
    for upstream, allowed in PROPAGATED[surface].items():
        response = client.request("POST", PATHS[surface], headers=headers_for(surface),
                                  json=body_for(surface, model, mock=directive(fault=upstream)))
        record_exchange(response.exchange)
        errors.status_in(response, allowed, f"upstream {upstream}")
        error = errors.error_object(response)
        if upstream == 400:
            expect(error.get("type") == "invalid_request_error",
                   "upstream 400's type not preserved", expected="invalid_request_error",
                   observed=repr(error.get("type")), exchange=response.exchange)


@check("ERR-5", level="MUST", category="Errors", feature="mock-upstream",
       title="An upstream 401/403 (the gateway's own credentials) is not the client's 401/403")
def test_err5_upstream_auth_is_not_client_auth(client, target, record_exchange):
    # Seed: gatewayz mapped a provider auth error to 401, indistinguishable from a bad client
    # key; the client cannot fix the gateway's credentials, so it must see a 5xx.
    # the profile may choose among the three; a 401/403 is never right, whatever it says
    wanted = {500, 502, 503} & {target.quirks.upstream_auth_status} or {500, 502, 503}
    for surface in target.surfaces:
        model = target.models.for_surface(surface) or "gatecheck-model"
        for fault in (401, 403):
            response = client.request("POST", PATHS[surface], headers=headers_for(surface),
                                      json=body_for(surface, model, mock=directive(fault=fault)))
            record_exchange(response.exchange)
            errors.status_in(response, wanted, f"upstream {fault} on {surface}")


# ~100 tokens of prompt against a 32-token window: the mock answers as the real API would.
_OVERFLOW = " ".join(["context"] * 100)


@check("ERR-9", level="MUST", category="Errors", feature="mock-upstream",
       title="Context length exceeded is 400 invalid_request_error (not 413, 200 or 500)")
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_err9_context_length(client, target, surface, stream, record_exchange):
    if not target.has_surface(surface):
        pytest.skip(f"target does not claim the {surface} surface")
    model = target.models.for_surface(surface) or "gatecheck-model"
    body = body_for(surface, model, text=_OVERFLOW, stream=stream,
                    mock=directive(context=32))
    response = client.request("POST", PATHS[surface], headers=headers_for(surface), json=body)
    record_exchange(response.exchange)
    errors.context_length_exceeded(surface, response)


@check("ERR-6", level="MUST", category="Errors",
       title="Malformed JSON, missing fields and wrong types get 400 (422 tolerated)")
def test_err6_bad_requests(client, target, record_exchange):
    for surface in target.surfaces:
        model = target.models.for_surface(surface) or "gatecheck-model"
        for case in ("malformed-json", "no-messages", "wrong-type"):
            response = _error_case(client, target, surface, model, case)
            record_exchange(response.exchange)
            allowed = ({400, 422} & {target.quirks.invalid_json_status}
                       if case == "malformed-json" else set()) or {400, 422}
            errors.status_in(response, allowed, f"{surface} {case}")
        empty = client.request("POST", PATHS[surface], headers=headers_for(surface),
                               json={**body_for(surface, model), "messages": []})
        record_exchange(empty.exchange)
        errors.status_in(empty, {400, 422}, f"{surface} empty messages")


@check("ERR-7", level="MUST", category="Errors",
       title="Unknown route is a 404 envelope; wrong method is 405 with Allow")
def test_err7_routes(client, target, record_exchange):
    response = client.request("POST", "/v1/gatecheck-no-such-route", json={})
    record_exchange(response.exchange)
    errors.status_in(response, {404}, "unknown route")
    errors.openai_error_envelope(response)
    for surface in target.surfaces:
        response = client.request("GET", PATHS[surface], headers=headers_for(surface))
        record_exchange(response.exchange)
        errors.method_not_allowed(response)


@check("ERR-8", level="SHOULD", category="Errors",
       title="Error messages are readable: no stack traces, reprs or credentials")
def test_err8_clean_messages(client, target, record_exchange):
    secrets = [s for s in (target.secret(), target.admin_secret()) if s]
    for surface in target.surfaces:
        for _, response in _each_error(client, target, surface, record_exchange):
            error = errors.error_object(response)
            errors.error_message_is_clean(response, str(error.get("message")), secrets=secrets)


@check("HDR-6", level="MUST", category="Errors",
       title="Error bodies are application/json")
def test_hdr6_error_content_type(client, target, record_exchange):
    for surface in target.surfaces:
        for case, response in _each_error(client, target, surface, record_exchange):
            hdr.content_type_is(response.headers, "application/json",
                                what=f"{surface} {case} error", exchange=response.exchange)
