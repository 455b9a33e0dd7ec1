"""No secret planted in a run's results or load files survives into report.md/.html or a comparison.

`gatecheck report` re-renders from files that may predate today's redaction rules (or were
written by hand), so it redacts its input again; these canaries are planted straight into
results.jsonl, summary.json and samples.jsonl, bypassing every writer's redactor.
"""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path

from gatecheck import default_redactor
from gatecheck.cli import main

DATA = Path(__file__).parent / "data" / "report"


def _canaries() -> dict[str, str]:
    return {
        "openai": "sk-proj-canary" + secrets.token_hex(16),
        "anthropic": "sk-ant-api03-canary" + secrets.token_hex(16),
        "bearer": secrets.token_hex(24),  # a long hex bearer token
        "query": "canaryq" + secrets.token_hex(10),
        "registered": "canary-registered-" + secrets.token_hex(8),  # exact match only
    }


def _plant(run_dir: Path, c: dict[str, str]) -> None:
    path = run_dir / "results.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for record in records:
        if record["outcome"] != "failed":
            continue
        record["message"] = f"leaked {c['openai']} and {c['registered']}"
        record["expected"] = f"no key, not {c['anthropic']}"
        record["observed"] = f"Authorization: Bearer {c['bearer']}"
        record["warnings"] = [f"x-api-key {c['anthropic']}"]
        ex = record.get("exchange")
        if ex:
            ex["url"] += f"?api_key={c['query']}"
            ex["request_headers"] = [["authorization", f"Bearer {c['openai']}"],
                                     ["x-api-key", c["registered"]]]
            ex["request_body"] = json.dumps({"api_key": c["registered"], "k": c["anthropic"]})
            ex["response_body"] = f'{{"error": "bad key {c["openai"]}"}}'
            ex["response_headers"] = [["set-cookie", f"session={c['registered']}"]]
            ex["curl"] += f" \\\n  -H 'authorization: Bearer {c['bearer']}'"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    summary_path = run_dir / "load" / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    summary["run"]["host"] = f"http://user:{c['registered']}@127.0.0.1:8080/?key={c['query']}"
    summary["run"]["label"] = f"label {c['anthropic']}"
    summary["requests"]["errors"] = {f"401 for Bearer {c['bearer']}": 3}
    summary["warnings"] = [f"warning {c['openai']}"]
    summary["client_health"]["warnings"] = [f"health {c['registered']}"]
    summary_path.write_text(json.dumps(summary), encoding="utf-8")
    samples = run_dir / "load" / "samples.jsonl"
    with samples.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"t": 1795256101.0, "ok": False, "error": c["openai"]}) + "\n")


def test_no_canary_survives_in_reports_or_comparisons(tmp_path):
    c = _canaries()
    # As gatecheck run/load do with the secrets they know (env values of the targets).
    default_redactor().add_secret(c["registered"])
    before, after = tmp_path / "20261121T101500Z-ref", tmp_path / "20261122T101500Z-ref"
    shutil.copytree(DATA / "run_a", before)
    shutil.copytree(DATA / "run_b", after)
    _plant(before, c)
    _plant(after, c)

    assert main(["report", str(before)]) == 0
    assert main(["report", str(after)]) == 0
    assert main(["report", str(before), str(after)]) == 0
    written = [before / "report.md", before / "report.html", after / "report.md",
               after / "report.html", after / "comparison.md", after / "comparison.html"]
    html = (before / "report.html").read_text(encoding="utf-8")
    # The canaries were planted where the page shows them: markers took their place.
    assert "leaked sk-proj-[REDACTED]" in html
    assert "x-api-key: [REDACTED]" in html
    assert "Bearer [REDACTED]" in html
    assert "label sk-ant-api03-[REDACTED]" in html
    assert "http://user:[REDACTED]@127.0.0.1:8080/?key=[REDACTED]" in html
    for path in written:
        text = path.read_text(encoding="utf-8")
        for name, value in c.items():
            assert value not in text, (path.name, name)
