"""Schemas of gatecheck's own reference-proxy endpoints: health, keys and usage.

No vendor specifies these (gatecheck does; the shapes follow the reference proxy's admin API):
/health reports a status plus the state of each upstream provider; POST /v1/keys shows the
secret exactly once; GET /v1/keys never shows it; GET /v1/usage counts requests and tokens per
key.
"""

from __future__ import annotations

from _walk import Schema

SOURCE = "gatecheck's reference proxy: health, keys, usage (src/gatecheck/proxy/admin.py)"
_COUNT = {"type": "integer", "minimum": 0}
_LIMIT = {"type": "integer", "minimum": 1}
_TIME = {"type": "string", "format": "date-time", "description": "RFC 3339"}
# Secrets (or anything derived from them) a listing must never carry.
_SECRET_FIELDS = ["key", "secret", "api_key", "key_hash", "digest", "hash"]

_KEY_PROPERTIES: Schema = {
    "id": {"type": "string", "minLength": 1},
    "object": {"const": "api_key"},
    "name": {"type": "string"},
    "permissions": {
        "type": "array",
        "minItems": 1,
        "uniqueItems": True,
        "items": {"type": "string", "enum": ["chat", "admin"]},
    },
    "created_at": _TIME,
    "expires_at": {"anyOf": [_TIME, {"type": "null"}]},
    "revoked": {"type": "boolean"},
    "rate_limits": {
        "description": "Per-key limits; null when the key has none of its own.",
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    name: _LIMIT for name in (
                        "requests_per_minute", "requests_per_hour", "requests_per_day",
                        "tokens_per_minute",
                    )
                },
            },
            {"type": "null"},
        ],
    },
}
_KEY_REQUIRED = ["id", "name", "permissions", "created_at", "expires_at", "rate_limits"]
_PROVIDER: Schema = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"enum": ["up", "down"]},
        "format": {"enum": ["openai", "anthropic"]},
        "reachable": {"type": "boolean"},
        "requests": _COUNT,
        "failures": _COUNT,
        "consecutive_failures": _COUNT,
        "last_error": {"type": ["string", "null"]},
    },
}


def build() -> dict[str, Schema]:
    key: Schema = {
        "description": "A key as GET /v1/keys lists it: never the secret nor its digest.",
        "type": "object",
        "required": _KEY_REQUIRED,
        "properties": _KEY_PROPERTIES,
        "not": {"anyOf": [{"required": [f]} for f in _SECRET_FIELDS]},
    }
    created: Schema = {
        "description": "POST /v1/keys (201): the key, with its secret shown this once.",
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
    deleted: Schema = {
        "description": "DELETE /v1/keys/{id}.",
        "type": "object",
        "required": ["id", "deleted"],
        "properties": {
            "id": {"type": "string"},
            "object": {"const": "api_key"},
            "deleted": {"const": True},
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
                    "name": {"type": ["string", "null"]},
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
        "description": "GET /health: overall status and the state of each upstream provider "
        "(HEALTH-2). Never a model call.",
        "type": "object",
        "required": ["status", "providers"],
        "properties": {
            "status": {"enum": ["ok", "degraded", "unavailable"]},
            "providers": {"type": "object", "additionalProperties": _PROVIDER},
            "uptime_s": {"type": "number", "minimum": 0},
        },
    }
    live: Schema = {
        "description": "GET /health/live (HEALTH-1): cheap, unauthenticated.",
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"const": "alive"}},
    }
    ready: Schema = {
        "description": "GET /health/ready: 200 `ready`, or 503 `not_ready` when no upstream "
        "is usable (HEALTH-2).",
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"enum": ["ready", "not_ready"]},
            "usable_providers": {"type": "array", "items": {"type": "string"}},
        },
    }
    out = {
        "gatecheck/health": health,
        "gatecheck/health-live": live,
        "gatecheck/health-ready": ready,
        "gatecheck/key": key,
        "gatecheck/key-created": created,
        "gatecheck/key-deleted": deleted,
        "gatecheck/key-list": key_list,
        "gatecheck/usage": usage,
    }
    for body in out.values():
        body["x-gatecheck-source"] = SOURCE
    return out
