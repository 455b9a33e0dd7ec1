"""Validate wire objects against the schemas under a profile: FAIL and WARN violations.

Profiles are data: `strict` is the schema files as written; `sdk-compat` applies the
relaxations listed in schemas/profiles/sdk-compat.json. Severity is data too: a check raised
by a subschema marked `"x-gatecheck-severity": "warn"` (an unknown Anthropic event type or
stop reason) is a WARN; everything else is a FAIL.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from gatecheck import HarnessError, UsageError
from gatecheck.config import did_you_mean
from gatecheck.schemas._catalog import BASE_ID, NAMES, PROFILES, Profile, relaxations, schema

__all__ = [
    "SchemaViolation",
    "Severity",
    "is_valid",
    "profile_schema",
    "validate",
    "validator",
]

Severity = Literal["FAIL", "WARN"]
WARN_MARK: Final = "x-gatecheck-severity"
_MAX_MESSAGE = 300

# Formats asserted (2020-12 only annotates them by default). Written here rather than
# jsonschema's optional extras: date-time needs rfc3339-validator, and `unixtime` is the
# OpenAI spec's own format ("Unix timestamp (in seconds)", MOD-5).
FORMATS: Final = FormatChecker(formats=())
_FORMAT_HINTS: Final = {
    "unixtime": "Unix time in seconds (a millisecond value is 1000x too large)",
    "date-time": "an RFC 3339 date-time with a time zone",
    "date": "an RFC 3339 full-date (YYYY-MM-DD)",
}
_MAX_UNIX_SECONDS: Final = 10**11  # the year 5138; millisecond stamps today are ~1.7e12


@FORMATS.checks("unixtime")
def _unixtime(value: object) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return True  # the `type` keyword judges other types
    return 0 <= value < _MAX_UNIX_SECONDS


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    # fromisoformat also takes forms RFC 3339 does not (week dates, no "T"): pin the shape
    if len(value) < 20 or value[10] not in "Tt" or value[4] != "-" or value[7] != "-":
        return False
    return dt.datetime.fromisoformat(value.upper()).tzinfo is not None


@FORMATS.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return len(value) == 10 and bool(dt.date.fromisoformat(value))


@dataclass(frozen=True, slots=True)
class SchemaViolation:
    """One way an instance does not match its schema."""

    path: str  # JSON path into the instance, e.g. "$.choices[0].finish_reason"
    message: str
    severity: Severity
    keyword: str  # the JSON Schema keyword that failed ("required", "enum", ...)
    schema_path: str  # JSON pointer into the schema, e.g. "/properties/choices/items/required"

    def __str__(self) -> str:
        return f"{self.severity} {self.path}: {self.message}"


def _check_profile(profile: str) -> Profile:
    if profile in PROFILES:
        return profile
    hint = did_you_mean(profile, PROFILES) or f"; use one of {', '.join(PROFILES)}"
    raise UsageError(f"unknown validation profile {profile!r}{hint}")


def _resolve(document: Any, pointer: str) -> Any:
    node = document
    for part in pointer.split("/")[1:] if pointer else []:
        key = part.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def _accepts_null(node: dict[str, Any]) -> bool:
    kinds = node.get("type")
    return kinds == "null" or (isinstance(kinds, list) and "null" in kinds) or any(
        alt.get("type") == "null" for alt in node.get("anyOf", ()))


def _relax(name: str, body: dict[str, Any], ops: Iterable[dict[str, Any]]) -> None:
    for op in ops:
        where = f"sdk-compat overlay for {name} at {op.get('at') or '/'}"
        target = _resolve(body, op["at"])
        # A relaxation that relaxes nothing means the schema changed under the overlay:
        # say so rather than silently pass.
        if op.get("op") == "unrequire":
            missing = [k for k in op["keys"] if k not in target.get("required", ())]
            if missing:
                raise HarnessError(f"{where}: {missing} not required")
            target["required"] = [k for k in target["required"] if k not in op["keys"]]
        elif op.get("op") == "allow-null":
            if _accepts_null(target):
                raise HarnessError(f"{where}: already accepts null")
            inner = dict(target)
            target.clear()
            target["anyOf"] = [inner, {"type": "null"}]
        else:
            raise HarnessError(f"{where}: unknown op {op.get('op')!r}")


def profile_schema(name: str, profile: str = "strict") -> dict[str, Any]:
    """The schema `name` as the profile sees it (a fresh copy)."""
    body = schema(name)
    if _check_profile(profile) == "sdk-compat":
        _relax(name, body, relaxations().get(name, ()))
    return body


@functools.cache
def _registry(profile: Profile) -> Registry[Any]:
    # One registry per profile, so a cross-file $ref (model-list -> model.json) lands on the
    # same profile's version of the target.
    resources = [
        (BASE_ID + f"{name}.json", Resource.from_contents(profile_schema(name, profile)))
        for name in NAMES
    ]
    return Registry().with_resources(resources).crawl()


@functools.cache
def validator(name: str, profile: str = "sdk-compat") -> Draft202012Validator:
    """The compiled validator for `name` under `profile` (cached per pair)."""
    checked = _check_profile(profile)
    return Draft202012Validator(
        profile_schema(name, checked), registry=_registry(checked), format_checker=FORMATS
    )


def _severity(error: ValidationError) -> Severity:
    schema_node = error.schema
    marked = isinstance(schema_node, dict) and schema_node.get(WARN_MARK) == "warn"
    return "WARN" if marked else "FAIL"


def _pointer(parts: Iterable[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _short(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _type_matches(subs: list[ValidationError]) -> bool:
    return not any(s.validator == "type" and not s.relative_path for s in subs)


def _flatten(error: ValidationError) -> list[SchemaViolation]:
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        flats = [[v for sub in subs for v in _flatten(sub)] for subs in branches.values()]
        # WARN only when some alternative fails on warn-level checks alone: the instance
        # would match if the vendor's newer enum values were known.
        for flat in flats:
            if flat and all(v.severity == "WARN" for v in flat):
                return flat
        # Explain through the one alternative of the right JSON type (for `anyOf [string
        # enum, null]` that is the enum miss, not "is not of type 'null'").
        typed = [f for f, subs in zip(flats, branches.values(), strict=True)
                 if _type_matches(subs)]
        if len(typed) == 1:
            return typed[0]
        best = best_match(error.context)
        return [
            SchemaViolation(
                path=best.json_path,
                message=_short(best.message),
                severity="FAIL",
                keyword=str(error.validator),
                schema_path=_pointer(error.absolute_schema_path),
            )
        ]
    message = error.message
    if error.validator == "not" and isinstance(error.schema, dict) and error.schema.get(
        "description"
    ):
        # "x should not be valid under {...}" says nothing; the schema says why.
        message = f"{error.instance!r} is not allowed: {error.schema['description']}"
    elif error.validator == "format" and error.validator_value in _FORMAT_HINTS:
        message = f"{error.instance!r} is not {_FORMAT_HINTS[str(error.validator_value)]}"
    return [
        SchemaViolation(
            path=error.json_path,
            message=_short(message),
            severity=_severity(error),
            keyword=str(error.validator),
            schema_path=_pointer(error.absolute_schema_path),
        )
    ]


def validate(name: str, instance: Any, *, profile: str = "sdk-compat") -> list[SchemaViolation]:
    """Every violation of schema `name` by `instance` (empty when it conforms).

    Args:
        name: a key of `gatecheck.schemas.NAMES`, e.g. "openai/chat-completion".
        instance: the parsed JSON body or event data.
        profile: "sdk-compat" (fail what breaks official SDKs) or "strict" (the specs); any
            other string is a UsageError (it usually comes from --profile).
    """
    checker = validator(name, profile)
    found: list[SchemaViolation] = []
    for error in checker.iter_errors(instance):
        for violation in _flatten(error):
            if violation not in found:
                found.append(violation)
    return sorted(found, key=lambda v: (v.severity != "FAIL", v.path))


def is_valid(name: str, instance: Any, *, profile: str = "sdk-compat") -> bool:
    """True when `instance` has no FAIL violation (WARNs allowed)."""
    return all(v.severity == "WARN" for v in validate(name, instance, profile=profile))
