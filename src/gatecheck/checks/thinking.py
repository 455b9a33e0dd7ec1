"""Extended thinking judges (Anthropic): blocks and signatures unmodified, deltas in order.

A thinking block's ``signature`` is the upstream's proof that the block is its own: a client
sends the block back unchanged in the next turn and the API refuses it if one byte changed.
So a gateway must pass ``thinking`` and ``redacted_thinking`` blocks through exactly, and
in a stream the ``thinking_delta`` events first, then the ``signature_delta``, in one block
before the answer's blocks (Anthropic's extended-thinking docs; the SDK's accumulator).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from gatecheck.checks._common import excerpt, obj
from gatecheck.checks._failures import ExchangeLike, expect

__all__ = [
    "THINKING_TYPES",
    "block_digest",
    "thinking_blocks",
    "thinking_blocks_are_complete",
    "thinking_blocks_match",
    "thinking_stream_blocks",
]

THINKING_TYPES = frozenset({"thinking", "redacted_thinking"})


def block_digest(block: dict[str, Any]) -> str:
    """SHA-256 (hex) of a block's canonical JSON (sorted keys, compact): the mock log's form."""
    return hashlib.sha256(orjson.dumps(block, option=orjson.OPT_SORT_KEYS)).hexdigest()


def thinking_blocks(content: Any) -> list[dict[str, Any]]:
    """The thinking and redacted_thinking blocks of a message's content, in order."""
    return [b for b in content or [] if isinstance(b, dict) and b.get("type") in THINKING_TYPES]


def thinking_blocks_are_complete(content: Any, *, exchange: ExchangeLike | None = None) -> None:
    """THINK-1: thinking blocks have text and a signature, redacted ones their data, and all
    come before the answer's blocks."""
    blocks = [b for b in content or [] if isinstance(b, dict)]
    seen_answer = False
    for n, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "thinking":
            expect(isinstance(block.get("thinking"), str)
                   and isinstance(block.get("signature"), str) and bool(block.get("signature")),
                   f"content[{n}]: thinking block without its text or signature",
                   expected='{"type": "thinking", "thinking": str, "signature": str}',
                   observed=excerpt(block, 200), exchange=exchange)
        elif kind == "redacted_thinking":
            expect(isinstance(block.get("data"), str) and bool(block.get("data")),
                   f"content[{n}]: redacted_thinking block without its data",
                   expected='{"type": "redacted_thinking", "data": str}',
                   observed=excerpt(block, 200), exchange=exchange)
        else:
            seen_answer = True
            continue
        expect(not seen_answer, f"content[{n}]: a {kind} block after the answer's blocks",
               expected="thinking blocks first", observed=" ".join(
                   str(b.get("type")) for b in blocks), exchange=exchange)


def thinking_blocks_match(received: list[dict[str, Any]], sent: list[str], *,
                          exchange: ExchangeLike | None = None) -> None:
    """THINK-1 / THINK-3: the blocks the client got are, byte for byte, the ones the upstream
    sent (``sent``: the digests the mock logged)."""
    got = [block_digest(b) for b in received]
    expect(len(got) == len(sent), "the client got a different number of thinking blocks than "
           "the upstream sent", expected=f"{len(sent)} blocks",
           observed=f"{len(got)}: {' '.join(str(b.get('type')) for b in received)}",
           exchange=exchange)
    for n, (mine, theirs) in enumerate(zip(got, sent, strict=True)):
        expect(mine == theirs, f"thinking block {n} was modified on the way (text, signature or "
               "data differ from the upstream's)", expected=f"sha256 {theirs[:16]}...",
               observed=f"sha256 {mine[:16]}... {excerpt(received[n], 160)}",
               exchange=exchange)


def thinking_stream_blocks(events: list[Any], *,
                           exchange: ExchangeLike | None = None) -> list[dict[str, Any]]:
    """THINK-2: in a stream, a thinking block opens with empty text, gets its thinking_delta
    events, then its signature (signature_delta), then stops; a redacted_thinking block opens
    whole and gets no delta; all before the answer's first block. Returns the assembled
    blocks, as a non-streamed message would hold them."""
    blocks: dict[int, dict[str, Any]] = {}
    signed: set[int] = set()
    answer_started = False
    for n, event in enumerate(events):
        data = obj(event.data)
        index = data.get("index")
        if event.type == "content_block_start":
            block = obj(data.get("content_block"))
            if block.get("type") in THINKING_TYPES and isinstance(index, int):
                expect(not answer_started, f"event {n}: a {block.get('type')} block starts after "
                       "the answer's blocks", expected="thinking blocks first",
                       observed=excerpt(data, 160), exchange=exchange)
                blocks[index] = dict(block)
                if block.get("type") == "thinking":
                    expect(block.get("thinking") in ("", None),
                           f"event {n}: a thinking block starts with text (it comes in deltas)",
                           expected='"thinking": ""', observed=excerpt(block, 160),
                           exchange=exchange)
                    blocks[index].update(thinking="", signature="")
            else:
                answer_started = True
        elif event.type == "content_block_delta" and index in blocks:
            delta = obj(data.get("delta"))
            block = blocks[index]
            kind = delta.get("type")
            expect(block.get("type") == "thinking" and kind in ("thinking_delta",
                                                                 "signature_delta"),
                   f"event {n}: {kind!r} inside a {block.get('type')} block",
                   expected="thinking_delta / signature_delta in thinking blocks only",
                   observed=excerpt(data, 160), exchange=exchange)
            if kind == "thinking_delta":
                expect(index not in signed, f"event {n}: thinking_delta after the signature",
                       expected="every thinking_delta before the signature_delta",
                       observed=excerpt(data, 160), exchange=exchange)
                block["thinking"] += str(delta.get("thinking", ""))
            else:
                signed.add(index)
                block["signature"] += str(delta.get("signature", ""))
    for index, block in blocks.items():
        if block.get("type") == "thinking":
            expect(index in signed and bool(block.get("signature")),
                   f"thinking block {index} got no signature_delta",
                   expected="a signature_delta before content_block_stop",
                   observed=excerpt(block, 160), exchange=exchange)
    return [blocks[i] for i in sorted(blocks)]
