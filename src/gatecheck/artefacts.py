"""Run directories and what is written into them: one run id, one layout, redacted files.

Every command that writes a run (``gatecheck run``, ``load``, ``calibrate``) makes its
directory here: ``<out>/<run-id>/`` with a sortable id such as
``20261121T101500Z-reference``; ``<out>/latest`` points at the newest. ``redact_tree`` runs
the redactor over the files that other tools wrote into a run (junit.xml, allure-results,
Locust's CSV and HTML), which gatecheck's own writers had no chance to redact.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from gatecheck._exceptions import HarnessError
from gatecheck._redact import Redactor, default_redactor, redact_curl

__all__ = ["default_run_id", "new_run_dir", "point_latest", "redact_tree"]

_MAX_SAME_SECOND = 100  # runs started in the same second with the same label


def default_run_id(names: Sequence[str], now: dt.datetime | None = None) -> str:
    """A run id like ``20261121T101500Z-reference``: sortable, names the targets."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    label = "+".join(names) if len(names) <= 3 else f"{len(names)}-targets"
    return f"{stamp}-{label}"


def new_run_dir(out: Path, run_id: str) -> tuple[str, Path]:
    """Create ``out/<run-id>``, suffixed -2, -3, ... when a run in the same second has it."""
    out.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, _MAX_SAME_SECOND):
        candidate = run_id if attempt == 1 else f"{run_id}-{attempt}"
        try:
            (out / candidate).mkdir()
        except FileExistsError:
            continue
        return candidate, out / candidate
    raise HarnessError(f"{out}: too many runs named {run_id}")


def point_latest(out: Path, run_dir: Path) -> Path:
    """Point out/latest at run_dir: a relative symlink, else a copy plus latest.txt."""
    latest = out / "latest"
    if latest.is_symlink() or latest.is_file():
        latest.unlink()
    elif latest.is_dir():
        shutil.rmtree(latest)
    try:
        latest.symlink_to(run_dir.name, target_is_directory=True)
    except OSError:
        shutil.copytree(run_dir, latest)
    (out / "latest.txt").write_text(run_dir.name + "\n", encoding="utf-8")
    return latest


def redact_tree(root: Path, *, skip: tuple[str, ...] = ("results.jsonl",)) -> None:
    """Run the redactor over every text file under ``root`` (or ``root`` itself, a file)."""
    redactor = default_redactor()
    paths = [root] if root.is_file() else sorted(root.rglob("*"))
    for path in paths:
        if not path.is_file() or path.name in skip:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary attachments: gatecheck attaches none
        clean = (_redact_json(text, redactor) if path.suffix == ".json"
                 else redact_curl(text, redactor))
        if clean != text:
            path.write_text(clean, encoding="utf-8")


# Allure identifies a test across runs by these hashes of its name (hex, never a secret);
# masked as "long hex tokens" they would merge every test into one in Allure's history.
_ALLURE_IDS = frozenset({"historyId", "testCaseId"})


def _redact_json(text: str, redactor: Redactor) -> str:
    """A JSON file redacted value by value, so it stays valid JSON (a text pass over its
    escaped quotes could cut one in half); a file that is not JSON gets the text pass."""
    try:
        data = json.loads(text)
    except ValueError:
        return redact_curl(text, redactor)
    if isinstance(data, dict):
        clean: object = {key: value if key in _ALLURE_IDS and isinstance(value, str)
                         else _redact_value(key, value, redactor) for key, value in data.items()}
    else:
        clean = redactor.obj(data)
    return text if clean == data else json.dumps(clean, indent=2 if "\n" in text else None)


def _redact_value(key: str, value: object, redactor: Redactor) -> object:
    if key == "curl" and isinstance(value, str):
        return redact_curl(value, redactor)
    return redactor.obj(value)
