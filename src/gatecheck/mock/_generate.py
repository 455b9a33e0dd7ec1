"""Deterministic replies: text from a seeded word list, tool calls from the tool's schema."""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from gatecheck.mock._directives import Directive
from gatecheck.mock._tokenizer import count_tokens, pieces

__all__ = ["Reply", "ToolCall", "answer", "generate", "seed_of", "tool_call"]

# Pure word characters, so each word is exactly one mock token.
_WORDS = """
    the of and to in is that for it as with was on be by this are from at or an have not
    they which one you were all we when there can more if out so said what up its about
    into than them only other new some time could these two may then first any like now
    over such our most even made after also did many before must through back where much
    gateway stream token model route cache latency packet header signal vector request
""".split()  # noqa: SIM905 -- five readable lines, not 85 list items

Finish = Literal["stop", "length", "stop_sequence", "tool"]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One forced tool call; ``fragments`` concatenate to ``arguments``."""

    id: str
    name: str
    arguments: str  # compact JSON object text
    input: dict[str, Any]
    fragments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reply:
    """What the mock answers: text pieces (one per content event) or one tool call."""

    text: str
    pieces: tuple[str, ...]
    output_tokens: int
    finish: Finish
    stop_sequence: str | None
    tool: ToolCall | None = None
    thinking: str = ""  # reasoning text before the answer (thinking=N)
    thinking_pieces: tuple[str, ...] = ()
    thinking_tokens: int = 0  # included in output_tokens

    def after_thinking(self, thought: Reply) -> Reply:
        """This reply preceded by ``thought`` (a generated text reply) as its reasoning."""
        return dataclasses.replace(
            self,
            thinking=thought.text,
            thinking_pieces=thought.pieces,
            thinking_tokens=thought.output_tokens,
            output_tokens=self.output_tokens + thought.output_tokens,
            finish="length" if thought.finish == "length" else self.finish,
        )


def seed_of(conversation: str) -> int:
    """A stable 64-bit seed from the conversation text (not from the model or surface)."""
    return int.from_bytes(hashlib.blake2b(conversation.encode(), digest_size=8).digest(), "big")


def _words(seed: int, tokens: int) -> str:
    # One SHAKE-256 byte per token picks the word: a C-speed stream, no Random object.
    picks = hashlib.shake_256(seed.to_bytes(8, "big")).digest(tokens)
    size = len(_WORDS)
    # Every eighth token is punctuation, so replies exercise both token kinds.
    return "".join(
        [
            ("." if i % 16 == 15 else ",") if i % 8 == 7 else (" " if i else "") + _WORDS[b % size]
            for i, b in enumerate(picks)
        ]
    )


def generate(
    seed: int, *, tokens: int, text: str | None, max_tokens: int | None, stops: Sequence[str]
) -> Reply:
    """The text reply, cut by ``max_tokens`` and then by the earliest stop sequence."""
    full = pieces(text if text is not None else _words(seed, tokens))
    kept = full if max_tokens is None else full[:max_tokens]
    finish: Finish = "length" if len(kept) < len(full) else "stop"
    out = "".join(kept)
    hit: str | None = None
    cut = len(out)
    for stop in stops:
        at = out.find(stop) if stop else -1
        if 0 <= at < cut:
            cut, hit = at, stop
    if hit is not None:
        out = out[:cut]
        kept, size = [], 0
        for piece in full:
            if size + len(piece) >= cut:
                if cut > size:
                    kept.append(piece[: cut - size])
                break
            kept.append(piece)
            size += len(piece)
        finish = "stop_sequence"
    return Reply(out, tuple(kept), count_tokens(out), finish, hit)


def _sample(schema: Any, rng: random.Random, depth: int) -> Any:
    if not isinstance(schema, Mapping):
        return rng.choice(_WORDS)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[rng.randrange(len(enum))]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties")
        if depth > 3 or not isinstance(props, Mapping):
            return {}
        return {str(k): _sample(v, rng, depth + 1) for k, v in props.items()}
    if kind == "array":
        return [] if depth > 3 else [_sample(schema.get("items"), rng, depth + 1)]
    if kind == "integer":
        return rng.randint(1, 100)
    if kind == "number":
        return rng.randint(1, 10000) / 100
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    return rng.choice(_WORDS)


def tool_call(seed: int, call_id: str, name: str, schema: Any, args: str | None) -> Reply:
    """A deterministic call to ``name`` with arguments sampled from ``schema`` (or ``args``)."""
    value = orjson.loads(args) if args is not None else _sample(schema, random.Random(seed), 0)
    if not isinstance(value, dict):
        value = {"value": value}
    arguments = orjson.dumps(value).decode()
    fragments = tuple(pieces(arguments))
    call = ToolCall(call_id, name, arguments, value, fragments)
    tokens = count_tokens(name) + count_tokens(arguments)
    return Reply("", (), tokens, "tool", None, call)


_THINK_SALT = 0x7468696E6B  # "think": the reasoning text differs from the answer's


def answer(
    seed: int,
    behaviour: Directive,
    *,
    max_tokens: int | None,
    stops: Sequence[str],
    tool: tuple[str, str, Any] | None,
) -> Reply:
    """The whole reply: optional reasoning (``thinking=N``), then a tool call or text.

    Reasoning counts toward ``max_tokens`` first, as both APIs count it; the text gets the
    rest. ``tool`` is (call id, name, parameter schema) when a call is forced.
    """
    thought = None
    limit = max_tokens
    if behaviour.thinking:
        thought = generate(
            seed ^ _THINK_SALT, tokens=behaviour.thinking, text=None, max_tokens=limit, stops=()
        )
        if limit is not None:
            limit = max(0, limit - thought.output_tokens)
    if tool is not None:
        reply = tool_call(seed, *tool, behaviour.args)
    else:
        reply = generate(
            seed, tokens=behaviour.tokens or 0, text=behaviour.text, max_tokens=limit, stops=stops
        )
    return reply if thought is None else reply.after_thinking(thought)
