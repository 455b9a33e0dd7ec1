"""Per-request behaviour: the ``[[mock ...]]`` directive, model presets, flags, and latency.

A directive is written inside the last user message, anywhere in its text::

    [[mock ttft=200 itl=20 tokens=50 jitter=5]]
    [[mock fault=429 retry_after=2]]
    [[mock text="exact reply" stall_after=1 stall_ms=3000]]

Values are bare words, ``"double quoted"`` (JSON string escapes apply) or ``'single quoted'``
(taken literally). Several directives in one message merge left to right. An unknown key or
a bad value is a 400 in the surface's envelope, so a typo never passes silently.

Precedence, field by field: directive > model preset > command-line flags (MockConfig).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, fields
from typing import Any

import orjson

__all__ = [
    "CHAOS_FAULTS",
    "FAULT_NAMES",
    "LISTED",
    "PRESETS",
    "Directive",
    "DirectiveError",
    "Latency",
    "find_directive",
    "parse_fault_spec",
]

# Fault names besides HTTP statuses; documented in the package docstring.
FAULT_NAMES = frozenset(
    {
        "hang",
        "silence",
        "reset",
        "cut",
        "malformed",
        "bad-utf8",
        "error-event",
        "fake-stream",
        "drip",
        "oversize",
        "context-length",
        "drop",
    }
)


class DirectiveError(ValueError):
    """A directive or fault spec that cannot be used; the message says which key and why."""


_MS = {"ttft", "itl", "jitter", "stall_ms", "hold_ms", "drip_ms"}
_INT = {"thinking", "tokens", "stall_after", "after", "drip_bytes", "bytes", "status", "context",
        "cache_read", "cache_write", "redacted"}
_STR = {"text", "tool", "args", "fault"}
_FLOAT = {"retry_after"}
# Upper bounds, so one prompt cannot make the mock build a gigabyte reply.
_MAX_INT = {"thinking": 100_000, "tokens": 100_000, "bytes": 1 << 30, "status": 599,
            "context": 10_000_000, "redacted": 8}


@dataclass(frozen=True, slots=True)
class Directive:
    """Optional behaviour settings; ``None`` means "not set here, fall through"."""

    ttft: float | None = None  # ms before the first content event
    itl: float | None = None  # ms between content events
    jitter: float | None = None  # +/- ms added to each delay (seeded)
    tokens: int | None = None  # natural reply length in tokens
    text: str | None = None  # exact reply text
    stall_after: int | None = None  # index of the content event held back ...
    stall_ms: float | None = None  # ... for this long
    tool: str | None = None  # force a call to this tool ("*" = the first one)
    args: str | None = None  # exact JSON object for the tool call's arguments
    fault: str | None = None  # a status ("429") or a name in FAULT_NAMES
    retry_after: float | None = None  # Retry-After seconds for status faults
    after: int | None = None  # events sent before reset / cut / malformed / ...
    hold_ms: float | None = None  # how long hang / silence hold the connection
    drip_bytes: int | None = None  # drip: bytes per write
    drip_ms: float | None = None  # drip: ms between writes
    bytes: int | None = None  # oversize: body size in bytes
    status: int | None = None  # error-event: which error envelope (default 529/500)
    thinking: int | None = None  # reasoning tokens before the answer
    context: int | None = None  # the model's context window in prompt tokens (None: no limit)
    cache_read: int | None = None  # prompt tokens reported as read from the prompt cache
    cache_write: int | None = None  # prompt tokens reported as written to the prompt cache
    redacted: int | None = None  # redacted_thinking blocks before the answer (Anthropic)

    def over(self, base: Directive) -> Directive:
        """This directive's set fields over ``base``'s."""
        # positional construction: several times faster than dataclasses.replace (hot path)
        return Directive(
            *[
                mine if (mine := getattr(self, name)) is not None else getattr(base, name)
                for name in _NAMES
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }


_NAMES = tuple(f.name for f in fields(Directive))
_KEYS = frozenset(_NAMES)
_DIRECTIVE = re.compile(
    r"""\[\[mock\b((?:\s+[A-Za-z_]+=(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s\]]*))*)\s*\]\]"""
)
_PAIR = re.compile(r"""([A-Za-z_]+)=("(?:[^"\\]|\\.)*"|'[^']*'|[^\s\]]*)""")
_ANY = re.compile(r"\[\[mock\b")


