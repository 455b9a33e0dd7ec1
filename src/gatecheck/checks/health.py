"""Health judges: liveness without auth, readiness bodies, no secrets, no rate limiting."""

from __future__ import annotations

import re
from collections.abc import Iterable

from gatecheck.checks._common import NOT_JSON, ResponseLike, excerpt, exchange_of, json_of
from gatecheck.checks._failures import expect

__all__ = ["health_has_no_secrets", "health_is_up", "health_not_rate_limited"]

_SECRETS = re.compile(
    r"\b(?:sk-(?:ant-)?|gk-|pk-)[A-Za-z0-9_-]{16,}|\bBearer\s+[A-Za-z0-9._~+/=-]{12,}"
    r"|\"(?:api_key|apikey|password|secret)\"\s*:\s*\"[^\"]+\"", re.IGNORECASE)


def health_is_up(response: ResponseLike, *, what: str, want_json: bool = True) -> None:
    """HEALTH-1 / HEALTH-2: a healthy target answers 200 (a JSON body for readiness)."""
    exchange = exchange_of(response)
    expect(response.status == 200, f"{what} is not 200 on a healthy target", expected="200",
           observed=f"{response.status} {excerpt(response.content, 160)}", exchange=exchange)
    if want_json:
        expect(json_of(response.content) is not NOT_JSON, f"{what} body is not JSON",
               expected="a JSON status body", observed=excerpt(response.content, 160),
               exchange=exchange)


def health_has_no_secrets(response: ResponseLike, secrets: Iterable[str] = ()) -> None:
    """HEALTH-3: no keys, upstream credentials or key-shaped strings in health output."""
    text = response.content.decode("utf-8", "replace")
    planted = [s for s in secrets if s and len(s) >= 8 and s in text]
    found = _SECRETS.search(text)
    expect(not planted and found is None, "health output contains a secret",
           expected="no keys or credentials",
           observed="a configured secret" if planted else f"key-shaped text at {found.start()}"
           if found else "", exchange=exchange_of(response))


def health_not_rate_limited(statuses: list[int]) -> None:
    """HEALTH-4: a burst of health polls is never answered 429."""
    limited = sum(1 for s in statuses if s == 429)
    expect(limited == 0, "health endpoint is rate limited", expected="no 429 on health",
           observed=f"{limited} of {len(statuses)} polls got 429")
