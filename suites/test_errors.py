"""Errors: envelopes per surface, status <-> type, no 200 errors, propagation, routes (ERR-*).

Each check judges one property of the answers it provokes and leaves the others to their own
checks: ERR-1/ERR-2 the envelope of whatever error came back, ERR-3 its type against its
status, ERR-8 the message text, HDR-6 the content type. Whether a missing key, an unknown
model or a malformed body gets the right status is AUTH-3/AUTH-4, ALIAS-3 and ERR-6's call.
Every case runs and every failing case is recorded (``cases()``), tagged with its cause.
"""

from __future__ import annotations

import pytest

from gatecheck.checks import cases, check, errors, expect, inconclusive
from gatecheck.checks import headers as hdr
from gatecheck.checks.support import (
    PATHS,
    auth_for,
    body_for,
    conforms,
    directive,
    headers_for,
    no_auth,
    past_cool_down,
    takes_credentials,
    upstream_addresses,
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
                              auth=auth_for(target, surface, wrong))
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


def _judge_errors(client, target, surfaces, record_exchange, judge):
    """Run `judge(surface, case, response)` on every error answer, each as its own case.

    A case answered 2xx has no error to judge here (its status is another check's); when no
    case at all was answered with an error, the check is inconclusive.
    """
    names = CASES if takes_credentials(target) else CASES[2:]  # no keys, no key errors
    judged = 0
    with cases() as case:
        for surface in surfaces:
            model = target.models.for_surface(surface) or "gatecheck-model"
            for name in names:
                response = _error_case(client, target, surface, model, name)
                record_exchange(response.exchange)
                if 200 <= response.status < 300:
                    continue
                judged += 1
                with case(f"{surface} {name}"):
                    judge(surface, name, response)
        if not judged:
            inconclusive("every error case was answered 2xx: no error answer to judge "
                         "(their statuses are AUTH-3, AUTH-4, ALIAS-3 and ERR-6's)")


@check("ERR-1", level="MUST", category="Errors", surface="openai",
       title="OpenAI errors are application/json {error: {message, type, param, code}}")
def test_err1_openai_envelope(client, target, profile, record_exchange):
    def judge(surface, name, response):
        errors.openai_error_envelope(response)
        conforms("openai/error", response.json(), profile=profile, what="error body",
                 exchange=response.exchange, cause="openai-envelope")

    _judge_errors(client, target, ["openai"], record_exchange, judge)


@check("ERR-2", level="MUST", category="Errors", surface="anthropic",
       title="Anthropic errors are {type: error, error: {type, message}}")
def test_err2_anthropic_envelope(client, target, profile, record_exchange):
    def judge(surface, name, response):
        errors.anthropic_error_envelope(response)
        conforms("anthropic/error", response.json(), profile=profile, what="error body",
                 exchange=response.exchange, cause="anthropic-envelope")

    _judge_errors(client, target, ["anthropic"], record_exchange, judge)


@check("ERR-2", level="MUST", category="Errors", surface="anthropic",
       title="A missing max_tokens is a 400 invalid_request_error envelope")
def test_err2_missing_max_tokens(client, chat_model, record_exchange):
    body = body_for("anthropic", chat_model)
    del body["max_tokens"]
    response = client.request("POST", PATHS["anthropic"], json=body,
                              headers=headers_for("anthropic"))
    record_exchange(response.exchange)
    errors.status_in(response, {400, 422}, "missing max_tokens",
                     cause="bad-request-5xx" if response.status >= 500 else
                     "bad-request-accepted" if response.status < 300 else None)
    error = errors.anthropic_error_envelope(response)
    errors.status_matches_type("anthropic", response, error)


def _status_types(client, target, surface, record_exchange):
    def judge(surface, name, response):
        errors.status_matches_type(surface, response, errors.error_object(response))

    _judge_errors(client, target, [surface], record_exchange, judge)


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
    with cases() as case:
        for surface in target.surfaces:
            model = target.models.for_surface(surface) or "gatecheck-model"
            response = client.request("POST", PATHS[surface], headers=headers_for(surface),
                                      json=body_for(surface, model,
                                                    mock=directive(fault="error-event")))
            record_exchange(response.exchange)
            with case(surface):
                errors.no_error_in_success(response)
                expect(response.status >= 400, "the upstream's error body was relayed as a "
                       f"{response.status}", expected="a 4xx/5xx",
                       observed=f"{response.status} {response.text[:160]}",
                       exchange=response.exchange, cause="error-200")


# Upstream status -> what each surface's client must see (529 has no OpenAI meaning: 503 ok).
# 429 and 404 last: some gateways cool a model down after them (LiteLLM answers 429 itself
# for ~5 s), which would spoil the cases after them.
PROPAGATED = {"openai": {400: {400}, 503: {503}, 529: {503, 529}, 429: {429}, 404: {404}},
              "anthropic": {400: {400}, 503: {503, 529}, 529: {529}, 429: {429}, 404: {404}}}


@check("ERR-5", level="MUST", category="Errors", feature="mock-upstream",
       title="Upstream 400/404/429/503/529 propagate (not collapsed to 500)")
