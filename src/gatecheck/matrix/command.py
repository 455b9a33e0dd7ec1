"""`gatecheck matrix`: probe every provider model of the named targets, keep it, render it.

The run is a visible list of steps: select targets (none named: the offline demo) -> start
embedded ones -> probe each model plainly and streamed -> store the run in the SQLite
history -> render matrix.html / matrix.md / matrix.json from the history -> exit status.
Providers being down is the matrix's news, not an error: exit 0 unless ``--fail-under``
says otherwise (exit 1); harness failures exit 1, bad input 2.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatecheck._exceptions import HarnessError, UsageError

if TYPE_CHECKING:
    from gatecheck._exchange import Auth
    from gatecheck._timing import Surface
    from gatecheck.matrix.history import MatrixRow
    from gatecheck.targets import TargetConfig

HELP = "probe provider models through targets and keep an availability history"

# The demo's mock answers with a fixed greeting, as report 004's providers did.
DEMO_PROMPT = ('Reply with one short friendly greeting. '
               '[[mock text="Hello from the gatecheck mock!"]]')


def configure(parser: argparse.ArgumentParser) -> None:
    from gatecheck.targets._options import add_target_options

    add_target_options(parser.add_argument)
    parser.epilog = ("With no --target and no $GATECHECK_TARGET: the offline demo, report "
                     "004's providers served by the mock behind the embedded reference proxy "
                     "(no network, no keys). Exit 0 when the matrix was produced, even with "
                     "providers down; 1 under --fail-under or on a harness error; 2 on bad "
                     "input.")
    parser.add_argument("--db", default=str(Path("reports") / "history.sqlite"), metavar="FILE",
                        help="the SQLite history (default: reports/history.sqlite)")
    parser.add_argument("--out", default=str(Path("reports") / "matrix"), metavar="DIR",
                        help="where matrix.html, matrix.md and matrix.json go "
                             "(default: reports/matrix)")
    parser.add_argument("--fail-under", type=str, default=None, metavar="PCT",
                        help="exit 1 when fewer than PCT %% of the models are available now")
    parser.add_argument("--label", default=None, metavar="TEXT",
                        help="a label stored with the run (e.g. nightly)")


def _percent(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.rstrip("%"))
    except ValueError:
        raise UsageError(f"--fail-under {value!r}: expected a percentage from 0 to 100") from None
    if not 0.0 <= number <= 100.0:
        raise UsageError(f"--fail-under {value!r}: expected a percentage from 0 to 100")
    return number


def _auth(target: TargetConfig, surface: Surface, environ: dict[str, str]) -> Auth:
    """The target's credential, placed as ``surface`` prefers (openai's when unclaimed)."""
    from gatecheck._exchange import Auth

    claimed = surface if target.has_surface(surface) else next(iter(target.surfaces))
    scheme = target.surfaces[claimed].preferred_auth
    secret = target.secret(environ)
    if scheme == "none" or not secret:
        return Auth()
    return Auth(scheme=scheme, secret=secret, header=target.auth.header, env=target.auth.env)


def _plans(args: argparse.Namespace, stack: Any) -> list[tuple[str, str, Auth, tuple[Any, ...]]]:
    """(target, root URL, auth, entries) for each target there is something to probe on."""
    from gatecheck.runner._state import start_embedded_targets
    from gatecheck.targets import base_url_env, load_targets
    from gatecheck.targets._options import parse_base_urls, resolve_target_names

    names = resolve_target_names(args.gatecheck_target, os.environ)
    registry = load_targets(args.gatecheck_targets_file)
    registry = registry.with_base_urls(parse_base_urls(args.gatecheck_base_url))
    targets = registry.select(names)
    plans, skipped = [], []
    for target in targets:
        if not target.matrix:
            skipped.append(f"target {target.name!r} lists no provider models ([[target.matrix]])")
        elif target.missing_secret is not None:
            skipped.append(f"set ${target.missing_secret} to probe target {target.name!r}")
    for why in skipped:
        print(f"gatecheck: matrix: skipped: {why}")
    todo = [t for t in targets if t.matrix and t.missing_secret is None]
    env = {**os.environ, **start_embedded_targets(todo, stack)}
    for target in todo:
        if target.needs_start:
            target = target.with_base_url(env[base_url_env(target.name)])
        # One client per surface the entries use: each surface has its own auth placement.
        for surface in dict.fromkeys(entry.surface for entry in target.matrix):
            entries = tuple(e for e in target.matrix if e.surface == surface)
            plans.append((target.name, target.root_url, _auth(target, surface, env), entries))
    if not plans:
        raise HarnessError("nothing to probe: " + "; ".join(skipped))
    return plans


def run(args: argparse.Namespace) -> int:
    from contextlib import ExitStack

    from gatecheck._client import GatewayClient
    from gatecheck.matrix.history import History
    from gatecheck.matrix.probe import ProbeResult, ProbeSettings, probe_models

    fail_under = _percent(args.fail_under)
    history = History(args.db)
    history.schema_version  # noqa: B018 - opens (and migrates) the file before any probe
    demo = not args.gatecheck_target and not os.environ.get("GATECHECK_TARGET", "").strip()
    results: list[ProbeResult] = []
    with ExitStack() as stack:
        if demo:
            from gatecheck.matrix.demo import DEMO_TARGET, start_demo

            print("gatecheck: matrix: no --target: the offline demo (report 004's providers, "
                  "mock-backed, behind the embedded reference proxy)")
            started = stack.enter_context(start_demo())
            plans = [(DEMO_TARGET, started.root_url, started.auth, started.entries)]
            settings = ProbeSettings(prompt=DEMO_PROMPT)
        else:
            plans = _plans(args, stack)
            settings = ProbeSettings()
        for name, root_url, auth, entries in plans:
            with GatewayClient(root_url, auth, timeouts=settings.timeouts,
                               max_response_bytes=settings.max_response_bytes) as client:
                results += probe_models(client, name, entries, settings)
    run_id = history.record(results, label=args.label or ("demo" if demo else None))
    rows = history.matrix(list(dict.fromkeys(name for name, *_ in plans)))
    written = write_outputs(Path(args.out), rows, history)
    _print(rows, written, history.path, run_id)
    if fail_under is not None:
        up = sum(1 for r in rows if r.status == "up")
        now = 100.0 * up / len(rows) if rows else 0.0
        if now < fail_under:
            print(f"gatecheck: matrix: {now:.1f}% available now, under --fail-under "
                  f"{fail_under:g}%")
            return 1
    return 0


def write_outputs(out: Path, rows: list[MatrixRow], history: Any) -> Path:
    """matrix.html, matrix.md and matrix.json in ``out`` (every byte through the redactor)."""
    import orjson

    from gatecheck.matrix.page import render_matrix_html, render_matrix_md

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


def _print(rows: list[MatrixRow], page: Path, db: Path, run_id: int) -> None:
    from gatecheck.matrix.page import summary_line

    width = max((len(r.model) for r in rows), default=10)
    for r in rows:
        latency = f"{r.latency_ms:.0f} ms" if r.latency_ms is not None else "-"
        print(f"  {r.status:<8} {r.provider:<12} {r.model:<{width}} {latency:>9}  "
              f"last 7: {r.last7!s:<12} {r.problem}")
    print(f"gatecheck: matrix: {summary_line(rows)}")
    print(f"gatecheck: matrix: {page} (history {db}, run {run_id})")
