"""The target registry: targets.toml, validated against its JSON Schema, as frozen dataclasses.

    registry = load_targets()                  # discover() -> tomllib -> schema -> from_dict()
    for target in registry.select(["reference"]):
        print(target.name, target.claims("streaming"))

A bad file is a one-line ConfigError naming the file, the field and a likely fix; an unknown
target name is a UsageError listing the known ones; a missing secret is not an error, it is
`target.missing_secret` (the env var's name) for the suites to skip with.
"""

from __future__ import annotations

from gatecheck.targets._loader import (
    discover,
    load_targets,
    parse_targets,
    schema_path,
    shipped_targets,
)
from gatecheck.targets._model import (
    EMBEDDED,
    AuthConfig,
    AuthScheme,
    Deviation,
    EmbeddedKind,
    MatrixModelConfig,
    ModelsConfig,
    SurfaceConfig,
    TargetConfig,
)
from gatecheck.targets._quirks import (
    CircuitBreakerConfig,
    HealthConfig,
    LimitsConfig,
    ModelEcho,
    QuirksConfig,
    RateLimitsConfig,
)
from gatecheck.targets._registry import GROUPS, Registry

__all__ = [
    "EMBEDDED",
    "GROUPS",
    "AuthConfig",
    "AuthScheme",
    "CircuitBreakerConfig",
    "Deviation",
    "EmbeddedKind",
    "HealthConfig",
    "LimitsConfig",
    "MatrixModelConfig",
    "ModelEcho",
    "ModelsConfig",
    "QuirksConfig",
    "RateLimitsConfig",
    "Registry",
    "SurfaceConfig",
    "TargetConfig",
    "discover",
    "load_targets",
    "parse_targets",
    "schema_path",
    "shipped_targets",
]
