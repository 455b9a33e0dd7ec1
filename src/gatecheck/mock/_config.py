"""MockConfig: the mock's global settings (command-line flags), the lowest precedence."""

from __future__ import annotations

from dataclasses import dataclass, field

from gatecheck.mock._directives import CHAOS_FAULTS, Directive

__all__ = ["MockConfig"]


@dataclass(frozen=True, slots=True)
class MockConfig:
    """Global behaviour; a model preset or a ``[[mock ...]]`` directive overrides each field.

    ``faults`` are applied with probability ``fault_rate`` per request (1.0 when unset);
    with several faults, one is chosen at random. The random stream is seeded by ``seed``,
    so a run with the same arrival order faults the same requests.
    """

    ttft_ms: float = 0.0
    itl_ms: float = 0.0
    tokens: int = 16
    jitter_ms: float = 0.0
    seed: int = 0
    faults: tuple[Directive, ...] = ()
    fault_rate: float | None = None
    accept_any_model: bool = False
    list_all_models: bool = False  # GET /v1/models lists the fault presets too
    api_keys: frozenset[str] = field(default_factory=frozenset)
    log_size: int = 1000
    timing_size: int = 100_000  # rows of GET /_mock/timings (marked load-run requests)
    max_hold_s: float = 120.0  # upper bound for hang / silence / stalls
    max_request_bytes: int = 32 << 20  # larger bodies get a 413

    def __post_init__(self) -> None:
        for name in ("ttft_ms", "itl_ms", "jitter_ms", "max_hold_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.tokens < 0:
            raise ValueError("tokens must be >= 0")
        for name in ("log_size", "timing_size", "max_request_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.fault_rate is not None and not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        if any(f.fault is None for f in self.faults):
            raise ValueError("every entry of faults needs a fault name")

    @property
    def base(self) -> Directive:
        """The flags as a directive, to merge presets and directives over."""
        return Directive(
            ttft=self.ttft_ms, itl=self.itl_ms, jitter=self.jitter_ms, tokens=self.tokens
        )

    @property
    def effective_fault_rate(self) -> float:
        """Per-request fault probability: ``fault_rate``, else 1.0 with faults, else 0."""
        if self.fault_rate is not None:
            return self.fault_rate
        return 1.0 if self.faults else 0.0

    @property
    def fault_pool(self) -> tuple[Directive, ...]:
        """The faults to draw from; the chaos mix when only a rate was given."""
        return self.faults or CHAOS_FAULTS
