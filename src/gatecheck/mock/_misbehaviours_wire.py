"""The misbehaviours for the Responses API, thinking, caching, images and embeddings.

Each breaks one property a RESP-* / THINK-* / CACHE-* / IMG-* / EMB-* check exists to catch
(the check is named beside it). They hook into `gatecheck.mock.misbehave`'s pipeline at its
three points: the request, a whole JSON answer, and one stream event at a time.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from gatecheck.mock._misbehaviours import Exchange

Json = dict[str, Any]


def _dict(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []

__all__ = ["MODES", "rewrite_anthropic", "rewrite_json", "rewrite_request", "rewrite_responses"]

MODES: dict[str, str] = {
    "resp-empty-text": "non-stream Response output_text emptied (RESP-1, RESP-SDK1)",
    "resp-drop-or-fields": "non-stream Response without presence_penalty, top_logprobs, "
    "background, service_tier (RESP-2)",
    "resp-refuse-system": "Responses requests with a system prompt answered 400 (RESP-3)",
    "resp-refuse-history": "Responses requests with an assistant turn answered 400 (RESP-4)",
    "resp-args-object": "non-stream function_call arguments as a JSON object (RESP-5)",
    "resp-incomplete-as-completed": 'an "incomplete" Response reported "completed" (RESP-6)',
    "resp-refuse-images": "Responses requests with an input_image answered 400 (RESP-7)",
    "resp-cached-exceeds": "Responses cached_tokens larger than input_tokens (RESP-T1)",
    "resp-usage-off-by-one": "non-stream Responses output_tokens and total one too high (RESP-T2)",
    "resp-error-as-string": '/v1/responses 4xx bodies as {"error": "..."} (RESP-E1)',
    "resp-event-name-mismatch": "Responses stream events named `event: message` (RESP-S1)",
    "resp-skip-created": "Responses streams without response.created (RESP-S2, SDK)",
    "resp-sequence-reset": "every Responses stream event sequence_number 0 (RESP-S3)",
    "resp-text-done-differs": "output_text.done text differs from its deltas (RESP-S4)",
    "resp-args-done-differs": "function_call_arguments.done differs from its deltas (RESP-S5)",
    "resp-final-in-progress": "response.completed carries status in_progress (RESP-S6)",
    "resp-fake-complete-on-error": "a mid-stream failure turned into response.completed (RESP-S7)",
    "resp-stream-usage-off": "response.completed usage one output token too high (RESP-T3)",
    "resp-usage-total-zero": "non-stream Responses usage.total_tokens 0 (RESP-SDK1)",
    "resp-completed-missing": "Responses streams end without response.completed (RESP-SDK2/3)",
    "thinking-text-trimmed": "thinking blocks' text cut short in non-stream messages (THINK-1)",
    "thinking-signature-first": "signature_delta sent before the thinking_delta events "
    "(THINK-2)",
    "drop-redacted-thinking": "redacted_thinking blocks dropped from non-stream messages "
    "(THINK-3)",
    "thinking-resent-changed": "thinking blocks of earlier turns changed on the way up (THINK-4)",
    "cache-read-dropped": "Anthropic cache_read_input_tokens reported 0, non-stream (CACHE-1)",
    "cached-tokens-dropped": "chat prompt_tokens_details.cached_tokens reported 0 (CACHE-2)",
    "responses-cached-dropped": "Responses input_tokens_details.cached_tokens 0 (CACHE-3)",
    "cache-creation-dropped": "Anthropic cache writes folded into input_tokens (CACHE-4)",
    "image-data-altered": "image parts re-encoded with a byte appended (IMG-1..3)",
    "embedding-order-reversed": "embeddings data listed in reverse order (EMB-1)",
    "dimensions-ignored": "`dimensions` dropped from embeddings requests (EMB-2)",
    "embedding-usage-off": "embeddings prompt_tokens and total one too high (EMB-3)",
    "embedding-errors-500": "embeddings 400 answers sent as 500 (EMB-4)",
}


def wire(ex: Exchange) -> str | None:
    """Which of the new front doors the exchange is on, by path."""
    for name in ("responses", "embeddings"):
        if ex.path.endswith(f"/{name}"):
            return name
    return None


# -- requests --------------------------------------------------------------------------------


def _altered_image(url: str) -> str:
    header, sep, data = url.partition(",")
    if not sep:
        return url
    return f"{header},{base64.b64encode(base64.b64decode(data) + b'!').decode()}"


def _images(value: Any) -> Any:
    """Every image's bytes changed (one byte appended), in any wire's form."""
    if isinstance(value, list):
        return [_images(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("type")
    if kind == "image_url" and isinstance(value.get("image_url"), dict):
        url = value["image_url"].get("url", "")
        return {**value, "image_url": {**value["image_url"], "url": _altered_image(url)}}
    if kind == "input_image" and isinstance(value.get("image_url"), str):
        return {**value, "image_url": _altered_image(value["image_url"])}
    if kind == "image" and isinstance(value.get("source"), dict) and "data" in value["source"]:
        data = base64.b64encode(base64.b64decode(value["source"]["data"]) + b"!").decode()
        return {**value, "source": {**value["source"], "data": data}}
    return {k: _images(v) for k, v in value.items()}


def rewrite_request(ex: Exchange) -> bytes | None:
    """The request body to send instead (None: unchanged)."""
    request = ex.request
    if not isinstance(request, dict):
        return None
    if ex.on("image-data-altered"):
        return orjson.dumps(_images(request))
    if ex.on("dimensions-ignored") and wire(ex) == "embeddings" and "dimensions" in request:
        request.pop("dimensions")
        return orjson.dumps(request)
    if ex.on("thinking-resent-changed") and ex.surface == "anthropic":
        for message in _list(request.get("messages")):
            assistant = message.get("role") == "assistant"
            for block in _list(message.get("content")) if assistant else []:
                if isinstance(block, dict) and block.get("type") == "thinking":
                    block["thinking"] = str(block.get("thinking", "")) + " "
        return orjson.dumps(request)
    return None


def _refused(ex: Exchange) -> str | None:
    """Why a Responses request is refused by the refuse-* modes (None: not refused)."""
    request = ex.request if isinstance(ex.request, dict) else {}
    items = _list(request.get("input"))
    roles = {i.get("role") for i in items if isinstance(i, dict)}
    if ex.on("resp-refuse-system") and (request.get("instructions") or roles & {"system",
                                                                               "developer"}):
        return "system prompts are not supported"
    if ex.on("resp-refuse-history") and "assistant" in roles:
        return "conversation history is not supported"
    if ex.on("resp-refuse-images") and b'"input_image"' in ex.body:
        return "images are not supported"
    return None


# -- whole JSON answers ----------------------------------------------------------------------


def rewrite_json(ex: Exchange, status: int, value: Any) -> tuple[int, Any]:
    """(status, body) to send instead of a buffered JSON answer (value: parsed, or None)."""
    name = wire(ex)
    if name == "responses" and ex.method == "POST" and status == 200:
        why = _refused(ex)
        if why is not None:
            return 400, {"error": {"message": why, "type": "invalid_request_error",
                                   "param": "input", "code": None}}
    if not isinstance(value, dict):
        return status, value
    if name == "responses" and status == 200:
        _response(ex, value)
    elif name == "responses" and status >= 400 and ex.on("resp-error-as-string"):
        value["error"] = str((value.get("error") or {}).get("message", "error"))
    elif name == "embeddings":
        if status == 400 and ex.on("embedding-errors-500"):
            return 500, value
        if status == 200:
            _embeddings(ex, value)
    elif status == 200 and isinstance(value.get("usage"), dict):
        _cache(ex, value["usage"])
        _thinking(ex, value)
    return status, value


def _response(ex: Exchange, value: dict[str, Any]) -> None:
    for item in _list(value.get("output")):
        for part in _list(item.get("content")) if item.get("type") == "message" else []:
            if ex.on("resp-empty-text") and part.get("type") == "output_text":
                part["text"] = ""
        if ex.on("resp-args-object") and item.get("type") == "function_call":
            item["arguments"] = orjson.loads(item.get("arguments") or "{}")
    if ex.on("resp-drop-or-fields"):
        for key in ("presence_penalty", "top_logprobs", "background", "service_tier"):
            value.pop(key, None)
    if ex.on("resp-incomplete-as-completed") and value.get("status") == "incomplete":
        value.update(status="completed", incomplete_details=None)
    usage = _dict(value.get("usage"))
    details = _dict(usage.get("input_tokens_details"))
    if ex.on("resp-cached-exceeds") and usage:
        details["cached_tokens"] = int(usage.get("input_tokens", 0)) + 5
    if ex.on("responses-cached-dropped") and details:
        details["cached_tokens"] = 0
    if ex.on("resp-usage-off-by-one") and usage:
        usage["output_tokens"] += 1
        usage["total_tokens"] += 1
    if ex.on("resp-usage-total-zero") and usage:
        usage["total_tokens"] = 0


def _embeddings(ex: Exchange, value: dict[str, Any]) -> None:
    if ex.on("embedding-order-reversed") and isinstance(value.get("data"), list):
        value["data"] = value["data"][::-1]
    usage = value.get("usage")
    if ex.on("embedding-usage-off") and isinstance(usage, dict):
        usage["prompt_tokens"] += 1
        usage["total_tokens"] += 1


def _cache(ex: Exchange, usage: dict[str, Any]) -> None:
    if ex.on("cache-read-dropped") and usage.get("cache_read_input_tokens"):
        usage["cache_read_input_tokens"] = 0
    if ex.on("cache-creation-dropped") and usage.get("cache_creation_input_tokens"):
        usage["input_tokens"] += usage["cache_creation_input_tokens"]
        usage["cache_creation_input_tokens"] = 0
    details = usage.get("prompt_tokens_details")
    if ex.on("cached-tokens-dropped") and isinstance(details, dict):
        details["cached_tokens"] = 0


def _thinking(ex: Exchange, value: dict[str, Any]) -> None:
    content = _list(value.get("content"))
    if ex.on("drop-redacted-thinking"):
        value["content"] = [b for b in content if b.get("type") != "redacted_thinking"]
    for block in content if ex.on("thinking-text-trimmed") else []:
        if block.get("type") == "thinking":
            block["thinking"] = str(block.get("thinking", ""))[:-1]


# -- stream events ---------------------------------------------------------------------------


def _emit(data: Any, name: str | None) -> str:
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {orjson.dumps(data).decode()}\n\n"


def rewrite_responses(ex: Exchange, name: str | None, data: str) -> str:
    """One Responses stream event (name, data) -> the text to send instead ("" drops)."""
    event = orjson.loads(data)
    if not isinstance(event, dict):
        return _emit(event, name)
    kind = event.get("type")
    if ex.on("resp-fake-complete-on-error") and kind in ("error", "response.failed"):
        if kind == "error":
            return ""
        response = dict(event.get("response") or {}, status="completed", error=None)
        return _emit({"type": "response.completed", "response": response,
                      "sequence_number": event.get("sequence_number")}, "response.completed")
    if (ex.on("resp-skip-created") and kind == "response.created") or (
            ex.on("resp-completed-missing") and kind == "response.completed"):
        return ""
    if ex.on("resp-sequence-reset"):
        event["sequence_number"] = 0
    if ex.on("resp-text-done-differs") and kind == "response.output_text.done":
        event["text"] = str(event.get("text", "")) + " (edited)"
    if ex.on("resp-args-done-differs") and kind == "response.function_call_arguments.done":
        event["arguments"] = str(event.get("arguments", "")) + " "
    final = _dict(event.get("response")) if kind == "response.completed" else {}
    if final:
        if ex.on("resp-final-in-progress"):
            final["status"] = "in_progress"
        usage = final.get("usage")
        if ex.on("resp-stream-usage-off") and isinstance(usage, dict):
            usage["output_tokens"] += 1
            usage["total_tokens"] += 1
    return _emit(event, "message" if ex.on("resp-event-name-mismatch") else name)


def rewrite_anthropic(ex: Exchange, kind: Any, event: dict[str, Any], name: str | None
                      ) -> str | None:
    """The thinking modes on an Anthropic stream event: the text to send (None: not mine)."""
    if not ex.on("thinking-signature-first") or kind != "content_block_delta":
        return None
    delta = _dict(event.get("delta"))
    if delta.get("type") == "thinking_delta":  # hold the thinking back until the signature
        ex.held += _emit(event, name)
        return ""
    if delta.get("type") == "signature_delta":
        out, ex.held = _emit(event, name) + ex.held, ""
        return out
    return None
