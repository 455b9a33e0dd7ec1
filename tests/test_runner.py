"""`gatecheck run`: steps, exit statuses and reports/latest, against a fake target."""

from __future__ import annotations

import json
import shlex
import textwrap
from pathlib import Path

import pytest

from gatecheck import ConfigError, UsageError
from gatecheck.artefacts import new_run_dir, point_latest
from gatecheck.cli import main
from gatecheck.embedded import serve_in_thread
from gatecheck.findings import read_findings
from gatecheck.pytest.runner import default_workers, locate_suites
from tests.apps.fake_target import app
from tests.test_plugin import targets_toml

SUITE = '''
from gatecheck.checks import check, expect

@check("HEALTH-1", level="SHOULD", category="Health", title="a SHOULD check")
def test_should(target):
    expect({should_pass}, "should failed", expected="pass", observed="fail")

@check("W-1", level="MUST", category="Completions", title="a MUST check")
def test_must(target):
    expect({must_pass}, "must failed", expected="pass", observed="fail")
'''


@pytest.fixture(scope="module")
def fake_url():
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def project(tmp_path, fake_url, monkeypatch):
    monkeypatch.setenv("FAKE_GATEWAY_KEY", "fk-runner-test-0123456789")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "targets.toml").write_text(targets_toml(fake_url))
    (tmp_path / "suites").mkdir()
    return tmp_path


def write_suite(project: Path, *, should_pass: bool, must_pass: bool) -> None:
    text = SUITE.format(should_pass=should_pass, must_pass=must_pass)
    (project / "suites" / "test_x.py").write_text(textwrap.dedent(text))


def run(*extra: str) -> int:
    return main(["run", "--target", "fake", "--workers", "0", *extra])


@pytest.mark.slow  # a child pytest run
def test_a_failed_must_check_fails_the_run_and_reports_land_in_latest(project, capsys):
    write_suite(project, should_pass=True, must_pass=False)
    assert run() == 1
    out = capsys.readouterr().out
    assert "2 checks: 1 passed, 1 failed (1 MUST)" in out
    latest = project / "reports" / "latest"
    assert latest.is_symlink()
    files = {p.name for p in latest.iterdir()}
    assert {"results.jsonl", "report.md", "junit.xml", "allure-results"} <= files
    run_id = (project / "reports" / "latest.txt").read_text().strip()
    assert run_id.endswith("Z-fake")
    assert latest.resolve() == (project / "reports" / run_id).resolve()
    report = (latest / "report.md").read_text()
    assert "**Overall status:** ❌ FAIL" in report
    junit = (latest / "junit.xml").read_text()
    assert 'value="W-1"' in junit
    assert "gatecheck.record" not in junit
    lines = (latest / "results.jsonl").read_text().splitlines()
    outcomes = [json.loads(line)["outcome"] for line in lines]
    assert sorted(outcomes) == ["failed", "passed"]
    (finding,) = read_findings(latest / "findings.json")  # schema-validated as it is read
    assert (finding.id, finding.checks, finding.severity) == ("W-1/test-must", ("W-1",), "high")
    assert "1 defect" in out


@pytest.mark.slow  # a child pytest run
def test_weaker_failures_alone_exit_zero_and_k_selects(project, capsys):
    write_suite(project, should_pass=False, must_pass=False)
    assert run("--out", "elsewhere", "-k", "should") == 0  # the failing MUST is deselected
    out = capsys.readouterr().out
    assert "1 checks: 0 passed, 1 failed (0 MUST)" in out
    assert "PASS WITH FAILURES" in out
    assert (project / "elsewhere" / "latest" / "report.md").is_file()


@pytest.mark.slow  # a child pytest run
def test_a_fixed_should_deviation_fails_the_run_and_says_so(project, capsys, fake_url):
    # Profiles cannot rot at any level: a SHOULD deviation whose check passes now fails
    # the run, as a MUST one does.
    deviations = '{"HEALTH-1" = "was broken (issue 9)"}'
    (project / "targets.toml").write_text(targets_toml(fake_url, deviations=deviations))
    write_suite(project, should_pass=True, must_pass=True)
    assert run("-k", "test_should") == 1
    out = capsys.readouterr().out
    assert "1 checks: 0 passed, 1 failed (0 MUST)" in out
    assert "1 known deviations no longer reproduce (fake:HEALTH-1)" in out
    (record,) = map(json.loads, (project / "reports" / "latest" / "results.jsonl")
                    .read_text().splitlines())
    assert record["level"] == "SHOULD"
    assert "was broken (issue 9)" in record["message"]


