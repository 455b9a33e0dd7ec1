"""Header judges: request ids, content types, rate-limit header formats (HDR-*)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from gatecheck import Surface
from gatecheck.checks._common import header, media_type
from gatecheck.checks._failures import ExchangeLike, expect

__all__ = [
    "anthropic_ratelimit_headers",
    "content_type_is",
    "openai_ratelimit_headers",
    "request_id_present",
]

# OpenAI reset values are Go-style durations: "1s", "6m0s", "12ms", "17.28s", "1h2m3s".
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:h|m|s|ms))+$")
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$")
REQUEST_ID_HEADER = {"openai": "x-request-id", "anthropic": "request-id"}


def request_id_present(surface: Surface, headers: Mapping[str, str], *, what: str,
                       exchange: ExchangeLike | None = None) -> None:
    """HDR-1 / HDR-2: `x-request-id` (OpenAI) / `request-id` (Anthropic) on every response."""
    name = REQUEST_ID_HEADER[surface]
    value = header(headers, name)
    if value and value.strip():
        return
    # An id under another name (LiteLLM: x-litellm-call-id, and the upstream's id renamed
    # llm_provider-x-request-id) is said: the SDKs read only this name (`_request_id`).
    others = sorted(k for k in headers if k.lower() != name and _ID_NAME.search(k.lower()))
    observed = "absent" + (f"; ids under other names: {', '.join(others)} (the official "
                           f"SDKs read only {name})" if others else "")
    expect(False, f"{what}: no {name} header", expected=f"{name}: <id>", observed=observed,
           exchange=exchange, cause="request-id-missing")


_ID_NAME = re.compile(r"(request|call|trace)[-_]?id$")


def content_type_is(headers: Mapping[str, str], wanted: str, *, what: str,
                    exchange: ExchangeLike | None = None, cause: str | None = None) -> None:
    """HDR-6: JSON bodies (errors included) are application/json, streams text/event-stream."""
    expect(media_type(headers) == wanted, f"{what}: wrong Content-Type",
           expected=wanted, observed=repr(header(headers, "content-type")), exchange=exchange,
           cause=cause)


def _int_header(headers: Mapping[str, str], name: str, exchange: ExchangeLike | None) -> int:
    value = header(headers, name)
    expect(value is not None and value.strip().isdigit(), f"{name} is not a non-negative integer",
           expected=f"{name}: <int>", observed=repr(value), exchange=exchange)
    return int(str(value).strip())


def openai_ratelimit_headers(headers: Mapping[str, str], *,
                             exchange: ExchangeLike | None = None) -> None:
    """HDR-4: x-ratelimit-{limit,remaining}-{requests,tokens} ints, reset-* duration strings."""
    for kind in ("requests", "tokens"):
        if header(headers, f"x-ratelimit-limit-{kind}") is None:
            continue  # a gateway may limit only requests (or only tokens)
        limit = _int_header(headers, f"x-ratelimit-limit-{kind}", exchange)
        remaining = _int_header(headers, f"x-ratelimit-remaining-{kind}", exchange)
        expect(remaining <= limit, f"x-ratelimit-remaining-{kind} exceeds the limit",
               expected=f"<= {limit}", observed=str(remaining), exchange=exchange)
        reset = header(headers, f"x-ratelimit-reset-{kind}")
        expect(reset is not None and _DURATION.match(reset.strip()) is not None,
               f"x-ratelimit-reset-{kind} is not a duration string",
               expected='a duration such as "1s", "6m0s", "12ms" (not epoch, not bare seconds)',
               observed=repr(reset), exchange=exchange)
    expect(header(headers, "x-ratelimit-limit-requests") is not None
           or header(headers, "x-ratelimit-limit-tokens") is not None,
           "no x-ratelimit-* headers", expected="x-ratelimit-limit-requests and friends",
           observed="absent", exchange=exchange)


def anthropic_ratelimit_headers(headers: Mapping[str, str], *,
                                exchange: ExchangeLike | None = None) -> None:
    """HDR-5: anthropic-ratelimit-*-{limit,remaining} ints and *-reset RFC 3339 timestamps."""
    seen = 0
    for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
        prefix = f"anthropic-ratelimit-{kind}"
        if header(headers, f"{prefix}-limit") is None:
            continue
        seen += 1
        limit = _int_header(headers, f"{prefix}-limit", exchange)
        remaining = _int_header(headers, f"{prefix}-remaining", exchange)
        expect(remaining <= limit, f"{prefix}-remaining exceeds the limit",
               expected=f"<= {limit}", observed=str(remaining), exchange=exchange)
        reset = (header(headers, f"{prefix}-reset") or "").strip()
        valid = _RFC3339.match(reset) is not None
        if valid:
            try:
                datetime.fromisoformat(reset.replace("z", "Z"))
            except ValueError:
                valid = False
        expect(valid, f"{prefix}-reset is not an RFC 3339 timestamp",
               expected="e.g. 2026-11-21T10:00:00Z", observed=repr(reset), exchange=exchange)
    expect(seen > 0, "no anthropic-ratelimit-* headers",
           expected="anthropic-ratelimit-requests-limit and friends", observed="absent",
           exchange=exchange)
