"""gatecheck's pytest plugin end to end (pytester): tiny inline suites against a fake target."""

from __future__ import annotations

import json
import socket
import textwrap
import time

import httpcore  # noqa: F401  (see below)
import pytest

from gatecheck.embedded import serve_in_thread
from tests.apps.fake_target import app

pytest_plugins = ["pytester"]
# pytester's in-process runs drop the modules first imported inside them; httpx keeps a map
# from httpcore's exception classes, so httpcore is imported here, once, outside any run.

SUITE = '''
from gatecheck.checks import check, expect, warn

@check("W-1", level="MUST", category="Completions", title="passes")
def test_passes(target):
    expect(True, "never", expected="-", observed="-")

@check("W-2", level="SHOULD", category="Completions", title="fails")
def test_fails(target):
    expect(False, "the body was wrong", expected="an object", observed="a list")

@check("CORS-1", level="MUST", category="CORS", title="needs cors", feature="cors")
def test_needs_cors(target):
    pass

@check("STR-A8", level="MUST", category="Streaming", title="anthropic only", surface="anthropic")
def test_anthropic_only(target):
    pass

@check("STR-A9", level="SHOULD", category="Streaming", title="warns")
def test_warns(target):
    warn("unknown event type 'mystery'")

def test_plain():
    pass
'''

EXCHANGE_SUITE = '''
from gatecheck.checks import check, expect

class FakeExchange:
    def to_dict(self):
        return {"method": "GET", "url": "http://127.0.0.1/v1/models", "status": 500,
                "response_body": "boom"}

    def curl(self):
        return "curl -sS http://127.0.0.1/v1/models"

@check("MOD-1", level="MUST", category="Models", title="records an exchange")
def test_records(target, record_exchange):
    record_exchange(FakeExchange())
    expect(False, "models list broken", expected="200", observed="500")
'''


PLUGIN = 'pytest_plugins = ["gatecheck.pytest.plugin"]\n'

HEADERS_SUITE = '''
from gatecheck.checks import check, expect

def sent(client, path):
    return client.get(path).json()["headers"]

@check("W-1", level="MUST", category="Completions", title="route headers")
def test_route_headers(target, client):
    openai, anthropic = sent(client, "/v1/echo-headers"), sent(client, "/v1/messages/echo-headers")
    expect(openai.get("x-route") == "openai" and anthropic.get("x-route") == "anthropic",
           "wrong route header", expected="openai, anthropic",
           observed=f"{openai.get('x-route')}, {anthropic.get('x-route')}")
    expect(openai.get("x-everywhere") == anthropic.get("x-everywhere") == "from-env",
           "target header missing", expected="from-env", observed=str(openai))
    expect(openai.get("authorization") == "Bearer fk-openai-key-0123456789",
           "openai key", expected="the openai surface's key", observed="another")

@check("W-2", level="MUST", category="Completions", title="sdk headers")
def test_sdk_headers(target, openai_sdk, anthropic_sdk):
    o, a = openai_sdk.default_headers, anthropic_sdk.default_headers
    expect(o.get("x-route") == "openai" and a.get("x-route") == "anthropic",
           "wrong SDK route header", expected="openai, anthropic",
           observed=f"{o.get('x-route')}, {a.get('x-route')}")
    expect(o.get("x-everywhere") == a.get("x-everywhere") == "from-env",
           "SDK target header missing", expected="from-env", observed=str(o))
    expect(anthropic_sdk.api_key == "fk-anthropic-key-0123456789",
           "anthropic key", expected="the anthropic surface's key", observed="another")
'''


def targets_toml(url: str, *, deviations: str = "{}", env: str = "FAKE_GATEWAY_KEY") -> str:
    return textwrap.dedent(f'''
        [[target]]
        name = "fake"
        description = "a fake gateway for plugin tests"
        base-url = "{url}/v1"
        features = ["streaming"]
        deviations = {deviations}
        [target.auth]
        scheme = "bearer"
        env = "{env}"
        [target.surfaces.openai]
        auth = ["bearer"]
        [target.quirks.health]
        path = "/health"
    ''')


