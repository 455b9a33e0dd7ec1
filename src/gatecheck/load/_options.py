"""The load options, each declared once, and the checks on durations and rates.

One :class:`gatecheck.options.Option` per option feeds both front ends: ``gatecheck load``
(plain ``--rate``) and Locust (``--gatecheck-rate``, so ``locust -f locustfiles/stream.py``
works the same, its web UI shows and edits them, and a master passes them on to its
workers). ``LOAD_OPTIONS`` are on both; ``LOCUST_OPTIONS`` only on Locust (``gatecheck
load`` derives them from the target). Each reads ``GATECHECK_LOAD_<NAME>`` when not given.
This module imports neither Locust nor gevent: ``gatecheck load --help`` stays cheap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from gatecheck import ConfigError, Surface, UsageError, Wire
from gatecheck.options import Option

__all__ = [
    "LOAD_OPTIONS",
    "LOCUST_OPTIONS",
    "WIRES",
    "LoadSettings",
    "add_load_options",
    "add_locust_arguments",
    "calibration_options",
    "feature_of",
    "option_values",
    "parse_duration",
    "parse_processes",
    "parse_rate",
    "parse_warmup",
    "plan_stages",
    "surface_of",
]

Overload = Literal["queue", "drop"]
ArrivalKind = Literal["constant", "poisson"]

MAX_RATE = 100_000.0
# The wires a load run can drive: POST /v1/chat/completions, /v1/messages, /v1/responses and
# /v1/embeddings (embeddings are never streamed: the chat and rate-chat users only). A new
# wire is one more entry here and in the transport's request builders.
WIRES: tuple[Wire, ...] = ("openai", "anthropic", "responses", "embeddings")
DEFAULT_PROMPT = "Write a short story about a lighthouse."


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


_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s?)?")


def parse_warmup(text: str) -> float:
    """A warm-up: 0 (none) or a duration."""
    return 0.0 if text.strip().lower() in ("0", "0s", "") else parse_duration(text)


def parse_rate(text: str) -> float:
    """A positive finite rate (per second) up to MAX_RATE; else UsageError."""
    try:
        rate = float(text)
    except ValueError:
        raise UsageError(f"rate {text!r}: expected a number per second, e.g. 20") from None
    if not math.isfinite(rate) or not 0 < rate <= MAX_RATE:
        raise UsageError(f"rate {text!r}: expected more than 0 and at most {MAX_RATE:g} per s")
    return rate


def _opt(name: str, help_text: str, kind: type = str, default: Any = "", *,
         choices: tuple[str, ...] | None = None, metavar: str | None = None,
         parse: Callable[[str], Any] | None = None) -> Option:
    env = "GATECHECK_LOAD_" + name.upper().replace("-", "_")
    return Option(name=name, env=env, help=help_text, kind=kind, default=default,
                  choices=choices, metavar=metavar, parse=parse)


# On `gatecheck load` and on Locust. Types are the ones Locust's web UI can edit.
SURFACE = _opt("surface", "wire to load: chat completions, messages, the Responses API, or "
               "embeddings (non-stream)", default="openai", choices=WIRES)
MODEL = _opt("model", "model or alias to request (gatecheck load: default the target's)",
             default="mock-chat")
PROMPT = _opt("prompt", "the user message", default=DEFAULT_PROMPT)
DIRECTIVE = _opt("directive", "mock directive appended to the prompt, e.g. 'ttft=200 itl=20 "
                 "tokens=50' (gatecheck load: default that for embedded targets; '' for none)",
                 metavar="TEXT")
MAX_TOKENS = _opt("max-tokens", "max_tokens of each request", int, 256, metavar="N")
TIMEOUT = _opt("timeout", "seconds one request may take in all, stream included", float,
               120.0, metavar="S")
RATE = _opt("rate", "rate scenario: arrivals per second (all workers)", float, 10.0,
            metavar="R", parse=parse_rate)
ARRIVAL = _opt("arrival", "rate scenario: arrival process", default="constant",
               choices=("constant", "poisson"))
SEED = _opt("seed", "rate scenario: seed of the Poisson arrivals", int, 0)
OVERLOAD = _opt("overload", "rate scenario: with no free user, send late and report the lag "
                "(queue) or skip the arrival (drop)", default="queue", choices=("queue", "drop"))
MAX_LAG_MS = _opt("max-lag-ms", "rate scenario, overload drop: skip arrivals later than this",
                  float, 1000.0, metavar="MS")
STEPS = _opt("steps", "ramp scenario: equal user steps (or reported windows with shape ramp)",
             int, 5, metavar="N")
SHAPE = _opt("shape", "ramp scenario: user steps, or a straight line from 1 to the users",
             default="step", choices=("step", "ramp"))
WARMUP = _opt("warmup", "seconds from the start left out of the summary (samples keep every "
              "request), e.g. 5s", float, 0.0, metavar="D", parse=parse_warmup)
MOCK_URL = _opt("mock-url", "root URL of the gatecheck mock behind the target: its own "
                "timings give the gateway's overhead (gatecheck load: set for embedded "
                "targets)", metavar="URL")
CALIBRATION = _opt("calibration", "calibration.json from gatecheck calibrate: the load "
                   "generator's floor, subtracted from the overhead (gatecheck load: default "
                   ".gatecheck/calibration.json when present)", metavar="PATH")
SLO = _opt("slo", "capacity scenario: what each step must meet, comma-separated FIGURE<LIMIT, "
           "e.g. ttft.p99<500ms (default: overhead.ttft.p99<10ms and error_rate under 1 "
           "percent; without a mock, ttft.p99<500ms and the same error rate)", metavar="SLO")
STEP_DURATION = _opt("step-duration", "capacity scenario: seconds each load step runs", float,
                     10.0, metavar="D", parse=parse_duration)
LOAD_OPTIONS: tuple[Option, ...] = (
    SURFACE, MODEL, PROMPT, DIRECTIVE, MAX_TOKENS, TIMEOUT, RATE, ARRIVAL, SEED, OVERLOAD,
    MAX_LAG_MS, STEPS, SHAPE, WARMUP, MOCK_URL, CALIBRATION, SLO, STEP_DURATION)

# On Locust only: `gatecheck load` fills them from the target and the run directory.
LOCUST_OPTIONS: tuple[Option, ...] = (
    _opt("auth", "where the API key goes", default="none",
         choices=("none", "bearer", "x-api-key", "header")),
    _opt("auth-env", "NAME of the environment variable holding the API key (never the key)"),
    _opt("auth-header", "header name for --gatecheck-auth header"),
    _opt("headers", "extra request headers, 'name=value;name=$ENV_VAR' ($: the value is in "
         "that environment variable, never on the command line)"),
    _opt("out", "directory for samples.jsonl and summary.json (master / single process)"),
    _opt("label", "run label copied into summary.json (e.g. the target)"),
)


def add_load_options(add: Callable[..., Any]) -> None:
    """Declare the shared options as plain flags (``gatecheck load``'s argparse)."""
    for option in LOAD_OPTIONS:
        option.add_to(add)


def add_locust_arguments(add: Callable[..., Any]) -> None:
    """Declare every option on Locust's parser (``parser.add_argument``)."""
    for option in (*LOAD_OPTIONS, *LOCUST_OPTIONS):
        option.add_to_locust(add)


def _field(option: Option) -> str:
    return option.name.replace("-", "_")


@dataclass(frozen=True, slots=True)
class LoadSettings:
    """The validated options of one run, as the users read them (defaults: the table's)."""

    surface: Wire = "openai"
    model: str = "mock-chat"
    prompt: str = DEFAULT_PROMPT
    directive: str = ""
    max_tokens: int = 256
    timeout: float = 120.0
    rate: float = 10.0
    arrival: ArrivalKind = "constant"
    seed: int = 0
    overload: Overload = "queue"
    max_lag_ms: float = 1000.0
    steps: int = 5
    shape: str = "step"
    warmup: float = 0.0
    mock_url: str = ""
    calibration: str = ""
    slo: str = ""
    step_duration: float = 10.0
    auth: str = "none"
    auth_env: str = ""
    auth_header: str = ""
    headers: str = ""
    out: str = ""
    label: str = ""

    @classmethod
    def from_options(cls, options: Any) -> LoadSettings:
        """From Locust's parsed options (attributes ``gatecheck_*``); bad values: UsageError."""
        values = {_field(o): getattr(options, o.dest, o.default)
                  for o in (*LOAD_OPTIONS, *LOCUST_OPTIONS)}
        settings = cls(**values)
        settings.check()
        return settings

    def to_locust(self) -> dict[str, str]:
        """Every value as ``--gatecheck-NAME`` arguments (name without the prefix -> text)."""
        out = {}
        for option in (*LOAD_OPTIONS, *LOCUST_OPTIONS):
            value = getattr(self, _field(option))
            out[option.name] = f"{value:g}" if isinstance(value, float) else str(value)
        return out

    @property
    def full_prompt(self) -> str:
        return f"{self.prompt} [[mock {self.directive}]]" if self.directive else self.prompt

    def check(self) -> None:
        if self.surface not in WIRES:
            raise UsageError(f"surface {self.surface!r}: expected {', '.join(WIRES)}")
        parse_rate(str(self.rate))
        if self.max_tokens < 1:
            raise UsageError(f"max tokens {self.max_tokens}: expected at least 1")
        if not (math.isfinite(self.timeout) and 0 < self.timeout <= 3600):
            raise UsageError(f"timeout {self.timeout:g}: expected more than 0 and at most "
                             "3600 s")
        if not 0 <= self.warmup < 7 * 86400:
            raise UsageError(f"warmup {self.warmup}: expected 0 or more seconds")
        if self.steps < 1:
            raise UsageError(f"steps {self.steps}: expected at least 1")
        if not (math.isfinite(self.step_duration) and 1 <= self.step_duration <= 3600):
            raise UsageError(f"step duration {self.step_duration:g}: expected 1 to 3600 s")
        for option in (*LOAD_OPTIONS, *LOCUST_OPTIONS):
            value = getattr(self, _field(option))
            if option.choices and value not in option.choices:
                raise UsageError(f"{option.name} {value!r}: expected one of "
                                 f"{', '.join(option.choices)}")
        if self.auth != "none" and not self.auth_env:
            raise UsageError(f"auth {self.auth}: name the env var holding the key "
                             "(--gatecheck-auth-env)")
        for pair in filter(None, (p.strip() for p in self.headers.split(";"))):
            name, sep, _ = pair.partition("=")
            if not sep or not name.strip():
                raise UsageError(f"headers: {name.strip()!r} needs name=value or name=$ENV_VAR")

    def header_values(self, environ: Mapping[str, str]) -> dict[str, str]:
        """The extra headers, ``$NAME`` values read from ``environ`` (unset: ConfigError)."""
        out = {}
        for pair in filter(None, (p.strip() for p in self.headers.split(";"))):
            name, _, value = (part.strip() for part in pair.partition("="))
            if value.startswith("$"):
                found = environ.get(value[1:])
                if not found:
                    raise ConfigError(f"header {name}: set ${value[1:]}")
                value = found
            out[name.lower()] = value
        return out


assert {f.name for f in fields(LoadSettings)} == {_field(o) for o in (*LOAD_OPTIONS,
                                                                      *LOCUST_OPTIONS)}


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


def option_values(given: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """The shared options' values from a parsed command line (dests), else env, else None.

    None where neither gave one: the plan then applies the target's or the table's default.
    """
    return {_field(o): o.given_or_env(given.get(o.dest), environ) for o in LOAD_OPTIONS}


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
