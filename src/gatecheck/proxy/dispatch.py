"""Upstream resilience: failover over an alias's providers, breaker, retries, concurrency.

``Dispatcher.post`` and ``Dispatcher.stream`` take the targets of a model name in order and
a ``prepare(target) -> (path, body, headers)``. For each target: skip it while its breaker
is open; take a slot of its concurrency gate (full queue: next target, or 503 at once);
send, retrying per ``RetryPolicy`` (connect errors, 408/409/429/5xx/529; never other 4xx);
then record one verdict on the breaker (see ``breaker``). A failure moves on to the next
target; a 4xx is the client's answer and ends the search. A stream is handed over (and the
slot held until it ends) only once its status is final, so a retry never follows a byte
sent to the client. Stream timeouts: ``first-byte`` bounds the wait for the headers,
``idle`` every read after (aiohttp's sock_read, in ``upstream``), ``total`` the whole
stream (then the relay sends a timeout error event).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import aiohttp

from gatecheck.proxy.breaker import CircuitBreaker, Permit, State
from gatecheck.proxy.config import ProxyConfig
from gatecheck.proxy.errors import ProxyError
from gatecheck.proxy.models import Target
from gatecheck.proxy.retry import RetryPolicy, parse_retry_after, retryable_status
from gatecheck.proxy.upstream import Upstream, read_error_body

__all__ = ["ConcurrencyGate", "Dispatcher", "Outcome"]

Prepared = tuple[str, bytes, dict[str, str]]


class ConcurrencyGate:
    """At most ``limit`` exchanges at once, ``queue`` more waiting; beyond that, refuse."""

    def __init__(self, limit: int, queue: int) -> None:
        self.limit = limit
        self.queue = queue
        self.active = 0
        self.waiting = 0
        self._sem = asyncio.Semaphore(limit)

    @asynccontextmanager
    async def slot(self, name: str) -> AsyncIterator[None]:
        if self._sem.locked():
            if self.waiting >= self.queue:
                raise ProxyError(
                    "unavailable",
                    f"Upstream provider '{name}' is at its concurrency limit and its queue is "
                    "full; retry shortly.",
                    headers=[("retry-after", "1")],
                )
            self.waiting += 1
            try:
                await self._sem.acquire()
            finally:
                self.waiting -= 1
        else:
            await self._sem.acquire()
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1
            self._sem.release()


@dataclass(slots=True)
class Outcome:
    """The final answer of an exchange: a non-stream body, or an open stream response."""

    target: Target
    status: int
    headers: list[tuple[str, str]]
    content: bytes = b""
    response: aiohttp.ClientResponse | None = None


def _is_connect_error(err: ProxyError) -> bool:
    # upstream.py raises ProxyError "from None"; the transport exception stays in
    # __context__, which is where the connect/read distinction lives.
    cause = err.__context__
    return isinstance(cause, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)


class Dispatcher:
    """One per app; ``clock``/``sleep``/``rng`` are injectable for tests."""

    def __init__(
        self,
        config: ProxyConfig,
        upstream: Upstream,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_retry: Callable[[str], None] | None = None,
        on_breaker: Callable[[str, State], None] | None = None,
    ) -> None:
        self.config = config
        self.upstream = upstream
        self.policy = RetryPolicy.from_config(config.retries)
        self.clock = clock
        self.sleep = sleep
        self.on_retry = on_retry
        cb = config.circuit_breaker
        self.breakers: dict[str, CircuitBreaker] = {}
        self.gates: dict[str, ConcurrencyGate] = {}
        for p in config.providers:
            def changed(state: State, name: str = p.name) -> None:
                if on_breaker is not None:
                    on_breaker(name, state)

            breaker = CircuitBreaker(
                threshold=int(cb.get("failure-threshold", 5)),
                cooldown=float(cb.get("cooldown", 30.0)),
                clock=clock,
                on_change=changed,
            )
            self.breakers[p.name] = breaker
            upstream.state[p.name].breaker = breaker
            if p.max_concurrency is not None:
                queue = p.queue_size if p.queue_size is not None else p.max_concurrency
                self.gates[p.name] = ConcurrencyGate(p.max_concurrency, queue)

    async def post(
        self, targets: Sequence[Target], prepare: Callable[[Target], Prepared]
    ) -> Outcome:
        async with AsyncExitStack() as stack:
            return await self._run(targets, prepare, stack, stream=False)

    @asynccontextmanager
    async def stream(
        self, targets: Sequence[Target], prepare: Callable[[Target], Prepared]
    ) -> AsyncIterator[Outcome]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with AsyncExitStack() as stack:
            outcome = await self._run(targets, prepare, stack, stream=True)
            timer = None
            if outcome.response is not None and outcome.status < 300:
                # The total deadline of a stream: its reader fails with TimeoutError, which
                # the relay turns into a timeout error event (upstream.transport_error).
                total = self.config.timeouts_for(outcome.target.provider).total
                timer = loop.call_at(started + total, _expire, outcome.response)
            try:
                yield outcome
            finally:
                if timer is not None:
                    timer.cancel()

    async def _send(
        self, target: Target, prepared: Prepared, stack: AsyncExitStack, stream: bool
    ) -> Outcome:
        """One attempt; the response (and the gate slot) stay open in ``stack``."""
        provider = target.provider
        gate = self.gates.get(provider.name)
        if gate is not None:
            await stack.enter_async_context(gate.slot(provider.name))
        path, body, headers = prepared
        if not stream:
            status, up_headers, content = await self.upstream.post(provider, path, body, headers)
            return Outcome(target, status, up_headers, content)
        first_byte = self.config.timeouts_for(provider).first_byte
        try:
            async with asyncio.timeout(first_byte):
                response = await stack.enter_async_context(
                    self.upstream.stream(provider, path, body, headers)
                )
        except TimeoutError:
            raise ProxyError(
                "timeout",
                f"Upstream provider '{provider.name}' timed out (no response headers within "
                f"{first_byte:g} s).",
            ) from None
        return Outcome(target, response.status, list(response.headers.items()), b"", response)

    async def _run(
        self,
        targets: Sequence[Target],
        prepare: Callable[[Target], Prepared],
        outer: AsyncExitStack,
        *,
        stream: bool,
    ) -> Outcome:
        last: Outcome | ProxyError | None = None
        waits: list[float] = []
        for index, target in enumerate(targets):
            more = index + 1 < len(targets)
            breaker = self.breakers[target.provider.name]
            permit = breaker.try_acquire()
            if permit is None:
                waits.append(breaker.retry_after())
                continue
            try:
                result = await self._attempts(target, prepare, outer, stream, permit)
            finally:
                breaker.release(permit)  # no verdict recorded (cancelled): free the probe
            if isinstance(result, Outcome) and (not retryable_status(result.status) or not more):
                return result
            if isinstance(result, ProxyError) and (result.kind == "unavailable" and not more):
                raise result
            last = result
        if isinstance(last, Outcome):
            return last
        if isinstance(last, ProxyError):
            raise last
        names = ", ".join(t.provider.name for t in targets)
        retry_after = max(1, math.ceil(min(waits, default=1.0)))
        raise ProxyError(
            "unavailable",
            f"Upstream provider(s) {names} unavailable: circuit breaker open after repeated "
            f"failures; retry in {retry_after} s.",
            headers=[("retry-after", str(retry_after))],
        )

    async def _attempts(
        self,
        target: Target,
        prepare: Callable[[Target], Prepared],
        outer: AsyncExitStack,
        stream: bool,
        permit: Permit,
    ) -> Outcome | ProxyError:
        """Attempts on one target; the breaker's verdict is recorded once, at the end."""
        breaker = self.breakers[target.provider.name]
        policy = self.policy
        prepared = prepare(target)
        started = self.clock()
        attempt = 0
        while True:
            attempt += 1
            stack = AsyncExitStack()
            retry_after: float | None = None
            try:
                outcome = await self._send(target, prepared, stack, stream)
            except ProxyError as err:
                await stack.aclose()
                if err.kind == "unavailable":  # our own queue is full: not the upstream's fault
                    return err
                retry = _is_connect_error(err)
                if not retry or permit.probe:
                    breaker.failure(permit)
                    return err
                result: Outcome | ProxyError = err
            except BaseException:
                await stack.aclose()
                raise
            else:
                if not retryable_status(outcome.status):
                    breaker.success(permit)
                    await outer.enter_async_context(stack)
                    return outcome
                if outcome.response is not None:
                    # keep the error body for the client's message, then close this attempt
                    outcome.content = await read_error_body(outcome.response)
                    outcome.response = None
                await stack.aclose()
                retry_after = parse_retry_after(outcome.headers)
                result = outcome
            wait = None if permit.probe else policy.delay(
                attempt, retry_after, self.clock() - started
            )
            if wait is None:
                self._verdict(breaker, permit, result)
                return result
            if self.on_retry is not None:
                self.on_retry(target.provider.name)
            await self.sleep(wait)

    @staticmethod
    def _verdict(breaker: CircuitBreaker, permit: Permit, result: Outcome | ProxyError) -> None:
        status = result.status if isinstance(result, Outcome) else 502
        if status >= 500:
            breaker.failure(permit)
        else:
            breaker.success(permit)  # 408/409/429: the upstream answered


def _expire(response: aiohttp.ClientResponse) -> None:
    if not response.closed:
        response.content.set_exception(TimeoutError("total stream deadline"))
