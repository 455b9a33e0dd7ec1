"""No secret survives into any artefact of `gatecheck run` (canaries planted in the env).

The inline suite leaks every secret it can reach on purpose: in failure messages, expected
and observed values, warnings, observations (the report shows them), stdout and stderr
(allure attaches them), and exchanges. The
run covers the embedded reference (admin key from the env, chat key minted by the run) and
a remote target whose key comes from the env, under xdist.
"""

from __future__ import annotations

import json
import re
import secrets
import textwrap
from pathlib import Path

import pytest

from gatecheck.cli import main
from gatecheck.embedded import serve_in_thread
from tests.apps.fake_target import app
from tests.test_plugin import targets_toml

REPO_TARGETS = Path(__file__).resolve().parents[1] / "targets.toml"
pytestmark = pytest.mark.slow  # a whole `gatecheck run` with the embedded reference

MINTED_KEY = re.compile(r"gk-[A-Za-z0-9_-]{40,}")  # the shape of the proxy's keys

LEAKY_SUITE = '''
import sys

from gatecheck.checks import check, expect, observe, warn


def leak(label, secret):
    print(f"stdout {label} {secret}")
    print(f"stderr {label} {secret}", file=sys.stderr)
    warn(f"warning {label} {secret}")
    observe("models", {"ids": [f"model-{secret}"], "count": 1})
    observe("usage", {"wire": "openai", "response": {"input": 1, "output": 2, "total": 3},
                      "note": f"observed {label} {secret}"})


@check("AUTH-8", level="MUST", category="Authentication", title="leaks the client key")
def test_leaks_client_key(target, client, record_exchange):
    secret = target.secret() or ""
    response = client.request("GET", "/v1/models")
    record_exchange(response.exchange)
    leak("client", secret)
    expect(False, f"message client {secret}", expected=f"expected client {secret}",
           observed=f"observed client {secret} {response.text[:100]}", exchange=response.exchange)


@check("KEY-1", level="MUST", category="Keys", title="leaks the admin key")
def test_leaks_admin_key(target, admin_client):
    secret = target.admin_secret() or ""
    response = admin_client.request("GET", "/v1/keys")
    leak("admin", secret)
    expect(False, f"message admin {secret}", expected=f"expected admin {secret}",
           observed=f"observed admin {secret}", exchange=response.exchange)
'''


@pytest.fixture(scope="module")
def fake_url():
    with serve_in_thread(app) as url:
        yield url


def test_no_canary_survives_in_any_artefact(tmp_path, fake_url, monkeypatch, capfd):
    client_canary = "sk-canary-" + secrets.token_hex(16)
    admin_canary = "canary-admin-" + secrets.token_hex(16)  # not key-shaped: exact match only
    monkeypatch.setenv("FAKE_GATEWAY_KEY", client_canary)
    monkeypatch.setenv("GATECHECK_ADMIN_KEY", admin_canary)
    monkeypatch.delenv("GATECHECK_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    targets = REPO_TARGETS.read_text(encoding="utf-8") + targets_toml(fake_url)
    (tmp_path / "targets.toml").write_text(targets, encoding="utf-8")
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "test_leaky.py").write_text(textwrap.dedent(LEAKY_SUITE))

    status = main(["run", "--target", "reference", "--target", "fake", "--workers", "2"])
    assert status == 1  # the leaky MUST checks fail
    run_dir = (tmp_path / "reports" / "latest").resolve()
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"results.jsonl", "report.md", "junit.xml"} <= names
    assert any(p.parent.name == "allure-results" for p in files)

    results = (run_dir / "results.jsonl").read_text(encoding="utf-8")
    # The canaries were planted where they would show: redaction markers took their place.
    assert "message client [REDACTED]" in results
    assert "message admin [REDACTED]" in results
    assert "set $" not in results  # both targets really ran (no missing-secret skips)
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert client_canary not in text, path
        assert admin_canary not in text, path
        assert not MINTED_KEY.search(text), path
    # The console too: the child pytest's output (failure messages quoting the bodies that
    # echoed the keys) passes through the redactor line by line.
    out, err = capfd.readouterr()
    for canary in (client_canary, admin_canary):
        assert canary not in out
        assert canary not in err
    assert "message client [REDACTED]" in out
    # Allure's own ids (hashes of test names) are not mistaken for secrets.
    results = [json.loads(p.read_text()) for p in run_dir.glob("allure-results/*-result.json")]
    assert results
    assert all(re.fullmatch(r"[0-9a-f]{32}", r["historyId"]) for r in results)
    # Every attachment declared JSON parses after redaction (an escaped quote kept, a
    # redacted secret inside a JSON string still a string), and the observations are there.
    declared = [a for r in results for a in r.get("attachments", [])
                if a.get("type") == "application/json"]
    assert declared
    for attachment in declared:
        json.loads((run_dir / "allure-results" / attachment["source"]).read_text())
    assert "model-[REDACTED]" in (run_dir / "report.md").read_text(encoding="utf-8")
