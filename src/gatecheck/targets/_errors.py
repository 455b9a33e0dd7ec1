"""The one targets.toml rule the schema cannot phrase well: a secret written into [target.auth].

Everything else about a bad file (TOML syntax, schema violations, "did you mean") comes
from the shared pipeline in ``gatecheck.config``.
"""

from __future__ import annotations

import re
from typing import Any

from gatecheck import ConfigError
from gatecheck.config import FileRules, format_path

__all__ = ["RULES", "secret_in_auth"]

# Fields whose value must never be echoed: a user may have pasted a secret there.
RULES = FileRules(secret_fields=frozenset({"env", "admin-env"}),
                  url_fields=frozenset({"base-url", "mock-url"}))
# Fields under [target.auth] that can only mean "the secret itself" (secret, key, token,
# api-key, ..., or admin- versions): refused before the schema, whose nearest complaint
# would be a missing auth.env, which does not say what is wrong.
_SECRET_VALUE_FIELD = re.compile(
    r"(admin[-_]?)?(secret|key|token|api[-_]?key|access[-_]?token|password|bearer)",
    re.IGNORECASE,
)


def secret_in_auth(file: str, data: Any) -> ConfigError | None:
    """The error for a secret written into a target's auth table (the value is never shown)."""
    targets = data.get("target") if isinstance(data, dict) else None
    if not isinstance(targets, list):
        return None
    for index, target in enumerate(targets):
        auth = target.get("auth") if isinstance(target, dict) else None
        if not isinstance(auth, dict):
            continue
        for field in auth:
            found = _SECRET_VALUE_FIELD.fullmatch(field)
            if found:
                env = "admin-env" if found.group(1) else "env"
                return ConfigError(
                    f"{file}: {format_path(['target', index, 'auth', field])}: secrets are not "
                    f"allowed in targets.toml; put the NAME of the environment variable in "
                    f"auth.{env}"
                )
    return None
