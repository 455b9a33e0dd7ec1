"""Unit tests of the error, auth and limit judges on canned envelopes (seed-system bugs)."""

from __future__ import annotations

import httpx
import orjson
import pytest

from gatecheck.checks import ConformanceFailure, ConformanceWarning, auth, errors, limits
from tests._canned import Canned

OAI_401 = {"error": {"message": "Incorrect API key provided: sk-ab***yz.",
                     "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}
ANT_401 = {"type": "error", "error": {"type": "authentication_error", "message": "bad key"},
           "request_id": "req_1"}


def test_good_envelopes_pass():
    assert errors.openai_error_envelope(Canned.json(401, OAI_401))["code"] == "invalid_api_key"
    assert errors.anthropic_error_envelope(Canned.json(401, ANT_401))["type"] == (
        "authentication_error")


@pytest.mark.parametrize("body", [
    {"error": "Missing or invalid Authorization header"},            # Traefik (ccproxy)
    {"error": True, "status": 401, "message": "x"},                   # llmgateway
    {"detail": "Internal server error"},                              # FastAPI default
    {"status": "failure", "message": "Something went wrong"},         # Portkey
    {"object": "error", "message": "x", "code": 400},                 # vLLM flat
    {"error": {"message": "x", "type": "None", "param": "None", "code": "400"}},  # LiteLLM
    {"error": {"message": "x", "type": "invalid_request_error", "param": None, "code": 401}},
    {"error": {"message": "x", "type": "invalid_request_error", "code": None}},   # no param
])
def test_openai_envelope_bugs_fail_err1(body):
    with pytest.raises(ConformanceFailure):
        errors.openai_error_envelope(Canned.json(400, body))


def test_plain_text_and_html_errors_fail_err1():
    text = Canned(400, httpx.Headers({"content-type": "text/plain"}), b"empty_messages")
    with pytest.raises(ConformanceFailure, match="application/json"):
        errors.openai_error_envelope(text)
    html = Canned(413, httpx.Headers({"content-type": "text/html"}), b"<html>413</html>")
    with pytest.raises(ConformanceFailure):
        limits.too_large("anthropic", html)


@pytest.mark.parametrize("body", [
    {"error": {"type": "authentication_error", "message": "x"}},      # no top-level type
    {"type": "error", "error": {"type": "BadRequestError", "message": "x"}},
    {"type": "error", "error": "x"},
])
def test_anthropic_envelope_bugs_fail_err2(body):
    with pytest.raises(ConformanceFailure):
        errors.anthropic_error_envelope(Canned.json(400, body))


def test_missing_request_id_warns_err2():
    body = {k: v for k, v in ANT_401.items() if k != "request_id"}
    with pytest.warns(ConformanceWarning):
        errors.anthropic_error_envelope(Canned.json(401, body))


def test_status_type_mismatch_fails_err3():
    resp = Canned.json(404, ANT_401)
    with pytest.raises(ConformanceFailure, match="not_found_error"):
        errors.status_matches_type("anthropic", resp, ANT_401["error"])
    oai = {"message": "x", "type": "server_error", "param": None, "code": None}
    with pytest.raises(ConformanceFailure):
        errors.status_matches_type("openai", Canned.json(400, {"error": oai}), oai)


@pytest.mark.parametrize("error", [{}, {"type": None, "message": "x"}, {"type": 500}])
def test_no_type_is_the_envelopes_business_not_err3(error):
    # Portkey's {"status": "failure", ...} has no error object: ERR-1/2 (and ERR-11 for a
    # null type) report it; ERR-3 has no pairing to judge, and says nothing.
    errors.status_matches_type("anthropic", Canned.json(500, {"error": error}), error)
    errors.status_matches_type("openai", Canned.json(400, {"error": error}), error)


@pytest.mark.parametrize("body", [None, {"html-message": "Network connection lost."},
                                  {"error": {"message": "x", "code": 502}}])
def test_200_with_error_fails_err4(body):
    with pytest.raises(ConformanceFailure):
        errors.no_error_in_success(Canned.json(200, body))


def test_405_needs_allow_err7():
    errors.method_not_allowed(Canned(405, httpx.Headers({"allow": "POST"})))
    with pytest.raises(ConformanceFailure, match="Allow"):
        errors.method_not_allowed(Canned(405))


def test_stack_traces_and_keys_in_messages_fail_err8():
    resp = Canned.json(500, {})
    with pytest.raises(ConformanceFailure, match="stack trace"):
        errors.error_message_is_clean(resp, "400: {'error': 'completion: Invalid model'}")
    with pytest.raises(ConformanceFailure, match="credential"):
        errors.error_message_is_clean(resp, "Incorrect key gk-abcdefghijklmnopqrstuvwxyz")
    errors.error_message_is_clean(resp, "Incorrect API key provided: sk-ab***yz.")


def test_auth_rejections_auth_3_4_6():
    auth.credentials_rejected("openai", Canned.json(401, OAI_401), expected_status=401, why="x")
    with pytest.raises(ConformanceFailure, match="wrong status"):
        auth.credentials_rejected("openai", Canned.json(403, OAI_401), expected_status=401,
                                  why="x")
    with pytest.raises(ConformanceFailure, match="retry"):
        auth.rejection_is_final(Canned.json(500, OAI_401))
    body = {"error": {**OAI_401["error"], "message": "bad key gk-SECRETSECRETSECRET"}}
    with pytest.raises(ConformanceFailure, match="credential"):
        auth.credentials_rejected("openai", Canned.json(401, body), expected_status=401, why="x",
                                  sent_secret="gk-SECRETSECRETSECRET")


RATE = {"error": {"message": "slow down", "type": "requests", "param": None,
                  "code": "rate_limit_exceeded"}}


def test_rate_limit_rules_lim_1_2():
    limits.rate_limited("openai", Canned.json(429, RATE, retry_after="2"))
    with pytest.raises(ConformanceFailure, match="Retry-After"):
        limits.rate_limited("openai", Canned.json(429, RATE))  # agentgateway
    with pytest.raises(ConformanceFailure):
        limits.retry_after_within_sdk_limits("anthropic", Canned.json(429, RATE,
                                                                      retry_after="90"))
    assert limits.retry_after_seconds(Canned.json(429, RATE, retry_after_ms="1500")) == 1.5


def test_upstream_retry_after_must_survive_lim_3():
    limits.upstream_retry_after_kept(Canned.json(429, RATE, retry_after="2"),
                                     upstream_retry_after=2)
    # the envelope and type are ERR-1/ERR-3's: a foreign body with the header passes LIM-3
    limits.upstream_retry_after_kept(Canned.json(429, {"status": "failure"}, retry_after="2"),
                                     upstream_retry_after=2)
    with pytest.raises(ConformanceFailure, match="changed") as changed:
        limits.upstream_retry_after_kept(Canned.json(429, RATE, retry_after="30"),
                                         upstream_retry_after=2)
    assert changed.value.cause == "retry-after-dropped"
    # LiteLLM: only a vendor-prefixed copy reaches the client
    with pytest.raises(ConformanceFailure, match="only as llm_provider-retry-after") as dropped:
        limits.upstream_retry_after_kept(
            Canned(429, httpx.Headers({"content-type": "application/json",
                                       "llm_provider-retry-after": "2"}), orjson.dumps(RATE)),
            upstream_retry_after=2)
    assert dropped.value.cause == "retry-after-dropped"
    with pytest.raises(ConformanceFailure, match="as 500") as lost:
        limits.upstream_retry_after_kept(Canned.json(500, RATE, retry_after="2"),
                                         upstream_retry_after=2)
    assert lost.value.cause == "upstream-status-lost"


def test_too_large_rules_lim_4():
    body = {"type": "error", "error": {"type": "request_too_large", "message": "too big"},
            "request_id": "r"}
    limits.too_large("anthropic", Canned.json(413, body))
    with pytest.raises(ConformanceFailure):
        limits.too_large("anthropic", Canned.json(500, body))


def test_overload_rules_lim_6():
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "busy"},
            "request_id": "r"}
    limits.overload_reported("anthropic", Canned.json(529, body))
    with pytest.raises(ConformanceFailure):
        limits.overload_reported("anthropic", Canned.json(500, body))


