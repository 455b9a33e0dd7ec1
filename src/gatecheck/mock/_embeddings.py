"""The OpenAI embeddings surface (``POST /v1/embeddings``): deterministic vectors, exact usage.

Each input gets a unit vector of ``dimensions`` (default ``DEFAULT_DIMENSIONS``) float32
values drawn from SHAKE-256 of the input, so the same text always embeds the same way;
``encoding_format: base64`` carries the same float32 values, little-endian, base64. Usage
is ``prompt_tokens = total_tokens`` = the mock tokenizer's count of the inputs (a token
array counts its length). A ``[[mock ...]]`` directive in any text input applies (latency:
``ttft`` is the whole answer time; faults as on the other surfaces).
"""

from __future__ import annotations

import array
import base64
import hashlib
import itertools
import math
import os
import sys
from typing import Any

import orjson

from gatecheck.mock._config import MockConfig
from gatecheck.mock._errors import (
    context_length_error,
    context_window,
    error_for_status,
    openai_error,
)
from gatecheck.mock._plan import PROMPT_EXCERPT, Invalid, Plan, resolve
from gatecheck.mock._tokenizer import count_embeddings_request
from gatecheck.mock._validate import check_embeddings

__all__ = ["DEFAULT_DIMENSIONS", "EmbeddingsSurface", "vector"]

DEFAULT_DIMENSIONS = 64


def vector(item: str | list[int], dimensions: int) -> list[float]:
    """The mock's embedding of one input: a deterministic float32 unit vector."""
    text = item if isinstance(item, str) else ",".join(map(str, item))
    raw = hashlib.shake_256(b"%d:" % dimensions + text.encode()).digest(2 * dimensions)
    values = [int.from_bytes(raw[i:i + 2], "little") / 32768.0 - 1.0
              for i in range(0, len(raw), 2)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    # through float32, so the JSON floats and the base64 float32 form are the same numbers
    return list(array.array("f", (v / norm for v in values)))


def _base64(values: list[float]) -> str:
    packed = array.array("f", values)
    if sys.byteorder != "little":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode()


class EmbeddingsSurface:
    """``POST /v1/embeddings`` as OpenAI answers it (never streamed)."""

    name = "embeddings"

    def __init__(self) -> None:
        self._prefix = "emb_mock" + os.urandom(4).hex()
        self._ids = itertools.count(1)

    def new_id(self) -> str:  # for the log only: embedding responses carry no id
        return f"{self._prefix}{next(self._ids):012d}"

    def plan(self, raw: bytes, config: MockConfig) -> Plan:
        try:
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise Invalid(400, "We could not parse the JSON body of your request. "
                              "The OpenAI API expects a JSON payload.") from None
            inputs = check_embeddings(body)
            return self._plan(body, inputs, config)
        except Invalid as exc:
            error = openai_error(exc.message, "invalid_request_error", exc.param, exc.code)
            return Plan("embeddings", exc.status, error)

    def _plan(self, body: dict[str, Any], inputs: list[Any], config: MockConfig) -> Plan:
        asked = "\n".join(i for i in inputs if isinstance(i, str))
        directive, behaviour, latency, chaos = resolve(config, body["model"], asked)
        prompt = count_embeddings_request(inputs)
        window = context_window(behaviour.fault, behaviour.context, prompt)
        if window is not None:
            return Plan("embeddings", 400, context_length_error("openai", prompt, window))
        dimensions = body.get("dimensions") or DEFAULT_DIMENSIONS
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, item in enumerate(inputs):
            values = vector(item, dimensions)
            data.append({"object": "embedding", "index": index,
                         "embedding": _base64(values) if as_base64 else values})
        answer = {"object": "list", "data": data, "model": body["model"],
                  "usage": {"prompt_tokens": prompt, "total_tokens": prompt}}
        plan = Plan("embeddings", model=body["model"], directive=directive,
                    behaviour=behaviour, latency=latency, input_tokens=prompt, chaos=chaos,
                    prompt=asked[:PROMPT_EXCERPT])
        plan.data["body"] = orjson.dumps(answer)
        plan.data["n_content"] = 1  # one delay: ttft is the time to the whole answer
        return plan

    def body(self, plan: Plan, rid: str, created: int) -> bytes:
        return plan.data["body"]  # type: ignore[no-any-return]

    def events(self, plan: Plan, rid: str, created: int) -> list[tuple[bytes, bool]]:
        return [(plan.data["body"], True)]  # never streamed; here for the Surface protocol

    def error_body(self, status: int, message: str | None = None) -> bytes:
        return error_for_status("openai", status, message)

    def error_event(self, status: int, plan: Plan | None = None, rid: str = "",
                    at: int = 0) -> bytes:
        return error_for_status("openai", status)

    def malformed_event(self) -> bytes:
        return b'{"object": "list", "data": [<html>'

    def bad_utf8_event(self) -> bytes:
        return b'{"object":"list","data":"\xff\xfe"}'

    def giant_body(self, plan: Plan, rid: str, created: int) -> tuple[bytes, bytes]:
        return b'{"object":"list","model":"x","data":[],"filler":"', b'"}'

    def giant_event(self, plan: Plan, rid: str, created: int) -> tuple[bytes, bytes]:
        return self.giant_body(plan, rid, created)