def keyless_targets_toml(name: str, description: str, url: str, *, features: str = "",
                         mock_url: str | None = None) -> str:
    """One target with no credential of its own (auth.scheme = none) at ``url``."""
    mock = f'mock-url = "{mock_url}"\n' if mock_url else ""
    return (f'[[target]]\nname = "{name}"\ndescription = "{description}"\n'
            f'base-url = "{url}/v1"\n{mock}features = [{features}]\ndeviations = {{}}\n'
            + textwrap.dedent('''
                [target.auth]
                scheme = "none"
                [target.surfaces.openai]
                auth = ["none"]
                [target.models]
                default = "mock-chat"
                [target.quirks.health]
                path = "/health"
            '''))


@pytest.fixture(scope="module")
def fake_url():
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def suite(pytester, fake_url, monkeypatch):
    monkeypatch.setenv("FAKE_GATEWAY_KEY", "fk-plugin-test-0123456789")
    pytester.makefile(".toml", targets=targets_toml(fake_url))
    pytester.makepyfile(test_suite=SUITE)
    pytester.makeconftest(PLUGIN)  # as suites/conftest.py does
    return pytester


def records(path) -> dict[str, dict]:
    return {r["test"].split("::")[-1]: r for r in map(json.loads, path.read_text().splitlines())}


def test_checks_run_once_per_target_with_their_outcomes(suite):
    result = suite.runpytest("--target", "fake", "--gatecheck-targets-file", "targets.toml",
                             "--gatecheck-results", "out/results.jsonl", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1, skipped=2)
    result.stdout.fnmatch_lines(["*test_fails[[]fake[]]*", "gatecheck: 5 results in out*"])
    got = records(suite.path / "out" / "results.jsonl")
    assert set(got) == {"test_passes[fake]", "test_fails[fake]", "test_needs_cors[fake]",
                        "test_anthropic_only[fake]", "test_warns[fake]"}  # not test_plain
    assert {k: r["outcome"] for k, r in got.items()} == {
        "test_passes[fake]": "passed", "test_fails[fake]": "failed",
        "test_needs_cors[fake]": "skipped", "test_anthropic_only[fake]": "skipped",
        "test_warns[fake]": "warned",
    }
    failed = got["test_fails[fake]"]
    assert (failed["check_id"], failed["level"], failed["category"]) == ("W-2", "SHOULD",
                                                                         "Completions")
    assert (failed["message"], failed["expected"], failed["observed"]) == (
        "the body was wrong", "an object", "a list")
    assert got["test_needs_cors[fake]"]["message"] == (
        "target 'fake' does not claim feature 'cors'")
    assert got["test_anthropic_only[fake]"]["message"] == (
        "target 'fake' does not claim surface 'anthropic'")
    assert got["test_warns[fake]"]["warnings"] == ["unknown event type 'mystery'"]
    assert all(r["run_id"] and r["profile"] == "sdk-compat" for r in got.values())
    assert failed["target_url"].endswith("/v1")


def test_missing_secret_makes_every_check_inconclusive_naming_the_variable(suite, monkeypatch):
    monkeypatch.delenv("FAKE_GATEWAY_KEY")
    result = suite.runpytest("--target", "fake", "--gatecheck-targets-file", "targets.toml",
                             "-rs", "--gatecheck-results", "r.jsonl", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=5)  # test_plain is no check: it still runs
    got = records(suite.path / "r.jsonl").values()
    # Checks that do not apply stay skipped; the rest could not be judged.
    assert {(r["outcome"], r["message"]) for r in got} == {
        ("inconclusive", "set $FAKE_GATEWAY_KEY to run target 'fake'"),
        ("skipped", "target 'fake' does not claim feature 'cors'"),
        ("skipped", "target 'fake' does not claim surface 'anthropic'")}


def test_known_deviation_is_a_strict_xfail_and_fails_once_fixed(suite, fake_url):
    deviations = '{"W-2" = "sends a list (issue 7)", "W-1" = "was broken (issue 8)"}'
    suite.makefile(".toml", targets=targets_toml(fake_url, deviations=deviations))
    result = suite.runpytest("--target", "fake", "--gatecheck-targets-file", "targets.toml",
                             "--gatecheck-results", "r.jsonl", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1, skipped=2, xfailed=1)
    got = records(suite.path / "r.jsonl")
    assert got["test_fails[fake]"]["outcome"] == "xfailed"
    assert "sends a list (issue 7)" in got["test_fails[fake]"]["message"]
    fixed = got["test_passes[fake]"]
    assert fixed["outcome"] == "failed"
    assert "no longer reproduces" in fixed["message"]
    assert "was broken (issue 8)" in fixed["message"]


