"""The producing side of the Responses wire: whole Response objects and event sequences.

The mock upstream (which answers ``/v1/responses``) and the reference proxy (which
translates Chat Completions and Anthropic answers into it) build their bodies and streams
here, so both produce one grammar: ``response.created`` and ``response.in_progress``, then
per output item ``output_item.added``, its parts and deltas, ``output_item.done``, then one
terminal event; every event numbered by ``sequence_number`` from 0. The checks do not use
this module: they judge against the spec with expectations of their own.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from gatecheck.protocols.responses.wire import ERROR_CODES, EVENT

__all__ = ["StreamWriter", "echo", "response_object", "usage"]

_NEUTRAL: dict[str, Any] = {  # what a Response reports for settings the request left out
    "instructions": None, "max_output_tokens": None, "max_tool_calls": None, "metadata": {},
    "parallel_tool_calls": True, "previous_response_id": None, "temperature": 1.0,
    "top_p": 1.0, "tool_choice": "auto", "truncation": "disabled", "user": None,
    "safety_identifier": None, "prompt_cache_key": None, "top_logprobs": 0,
    "presence_penalty": 0.0, "frequency_penalty": 0.0, "background": False,
    "service_tier": "default",
}


def usage(input_tokens: int, output_tokens: int, *, cached: int = 0, cache_write: int = 0,
          reasoning: int = 0) -> dict[str, Any]:
    """A ResponseUsage: ``input_tokens`` includes the cached ones, output the reasoning ones."""
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": cache_write},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output_tokens,
    }


def _tool(tool: Any) -> Any:
    if not isinstance(tool, Mapping) or tool.get("type") != "function":
        return tool
    out = {"type": "function", "name": tool.get("name")}
    if tool.get("description") is not None:
        out["description"] = tool["description"]
    out["parameters"] = tool.get("parameters")
    out["strict"] = tool.get("strict")  # required in a Response's tools (null allowed)
    return out


def echo(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request settings a Response reports back (the spec's Response properties).

    Nothing is stored (``store: false``): neither the mock nor the proxy keeps responses.
    """
    out = {key: request.get(key, default) for key, default in _NEUTRAL.items()}
    for key, default in _NEUTRAL.items():
        if out[key] is None and default is not None:
            out[key] = default
    out["tools"] = [_tool(t) for t in request.get("tools") or ()]
    out["text"] = request.get("text") or {"format": {"type": "text"}}
    out["reasoning"] = request.get("reasoning") or {"effort": None, "summary": None}
    out["store"] = False
    return out


def response_object(*, id: str, created_at: int, model: str, echoed: Mapping[str, Any],
                    status: str, output: list[dict[str, Any]], usage: dict[str, Any] | None,
                    completed_at: int | None = None, error: dict[str, Any] | None = None,
                    incomplete: str | None = None) -> dict[str, Any]:
    """A whole Response; ``incomplete`` is the reason of a status "incomplete"."""
    body: dict[str, Any] = {
        "id": id, "object": "response", "created_at": created_at, "status": status,
        "completed_at": completed_at, "error": error,
        "incomplete_details": {"reason": incomplete} if incomplete else None,
        "model": model, "output": output, "usage": usage,
    }
    body.update(echoed)
    return body