def _value(key: str, raw: str) -> Any:
    if raw.startswith('"'):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise DirectiveError(f"mock directive: bad quoted value for {key!r}") from None
    elif raw.startswith("'"):
        raw = raw[1:-1]
    try:
        if key in _MS or key in _FLOAT:
            number = float(raw)
            if not 0 <= number <= 3_600_000:
                raise ValueError
            return number
        if key in _INT:
            whole = int(raw)
            if not 0 <= whole <= _MAX_INT.get(key, 1 << 31):
                raise ValueError
            return whole
    except ValueError:
        raise DirectiveError(f"mock directive: {key}={raw!r} is not a number in range") from None
    if key == "fault":
        name = raw.replace("_", "-").lower()
        # isascii: str.isdigit() is true for "²", which int() refuses
        if name not in FAULT_NAMES and not (
            name.isascii() and name.isdigit() and 400 <= int(name) <= 599
        ):
            known = ", ".join(sorted(FAULT_NAMES))
            raise DirectiveError(
                f"mock directive: unknown fault {raw!r} (a 4xx/5xx status or {known})"
            )
        return name
    if key == "args":
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, dict):
            raise DirectiveError("mock directive: args must be a JSON object")
    return raw


def _parse_pairs(pairs: list[tuple[str, str]], base: dict[str, Any]) -> dict[str, Any]:
    for key, raw in pairs:
        if key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise DirectiveError(f"mock directive: unknown key {key!r} (known: {known})")
        base[key] = _value(key, raw)
    return base


def find_directive(text: str) -> Directive | None:
    """The merged directives in ``text``; ``None`` when there are none."""
    if "[[mock" not in text:  # the hot path: most prompts have none
        return None
    settings: dict[str, Any] = {}
    found = 0
    for match in _DIRECTIVE.finditer(text):
        found += 1
        _parse_pairs(_PAIR.findall(match.group(1)), settings)
    if found != len(_ANY.findall(text)):
        raise DirectiveError("mock directive: cannot parse a [[mock ...]] block (key=value pairs)")
    return Directive(**settings)


def parse_fault_spec(spec: str) -> Directive:
    """``NAME[,key=value...]`` (e.g. ``429,retry_after=2`` or ``reset,after=3``)."""
    name, _, rest = spec.strip().partition(",")
    pairs = []
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, raw = item.partition("=")
        if not eq:
            raise DirectiveError(f"fault spec {spec!r}: expected key=value, got {item!r}")
        pairs.append((key, raw))
    settings = _parse_pairs([("fault", name), *pairs], {})
    return Directive(**settings)


TINY_CONTEXT = 64  # mock-tiny-context's window: a paragraph of prompt overflows it
_STATUS_PRESETS = (400, 401, 403, 404, 413, 429, 500, 502, 503, 529)
PRESETS: dict[str, Directive] = {
    "mock-chat": Directive(),
    "mock-slow": Directive(ttft=500.0, itl=50.0, tokens=32),
    "mock-long": Directive(tokens=512),
    "mock-tiny-context": Directive(context=TINY_CONTEXT),
    "mock-chaos": Directive(),  # faults chosen per request by CHAOS_RATE, see the app
    **{f"mock-{code}": Directive(fault=str(code)) for code in _STATUS_PRESETS},
    **{f"mock-{name}": Directive(fault=name) for name in sorted(FAULT_NAMES)},
}
# What GET /v1/models lists unless asked for every preset (?all=true, or list_all_models):
# the models that answer normally. A gateway that relays the list would otherwise offer its
# clients mock-429 and mock-hang as models (a real provider lists none of its failures).
LISTED = ("mock-chat", "mock-slow", "mock-long", "mock-tiny-context")
CHAOS_RATE = 0.3
CHAOS_FAULTS = tuple(
    Directive(fault=name, retry_after=1.0 if name == "429" else None)
    for name in ("429", "500", "503", "529", "reset", "cut", "error-event")
)


@dataclass(frozen=True, slots=True)
class Latency:
    """Delays before each content event: ttft, then itl, each +/- seeded jitter."""

    ttft_ms: float = 0.0
    itl_ms: float = 0.0
    jitter_ms: float = 0.0
    stall_after: int | None = None
    stall_ms: float = 0.0

    @property
    def is_zero(self) -> bool:
        return not (self.ttft_ms or self.itl_ms or self.jitter_ms or self.stall_ms)

    def delays(self, events: int, seed: int) -> list[float]:
        """Seconds to wait before content event ``i``, for ``i`` in ``range(events)``."""
        if self.is_zero:
            return [0.0] * events
        rng = random.Random(seed) if self.jitter_ms else None
        out = []
        for i in range(events):
            ms = self.ttft_ms if i == 0 else self.itl_ms
            if rng is not None:
                ms += rng.uniform(-self.jitter_ms, self.jitter_ms)
            if i == self.stall_after:
                ms += self.stall_ms
            out.append(max(ms, 0.0) / 1000.0)
        return out

    def total_s(self, events: int, seed: int) -> float:
        return sum(self.delays(events, seed))
