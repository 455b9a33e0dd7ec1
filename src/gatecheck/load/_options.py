"""gatecheck's own Locust options (declared once) and the checks on durations and rates.

Every option is a ``--gatecheck-*`` Locust argument, so it works the same with
``gatecheck load``, with ``locust -f locustfiles/stream.py`` and in the Locust web UI (which
shows and edits them); a master passes them on to its workers. This module imports neither
Locust nor gevent: ``gatecheck load --help`` and the parsers here stay cheap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from gatecheck import Surface, UsageError, Wire

__all__ = ["ARGS", "WIRES", "LoadSettings", "add_locust_arguments", "calibration_options",
           "feature_of", "parse_duration", "parse_processes", "parse_rate", "plan_stages",
           "surface_of"]

Overload = Literal["queue", "drop"]
ArrivalKind = Literal["constant", "poisson"]

MAX_RATE = 100_000.0
# The wires a load run can drive: POST /v1/chat/completions, /v1/messages, /v1/responses and
# /v1/embeddings (embeddings are never streamed: the chat and rate-chat users only).
WIRES: tuple[Wire, ...] = ("openai", "anthropic", "responses", "embeddings")

# (flag, type, default, choices, help); types are the ones Locust's web UI can edit.
ARGS: tuple[tuple[str, type, Any, tuple[str, ...] | None, str], ...] = (
    ("--gatecheck-surface", str, "openai", WIRES,
     "wire to load: chat completions, messages, the Responses API, or embeddings (non-stream)"),
    ("--gatecheck-model", str, "mock-chat", None, "model (or alias) to request"),
    ("--gatecheck-prompt", str, "Write a short story about a lighthouse.", None,
     "the user message"),
    ("--gatecheck-directive", str, "", None,
     "mock directive appended to the prompt, e.g. 'ttft=200 itl=20 tokens=50'"),
    ("--gatecheck-max-tokens", int, 256, None, "max_tokens of each request"),
    ("--gatecheck-auth", str, "none", ("none", "bearer", "x-api-key", "header"),
     "where the API key goes"),
    ("--gatecheck-auth-env", str, "", None,
     "NAME of the environment variable holding the API key (never the key itself)"),
    ("--gatecheck-auth-header", str, "", None, "header name for --gatecheck-auth header"),
    ("--gatecheck-timeout", float, 120.0, None, "seconds one request may take in all"),
    ("--gatecheck-rate", float, 10.0, None, "rate scenario: arrivals per second (all workers)"),
    ("--gatecheck-arrival", str, "constant", ("constant", "poisson"),
     "rate scenario: arrival process"),
    ("--gatecheck-seed", int, 0, None, "rate scenario: seed of the Poisson arrivals"),
    ("--gatecheck-overload", str, "queue", ("queue", "drop"),
     "rate scenario: when no user is free, send late (queue) or skip (drop)"),
    ("--gatecheck-max-lag-ms", float, 1000.0, None,
     "rate scenario, overload drop: skip arrivals later than this"),
    ("--gatecheck-steps", int, 5, None,
     "ramp scenario: number of equal user steps (or of reported windows with shape ramp)"),
    ("--gatecheck-shape", str, "step", ("step", "ramp"),
     "ramp scenario: user steps, or a straight line from 1 to -u users"),
    ("--gatecheck-warmup", float, 0.0, None,
     "seconds from the start left out of summary.json (samples.jsonl keeps every request)"),
    ("--gatecheck-out", str, "", None,
     "directory for samples.jsonl and summary.json (master / single process; empty: none)"),
    ("--gatecheck-label", str, "", None, "run label copied into summary.json (e.g. target)"),
)


def add_locust_arguments(add: Callable[..., Any]) -> None:
    """Declare every option on Locust's parser (``parser.add_argument``)."""
    for flag, kind, default, choices, help_text in ARGS:
        extra: dict[str, Any] = {"choices": list(choices)} if choices else {}
        add(flag, type=kind, default=default, help=help_text, include_in_web_ui=True, **extra)


