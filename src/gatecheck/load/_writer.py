"""Writes a finished run: samples.jsonl and summary.json, both through the redactor."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import orjson

from gatecheck import Redactor, default_redactor
from gatecheck.load._calibration import read_floor
from gatecheck.load._options import LoadSettings
from gatecheck.load._samples import SampleBook, write_samples
from gatecheck.load._summary import summarize
from gatecheck.load._truth import GroundTruth

__all__ = ["scenario_of", "write_outputs", "write_run"]


def scenario_of(environment: Any) -> str:
    """chat, stream, ramp, rate or capacity, from the user classes and shape Locust runs."""
    if environment.shape_class is not None:
        return str(getattr(environment.shape_class, "scenario", "ramp"))
    classes = list(environment.user_classes or ())
    if any(getattr(c, "open_loop", False) for c in classes):
        return "rate"
    return "stream" if any(getattr(c, "stream", False) for c in classes) else "chat"


def _redactor(settings: LoadSettings) -> Redactor:
    redactor = default_redactor()
    secret = os.environ.get(settings.auth_env) if settings.auth_env else None
    if secret:
        redactor.add_secret(secret)
    return redactor


def write_run(out: Path, book: SampleBook, environment: Any, settings: LoadSettings, *,
              started: float, truth: GroundTruth | None = None, stopped: str | None = None
              ) -> Path:
    """Describe the Locust run, then write its samples.jsonl and summary.json into ``out``."""
    import locust

    options = environment.parsed_options
    scenario = scenario_of(environment)
    run = {
        "scenario": scenario, "label": settings.label or None,
        "host": environment.host or "", "surface": settings.surface,
        "model": settings.model, "directive": settings.directive or None,
        "max_tokens": settings.max_tokens,
        "users": getattr(options, "num_users", None),
        "spawn_rate": getattr(options, "spawn_rate", None),
        "run_time_s": getattr(options, "run_time", None),
        "warmup_s": settings.warmup,
        "load_processes": len(book.health) or 1,
        "workload": "open" if scenario == "rate" else "closed",
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)) if started else None,
        "ended": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "locust_version": locust.__version__,
    }
    open_loop = None
    if scenario == "rate":
        open_loop = {"rate_per_s": settings.rate, "arrival": settings.arrival,
                     "seed": settings.seed, "overload": settings.overload,
                     "max_lag_ms": settings.max_lag_ms if settings.overload == "drop" else None,
                     "dropped": sum(book.dropped.values())}
    stages = environment.shape_class.stages() if scenario == "ramp" else ()
    if scenario == "ramp":
        run.update({"shape": settings.shape, "steps": len(stages)})
    if stopped:
        run["stopped"] = stopped
    if truth is not None and settings.mock_url:
        run["mock_timings"] = {"read_to": truth.cursor, "lost": truth.lost,
                               "orphans": truth.orphans, "error": truth.error}
    extra = {}
    if scenario == "capacity":
        extra["capacity"] = environment.shape_class.report()
    return write_outputs(out, book, settings, run=run, open_loop=open_loop, stages=stages,
                         started=started, extra=extra)


def write_outputs(
    out: Path, book: SampleBook, settings: LoadSettings, *, run: dict[str, Any],
    open_loop: dict[str, Any] | None = None, stages: Any = (), started: float | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """samples.jsonl and summary.json, through the redactor (error texts quote keys back)."""
    redactor = _redactor(settings)
    floor = read_floor(Path(settings.calibration)) if settings.calibration else None
    summary = summarize(book.samples, run=run, health=book.health, open_loop=open_loop,
                        stages=stages, started=started,
                        begun=sum(book.started.values()) if book.started else None,
                        warmup_s=settings.warmup, floor=floor, in_flight=book.cut_total())
    summary.update(extra or {})
    out.mkdir(parents=True, exist_ok=True)
    for sample in book.samples:
        if sample.error:
            sample.error = redactor.text(sample.error)
    write_samples(out / "samples.jsonl", book.samples)
    path = out / "summary.json"
    clean = redactor.obj(summary)
    clean["run"]["host"] = redactor.url(str(run.get("host") or ""))
    path.write_bytes(orjson.dumps(clean, option=orjson.OPT_INDENT_2) + b"\n")
    return path
