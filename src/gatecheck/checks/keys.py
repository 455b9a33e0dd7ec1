"""Key-management judges: create, use, revoke, and the revoked key's rejection (Keys)."""

from __future__ import annotations

from typing import Any

from gatecheck.checks._common import (
    NOT_JSON,
    ResponseLike,
    as_object,
    excerpt,
    exchange_of,
    json_of,
)
from gatecheck.checks._failures import expect

__all__ = ["key_created", "key_listing_hides_secrets", "key_revoked"]


def key_created(response: ResponseLike, *, prefix: str | None) -> dict[str, Any]:
    """Creating a key answers 200/201 with the key (once) and an id; returns the body."""
    exchange = exchange_of(response)
    expect(response.status in (200, 201), "key creation failed",
           expected="201 (or 200) with the new key",
           observed=f"{response.status} {excerpt(response.content, 200)}", exchange=exchange)
    body = as_object(json_of(response.content), "key creation body is not a JSON object",
                     expected='{"id", "key", ...}', exchange=exchange)
    key = body.get("key")
    expect(isinstance(key, str) and bool(key) and isinstance(body.get("id"), str),
           "key creation body lacks `key` or `id`", expected='{"id": str, "key": str}',
           observed=", ".join(sorted(body)), exchange=exchange)
    if prefix:
        expect(str(key).startswith(prefix), "new key lacks the documented prefix",
               expected=f"{prefix}...", observed=f"{str(key)[:3]}...", exchange=exchange)
    return body


def key_revoked(response: ResponseLike) -> None:
    """Revoking a key answers 2xx."""
    expect(200 <= response.status < 300, "key revocation failed", expected="200 or 204",
           observed=f"{response.status} {excerpt(response.content, 200)}",
           exchange=exchange_of(response))


def key_listing_hides_secrets(response: ResponseLike, secret: str) -> None:
    """Listing or reading keys never shows a key's full value again."""
    exchange = exchange_of(response)
    expect(200 <= response.status < 300 and json_of(response.content) is not NOT_JSON,
           "key listing failed", expected="200 JSON",
           observed=f"{response.status} {excerpt(response.content, 160)}", exchange=exchange)
    expect(secret not in response.content.decode("utf-8", "replace"),
           "key listing shows the full key", expected="the key shown only at creation",
           observed="the full key in the listing", exchange=exchange)