@pytest.mark.slow  # a child pytest run
def test_a_target_without_its_secret_is_inconclusive_and_says_which_variable(
        project, capsys, monkeypatch):
    monkeypatch.delenv("FAKE_GATEWAY_KEY")
    write_suite(project, should_pass=True, must_pass=False)
    assert run() == 3  # inconclusive: a CI job with a misnamed secret must not go green
    out = capsys.readouterr().out
    assert "2 checks: 0 passed, 0 failed (0 MUST), 0 warned, 0 skipped" in out
    assert ("inconclusive: 2 checks could not be judged: "
            "set $FAKE_GATEWAY_KEY to run target 'fake' (2 checks)") in out


@pytest.mark.slow  # a child pytest run
def test_a_run_where_no_check_ran_exits_3_and_its_reports_say_why(project, capsys):
    write_suite(project, should_pass=True, must_pass=True)
    assert run("-k", "zzznomatch") == 3
    out = capsys.readouterr().out
    assert "no check ran" in out
    latest = project / "reports" / "latest"
    assert "report.md" in out
    for name in ("report.md", "report.html"):
        text = " ".join((latest / name).read_text().split())
        assert "No check ran" in text
        assert ("the selection -k zzznomatch matched none of the checks the suites hold for "
                "target fake") in text
        assert "gatecheck run --target fake" in text
    (rerun,) = _reproduce_commands((latest / "report.md").read_text())
    assert rerun[rerun.index("-k") + 1] == "zzznomatch"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target", "nope"], "unknown target 'nope'"),
        (["--target", "fake", "--workers", "many"], "--workers 'many'"),
        (["--target", "fake", "--suites", "no-such-dir"], "--suites no-such-dir"),
        (["--target", "fake", "--profile", "lenient"], "invalid choice: 'lenient'"),
    ],
)
def test_bad_input_exits_2_with_one_line(project, capsys, argv, message):
    write_suite(project, should_pass=True, must_pass=True)
    assert main(["run", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert message in err[0]
    assert not (project / "reports").exists()  # nothing ran, nothing written


def test_suites_are_found_in_cwd_or_named(tmp_path, monkeypatch):
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "test_a.py").write_text("")
    monkeypatch.chdir(tmp_path)
    assert locate_suites(None) == tmp_path / "suites"
    assert locate_suites(str(tmp_path / "suites")) == tmp_path / "suites"
    with pytest.raises(UsageError, match="no such directory"):
        locate_suites(str(tmp_path / "missing"))


def test_latest_is_repointed_and_falls_back_to_a_copy(tmp_path, monkeypatch):
    first, second = tmp_path / "run-1", tmp_path / "run-2"
    for run_dir in (first, second):
        run_dir.mkdir()
        (run_dir / "report.md").write_text(run_dir.name)
    point_latest(tmp_path, first)
    point_latest(tmp_path, second)
    assert (tmp_path / "latest" / "report.md").read_text() == "run-2"

    def no_symlinks(self, *args, **kwargs):
        raise OSError("symlinks not supported")

    monkeypatch.setattr(Path, "symlink_to", no_symlinks)
    point_latest(tmp_path, first)
    latest = tmp_path / "latest"
    assert not latest.is_symlink()
    assert (latest / "report.md").read_text() == "run-1"
    assert (tmp_path / "latest.txt").read_text() == "run-1\n"


def test_default_workers_follow_the_measurement():
    assert [default_workers(cores) for cores in (1, 2, 4, 16)] == ["0", "0", "2", "2"]


def test_runs_in_the_same_second_get_distinct_directories(tmp_path):
    made = [new_run_dir(tmp_path / "reports", "20261121T101500Z-reference") for _ in range(3)]
    assert [run_id for run_id, _ in made] == [
        "20261121T101500Z-reference", "20261121T101500Z-reference-2",
        "20261121T101500Z-reference-3"]
    assert all(path.is_dir() for _, path in made)


def test_both_embedded_references_start_with_their_own_keys_and_upstream_format():
    from contextlib import ExitStack

    import httpx

    from gatecheck.embedded import start_targets
    from gatecheck.targets import load_targets

    targets = load_targets(str(Path(__file__).resolve().parents[1] / "targets.toml"))
    chosen = targets.select(["reference", "reference-anthropic"])
    with ExitStack() as stack:
        env = start_targets(chosen, stack)
        assert env["GATECHECK_API_KEY"] != env["GATECHECK_REF_ANT_API_KEY"]
        paths = {}
        for name, key_env in (("REFERENCE", "GATECHECK_API_KEY"),
                              ("REFERENCE_ANTHROPIC", "GATECHECK_REF_ANT_API_KEY")):
            reply = httpx.post(env[f"GATECHECK_{name}_BASE_URL"] + "/chat/completions",
                               json={"model": "gpt-4o-mini", "max_tokens": 2,
                                     "messages": [{"role": "user", "content": "hi"}]},
                               headers={"authorization": f"Bearer {env[key_env]}"},
                               timeout=10, trust_env=False)
            assert reply.status_code == 200
            log = httpx.get(env[f"GATECHECK_{name}_MOCK_URL"] + "/_mock/log", timeout=5,
                            trust_env=False).json()
            paths[name] = log["entries"][-1]["path"]
    # the OpenAI-surface request reached each mock in that reference's upstream format
    assert paths == {"REFERENCE": "/v1/chat/completions",
                     "REFERENCE_ANTHROPIC": "/v1/messages"}


def _reproduce_commands(report: str) -> list[list[str]]:
    block = report.split("## How to reproduce", 1)[1].split("```bash\n", 1)[1].split("```")[0]
    return [shlex.split(line) for line in block.splitlines()
            if line.strip() and not line.startswith("#")]


def _tests_run(project: Path) -> list[str]:
    lines = (project / "reports" / "latest" / "results.jsonl").read_text().splitlines()
    return sorted(json.loads(line)["test"] for line in lines)


def _option(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


@pytest.mark.slow  # three child pytest runs
def test_the_reproduce_commands_rerun_the_same_checks(project, capsys, fake_url, monkeypatch):
    # A targets file named relative to the project, whose base-url (where nothing listens)
    # --base-url overrides: pasted in another directory, the commands must reach the same
    # gateway through the same file and run the same checks with the same profile.
    (project / "targets.toml").unlink()
    (project / "conf").mkdir()
    (project / "conf" / "gateways.toml").write_text(targets_toml("http://127.0.0.1:9"))
    write_suite(project, should_pass=True, must_pass=False)
    assert run("--profile", "strict", "--targets-file", "conf/gateways.toml",
               "--base-url", f"fake={fake_url}/v1", "--check", "W-1", "--check", "HEALTH-1") == 1
    first = _tests_run(project)
    assert len(first) == 2
    report = (project / "reports" / "latest" / "report.md").read_text()
    whole, failed_only = _reproduce_commands(report)
    assert whole[:2] == ["gatecheck", "run"]
    assert _option(whole, "--profile") == "strict"
    assert _option(whole, "--base-url") == f"fake={fake_url}/v1"
    targets_file = Path(_option(whole, "--targets-file"))
    assert targets_file.is_absolute()
    assert targets_file.resolve() == (project / "conf" / "gateways.toml").resolve()
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(whole[1:]) == 1
    assert _tests_run(elsewhere) == first
    assert main(failed_only[1:]) == 1
    assert _option(failed_only, "--check") == "W-1"
    assert _tests_run(elsewhere) == [t for t in first if "test_must" in t]
    capsys.readouterr()


def _plan(project: Path, **options: object):
    from gatecheck.pytest.runner import RunPlan

    return RunPlan.from_options(**{
        "target": ["fake"], "targets_file": str(project / "targets.toml"), "base_url": None,
        "profile": None, "out": str(project / "reports"), "workers": "0", "keyword": None,
        "suites": str(project / "suites"), **options})


def test_the_catalogue_is_read_only_when_a_check_or_a_deviation_needs_it(project, monkeypatch):
    # Reading it imports every suite in the parent process (seconds, and the SDKs' memory
    # for the whole run): a plain run does without; --check and deviations are still
    # judged against it before anything starts.
    import gatecheck.pytest.runner as runner

    write_suite(project, should_pass=True, must_pass=True)
    read: list[Path] = []
    real = runner.load_catalogue
    monkeypatch.setattr(runner, "load_catalogue", lambda at: read.append(at) or real(at))
    _plan(project)
    assert read == []
    with pytest.raises(UsageError, match=r"--check W-2: no such check; did you mean 'W-1'"):
        _plan(project, checks=["W-2"])
    assert len(read) == 1
    deviation = '{ ERR-1 = { reason = "answers 500", checks = ["test_err1"] } }'
    (project / "targets.toml").write_text(targets_toml("http://127.0.0.1:9",
                                                       deviations=deviation))
    with pytest.raises(ConfigError, match=r"deviations\.ERR-1: unknown check id"):
        _plan(project)
    assert len(read) == 2
