"""Frozen dataclasses for a validated targets.toml entry, built by `from_dict`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, cast

from gatecheck import SURFACES, Surface, default_redactor, is_secret_name
from gatecheck.targets._quirks import QuirksConfig

AuthScheme = Literal["bearer", "x-api-key", "header", "none"]
EmbeddedKind = Literal["reference", "reference-anthropic", "mock", "litellm", "portkey"]

EMBEDDED = "embedded"

# The schema has already checked every value when these run, so from_dict only converts
# kebab-case TOML into snake_case fields and fills documented defaults.


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class Value:
    """A configured value: literal, or the NAME of the environment variable that holds it."""

    literal: str | None = None
    env: str | None = None

    @classmethod
    def from_toml(cls, raw: str | Mapping[str, str]) -> Value:
        return cls(literal=raw) if isinstance(raw, str) else cls(env=raw["env"])

    def resolve(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The value (None when its variable is unset)."""
        if self.literal is not None:
            return self.literal
        assert self.env is not None
        return (os.environ if environ is None else environ).get(self.env) or None


def _headers(raw: Mapping[str, Any] | None) -> Mapping[str, Value]:
    return MappingProxyType({name.lower(): Value.from_toml(v) for name, v in (raw or {}).items()})


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """How the harness authenticates: the scheme and the NAME of the env var with the secret."""

    scheme: AuthScheme = "none"
    header: str | None = None
    env: str | None = None
    admin_env: str | None = None
    key_prefix: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuthConfig:
        return cls(
            scheme=data["scheme"],
            header=data.get("header"),
            env=data.get("env"),
            admin_env=data.get("admin-env"),
            key_prefix=data.get("key-prefix"),
        )


@dataclass(frozen=True, slots=True)
class SurfaceConfig:
    """One wire surface: the credential placements it accepts, preferred first."""

    name: Surface
    auth: tuple[AuthScheme, ...]
    base_url: str | None = None
    version_required: bool = False
    env: str | None = None  # this surface's own client secret, when not auth.env
    headers: Mapping[str, Value] = field(default_factory=lambda: _headers(None))

    @classmethod
    def from_dict(cls, name: Surface, data: Mapping[str, Any]) -> SurfaceConfig:
        return cls(
            name=name,
            auth=tuple(data["auth"]),
            base_url=data.get("base-url"),
            version_required=data.get("version-required", False),
            env=data.get("env"),
            headers=_headers(data.get("headers")),
        )

    @property
    def preferred_auth(self) -> AuthScheme:
        """The placement the harness sends on this surface."""
        return self.auth[0]

    def accepts(self, scheme: AuthScheme) -> bool:
        return scheme in self.auth


@dataclass(frozen=True, slots=True)
class ModelsConfig:
    """The models checks send and what /v1/models must list."""

    default: str | None = None
    anthropic: str | None = None
    embeddings: str | None = None
    listed: tuple[str, ...] | None = None
    resolved_header: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelsConfig:
        listed = data.get("listed")
        return cls(
            default=data.get("default"),
            anthropic=data.get("anthropic"),
            embeddings=data.get("embeddings"),
            listed=tuple(listed) if listed is not None else None,
            resolved_header=data.get("resolved-header"),
        )

    def for_embeddings(self) -> str | None:
        """The model to send to ``POST /v1/embeddings`` (falls back to the default)."""
        return self.embeddings if self.embeddings is not None else self.default

    def for_surface(self, surface: Surface) -> str | None:
        """The model to send on `surface` (the Anthropic one falls back to the default)."""
        if surface == "anthropic" and self.anthropic is not None:
            return self.anthropic
        return self.default


@dataclass(frozen=True, slots=True)
class MatrixModelConfig:
    """One provider model the availability matrix probes."""

    provider: str
    model: str
    surface: Surface = "openai"
    extra_body: Mapping[str, Any] = field(default_factory=lambda: _frozen(None))
    note: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MatrixModelConfig:
        return cls(
            provider=data["provider"],
            model=data["model"],
            surface=data.get("surface", "openai"),
            extra_body=_frozen(data.get("extra-body")),
            note=data.get("note"),
        )


