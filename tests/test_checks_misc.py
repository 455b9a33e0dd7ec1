"""Unit tests of the token, header, CORS, model, alias, health, key and delivery judges."""

from __future__ import annotations

import httpx
import pytest

from gatecheck import Stamps
from gatecheck.checks import (
    ConformanceFailure,
    aliases,
    cors,
    headers,
    health,
    keys,
    models,
    streaming,
    tokens,
)
from tests._canned import Canned

MS = 1_000_000


def test_usage_arithmetic_tok_1_2():
    tokens.openai_usage_adds_up({"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11})
    for bad in ({}, {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 0}, None,
                {"prompt_tokens": -1, "completion_tokens": 2, "total_tokens": 1}):
        with pytest.raises(ConformanceFailure):
            tokens.openai_usage_adds_up(bad)
    with pytest.raises(ConformanceFailure, match="cached_tokens"):
        tokens.openai_usage_details_are_subsets(
            {"prompt_tokens": 3, "prompt_tokens_details": {"cached_tokens": 5}})


def test_usage_comparisons_tok_3_5_6_7():
    tokens.usage_matches({"a": 1, "b": 2}, {"a": 1, "b": 2}, ("a", "b"), "x")
    with pytest.raises(ConformanceFailure, match="differ"):
        tokens.usage_matches({"a": 1, "b": 3}, {"a": 1, "b": 2}, ("a", "b"), "x")
    with pytest.raises(ConformanceFailure):
        tokens.output_tokens_counted(0, "some text")
    tokens.output_tokens_counted(0, "")
    tokens.count_tokens_matches({"input_tokens": 12}, 12)
    with pytest.raises(ConformanceFailure):
        tokens.count_tokens_matches({"input_tokens": 11}, 12)
    with pytest.raises(ConformanceFailure):
        tokens.anthropic_usage_is_complete({"input_tokens": 1})


def stamps(content_ms, end_ms):
    return Stamps(send_ns=0, headers_ns=1 * MS, content_ns=[int(c * MS) for c in content_ms],
                  end_ns=int(end_ms * MS))


def test_incremental_delivery_str_4():
    paced = stamps([50 + 40 * i for i in range(12)], 500)
    streaming.delivery_is_incremental(paced, expected_spread_ms=440)
    streaming.delivery_is_incremental(paced)
    burst = stamps([499.0 + 0.01 * i for i in range(12)], 500)
    with pytest.raises(ConformanceFailure, match="burst"):
        streaming.delivery_is_incremental(burst, expected_spread_ms=440)
    with pytest.raises(ConformanceFailure, match="burst"):
        streaming.delivery_is_incremental(burst)
    with pytest.raises(ConformanceFailure, match="too few"):
        streaming.delivery_is_incremental(stamps([499.0], 500))


def test_stream_opened_str_1_and_hdr_7():
    streaming.stream_opened(200, httpx.Headers({"content-type": "text/event-stream"}))
    with pytest.raises(ConformanceFailure):
        streaming.stream_opened(200, httpx.Headers({"content-type": "application/json"}))
    with pytest.raises(ConformanceFailure):
        streaming.stream_is_not_buffered(httpx.Headers({"content-length": "100"}))


def test_request_ids_and_content_type_hdr_1_2_6():
    headers.request_id_present("openai", httpx.Headers({"x-request-id": "req_1"}), what="x")
    with pytest.raises(ConformanceFailure):
        headers.request_id_present("anthropic", httpx.Headers({"x-request-id": "r"}), what="x")
    headers.content_type_is(httpx.Headers({"content-type": "application/json; charset=utf-8"}),
                            "application/json", what="x")
    with pytest.raises(ConformanceFailure):
        headers.content_type_is(httpx.Headers({"content-type": "text/html"}),
                                "application/json", what="x")


def test_openai_ratelimit_formats_hdr_4():
    good = {"x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "59",
            "x-ratelimit-reset-requests": "1s", "x-ratelimit-limit-tokens": "150000",
            "x-ratelimit-remaining-tokens": "149984", "x-ratelimit-reset-tokens": "6m0s"}
    headers.openai_ratelimit_headers(httpx.Headers(good))
    for name, value in (("x-ratelimit-reset-requests", "1732200000000"),  # Puter: epoch ms
                        ("x-ratelimit-reset-tokens", "60"),
                        ("x-ratelimit-remaining-requests", "61")):
        with pytest.raises(ConformanceFailure):
            headers.openai_ratelimit_headers(httpx.Headers({**good, name: value}))


def test_anthropic_ratelimit_formats_hdr_5():
    good = {"anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "49",
            "anthropic-ratelimit-requests-reset": "2026-11-21T10:00:00Z"}
    headers.anthropic_ratelimit_headers(httpx.Headers(good))
    with pytest.raises(ConformanceFailure, match="RFC 3339"):
        headers.anthropic_ratelimit_headers(httpx.Headers(
            {**good, "anthropic-ratelimit-requests-reset": "1s"}))


def preflight(**extra):
    base = {"access-control-allow-origin": cors.ORIGIN, "access-control-allow-methods": "POST",
            "access-control-allow-headers": ",".join(cors.REQUESTED_HEADERS["anthropic"]),
            "access-control-max-age": "600", "vary": "Origin, Access-Control-Request-Headers"}
    base.update(extra)
    return Canned(204, httpx.Headers(base))


def test_cors_preflight_rules():
    requested = cors.REQUESTED_HEADERS["anthropic"]
    good = preflight()
    cors.preflight_succeeds(good)
    cors.preflight_allows(good, method="POST", requested=requested)
    cors.vary_covers_reflection(good, requested=requested)
    cors.max_age_set(good)
    with pytest.raises(ConformanceFailure):
        cors.preflight_succeeds(Canned(401))  # litellm-rs: CORS behind auth
    with pytest.raises(ConformanceFailure, match="x-stainless"):
        cors.preflight_allows(preflight(**{"access-control-allow-headers":
                                           "authorization,content-type,x-api-key"}),
                              method="POST", requested=requested)
    with pytest.raises(ConformanceFailure, match="header"):
        cors.preflight_allows(preflight(**{"access-control-allow-headers": "*"}),
                              method="POST", requested=requested)
    with pytest.raises(ConformanceFailure, match="Vary"):
        cors.vary_covers_reflection(preflight(vary="Accept"), requested=requested)
    with pytest.raises(ConformanceFailure):
        cors.max_age_set(preflight(**{"access-control-max-age": "5"}))


def test_cors_actual_response_rules():
    cors.response_allows_origin(Canned(401, httpx.Headers({"access-control-allow-origin": "*"})),
                                what="401")
    with pytest.raises(ConformanceFailure):
        cors.response_allows_origin(Canned(401), what="401")
    with pytest.raises(ConformanceFailure):
        cors.credentials_not_wildcarded(Canned(200, httpx.Headers({
            "access-control-allow-origin": "*", "access-control-allow-credentials": "true"})))
    with pytest.raises(ConformanceFailure):
        cors.exposes_headers(httpx.Headers({"access-control-expose-headers": "x-request-id"}),
                             ["x-request-id", "retry-after"])
    with pytest.raises(ConformanceFailure):
        cors.disallowed_origin_not_allowed(Canned(500), "https://evil.example")


def test_model_lists_mod_1_3_5():
    item = {"id": "gpt-4o-mini", "object": "model", "created": 1700000000, "owned_by": "x"}
    assert models.openai_model_list({"object": "list", "data": [item]}) == ["gpt-4o-mini"]
    with pytest.raises(ConformanceFailure, match="seconds"):
        models.openai_model_list({"object": "list", "data": [{**item, "created": 1700000000000}]})
    with pytest.raises(ConformanceFailure, match="unique"):
        models.openai_model_list({"object": "list", "data": [item, item]})
    ant = {"data": [{"type": "model", "id": "m", "display_name": "M",
                     "created_at": "2026-01-01T00:00:00Z"}],
           "has_more": False, "first_id": "m", "last_id": "m"}
    assert models.anthropic_model_list(ant) == ["m"]
    with pytest.raises(ConformanceFailure):
        models.anthropic_model_list({**ant, "data": [{**ant["data"][0], "created_at": 17}]})
    with pytest.raises(ConformanceFailure):
        models.listed_exactly(["a"], ("a", "b"))


def test_alias_echo_policy_alias_2_4():
    aliases.model_echo_follows_policy("gpt-4o-mini", requested="gpt-4o-mini",
                                      resolved="mock/mock-chat", policy="requested", where="x")
    with pytest.raises(ConformanceFailure, match="leaks"):
        aliases.model_echo_follows_policy("mock/mock-chat", requested="gpt-4o-mini",
                                          resolved="mock/mock-chat", policy=None, where="x")
    with pytest.raises(ConformanceFailure, match="policy"):
        aliases.model_echo_follows_policy("claude-sonnet-4", requested="gpt-4o-mini",
                                          resolved="mock/mock-chat", policy=None, where="x")
    with pytest.raises(ConformanceFailure):
        aliases.aliases_are_listed(["a"], {"a": "x", "b": "y"})
    with pytest.raises(ConformanceFailure):
        aliases.listed_models_are_usable({"a": 200, "b": 404})


def test_health_rules():
    health.health_is_up(Canned.json(200, {"status": "ok"}), what="/health")
    with pytest.raises(ConformanceFailure):
        health.health_is_up(Canned.json(401, {}), what="/health")
    with pytest.raises(ConformanceFailure):
        health.health_has_no_secrets(Canned.json(200, {"key": "sk-abcdefghijklmnopqrstu"}))
    with pytest.raises(ConformanceFailure):
        health.health_not_rate_limited([200, 429])


def test_key_rules():
    body = keys.key_created(Canned.json(201, {"id": "k1", "key": "gk-abc"}), prefix="gk-")
    assert body["id"] == "k1"
    with pytest.raises(ConformanceFailure, match="prefix"):
        keys.key_created(Canned.json(201, {"id": "k1", "key": "pk-abc"}), prefix="gk-")
    with pytest.raises(ConformanceFailure, match="full key"):
        keys.key_listing_hides_secrets(Canned.json(200, [{"key": "gk-abc"}]), "gk-abc")


def test_lenient_readers_and_generic_judges():
    from gatecheck.checks import auth, errors

    assert errors.error_object(Canned.json(400, {"error": "x"})) == {}
    assert errors.error_object(Canned.json(400, {"error": {"type": "t"}})) == {"type": "t"}
    assert models.model_ids({"data": [{"id": "a"}, {"x": 1}, "b"]}) == ["a"]
    errors.status_in(Canned(404), {404}, "x")
    with pytest.raises(ConformanceFailure, match="unexpected status 500"):
        errors.status_in(Canned(500), {400, 422}, "x")
    auth.credentials_accepted(Canned.json(200, {"id": "x"}), "bearer")  # an empty 200: no
    with pytest.raises(ConformanceFailure, match="x-api-key"):
        auth.credentials_accepted(Canned(401), "x-api-key")


def test_request_builders():
    from gatecheck.checks import support

    assert support.directive(fault=429, retry_after=2) == "[[mock fault=429 retry_after=2]]"
    assert support.directive(text='say "hi"') == '[[mock text="say \\"hi\\""]]'
    body = support.body_for("anthropic", "m", mock="[[mock tokens=3]]", tools=True, stream=True)
    assert body["messages"][0]["content"].endswith("[[mock tokens=3]]")
    assert body["tool_choice"] == {"type": "tool", "name": "get_weather"}
    assert body["stream"] is True
    assert body["max_tokens"] == 16
    oai = support.body_for("openai", "m", tools=True)
    assert oai["tools"][0]["type"] == "function"
    assert support.headers_for("anthropic")["anthropic-version"] == "2023-06-01"
    assert support.nonce() != support.nonce()


def test_conforms_fails_on_schema_violations():
    from gatecheck.checks import support

    support.conforms("anthropic/count-tokens-response", {"input_tokens": 3},
                     profile="sdk-compat", what="x")
    with pytest.raises(ConformanceFailure, match="does not match schema"):
        support.conforms("anthropic/count-tokens-response", {"input_tokens": "3"},
                         profile="sdk-compat", what="x")
