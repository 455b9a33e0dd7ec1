"""One-line ConfigError messages for a bad targets.toml: file, field path, and a fix.

Modelled on schemathesis config/_error.py, but kept to a single line so a CLI can print it
after "gatecheck: error:" and a pytest UsageError can carry it unchanged.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from gatecheck._exceptions import ConfigError

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

__all__ = [
    "did_you_mean",
    "format_path",
    "from_toml_error",
    "from_validation_error",
    "secret_in_auth",
]

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_KEY_WORD = re.compile(r"[a-z][a-z-]{0,30}(?=\s|$)")
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")
_TYPE_NAMES = {
    "object": "a table",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "null": "null",
}
_TOML_TYPES = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "list": "array",
    "dict": "table",
}
# Fields whose value must never be echoed: a user may have pasted a secret there.
_SECRET_FIELDS = frozenset({"env", "admin-env"})
# Fields under [target.auth] that can only mean "the secret itself" (secret, key, token,
# api-key, ..., or admin- versions): refused before the schema, whose nearest complaint
# would be a missing auth.env, which does not say what is wrong.
_SECRET_VALUE_FIELD = re.compile(
    r"(admin[-_]?)?(secret|key|token|api[-_]?key|access[-_]?token|password|bearer)",
    re.IGNORECASE,
)


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """'; did you mean 'x'?' for the closest choice (difflib, as schemathesis does), or ''."""
    matches = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in choices}
        if value.lower() in lowered:
            matches = [lowered[value.lower()]]
    return f"; did you mean {matches[0]!r}?" if matches else ""


def format_path(path: Sequence[str | int]) -> str:
    """TOML-ish path: ['target', 2, 'auth', 'scheme'] -> target[2].auth.scheme."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out or "(top level)"


def _where(file: str, path: Sequence[str | int]) -> str:
    return f"{file}: {format_path(path)}"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value)


def _choices(values: Iterable[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def _message(error: ValidationError) -> tuple[list[str | int], str]:
    """The field path and the text after it, for the errors worth explaining."""
    path: list[str | int] = list(error.absolute_path)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    # validator_value is typed Any | Unset by the stubs; it is always set on a raised error.
    expected: Any = error.validator_value
    if kind in ("anyOf", "oneOf") and error.context:
        # Explain the branch of the instance's own type (a table's unknown field, say)
        # rather than "not valid" against every alternative.
        from jsonschema.exceptions import best_match

        same_type = [e for e in error.context if not (e.validator == "type" and not e.path)]
        if same_type:
            return _message(best_match(same_type))
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = list(schema.get("properties", {}))
        unknown = sorted(set(instance) - set(known))
        field = unknown[0] if unknown else "?"
        hint = did_you_mean(field, known) or f"; valid fields: {', '.join(known)}"
        return [*path, field], f"unknown field{hint}"
    if kind == "required" and isinstance(instance, dict):
        missing = [k for k in expected if k not in instance]
        return [*path, missing[0] if missing else "?"], "missing required field"
    if kind == "propertyNames" or "propertyNames" in error.schema_path:
        key = str(instance)
        desc = schema.get("description", "not a valid key")
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and re.fullmatch(pattern, key.upper()):
            return [*path, key], f"invalid key; did you mean {key.upper()!r}?"
        return [*path, key], f"invalid key: {desc}"
    secret_field = bool(path) and path[-1] in _SECRET_FIELDS
    if kind == "pattern" and secret_field:
        return path, (
            "must be the NAME of an environment variable (like PORTKEY_API_KEY), never "
            "the secret itself; the value is not shown"
        )
    if kind == "enum":
        allowed = list(expected)
        hint = ""
        if isinstance(instance, str):
            hint = did_you_mean(instance, [str(a) for a in allowed])
        if hint:  # the suggestion is the fix; the full list would only bury it
            return path, f"{_show(instance)} is not valid{hint}"
        return path, f"{_show(instance)} is not one of {_choices(allowed)}"
    if kind == "type":
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        got = _TOML_TYPES.get(type(instance).__name__, type(instance).__name__)
        shown = "" if secret_field else f" {_show(instance)}"
        return path, f"expected {wanted}, got {got}{shown}"
    if kind in ("minimum", "exclusiveMinimum"):
        return path, f"{instance!r} is below the minimum {expected!r}"
    if kind in ("maximum", "exclusiveMaximum"):
        return path, f"{instance!r} is above the maximum {expected!r}"
    if kind in ("pattern", "anyOf", "oneOf", "const"):
        desc = schema.get("description")
        shown = "value" if secret_field else _show(instance)
        return path, f"{shown} is not valid" + (f": {desc}" if desc else "")
    if kind == "uniqueItems":
        return path, "items must be unique"
    if kind in ("minItems", "minProperties"):
        return path, "must not be empty"
    if kind == "minLength":
        return path, "must not be empty"
    return path, error.message


def from_validation_error(file: str, error: ValidationError) -> ConfigError:
    """The ConfigError for the one schema violation worth reporting."""
    path, text = _message(error)
    return ConfigError(f"{_where(file, path)}: {text}")


def from_toml_error(file: str, error: tomllib.TOMLDecodeError, source: str) -> ConfigError:
    """The ConfigError for a TOML syntax error, with the offending line quoted."""
    message = str(error)
    found = _TOML_POS.search(message)
    if not found:
        return ConfigError(f"{file}: invalid TOML: {message}")
    line, column = int(found.group(1)), int(found.group(2))
    reason = _TOML_POS.sub("", message).strip()
    lines = source.splitlines()
    text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    # Name the key or table on that line, never the value: it may be a pasted secret.
    if text.startswith("["):
        near = f" in {text[:60]!r}"
    elif "=" in text:
        near = f" at key {text.split('=', 1)[0].strip()[:60]!r}"
    elif word := _KEY_WORD.match(text):
        # No '=': quote the first word only when it looks like a kebab-case key
        # (no digits, so a pasted token is never echoed).
        near = f" at key {word.group(0)!r}"
    else:
        near = ""
    return ConfigError(f"{file}:{line}:{column}: invalid TOML: {reason}{near}")


def semantic(file: str, path: Sequence[str | int], text: str) -> ConfigError:
    """A ConfigError for a rule the schema cannot express (duplicates, cross-references)."""
    return ConfigError(f"{_where(file, path)}: {text}")


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
                    f"{_where(file, ['target', index, 'auth', field])}: secrets are not "
                    f"allowed in targets.toml; put the NAME of the environment variable in "
                    f"auth.{env}"
                )
    return None
