"""The one pipeline for gatecheck's config files (targets.toml, proxy.toml).

read -> tomllib -> validate against the JSON Schema shipped in the package -> the owner's
``from_dict``. Every problem is one line, after schemathesis ``config/_error.py``: the file,
the field path (``target[2].auth.scheme``), what is wrong and how to fix it, with "did you
mean" for names. A value is never echoed where it could be a pasted secret: owners name
their secret-bearing fields (``env``, ``api-key-envs``) and a value that fails there is
described, not shown; a URL is shown with its userinfo, query and fragment masked
(``show_url``), and a base URL is judged by one rule wherever it is given (``url_problem``).
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from gatecheck._exceptions import ConfigError
from gatecheck._redact import REDACTED, default_redactor

__all__ = [
    "FileRules",
    "did_you_mean",
    "format_path",
    "parse_toml",
    "read_toml",
    "semantic_error",
    "shipped_validator",
    "show_url",
    "url_problem",
    "validate",
]

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_KEY_WORD = re.compile(r"[a-z][a-z-]{0,30}(?=\s|$)")
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")
_TYPE_NAMES = {
    "object": "a table", "array": "an array", "string": "a string", "integer": "an integer",
    "number": "a number", "boolean": "a boolean (true or false)", "null": "null",
}
# scheme://, userinfo@ (up to the authority's last @), the rest, ?query, #fragment
_URL_PARTS = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*@)?([^?#]*)(\?[^#]*)?(#.*)?",
                        re.DOTALL)
_QUERY_SPLIT = re.compile(r"([&;])")
_TOML_TYPES = {
    "str": "string", "int": "integer", "float": "number", "bool": "boolean", "list": "array",
    "dict": "table",
}


@dataclass(frozen=True, slots=True)
class FileRules:
    """What one kind of config file adds to the generic messages: data, not code."""

    # Fields whose value must be an environment variable's NAME: a value that fails there is
    # most likely the secret itself, pasted in, and is never echoed.
    secret_fields: frozenset[str] = frozenset()
    # field -> how to write a valid value, for a failed pattern (looked up by the field's
    # name, then by its table's: "aliases" covers every aliases.<name>)
    pattern_hints: Mapping[str, str] = field(default_factory=dict)
    # Fields whose value is a base URL: a value that fails there is explained by url_problem
    # (the rule --base-url is held to as well) rather than by the schema's pattern.
    url_fields: frozenset[str] = frozenset()

    def hint(self, names: Sequence[str]) -> str | None:
        for name in reversed(names[-2:]):
            if name in self.pattern_hints:
                return self.pattern_hints[name]
        return None


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """'; did you mean 'x'?' for the closest choice (difflib, as schemathesis does), or ''."""
    options = [str(c) for c in choices]
    matches = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in options}
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


def show_url(url: str) -> str:
    """A URL as an error message may quote it: every userinfo (a password, or a key pasted as
    the user), every query value and the fragment masked, then the redactor's rules applied.

    ``ftp://alice:pw@h/v1?key=k&x=1`` -> ``ftp://[REDACTED]@h/v1?key=[REDACTED]&x=[REDACTED]``.
    A URL names a place; anything else it carries is read as a credential.
    """
    parts = _URL_PARTS.fullmatch(url)
    if parts is None:
        return default_redactor().text(url)
    scheme, userinfo, rest, query, fragment = parts.groups()
    shown = scheme + (f"{REDACTED}@" if userinfo else "") + rest
    if query:
        pieces = _QUERY_SPLIT.split(query[1:])
        shown += "?" + "".join(
            piece if piece in ("&", ";") or not piece
            else f"{piece.partition('=')[0]}={REDACTED}" if "=" in piece else REDACTED
            for piece in pieces)
    if fragment:
        shown += f"#{REDACTED}"
    return default_redactor().text(shown)


def url_problem(url: str) -> str | None:
    """What makes ``url`` unusable as a base URL, said without quoting it, or None.

    The one rule for a base-url from targets.toml, ``--base-url NAME=URL`` and
    ``GATECHECK_<NAME>_BASE_URL``: an absolute http(s) URL with a host, a port from 1 to
    65535 if any, and no query or fragment (a key belongs in the environment variable that
    auth.env names, never in the URL).
    """
    if not url.lower().startswith(("http://", "https://")):
        return "the scheme must be http:// or https://"
    if any(ch.isspace() for ch in url):
        return "the URL has whitespace in it"
    if "?" in url or "#" in url:
        return ("a base URL takes no query string or fragment (a key goes in the environment "
                "variable that auth.env names)")
    try:
        parts = urlsplit(url)
    except ValueError:  # its words may quote the URL; only brackets make it raise here
        return "the host is not a valid [IPv6] address"
    if not parts.hostname:
        return "the URL has no host"
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        return "the port must be a number from 1 to 65535"
    return None


def semantic_error(file: str, path: Sequence[str | int], text: str) -> ConfigError:
    """A ConfigError for a rule the schema cannot express (duplicates, cross-references)."""
    return ConfigError(f"{file}: {format_path(path)}: {text}")


@functools.cache
def shipped_validator(package: str, resource: str) -> Draft202012Validator:
    """The validator for a schema shipped as package data (checked once, then cached)."""
    schema = json.loads(resources.files(package).joinpath(resource).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def read_toml(path: Path, file: str) -> tuple[dict[str, Any], str]:
    """The decoded document and its text; a missing, unreadable or invalid file is one line."""
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from None
    return parse_toml(source, file), source


def parse_toml(source: str, file: str) -> dict[str, Any]:
    """TOML text decoded; a syntax error is one line naming the key, never the value."""
    try:
        return tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(file, exc, source) from None


def validate(data: Any, validator: Draft202012Validator, file: str,
             rules: FileRules = FileRules()) -> None:
    """Raise the one ConfigError worth reporting for ``data``, if it breaks the schema."""
    error = best_match(validator.iter_errors(data))
    if error is not None:
        path, text = _message(error, rules)
        raise ConfigError(f"{file}: {format_path(path)}: {text}")


def _toml_error(file: str, error: tomllib.TOMLDecodeError, source: str) -> ConfigError:
    """The ConfigError for a TOML syntax error, naming the key or table on that line."""
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


def _show(value: Any) -> str:
    if isinstance(value, str):
        # Masked before it is cut: a cut key no longer looks like one to the redactor.
        value = show_url(value)
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value)


def _message(error: ValidationError, rules: FileRules) -> tuple[list[str | int], str]:
    """The field path and the text after it, for the errors worth explaining."""
    path: list[str | int] = list(error.absolute_path)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    # validator_value is typed Any | Unset by the stubs; it is always set on a raised error.
    expected: Any = error.validator_value
    names = [p for p in path if isinstance(p, str)]
    leaf = names[-1] if names else ""
    secret_field = leaf in rules.secret_fields
    if kind in ("anyOf", "oneOf") and error.context:
        # Explain the branch of the instance's own type (a table's unknown field, say)
        # rather than "not valid" against every alternative.
        same_type = [e for e in error.context if not (e.validator == "type" and not e.path)]
        if same_type:
            return _message(best_match(same_type), rules)
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = list(schema.get("properties", {}))
        unknown = sorted(set(instance) - set(known))
        name = unknown[0] if unknown else "?"
        hint = did_you_mean(name, known) or f"; valid fields: {', '.join(known)}"
        return [*path, name], f"unknown field{hint}"
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
    if leaf in rules.url_fields and isinstance(instance, str) and kind in (
            "pattern", "anyOf", "oneOf", "const"):
        problem = url_problem(instance)
        if problem is not None:
            return path, f"{_show(instance)} is not valid: {problem}"
    if kind == "pattern" and secret_field:
        return path, ("must be the NAME of an environment variable (like PORTKEY_API_KEY), "
                      "never the secret itself; the value is not shown")
    if kind == "enum":
        allowed = list(expected)
        hint = did_you_mean(instance, [str(a) for a in allowed]) if isinstance(
            instance, str) else ""
        if hint:  # the suggestion is the fix; the full list would only bury it
            return path, f"{_show(instance)} is not valid{hint}"
        return path, f"{_show(instance)} is not one of {', '.join(repr(a) for a in allowed)}"
    if kind == "type":
        wanted_names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in wanted_names)
        got = _TOML_TYPES.get(type(instance).__name__, type(instance).__name__)
        plain = not secret_field and not isinstance(instance, dict | list)  # got names those
        shown = f" {_show(instance)}" if plain else ""
        return path, f"expected {wanted}, got {got}{shown}"
    if kind in ("minimum", "exclusiveMinimum"):
        return path, f"{instance!r} is below the minimum {expected!r}"
    if kind in ("maximum", "exclusiveMaximum"):
        return path, f"{instance!r} is above the maximum {expected!r}"
    if kind in ("pattern", "anyOf", "oneOf", "const"):
        detail = rules.hint(names) or schema.get("description")
        shown = "value" if secret_field else _show(instance)
        return path, f"{shown} is not valid" + (f": {detail}" if detail else "")
    if kind == "uniqueItems":
        return path, "items must be unique; remove the repeat"
    if kind in ("minItems", "minProperties", "minLength"):
        return path, "must not be empty"
    return path, error.message
