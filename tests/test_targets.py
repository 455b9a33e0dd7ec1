"""The target registry: loading, selection, precedence, secrets and the redactor."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import pytest

import gatecheck.targets as targets_pkg
from gatecheck import REDACTED, ConfigError, UsageError, default_redactor
from gatecheck.options import add_target_options, parse_base_urls, resolve_target_names
from gatecheck.targets import Registry, discover, load_targets, parse_targets

SOURCE = """\
[[target]]
name = "local"
description = "embedded"
base-url = "embedded"
embedded = "reference"
features = ["streaming", "health"]

[target.auth]
scheme = "bearer"
env = "LOCAL_TEST_KEY"
admin-env = "LOCAL_TEST_ADMIN"

[target.surfaces.openai]
auth = ["bearer"]

[target.surfaces.anthropic]
auth = ["x-api-key", "bearer"]

[target.models]
default = "gpt-4o-mini"
anthropic = "claude-3-5-haiku-latest"

[target.quirks.health]
path = "/health/liveliness"
requires-auth = true

[target.deviations]
"ALIAS-3:anthropic" = "answers 400 on messages"
"ERR-1" = "string errors"
"AUTH-4" = { reason = "malformed header gets 500", checks = ["test_auth4_malformed"] }

[[target]]
name = "far-away"
description = "remote"
base-url = "https://gateway.example/v1"

[target.auth]
scheme = "header"
header = "x-far-key"
env = "FAR_AWAY_TEST_KEY"

[target.surfaces.openai]
auth = ["header"]

[[target.matrix]]
provider = "deepinfra"
model = "@deepinfra/zai-org/GLM-4.5-Air"
extra-body = { provider = "portkey" }

[[target]]
name = "open"
description = "no auth"
base-url = "http://127.0.0.1:9/v1"

[target.auth]
scheme = "none"