class StreamWriter:
    """Builds one Responses stream event by event, numbering them from 0.

    ``response`` is the finished skeleton (``response_object`` with status "in_progress",
    no output, no usage); the writer keeps the finished items and reports them in the
    terminal event. Each ``open_*`` closes whatever item is still open first.
    """

    __slots__ = ("_call", "_index", "_kind", "_text", "items", "response", "seq")

    def __init__(self, response: dict[str, Any]) -> None:
        self.response = response
        self.seq = 0
        self.items: list[dict[str, Any]] = []
        self._index = -1
        self._kind: str | None = None  # the open item: "message", "function_call", ...
        self._text: list[str] = []
        self._call: dict[str, Any] = {}

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        out = {"type": kind, **fields, "sequence_number": self.seq}
        self.seq += 1
        return out

    def _snapshot(self, **changes: Any) -> dict[str, Any]:
        snap = copy.copy(self.response)
        snap.update(changes)
        return snap

    def start(self) -> list[dict[str, Any]]:
        """``response.created`` and ``response.in_progress``."""
        snap = self._snapshot(status="in_progress", output=[], usage=None, completed_at=None)
        return [self.event(EVENT.CREATED, response=snap),
                self.event(EVENT.IN_PROGRESS, response=snap)]

    def _open(self, kind: str, item: dict[str, Any]) -> list[dict[str, Any]]:
        out = self.close()
        self._index += 1
        self._kind, self._text, self._call = kind, [], item
        # a copy: the open item changes as it fills (seal), the event already went out
        out.append(self.event(EVENT.ITEM_ADDED, output_index=self._index, item=dict(item)))
        return out

    def _ids(self) -> dict[str, Any]:
        return {"item_id": self._call["id"], "output_index": self._index}

    # -- message items ---------------------------------------------------------------------
    def open_message(self, item_id: str) -> list[dict[str, Any]]:
        item = {"id": item_id, "type": "message", "status": "in_progress",
                "role": "assistant", "content": []}
        out = self._open("message", item)
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        out.append(self.event(EVENT.PART_ADDED, **self._ids(), content_index=0, part=part))
        return out

    def text(self, delta: str) -> dict[str, Any]:
        self._text.append(delta)
        return self.event(EVENT.TEXT_DELTA, **self._ids(), content_index=0, delta=delta,
                          logprobs=[])

    # -- function calls --------------------------------------------------------------------
    def open_call(self, item_id: str, call_id: str, name: str) -> list[dict[str, Any]]:
        item = {"id": item_id, "type": "function_call", "status": "in_progress",
                "call_id": call_id, "name": name, "arguments": ""}
        return self._open("function_call", item)

    def arguments(self, delta: str) -> dict[str, Any]:
        self._text.append(delta)
        return self.event(EVENT.ARGS_DELTA, **self._ids(), delta=delta)

    # -- reasoning (Anthropic thinking, vLLM / DeepSeek reasoning_content) -----------------
    def open_reasoning(self, item_id: str) -> list[dict[str, Any]]:
        item: dict[str, Any] = {"id": item_id, "type": "reasoning", "summary": [], "content": [],
                "encrypted_content": None, "status": "in_progress"}
        out = self._open("reasoning", item)
        part = {"type": "reasoning_text", "text": ""}
        out.append(self.event(EVENT.PART_ADDED, **self._ids(), content_index=0, part=part))
        return out

    def reasoning(self, delta: str) -> dict[str, Any]:
        self._text.append(delta)
        return self.event(EVENT.REASONING_DELTA, **self._ids(), content_index=0, delta=delta)

    def seal(self, encrypted_content: str) -> None:
        """The opaque content of the open reasoning item (an Anthropic thinking signature)."""
        self._call["encrypted_content"] = encrypted_content

    # -- closing ---------------------------------------------------------------------------
    @property
    def open_kind(self) -> str | None:
        return self._kind

    def close(self, status: str = "completed") -> list[dict[str, Any]]:
        """The closing events of the open item (none when no item is open)."""
        kind, text = self._kind, "".join(self._text)
        if kind is None:
            return []
        ids, item = self._ids(), dict(self._call, status=status)
        out: list[dict[str, Any]] = []
        if kind == "message":
            part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
            out.append(self.event(EVENT.TEXT_DONE, **ids, content_index=0, text=text,
                                  logprobs=[]))
            out.append(self.event(EVENT.PART_DONE, **ids, content_index=0, part=part))
            item["content"] = [part]
        elif kind == "function_call":
            out.append(self.event(EVENT.ARGS_DONE, **ids, name=item["name"], arguments=text))
            item["arguments"] = text
        else:
            part = {"type": "reasoning_text", "text": text}
            out.append(self.event(EVENT.REASONING_DONE, **ids, content_index=0, text=text))
            out.append(self.event(EVENT.PART_DONE, **ids, content_index=0, part=part))
            item["content"] = [part]
        out.append(self.event(EVENT.ITEM_DONE, output_index=self._index, item=item))
        self.items.append(item)
        self._kind = None
        return out

    def finish(self, usage: dict[str, Any] | None, *, completed_at: int,
               incomplete: str | None = None) -> list[dict[str, Any]]:
        """Close the open item, then ``response.completed`` (or ``.incomplete`` with a reason)."""
        out = self.close("incomplete" if incomplete else "completed")
        if incomplete:
            snap = self._snapshot(status="incomplete", output=list(self.items), usage=usage,
                                  incomplete_details={"reason": incomplete})
            out.append(self.event(EVENT.INCOMPLETE, response=snap))
        else:
            snap = self._snapshot(status="completed", output=list(self.items), usage=usage,
                                  completed_at=completed_at)
            out.append(self.event(EVENT.COMPLETED, response=snap))
        return out

    def fail(self, code: str, message: str, *, param: str | None = None) -> list[dict[str, Any]]:
        """A failure after the 200: the ``error`` event, then ``response.failed``."""
        error = self.event(EVENT.ERROR, code=code, message=message, param=param)
        # Response.error.code is an enum (ResponseErrorCode); the error event's is free text
        known = code if code in ERROR_CODES else "server_error"
        snap = self._snapshot(status="failed", output=list(self.items), usage=None,
                              error={"code": known, "message": message})
        return [error, self.event(EVENT.FAILED, response=snap)]
