"""The catalogue of wire schemas: their names, where the files live, and loading them."""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

import orjson

from gatecheck import HarnessError
from gatecheck.config import did_you_mean

__all__ = [
    "BASE_ID",
    "NAMES",
    "PROFILES",
    "Profile",
    "SchemaNotFoundError",
    "UnknownSchemaError",
    "schema",
    "schema_dir",
]

Profile = Literal["strict", "sdk-compat"]
PROFILES: Final[tuple[Profile, ...]] = ("strict", "sdk-compat")
BASE_ID: Final = "https://gatecheck.dev/schemas/"

# Every schema gatecheck validates against: name -> what it describes. The name is the file
# path under schemas/ without ".json" and the tail of its $id. scripts/build_schemas/build.py
# generates exactly these (a test keeps the two in step).
NAMES: Final[dict[str, str]] = {
    "openai/chat-completion-request": "POST /v1/chat/completions request body",
    "openai/chat-completion": "non-streamed chat completion (W-1..W-4)",
    "openai/chat-completion-chunk": "one `data:` chunk of a chat completion stream (STR-O1)",
    "openai/chat-completion-chunk-include-usage": "a chunk when include_usage was requested "
    "(STR-O7: `usage` key on every chunk)",
    "openai/error": "error envelope {error: {message, type, param, code}} (ERR-1)",
    "openai/model": "GET /v1/models/{id} (MOD-2)",
    "openai/model-list": "GET /v1/models (MOD-1)",
    "openai/response-request": "POST /v1/responses request body",
    "openai/response": "a Response object: the non-streamed body (RESP-1) and the `response` "
    "of every lifecycle stream event",
    "openai/response-stream-event": "one event of a Responses stream, dispatched on `type` "
    "(unknown types WARN; RESP-S1)",
    "openai/embedding-request": "POST /v1/embeddings request body",
    "openai/embedding-list": "POST /v1/embeddings response (EMB-1)",
    "anthropic/messages-request": "POST /v1/messages request body",
    "anthropic/message": "non-streamed Message (W-5..W-7)",
    "anthropic/message-start": "stream event message_start (STR-A3)",
    "anthropic/content-block-start": "stream event content_block_start",
    "anthropic/content-block-delta": "stream event content_block_delta (STR-A4)",
    "anthropic/content-block-stop": "stream event content_block_stop",
    "anthropic/message-delta": "stream event message_delta (STR-A6)",
    "anthropic/message-stop": "stream event message_stop",
    "anthropic/ping": "stream event ping",
    "anthropic/error-event": "stream event error, sent after a 200 (STR-A7)",
    "anthropic/stream-event": "any stream event, dispatched on `type` (unknown types WARN)",
    "anthropic/error": "error envelope {type: error, error: {type, message}} (ERR-2)",
    "anthropic/model": "one model of GET /v1/models (Anthropic shape)",
    "anthropic/model-list": "GET /v1/models, Anthropic shape (MOD-3)",
    "anthropic/count-tokens-request": "POST /v1/messages/count_tokens request body",
    "anthropic/count-tokens-response": "count_tokens response {input_tokens} (TOK-7)",
    "gatecheck/health": "GET /health: status and upstream providers",
    "gatecheck/health-live": "GET /health/live",
    "gatecheck/health-ready": "GET /health/ready (200 ready / 503 not_ready)",
    "gatecheck/key": "a key as listed by GET /v1/keys (no secret)",
    "gatecheck/key-created": "POST /v1/keys response (secret shown once)",
    "gatecheck/key-deleted": "DELETE /v1/keys/{id} response",
    "gatecheck/key-list": "GET /v1/keys",
    "gatecheck/usage": "GET /v1/usage (per-key counters)",
    "gatecheck/results-record": "one line of a run's results.jsonl (gatecheck.results)",
}

_ENV = "GATECHECK_SCHEMAS_DIR"


class SchemaNotFoundError(HarnessError):
    """The schema files cannot be found (neither in the checkout nor in the installed package)."""


class UnknownSchemaError(HarnessError, KeyError):
    """A schema name that is not in `NAMES`."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else super().__str__()


@functools.cache
def schema_dir() -> Path:
    """The directory holding the schema files.

    $GATECHECK_SCHEMAS_DIR when set; else the package's ``data`` (the top-level
    ``schemas/`` of the checkout, linked into the package and shipped in the wheel).
    """
    candidate = (Path(os.environ[_ENV]) if os.environ.get(_ENV)
                 else Path(str(resources.files("gatecheck.schemas").joinpath("data"))))
    if (candidate / "openai" / "chat-completion.json").is_file():
        return candidate
    raise SchemaNotFoundError(
        f"gatecheck's JSON schemas are missing (looked in {candidate}); "
        f"reinstall the package, or set {_ENV}"
    )


def _check_name(name: str) -> None:
    if name not in NAMES:
        hint = did_you_mean(name, NAMES) or f"; known: {', '.join(NAMES)}"
        raise UnknownSchemaError(f"unknown schema {name!r}{hint}")


@functools.cache
def _load(name: str) -> bytes:
    _check_name(name)
    return (schema_dir() / f"{name}.json").read_bytes()


def schema(name: str) -> dict[str, Any]:
    """The strict (as-written) schema `name`, as a fresh dict the caller may modify."""
    loaded: dict[str, Any] = orjson.loads(_load(name))
    return loaded


@functools.cache
def relaxations() -> dict[str, list[dict[str, Any]]]:
    """The sdk-compat overlay: schema name -> relaxation operations (schemas/profiles/)."""
    raw = orjson.loads((schema_dir() / "profiles" / "sdk-compat.json").read_bytes())
    found: dict[str, list[dict[str, Any]]] = raw["relaxations"]
    return found
