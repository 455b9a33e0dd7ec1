"""JSON Schemas (draft 2020-12) for every wire object gatecheck judges, and their validation.

    >>> from gatecheck.schemas import validate
    >>> validate("openai/error", {"error": "boom"})[0].message
    "'boom' is not of type 'object'"

The files live in the top-level `schemas/` directory (see its README); Hypothesis strategies
for request bodies are in `gatecheck.schemas.strategies` (imported on demand).
"""

from __future__ import annotations

from gatecheck.schemas._catalog import (
    NAMES,
    PROFILES,
    Profile,
    SchemaNotFoundError,
    UnknownSchemaError,
    schema,
    schema_dir,
)
from gatecheck.schemas._validate import (
    SchemaViolation,
    Severity,
    is_valid,
    profile_schema,
    validate,
    validator,
)

__all__ = [
    "NAMES",
    "PROFILES",
    "Profile",
    "SchemaNotFoundError",
    "SchemaViolation",
    "Severity",
    "UnknownSchemaError",
    "is_valid",
    "profile_schema",
    "schema",
    "schema_dir",
    "validate",
    "validator",
]
