"""Schema-aware tree rewriting shared by the schema builders (keyword-aware, so enum/const
values and property *names* are never mistaken for subschemas)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Schema = dict[str, Any]

# Keywords whose value is a map of name -> subschema.
_MAP_KEYWORDS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
# Keywords whose value is one subschema.
_ONE_KEYWORDS = (
    "items", "additionalProperties", "not", "if", "then", "else", "contains",
    "propertyNames", "unevaluatedProperties", "unevaluatedItems",
)
# Keywords whose value is a list of subschemas.
_LIST_KEYWORDS = ("anyOf", "oneOf", "allOf", "prefixItems")


def walk(schema: Any, fn: Callable[[Schema], Schema]) -> Any:
    """Rebuild `schema` bottom-up, applying `fn` to every (sub)schema object."""
    if not isinstance(schema, dict):
        return schema
    out: Schema = {}
    for key, value in schema.items():
        if key in _MAP_KEYWORDS and isinstance(value, dict):
            out[key] = {name: walk(sub, fn) for name, sub in value.items()}
        elif key in _ONE_KEYWORDS and isinstance(value, dict):
            out[key] = walk(value, fn)
        elif key in _LIST_KEYWORDS and isinstance(value, list):
            out[key] = [walk(sub, fn) for sub in value]
        else:
            out[key] = value
    return fn(out)


def refs(schema: Any) -> set[str]:
    """Every `$ref` value reachable in `schema`."""
    found: set[str] = set()

    def collect(node: Schema) -> Schema:
        if isinstance(node.get("$ref"), str):
            found.add(node["$ref"])
        return node

    walk(schema, collect)
    return found


def known_values(
    values: list[Any], why: str, forbidden: list[Any] | None = None, wrong: str = ""
) -> Schema:
    """An `enum` whose misses are WARN, not FAIL (the vendor documents that it adds values).

    It only applies to strings: a value of the wrong type is still a FAIL through `type`.
    `forbidden` values are known mistakes, not future variants: they stay a FAIL.
    """
    warn = {"enum": values, "x-gatecheck-severity": "warn", "description": why}
    if not forbidden:
        return {"if": {"type": "string"}, "then": warn}
    never = {"not": {"enum": forbidden}, "description": wrong or "a known-wrong value"}
    return {"if": {"type": "string"}, "then": {"allOf": [never, warn]}}