@dataclass(frozen=True, slots=True)
class Deviation:
    """A known deviation: the suites mark the matching checks as strict expected failures."""

    check_id: str
    reason: str
    surface: Surface | None = None  # None: on every surface
    checks: tuple[str, ...] = ()  # test function names; empty: every check with the id

    @classmethod
    def from_item(cls, key: str, value: str | Mapping[str, Any]) -> Deviation:
        check_id, _, surface = key.partition(":")
        if isinstance(value, str):
            reason, checks = value, ()
        else:
            reason, checks = value["reason"], tuple(value["checks"])
        return cls(
            check_id=check_id,
            reason=reason,
            surface=cast(Surface, surface) if surface else None,
            checks=checks,
        )

    @property
    def key(self) -> str:
        return f"{self.check_id}:{self.surface}" if self.surface else self.check_id

    def matches(self, check_id: str, surface: Surface | None, check: str | None) -> bool:
        """Whether the check `check` (a test function name) with this id/surface is covered.

        A deviation limited to named checks never matches an anonymous caller: better an
        unexpected failure in the report than a passing check hidden as an expected one.
        """
        if self.check_id != check_id:
            return False
        if self.surface is not None and self.surface != surface:
            return False
        return not self.checks or check in self.checks


@dataclass(frozen=True, slots=True)
class TargetConfig:
    """One gateway from targets.toml, validated and frozen."""

    name: str
    description: str
    base_url: str
    auth: AuthConfig
    surfaces: Mapping[Surface, SurfaceConfig]
    embedded: EmbeddedKind | None = None
    version: str | None = None
    source: str | None = None
    features: frozenset[str] = frozenset()
    models: ModelsConfig = field(default_factory=ModelsConfig)
    aliases: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    matrix: tuple[MatrixModelConfig, ...] = ()
    quirks: QuirksConfig = field(default_factory=QuirksConfig)
    deviations: tuple[Deviation, ...] = ()
    headers: Mapping[str, Value] = field(default_factory=lambda: _headers(None))
    mock_url: Value | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TargetConfig:
        surfaces_data: Mapping[str, Any] = data["surfaces"]
        surfaces = {
            name: SurfaceConfig.from_dict(name, surfaces_data[name])
            for name in SURFACES
            if name in surfaces_data
        }
        return cls(
            name=data["name"],
            description=data["description"],
            base_url=data["base-url"],
            embedded=data.get("embedded"),
            version=data.get("version"),
            source=data.get("source"),
            auth=AuthConfig.from_dict(data["auth"]),
            surfaces=MappingProxyType(surfaces),
            features=frozenset(data.get("features", ())),
            models=ModelsConfig.from_dict(data.get("models", {})),
            aliases=_frozen(data.get("aliases")),
            matrix=tuple(MatrixModelConfig.from_dict(m) for m in data.get("matrix", ())),
            quirks=QuirksConfig.from_dict(data.get("quirks", {})),
            deviations=tuple(
                Deviation.from_item(k, v) for k, v in data.get("deviations", {}).items()
            ),
            headers=_headers(data.get("headers")),
            mock_url=Value.from_toml(data["mock-url"]) if "mock-url" in data else None,
        )

    # -- where it is -------------------------------------------------------------------

    @property
    def is_embedded(self) -> bool:
        """A server gatecheck runs itself (even once pointed at a URL)."""
        return self.embedded is not None

    @property
    def is_remote(self) -> bool:
        """Remote targets are contacted only when a user names them."""
        return not self.is_embedded

    @property
    def needs_start(self) -> bool:
        """No URL yet: the runner must start the embedded server and call with_base_url()."""
        return self.base_url == EMBEDDED

    def with_base_url(self, url: str) -> TargetConfig:
        """A copy pointed at `url` (the runner does this once an embedded server listens)."""
        return replace(self, base_url=url.rstrip("/"))

    def with_mock_url(self, url: str) -> TargetConfig:
        """A copy whose mock upstream is at `url` (a run sets it for targets it starts)."""
        return replace(self, mock_url=Value(literal=url.rstrip("/")))

    def resolved_mock_url(self, environ: Mapping[str, str] | None = None) -> str | None:
        """Where the mock behind this gateway listens, if the target names one."""
        url = self.mock_url.resolve(environ) if self.mock_url is not None else None
        return url.rstrip("/") if url else None

    def api_base_url(self, surface: Surface = "openai") -> str:
        """The base URL an OpenAI SDK takes (…/v1), honouring a per-surface override."""
        if self.needs_start:
            raise ValueError(f"target {self.name!r} is not started: call with_base_url() first")
        override = self.surfaces[surface].base_url if surface in self.surfaces else None
        return (override or self.base_url).rstrip("/")

    @property
    def root_url(self) -> str:
        """The base URL without a trailing /v1: health paths and the Anthropic SDK use it."""
        base = self.api_base_url()
        return base[: -len("/v1")] if base.endswith("/v1") else base

    def summary(self) -> dict[str, Any]:
        """What a report header shows about the target (it holds no secret by construction)."""
        return {
            "name": self.name,
            "description": self.description,
            "base-url": self.base_url,
            "embedded": self.embedded,
            "version": self.version,
            "source": self.source,
            "surfaces": list(self.surfaces),
            "features": sorted(self.features),
            "deviations": {dev.key: dev.reason for dev in self.deviations},
        }

    # -- what it claims ----------------------------------------------------------------

    def claims(self, feature: str) -> bool:
        """Whether the target claims `feature`.

        "auth" is derived, never listed: a target authenticates clients unless its auth
        scheme is "none" (the mock), so checks of credentials can declare feature="auth".
        """
        if feature == "auth":
            return self.auth.scheme != "none"
        return feature in self.features

    def has_surface(self, surface: Surface) -> bool:
        return surface in self.surfaces

    def skip_reason(
        self, *, feature: str | None = None, surface: Surface | None = None
    ) -> str | None:
        """Why a check needing ``feature`` / ``surface`` does not apply here, or None."""
        if surface is not None and surface not in self.surfaces:
            return f"target {self.name!r} does not claim surface {surface!r}"
        if feature == "auth" and not self.claims("auth"):
            return f"target {self.name!r} takes no credential of its own (auth.scheme = none)"
        if feature is not None and not self.claims(feature):
            return f"target {self.name!r} does not claim feature {feature!r}"
        return None

    def deviation(
        self, check_id: str, surface: Surface | None = None, check: str | None = None
    ) -> Deviation | None:
        """The declared deviation for `check_id` on `surface` (for test function `check`)."""
        for dev in self.deviations:
            if dev.matches(check_id, surface, check):
                return dev
        return None

    # -- secrets -----------------------------------------------------------------------

    @property
    def missing_secret(self) -> str | None:
        """The NAME of the first unset env var the target needs (a secret, a header value,
        its mock's address), else None: without it no check can be judged."""
        needed: list[str | None] = []
        if self.auth.scheme != "none":
            needed += [self.auth.env, *(s.env for s in self.surfaces.values())]
        values = [*self.headers.values(),
                  *(v for s in self.surfaces.values() for v in s.headers.values())]
        needed += [value.env for value in values]
        if self.mock_url is not None:
            needed.append(self.mock_url.env)
        return next((env for env in needed if env and not os.environ.get(env)), None)

    def secret(self, environ: Mapping[str, str] | None = None,
               surface: Surface | None = None) -> str | None:
        """The client secret (of ``surface`` when it has its own) from the environment,
        registered with the redactor; None if unset."""
        return _resolve(self.secret_env(surface), environ)

    def secret_env(self, surface: Surface | None = None) -> str | None:
        """The NAME of the variable holding the client secret of ``surface``."""
        own = self.surfaces[surface].env if surface is not None and surface in self.surfaces \
            else None
        return own or self.auth.env

    def extra_headers(self, surface: Surface | None = None,
                      environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The static headers for ``surface`` (target's, then the surface's), resolved.

        A value from an environment variable under a secret-like name (x-portkey-api-key)
        is registered with the redactor, as every secret is.
        """
        merged = dict(self.headers)
        if surface is not None and surface in self.surfaces:
            merged.update(self.surfaces[surface].headers)
        out: dict[str, str] = {}
        for name, value in merged.items():
            resolved = value.resolve(environ)
            if resolved is None:
                continue
            if value.env is not None and is_secret_name(name):
                default_redactor().add_secret(resolved)
            out[name] = resolved
        return out

    def admin_secret(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The admin secret from the environment, registered with the redactor; None if unset."""
        return _resolve(self.auth.admin_env, environ)


def _resolve(env: str | None, environ: Mapping[str, str] | None) -> str | None:
    if env is None:
        return None
    value = (os.environ if environ is None else environ).get(env) or None
    if value is not None:
        # From now on every artefact writer masks it (CONTRACT: registries add env secrets).
        default_redactor().add_secret(value)
    return value
