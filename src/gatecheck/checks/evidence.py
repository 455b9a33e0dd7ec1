"""Judges over what reached the upstream and what came back: images and embeddings.

Images (IMG-*): a gateway must pass an image part on unmodified, even when it re-wraps it
for another wire (an OpenAI ``data:`` URL becomes an Anthropic base64 ``source``). The mock
upstream logs, per image it received, the SHA-256 of the decoded bytes and the media type
(or the URL): the digests of the request the check sent must be exactly those.

Embeddings (EMB-*): ``CreateEmbeddingResponse``: ``object: "list"``, one
``{"object": "embedding", "index": i, "embedding": [...]}`` per input in input order, the
vectors of one length (``dimensions`` when asked for), usage ``prompt_tokens`` =
``total_tokens``; ``encoding_format: "base64"`` carries the same float32 values
little-endian.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import zlib
from typing import Any

from gatecheck.checks._common import as_object, excerpt
from gatecheck.checks._failures import ExchangeLike, expect

__all__ = [
    "PNG_BASE64",
    "decode_base64_embedding",
    "embeddings_are_well_formed",
    "image_digest",
    "images_arrived",
]


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG, written here so the checks send a real image of known bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


# An 8x8 red PNG (base64): the image every image check sends.
PNG_BASE64 = base64.b64encode(_png(8, 8, (220, 20, 60))).decode()


def image_digest(url: str | None = None, *, media_type: str | None = None,
                 data: str | None = None) -> dict[str, str]:
    """The mock log's record of an image: a data: URL or base64 data by digest, else the URL."""
    if url is not None and url.startswith("data:"):
        header, _, data = url[5:].partition(",")
        media_type = header.partition(";")[0]
    elif url is not None:
        return {"url": url}
    raw = base64.b64decode(data or "")
    return {"media_type": str(media_type), "sha256": hashlib.sha256(raw).hexdigest()}


def images_arrived(sent: list[dict[str, str]], logged: Any, *,
                   exchange: ExchangeLike | None = None) -> None:
    """IMG-1..3: the upstream received exactly the images sent, in order, bytes unchanged."""
    expect(logged == sent, "the image parts did not reach the upstream unmodified",
           expected=excerpt(sent, 240), observed=excerpt(logged, 240), exchange=exchange)


def decode_base64_embedding(value: Any) -> list[float] | None:
    """A base64 embedding as floats (float32 little-endian), None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) % 4:
        return None
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def embeddings_are_well_formed(body: Any, inputs: int, *, dimensions: int | None = None,
                               base64_format: bool = False,
                               exchange: ExchangeLike | None = None) -> list[list[float]]:
    """EMB-1: the list shape, one vector per input in order, one length; returns the vectors."""
    body = as_object(body, "embeddings body is not a JSON object",
                     expected="a CreateEmbeddingResponse", exchange=exchange)
    expect(body.get("object") == "list", '`object` is not "list"', expected='"list"',
           observed=repr(body.get("object")), exchange=exchange)
    data = body.get("data")
    expect(isinstance(data, list) and len(data) == inputs, "not one embedding per input",
           expected=f"{inputs} items in `data`", observed=excerpt(data, 160), exchange=exchange)
    vectors: list[list[float]] = []
    for n, item in enumerate(data):
        expect(isinstance(item, dict) and item.get("object") == "embedding"
               and item.get("index") == n, f"data[{n}] is not embedding number {n}",
               expected=f'{{"object": "embedding", "index": {n}, "embedding": ...}}',
               observed=excerpt(item, 160), exchange=exchange)
        raw = item.get("embedding")
        vector = decode_base64_embedding(raw) if base64_format else raw
        numbers = isinstance(vector, list) and bool(vector) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in vector)
        expect(numbers,
            f"data[{n}].embedding is not a list of numbers"
            + (" (base64 float32)" if base64_format else ""),
            expected="base64 float32 little-endian" if base64_format else "[float, ...]",
            observed=excerpt(raw, 120), exchange=exchange)
        vectors.append(vector if isinstance(vector, list) else [])
    lengths = {len(v) for v in vectors}
    expect(len(lengths) == 1 and (dimensions is None or lengths == {dimensions}),
           "the vectors do not all have the asked-for length",
           expected=f"{dimensions or 'one'} dimensions", observed=f"lengths {sorted(lengths)}",
           exchange=exchange)
    usage = as_object(body.get("usage"), "`usage` missing or not an object",
                      expected="{prompt_tokens, total_tokens}", exchange=exchange)
    prompt = usage.get("prompt_tokens")
    expect(isinstance(prompt, int) and prompt > 0 and usage.get("total_tokens") == prompt,
           "usage.prompt_tokens missing, zero or not equal to total_tokens",
           expected="prompt_tokens = total_tokens > 0", observed=excerpt(usage),
           exchange=exchange)
    return vectors
