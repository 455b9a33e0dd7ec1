"""Prometheus metrics of the proxy (``GET /metrics``), on ``prometheus_client``.

One registry per app (tests build many apps in one process). Series:

- ``gatecheck_proxy_requests_total{route,status,model}``: every answered request;
- ``gatecheck_proxy_request_duration_seconds{route}``: request to last byte;
- ``gatecheck_proxy_time_to_first_token_seconds{model}``: streams, request to the first
  chunk that carries generated content (the same rule as ``_timing.is_content_event``);
- ``gatecheck_proxy_tokens_total{direction,model}``: input/output tokens from usage;
- ``gatecheck_proxy_upstream_retries_total{provider}``;
- ``gatecheck_proxy_circuit_breaker_state{provider}``: 0 closed, 1 open, 2 half-open;
- ``gatecheck_proxy_rate_limit_rejections_total{window}``.

Labels stay bounded: ``route`` is a route template (``/models/{id}``; ``unmatched`` for
the rest), ``model`` a name of the config (``unknown`` for anything a client made up), so a
client can neither blow up the series count nor plant a secret in a label.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from gatecheck.proxy.app import Ctx, Route, Router
from gatecheck.proxy.breaker import STATE_VALUES, CircuitBreaker, State
from gatecheck.proxy.cors import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ProxyMetrics"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
# A chunk carries content: an OpenAI delta with non-empty content / reasoning / tool-call
# arguments, or an Anthropic content_block_delta.
_CONTENT = re.compile(
    rb'content_block_delta|"(?:content|reasoning_content|reasoning|arguments)":"[^"]'
)
_MODEL_PATHS = ("/chat/completions", "/messages")


class ProxyMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("gatecheck_proxy_requests", "Requests answered",
                                ["route", "status", "model"], registry=r)
        self.latency = Histogram("gatecheck_proxy_request_duration_seconds",
                                 "Request to last byte", ["route"], registry=r,
                                 buckets=_LATENCY_BUCKETS)
        self.ttft = Histogram("gatecheck_proxy_time_to_first_token_seconds",
                              "Request to first generated content (streams)", ["model"],
                              registry=r, buckets=_LATENCY_BUCKETS)
        self.tokens = Counter("gatecheck_proxy_tokens", "Tokens from upstream usage",
                              ["direction", "model"], registry=r)
        self.retries = Counter("gatecheck_proxy_upstream_retries", "Upstream retries",
                               ["provider"], registry=r)
        self.breaker = Gauge("gatecheck_proxy_circuit_breaker_state",
                             "0 closed, 1 open, 2 half-open", ["provider"], registry=r)
        self.rejections = Counter("gatecheck_proxy_rate_limit_rejections",
                                  "Requests refused by a rate limit", ["window"], registry=r)
        self._router: Router | None = None
        self._names: dict[int, str] = {}
        self._children: dict[tuple[str, ...], Any] = {}  # labels() costs; cache the children
        # Read at each scrape, so the gauge is current even when nothing has changed the
        # state since (an open breaker whose cool-down passed shows as half-open).
        self.breakers: Callable[[], Mapping[str, CircuitBreaker | None]] | None = None

    def bind(self, router: Router) -> None:
        """The app's routes, whose templates become the ``route`` label."""
        self._router = router
        self._names = {id(route): path for path, route in router.exact.items()}
        for prefix, route in router.prefixed:
            self._names[id(route)] = prefix + "{id}"

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (metric._name, *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def route_of(self, path: str) -> str:
        if self._router is None:
            return "unmatched"
        route: Route | None = self._router.match(path)[0]
        return self._names.get(id(route), "unmatched") if route is not None else "unmatched"

    def observe(self, ctx: Ctx) -> None:
        """After each request (server ``_after``)."""
        route = self.route_of(ctx.path)
        model = (ctx.model if ctx.resolved is not None else "unknown") if ctx.model else ""
        self._child(self.requests, route, str(ctx.status), model).inc()
        self._child(self.latency, route).observe(time.perf_counter() - ctx.t0)
        first = ctx.scope.get("gatecheck.first_content")
        if first is not None:
            self._child(self.ttft, model).observe(first - ctx.t0)
        if ctx.input_tokens:
            self._child(self.tokens, "input", model).inc(ctx.input_tokens)
        if ctx.output_tokens:
            self._child(self.tokens, "output", model).inc(ctx.output_tokens)

    def on_retry(self, provider: str) -> None:
        self._child(self.retries, provider).inc()

    def on_breaker(self, provider: str, state: State) -> None:
        self._child(self.breaker, provider).set(STATE_VALUES[state])

    def on_reject(self, window: str) -> None:
        self._child(self.rejections, window or "unknown").inc()

    async def handle(self, ctx: Ctx) -> None:
        """GET /metrics: the text exposition format."""
        if self.breakers is not None:
            for provider, breaker in self.breakers().items():
                if breaker is not None:
                    self.on_breaker(provider, breaker.snapshot()["state"])
        body = generate_latest(self.registry)
        await ctx.respond(200, body, content_type=CONTENT_TYPE_LATEST.encode())

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """Stamp the first content chunk of a stream in ``scope`` (for the TTFT histogram)."""

        async def timed(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or not scope["path"].endswith(_MODEL_PATHS):
                await app(scope, receive, send)
                return
            seen = False

            async def send_timed(message: Message) -> None:
                nonlocal seen
                if not seen and message["type"] == "http.response.body":
                    if message.get("more_body") and _CONTENT.search(message.get("body", b"")):
                        seen = True
                        scope["gatecheck.first_content"] = time.perf_counter()
                    elif not message.get("more_body"):
                        seen = True  # a whole body: not a stream
                await send(message)

            await app(scope, receive, send_timed)

        return timed
