"""Client authentication: `Authorization: Bearer` or `x-api-key`, on both surfaces.

Missing -> 401, unknown/revoked/expired -> 401, valid without the permission -> 403
(AUTH-1..5). Never 5xx or 429 (AUTH-6), and no message ever contains the key (AUTH-8).
"""

from __future__ import annotations

from collections.abc import Mapping

from gatecheck.proxy.errors import ProxyError
from gatecheck.proxy.keystore import KeyRecord, KeyStore

__all__ = ["authenticate", "credential"]


def credential(headers: Mapping[str, str]) -> str | None:
    """The presented key: a Bearer token wins, then `x-api-key`; None when neither is there.

    The scheme word is matched case-insensitively (RFC 9110 §11.1); a non-Bearer
    Authorization (e.g. Basic) is ignored so an Anthropic client's x-api-key still counts.
    """
    auth = headers.get("authorization")
    if auth:
        scheme, _, token = auth.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    key = headers.get("x-api-key")
    if key and key.strip():
        return key.strip()
    return None


def authenticate(
    store: KeyStore, headers: Mapping[str, str], permission: str | None
) -> KeyRecord:
    """The caller's key record, or a ProxyError (401 / 403); ``None``: any valid key."""
    key = credential(headers)
    if key is None:
        raise ProxyError(
            "missing_key",
            "No API key provided. Send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.",
        )
    record = store.lookup(key)
    if record is None:
        raise ProxyError("invalid_key", "Invalid API key provided (unknown, revoked or expired).")
    if permission is not None and permission not in record.permissions:
        raise ProxyError(
            "permission",
            f"This API key does not have the '{permission}' permission.",
        )
    return record
