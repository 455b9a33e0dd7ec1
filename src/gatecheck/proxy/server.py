"""Assembly: ``create_app(config)`` -> the proxy as an ASGI app (CORS outermost).

The route table lives here, so it can be read in one place. Every route also answers
without the ``/v1`` prefix (``Router.match``). Routing happens before auth, so an unknown
path is 404 even without a key (ERR-7).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from gatecheck import Redactor
from gatecheck.proxy.admin import AdminApi
from gatecheck.proxy.app import Ctx, Route, Router, access_log, build_asgi
from gatecheck.proxy.config import ProxyConfig
from gatecheck.proxy.cors import ASGIApp, CorsMiddleware
from gatecheck.proxy.dispatch import Dispatcher
from gatecheck.proxy.forward import Forwarder
from gatecheck.proxy.keystore import KeyStore
from gatecheck.proxy.limiter import KeyLimiter, build_backend
from gatecheck.proxy.metrics import ProxyMetrics
from gatecheck.proxy.models import ModelTable
from gatecheck.proxy.shutdown import Drain
from gatecheck.proxy.upstream import Upstream

__all__ = ["ProxyApp", "create_app"]

FLUSH_INTERVAL_S = 1.0


class ProxyApp:
    """The ASGI callable plus handles the embedding code and tests use."""

    def __init__(
        self,
        config: ProxyConfig,
        *,
        store: KeyStore,
        admin_key: str | None,
        env: Mapping[str, str] | None,
    ) -> None:
        self.config = config
        self.store = store
        self.upstream = Upstream(config, env=env)
        self.models = ModelTable(config)
        self.redactor = Redactor([*self.upstream.secrets, *([admin_key] if admin_key else [])])
        self.metrics = m = ProxyMetrics()
        self.drain = Drain()  # graceful shutdown (shutdown.py); command sets its grace
        self.dispatch = Dispatcher(config, self.upstream, on_retry=m.on_retry)
        m.breakers = lambda: {name: s.breaker for name, s in self.upstream.state.items()}
        self.limiter = KeyLimiter(
            config.rate_limits.defaults(), build_backend(config.rate_limits),
            on_reject=m.on_reject,
        )
        self.forwarder = Forwarder(
            config, store, self.upstream, self.models, self.redactor.text,
            dispatch=self.dispatch, limiter=self.limiter,
        )
        self.admin = AdminApi(config, store, self.upstream, self.models)
        self._flusher: asyncio.Task[None] | None = None
        f, a = self.forwarder, self.admin
        router = Router(
            {
                "/chat/completions": Route("openai", {"POST": f.chat_completions}, counted=True),
                "/messages": Route("anthropic", {"POST": f.messages}, counted=True),
                "/messages/count_tokens": Route("anthropic", {"POST": f.count_tokens}),
                "/responses": Route("openai", {"POST": f.responses}, counted=True),
                "/embeddings": Route("openai", {"POST": f.embeddings}, counted=True),
                "/models": Route(None, {"GET": a.list_models}),
                "/health": Route(None, {"GET": a.health}),
                "/health/live": Route(None, {"GET": a.live}),
                "/health/ready": Route(None, {"GET": a.ready}),
                "/keys": Route(None, {"GET": a.list_keys, "POST": a.create_key}),
                "/usage": Route(None, {"GET": a.usage}),
                "/metrics": Route(None, {"GET": m.handle}),
            },
            [
                ("/models/", Route(None, {"GET": a.get_model})),
                ("/keys/", Route(None, {"DELETE": a.delete_key})),
            ],
        )
        m.bind(router)
        inner = build_asgi(
            router,
            gzip_min=config.gzip_min_bytes,
            account=self._account,
            after=self._after,
            on_shutdown=self.aclose,
        )
        self.asgi: ASGIApp = CorsMiddleware(
            self.drain.layer(m.middleware(inner)),
            origins=config.cors_origins,
            allow_credentials=config.cors_allow_credentials,
            max_age=config.cors_max_age,
        )

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        await self.asgi(scope, receive, send)

    def _account(self, ctx: Ctx) -> None:
        """Per model request, as its last byte goes out: the key's usage counters."""
        if ctx.key_id is not None:
            self.store.record_usage(
                ctx.key_id,
                200 <= ctx.status < 300 and ctx.error is None,
                ctx.input_tokens or 0,
                ctx.output_tokens or 0,
            )
            if self._flusher is None:
                self._flusher = asyncio.get_running_loop().create_task(self._flush_loop())
            if ctx.out_headers:  # a rate-limited key: its tokens count against its limit
                self.limiter.record_tokens(
                    ctx.key_id, (ctx.input_tokens or 0) + (ctx.output_tokens or 0)
                )

    def _after(self, ctx: Ctx) -> None:
        """Per request, after the response: metrics and the access-log line."""
        self.metrics.observe(ctx)
        if self.config.log_requests and access_log.isEnabledFor(logging.INFO):
            # makeRecord + handle: logging.info() would also walk the stack for the caller
            # (findCaller), a third of the logging cost on every request.
            line = ctx.log_line(self.redactor.text).decode()
            access_log.handle(access_log.makeRecord(
                access_log.name, logging.INFO, __file__, 0, line, (), None
            ))

    async def _flush_loop(self) -> None:
        """Write usage increments about once a second, so other workers see them."""
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            self.store.flush()

    async def aclose(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        self.store.flush()
        await self.upstream.aclose()
        await self.limiter.aclose()
        await self.drain.aclose()


def create_app(
    config: ProxyConfig,
    *,
    admin_key: str | None = None,
    store: KeyStore | None = None,
    env: Mapping[str, str] | None = None,
) -> ProxyApp:
    """Build the proxy. ``admin_key`` defaults to the env var named by ``admin-key-env``;
    ``store`` to an in-memory key store; ``env`` (default os.environ) resolves the
    environment-variable names of the config."""
    import os

    environ = os.environ if env is None else env
    if admin_key is None:
        admin_key = environ.get(config.admin_key_env) or None
    if store is None:
        store = KeyStore(":memory:")
    store.set_admin_key(admin_key)
    return ProxyApp(config, store=store, admin_key=admin_key, env=env)