def test_a_deviation_that_met_only_skipped_checks_is_flagged(suite, fake_url):
    # CORS-1 needs feature "cors", which the fake target does not claim: its deviation
    # can never be verified. W-2's deviation runs (xfailed) and is not flagged.
    deviations = '{"CORS-1" = "no CORS (issue 3)", "W-2" = "sends a list"}'
    suite.makefile(".toml", targets=targets_toml(fake_url, deviations=deviations))
    result = suite.runpytest("--target", "fake", "--gatecheck-targets-file", "targets.toml",
                             "--gatecheck-results", "r.jsonl", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, skipped=2, xfailed=1)
    flagged = [line for line in result.outlines if "met only skipped checks" in line]
    assert flagged == ["gatecheck: warning: target 'fake': known deviation CORS-1 met only "
                       "skipped checks (test_needs_cors), so no run can verify it; remove it "
                       "from targets.toml or claim what the checks need"]
    got = records(suite.path / "r.jsonl")
    assert got["test_needs_cors[fake]"]["note"] == (
        "known deviation CORS-1 not verified: its check was skipped")
    assert got["test_anthropic_only[fake]"]["note"] is None  # skipped, but no deviation
    assert got["test_fails[fake]"]["note"] is None


def test_no_deviation_is_flagged_when_the_secret_is_missing(suite, fake_url, monkeypatch):
    monkeypatch.delenv("FAKE_GATEWAY_KEY")
    suite.makefile(".toml", targets=targets_toml(fake_url, deviations='{"W-2" = "known"}'))
    result = suite.runpytest("--target", "fake", "--gatecheck-targets-file", "targets.toml",
                             "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=5)
    assert not [line for line in result.outlines if "met only skipped checks" in line]


@pytest.fixture
def refusing_port():
    # Bound but never listening: connections are refused for as long as the test runs, and
    # no other process (another xdist worker) can take the port in the meantime.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def test_unreachable_target_makes_every_check_inconclusive_at_once(suite, refusing_port):
    # W-2 deviates: unreachable must not count it as the expected failure either.
    suite.makefile(".toml", targets=targets_toml(f"http://127.0.0.1:{refusing_port}",
                                                 deviations='{"W-2" = "known"}'))
    started = time.monotonic()
    result = suite.runpytest("--target", "fake", "--gatecheck-targets-file", "targets.toml",
                             "--gatecheck-results", "r.jsonl", "-p", "no:cacheprovider")
    assert time.monotonic() - started < 60  # generous: the point is "no hang"
    result.assert_outcomes(passed=1, skipped=5)  # skips are decided first
    got = [r for r in records(suite.path / "r.jsonl").values() if r["outcome"] != "skipped"]
    assert {r["outcome"] for r in got} == {"inconclusive"}
    assert len(got) == 3
    assert all(r["message"].startswith(f"target 'fake' unreachable at http://127.0.0.1:"
                                       f"{refusing_port}: TargetUnreachableError")
               for r in got)
    # One line says why, with the URL and the error; no failure blocks.
    lines = [line for line in result.outlines if "unreachable at" in line]
    assert len(lines) == 1
    assert lines[0].startswith(f"gatecheck: target 'fake' unreachable at http://127.0.0.1:"
                               f"{refusing_port}: TargetUnreachableError")
    assert "FAILURES" not in result.stdout.str()


def test_unknown_target_is_a_usage_error_listing_known_ones(suite):
    result = suite.runpytest("--target", "fkae", "--gatecheck-targets-file", "targets.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: unknown target 'fkae'; did you mean 'fake'? (known in targets.toml: fake)"])


def test_profile_and_run_id_reach_every_record(suite):
    result = suite.runpytest("--target", "fake", "--gatecheck-targets-file", "targets.toml",
                             "--gatecheck-profile", "strict", "--gatecheck-run-id", "run-42",
                             "--gatecheck-results", "r.jsonl", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1, skipped=2)
    got = records(suite.path / "r.jsonl").values()
    assert {(r["profile"], r["run_id"]) for r in got} == {("strict", "run-42")}
    result.stdout.fnmatch_lines(["gatecheck: run run-42, profile strict"])


