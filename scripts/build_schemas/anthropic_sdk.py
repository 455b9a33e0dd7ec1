"""Generate the Anthropic wire schemas from the official SDK's pydantic types.

Anthropic publishes no OpenAPI document (see ../shared/specs/README.md); the SDK's
`anthropic.types` are the authoritative shapes, so the schemas are generated from them with
pydantic and then adjusted where the docs say more than the types:
- discriminated unions (`type` const per member) become if/then chains, so an error names the
  member that failed instead of "not valid under any of the given schemas"; on responses an
  unknown `type` is a WARN, since Anthropic adds block, delta and event types (ANT-VERDOC);
- `stop_reason` values outside the SDK's list are a WARN for the same reason;
- a non-streaming Message has a non-null `stop_reason` and a `stop_sequence` key (W-5).
"""

from __future__ import annotations

import copy
from importlib.metadata import version
from typing import Any, get_args

from _walk import Schema, known_values, walk
from anthropic.types import (
    Message,
    MessageTokensCount,
    ModelInfo,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawContentBlockStopEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
)
from anthropic.types.message_count_tokens_params import MessageCountTokensParams
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
from anthropic.types.shared import ErrorResponse
from anthropic.types.stop_reason import StopReason
from pydantic import TypeAdapter

SOURCE = f"anthropic SDK {version('anthropic')} (MIT), anthropic.types"
STOP_REASONS = sorted(get_args(StopReason))  # sorted like every generated enum
_NEW_VARIANTS = "Anthropic may add new variants at any time (ANT-VERDOC): unknown ones are WARN"
# Documented error type the SDK's ErrorType does not list ([ANT-ERRDOC]: 413 from Cloudflare).
_EXTRA_ERROR_TYPES = ["request_too_large"]
# stop_reason values that are mistakes, not new variants: empty, "error" (a failure must be
# an error event, STR-A7) and OpenAI's finish_reason values leaking through a translation.
_WRONG_STOP_REASONS = ["", "error", "stop", "length", "tool_calls", "content_filter",
                       "function_call"]
_WRONG_WHY = ("a mistake, not a new variant: failures are error events (STR-A7) and "
              "OpenAI finish_reason values must be translated (W-6)")

EVENTS = {
    "message_start": "anthropic/message-start",
    "content_block_start": "anthropic/content-block-start",
    "content_block_delta": "anthropic/content-block-delta",
    "content_block_stop": "anthropic/content-block-stop",
    "message_delta": "anthropic/message-delta",
    "message_stop": "anthropic/message-stop",
    "ping": "anthropic/ping",
    "error": "anthropic/error-event",
}


def _generate(tp: Any) -> Schema:
    schema: Schema = TypeAdapter(tp).json_schema()
    return schema


def _tidy(node: Schema) -> Schema:
    # pydantic's titles and `default: null` are noise on the wire.
    node.pop("title", None)
    if node.get("default", 0) is None:
        del node["default"]
    # pydantic builds a Literal's enum through a set in some versions, so its order follows
    # the string hash seed; sorted, the generated files are the same on every run.
    enum = node.get("enum")
    if isinstance(enum, list) and all(isinstance(v, str) for v in enum):
        node["enum"] = sorted(enum)
    # Model ids: `Literal[known ids] | str` is just a string on the wire.
    alts = node.get("anyOf")
    if (
        isinstance(alts, list) and len(alts) == 2 and alts[1] == {"type": "string"}
        and alts[0].get("type") == "string" and "enum" in alts[0]
    ):
        del node["anyOf"]
        node["type"] = "string"
    if alts == [{"enum": STOP_REASONS, "type": "string"}, {"type": "null"}]:
        del node["anyOf"]
        known = known_values(STOP_REASONS, _NEW_VARIANTS, _WRONG_STOP_REASONS, _WRONG_WHY)
        node.update({"type": ["string", "null"], **known})
    return node


def _discriminant(defs: dict[str, Schema], ref: str) -> str | None:
    target = defs.get(ref.removeprefix("#/$defs/"), {})
    const = target.get("properties", {}).get("type", {}).get("const")
    return const if isinstance(const, str) and "type" in target.get("required", ()) else None


def _discriminate(schema: Schema, *, warn: bool, extra: list[str] | None = None) -> Schema:
    """Rewrite `anyOf` unions of `type`-tagged models into if/then chains."""
    defs: dict[str, Schema] = schema.get("$defs", {})

    def fn(node: Schema) -> Schema:
        alts = node.get("anyOf")
        if not isinstance(alts, list):
            return node
        members = [a for a in alts if set(a) == {"$ref"}]
        rest = [a for a in alts if set(a) != {"$ref"}]
        tags = [_discriminant(defs, m["$ref"]) for m in members]
        if len(members) < 2 or None in tags or any(r != {"type": "null"} for r in rest):
            return node
        values = [t for t in tags if t is not None]
        if warn:
            values += [e for e in extra or () if e not in values]
            tag: Schema = {"type": "string", **known_values(values, _NEW_VARIANTS)}
        else:
            tag = {"type": "string", "enum": values}
        union: Schema = {
            "type": "object",
            "required": ["type"],
            "properties": {"type": tag},
            "allOf": [
                {"if": {"properties": {"type": {"const": t}}, "required": ["type"]},
                 "then": m}
                for t, m in zip(values, members, strict=False)
            ],
        }
        others = {k: v for k, v in node.items() if k != "anyOf"}
        return {**others, **union} if not rest else {**others, "anyOf": [union, *rest]}

    return walk(schema, fn)  # type: ignore[no-any-return]


