"""The routes that never reach a model: health, models list, keys and usage.

Health: ``/health/live`` is constant and unauthenticated; ``/health`` reports each
provider's state as the proxy has seen it; ``/health/ready`` is 503 (JSON) when no provider
accepts connections (a TCP probe, cached for 2 s). None of them calls a model (HEALTH-1..3)
and none shows a secret. Keys: create (admin; the key is in that one response only), list
(no secrets), revoke; usage per key (admin: every key, others: their own).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from gatecheck.proxy.app import Ctx
from gatecheck.proxy.auth import authenticate
from gatecheck.proxy.config import ProxyConfig
from gatecheck.proxy.errors import ProxyError
from gatecheck.proxy.keystore import ADMIN_KEY_ID, LAST_INSTANT, PERMISSIONS, KeyStore
from gatecheck.proxy.models import ModelTable
from gatecheck.proxy.upstream import Upstream
from gatecheck.proxy.validate import parse_json

__all__ = ["AdminApi"]

_RATE_LIMIT_FIELDS = (
    "requests_per_minute", "requests_per_hour", "requests_per_day", "tokens_per_minute",
)


def _bad(message: str, param: str | None = None) -> ProxyError:
    return ProxyError("invalid_request", message, param=param)


def _query(ctx: Ctx) -> dict[str, str]:
    raw = ctx.scope.get("query_string", b"").decode("latin-1")
    return dict(parse_qsl(raw))


def _expiry(body: dict[str, Any]) -> float | None:
    """``expires_at`` (RFC 3339 or epoch seconds, in the future) or ``expires_in`` (seconds
    from now). A past ``expires_at`` is refused: a key born expired is a typo, not a key.
    So is one past 9999-12-31T23:59:59Z, the last instant RFC 3339 can write: the listing
    could not show it."""
    if body.get("expires_at") is not None:
        value = body["expires_at"]
        at: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            at = float(value)
        elif isinstance(value, str):
            # fromisoformat refuses years past 9999; timestamp() can overflow near year 1
            with contextlib.suppress(ValueError, OverflowError, OSError):
                at = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        if at is None:
            raise _bad("expires_at must be an RFC 3339 timestamp or epoch seconds.", "expires_at")
        if at <= time.time():
            raise _bad(
                "expires_at is in the past; give a future time (or expires_in seconds).",
                "expires_at",
            )
        if at > LAST_INSTANT:
            raise _bad("expires_at must be at most 9999-12-31T23:59:59Z.", "expires_at")
        return at
    if body.get("expires_in") is not None:
        value = body["expires_in"]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise _bad("expires_in must be a positive number of seconds.", "expires_in")
        at = time.time() + float(value)
        if at > LAST_INSTANT:
            raise _bad("expires_in must end by 9999-12-31T23:59:59Z.", "expires_in")
        return at
    return None


def _rate_limits(body: dict[str, Any]) -> dict[str, int] | None:
    """Stored with the key now; enforced by part 2's limiter."""
    raw = body.get("rate_limits")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _bad("rate_limits must be an object.", "rate_limits")
    out: dict[str, int] = {}
    for name, value in raw.items():
        if name not in _RATE_LIMIT_FIELDS:
            raise _bad(f"rate_limits.{name} is not one of {', '.join(_RATE_LIMIT_FIELDS)}.",
                       f"rate_limits.{name}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _bad(f"rate_limits.{name} must be a positive integer.", f"rate_limits.{name}")
        out[name] = value
    return out


class AdminApi:
    def __init__(
        self, config: ProxyConfig, store: KeyStore, upstream: Upstream, models: ModelTable
    ) -> None:
        self.config = config
        self.store = store
        self.upstream = upstream
        self.models = models
        self.started = time.time()

    # -- health (no auth, no model calls) ---------------------------------------------------

    async def live(self, ctx: Ctx) -> None:
        await ctx.respond_json(200, {"status": "alive"})

    async def _providers(self) -> dict[str, dict[str, Any]]:
        providers = self.config.providers
        reachable = await asyncio.gather(*(self.upstream.probe(p) for p in providers))
        out = {}
        for provider, ok in zip(providers, reachable, strict=True):
            state = self.upstream.state[provider.name]
            out[provider.name] = {
                "format": provider.format,
                "reachable": ok,
                "status": "up" if ok else "down",
                "requests": state.requests,
                "failures": state.failures,
                "consecutive_failures": state.consecutive_failures,
                "last_error": state.last_error,
                "last_error_at": state.last_error_at,
                "last_ok": state.last_ok,
                "breaker": state.breaker.snapshot() if state.breaker is not None else None,
            }
        return out

    async def health(self, ctx: Ctx) -> None:
        providers = await self._providers()
        up = sum(  # reachable, and not shut off by its circuit breaker
            1 for p in providers.values()
            if p["reachable"] and (p["breaker"] or {}).get("state") != "open"
        )
        status = "ok" if up == len(providers) else ("degraded" if up else "unavailable")
        body = {
            "status": status,
            "uptime_s": round(time.time() - self.started, 3),
            "providers": providers,
            "models": len(self.models.names),
        }
        await ctx.respond_json(200, body)  # the state is in the body; /health/ready gates

    async def ready(self, ctx: Ctx) -> None:
        providers = await self._providers()
        usable = [
            name for name, p in providers.items()
            if p["reachable"] and (p["breaker"] or {}).get("state") != "open"
        ]
        breakers = {name: (p["breaker"] or {}).get("state") for name, p in providers.items()}
        body = {
            "status": "ready" if usable else "not_ready",
            "usable_providers": usable,
            "breakers": breakers,
        }
        await ctx.respond_json(200 if usable else 503, body)

    # -- models (any valid key) -------------------------------------------------------------

    async def list_models(self, ctx: Ctx) -> None:
        authenticate(self.store, ctx.headers, None)
        if ctx.surface == "anthropic":
            await ctx.respond_json(200, self.models.anthropic_list(_query(ctx)))
        else:
            await ctx.respond_json(200, self.models.openai_list())

    async def get_model(self, ctx: Ctx) -> None:
        authenticate(self.store, ctx.headers, None)
        await ctx.respond_json(200, self.models.entry(ctx.param, ctx.surface == "anthropic"))

    # -- keys (admin) and usage -------------------------------------------------------------

    async def create_key(self, ctx: Ctx) -> None:
        authenticate(self.store, ctx.headers, "admin")
        body = parse_json(await ctx.read_body(65536))
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise _bad("name is required: a string of 1 to 100 characters.", "name")
        permissions = body.get("permissions", ["chat"])
        if (
            not isinstance(permissions, list)
            or not permissions
            or not all(isinstance(p, str) and p in PERMISSIONS for p in permissions)
        ):
            raise _bad("permissions must be a non-empty subset of ['admin', 'chat'].",
                       "permissions")
        key, record = self.store.create(
            name,
            frozenset(permissions),
            expires_at=_expiry(body),
            rate_limits=_rate_limits(body),
        )
        await ctx.respond_json(201, {**record.public(), "key": key})

    async def list_keys(self, ctx: Ctx) -> None:
        authenticate(self.store, ctx.headers, "admin")
        data = [r.public() for r in self.store.list()]
        await ctx.respond_json(200, {"object": "list", "data": data})

    async def delete_key(self, ctx: Ctx) -> None:
        authenticate(self.store, ctx.headers, "admin")
        record = self.store.revoke(ctx.param)
        if record is None:
            raise ProxyError("not_found", f"No API key with id '{ctx.param}'.", param="id")
        await ctx.respond_json(200, {"id": record.id, "object": "api_key", "deleted": True})

    async def usage(self, ctx: Ctx) -> None:
        caller = authenticate(self.store, ctx.headers, None)
        usage = self.store.usage()
        names = {r.id: r.name for r in self.store.list()}
        names[ADMIN_KEY_ID] = "admin"
        wanted = _query(ctx).get("key_id")
        if "admin" not in caller.permissions:
            wanted = caller.id  # a chat key sees only its own usage
        zero = dict.fromkeys(
            ("requests", "successes", "failures", "input_tokens", "output_tokens"), 0
        )
        ids = [wanted] if wanted else sorted(set(names) | set(usage))
        data = [
            {"key_id": key_id, "name": names.get(key_id), **zero, **usage.get(key_id, {})}
            for key_id in ids
        ]
        await ctx.respond_json(200, {"object": "list", "data": data})