def test_a_bad_profile_from_the_environment_is_a_usage_error(suite, monkeypatch):
    monkeypatch.setenv("GATECHECK_PROFILE", "lenient")
    result = suite.runpytest("--target", "fake", "--gatecheck-targets-file", "targets.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*GATECHECK_PROFILE='lenient': expected one of sdk-compat, strict*"])


def test_bad_targets_file_is_a_usage_error(suite):
    result = suite.runpytest("--target", "fake", "--gatecheck-targets-file", "missing.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--targets-file missing.toml: no such file*"])


def test_the_target_can_come_from_the_environment(suite, monkeypatch):
    monkeypatch.setenv("GATECHECK_TARGET", "fake")
    result = suite.runpytest("--gatecheck-targets-file", "targets.toml",
                             "--gatecheck-results", "r.jsonl", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1, skipped=2)
    assert {r["target"] for r in records(suite.path / "r.jsonl").values()} == {"fake"}


def test_a_project_that_does_not_load_the_plugin_is_left_alone(pytester):
    # gatecheck is installed, yet an unrelated project sees none of its options or hooks.
    pytester.makepyfile(test_other="def test_x():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "gatecheck" not in result.stdout.str()


def test_records_cross_xdist_workers_and_junit_gets_properties(suite):
    result = suite.runpytest_subprocess(
        "-n", "2", "--target", "fake", "--gatecheck-targets-file", "targets.toml",
        "--gatecheck-results", "r.jsonl", "-p", "no:cacheprovider", "--junitxml", "junit.xml")
    result.assert_outcomes(passed=3, failed=1, skipped=2)
    junit = (suite.path / "junit.xml").read_text()
    assert '<property name="gatecheck.check_id" value="W-2" />' in junit
    assert '<property name="gatecheck.level" value="SHOULD" />' in junit
    assert "gatecheck.record" not in junit  # the record travels, then leaves
    got = records(suite.path / "r.jsonl")
    assert got["test_fails[fake]"]["observed"] == "a list"
    assert got["test_warns[fake]"]["outcome"] == "warned"


def test_failures_carry_the_recorded_exchange_and_events_reach_the_hook(suite):
    suite.makepyfile(test_suite=EXCHANGE_SUITE)
    suite.makeconftest(PLUGIN + '''
def pytest_gatecheck_event(config, event):
    result = getattr(event, "result", None)
    detail = f" {result.check_id} {result.outcome}" if result else ""
    with open("hook.txt", "a") as out:
        out.write(f"{type(event).__name__}{detail} {event.is_terminal}\\n")
''')
    result = suite.runpytest("--target", "fake", "--gatecheck-targets-file", "targets.toml",
                             "--gatecheck-results", "r.jsonl", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    assert (suite.path / "hook.txt").read_text().splitlines() == [
        "RunStarted False", "CheckFinished MOD-1 failed False", "RunFinished True"]
    exchange = records(suite.path / "r.jsonl")["test_records[fake]"]["exchange"]
    assert exchange["curl"] == "curl -sS http://127.0.0.1/v1/models"
    assert exchange["status"] == 500


def test_embedded_target_is_started_for_the_session_and_env_restored(pytester, monkeypatch):
    from pathlib import Path

    monkeypatch.delenv("GATECHECK_API_KEY", raising=False)
    monkeypatch.delenv("GATECHECK_REFERENCE_BASE_URL", raising=False)
    repo_targets = Path(__file__).resolve().parents[1] / "targets.toml"
    pytester.makepyfile(test_embedded='''
        from gatecheck.checks import check, expect

        @check("HEALTH-1", level="SHOULD", category="Health", title="embedded")
        def test_embedded(target, client, admin_client, mock_log):
            expect(target.base_url.startswith("http://127.0.0.1:"), "not started",
                   expected="a loopback URL", observed=target.base_url)
            assert client.request("GET", "/v1/models").status == 200
            assert admin_client.request("GET", "/v1/keys").status == 200
            assert mock_log is not None and isinstance(mock_log.entries(), list)
    ''')
    pytester.makeconftest(PLUGIN)
    # One token: a separate path argument would be taken for a test path in pytest's early
    # parse, and the conftest that loads the plugin would then not be looked for here.
    result = pytester.runpytest("--target", "reference",
                                f"--gatecheck-targets-file={repo_targets}",
                                "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    import os

    assert "GATECHECK_API_KEY" not in os.environ
    assert "GATECHECK_REFERENCE_BASE_URL" not in os.environ


ERRORS_SUITE = '''
import pytest
from gatecheck.checks import check

@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")

@check("MOD-2", level="SHOULD", category="Models", title="setup error")
def test_setup_error(target, broken):
    pass

@check("MOD-3", level="SHOULD", category="Models", title="a bug in the check")
def test_check_bug(target):
    {}["missing"]

@check("MOD-5", level="SHOULD", category="Models", title="skips itself")
def test_skips_itself(target):
    pytest.skip("no models listed to compare")
'''


def test_harness_errors_and_own_skips_are_recorded_as_such(suite):
    suite.makepyfile(test_suite=ERRORS_SUITE)
    result = suite.runpytest("--target", "fake", "--gatecheck-targets-file", "targets.toml",
                             "--gatecheck-results", "r.jsonl", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, errors=1, skipped=1)
    got = records(suite.path / "r.jsonl")
    # The harness broke, not the target: the checks could not be judged.
    assert got["test_setup_error[fake]"]["outcome"] == "inconclusive"
    assert got["test_setup_error[fake]"]["message"] == (
        "setup failed: error while checking: RuntimeError: fixture exploded")
    assert got["test_check_bug[fake]"]["outcome"] == "inconclusive"
    assert got["test_check_bug[fake]"]["message"] == "error while checking: KeyError: 'missing'"
    assert got["test_skips_itself[fake]"]["outcome"] == "skipped"
    assert got["test_skips_itself[fake]"]["message"] == "no models listed to compare"


CASES_SUITE = '''
from gatecheck import ClientTimeoutError, HarnessError
from gatecheck.checks import cases, check, expect

def accepted(label, cause):
    expect(False, f"{label}: accepted", expected="401", observed="200", cause=cause)

@check("AUTH-3", level="MUST", category="Authentication", title="two failing cases")
def test_two_failures(target):
    with cases() as case:
        with case("missing key"):
            accepted("missing key", "no-auth")
        with case("wrong key"):
            accepted("wrong key", "wrong-key-accepted")

@check("AUTH-4", level="MUST", category="Authentication", title="an error between failures")
def test_error_between(target):
    with cases() as case:
        with case("openai"):
            accepted("openai", "no-auth")
        with case("anthropic"):
            raise HarnessError("the mock could not be read")
        with case("responses"):
            accepted("responses", "no-auth")

@check("AUTH-6", level="MUST", category="Authentication", title="errors only")
def test_errors_only(target):
    with cases() as case:
        with case("openai"):
            raise HarnessError("the mock could not be read")
        with case("anthropic"):
            pass

@check("AUTH-8", level="SHOULD", category="Authentication", title="a hang in one case")
def test_hang(target):
    with cases() as case:
        with case("openai"):
            raise ClientTimeoutError("read timed out after 5 s")
'''


def test_every_failing_case_reaches_the_record_and_an_error_in_one_stops_none(suite):
    suite.makepyfile(test_suite=CASES_SUITE)
    result = suite.runpytest("--target", "fake", "--gatecheck-targets-file", "targets.toml",
                             "--gatecheck-results", "r.jsonl", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=4)
    got = records(suite.path / "r.jsonl")
    both = got["test_two_failures[fake]"]
    assert both["outcome"] == "failed"
    assert [(c["label"], c["cause"], c["message"]) for c in both["cases"]] == [
        ("missing key", "no-auth", "missing key: accepted"),
        ("wrong key", "wrong-key-accepted", "wrong key: accepted")]
    between = got["test_error_between[fake]"]
    assert between["outcome"] == "failed"
    assert [c["label"] for c in between["cases"]] == ["openai", "responses"]
    assert "1 of 3 cases ended without a verdict (anthropic: HarnessError: the mock could " \
           "not be read)" in between["message"]
    # No failure: the error decides, as it would alone, and names its case.
    assert (got["test_errors_only[fake]"]["outcome"], got["test_errors_only[fake]"]["message"]
            ) == ("inconclusive", "error while checking: HarnessError: the mock could not be "
                  "read; in case 'openai'")
    assert got["test_hang[fake]"]["message"] == (
        "the target's answer could not be used: ClientTimeoutError: read timed out after 5 s; "
        "in case 'openai'")
    assert got["test_hang[fake]"]["outcome"] == "failed"


COOKIE_SUITE = '''
from gatecheck.checks import check, expect

@check("AUTH-3", level="MUST", category="Authentication", title="gets a cookie")
def test_a_gets_a_cookie(target, client):
    expect(client.request("GET", "/cookie/set").status == 200, "no", expected="200",
           observed="other")

@check("AUTH-4", level="MUST", category="Authentication", title="sends no cookie")
def test_b_sends_no_cookie(target, client):
    sent = client.request("GET", "/cookie/echo").json()["cookie"]
    expect(sent == "", "a cookie from another check was sent", expected="none", observed=sent)
'''


def test_checks_never_share_a_client_or_its_cookies(suite):
    suite.makepyfile(test_suite=COOKIE_SUITE)
    result = suite.runpytest("--target", "fake", "--gatecheck-targets-file", "targets.toml",
                             "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_allure_gets_category_check_and_target_labels_and_the_exchange(suite):
    suite.makepyfile(test_exchange=EXCHANGE_SUITE)
    result = suite.runpytest("--target", "fake", "--gatecheck-targets-file", "targets.toml",
                             "--alluredir", "allure", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=2, skipped=2)
    found = {}
    for path in (suite.path / "allure").glob("*-result.json"):
        data = json.loads(path.read_text())
        found[data["name"]] = data
    labels = {(lb["name"], lb["value"]) for lb in found["test_fails[fake]"]["labels"]}
    assert {("epic", "Completions"), ("story", "W-2"), ("parentSuite", "fake"),
            ("severity", "normal")} <= labels
    attachments = {a["name"]: a["source"] for a in found["test_records[fake]"]["attachments"]}
    assert {"exchange 1", "curl 1"} <= set(attachments)
    curl = (suite.path / "allure" / attachments["curl 1"]).read_text()
    assert curl == "curl -sS http://127.0.0.1/v1/models"


def test_the_suites_run_beside_pytest_base_url(suite):
    # pytest-base-url (a test dependency) claims --base-url in every session: gatecheck's
    # options are namespaced, so neither plugin's options collide (a subprocess, so the
    # installed plugins load as they would for a user).
    result = suite.runpytest_subprocess(
        "--target", "fake", "--gatecheck-targets-file", "targets.toml",
        "--base-url", "http://127.0.0.1:9", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1, skipped=2)
    result.stdout.fnmatch_lines(["plugins:*base-url-*"])  # it really was loaded


def test_the_target_headers_and_keys_of_each_surface_reach_the_gateway(pytester, fake_url,
                                                                        monkeypatch):
    # A gateway that routes by header (Portkey's x-portkey-provider) and a key per surface:
    # every request and both SDKs carry those of the route they go to.
    monkeypatch.setenv("FAKE_GATEWAY_KEY", "fk-openai-key-0123456789")
    monkeypatch.setenv("FAKE_ANTHROPIC_KEY", "fk-anthropic-key-0123456789")
    monkeypatch.setenv("FAKE_EVERYWHERE", "from-env")
    pytester.makefile(".toml", targets=textwrap.dedent(f'''
        [[target]]
        name = "fake"
        description = "a fake gateway that routes by header"
        base-url = "{fake_url}/v1"
        features = []
        deviations = {{}}
        [target.auth]
        scheme = "bearer"
        env = "FAKE_GATEWAY_KEY"
        [target.headers]
        x-everywhere = {{ env = "FAKE_EVERYWHERE" }}
        [target.surfaces.openai]
        auth = ["bearer"]
        headers = {{ x-route = "openai" }}
        [target.surfaces.anthropic]
        auth = ["x-api-key"]
        env = "FAKE_ANTHROPIC_KEY"
        headers = {{ x-route = "anthropic" }}
        [target.quirks.health]
        path = "/health"
    '''))
    pytester.makepyfile(test_suite=HEADERS_SUITE)
    pytester.makeconftest(PLUGIN)
    result = pytester.runpytest("--target", "fake", "--gatecheck-targets-file", "targets.toml",
                                "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
