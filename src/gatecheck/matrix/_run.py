"""One matrix run: which targets to probe and how, the probes, and the files it writes.

``gatecheck matrix`` is a thin caller: ``plan_probes`` selects the targets (starting the
embedded ones), ``run_probes`` probes each model plainly and streamed, ``History.record``
keeps the run, ``write_outputs`` renders matrix.html / matrix.md / matrix.json.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from gatecheck import Auth, GatewayClient, HarnessError, Surface
from gatecheck.embedded import start_targets
from gatecheck.matrix.history import History, MatrixRow
from gatecheck.matrix.page import render_matrix_html, render_matrix_md
from gatecheck.matrix.probe import ProbeResult, ProbeSettings, probe_models
from gatecheck.options import base_url_env, parse_base_urls, resolve_target_names
from gatecheck.targets import MatrixModelConfig, TargetConfig, load_targets

__all__ = ["ProbePlan", "plan_probes", "run_probes", "write_outputs"]


@dataclass(frozen=True, slots=True)
class ProbePlan:
    """The models of one target on one surface, and how to reach them."""

    target: str
    root_url: str
    auth: Auth
    entries: tuple[MatrixModelConfig, ...]
    headers: Mapping[str, str] = field(default_factory=dict)  # the target's, for the surface


def _auth(target: TargetConfig, surface: Surface, environ: Mapping[str, str]) -> Auth:
    """The target's credential, placed as ``surface`` prefers (openai's when unclaimed)."""
    claimed = surface if target.has_surface(surface) else next(iter(target.surfaces))
    scheme = target.surfaces[claimed].preferred_auth
    secret = target.secret(environ, surface=claimed)
    if scheme == "none" or not secret:
        return Auth()
    return Auth(scheme=scheme, secret=secret, header=target.auth.header,
                env=target.secret_env(claimed))


def plan_probes(
    names: Sequence[str] | None, targets_file: str | None, base_urls: Sequence[str] | None,
    stack: ExitStack, *, say: Any = print,
) -> list[ProbePlan]:
    """A plan per target and surface with models to probe (embedded targets started)."""
    registry = load_targets(targets_file).with_base_urls(parse_base_urls(base_urls))
    targets = registry.select(resolve_target_names(names, os.environ))
    skipped = []
    for target in targets:
        if not target.matrix:
            skipped.append(f"target {target.name!r} lists no provider models ([[target.matrix]])")
        elif target.missing_secret is not None:
            skipped.append(f"set ${target.missing_secret} to probe target {target.name!r}")
    for why in skipped:
        say(f"gatecheck: matrix: skipped: {why}")
    todo = [t for t in targets if t.matrix and t.missing_secret is None]
    env = {**os.environ, **start_targets(todo, stack)}
    plans = []
    for target in todo:
        if target.needs_start:
            target = target.with_base_url(env[base_url_env(target.name)])
        # One client per surface the entries use: each surface has its own auth placement.
        for surface in dict.fromkeys(entry.surface for entry in target.matrix):
            entries = tuple(e for e in target.matrix if e.surface == surface)
            plans.append(ProbePlan(target.name, target.root_url, _auth(target, surface, env),
                                   entries, target.extra_headers(surface, env)))
    if not plans:
        raise HarnessError("nothing to probe: " + "; ".join(skipped))
    return plans


def run_probes(plans: Sequence[ProbePlan], settings: ProbeSettings) -> list[ProbeResult]:
    """Probe every planned model (bounded by ``settings``' timeouts and size cap)."""
    results: list[ProbeResult] = []
    for plan in plans:
        with GatewayClient(plan.root_url, plan.auth, timeouts=settings.timeouts,
                           max_response_bytes=settings.max_response_bytes,
                           headers=plan.headers) as client:
            results += probe_models(client, plan.target, plan.entries, settings)
    return results


def write_outputs(out: Path, rows: list[MatrixRow], history: History) -> Path:
    """matrix.html, matrix.md and matrix.json in ``out`` (every byte through the redactor)."""
    generated = max((r.trend[-1][0] for r in rows if r.trend), default="never")
    redact = history.redactor.text
    out.mkdir(parents=True, exist_ok=True)
    (out / "matrix.html").write_text(redact(render_matrix_html(rows, generated_at=generated)),
                                     encoding="utf-8")
    (out / "matrix.md").write_text(redact(render_matrix_md(rows, generated_at=generated)),
                                   encoding="utf-8")
    data = {"schema": "gatecheck.matrix/1", "generated_at": generated,
            "rows": [_row_dict(r) for r in rows]}
    (out / "matrix.json").write_text(
        redact(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()) + "\n", encoding="utf-8")
    return out / "matrix.html"


def _row_dict(row: MatrixRow) -> dict[str, Any]:
    return {"target": row.target, "provider": row.provider, "model": row.model,
            "surface": row.surface, "status": row.status, "latency_ms": row.latency_ms,
            "ttft_ms": row.ttft_ms, "sample": row.sample, "problem": row.problem,
            "last7": {"up": row.last7.up, "probed": row.last7.probed},
            "last30": {"up": row.last30.up, "probed": row.last30.probed},
            "trend": [{"started_at": when, "status": status} for when, status in row.trend],
            "probes": [{"mode": p.mode, "error_class": p.error_class,
                        "http_status": p.http_status, "latency_ms": p.latency_ms,
                        "ttft_ms": p.ttft_ms, "detail": p.detail} for p in row.probes]}