[target.surfaces.openai]
auth = ["none"]
"""


@pytest.fixture
def registry() -> Registry:
    return parse_targets(SOURCE, "test.toml")


def test_exported_members_exist():
    for name in targets_pkg.__all__:
        assert hasattr(targets_pkg, name), name


def test_dataclasses_are_frozen(registry):
    target = registry.get("local")
    with pytest.raises(dataclasses.FrozenInstanceError):
        target.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        target.aliases["x"] = "y"  # type: ignore[index]


def test_kebab_case_becomes_fields(registry):
    local = registry.get("local")
    assert local.embedded == "reference"
    assert local.auth.admin_env == "LOCAL_TEST_ADMIN"
    assert local.surfaces["anthropic"].auth == ("x-api-key", "bearer")
    assert local.surfaces["anthropic"].preferred_auth == "x-api-key"
    assert local.models.for_surface("anthropic") == "claude-3-5-haiku-latest"
    assert local.models.for_surface("openai") == "gpt-4o-mini"
    assert local.quirks.health is not None
    assert local.quirks.health.path == "/health/liveliness"
    assert local.quirks.health.requires_auth is True
    # Unset quirks take the checklist's expectations.
    assert local.quirks.invalid_json_status == 400
    far = registry.get("far-away")
    assert far.matrix[0].model == "@deepinfra/zai-org/GLM-4.5-Air"
    assert dict(far.matrix[0].extra_body) == {"provider": "portkey"}
    assert far.auth.header == "x-far-key"
    assert local.surfaces["anthropic"].preferred_auth == "x-api-key"


def test_deviations_by_check_and_surface(registry):
    local = registry.get("local")
    assert local.deviation("ERR-1") is not None
    assert local.deviation("ERR-1", "anthropic") is not None  # applies to every surface
    assert local.deviation("ALIAS-3", "anthropic") is not None
    assert local.deviation("ALIAS-3", "openai") is None
    assert local.deviation("AUTH-3") is None
    dev = local.deviation("ALIAS-3", "anthropic")
    assert dev is not None
    assert dev.key == "ALIAS-3:anthropic"
    assert dev.reason == "answers 400 on messages"


def test_deviation_limited_to_named_checks(registry):
    local = registry.get("local")
    assert local.deviation("AUTH-4", "openai", "test_auth4_malformed") is not None
    assert local.deviation("AUTH-4", "openai", "test_auth4_wrong_openai") is None
    # An anonymous caller never gets a limited deviation (no check hidden by accident).
    assert local.deviation("AUTH-4", "openai") is None


def test_deviation_ids_are_checked_against_the_suites(registry):
    registry.check_deviation_ids(["ALIAS-3", "ERR-1", "AUTH-4"])
    registry.check_deviation_ids(["ALIAS-3", "ERR-1", "AUTH-4"], ["test_auth4_malformed"])
    with pytest.raises(ConfigError) as info:
        registry.check_deviation_ids(["ALIAS-3", "ERR-10", "AUTH-4"])
    assert str(info.value) == (
        "test.toml: target[0].deviations.ERR-1: unknown check id; did you mean 'ERR-10'?"
    )
    with pytest.raises(ConfigError) as info:
        registry.check_deviation_ids(["ALIAS-3", "ERR-1", "AUTH-4"], ["test_auth4_malformd"])
    assert str(info.value) == (
        "test.toml: target[0].deviations.AUTH-4.checks: unknown check "
        "'test_auth4_malformed'; did you mean 'test_auth4_malformd'?"
    )


def test_unknown_target_lists_the_known_ones(registry):
    with pytest.raises(UsageError) as info:
        registry.select(["far-awya"])
    assert str(info.value) == (
        "unknown target 'far-awya'; did you mean 'far-away'? "
        "(known in test.toml: local, far-away, open)"
    )


def test_select_groups_order_and_repeats(registry):
    assert [t.name for t in registry.select(["all"])] == ["local", "far-away", "open"]
    assert [t.name for t in registry.select(["embedded"])] == ["local"]
    assert [t.name for t in registry.select(["remote"])] == ["far-away", "open"]
    assert [t.name for t in registry.select(["open", "local", "open"])] == ["open", "local"]
    with pytest.raises(UsageError, match="no targets selected"):
        registry.select([])


def test_target_name_precedence_cli_then_env_then_default():
    env = {"GATECHECK_TARGET": "far-away, open"}
    assert resolve_target_names(["local"], env) == ["local"]
    assert resolve_target_names(None, env) == ["far-away", "open"]
    assert resolve_target_names([], {}) == ["reference"]
    assert resolve_target_names(["a,b", "c"], {}) == ["a", "b", "c"]


def test_base_url_precedence_cli_then_env_then_file(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(SOURCE)
    env = {"GATECHECK_FAR_AWAY_BASE_URL": "http://127.0.0.1:8787/v1"}
    from_env = load_targets(path, environ=env)
    assert from_env.get("far-away").api_base_url() == "http://127.0.0.1:8787/v1"
    from_cli = from_env.with_base_urls(parse_base_urls(["far-away=http://127.0.0.1:1/v1/"]))
    assert from_cli.get("far-away").api_base_url() == "http://127.0.0.1:1/v1"
    assert load_targets(path, environ={}).get("far-away").api_base_url() == (
        "https://gateway.example/v1"
    )
    with pytest.raises(UsageError, match="GATECHECK_FAR_AWAY_BASE_URL"):
        load_targets(path, environ={"GATECHECK_FAR_AWAY_BASE_URL": "gateway.example"})
    with pytest.raises(UsageError, match="NAME=http"):
        parse_base_urls(["far-away"])
    with pytest.raises(UsageError, match="unknown target 'nobody'"):
        from_env.with_base_urls({"nobody": "http://127.0.0.1:1"})


def test_embedded_target_gets_its_url_from_the_runner(registry):
    local = registry.get("local")
    assert local.needs_start
    with pytest.raises(ValueError, match="with_base_url"):
        local.api_base_url()
    started = local.with_base_url("http://127.0.0.1:5555/v1/")
    assert started.is_embedded
    assert not started.needs_start
    assert not started.is_remote
    assert started.api_base_url("anthropic") == "http://127.0.0.1:5555/v1"
    assert started.root_url == "http://127.0.0.1:5555"


def test_discover_precedence(tmp_path, monkeypatch):
    explicit = tmp_path / "explicit.toml"
    via_env = tmp_path / "env.toml"
    for path in (explicit, via_env):
        path.write_text(SOURCE)
    env = {"GATECHECK_TARGETS_FILE": str(via_env)}
    assert discover(explicit, environ=env) == explicit
    assert discover(None, environ=env) == via_env
    cwd = tmp_path / "project"
    cwd.mkdir()
    (cwd / "targets.toml").write_text(SOURCE)
    assert discover(None, environ={}, cwd=cwd) == cwd / "targets.toml"
    # Nothing local: the checkout's (or the installed wheel's) registry.
    shipped = discover(None, environ={}, cwd=tmp_path)
    assert shipped.name == "targets.toml"
    assert shipped.is_file()


def test_options_declared_once_work_with_argparse():
    parser = argparse.ArgumentParser()
    add_target_options(parser.add_argument)
    args = parser.parse_args(
        ["--target", "a", "--target", "b", "--targets-file", "x.toml", "--base-url", "a=http://h"]
    )
    assert args.gatecheck_target == ["a", "b"]
    assert args.gatecheck_targets_file == "x.toml"
    assert args.gatecheck_base_url == ["a=http://h"]
    help_text = " ".join(parser.format_help().split())
    assert "[env: GATECHECK_TARGET]" in help_text
    assert "[env: GATECHECK_TARGETS_FILE]" in help_text


def test_the_same_options_are_namespaced_for_pytest_and_locust():
    parser = argparse.ArgumentParser()
    add_target_options(parser.add_argument, namespaced=True)
    args = parser.parse_args(["--gatecheck-target", "a", "--target", "b",
                              "--gatecheck-base-url", "a=http://h"])
    assert args.gatecheck_target == ["a", "b"]  # --target stays as a short alias
    assert args.gatecheck_base_url == ["a=http://h"]
    with pytest.raises(SystemExit):  # no bare --base-url: pytest-base-url owns that one
        parser.parse_args(["--base-url", "a=http://h"])


# -- secrets ------------------------------------------------------------------------------


def test_a_missing_secret_is_named_not_an_error(registry, monkeypatch):
    monkeypatch.delenv("FAR_AWAY_TEST_KEY", raising=False)
    far = registry.get("far-away")
    assert far.missing_secret == "FAR_AWAY_TEST_KEY"  # the run is inconclusive, naming it
    assert far.secret() is None
    assert far.skip_reason() is None  # not a reason for a check to skip: inconclusive


def test_empty_secret_counts_as_missing(registry, monkeypatch):
    monkeypatch.setenv("FAR_AWAY_TEST_KEY", "")
    assert registry.get("far-away").missing_secret == "FAR_AWAY_TEST_KEY"


def test_skip_reasons_for_unclaimed_surface_and_feature(registry, monkeypatch):
    monkeypatch.setenv("LOCAL_TEST_KEY", "gk-local-test-value")
    local = registry.get("local")
    assert local.missing_secret is None
    assert local.skip_reason(feature="streaming") is None
    assert local.skip_reason(feature="cors") == "target 'local' does not claim feature 'cors'"
    assert local.claims("auth")
    assert local.skip_reason(feature="auth") is None
    open_target = registry.get("open")
    assert open_target.missing_secret is None  # scheme none needs no secret
    assert not open_target.claims("auth")
    assert open_target.skip_reason(feature="auth") == (
        "target 'open' takes no credential of its own (auth.scheme = none)")
    assert open_target.skip_reason(surface="anthropic") == (
        "target 'open' does not claim surface 'anthropic'")


def test_resolved_secret_is_masked_by_the_default_redactor(registry, monkeypatch):
    canary = "canary-registry-secret-7f3a9c2e"
    monkeypatch.setenv("FAR_AWAY_TEST_KEY", canary)
    assert registry.get("far-away").secret() == canary
    masked = default_redactor().text(f"sent x-far-key: {canary} to the gateway")
    assert canary not in masked
    assert REDACTED in masked


def test_admin_secret_is_registered_too(registry):
    canary = "canary-admin-secret-51c0d8aa"
    value = registry.get("local").admin_secret({"LOCAL_TEST_ADMIN": canary})
    assert value == canary
    assert canary not in default_redactor().text(canary)


def test_load_targets_reads_a_path(tmp_path: Path):
    path = tmp_path / "t.toml"
    path.write_text(SOURCE)
    assert load_targets(str(path), environ={}).names == ["local", "far-away", "open"]


def test_summary_is_plain_data(registry):
    summary = registry.get("local").summary()
    assert summary["name"] == "local"
    assert summary["surfaces"] == ["openai", "anthropic"]
    assert summary["deviations"] == {
        "ALIAS-3:anthropic": "answers 400 on messages",
        "ERR-1": "string errors",
        "AUTH-4": "malformed header gets 500",
    }
    import json

    json.dumps(summary)  # serialisable as is, for results and reports


def test_without_a_local_file_the_shipped_registry_is_used(tmp_path, monkeypatch):
    from gatecheck.targets import _loader, shipped_targets

    empty = tmp_path / "cwd"
    empty.mkdir()
    assert discover(None, environ={}, cwd=empty) == shipped_targets()
    assert shipped_targets().read_text(encoding="utf-8").startswith("# gatecheck target")
    monkeypatch.setattr(_loader, "shipped_targets", lambda: tmp_path / "missing.toml")
    with pytest.raises(UsageError, match=r"no targets\.toml in .* and none shipped"):
        discover(None, environ={}, cwd=empty)


def _targets_command(argv, capsys):
    from gatecheck.cli import targets as command

    parser = argparse.ArgumentParser()
    command.configure(parser)
    status = command.run(parser.parse_args(argv))
    return status, capsys.readouterr().out


def test_targets_command_lists_without_showing_secrets(tmp_path, monkeypatch, capsys):
    path = tmp_path / "t.toml"
    path.write_text(SOURCE)
    monkeypatch.setenv("FAR_AWAY_TEST_KEY", "canary-listed-secret-0042")
    monkeypatch.delenv("LOCAL_TEST_KEY", raising=False)
    status, out = _targets_command(["--targets-file", str(path)], capsys)
    assert status == 0
    assert "3 targets, valid" in out
    assert "$FAR_AWAY_TEST_KEY set" in out
    assert "$LOCAL_TEST_KEY minted by the run" in out  # embedded: the runner sets it
    assert "canary-listed-secret-0042" not in out
    status, out = _targets_command(["--targets-file", str(path), "--json", "open"], capsys)
    assert status == 0
    assert [json.loads(line)["name"] for line in out.splitlines()] == ["open"]


def test_targets_command_on_a_bad_file_raises_one_line(tmp_path, capsys):
    path = tmp_path / "t.toml"
    path.write_text(SOURCE.replace('scheme = "none"', 'scheme = "nope"'))
    with pytest.raises(ConfigError, match=r"target\[2\]\.auth\.scheme: 'nope' is not"):
        _targets_command(["--targets-file", str(path)], capsys)


def test_the_readmes_target_example_is_a_valid_target(tmp_path):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "targets.toml").write_text(example)
    target = targets_pkg.load_targets(tmp_path / "targets.toml").get("my-gateway")
    env = {"MY_UPSTREAM": "http://127.0.0.1:9/v1", "MY_MOCK_URL": "http://127.0.0.1:9"}
    assert target.extra_headers("anthropic", env) == {
        "x-portkey-custom-host": "http://127.0.0.1:9/v1", "x-portkey-provider": "anthropic"}
    assert target.auth.scheme == "none"
    assert target.resolved_mock_url(env) == "http://127.0.0.1:9"