@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_err5_propagation(client, target, surface, mock_log, record_exchange):
    if not target.has_surface(surface):
        pytest.skip(f"target does not claim the {surface} surface")
    model = target.models.for_surface(surface) or "gatecheck-model"
    with cases() as case:
        for upstream, allowed in PROPAGATED[surface].items():
            body = body_for(surface, model, mock=directive(fault=upstream))
            # Each upstream error may start a cool-down of the gateway's (LiteLLM): the next
            # case waits it out rather than judge the gateway's own 429.
            response = past_cool_down(mock_log, client, "POST", PATHS[surface],
                                      headers=headers_for(surface), json=body)
            record_exchange(response.exchange)
            with case(f"upstream {upstream}"):
                errors.status_in(response, allowed, f"upstream {upstream}",
                                 cause="upstream-status-lost")
                error = errors.error_object(response)
                if upstream == 400:
                    expect(error.get("type") == "invalid_request_error",
                           "upstream 400's type not preserved",
                           expected="invalid_request_error", observed=repr(error.get("type")),
                           exchange=response.exchange, cause="upstream-status-lost")


@check("ERR-5", level="MUST", category="Errors", feature="mock-upstream",
       title="An upstream 401/403 (the gateway's own credentials) is not the client's 401/403")
def test_err5_upstream_auth_is_not_client_auth(client, target, mock_log, record_exchange):
    # Seed: gatewayz mapped a provider auth error to 401, indistinguishable from a bad client
    # key; the client cannot fix the gateway's credentials, so it must see a 5xx.
    # the profile may choose among the three; a 401/403 is never right, whatever it says
    wanted = {500, 502, 503} & {target.quirks.upstream_auth_status} or {500, 502, 503}
    with cases() as case:
        for surface in target.surfaces:
            model = target.models.for_surface(surface) or "gatecheck-model"
            for fault in (401, 403):
                body = body_for(surface, model, mock=directive(fault=fault))
                response = past_cool_down(mock_log, client, "POST", PATHS[surface],
                                          headers=headers_for(surface), json=body)
                record_exchange(response.exchange)
                # A gateway without credentials of its own (Portkey OSS) sends the upstream
                # whatever the client gave it: the rejected credential may be the client's,
                # so passing the 401/403 on is right there too.
                allowed = wanted if takes_credentials(target) else wanted | {fault}
                with case(f"{surface} upstream {fault}"):
                    errors.status_in(response, allowed, f"upstream {fault} on {surface}",
                                     cause="upstream-auth-as-client")


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


def _bad_request_cause(status):
    if status >= 500:
        return "bad-request-5xx"
    return "bad-request-accepted" if status < 300 else None


@check("ERR-6", level="MUST", category="Errors",
       title="Malformed JSON, missing fields and wrong types get 400 (422 tolerated)")
def test_err6_bad_requests(client, target, record_exchange):
    with cases() as case:
        for surface in target.surfaces:
            model = target.models.for_surface(surface) or "gatecheck-model"
            for name in ("malformed-json", "no-messages", "wrong-type"):
                response = _error_case(client, target, surface, model, name)
                record_exchange(response.exchange)
                allowed = ({400, 422} & {target.quirks.invalid_json_status}
                           if name == "malformed-json" else set()) or {400, 422}
                with case(f"{surface} {name}"):
                    errors.status_in(response, allowed, f"{surface} {name}",
                                     cause=_bad_request_cause(response.status))
            empty = client.request("POST", PATHS[surface], headers=headers_for(surface),
                                   json={**body_for(surface, model), "messages": []})
            record_exchange(empty.exchange)
            with case(f"{surface} empty messages"):
                errors.status_in(empty, {400, 422}, f"{surface} empty messages",
                                 cause=_bad_request_cause(empty.status))


@check("ERR-7", level="MUST", category="Errors",
       title="Unknown route is a 404 envelope; wrong method is 405 with Allow")
def test_err7_routes(client, target, record_exchange):
    with cases() as case:
        response = client.request("POST", "/v1/gatecheck-no-such-route", json={})
        record_exchange(response.exchange)
        with case("unknown route"):
            errors.status_in(response, {404}, "unknown route")
            errors.openai_error_envelope(response)
        for surface in target.surfaces:
            response = client.request("GET", PATHS[surface], headers=headers_for(surface))
            record_exchange(response.exchange)
            with case(f"GET {PATHS[surface]}"):
                errors.method_not_allowed(response)


@check("ERR-8", level="SHOULD", category="Errors",
       title="Error messages are readable: no stack traces, reprs or credentials")
def test_err8_clean_messages(client, target, mock_log, record_exchange):
    secrets = [s for s in (target.secret(), target.admin_secret()) if s]
    internals = upstream_addresses(mock_log)

    def judge(surface, name, response):
        errors.error_message_is_clean(response, errors.error_message_text(response),
                                      secrets=secrets, internals=internals)

    _judge_errors(client, target, list(target.surfaces), record_exchange, judge)


@check("HDR-6", level="MUST", category="Errors",
       title="Error bodies are application/json")
def test_hdr6_error_content_type(client, target, record_exchange):
    def judge(surface, name, response):
        hdr.content_type_is(response.headers, "application/json",
                            what=f"{surface} {name} error {response.status}",
                            exchange=response.exchange, cause="error-content-type")

    _judge_errors(client, target, list(target.surfaces), record_exchange, judge)
