"""Retry policy for upstream exchanges: which failures, how long to wait, when to stop.

Retried: connection errors (nothing reached the upstream) and the statuses that mean
"try again": 408, 409, 429, 5xx and 529. Never any other 4xx, never a read timeout (the
upstream may have done the work), and never once a byte of a stream has gone to the
client (the dispatcher retries only before it hands a response over). Waits grow
exponentially with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"),
except that an upstream ``Retry-After`` (or ``retry-after-ms``) is honoured as given, up to
``retry_after_cap``; a longer one is not waited out: the answer goes back to the client
with its Retry-After. Attempts and total time are both bounded.

One case sits outside that budget: a request sent on a pooled keep-alive connection that
the upstream had just closed as idle (the close crossed the request on the wire), which
ends in ``ServerDisconnectedError`` or a reset before any response. The upstream never
handled it, so ``upstream`` resends it at once, once, on a fresh connection
(:func:`resend_on_stale_connection`); it is neither a failed attempt nor a breaker failure.
"""

from __future__ import annotations

import errno
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import aiohttp

__all__ = ["RetryPolicy", "parse_retry_after", "resend_on_stale_connection", "retryable_status"]

_RESET = frozenset({errno.ECONNRESET, errno.EPIPE})


def resend_on_stale_connection(exc: BaseException, *, reused: bool) -> bool:
    """Whether a request that failed before its response headers is resent (once).

    Only on a REUSED pooled connection, and only for the ways an idle close shows up
    (server disconnected, connection reset, broken pipe). A fresh connection that fails
    like this is a real upstream failure and goes to the normal policy.
    """
    if not reused or isinstance(exc, aiohttp.ClientConnectorError):
        return False
    if isinstance(exc, aiohttp.ServerDisconnectedError | ConnectionResetError | BrokenPipeError):
        return True
    return isinstance(exc, aiohttp.ClientOSError) and exc.errno in _RESET


def retryable_status(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500


def parse_retry_after(headers: Iterable[tuple[str, str]]) -> float | None:
    """Seconds from ``retry-after-ms``, or ``retry-after`` as seconds or an HTTP date."""
    values = {name.lower(): value for name, value in headers}
    raw_ms = values.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return max(float(raw_ms) / 1000, 0.0)
        except ValueError:
            pass
    raw = values.get("retry-after")
    if raw is None:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(raw).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3
    backoff_initial: float = 0.25
    backoff_max: float = 2.0
    retry_after_cap: float = 5.0
    total_budget: float = 10.0

    @classmethod
    def from_config(cls, raw: Mapping[str, float]) -> RetryPolicy:
        d = cls()
        return cls(
            max_attempts=int(raw.get("max-attempts", d.max_attempts)),
            backoff_initial=float(raw.get("backoff-initial", d.backoff_initial)),
            backoff_max=float(raw.get("backoff-max", d.backoff_max)),
            retry_after_cap=float(raw.get("retry-after-cap", d.retry_after_cap)),
            total_budget=float(raw.get("total-budget", d.total_budget)),
        )

    def delay(
        self,
        attempt: int,
        retry_after: float | None,
        elapsed: float,
        rng: Callable[[], float] = random.random,
    ) -> float | None:
        """The wait before attempt ``attempt + 1`` (attempts count from 1), or None: stop."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            if retry_after > self.retry_after_cap:
                return None  # the client can wait it out better than we can
            wait = retry_after
        else:
            wait = rng() * min(self.backoff_max, self.backoff_initial * 2 ** (attempt - 1))
        if elapsed + wait > self.total_budget:
            return None
        return wait
