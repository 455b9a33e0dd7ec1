"""Rate-limit headers: OpenAI duration resets, Anthropic RFC 3339 resets (HDR-4, HDR-5)."""

from __future__ import annotations

from gatecheck.checks import check, expect
from gatecheck.checks import headers as hdr
from gatecheck.checks.support import PATHS, body_for, headers_for


def _answer(client, surface, model, record_exchange):
    response = client.request("POST", PATHS[surface], headers=headers_for(surface),
                              json=body_for(surface, model, max_tokens=1))
    record_exchange(response.exchange)
    expect(response.status == 200, "request failed", expected="200",
           observed=f"{response.status} {response.text[:160]}", exchange=response.exchange)
    return response


@check("HDR-4", level="SHOULD", category="Rate limits", feature="rate-limits", surface="openai",
       title="x-ratelimit-* headers: integer limits, duration-string resets")
def test_hdr4_openai_headers(client, chat_model, record_exchange):
    response = _answer(client, "openai", chat_model, record_exchange)
    hdr.openai_ratelimit_headers(response.headers, exchange=response.exchange)


@check("HDR-5", level="SHOULD", category="Rate limits", feature="rate-limits",
       surface="anthropic",
       title="anthropic-ratelimit-* headers: integer limits, RFC 3339 resets")
def test_hdr5_anthropic_headers(client, chat_model, record_exchange):
    response = _answer(client, "anthropic", chat_model, record_exchange)
    hdr.anthropic_ratelimit_headers(response.headers, exchange=response.exchange)
