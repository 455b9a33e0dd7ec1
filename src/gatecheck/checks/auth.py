"""Authentication judges: accepted credentials, rejected ones and how they are rejected."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gatecheck import Surface
from gatecheck.checks._common import (
    NOT_JSON,
    ResponseLike,
    content_kind,
    excerpt,
    exchange_of,
    json_of,
    media_type,
)
from gatecheck.checks._failures import expect
from gatecheck.checks.errors import error_envelope, error_message_is_clean, is_retryable

__all__ = [
    "anthropic_extras_forwarded", "credentials_accepted", "credentials_rejected",
    "rejection_is_final", "secrets_not_echoed",
]



def credentials_accepted(response: ResponseLike, how: str, *, stream: bool = False) -> None:
    """AUTH-1 / AUTH-2 / AUTH-9: a request with valid credentials is served: 2xx with the
    API's answer (JSON; a text/event-stream for a ``stream`` request), not a page that only
    looks like success (a login page or a proxy's, answered 200 to anything)."""
    exchange = exchange_of(response)
    expect(200 <= response.status < 300, f"valid credentials ({how}) were not accepted",
           expected="2xx", observed=f"{response.status} {excerpt(response.content, 200)}",
           exchange=exchange)
    if stream:
        served, wanted = media_type(response.headers) == "text/event-stream", "a stream"
    else:
        served, wanted = json_of(response.content) is not NOT_JSON, "a JSON body"
    expect(served, f"valid credentials ({how}) got a {response.status} that is not the API's "
                   f"answer: the body is not {'a stream' if stream else 'JSON'}: "
                   f"{content_kind(response)}",
           expected=f"2xx with {wanted}", observed=excerpt(response.content, 200),
           exchange=exchange, cause="not-json")


def rejection_is_final(response: ResponseLike, why: str = "") -> None:
    """AUTH-6: auth failures use a status the SDKs do not retry (no 408/409/429/5xx)."""
    expect(not is_retryable(response.status) and 400 <= response.status < 500,
           f"auth failure answered with {response.status}, which SDKs retry or misread",
           expected="401 or 403", observed=str(response.status), exchange=exchange_of(response),
           cause=_rejection_cause(response.status, why, 401))


def _rejection_cause(status: int, why: str, expected_status: int) -> str:
    """The cause id a wrong answer to missing, wrong or unpermitted credentials shows."""
    if expected_status == 403:
        return "permission-status"
    if 200 <= status < 300:
        missing = "no credentials" in why or "without credentials" in why  # MOD-4, keys
        return "no-auth" if missing else "wrong-key-accepted"
    return "auth-retryable" if is_retryable(status) else "auth-status"


def credentials_rejected(surface: Surface, response: ResponseLike, *, why: str,
                         expected_status: int = 401, sent_secret: str | None = None,
                         check_envelope: bool = True) -> None:
    """AUTH-3 / AUTH-4 / AUTH-5: the rejection status, envelope, no echoed key.

    Missing and wrong credentials are 401 on both surfaces (checklist AUTH-3/4: no profile
    can make 403 or 400 right); a valid key without the permission is 403 (AUTH-5).
    """
    exchange = exchange_of(response)
    expect(response.status == expected_status,
           f"{why}: {'accepted' if 200 <= response.status < 300 else 'wrong status'}",
           expected=str(expected_status),
           observed=f"{response.status} {excerpt(response.content, 200)}", exchange=exchange,
           cause=_rejection_cause(response.status, why, expected_status))
    rejection_is_final(response, why)
    if check_envelope:
        error = error_envelope(surface, response)
        secrets = [sent_secret] if sent_secret else []
        error_message_is_clean(response, str(error.get("message", "")), secrets=secrets)


def secrets_not_echoed(response: ResponseLike, secrets: Iterable[str]) -> None:
    """AUTH-8: no sent secret appears anywhere in the response body."""
    text = response.content.decode("utf-8", "replace")
    echoed = [s for s in secrets if s and len(s) >= 8 and s in text]
    expect(not echoed, "the response echoes the credential that was sent",
           expected="the key masked or absent", observed="the full key in the body",
           exchange=exchange_of(response), cause="error-leaks")


def anthropic_extras_forwarded(received: Mapping[str, Any], *, beta: str, cache_blocks: int,
                               exchange: Any = None) -> None:
    """AUTH-10: what an Anthropic upstream received carries the client's beta flags and marks.

    `received` is the upstream's record of the request (the mock's log entry: its headers and
    its count of blocks marked cache_control). The anthropic-beta list must arrive whole
    (spacing and order aside); every cache_control mark must survive, or prompt caching and
    beta features silently switch off.
    """
    headers = {str(k).lower(): str(v) for k, v in (received.get("headers") or {}).items()}
    got = headers.get("anthropic-beta")
    flags = sorted(part.strip() for part in beta.split(","))
    expect(got is not None and sorted(p.strip() for p in got.split(",")) == flags,
           "anthropic-beta did not reach the upstream unmodified", expected=beta,
           observed="no anthropic-beta header" if got is None else got, exchange=exchange)
    marks = received.get("cache_control")
    expect(marks == cache_blocks, "cache_control blocks did not reach the upstream",
           expected=f"{cache_blocks} blocks marked cache_control",
           observed=f"{marks} marked", exchange=exchange)
