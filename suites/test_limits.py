"""Limits: rate limiting with Retry-After, upstream 429s, body and message limits (LIM-*)."""

from __future__ import annotations

import pytest

from gatecheck.checks import cases, check, expect, limits
from gatecheck.checks.support import (
    PATHS,
    auth_for,
    body_for,
    directive,
    headers_for,
    past_cool_down,
    response_json,
)

LIMITED_RPM = 2  # the per-key limit of the throwaway key that LIM-1/LIM-2 exhaust


def _limited_key(admin_client, record_exchange):
    created = admin_client.request("POST", "/v1/keys", json={
        "name": "gatecheck-limited", "permissions": ["chat"],
        "rate_limits": {"requests_per_minute": LIMITED_RPM}})
    record_exchange(created.exchange)
    expect(created.status in (200, 201), "could not create a rate-limited key", expected="201",
           observed=f"{created.status} {created.text[:160]}", exchange=created.exchange)
    return response_json(created, "the created key")


def _exhaust(client, target, surface, model, key, record_exchange):
    """Send up to LIMITED_RPM + 3 requests; the first 429 (or the last answer)."""
    for _ in range(LIMITED_RPM + 3):
        response = client.request("POST", PATHS[surface], auth=auth_for(target, surface, key),
                                  headers=headers_for(surface),
                                  json=body_for(surface, model, max_tokens=1))
        if response.status == 429:
            break
    record_exchange(response.exchange)
    return response


@check("LIM-1", level="MUST", category="Limits", feature="rate-limits",
       title="Over its limit a key gets 429, the envelope and Retry-After")
@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_lim1_rate_limited(client, admin_client, target, surface, record_exchange):
    if not target.has_surface(surface):
        pytest.skip(f"target does not claim the {surface} surface")
    created = _limited_key(admin_client, record_exchange)
    try:
        model = target.models.for_surface(surface) or "gatecheck-model"
        response = _exhaust(client, target, surface, model, created["key"], record_exchange)
        limits.rate_limited(surface, response, retry_after=target.quirks.rate_limits.retry_after)
    finally:
        admin_client.request("DELETE", f"/v1/keys/{created['id']}")


@check("LIM-2", level="SHOULD", category="Limits", feature="rate-limits", surface="openai",
       title="Retry-After stays within what the official SDKs honour")
def test_lim2_retry_after_range(client, admin_client, target, chat_model, record_exchange):
    created = _limited_key(admin_client, record_exchange)
    try:
        response = _exhaust(client, target, "openai", chat_model, created["key"],
                            record_exchange)
        expect(response.status == 429, "no 429 to judge", expected="429",
               observed=str(response.status), exchange=response.exchange,
               cause="rate-limit-response")
        limits.retry_after_within_sdk_limits("anthropic", response)  # the stricter (60 s)
    finally:
        admin_client.request("DELETE", f"/v1/keys/{created['id']}")


# Small, so a gateway that waits it out and retries (LiteLLM, twice) keeps the run short.
UPSTREAM_RETRY_AFTER = 2


@check("LIM-3", level="MUST", category="Limits", feature="mock-upstream",
       title="An upstream 429 reaches the client as 429 with the standard Retry-After")
def test_lim3_upstream_429(client, target, mock_log, record_exchange):
    with cases() as case:
        for surface in target.surfaces:
            model = target.models.for_surface(surface) or "gatecheck-model"
            mock = directive(fault=429, retry_after=UPSTREAM_RETRY_AFTER)
            body = body_for(surface, model, mock=mock)
            # The first surface's 429 may cool the model down (LiteLLM): waited out.
            response = past_cool_down(mock_log, client, "POST", PATHS[surface],
                                      headers=headers_for(surface), json=body)
            record_exchange(response.exchange)
            with case(surface):
                limits.upstream_retry_after_kept(response,
                                                 upstream_retry_after=UPSTREAM_RETRY_AFTER)


