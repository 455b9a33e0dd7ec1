"""`gatecheck report --allure`: runtime choice, redaction and ids, and a real Allure build."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from gatecheck import HarnessError, default_redactor
from gatecheck.cli import main
from gatecheck.report.allure import (
    ALLURE2,
    ALLURE3,
    AllureUnavailableError,
    allure_command,
    build_allure,
    restore_ids,
    stamped,
)

CANARY = "gc-allure-canary-7d3e5b1f"


def write_results(run_dir: Path, names: list[str]) -> Path:
    """allure-pytest-shaped results as a run leaves them (ids masked by the redactor)."""
    results = run_dir / "allure-results"
    results.mkdir(parents=True)
    for number, name in enumerate(names):
        (results / f"{number:08d}-0000-0000-0000-000000000000-attachment.json").write_text(
            json.dumps({"curl": f"curl -H 'x-api-key: {CANARY}'"}))
        (results / f"{number:08d}-0000-0000-0000-000000000001-result.json").write_text(
            json.dumps({
                "name": f"{name}[reference]", "fullName": f"suites.test_health#{name}",
                "status": "passed", "uuid": f"{number:08d}-0000-0000-0000-000000000001",
                "historyId": "[REDACTED]", "testCaseId": "[REDACTED]",
                "start": 1795253512456, "stop": 1795253512476,
                "parameters": [{"name": "gatecheck_target_name", "value": "'reference'"}],
                "labels": [{"name": "epic", "value": "Health"},
                           {"name": "story", "value": f"HEALTH-{number}"},
                           {"name": "parentSuite", "value": "reference"}],
                "attachments": [{"name": "exchange 1", "type": "application/json",
                                 "source": f"{number:08d}-0000-0000-0000-000000000000"
                                           "-attachment.json"}]}))
    return results


def test_restore_ids_gives_every_test_its_own_stable_id(tmp_path: Path) -> None:
    results = write_results(tmp_path, ["test_a", "test_b", "test_c"])
    assert restore_ids(results) == 3
    loaded = [json.loads(p.read_text()) for p in sorted(results.glob("*-result.json"))]
    history = [r["historyId"] for r in loaded]
    assert len(set(history)) == 3
    assert all(re.fullmatch(r"[0-9a-f]{32}", h) for h in history)
    assert restore_ids(results) == 0  # intact ids are left alone
    again = write_results(tmp_path / "again", ["test_a", "test_b", "test_c"])
    restore_ids(again)
    assert [json.loads(p.read_text())["historyId"]
            for p in sorted(again.glob("*-result.json"))] == history  # stable across runs


def _probe(outputs: dict[str, str | None]):
    return lambda argv: outputs.get(Path(argv[0]).name)


def test_java_picks_allure2_as_one_self_contained_file(tmp_path: Path) -> None:
    argv = allure_command(tmp_path / "r", tmp_path / "o", which=lambda n: f"/usr/bin/{n}",
                          probe=_probe({"java": "openjdk 17", "node": "v20.1.0"}))
    assert argv[1:3] == ["--yes", ALLURE2]
    assert "--single-file" in argv


def test_node_alone_picks_allure3(tmp_path: Path) -> None:
    found = {"npx": "/usr/bin/npx", "node": "/usr/bin/node"}
    argv = allure_command(tmp_path / "r", tmp_path / "o", which=found.get,
                          probe=_probe({"node": "v20.1.0"}))
    assert argv[1:3] == ["--yes", ALLURE3]


@pytest.mark.parametrize("found", [{}, {"npx": "/x/npx", "node": "/x/node"}, {"java": "/x/java"}])
def test_no_runtime_is_one_clear_line(found: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(AllureUnavailableError) as info:
        allure_command(tmp_path, tmp_path, which=found.get, probe=_probe({"node": "v16.0.0"}))
    message = str(info.value)
    assert "\n" not in message
    assert "Java" in message
    assert "Node.js 18+" in message


def test_results_are_redacted_and_repaired_before_allure_reads_them(tmp_path: Path) -> None:
    default_redactor().add_secret(CANARY)
    run_dir = tmp_path / "run"
    results = write_results(run_dir, ["test_a", "test_b"])
    seen: list[str] = []

    def fake_allure(source: Path, out: Path) -> list[str]:
        seen.extend(p.read_text() for p in sorted(source.iterdir()))
        script = f"import pathlib; p = pathlib.Path({str(out)!r}); p.mkdir(parents=True); " \
                 "(p / 'index.html').write_text('ok')"
        return [sys.executable, "-c", script]

    index = build_allure(run_dir, command=fake_allure)
    assert index == run_dir / "allure-report" / "index.html"
    assert stamped(index.parent)  # publish may copy it as is
    index.write_text("changed since")
    assert not stamped(index.parent)
    assert seen
    assert not any(CANARY in text for text in seen)
    assert all(CANARY not in p.read_text() for p in results.iterdir())
    assert len({json.loads(t).get("historyId") for t in seen if '"historyId"' in t}) == 2


def test_a_run_without_allure_results_is_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["report", "--allure", str(tmp_path)]) == 2
    assert "no allure-results" in capsys.readouterr().err


def _runtime_reason() -> str | None:
    try:
        allure_command(Path("r"), Path("o"))
    except AllureUnavailableError as exc:
        return str(exc)
    return None


@pytest.mark.slow
@pytest.mark.skipif(_runtime_reason() is not None, reason=f"no Allure runtime: {_runtime_reason()}")
def test_a_real_allure_build_from_the_npm_registry(tmp_path: Path) -> None:
    default_redactor().add_secret(CANARY)
    run_dir = tmp_path / "run"
    write_results(run_dir, ["test_health1_liveness", "test_health2_readiness"])
    try:
        index = build_allure(run_dir)
    except HarnessError as exc:
        if re.search(r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|network|registry", str(exc)):
            pytest.skip(f"npm registry unreachable: {exc}")
        raise
    html = index.read_text(encoding="utf-8", errors="replace")
    assert index.stat().st_size > 100_000  # Allure's app, with the results inlined
    assert "<html" in html.lower()
    assert CANARY not in html
