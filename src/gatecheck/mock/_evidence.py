"""What the mock records to prove a part arrived unmodified: images, thinking blocks, caching.

A check cannot see what a gateway sent upstream, so the mock writes it into its log in a
form the check can recompute from its own request or from the answer it got:

- ``images``: per image part of the request, in order, ``{"media_type", "sha256"}`` of the
  decoded bytes of a base64 image (OpenAI ``data:`` URLs, Anthropic ``source.type: base64``,
  Responses ``input_image``), or ``{"url"}`` for an image given by URL. Equal digests mean
  the same image, whichever wire carried it.
- ``thinking``: per thinking / redacted_thinking block the mock *sent*, the SHA-256 of the
  block's canonical JSON (sorted keys, compact): a client that got the block unmodified
  computes the same digest.
- Thinking blocks sent *back* in a later request are verified: a ``thinking`` block whose
  ``signature`` is not the mock's signature of its text, or a ``redacted_thinking`` whose
  ``data`` the mock did not make, gets the 400 the real API answers for a tampered block.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from gatecheck.mock._plan import Invalid

__all__ = [
    "block_digest",
    "image_digests",
    "redacted_data",
    "signature",
    "verify_thinking_blocks",
]

_KEY = b"gatecheck-mock-redacted-thinking"  # not a secret: it makes the data self-checking


def signature(thinking: str) -> str:
    """A stable stand-in for the signature real thinking blocks carry (base64, opaque)."""
    return base64.b64encode(hashlib.blake2b(thinking.encode(), digest_size=48).digest()).decode()


def redacted_data(seed: int, n: int) -> str:
    """Opaque ``redacted_thinking.data``: 32 seeded bytes and a tag the mock can verify."""
    payload = hashlib.blake2b(b"%d:%d" % (seed, n), digest_size=32).digest()
    tag = hmac.new(_KEY, payload, "sha256").digest()[:16]
    return base64.b64encode(payload + tag).decode()


def _redacted_ok(data: Any) -> bool:
    try:
        raw = base64.b64decode(data, validate=True) if isinstance(data, str) else b""
    except (binascii.Error, ValueError):
        return False
    payload, tag = raw[:-16], raw[-16:]
    return len(raw) == 48 and hmac.compare_digest(
        tag, hmac.new(_KEY, payload, "sha256").digest()[:16])


def block_digest(block: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a content block's canonical JSON: sorted keys, compact."""
    return hashlib.sha256(orjson.dumps(block, option=orjson.OPT_SORT_KEYS)).hexdigest()


def verify_thinking_blocks(messages: Iterable[Any]) -> int:
    """Count the thinking blocks of earlier assistant turns; 400 for a tampered one."""
    seen = 0
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, Mapping) else None
        if message.get("role") != "assistant" or not isinstance(content, list):
            continue
        for j, block in enumerate(content):
            kind = block.get("type")
            if kind == "thinking":
                if block.get("signature") != signature(str(block.get("thinking", ""))):
                    raise Invalid(400, f"messages.{i}.content.{j}: Invalid `signature` in "
                                  "`thinking` block")
                seen += 1
            elif kind == "redacted_thinking":
                if not _redacted_ok(block.get("data")):
                    raise Invalid(400, f"messages.{i}.content.{j}: Invalid `data` in "
                                  "`redacted_thinking` block")
                seen += 1
    return seen


def _data_url(url: str) -> dict[str, str]:
    header, sep, data = url[5:].partition(",")
    media_type, _, encoding = header.partition(";")
    if not sep or encoding != "base64":
        return {"url": url[:200]}
    return _digest(media_type, data)


def _digest(media_type: Any, data: Any) -> dict[str, str]:
    try:
        raw = base64.b64decode(str(data), validate=True)
    except (binascii.Error, ValueError):
        raw = str(data).encode()  # not base64: the upstream would refuse it; still recorded
    return {"media_type": str(media_type), "sha256": hashlib.sha256(raw).hexdigest()}


def _image(part: Mapping[str, Any]) -> dict[str, str] | None:
    kind = part.get("type")
    if kind == "image_url":  # Chat Completions
        inner = part.get("image_url")
        url = inner.get("url") if isinstance(inner, Mapping) else inner
    elif kind == "input_image":  # Responses
        url = part.get("image_url") or part.get("file_id")
    elif kind == "image":  # Messages
        source = part.get("source")
        if not isinstance(source, Mapping):
            return None
        if source.get("type") == "base64":
            return _digest(source.get("media_type"), source.get("data"))
        url = source.get("url") or source.get("file_id")
    else:
        return None
    if not isinstance(url, str):
        return None
    return _data_url(url) if url.startswith("data:") else {"url": url[:200]}


def image_digests(contents: Iterable[Any]) -> tuple[dict[str, str], ...]:
    """Every image part of the given message contents (lists of parts), in order."""
    found = []
    for content in contents:
        for part in content if isinstance(content, list) else ():
            if isinstance(part, Mapping):
                image = _image(part)
                if image is not None:
                    found.append(image)
    return tuple(found)
