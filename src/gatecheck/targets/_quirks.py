"""Quirks as profile data: how a target really behaves, where it departs from the checklist."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ModelEcho = Literal["requested", "resolved", "default-substituted"]

__all__ = [
    "CircuitBreakerConfig",
    "HealthConfig",
    "LimitsConfig",
    "ModelEcho",
    "QuirksConfig",
    "RateLimitsConfig",
]


@dataclass(frozen=True, slots=True)
class HealthConfig:
    """The health contract: where to poll, whether it needs auth, what unhealthy looks like."""

    path: str
    requires_auth: bool = False
    liveness_path: str | None = None
    readiness_path: str | None = None
    deep: bool = False
    never_poll: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HealthConfig:
        return cls(
            path=data["path"],
            requires_auth=data.get("requires-auth", False),
            liveness_path=data.get("liveness-path"),
            readiness_path=data.get("readiness-path"),
            deep=data.get("deep", False),
            never_poll=tuple(data.get("never-poll", ())),
        )

    @property
    def poll_path(self) -> str:
        """The path a load run may poll: the liveness path when the main one is deep."""
        if self.deep and self.liveness_path is not None:
            return self.liveness_path
        return self.liveness_path or self.path


@dataclass(frozen=True, slots=True)
class RateLimitsConfig:
    """How rate limits are reported."""

    retry_after: bool = True  # a 429 carries Retry-After

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RateLimitsConfig:
        return cls(retry_after=data.get("retry-after", True))


@dataclass(frozen=True, slots=True)
class CircuitBreakerConfig:
    """The target's circuit breaker, when it has one."""

    failures: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CircuitBreakerConfig:
        return cls(failures=data.get("failures"))


@dataclass(frozen=True, slots=True)
class LimitsConfig:
    """Request limits the target enforces."""

    body_bytes: int | None = None
    messages: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LimitsConfig:
        return cls(body_bytes=data.get("body-bytes"), messages=data.get("messages"))


@dataclass(frozen=True, slots=True)
class QuirksConfig:
    """Behaviours as data; unset fields hold the checklist's expectation."""

    upstream_auth_status: int | None = None
    model_echo: ModelEcho | None = None
    invalid_json_status: int = 400
    health: HealthConfig | None = None
    rate_limits: RateLimitsConfig = field(default_factory=RateLimitsConfig)
    circuit_breaker: CircuitBreakerConfig | None = None
    limits: LimitsConfig = field(default_factory=LimitsConfig)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuirksConfig:
        simple = {
            key.replace("-", "_"): value
            for key, value in data.items()
            if key not in ("health", "rate-limits", "circuit-breaker", "limits")
        }
        health = data.get("health")
        breaker = data.get("circuit-breaker")
        return cls(
            **simple,
            health=None if health is None else HealthConfig.from_dict(health),
            rate_limits=RateLimitsConfig.from_dict(data.get("rate-limits", {})),
            circuit_breaker=None if breaker is None else CircuitBreakerConfig.from_dict(breaker),
            limits=LimitsConfig.from_dict(data.get("limits", {})),
        )