OAI_OVERFLOW = {"error": {"message": "This model's maximum context length is 8192 tokens.",
                          "type": "invalid_request_error", "param": "messages",
                          "code": "context_length_exceeded"}}
ANT_OVERFLOW = {"type": "error", "error": {"type": "invalid_request_error",
                                           "message": "prompt is too long: 9000 tokens > 8192 "
                                           "maximum"}}


def test_context_overflow_as_the_real_apis_send_it_passes_err9():
    errors.context_length_exceeded("openai", Canned.json(400, OAI_OVERFLOW))
    errors.context_length_exceeded("anthropic", Canned.json(400, ANT_OVERFLOW))


@pytest.mark.parametrize(("status", "body"), [
    (413, {"type": "error", "error": {"type": "request_too_large", "message": "too large"}}),
    (500, {"error": {"message": "x", "type": "server_error", "param": None, "code": None}}),
    (200, {"id": "chatcmpl-1", "choices": []}),                       # vLLM answered 200
    (400, {"error": {"message": "x", "type": "server_error", "param": None, "code": None}}),
])
def test_context_overflow_bugs_fail_err9(status, body):
    with pytest.raises(ConformanceFailure):
        errors.context_length_exceeded("openai", Canned.json(status, body))


def test_context_overflow_without_the_openai_code_warns_err9():
    body = {"error": {**OAI_OVERFLOW["error"], "code": None}}
    with pytest.warns(ConformanceWarning, match="context_length_exceeded"):
        errors.context_length_exceeded("openai", Canned.json(400, body))


RECEIVED = {"headers": {"anthropic-beta": "a-1,b-2", "x-api-key": "[REDACTED]"},
            "cache_control": 2}


