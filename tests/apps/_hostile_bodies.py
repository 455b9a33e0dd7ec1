"""What the hostile gateway (tests/apps/hostile.py) says: valid answers, and the bad ones.

Bodies only; framing, timing and sizes are the server's. Everything here is small except
``huge_json``, which is generated block by block.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from functools import lru_cache

REASONS = {200: "OK", 307: "Temporary Redirect", 400: "Bad Request", 401: "Unauthorized",
           404: "Not Found"}

# A screen clear, cursor home, a fake green verdict, a window-title OSC, a C1 CSI, backspaces
# over a word, a carriage return that overwrites the line, a bell; and HTML/Markdown breakers.
ESCAPE_TEXT = ("\x1b[2J\x1b[H\x1b[1;32m  overall PASS  \x1b[0m\n"
               "\x1b]0;gatecheck: all green\x07\x9b31mred\x9b0m FAILED\x08\x08\x08\x08\x08\x08"
               "passed\rPASS  \x07 <script>alert(document.cookie)</script> | `x` **bold**")
# Raw control bytes inside a JSON string (strictly invalid JSON): what a careless gateway
# writes when it pastes text into a template; lenient parsers accept it.
ESCAPES_BODY = ('{"error":{"message":"' + ESCAPE_TEXT.replace('"', "'") +
                '","type":"invalid_request_error","param":null,"code":null}}').encode()

HTML = (b"<!doctype html><html><head><title>Welcome</title></head><body>"
        b"<h1>It works!</h1><p>This is the default page.</p></body></html>")

# A status line that is not HTTP, binary junk, then the connection closes.
MALFORMED = b"HTTP/1.1 2OO 0K\r\n\x00\x01\xff\xfegarbage\r\nno colon here\r\n\r\n\x00"

# Lines that carry no event data: JSON without a `data:` field, comments, an event type with
# no data (never dispatched), an unknown field. An SSE parser yields nothing from them.
UNPARSEABLE_SSE = [
    b'{"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,'
    b'"delta":{"content":"hi"}}]}\n\n',
    b": keep-alive\n\n",
    b"event: message_start\n\n",
    b"dat: [DONE]\n\n",
]


def error_json(message: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": "invalid_request_error",
                                 "param": None, "code": None}}).encode()


def content_event(text: str, anthropic: bool) -> bytes:
    if anthropic:
        delta = {"type": "content_block_delta", "index": 0,
                 "delta": {"type": "text_delta", "text": text}}
        return b"event: content_block_delta\ndata: " + json.dumps(delta).encode() + b"\n\n"
    chunk = {"id": "chatcmpl-hostile", "object": "chat.completion.chunk", "created": 0,
             "model": "hostile-model",
             "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def _openai_stream(text: str) -> list[bytes]:
    def chunk(delta: dict[str, object], finish: str | None) -> bytes:
        body = {"id": "chatcmpl-hostile", "object": "chat.completion.chunk", "created": 0,
                "model": "hostile-model",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return b"data: " + json.dumps(body).encode() + b"\n\n"

    return [chunk({"role": "assistant", "content": ""}, None), chunk({"content": text}, None),
            chunk({}, "stop"), b"data: [DONE]\n\n"]


def _anthropic_stream(text: str) -> list[bytes]:
    def event(name: str, data: dict[str, object]) -> bytes:
        return f"event: {name}\ndata: ".encode() + json.dumps({"type": name, **data}).encode() \
            + b"\n\n"

    message = {"id": "msg_hostile", "type": "message", "role": "assistant", "content": [],
               "model": "hostile-model", "stop_reason": None, "stop_sequence": None,
               "usage": {"input_tokens": 3, "output_tokens": 0}}
    return [event("message_start", {"message": message}),
            event("content_block_start", {"index": 0,
                                          "content_block": {"type": "text", "text": ""}}),
            event("content_block_delta", {"index": 0,
                                          "delta": {"type": "text_delta", "text": text}}),
            event("content_block_stop", {"index": 0}),
            event("message_delta", {"delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                    "usage": {"output_tokens": 1}}),
            event("message_stop", {})]


def ok_answer(method: str, path: str, anthropic: bool,
              stream: bool) -> tuple[int, bytes, list[bytes] | None]:
    """(status, body, stream events or None) of a minimal, valid gateway."""
    route = path.rstrip("/")
    if route in ("", "/health", "/healthz", "/ready", "/live", "/ping") \
            or route.startswith("/health"):
        return 200, b'{"status":"ok"}', None
    if route.endswith("/models") and method == "GET":
        return 200, json.dumps({"object": "list", "data": [
            {"id": "hostile-model", "object": "model", "created": 0, "owned_by": "hostile"}]},
        ).encode(), None
    if route.endswith("/count_tokens"):
        return 200, b'{"input_tokens":3}', None
    if route.endswith("/chat/completions") and method == "POST":
        if stream:
            return 200, b"", _openai_stream("hello")
        return 200, json.dumps({
            "id": "chatcmpl-hostile", "object": "chat.completion", "created": 0,
            "model": "hostile-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"},
                         "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}).encode(), \
            None
    if anthropic and method == "POST":
        if stream:
            return 200, b"", _anthropic_stream("hello")
        return 200, json.dumps({
            "id": "msg_hostile", "type": "message", "role": "assistant",
            "content": [{"type": "text", "text": "hello"}], "model": "hostile-model",
            "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": 1}}).encode(), None
    return 404, error_json(f"no route {method} {path}"), None


def echo_events(dump: str, anthropic: bool) -> list[bytes]:
    """A stream that carries the request's headers in a content event and an error event."""
    error = b"event: error\ndata: " + error_json(f"you sent {dump}") + b"\n\n"
    return [content_event(f"you sent {dump}", anthropic), error,
            b"" if anthropic else b"data: [DONE]\n\n"][: 2 if anthropic else 3]


