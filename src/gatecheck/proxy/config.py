"""Reference-proxy configuration: proxy.toml -> JSON Schema -> frozen dataclasses.

The shared config pipeline (``gatecheck.config``): tomllib, validation against the schema
shipped beside this module (``config.schema.json``), then frozen dataclasses. Errors are one
line that names the file and field and suggests a fix. Secrets never appear here: providers
name the environment variables holding their keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gatecheck import ConfigError
from gatecheck.config import FileRules, did_you_mean, read_toml, shipped_validator, validate
from gatecheck.protocols import anthropic

__all__ = [
    "DEFAULT_ALIASES",
    "ProviderConfig",
    "ProxyConfig",
    "RateLimitConfig",
    "TimeoutConfig",
    "default_config",
    "load_config",
    "parse_config",
]

Format = Literal["openai", "anthropic"]
SCHEMA = ("gatecheck.proxy", "config.schema.json")
# A value that fails these fields' pattern is most likely the secret itself: never echoed.
RULES = FileRules(
    secret_fields=frozenset({"api-key-envs", "admin-key-env"}),
    pattern_hints={
        "name": "use letters, digits, '.', '_' or '-'",
        "base-url": 'use an http:// or https:// URL, e.g. base-url = "http://127.0.0.1:8900"',
        "redis-url": 'use a redis:// or rediss:// URL, e.g. redis-url = '
                     '"redis://127.0.0.1:6379/0"',
        "aliases": 'use "provider/model", e.g. "mock/mock-chat", or a list of them',
    },
)
# The embedded default: two aliases onto the mock's chat model.
DEFAULT_ALIASES = {
    "gpt-4o-mini": "mock/mock-chat",
    "claude-3-5-haiku-latest": "mock/mock-chat",
}


@dataclass(frozen=True, slots=True)
class TimeoutConfig:
    """Upstream deadlines in seconds. ``read`` bounds each read (so the idle gap of a stream);
    ``total`` bounds a whole non-stream exchange. ``first_byte``/``idle`` refine them in part 2."""

    connect: float = 5.0
    read: float = 120.0
    total: float = 600.0
    first_byte: float | None = None
    idle: float | None = None


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    """Per-key default limits (a key's own ``rate_limits`` win); None means unlimited.
    ``backend``: "memory" (one process) or "redis" (shared by workers, at ``redis_url``)."""

    requests_per_minute: int | None = None
    requests_per_hour: int | None = None
    requests_per_day: int | None = None
    tokens_per_minute: int | None = None
    backend: Literal["memory", "redis"] = "memory"
    redis_url: str | None = None

    def defaults(self) -> dict[str, int | None]:
        return {
            "requests_per_minute": self.requests_per_minute,
            "requests_per_hour": self.requests_per_hour,
            "requests_per_day": self.requests_per_day,
            "tokens_per_minute": self.tokens_per_minute,
        }


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    name: str
    format: Format
    base_url: str
    api_key_envs: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    stream_usage: bool = True
    responses_api: bool = False  # serves /v1/responses itself (else: translated to chat)
    max_connections: int = 512
    max_concurrency: int | None = None  # part 2: per-provider concurrency limit
    queue_size: int | None = None  # part 2: bounded wait queue
    timeouts: TimeoutConfig | None = None  # overrides ProxyConfig.timeouts

    @property
    def api_root(self) -> str:
        """The URL that endpoint paths are appended to: '/v1' is added to a bare host."""
        base = self.base_url.rstrip("/")
        rest = base.split("://", 1)[-1]
        return base if "/" in rest else base + "/v1"


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    providers: tuple[ProviderConfig, ...]
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # alias -> "prov/model"s
    admin_key_env: str = "GATECHECK_ADMIN_KEY"
    cors_origins: tuple[str, ...] = ("*",)
    cors_allow_credentials: bool = False
    cors_max_age: int = 7200
    max_body_bytes: int = 10 * 1024 * 1024
    max_messages: int = 1000
    anthropic_version: str = anthropic.VERSION
    state_dir: str = ".gatecheck"
    log_requests: bool = True
    gzip_min_bytes: int = 256
    timeouts: TimeoutConfig = TimeoutConfig()
    rate_limits: RateLimitConfig = RateLimitConfig()
    retries: dict[str, float] = field(default_factory=dict)  # part 2
    circuit_breaker: dict[str, float] = field(default_factory=dict)  # part 2
    source: str = "<defaults>"

    def provider(self, name: str) -> ProviderConfig:
        for provider in self.providers:
            if provider.name == name:
                return provider
        raise KeyError(name)

    def timeouts_for(self, provider: ProviderConfig) -> TimeoutConfig:
        return provider.timeouts or self.timeouts


def default_config(upstream: str = "http://127.0.0.1:8900") -> ProxyConfig:
    """The embedded default: one OpenAI-format provider `mock` and the contract's aliases."""
    return parse_config(
        {
            "provider": [
                {"name": "mock", "format": "openai", "base-url": upstream, "models": ["mock-chat"]}
            ],
            "aliases": dict(DEFAULT_ALIASES),
            # Limits no single process reaches (~16k requests/s), so load runs are never
            # throttled, yet every answer carries the rate-limit headers (HDR-4, HDR-5).
            "rate-limits": {"requests-per-minute": 1_000_000, "tokens-per-minute": 10**9},
            # The mock fails on request (a directive in the prompt), the same way on every
            # attempt: retrying only slows the checks, and a breaker that opened on one
            # check's injected 5xx would fail the next, unrelated checks. So no retries
            # here, and a breaker only for a mock that fails 50 times in a row (down).
            "retries": {"max-attempts": 1},
            "circuit-breaker": {"failure-threshold": 50},
        }
    )


def load_config(path: str | Path) -> ProxyConfig:
    """Read, validate and convert a proxy.toml; any problem is a one-line ConfigError."""
    path = Path(path)
    raw, _ = read_toml(path, str(path))
    return parse_config(raw, source=str(path))


def _timeouts(raw: dict[str, Any] | None) -> TimeoutConfig | None:
    if raw is None:
        return None
    return TimeoutConfig(
        connect=float(raw.get("connect", 5.0)),
        read=float(raw.get("read", 120.0)),
        total=float(raw.get("total", 600.0)),
        first_byte=raw.get("first-byte"),
        idle=raw.get("idle"),
    )


def parse_config(raw: dict[str, Any], *, source: str = "<config>") -> ProxyConfig:
    """Validate a decoded TOML document and build the frozen config."""
    validate(raw, shipped_validator(*SCHEMA), source, RULES)
    if "provider" not in raw:
        raise ConfigError(f"{source}: at least one [[provider]] table is required")
    providers = tuple(
        ProviderConfig(
            name=p["name"],
            format=p["format"],
            base_url=p["base-url"],
            api_key_envs=tuple(p.get("api-key-envs", ())),
            models=tuple(p.get("models", ())),
            stream_usage=p.get("stream-usage", True),
            responses_api=p.get("responses-api", False),
            max_connections=p.get("max-connections", 512),
            max_concurrency=p.get("max-concurrency"),
            queue_size=p.get("queue-size"),
            timeouts=_timeouts(p.get("timeouts")),
        )
        for p in raw["provider"]
    )
    names = [p.name for p in providers]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ConfigError(f"{source}: provider[{i}].name: duplicate provider '{name}'")
    aliases: dict[str, tuple[str, ...]] = {}
    for alias, target in raw.get("aliases", {}).items():
        targets = (target,) if isinstance(target, str) else tuple(target)
        for t in targets:
            prov = t.split("/", 1)[0]
            if prov not in names:
                raise ConfigError(
                    f"{source}: aliases.{alias}: unknown provider '{prov}'; known providers: "
                    f"{', '.join(names)}{did_you_mean(prov, names)}"
                )
        aliases[alias] = targets
    direct = [m for p in providers for m in p.models]
    for model in direct:
        if direct.count(model) > 1 or model in aliases:
            raise ConfigError(f"{source}: model '{model}' is listed twice (models or aliases)")
    origins = tuple(raw.get("cors-origins", ("*",)))
    credentials = bool(raw.get("cors-allow-credentials", False))
    if credentials and "*" in origins:
        raise ConfigError(
            f"{source}: cors-allow-credentials: needs explicit cors-origins, never '*' "
            "(browsers reject '*' with credentials)"
        )
    rl = raw.get("rate-limits", {})
    return ProxyConfig(
        providers=providers,
        aliases=aliases,
        admin_key_env=raw.get("admin-key-env", "GATECHECK_ADMIN_KEY"),
        cors_origins=origins,
        cors_allow_credentials=credentials,
        cors_max_age=raw.get("cors-max-age", 7200),
        max_body_bytes=raw.get("max-body-bytes", 10 * 1024 * 1024),
        max_messages=raw.get("max-messages", 1000),
        anthropic_version=raw.get("anthropic-version", anthropic.VERSION),
        state_dir=raw.get("state-dir", ".gatecheck"),
        log_requests=raw.get("log-requests", True),
        gzip_min_bytes=raw.get("gzip-min-bytes", 256),
        timeouts=_timeouts(raw.get("timeouts")) or TimeoutConfig(),
        rate_limits=RateLimitConfig(
            requests_per_minute=rl.get("requests-per-minute"),
            requests_per_hour=rl.get("requests-per-hour"),
            requests_per_day=rl.get("requests-per-day"),
            tokens_per_minute=rl.get("tokens-per-minute"),
            backend=rl.get("backend", "memory"),
            redis_url=rl.get("redis-url"),
        ),
        retries=dict(raw.get("retries", {})),
        circuit_breaker=dict(raw.get("circuit-breaker", {})),
        source=source,
    )
