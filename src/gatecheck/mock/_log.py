"""The mock's request log: what it received and sent, in a bounded ring buffer.

Entries are stored raw (headers included) and redacted only when ``GET /_mock/log`` renders
them, so the hot path pays for one small object per request.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from gatecheck import default_redactor, describe_credential
from gatecheck.mock._directives import Directive

__all__ = ["LogEntry", "RequestLog"]


@dataclass(slots=True)
class LogEntry:
    """One request; ``status`` and ``fault`` are what the mock answered with."""

    seq: int
    time: float  # when the request arrived (epoch s)
    method: str
    path: str
    surface: str | None
    model: str | None
    stream: bool
    headers: list[tuple[bytes, bytes]]
    directive: Directive | None
    status: int
    fault: str | None
    input_tokens: int | None
    output_tokens: int | None
    request_id: str | None
    prompt: str | None
    cache_control: int = 0  # blocks marked cache_control (Anthropic), to prove they arrived
    cache_read: int = 0
    cache_write: int = 0
    images: tuple[dict[str, str], ...] = ()
    thinking: tuple[str, ...] = ()
    sent_id: str | None = None  # the request-id header the mock answered with

    def to_dict(self) -> dict[str, Any]:
        usage = None
        if self.input_tokens is not None:
            # input_tokens is the whole prompt, cached parts included (mock._evidence)
            usage = {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                     "cache_read_input_tokens": self.cache_read,
                     "cache_creation_input_tokens": self.cache_write}
        return {
            "seq": self.seq,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "surface": self.surface,
            "model": self.model,
            "stream": self.stream,
            "headers": _redact(self.headers),
            "credentials": _credentials(self.headers),
            "request_id": self.sent_id,
            "directive": self.directive.to_dict() if self.directive is not None else None,
            "status": self.status,
            "fault": self.fault,
            "usage": usage,
            "id": self.request_id,
            "prompt": default_redactor().text(self.prompt) if self.prompt else self.prompt,
            "cache_control": self.cache_control,
            "images": list(self.images),
            "thinking": list(self.thinking),
        }


def _redact(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Headers as a dict, with secrets masked by the one shared redactor."""
    pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
    return dict(default_redactor().headers(pairs))


_CREDENTIAL_HEADERS = (b"authorization", b"x-api-key", b"api-key")


def _credentials(raw: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    """What credential the gateway sent, as facts a check can compare (never the value)."""
    return [describe_credential(k.decode("latin-1"), v.decode("latin-1"))
            for k, v in raw if k.lower() in _CREDENTIAL_HEADERS]


class RequestLog:
    """A ring buffer of the last ``size`` requests, numbered from 1 since the last reset."""

    def __init__(self, size: int) -> None:
        self._entries: deque[LogEntry] = deque(maxlen=size)
        self._seq = itertools.count(1)
        self.total = 0

    def add(
        self,
        method: str,
        path: str,
        headers: list[tuple[bytes, bytes]],
        *,
        surface: str | None = None,
        model: str | None = None,
        stream: bool = False,
        directive: Directive | None = None,
        status: int = 200,
        fault: str | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        request_id: str | None = None,
        prompt: str | None = None,
        cache_control: int = 0,
        cache_read: int = 0,
        cache_write: int = 0,
        images: tuple[dict[str, str], ...] = (),
        thinking: tuple[str, ...] = (),
        sent_id: str | None = None,
        arrived: float | None = None,
    ) -> LogEntry:
        entry = LogEntry(
            next(self._seq),
            time.time() if arrived is None else arrived,
            method,
            path,
            surface,
            model,
            stream,
            headers,
            directive,
            status,
            fault,
            input_tokens,
            output_tokens,
            request_id,
            prompt,
            cache_control,
            cache_read,
            cache_write,
            images,
            thinking,
            sent_id,
        )
        self._entries.append(entry)
        self.total += 1
        return entry

    def reset(self) -> None:
        self._entries.clear()
        self._seq = itertools.count(1)
        self.total = 0

    def render(self, limit: int | None = None, since: int = 0) -> dict[str, Any]:
        entries = [e for e in self._entries if e.seq > since]
        if limit is not None:
            entries = entries[-limit:] if limit > 0 else []
        return {
            "entries": [e.to_dict() for e in entries],
            "total": self.total,
            "dropped": self.total - len(self._entries),
        }