def escape_events(anthropic: bool) -> list[bytes]:
    stream = _anthropic_stream(ESCAPE_TEXT) if anthropic else _openai_stream(ESCAPE_TEXT)
    return [*stream[:-1], b"event: error\ndata: " + ESCAPES_BODY + b"\n\n", stream[-1]]


def huge_json(size: int, block: int) -> Iterator[bytes]:
    """A chat completion whose content fills ``size`` bytes, in blocks (never all at once)."""
    head = (b'{"id":"chatcmpl-hostile","object":"chat.completion","created":0,'
            b'"model":"hostile-model","choices":[{"index":0,"message":{"role":"assistant",'
            b'"content":"')
    tail = b'"},"finish_reason":"stop"}]}'
    if size < len(head) + len(tail):
        yield b"a" * size
        return
    yield head
    left = size - len(head) - len(tail)
    filler = b"a" * block
    while left > 0:
        n = min(left, block)
        yield filler if n == block else filler[:n]
        left -= n
    yield tail


@lru_cache(maxsize=4)
def _bomb_parts(expanded: int) -> tuple[bytes, bytes, int, bytes]:
    """First segment, repeated segment, count, tail of a gzip member of `expanded` spaces.

    Z_FULL_FLUSH resets the compressor after each 1 MiB of input, so every segment after the
    first compresses to the same bytes: the member is built from three pieces, and the CRC
    is computed over the spaces without ever holding them all.
    """
    block = b" " * (1 << 20)
    count = max(expanded // len(block), 2)
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    segment = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    tail = comp.flush(zlib.Z_FINISH)[:-8]  # the final block, without zlib's own trailer
    tail += crc.to_bytes(4, "little") + ((count * len(block)) & 0xFFFFFFFF).to_bytes(4, "little")
    return first, segment, count, tail


def gzip_bomb(expanded: int) -> tuple[int, Callable[[], Iterator[bytes]]]:
    """(wire length, block generator) of a valid gzip body expanding to ``expanded`` bytes."""
    first, segment, count, tail = _bomb_parts(expanded)

    def blocks() -> Iterator[bytes]:
        yield first
        batch = segment * 64
        left = count - 1
        while left > 0:
            n = min(left, 64)
            yield batch if n == 64 else segment * n
            left -= n
        yield tail

    return len(first) + len(segment) * (count - 1) + len(tail), blocks
