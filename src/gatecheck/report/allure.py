"""`gatecheck report --allure RUN_DIR`: the Allure HTML report, built by Allure's own CLI.

Every run already carries ``allure-results/`` (allure-pytest, labelled by the plugin: epic =
category, story = check id, parent suite = target, the redacted exchange and curl attached).
This turns them into ``allure-report/index.html`` with the Allure command line fetched from
the npm registry by ``npx`` (cached by npm after the first time), choosing by runtime:

- Java present: Allure 2, ``npx --yes allure-commandline@2 generate --single-file`` (one
  self-contained HTML file that opens from disk and from any static host);
- else Node.js 18+: Allure 3, ``npx --yes allure@3 generate`` (pure Node);
- else a one-line error saying what to install.

We call Allure rather than render its format ourselves: the point of Allure output is that
teams open it in the Allure they know. The results are redacted once more before Allure
reads them; the HTML is built only from them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from gatecheck import HarnessError, UsageError
from gatecheck.artefacts import redact_tree

__all__ = ["ALLURE2", "ALLURE3", "STAMP", "AllureUnavailableError", "allure_command",
           "build_allure", "restore_ids", "stamped"]

ALLURE2 = "allure-commandline@2"
ALLURE3 = "allure@3"
TIMEOUT_S = 600  # the first run downloads Allure (~25 MB for Allure 2)
_PROBE_TIMEOUT_S = 30
STAMP = "gatecheck-allure.json"


class AllureUnavailableError(HarnessError):
    """Neither Java nor Node.js (with npx) is there to run Allure."""


def _works(argv: list[str]) -> str | None:
    """The command's output (stdout + stderr) when it runs and exits 0, else None."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=_PROBE_TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout + done.stderr) if done.returncode == 0 else None


def _node_major(version: str | None) -> int:
    match = re.search(r"v?(\d+)\.", version or "")
    return int(match.group(1)) if match else 0


def allure_command(results: Path, out: Path, *,
                   which: Callable[[str], str | None] = shutil.which,
                   probe: Callable[[list[str]], str | None] = _works) -> list[str]:
    """The command line that builds ``out`` from ``results`` on this machine."""
    npx = which("npx")
    java = which("java")
    if npx and java and probe([java, "-version"]) is not None:
        return [npx, "--yes", ALLURE2, "generate", str(results), "-o", str(out), "--clean",
                "--single-file"]
    node = which("node")
    if npx and node and _node_major(probe([node, "--version"])) >= 18:
        return [npx, "--yes", ALLURE3, "generate", str(results), "--output", str(out)]
    raise AllureUnavailableError(
        "the Allure report needs npx with Java (Allure 2) or Node.js 18+ (Allure 3); found "
        f"npx: {'yes' if npx else 'no'}, java: {'yes' if java else 'no'}, node: "
        f"{'yes' if node else 'no'} (e.g. apt-get install default-jre-headless npm)")


def restore_ids(results: Path) -> int:
    """Give back the ids the redactor masked; returns how many results it repaired.

    allure-pytest's ``historyId`` and ``testCaseId`` are 32-hex MD5 digests, which the
    redactor's token rule masks when it runs over the text (it cannot tell them from a hex
    API key); runs written before the runner learnt to keep them have them masked. Allure
    merges results sharing a ``historyId`` as retries of one test, so such a run would show
    one test case. They are digests of names, never secrets: recompute them from
    ``fullName`` and the parameters, as stable across runs as allure-pytest's own. Intact
    ids are left alone.
    """
    repaired = 0
    for path in sorted(results.glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        name = str(data.get("fullName") or data.get("name") or path.name)
        params = "".join(f"{p.get('name')}={p.get('value')};" for p in
                         data.get("parameters") or () if isinstance(p, dict))
        ids = {"testCaseId": name, "historyId": name + "|" + params}
        changed = False
        for key, seed in ids.items():
            if not re.fullmatch(r"[0-9a-f]{32}", str(data.get(key, ""))):
                data[key] = hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest()
                changed = True
        if changed:
            path.write_text(json.dumps(data), encoding="utf-8")
            repaired += 1
    return repaired


def build_allure(run_dir: Path, out: Path | None = None, *,
                 command: Callable[[Path, Path], list[str]] | None = None) -> Path:
    """Build RUN_DIR/allure-report (or OUT/allure-report); returns its index.html."""
    results = run_dir / "allure-results"
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise UsageError(f"{run_dir}: no allure-results/*-result.json (is it a gatecheck run "
                         "directory?)")
    report = (out or run_dir) / "allure-report"
    redact_tree(results)
    restore_ids(results)
    argv = (command or allure_command)(results, report)
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false",
           "npm_config_audit": "false"}
    print("gatecheck: " + " ".join(argv), flush=True)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired:
        raise HarnessError(f"allure did not finish within {TIMEOUT_S} s") from None
    except OSError as exc:
        raise HarnessError(f"cannot start {argv[0]}: {exc}") from None
    index = report / "index.html"
    if done.returncode != 0 or not index.is_file():
        lines = [ln for ln in (done.stderr + done.stdout).splitlines()
                 if ln.strip() and "npm warn" not in ln]
        why = lines[-1].strip() if lines else "no output"
        raise HarnessError(f"allure exited {done.returncode} without {index}: {why}")
    # `gatecheck publish` copies the report byte for byte only with this stamp: the bundle
    # is minified script and base64, which pattern redaction would corrupt, so the site
    # trusts it only as built here, from results redacted just above.
    (report / STAMP).write_text(json.dumps({"index_sha256": digest(index),
                                            "results": "redacted by gatecheck"}) + "\n",
                                encoding="utf-8")
    return index


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stamped(report: Path) -> bool:
    """Whether ``report`` (an allure-report directory) is as build_allure left it."""
    try:
        stamp = json.loads((report / STAMP).read_text(encoding="utf-8"))
        return bool(stamp.get("index_sha256") == digest(report / "index.html"))
    except (OSError, ValueError, AttributeError):
        return False