def _sized(surface, model, size):
    """A request body of about `size` bytes (one long user message)."""
    body = body_for(surface, model, max_tokens=1, text="")
    import orjson

    overhead = len(orjson.dumps(body))
    body["messages"][0]["content"] = "x" * max(size - overhead, 0)
    return orjson.dumps(body)


def _limit(target):
    limit = target.quirks.limits.body_bytes
    expect(limit is not None, "profile states no body limit", expected="quirks.limits.body-bytes",
           observed="none")
    return limit


@check("LIM-4", level="MUST", category="Limits", feature="body-limit",
       title="A body 10% over the limit gets 413 in the surface's JSON envelope")
def test_lim4_too_large(client, target, record_exchange):
    limit = _limit(target)
    with cases() as case:
        for surface in target.surfaces:
            model = target.models.for_surface(surface) or "gatecheck-model"
            response = client.request("POST", PATHS[surface],
                                      content=_sized(surface, model, int(limit * 1.1)),
                                      headers=headers_for(surface,
                                                          {"content-type": "application/json"}))
            record_exchange(response.exchange)
            with case(surface):
                limits.too_large(surface, response)


@check("LIM-5", level="SHOULD", category="Limits", feature="body-limit",
       title="A body at 90% of the limit is not refused as too large")
def test_lim5_below_limit(client, target, record_exchange):
    # The unknown model keeps this free on billed gateways: the size check comes first, so
    # anything but 413 (a 404 for the model) shows the body was accepted.
    limit = _limit(target)
    with cases() as case:
        for surface in target.surfaces:
            response = client.request("POST", PATHS[surface],
                                      content=_sized(surface, "gatecheck-no-such-model",
                                                     int(limit * 0.9)),
                                      headers=headers_for(surface,
                                                          {"content-type": "application/json"}))
            record_exchange(response.exchange)
            with case(surface):
                expect(response.status != 413 and response.status < 500,
                       f"{surface}: body at 90% of the limit refused", expected="not 413, not 5xx",
                       observed=f"{response.status} {response.text[:160]}",
                       exchange=response.exchange, cause="limits")


@check("LIM-4", level="MUST", category="Limits", feature="message-limit",
       title="One message over the message limit is refused in the envelope; the limit is not")
def test_lim4_message_count(client, target, chat_model, record_exchange):
    cap = target.quirks.limits.messages
    expect(cap is not None, "profile states no message limit", expected="quirks.limits.messages",
           observed="none")
    surface = "openai" if target.has_surface("openai") else "anthropic"
    turns = [{"role": "user" if n % 2 == 0 else "assistant", "content": "a"}
             for n in range(cap + 1)]
    body = body_for(surface, target.models.for_surface(surface) or chat_model, max_tokens=1)
    over = client.request("POST", PATHS[surface], headers=headers_for(surface),
                          json={**body, "messages": turns})
    record_exchange(over.exchange)
    limits.too_large(surface, over, statuses=(400, 413), what=f"{cap + 1} messages")
    turns = turns[:cap] if cap % 2 == 1 else turns[: cap - 1]  # end on a user turn
    at = client.request("POST", PATHS[surface], headers=headers_for(surface),
                        json={**body, "messages": turns})
    record_exchange(at.exchange)
    limits.accepted_below_limit(at, what=f"{len(turns)} messages")
    response_json(at, "response at the message limit")


@check("LIM-6", level="SHOULD", category="Limits", feature="mock-upstream",
       title="Upstream overload is 529 overloaded_error (Anthropic) / 503 (OpenAI)")
def test_lim6_overload(client, target, record_exchange):
    with cases() as case:
        for surface in target.surfaces:
            model = target.models.for_surface(surface) or "gatecheck-model"
            fault = 529 if surface == "anthropic" else 503
            response = client.request("POST", PATHS[surface], headers=headers_for(surface),
                                      json=body_for(surface, model, mock=directive(fault=fault)))
            record_exchange(response.exchange)
            with case(f"{surface} upstream {fault}"):
                limits.overload_reported(surface, response)
