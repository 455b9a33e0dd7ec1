"""OpenAI Responses API wire facts: paths, event names, status and type tables, request bodies.

One module holds what the Responses wire *is*, so the mock (which speaks it), the reference
proxy (which translates it) and the checks (which judge it) never disagree on a name. The
checks take only names from here; their expectations are their own (``checks.py``).

Sources: the OpenAI OpenAPI document in ``../shared/specs/`` (``CreateResponse``,
``Response``, ``ResponseStreamEvent`` and its members, ``ResponseErrorCode``,
``CreateEmbeddingRequest``/``Response``), the official ``openai`` SDK's stream accumulator
(``lib/streaming/responses/_responses.py``: the order it insists on) and the Open Responses
compliance suite (``openresponses/openresponses`` ``src/lib/compliance-tests.ts``: its
requests).
"""

from __future__ import annotations

from typing import Any, Final

import orjson

__all__ = [
    "CONTENT_EVENTS",
    "EMBEDDINGS_PATH",
    "ERROR_CODES",
    "EVENT",
    "LIFECYCLE_EVENTS",
    "RESPONSES_PATH",
    "TERMINAL_EVENTS",
    "TERMINAL_STATUS",
    "WEATHER_TOOL",
    "embeddings_body",
    "function_tool",
    "message_item",
    "request_body",
    "responses_request",
    "sse",
]

RESPONSES_PATH: Final = "/responses"  # under the API root (.../v1), as the other protocols'
EMBEDDINGS_PATH: Final = "/embeddings"


class _Events:
    """The ``type`` of every stream event gatecheck produces or judges (data.type = event:)."""

    CREATED: Final = "response.created"
    QUEUED: Final = "response.queued"
    IN_PROGRESS: Final = "response.in_progress"
    COMPLETED: Final = "response.completed"
    INCOMPLETE: Final = "response.incomplete"
    FAILED: Final = "response.failed"
    ERROR: Final = "error"
    ITEM_ADDED: Final = "response.output_item.added"
    ITEM_DONE: Final = "response.output_item.done"
    PART_ADDED: Final = "response.content_part.added"
    PART_DONE: Final = "response.content_part.done"
    TEXT_DELTA: Final = "response.output_text.delta"
    TEXT_DONE: Final = "response.output_text.done"
    REFUSAL_DELTA: Final = "response.refusal.delta"
    REFUSAL_DONE: Final = "response.refusal.done"
    ARGS_DELTA: Final = "response.function_call_arguments.delta"
    ARGS_DONE: Final = "response.function_call_arguments.done"
    REASONING_DELTA: Final = "response.reasoning_text.delta"
    REASONING_DONE: Final = "response.reasoning_text.done"
    SUMMARY_DELTA: Final = "response.reasoning_summary_text.delta"
    SUMMARY_DONE: Final = "response.reasoning_summary_text.done"


EVENT: Final = _Events()

# Events that carry a whole Response (`response`), in the order a stream may send them.
LIFECYCLE_EVENTS: Final = frozenset({EVENT.CREATED, EVENT.QUEUED, EVENT.IN_PROGRESS,
                                     EVENT.COMPLETED, EVENT.INCOMPLETE, EVENT.FAILED})
# A stream ends with exactly one of these (the `error` event goes before response.failed).
TERMINAL_EVENTS: Final = frozenset({EVENT.COMPLETED, EVENT.INCOMPLETE, EVENT.FAILED})
TERMINAL_STATUS: Final = {EVENT.COMPLETED: "completed", EVENT.INCOMPLETE: "incomplete",
                          EVENT.FAILED: "failed"}
# Events whose delta is generated output: what ttft and itl are made of (gatecheck._timing),
# like a Chat Completions delta with content, reasoning or a tool call.
CONTENT_EVENTS: Final = frozenset({EVENT.TEXT_DELTA, EVENT.REFUSAL_DELTA, EVENT.ARGS_DELTA,
                                   EVENT.REASONING_DELTA, EVENT.SUMMARY_DELTA})