@dataclass(frozen=True, slots=True)
class LoadSettings:
    """The validated options of one run, as the users read them."""

    surface: Wire = "openai"
    model: str = "mock-chat"
    prompt: str = "Write a short story about a lighthouse."
    directive: str = ""
    max_tokens: int = 256
    auth: str = "none"
    auth_env: str = ""
    auth_header: str = ""
    timeout: float = 120.0
    rate: float = 10.0
    arrival: ArrivalKind = "constant"
    seed: int = 0
    overload: Overload = "queue"
    max_lag_ms: float = 1000.0
    steps: int = 5
    shape: str = "step"
    warmup: float = 0.0
    out: str = ""
    label: str = ""

    @classmethod
    def from_options(cls, options: Any) -> LoadSettings:
        """From Locust's parsed options (attributes ``gatecheck_*``); bad values: UsageError."""
        values = {f[2:].removeprefix("gatecheck-").replace("-", "_"):
                  getattr(options, f[2:].replace("-", "_"), d) for f, _, d, _, _ in ARGS}
        settings = cls(**values)
        settings.check()
        return settings

    @property
    def full_prompt(self) -> str:
        return f"{self.prompt} [[mock {self.directive}]]" if self.directive else self.prompt

    def check(self) -> None:
        if self.surface not in WIRES:
            raise UsageError(f"surface {self.surface!r}: expected {', '.join(WIRES)}")
        parse_rate(str(self.rate))
        if self.max_tokens < 1:
            raise UsageError(f"max tokens {self.max_tokens}: expected at least 1")
        if not self.timeout > 0:
            raise UsageError(f"timeout {self.timeout}: expected a positive number of seconds")
        if not 0 <= self.warmup < 7 * 86400:
            raise UsageError(f"warmup {self.warmup}: expected 0 or more seconds")
        if self.shape not in ("step", "ramp"):
            raise UsageError(f"shape {self.shape!r}: expected step or ramp")
        if self.steps < 1:
            raise UsageError(f"steps {self.steps}: expected at least 1")
        if self.arrival not in ("constant", "poisson"):
            raise UsageError(f"arrival {self.arrival!r}: expected constant or poisson")
        if self.overload not in ("queue", "drop"):
            raise UsageError(f"overload {self.overload!r}: expected queue or drop")
        if self.auth not in ("none", "bearer", "x-api-key", "header"):
            raise UsageError(f"auth {self.auth!r}: expected none, bearer, x-api-key or header")
        if self.auth != "none" and not self.auth_env:
            raise UsageError(f"auth {self.auth}: name the env var holding the key "
                             "(--gatecheck-auth-env)")


_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s?)?")


def parse_duration(text: str) -> float:
    """Seconds from '90', '90s', '2m', '1h30m', '1m30s' (Locust's -t forms); else UsageError."""
    raw = text.strip().lower()
    match = _DURATION.fullmatch(raw)
    if not raw or match is None or not any(match.groups()):
        raise UsageError(f"duration {text!r}: expected e.g. 30s, 2m or 1h30m")
    hours, minutes, seconds = match.groups()
    total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)
    if not total > 0 or total > 7 * 86400:
        raise UsageError(f"duration {text!r}: expected more than 0 s and at most 7 days")
    return total


def parse_rate(text: str) -> float:
    """A positive finite rate (per second) up to MAX_RATE; else UsageError."""
    try:
        rate = float(text)
    except ValueError:
        raise UsageError(f"rate {text!r}: expected a number per second, e.g. 20") from None
    if not math.isfinite(rate) or not 0 < rate <= MAX_RATE:
        raise UsageError(f"rate {text!r}: expected more than 0 and at most {MAX_RATE:g} per s")
    return rate


def parse_processes(value: str | None) -> int | None:
    """--processes: None (one process), -1 (one per core) or 1..256 workers."""
    if value is None:
        return None
    if value.strip() == "-1" or (value.strip().isdigit() and 1 <= int(value) <= 256):
        return int(value)
    raise UsageError(f"--processes {value!r}: expected a number from 1 to 256, or -1")


def locust_duration(seconds: float) -> str:
    """A duration Locust's -t accepts (whole seconds, at least 1)."""
    return f"{max(1, math.ceil(seconds))}s"


def plan_stages(users: int, duration_s: float, steps: int) -> list[dict[str, Any]]:
    """``steps`` stages of equal length; stage k runs ceil(users * (k + 1) / steps) users."""
    steps = max(1, min(steps, users))
    length = duration_s / steps
    return [
        {"stage": k, "users": math.ceil(users * (k + 1) / steps),
         "start_s": round(k * length, 3), "end_s": round((k + 1) * length, 3)}
        for k in range(steps)
    ]


def calibration_options(surface: Wire, *, tokens: int, warmup_s: float) -> dict[str, str]:
    """The Locust options of a ``gatecheck calibrate`` run on ``surface`` against the mock.

    The stream scenario, model ``mock-chat``, room for the whole reply (Responses needs
    ``max_output_tokens`` >= 16 as OpenAI does; 256 covers both). The true values are the
    same on every streamed wire: the mock sends one content event per token (a text delta,
    a ``content_block_delta``, a ``response.output_text.delta``), the first after ttft.
    """
    if surface == "embeddings":
        raise UsageError("embeddings are not streamed: calibrate the openai, anthropic or "
                         "responses surface")
    return {"model": "mock-chat", "max-tokens": str(max(256, tokens)), "label": "calibrate",
            "warmup": f"{warmup_s:g}", "surface": surface}


def surface_of(wire: Wire) -> Surface:
    """The front-door family (a target's surface) a wire is served on: Responses and
    embeddings are OpenAI endpoints, so their auth, base URL and models are the OpenAI ones."""
    return "anthropic" if wire == "anthropic" else "openai"


def feature_of(wire: Wire) -> str | None:
    """The target feature a load run on ``wire`` needs claimed (None: the surface is enough)."""
    return wire if wire in ("responses", "embeddings") else None
