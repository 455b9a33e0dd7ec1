"""Client authentication: `Authorization: Bearer` or `x-api-key`, on both surfaces.

Missing -> 401, unknown/revoked/expired -> 401, two different keys -> 401, valid without
the permission -> 403 (AUTH-1..5). Never 5xx or 429 (AUTH-6), and no message ever
contains the key (AUTH-8).
"""

from __future__ import annotations

from collections.abc import Mapping

from gatecheck.proxy.errors import ProxyError
from gatecheck.proxy.keystore import KeyRecord, KeyStore

__all__ = ["authenticate", "credentials"]


def credentials(headers: Mapping[str, str]) -> list[str]:
    """The presented keys, Bearer token first, then `x-api-key` (duplicates once).

    The scheme word is matched case-insensitively (RFC 9110 §11.1). A non-Bearer
    Authorization (e.g. Basic) is ignored. Both headers may carry the same key (the
    Anthropic SDK with ``auth_token`` set sends both); two different keys are refused by
    :func:`authenticate`, since one of them is not the caller's and which one would be billed
    is a guess.
    """
    found: list[str] = []
    auth = headers.get("authorization")
    if auth:
        scheme, _, token = auth.strip().partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            found.append(token)
    key = headers.get("x-api-key", "").strip()
    if key and key not in found:
        found.append(key)
    return found


def authenticate(
    store: KeyStore, headers: Mapping[str, str], permission: str | None
) -> KeyRecord:
    """The caller's key record, or a ProxyError (401 / 403); ``None``: any valid key."""
    keys = credentials(headers)
    if not keys:
        raise ProxyError(
            "missing_key",
            "No API key provided. Send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.",
        )
    if len(keys) > 1:
        raise ProxyError(
            "invalid_key",
            "Two different API keys were sent ('Authorization: Bearer' and 'x-api-key'); "
            "send one key, or the same key in both.",
        )
    record = store.lookup(keys[0])
    if record is None:
        raise ProxyError("invalid_key", "Invalid API key provided (unknown, revoked or expired).")
    if permission is not None and permission not in record.permissions:
        raise ProxyError(
            "permission",
            f"This API key does not have the '{permission}' permission.",
        )
    return record