def _response(tp: Any, *, extra: list[str] | None = None) -> Schema:
    return _discriminate(walk(_generate(tp), _tidy), warn=True, extra=extra)


def _request(tp: Any) -> Schema:
    body = _discriminate(walk(_generate(tp), _tidy), warn=False)
    body["properties"]["messages"]["minItems"] = 1  # the API rejects an empty list (ERR-6)
    return body


def build() -> dict[str, Schema]:
    out: dict[str, Schema] = {}

    message = _response(Message)
    message["required"] = [*message["required"], "stop_reason", "stop_sequence"]
    message["properties"]["stop_reason"] = {
        "description": "Non-null in non-streaming mode (SDK docstring, W-5).",
        "type": "string",
        **known_values(STOP_REASONS, _NEW_VARIANTS, _WRONG_STOP_REASONS, _WRONG_WHY),
    }
    out["anthropic/message"] = message

    out["anthropic/message-start"] = _response(RawMessageStartEvent)
    out["anthropic/content-block-start"] = _response(RawContentBlockStartEvent)
    out["anthropic/content-block-delta"] = _response(RawContentBlockDeltaEvent)
    out["anthropic/content-block-stop"] = _response(RawContentBlockStopEvent)
    delta = _response(RawMessageDeltaEvent)
    # STR-A6: the closing message_delta states why the message stopped.
    delta["$defs"]["Delta"]["required"] = ["stop_reason", "stop_sequence"]
    out["anthropic/message-delta"] = delta
    out["anthropic/message-stop"] = _response(RawMessageStopEvent)
    # The SDK has no type for ping: it skips `event: ping` before parsing (_streaming.py).
    out["anthropic/ping"] = {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"const": "ping"}},
    }
    error = _response(ErrorResponse, extra=_EXTRA_ERROR_TYPES)
    out["anthropic/error"] = error
    out["anthropic/error-event"] = {
        "description": "`event: error` sent after a 200 (STR-A7): an ErrorResponse.",
        "$ref": "error.json",
    }
    out["anthropic/stream-event"] = {
        "description": "Any Anthropic stream event, dispatched on `type`; unknown types WARN.",
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"type": "string", **known_values(list(EVENTS), _NEW_VARIANTS)}},
        "allOf": [
            {"if": {"properties": {"type": {"const": t}}, "required": ["type"]},
             "then": {"$ref": name.split("/", 1)[1] + ".json"}}
            for t, name in EVENTS.items()
        ],
    }

    model = _response(ModelInfo)
    out["anthropic/model"] = model
    defs = copy.deepcopy(model.pop("$defs", {}))
    out["anthropic/model-list"] = {
        "type": "object",
        "required": ["data", "has_more", "first_id", "last_id"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": "model.json"}},
            "has_more": {"type": "boolean"},
            "first_id": {"type": ["string", "null"]},
            "last_id": {"type": ["string", "null"]},
        },
        "x-gatecheck-source": f"{SOURCE}: pagination.SyncPage[ModelInfo] (the API's page)",
    }
    if defs:
        model["$defs"] = defs

    request = _request(MessageCreateParamsNonStreaming)
    request["properties"]["stream"] = {"type": "boolean"}
    out["anthropic/messages-request"] = request
    out["anthropic/count-tokens-request"] = _request(MessageCountTokensParams)
    out["anthropic/count-tokens-response"] = _response(MessageTokensCount)

    names = {
        "anthropic/message": "Message", "anthropic/message-start": "RawMessageStartEvent",
        "anthropic/content-block-start": "RawContentBlockStartEvent",
        "anthropic/content-block-delta": "RawContentBlockDeltaEvent",
        "anthropic/content-block-stop": "RawContentBlockStopEvent",
        "anthropic/message-delta": "RawMessageDeltaEvent",
        "anthropic/message-stop": "RawMessageStopEvent",
        "anthropic/error": "shared.ErrorResponse", "anthropic/model": "ModelInfo",
        "anthropic/messages-request": "MessageCreateParams",
        "anthropic/count-tokens-request": "MessageCountTokensParams",
        "anthropic/count-tokens-response": "MessageTokensCount",
    }
    for name, tp in names.items():
        out[name]["x-gatecheck-source"] = f"{SOURCE}.{tp}"
    return out
