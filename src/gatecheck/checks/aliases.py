"""Alias judges: routing, the response-model echo policy, no prefix leaks, list <-> usable."""

from __future__ import annotations

from collections.abc import Mapping

from gatecheck.checks._failures import ExchangeLike, expect, warn

__all__ = ["aliases_are_listed", "listed_models_are_usable", "model_echo_follows_policy"]


def model_echo_follows_policy(observed: object, *, requested: str, resolved: str | None,
                              policy: str | None, where: str,
                              exchange: ExchangeLike | None = None) -> None:
    """ALIAS-2: the response `model` is the requested name or the resolved one, per policy,
    identical wherever it appears, and never an internal `provider/` routing name.

    `resolved` is the alias target from the profile (e.g. "mock/mock-chat"); its provider
    prefix is internal, so the acceptable resolved echo is the part after the last "/".
    """
    bare = resolved.rsplit("/", 1)[-1] if resolved else None
    expect(isinstance(observed, str) and bool(observed), f"{where}: `model` missing",
           expected="a model name", observed=repr(observed), exchange=exchange, cause="model-echo")
    if resolved and "/" in resolved:
        expect(observed != resolved, f"{where}: the internal routing name leaks into `model`",
               expected=f"{requested!r} or {bare!r}", observed=repr(observed), exchange=exchange,
               cause="model-echo")
    if policy == "requested":
        allowed = {requested}
    elif policy == "resolved":
        allowed = {bare or requested}
    else:  # no declared policy: either is fine, as long as it is one of them
        allowed = {requested} | ({bare} if bare else set())
    expect(observed in allowed, f"{where}: `model` does not follow the echo policy "
           f"({policy or 'requested or resolved'})", expected=" or ".join(sorted(allowed)),
           observed=repr(observed), exchange=exchange, cause="model-echo")


def aliases_are_listed(listed: list[str], aliases: Mapping[str, str], *,
                       exchange: ExchangeLike | None = None) -> None:
    """ALIAS-4: every configured alias appears in /v1/models."""
    missing = sorted(a for a in aliases if a not in listed)
    expect(not missing, "configured aliases are missing from /v1/models",
           expected="every alias listed", observed=f"missing: {', '.join(missing)}",
           exchange=exchange, cause="models-list")


def listed_models_are_usable(statuses: Mapping[str, int], *,
                             exchange: ExchangeLike | None = None) -> None:
    """ALIAS-4: every id /v1/models lists is accepted by chat (2xx)."""
    refused = {m: s for m, s in statuses.items() if not 200 <= s < 300}
    if any(s == 429 for s in refused.values()):
        warn("rate limited while probing listed models", exchange=exchange)
    expect(not refused, "models listed by /v1/models are refused by chat",
           expected="2xx for every listed id",
           observed=", ".join(f"{m}: {s}" for m, s in sorted(refused.items())),
           exchange=exchange, cause="models-list")