def test_forwarded_beta_and_cache_marks_pass_auth10():
    auth.anthropic_extras_forwarded(RECEIVED, beta="a-1, b-2", cache_blocks=2)
    auth.anthropic_extras_forwarded(RECEIVED, beta="b-2,a-1", cache_blocks=2)  # order aside


@pytest.mark.parametrize("received", [
    {**RECEIVED, "headers": {}},                                   # header dropped
    {**RECEIVED, "headers": {"anthropic-beta": "a-1"}},            # list cut short
    {**RECEIVED, "headers": {"anthropic-beta": "a-1,b-3"}},        # one flag altered
    {**RECEIVED, "cache_control": 0},                              # marks stripped
])
def test_dropped_beta_or_cache_marks_fail_auth10(received):
    with pytest.raises(ConformanceFailure):
        auth.anthropic_extras_forwarded(received, beta="a-1, b-2", cache_blocks=2)


def test_each_judge_names_the_cause_it_shows():
    with pytest.raises(ConformanceFailure) as envelope:
        errors.openai_error_envelope(Canned.json(500, {"detail": "Not Found"}))
    assert envelope.value.cause == "openai-envelope"
    nulled = {"error": {"message": "boom", "type": None, "param": None, "code": "500"}}
    with pytest.raises(ConformanceFailure) as null_type:
        errors.openai_error_envelope(Canned.json(500, nulled))
    assert null_type.value.cause == "error-type-null"
    with pytest.raises(ConformanceFailure) as flat:
        errors.anthropic_error_envelope(Canned.json(400, OAI_401))
    assert flat.value.cause == "anthropic-envelope"
    with pytest.raises(ConformanceFailure) as plain:
        errors.openai_error_envelope(Canned(401, httpx.Headers({"content-type": "text/plain"}),
                                            orjson.dumps(OAI_401)))
    assert plain.value.cause == "error-content-type"
    with pytest.raises(ConformanceFailure) as typed:
        errors.status_matches_type("anthropic", Canned.json(401, OAI_401), {"type": "auth_error"})
    assert typed.value.cause == "error-status-type"


def test_error_message_text_is_what_the_client_reads_err_8():
    assert errors.error_message_text(Canned.json(401, OAI_401)).startswith("Incorrect")
    portkey = {"status": "failure", "message": "Something went wrong"}
    assert errors.error_message_text(Canned.json(500, portkey)) == "Something went wrong"
    html = Canned(500, httpx.Headers({"content-type": "text/html"}), b"<h1>502</h1>")
    assert errors.error_message_text(html) == "<h1>502</h1>"


@pytest.mark.parametrize("message", [
    "litellm.APIConnectionError: OpenAIException - 'int' object is not iterable",
    "Cannot connect to host ssl:<ssl.SSLContext object at 0x7f2a> [Connect call failed]",
    "aiohttp.client_exceptions.TransferEncodingError: 400, message='Not enough data'",
    # Portkey's gateway on Node, relaying undici's failure (ERR-11/12 over fault=drop)
    "Invalid response received from anthropic: {\"html-message\":\"Message: fetch failed "
    "Cause: SocketError: other side closed Name: TypeError\"}",
    "Message: fetch failed Cause: Error: connect ECONNREFUSED 127.0.0.1:59998",
    "Cannot connect to host 10.0.0.7:443 ssl:default [Errno 111] Connect call failed",
])
def test_library_internals_leak_err_8(message):
    # and what a gateway may say instead is clean
    errors.error_message_is_clean(Canned.json(502, {}), "The upstream provider could not be "
                                  "reached (connection refused); try again later.")
    with pytest.raises(ConformanceFailure) as leak:
        errors.error_message_is_clean(Canned.json(500, {}), message)
    assert leak.value.cause == "error-leaks"


def test_the_upstream_address_is_an_internal_err_8():
    message = "The upstream at 127.0.0.1:59998 could not be reached"
    errors.error_message_is_clean(Canned.json(500, {}), message)  # no address known: clean
    with pytest.raises(ConformanceFailure, match="names the gateway's upstream"):
        errors.error_message_is_clean(Canned.json(500, {}), message,
                                      internals=["127.0.0.1:59998"])


@pytest.mark.parametrize("value", [
    {"error": {"message": "x", "type": None}},
    {"error": {"message": "x", "type": 500}},
    {"error": {"message": "x"}},
    {"type": "error", "error": {"type": "", "message": "x"}},
])
def test_error_type_must_be_a_string_err_11(value):
    with pytest.raises(ConformanceFailure) as failure:
        errors.error_type_is_a_string(value, what="upstream reset")
    assert failure.value.cause == "error-type-null"


def test_error_type_judge_passes_strings_and_leaves_envelopes_alone_err_11():
    errors.error_type_is_a_string({"error": {"type": "server_error"}}, what="x")
    errors.error_type_is_a_string({"html-message": "fetch failed"}, what="x")  # ERR-1's
    errors.error_type_is_a_string({"error": "a string"}, what="x")  # ERR-1's
