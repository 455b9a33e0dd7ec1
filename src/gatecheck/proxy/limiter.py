"""Rate limits at the front door: admit or refuse a key's request, and say so in headers.

``KeyLimiter.admit`` runs after authentication on the model routes. A refused request is a
429 in the surface's envelope (``rate_limit_exceeded`` / ``rate_limit_error``) with
``Retry-After`` in whole seconds (at least 1, LIM-1). Admitted or not, the answer carries
the surface's rate-limit headers (HDR-4, HDR-5): on OpenAI ``x-ratelimit-{limit,remaining,
reset}-{requests,tokens}`` with Go-style duration resets (``1s``, ``6m0s``), on Anthropic
``anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}`` with RFC 3339 resets. A
key without limits gets neither the work nor the headers. Health, CORS preflights and the
admin routes never come here (HEALTH-4). If the backend fails (Redis down), requests are
admitted without limits and a warning is logged: availability over strictness.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping

from gatecheck.proxy.config import RateLimitConfig
from gatecheck.proxy.errors import ProxyError, Surface
from gatecheck.proxy.keystore import KeyRecord
from gatecheck.proxy.ratelimit import (
    Decision,
    Limits,
    MemoryLimiter,
    RateLimiter,
    RedisLimiter,
    format_duration,
)

__all__ = ["KeyLimiter", "build_backend", "rate_limit_headers"]

log = logging.getLogger("gatecheck.proxy")

_WINDOW_WORDS = {
    "requests_per_minute": "requests per minute",
    "requests_per_hour": "requests per hour",
    "requests_per_day": "requests per day",
    "tokens_per_minute": "tokens per minute",
}


# (limit, remaining, reset) header names, for the requests and the tokens window
_OPENAI_NAMES = tuple(
    (f"x-ratelimit-limit-{k}", f"x-ratelimit-remaining-{k}", f"x-ratelimit-reset-{k}")
    for k in ("requests", "tokens")
)
_ANTHROPIC_NAMES = tuple(
    (f"anthropic-ratelimit-{k}-limit", f"anthropic-ratelimit-{k}-remaining",
     f"anthropic-ratelimit-{k}-reset")
    for k in ("requests", "tokens")
)


def _rfc3339(reset_s: float, now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(math.ceil(now + reset_s)))


def rate_limit_headers(
    surface: Surface, decision: Decision, now: float | None = None
) -> list[tuple[str, str]]:
    """The surface's rate-limit header family for a decision."""
    out: list[tuple[str, str]] = []
    states = (decision.requests, decision.tokens)
    if surface == "openai":
        for (limit, remaining, reset), state in zip(_OPENAI_NAMES, states, strict=True):
            if state is not None:
                out += [
                    (limit, str(state.limit)),
                    (remaining, str(state.remaining)),
                    (reset, format_duration(state.reset_s)),
                ]
        return out
    wall = time.time() if now is None else now
    for (limit, remaining, reset), state in zip(_ANTHROPIC_NAMES, states, strict=True):
        if state is not None:
            out += [
                (limit, str(state.limit)),
                (remaining, str(state.remaining)),
                (reset, _rfc3339(state.reset_s, wall)),
            ]
    return out


def build_backend(config: RateLimitConfig) -> RateLimiter:
    """The configured backend: in-process (default) or Redis at ``redis-url``."""
    if config.backend == "redis":
        return RedisLimiter(config.redis_url or "redis://127.0.0.1:6379/0")
    return MemoryLimiter()


class KeyLimiter:
    """Per-key admission with the config's defaults under each key's own ``rate_limits``."""

    def __init__(
        self,
        defaults: Mapping[str, int | None],
        backend: RateLimiter,
        *,
        on_reject: Callable[[str], None] | None = None,
    ) -> None:
        self.defaults = dict(defaults)
        self.backend = backend
        self.on_reject = on_reject  # metrics hook: called with the refusing window's field
        self._limits: dict[str, Limits] = {}
        self._warned_at = -60.0

    def limits_for(self, record: KeyRecord) -> Limits:
        limits = self._limits.get(record.id)
        if limits is None:
            # A key's limits are fixed at creation, so they can be cached by id.
            limits = self._limits[record.id] = Limits.resolve(self.defaults, record.rate_limits)
        return limits

    async def admit(
        self, record: KeyRecord, surface: Surface, *, requests_only: bool = False
    ) -> list[tuple[str, str]]:
        """The headers for the answer, or a 429 ProxyError carrying them.

        ``requests_only``: count the request against the key's request windows and leave
        its token window alone, neither checked nor shown (count_tokens: an upstream call
        that generates nothing).
        """
        limits = self.limits_for(record)
        if requests_only and limits.tokens_per_minute is not None:
            limits = Limits(limits.requests)
        if limits.empty:
            return []
        try:
            decision = await self.backend.acquire(record.id, limits)
        except Exception as exc:  # e.g. Redis unreachable: fail open, and say so
            self._backend_failed(exc)
            return []
        headers = rate_limit_headers(surface, decision)
        if decision.allowed:
            return headers
        if self.on_reject is not None:
            self.on_reject(decision.blocked_by or "")
        retry_after = max(1, math.ceil(decision.retry_after_s))
        words = _WINDOW_WORDS.get(decision.blocked_by or "", "requests")
        raise ProxyError(
            "rate_limit",
            f"Rate limit reached for this API key: {words}. Try again in {retry_after} s.",
            headers=[("retry-after", str(retry_after)), *headers],
        )

    def record_tokens(self, record_id: str, tokens: int) -> None:
        """Count a finished answer's tokens (called as its last byte goes out)."""
        limits = self._limits.get(record_id)
        if limits is not None and limits.tokens_per_minute is not None and tokens > 0:
            self.backend.add_tokens(record_id, limits, tokens)

    def _backend_failed(self, exc: BaseException | None) -> None:
        """Rate limiting fails open: an unreachable store must not take the gateway down.
        Logged at most once a minute, so an outage does not flood the log."""
        now = time.monotonic()
        if now - self._warned_at >= 60:
            self._warned_at = now
            log.warning("rate-limit backend failed (requests admitted unlimited): %r", exc)

    async def aclose(self) -> None:
        await self.backend.aclose()
