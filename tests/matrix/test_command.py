"""`gatecheck matrix` end to end, in-process on loopback: the offline demo, exits, canaries."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

import httpx
import pytest

from gatecheck import GatewayClient, default_redactor
from gatecheck.cli import main
from gatecheck.embedded import serve_in_thread
from gatecheck.matrix import write_outputs
from gatecheck.matrix.demo import DEMO_MODELS
from gatecheck.matrix.history import History
from gatecheck.matrix.probe import ProbeSettings, probe_models
from gatecheck.mock import create_app
from gatecheck.targets import MatrixModelConfig


@pytest.fixture
def no_target_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATECHECK_TARGET", raising=False)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int, str]:
    """Two demo nights into one history (module scope: the demo starts two servers)."""
    root = tmp_path_factory.mktemp("demo")
    db, out = root / "history.sqlite", root / "matrix"
    mp = pytest.MonkeyPatch()
    mp.delenv("GATECHECK_TARGET", raising=False)
    try:
        first = main(["matrix", "--db", str(db), "--out", str(out)])
        second = main(["matrix", "--db", str(db), "--out", str(out), "--fail-under", "95"])
    finally:
        mp.undo()
    return root, first, second, (out / "matrix.html").read_text()


def test_the_demo_produces_report_004s_matrix_offline(demo_run) -> None:
    root, first, _, html = demo_run
    assert first == 0  # HuggingFace is down, and that is news, not an error
    data = json.loads((root / "matrix" / "matrix.json").read_text())
    rows = {r["model"]: r for r in data["rows"]}
    assert list(rows) == [model for _, model, _ in DEMO_MODELS]
    huggingface = rows.pop("@huggingface/meta-llama/Meta-Llama-3.1-8B-Instruct")
    assert huggingface["status"] == "down"
    assert {p["error_class"] for p in huggingface["probes"]} == {"not_found"}
    assert {p["http_status"] for p in huggingface["probes"]} == {404}
    for row in rows.values():
        assert row["status"] == "up", row
        assert row["sample"] == "Hello from the gatecheck mock!"
        assert row["latency_ms"] > 0
        assert row["ttft_ms"] > 0
        assert row["last7"] == {"up": 2, "probed": 2}
    for provider in ("DeepInfra", "OpenRouter", "X.AI", "Cerebras", "Novita", "Nebius",
                     "HuggingFace"):
        assert provider in html
    assert "7 of 8 models available now (1 down)" in html
    md = (root / "matrix" / "matrix.md").read_text()
    assert "| demo | X.AI | `@xai/grok-3` | available |" in md


def test_fail_under_turns_low_availability_into_exit_1(demo_run) -> None:
    _, _, second, _ = demo_run
    assert second == 1  # 7/8 = 87.5 % < 95 %


def test_the_page_is_self_contained(demo_run) -> None:
    _, _, _, html = demo_run
    assert "default-src 'none'" in html
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", html)
    assert html.count("<svg") == 8 + 1  # one trend strip per model, and the providers' chart


@pytest.mark.parametrize(("argv", "message"), [
    (["--fail-under", "abc"], "--fail-under 'abc'"),
    (["--fail-under", "101"], "from 0 to 100"),
    (["--target", "no-such-target"], "no-such-target"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, tmp_path: Path, capsys,
                                          no_target_env) -> None:
    code = main(["matrix", "--db", str(tmp_path / "h.sqlite"), "--out", str(tmp_path), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


def test_a_db_that_is_not_a_history_is_exit_2(tmp_path: Path, capsys, no_target_env) -> None:
    bad = tmp_path / "h.sqlite"
    bad.write_text("not a database\n" * 100)
    assert main(["matrix", "--db", str(bad), "--out", str(tmp_path)]) == 2
    assert "not a gatecheck history" in capsys.readouterr().err


def test_a_target_with_nothing_to_probe_is_a_harness_error(tmp_path: Path, capsys) -> None:
    code = main(["matrix", "--target", "reference", "--db", str(tmp_path / "h.sqlite"),
                 "--out", str(tmp_path / "m")])
    assert code == 1
    assert "lists no provider models" in capsys.readouterr().err


def test_canary_secrets_never_reach_the_history_or_the_page(tmp_path: Path) -> None:
    canary = "gc-canary-" + secrets.token_hex(12)
    default_redactor().add_secret(canary)  # as the registry does for a target's key
    settings = ProbeSettings(prompt=f'[[mock text="my key is {canary} ok"]]')
    entries = [MatrixModelConfig(provider="Mock", model="mock-chat"),
               MatrixModelConfig(provider="Mock", model="mock-404")]
    with serve_in_thread(create_app()) as url, GatewayClient(url) as client:
        results = probe_models(client, "mock", entries, settings)
    assert any("[REDACTED]" in r.sample for r in results)
    history = History(tmp_path / "history.sqlite")
    history.record(results)
    write_outputs(tmp_path / "matrix", history.matrix(), history)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) >= 4
    for path in files:
        assert canary.encode() not in path.read_bytes(), path


def test_a_named_target_is_probed_on_each_surface_it_lists(tmp_path: Path, capsys,
                                                           monkeypatch) -> None:
    with serve_in_thread(create_app()) as url:
        registry = tmp_path / "targets.toml"
        registry.write_text(f"""
[[target]]
name = "local"
description = "the mock on loopback, as a remote provider"
base-url = "{url}/v1"

[target.auth]
scheme = "bearer"
env = "LOCAL_MATRIX_KEY"

[target.surfaces.openai]
auth = ["bearer"]

[target.surfaces.anthropic]
auth = ["x-api-key"]

[[target.matrix]]
provider = "Mock"
model = "mock-chat"

[[target.matrix]]
provider = "Mock (Anthropic)"
model = "mock-chat"
surface = "anthropic"

[[target.matrix]]
provider = "Gone"
model = "mock-404"
""")
        monkeypatch.setenv("LOCAL_MATRIX_KEY", "local-matrix-key-0123456789")
        code = main(["matrix", "--targets-file", str(registry), "--target", "local",
                     "--db", str(tmp_path / "h.sqlite"), "--out", str(tmp_path / "m")])
        log = httpx.get(f"{url}/_mock/log", timeout=5).json()["entries"]
    assert code == 0, capsys.readouterr()
    # Each surface got the credential where its profile places it.
    placed = {(e["surface"], "authorization" in e["headers"], "x-api-key" in e["headers"])
              for e in log}
    assert placed == {("openai", True, False), ("anthropic", False, True)}
    rows = json.loads((tmp_path / "m" / "matrix.json").read_text())["rows"]
    assert [(r["provider"], r["surface"], r["status"]) for r in rows] == [
        ("Mock", "openai", "up"), ("Gone", "openai", "down"),
        ("Mock (Anthropic)", "anthropic", "up")]
    assert "local-matrix-key-0123456789" not in (tmp_path / "h.sqlite").read_bytes().decode(
        "latin-1")
