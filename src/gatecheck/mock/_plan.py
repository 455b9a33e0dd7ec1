"""A Plan: everything the mock decided about one request body, cached by those bytes.

Building a plan parses and validates the body, finds the directive, merges it over the
model preset and the flags, and generates the reply. Nothing in it depends on time or on a
random draw, so identical bodies share one plan; ids, timestamps and chaos draws are made
per request by the app.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from gatecheck.mock._config import MockConfig
from gatecheck.mock._directives import PRESETS, Directive, DirectiveError, Latency, find_directive
from gatecheck.mock._generate import Reply

__all__ = [
    "Invalid",
    "Plan",
    "PlanCache",
    "Surface",
    "cache_counts",
    "resolve",
    "text_of",
]

PROMPT_EXCERPT = 500  # characters of the last user message kept for the log
MODEL_CREATED = 1_700_000_000  # 2023-11-14T22:13:20Z, a fixed "created" for every mock model


class Invalid(Exception):
    """A request the real API would reject: status, message and (OpenAI) the param."""

    def __init__(
        self, status: int, message: str, param: str | None = None, code: str | None = None
    ):
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code


class Surface(Protocol):
    """What the app needs from a wire format (OpenAI or Anthropic)."""

    name: str

    def plan(self, raw: bytes, config: MockConfig) -> Plan: ...
    def new_id(self) -> str: ...
    def body(self, plan: Plan, rid: str, created: int) -> bytes: ...
    def events(self, plan: Plan, rid: str, created: int) -> list[tuple[bytes, bool]]: ...
    def error_body(self, status: int, message: str | None = None) -> bytes: ...
    def error_event(self, status: int, plan: Plan | None = None, rid: str = "",
                    at: int = 0) -> bytes: ...
    def malformed_event(self) -> bytes: ...
    def bad_utf8_event(self) -> bytes: ...
    def giant_body(self, plan: Plan, rid: str, created: int) -> tuple[bytes, bytes]: ...
    def giant_event(self, plan: Plan, rid: str, created: int) -> tuple[bytes, bytes]: ...


@dataclass(slots=True)
class Plan:
    """The outcome of one request body; ``status != 200`` means ``body`` is an error."""

    surface: str
    status: int = 200
    error: bytes = b""
    model: str | None = None
    stream: bool = False
    directive: Directive | None = None
    behaviour: Directive = field(default_factory=Directive)
    latency: Latency = field(default_factory=Latency)
    input_tokens: int = 0
    reply: Reply | None = None
    seed: int = 0
    chaos: bool = False
    prompt: str = ""  # an excerpt of the last user message, for the log
    cache_control: int = 0  # blocks marked cache_control (Anthropic), for the log
    cache_read: int = 0  # prompt tokens reported as cache reads (cache_read=N)
    cache_write: int = 0  # prompt tokens reported as cache writes (cache_write=N)
    images: tuple[dict[str, str], ...] = ()  # image parts received (mock._evidence)
    thinking: tuple[str, ...] = ()  # digests of the thinking blocks sent (mock._evidence)
    data: dict[str, Any] = field(default_factory=dict)  # the surface's precomputed parts

    @property
    def output_tokens(self) -> int:
        return self.reply.output_tokens if self.reply is not None else 0


def resolve(
    config: MockConfig, model: str, last_user_text: str
) -> tuple[Directive | None, Directive, Latency, bool]:
    """(directive, merged behaviour, latency, chaos) for a request; raises Invalid."""
    behaviour = _preset_over_flags(config, model)
    if behaviour is None:
        raise Invalid(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            "model",
            "model_not_found",
        )
    try:
        directive = find_directive(last_user_text)
    except DirectiveError as exc:
        raise Invalid(400, str(exc), "messages") from None
    if directive is None:
        return None, behaviour, _latency_of(behaviour), model == "mock-chaos"
    behaviour = directive.over(behaviour)
    return directive, behaviour, _latency_of(behaviour), model == "mock-chaos"


@functools.lru_cache(maxsize=256)
def _preset_over_flags(config: MockConfig, model: str) -> Directive | None:
    """The model preset over the flags; None for an unknown model (unless any is accepted)."""
    preset = PRESETS.get(model)
    if preset is None and not config.accept_any_model:
        return None
    return (preset or Directive()).over(config.base)


@functools.lru_cache(maxsize=256)
def _latency_of(behaviour: Directive) -> Latency:
    return Latency(
        ttft_ms=behaviour.ttft or 0.0,
        itl_ms=behaviour.itl or 0.0,
        jitter_ms=behaviour.jitter or 0.0,
        stall_after=behaviour.stall_after,
        stall_ms=behaviour.stall_ms or 0.0,
    )


class PlanCache:
    """Plans by request body bytes, cleared wholesale when full (cheap, and the working set
    of a load run is a handful of bodies). Bounded by entries and by approximate bytes: a
    streamed plan keeps every frame, so long replies weigh more."""

    def __init__(
        self, build: Callable[[bytes], Plan], size: int = 4096, max_bytes: int = 64 << 20
    ) -> None:
        self._build, self._size, self._max_bytes = build, size, max_bytes
        self._plans: dict[bytes, Plan] = {}
        self._bytes = 0

    def get(self, raw: bytes) -> Plan:
        plan = self._plans.get(raw)
        if plan is None:
            plan = self._build(raw)
            weight = 2 * len(raw) + 256 * (plan.data.get("n_content", 0) + 4)
            if len(self._plans) >= self._size or self._bytes + weight > self._max_bytes:
                self.clear()
            if weight <= self._max_bytes // 16:  # a huge body is not worth keeping
                self._plans[raw] = plan
                self._bytes += weight
        return plan

    def clear(self) -> None:
        self._plans.clear()
        self._bytes = 0


def cache_counts(behaviour: Directive, prompt_tokens: int) -> tuple[int, int]:
    """(read, written) prompt-cache tokens the directive asks for; a 400 when over the prompt.

    The mock keeps no cache: ``cache_read=N`` / ``cache_write=N`` say which part of the
    prompt each surface reports as cached, so the counts are exact and repeatable.
    """
    read, write = behaviour.cache_read or 0, behaviour.cache_write or 0
    if read + write > prompt_tokens:
        raise Invalid(400, f"mock directive: cache_read + cache_write ({read + write}) exceed "
                      f"the prompt's {prompt_tokens} tokens", "messages")
    return read, write


def text_of(content: Any) -> str:
    """The text of a message's content: a string, or its text parts joined by newlines."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            p["text"]
            for p in content
            if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
        )
    return ""