# ResponseErrorCode: Response.error.code of a failed response.
ERROR_CODES: Final = frozenset({
    "server_error", "rate_limit_exceeded", "invalid_prompt", "data_residency_mismatch",
    "bio_policy", "vector_store_timeout", "invalid_image", "invalid_image_format",
    "invalid_base64_image", "invalid_image_url", "image_too_large", "image_too_small",
    "image_parse_error", "image_content_policy_violation", "invalid_image_mode",
    "image_file_too_large", "unsupported_image_media_type", "empty_image_file",
    "failed_to_download_image", "image_file_not_found",
})

# The Open Responses compliance suite's tool (its "tool-calling" requests).
WEATHER_TOOL: Final[dict[str, Any]] = {
    "name": "get_weather",
    "description": "Get the current weather for a location",
    "parameters": {"type": "object",
                   "properties": {"location": {"type": "string",
                                               "description": "The city and state"}},
                   "required": ["location"]},
}


def function_tool(name: str, description: str | None, parameters: Any) -> dict[str, Any]:
    """A Responses function tool (flat: no nested ``function`` object, unlike Chat)."""
    tool: dict[str, Any] = {"type": "function", "name": name}
    if description is not None:
        tool["description"] = description
    tool["parameters"] = parameters
    return tool


def message_item(role: str, content: str | list[dict[str, Any]]) -> dict[str, Any]:
    """An input message item (``{"type": "message", "role", "content"}``)."""
    return {"type": "message", "role": role, "content": content}


def request_body(model: str, *, text: str = "Say hello in five words.",
                 mock: str | None = None, stream: bool = False,
                 max_output_tokens: int | None = 16, tools: bool = False,
                 instructions: str | None = None, items: list[dict[str, Any]] | None = None,
                 **extra: Any) -> dict[str, Any]:
    """A small ``POST /v1/responses`` body: one user message (``mock`` appended to it).

    ``items`` replaces the input with a whole item list (the last user message still gets
    the directive); ``tools`` declares WEATHER_TOOL and forces it with ``tool_choice``.
    """
    content = f"{text} {mock}" if mock else text
    body: dict[str, Any] = {"model": model}
    if items is None:
        body["input"] = [message_item("user", content)]
    else:
        body["input"] = [dict(i) for i in items]
        if mock:
            last = next((i for i in reversed(body["input"]) if i.get("role") == "user"), None)
            if last is not None and isinstance(last.get("content"), str):
                last["content"] = f"{last['content']} {mock}"
    if instructions is not None:
        body["instructions"] = instructions
    if max_output_tokens is not None:
        body["max_output_tokens"] = max_output_tokens
    if stream:
        body["stream"] = True
    if tools:
        body["tools"] = [function_tool(WEATHER_TOOL["name"], WEATHER_TOOL["description"],
                                       WEATHER_TOOL["parameters"])]
        body["tool_choice"] = {"type": "function", "name": WEATHER_TOOL["name"]}
    body.update(extra)
    return body


def responses_request(model: str, prompt: str, *, max_output_tokens: int,
                      stream: bool = False) -> dict[str, Any]:
    """The smallest ``POST /responses`` body (the load users'): the prompt as ``input``.

    No usage option is needed: a Responses stream reports usage in its terminal event.
    """
    body: dict[str, Any] = {"model": model, "input": prompt,
                            "max_output_tokens": max_output_tokens}
    if stream:
        body["stream"] = True
    return body


def embeddings_body(model: str, inputs: str | list[str], **extra: Any) -> dict[str, Any]:
    """A ``POST /v1/embeddings`` body."""
    return {"model": model, "input": inputs, **extra}


def sse(event: dict[str, Any]) -> bytes:
    """One stream event as OpenAI frames it: ``event: <type>`` and its JSON ``data:``."""
    return b"event: " + str(event["type"]).encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"
