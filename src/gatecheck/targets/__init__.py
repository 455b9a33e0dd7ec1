"""The target registry: targets.toml, validated against its JSON Schema, as frozen dataclasses.

    registry = load_targets()                  # discover() -> tomllib -> schema -> from_dict()
    for target in registry.select(["reference"]):
        reason = target.skip_reason(feature="streaming")

A bad file is a one-line ConfigError naming the file, the field and a likely fix; an unknown
target name is a UsageError listing the known ones; a missing secret is not an error, it is
`target.missing_secret` (the env var's name) for the suites to skip with.
"""

from __future__ import annotations

from gatecheck.targets._loader import discover, load_targets, parse_targets, schema_path
from gatecheck.targets._model import (
    EMBEDDED,
    SURFACES,
    AuthConfig,
    AuthScheme,
    Deviation,
    EmbeddedKind,
    MatrixModelConfig,
    ModelsConfig,
    SurfaceConfig,
    TargetConfig,
)
from gatecheck.targets._options import (
    BASE_URL,
    DEFAULT_TARGETS,
    TARGET,
    TARGETS_FILE,
    Option,
    add_target_options,
    base_url_env,
    parse_base_urls,
    resolve_target_names,
)
from gatecheck.targets._quirks import (
    CircuitBreakerConfig,
    ErrorShape,
    HealthConfig,
    LimitsConfig,
    ModelEcho,
    QuirksConfig,
    RateLimitHeaders,
    RateLimitsConfig,
    Surface,
    UnknownModelPolicy,
)
from gatecheck.targets._registry import GROUPS, Registry

__all__ = [
    "BASE_URL",
    "DEFAULT_TARGETS",
    "EMBEDDED",
    "GROUPS",
    "SURFACES",
    "TARGET",
    "TARGETS_FILE",
    "AuthConfig",
    "AuthScheme",
    "CircuitBreakerConfig",
    "Deviation",
    "EmbeddedKind",
    "ErrorShape",
    "HealthConfig",
    "LimitsConfig",
    "MatrixModelConfig",
    "ModelEcho",
    "ModelsConfig",
    "Option",
    "QuirksConfig",
    "RateLimitHeaders",
    "RateLimitsConfig",
    "Registry",
    "Surface",
    "SurfaceConfig",
    "TargetConfig",
    "UnknownModelPolicy",
    "add_target_options",
    "base_url_env",
    "discover",
    "load_targets",
    "parse_base_urls",
    "parse_targets",
    "resolve_target_names",
    "schema_path",
]
