"""Limit judges: 429 with Retry-After, SDK-honoured delays, 413 envelopes, overload (LIM-*)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from gatecheck import Surface
from gatecheck.checks._common import ResponseLike, excerpt, exchange_of, header
from gatecheck.checks._failures import expect, warn
from gatecheck.checks.errors import error_envelope, error_object

__all__ = [
    "accepted_below_limit",
    "overload_reported",
    "rate_limited",
    "retry_after_seconds",
    "retry_after_within_sdk_limits",
    "too_large",
    "upstream_retry_after_kept",
]

# Beyond these the SDKs ignore Retry-After (Anthropic: own backoff) or give up (OpenAI).
SDK_MAX_RETRY_AFTER = {"openai": 120.0, "anthropic": 60.0}


def retry_after_seconds(response: ResponseLike) -> float | None:
    """The delay a 429 asks for: retry-after-ms, Retry-After seconds or HTTP-date (as SDKs)."""
    millis = header(response.headers, "retry-after-ms")
    if millis is not None:
        try:
            return float(millis) / 1000
        except ValueError:
            return None
    value = header(response.headers, "retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return (when - datetime.now(UTC)).total_seconds()


def rate_limited(surface: Surface, response: ResponseLike, *, retry_after: bool = True) -> None:
    """LIM-1: 429, the surface's envelope with the rate-limit type, and Retry-After >= 1 s."""
    exchange = exchange_of(response)
    cause = "rate-limit-response"
    expect(response.status == 429, "rate-limited request not answered 429", expected="429",
           observed=f"{response.status} {excerpt(response.content, 160)}", exchange=exchange,
           cause=cause)
    error = error_envelope(surface, response)
    if surface == "anthropic":
        expect(error.get("type") == "rate_limit_error", "429 error.type is not rate_limit_error",
               expected="rate_limit_error", observed=repr(error.get("type")), exchange=exchange,
               cause=cause)
    else:
        expect("rate_limit_exceeded" in (error.get("code"), error.get("type"))
               or "insufficient_quota" in (error.get("code"), error.get("type")),
               "429 does not say rate_limit_exceeded", expected="code rate_limit_exceeded",
               observed=f"type={error.get('type')!r} code={error.get('code')!r}",
               exchange=exchange, cause=cause)
    if retry_after:
        seconds = retry_after_seconds(response)
        expect(seconds is not None and seconds > 0, "429 without a usable Retry-After",
               expected="Retry-After: <integer seconds >= 1> (or retry-after-ms)",
               observed=repr(header(response.headers, "retry-after")), exchange=exchange,
               cause=cause)


def retry_after_within_sdk_limits(surface: Surface, response: ResponseLike) -> None:
    """LIM-2: a Retry-After the official SDK of the surface actually honours."""
    seconds = retry_after_seconds(response)
    limit = SDK_MAX_RETRY_AFTER[surface]
    expect(seconds is not None and 0 < seconds <= limit,
           "Retry-After outside what the SDK honours",
           expected=f"0 < seconds <= {limit:g}", observed=repr(seconds),
           exchange=exchange_of(response), cause="rate-limit-response")


def _prefixed_copies(response: ResponseLike) -> list[str]:
    """Retry-After under another name (LiteLLM: llm_provider-retry-after): no SDK reads it."""
    return [f"{name}: {value}" for name, value in response.headers.items()
            if name.lower().endswith(("retry-after", "retry-after-ms"))
            and name.lower() not in ("retry-after", "retry-after-ms")]


def upstream_retry_after_kept(response: ResponseLike, *, upstream_retry_after: float) -> None:
    """LIM-3: an upstream 429 reaches the client as a 429 with the upstream's Retry-After.

    Only the standard names count (``Retry-After``, ``retry-after-ms``): they are what the
    official SDKs wait on. The 429's envelope and type are ERR-1 / ERR-2 / ERR-3's business.
    """
    exchange = exchange_of(response)
    expect(response.status == 429, f"the upstream's 429 reached the client as {response.status}",
           expected="429", observed=f"{response.status} {excerpt(response.content, 160)}",
           exchange=exchange, cause="upstream-status-lost")
    seconds = retry_after_seconds(response)
    copies = _prefixed_copies(response)
    only = f" (only as {', '.join(copies)}, which no SDK reads)" if copies else ""
    expect(seconds is not None, f"the upstream's Retry-After did not reach the client{only}",
           expected=f"Retry-After: {upstream_retry_after:g}",
           observed="; ".join(copies) or "no Retry-After", exchange=exchange,
           cause="retry-after-dropped")
    expect(seconds is not None and abs(seconds - upstream_retry_after) <= 1,
           "the upstream's Retry-After was changed",
           expected=f"Retry-After ~ {upstream_retry_after:g}", observed=repr(seconds),
           exchange=exchange, cause="retry-after-dropped")


def too_large(surface: Surface, response: ResponseLike, *, statuses: tuple[int, ...] = (413,),
              what: str = "body over the limit") -> None:
    """LIM-4: an oversized request gets 413 in the surface's JSON envelope, not HTML or a reset."""
    exchange = exchange_of(response)
    expect(response.status in statuses, f"{what}: not rejected as too large",
           expected=" or ".join(map(str, statuses)),
           observed=f"{response.status} {excerpt(response.content, 160)}", exchange=exchange,
           cause="limits")
    error = error_envelope(surface, response)
    if surface == "anthropic" and response.status == 413:
        expect(error.get("type") == "request_too_large", "413 error.type is not request_too_large",
               expected="request_too_large", observed=repr(error.get("type")), exchange=exchange,
               cause="limits")


def accepted_below_limit(response: ResponseLike, *, what: str) -> None:
    """LIM-5: a request just under the limit is served (2xx)."""
    expect(200 <= response.status < 300, f"{what}: refused below the limit", expected="2xx",
           observed=f"{response.status} {excerpt(response.content, 160)}",
           exchange=exchange_of(response), cause="limits")


def overload_reported(surface: Surface, response: ResponseLike) -> None:
    """LIM-6: overload is Anthropic 529 overloaded_error / OpenAI 503, both retryable.

    The status and the error's type only; the envelope around them is ERR-1 / ERR-2's.
    """
    exchange = exchange_of(response)
    wanted = (529,) if surface == "anthropic" else (503,)
    if surface == "anthropic" and response.status == 503:
        warn("Anthropic surface reports overload as 503 instead of 529", exchange=exchange)
        wanted = (503,)
    expect(response.status in wanted, "upstream overload not reported as overload",
           expected=" or ".join(map(str, wanted)),
           observed=f"{response.status} {excerpt(response.content, 160)}", exchange=exchange,
           cause="upstream-status-lost")
    if response.status == 529:
        kind = error_object(response).get("type")
        expect(kind == "overloaded_error", "529 error.type is not overloaded_error",
               expected="overloaded_error", observed=repr(kind), exchange=exchange,
               cause="error-status-type")
