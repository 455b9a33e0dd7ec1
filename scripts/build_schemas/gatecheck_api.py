"""Schemas of gatecheck's own reference-proxy endpoints: health, keys and usage.

No vendor specifies these (issue 3 does): /health reports a status plus the state of each
upstream provider; POST /v1/keys shows the secret exactly once; GET /v1/keys never shows it;
GET /v1/usage counts requests and tokens per key.
"""

from __future__ import annotations

from _walk import Schema

SOURCE = "gatecheck issue 3 (reference proxy: health, keys, usage)"
_STATUS = {"type": "string", "enum": ["ok", "degraded", "unavailable"]}
_COUNT = {"type": "integer", "minimum": 0}
_TIME = {"type": "string", "format": "date-time", "description": "RFC 3339"}
# Secrets (or anything derived from them) a listing must never carry.
_SECRET_FIELDS = ["key", "secret", "api_key", "key_hash", "hash"]

_KEY_PROPERTIES: Schema = {
    "id": {"type": "string", "minLength": 1},
    "name": {"type": "string"},
    "permissions": {
        "type": "array",
        "minItems": 1,
        "uniqueItems": True,
        "items": {"type": "string", "enum": ["chat", "admin"]},
    },
    "created_at": _TIME,
    "expires_at": {"anyOf": [_TIME, {"type": "null"}]},
    "rate_limits": {
        "description": "Per-key limits; null when the key has none of its own.",
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "requests_per_minute": {"anyOf": [_COUNT, {"type": "null"}]},
                    "tokens_per_minute": {"anyOf": [_COUNT, {"type": "null"}]},
                },
            },
            {"type": "null"},
        ],
    },
}
_KEY_REQUIRED = ["id", "name", "permissions", "created_at", "expires_at", "rate_limits"]


def build() -> dict[str, Schema]:
    key: Schema = {
        "description": "A key as listed by GET /v1/keys: never the secret.",
        "type": "object",
        "required": _KEY_REQUIRED,
        "properties": _KEY_PROPERTIES,
        "not": {"anyOf": [{"required": [f]} for f in _SECRET_FIELDS]},
    }
    created: Schema = {
        "description": "POST /v1/keys: the key, with its secret shown this once.",
        "type": "object",
        "required": [*_KEY_REQUIRED, "key"],
        "properties": {
            **_KEY_PROPERTIES,
            "key": {"type": "string", "pattern": "^gk-[A-Za-z0-9_-]{16,}$"},
        },
    }
    key_list: Schema = {
        "type": "object",
        "required": ["object", "data"],
        "properties": {
            "object": {"const": "list"},
            "data": {"type": "array", "items": {"$ref": "key.json"}},
        },
    }
    usage: Schema = {
        "description": "GET /v1/usage: counters per key since the proxy started.",
        "type": "object",
        "required": ["object", "data"],
        "properties": {
            "object": {"const": "list"},
            "data": {"type": "array", "items": {"$ref": "#/$defs/KeyUsage"}},
        },
        "$defs": {
            "KeyUsage": {
                "type": "object",
                "required": [
                    "key_id", "requests", "successes", "failures",
                    "input_tokens", "output_tokens",
                ],
                "properties": {
                    "key_id": {"type": "string"},
                    "name": {"type": "string"},
                    "requests": _COUNT,
                    "successes": _COUNT,
                    "failures": _COUNT,
                    "input_tokens": _COUNT,
                    "output_tokens": _COUNT,
                },
            }
        },
    }
    health: Schema = {
        "description": "GET /health, /health/live and /health/ready (HEALTH-1/2): an overall "
        "status and, on /health and /health/ready, the state of each upstream provider.",
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": _STATUS,
            "providers": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {
                        "status": _STATUS,
                        "format": {"enum": ["openai", "anthropic"]},
                        "detail": {"type": ["string", "null"]},
                    },
                },
            },
        },
    }
    out = {
        "gatecheck/health": health,
        "gatecheck/key": key,
        "gatecheck/key-created": created,
        "gatecheck/key-list": key_list,
        "gatecheck/usage": usage,
    }
    for body in out.values():
        body["x-gatecheck-source"] = SOURCE
    return out
