"""A bad targets.toml gets one ConfigError line naming the file, the field and a fix."""

from __future__ import annotations

import pytest

from gatecheck import ConfigError, UsageError
from gatecheck.config import show_url, url_problem
from gatecheck.options import parse_base_urls
from gatecheck.targets import load_targets, parse_targets

GOOD = """\
[[target]]
name = "alpha"
description = "an embedded target"
base-url = "embedded"
embedded = "reference"
features = ["streaming"]

[target.auth]
scheme = "bearer"
env = "ALPHA_API_KEY"

[target.surfaces.openai]
auth = ["bearer"]

[target.quirks]
invalid-json-status = 401

[[target]]
name = "beta"
description = "a remote target"
base-url = "https://gateway.example/v1"
deviations = { "AUTH-3" = "answers 403" }

[target.auth]
scheme = "header"
header = "x-beta-key"
env = "BETA_API_KEY"

[target.surfaces.openai]
auth = ["header", "bearer"]

[target.surfaces.anthropic]
auth = ["header"]
"""


def _error(source: str, file: str = "targets.toml") -> str:
    with pytest.raises(ConfigError) as info:
        parse_targets(source, file)
    message = str(info.value)
    assert "\n" not in message, message
    assert message.startswith(f"{file}"), message
    return message


def test_the_fixture_itself_is_valid():
    registry = parse_targets(GOOD)
    assert registry.names == ["alpha", "beta"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            'scheme = "header"', 'shceme = "header"',
            "targets.toml: target[1].auth.shceme: unknown field; did you mean 'scheme'?",
            id="unknown-field",
        ),
        pytest.param(
            'scheme = "bearer"', 'scheme = "berer"',
            "targets.toml: target[0].auth.scheme: 'berer' is not valid; did you mean 'bearer'?",
            id="wrong-enum",
        ),
        pytest.param(
            "invalid-json-status = 401", 'invalid-json-status = "401"',
            "targets.toml: target[0].quirks.invalid-json-status: "
            "expected an integer, got string '401'",
            id="wrong-type",
        ),
        pytest.param(
            'description = "a remote target"\n', "",
            "targets.toml: target[1].description: missing required field",
            id="missing-required",
        ),
        pytest.param(
            'embedded = "reference"\n', "",
            "targets.toml: target[0].embedded: missing required field",
            id="embedded-needs-kind",
        ),
        pytest.param(
            'header = "x-beta-key"\n', "",
            "targets.toml: target[1].auth.header: missing required field",
            id="header-scheme-needs-header",
        ),
        pytest.param(
            "[target.surfaces.anthropic]", "[target.surfaces.antropic]",
            "targets.toml: target[1].surfaces.antropic: unknown field; did you mean 'anthropic'?",
            id="unknown-surface",
        ),
        pytest.param(
            'features = ["streaming"]', 'features = ["streamin"]',
            "targets.toml: target[0].features[0]: "
            "'streamin' is not valid; did you mean 'streaming'?",
            id="unknown-feature",
        ),
        pytest.param(
            '"AUTH-3" = "answers 403"', '"auth-3" = "answers 403"',
            "targets.toml: target[1].deviations.auth-3: invalid key; did you mean 'AUTH-3'?",
            id="bad-check-id",
        ),
        pytest.param(
            'name = "beta"', 'name = "alpha"',
            "targets.toml: target[1].name: duplicate name 'alpha' (also target[0])",
            id="duplicate-name",
        ),
        pytest.param(
            "invalid-json-status = 401", "invalid-json-status = 4010",
            "targets.toml: target[0].quirks.invalid-json-status: 4010 is above the maximum 599",
            id="status-range",
        ),
        pytest.param(
            '"https://gateway.example/v1"', '"htp://gateway.example"',
            "targets.toml: target[1].base-url: 'htp://gateway.example' is not valid",
            id="bad-url",
        ),
    ],
)
def test_bad_field_is_one_line_naming_the_field(old, new, expected):
    assert old in GOOD
    message = _error(GOOD.replace(old, new, 1))
    assert message.startswith(expected), message


def test_deviation_surface_must_exist():
    source = GOOD.replace('"AUTH-3" = "answers 403"', '"AUTH-3:anthropic" = "x"').replace(
        '[target.surfaces.anthropic]\nauth = ["header"]\n', ""
    )
    assert _error(source) == (
        'targets.toml: target[1].deviations["AUTH-3:anthropic"]: '
        "the target has no anthropic surface"
    )


def test_deviation_table_needs_checks_named_like_tests():
    source = GOOD.replace(
        '"AUTH-3" = "answers 403"', '"AUTH-3" = { reason = "x", checks = ["auth3"] }'
    )
    assert _error(source) == (
        "targets.toml: target[1].deviations.AUTH-3.checks[0]: 'auth3' is not valid: "
        "A test function name such as test_auth2_x_api_key."
    )
    source = GOOD.replace(
        '"AUTH-3" = "answers 403"', '"AUTH-3" = { reason = "x", chekcs = ["test_a"] }'
    )
    assert _error(source) == (
        "targets.toml: target[1].deviations.AUTH-3.chekcs: unknown field; did you mean 'checks'?"
    )


def test_header_placement_needs_a_header_name():
    source = GOOD.replace('auth = ["bearer"]', 'auth = ["header"]', 1)
    assert _error(source) == (
        "targets.toml: target[0].surfaces.openai.auth: 'header' needs auth.header"
    )


def test_toml_syntax_error_names_line_and_key():
    message = _error(GOOD.replace('scheme = "bearer"', 'scheme "bearer"'))
    assert message.startswith("targets.toml:9:")
    assert "invalid TOML" in message
    assert "'scheme'" in message


def test_toml_syntax_error_never_echoes_a_pasted_secret():
    canary = "sk-" "canary0123456789abcdefXYZ"  # split: a fake key, not a leak
    message = _error(GOOD.replace('env = "ALPHA_API_KEY"', f"env = {canary}"))
    assert "invalid TOML" in message
    assert canary not in message
    message = _error(GOOD.replace('env = "ALPHA_API_KEY"', canary))
    assert canary not in message


@pytest.mark.parametrize(("field", "env"), [
    ("secret", "env"), ("key", "env"), ("token", "env"), ("api-key", "env"), ("API_KEY", "env"),
    ("admin-key", "admin-env"),
])
def test_a_secret_field_under_auth_says_secrets_are_not_allowed(field, env):
    canary = "gk-canary-do-not-echo-0123456789"
    source = GOOD.replace('env = "BETA_API_KEY"', f'env = "BETA_API_KEY"\n{field} = "{canary}"')
    message = _error(source)
    assert message == (f"targets.toml: target[1].auth.{field}: secrets are not allowed in "
                       f"targets.toml; put the NAME of the environment variable in auth.{env}")
    assert canary not in message
    # Also when the secret replaces env (the schema alone would say "auth.env: missing").
    alone = GOOD.replace('env = "ALPHA_API_KEY"', f'{field} = "{canary}"')
    assert _error(alone).startswith(f"targets.toml: target[0].auth.{field}: secrets are not")


def test_secret_in_env_field_is_refused_without_echoing_it():
    canary = "sk-" "canary0123456789abcdefXYZ"  # split: a fake key, not a leak
    message = _error(GOOD.replace('env = "ALPHA_API_KEY"', f'env = "{canary}"'))
    assert message.startswith("targets.toml: target[0].auth.env: must be the NAME")
    assert canary not in message


# Base URLs no command may take (issue 13 item 8), each with a secret that must never be shown:
# a key-shaped one, and a password no shape gives away (only its place in the URL does).
KEY = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"
PASSWORD = "hunter2pass"
BAD_URLS = [
    pytest.param(f"http://127.0.0.1:9/v1?key={KEY}", "query string", id="key-in-query"),
    pytest.param(f"http://127.0.0.1:9/v1?key={PASSWORD}", "query string", id="pw-in-query"),
    pytest.param(f"ftp://alice:{PASSWORD}@host/v1", "http:// or https://", id="pw-not-http"),
    pytest.param(f"http://alice:{PASSWORD}@host:99999/v1", "port", id="port-99999"),
    pytest.param(f"http://alice:{PASSWORD}@[::1/v1", "IPv6", id="broken-ipv6"),
    pytest.param(f"http://{PASSWORD}@", "no host", id="empty-host"),
]


def _assert_hidden(message: str) -> None:
    assert "\n" not in message, message
    for secret in (KEY[:12], KEY[8:20], PASSWORD):
        assert secret not in message, message


@pytest.mark.parametrize(("url", "why"), BAD_URLS)
def test_a_bad_base_url_is_one_line_that_never_quotes_a_secret(url, why):
    message = _error(GOOD.replace('"https://gateway.example/v1"', f'"{url}"', 1))
    assert message.startswith("targets.toml: target[1].base-url: "), message
    assert why in message
    _assert_hidden(message)


@pytest.mark.parametrize(("url", "why"), BAD_URLS)
def test_the_command_line_and_env_hold_a_base_url_to_the_file_s_rule(url, why, tmp_path):
    with pytest.raises(UsageError) as cli:
        parse_base_urls([f"beta={url}"])
    assert str(cli.value).startswith("--base-url 'beta="), cli.value
    assert why in str(cli.value)
    _assert_hidden(str(cli.value))
    path = tmp_path / "targets.toml"
    path.write_text(GOOD)
    with pytest.raises(UsageError) as env:
        load_targets(path, environ={"GATECHECK_BETA_BASE_URL": url})
    assert str(env.value).startswith("$GATECHECK_BETA_BASE_URL: "), env.value
    assert why in str(env.value)
    _assert_hidden(str(env.value))


def test_a_url_in_a_message_shows_its_place_and_masks_the_rest():
    assert show_url(f"ftp://alice:{PASSWORD}@h:8/v1?key={PASSWORD}&x=1#{PASSWORD}") == (
        "ftp://[REDACTED]@h:8/v1?key=[REDACTED]&x=[REDACTED]#[REDACTED]")
    assert show_url("http://[::1]:8080/v1") == "http://[::1]:8080/v1"
    assert url_problem("http://[::1]:8080/v1") is None
    assert url_problem("https://gateway.example") is None


def test_unknown_top_level_key_suggests_target():
    assert _error("targets = []\n" + GOOD) == (
        "targets.toml: targets: unknown field; did you mean 'target'?"
    )


def test_empty_file_says_target_is_required():
    assert _error("") == "targets.toml: target: missing required field"


def test_file_on_disk_is_named_in_the_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.toml").write_text(GOOD.replace('scheme = "header"', 'shceme = "header"'))
    with pytest.raises(ConfigError) as info:
        load_targets("mine.toml", environ={})
    assert str(info.value).startswith("mine.toml: target[1].auth.shceme: unknown field")


def test_explicit_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match=r"^--targets-file .*nope\.toml: no such file$"):
        load_targets(tmp_path / "nope.toml", environ={})


def test_env_named_missing_file_is_a_usage_error(tmp_path):
    env = {"GATECHECK_TARGETS_FILE": str(tmp_path / "nope.toml")}
    with pytest.raises(UsageError, match=r"^\$GATECHECK_TARGETS_FILE .*: no such file$"):
        load_targets(environ=env)


def test_ready_names_only_the_targets_whose_keys_are_set(monkeypatch, capsys):
    from gatecheck.cli import main

    monkeypatch.delenv("PORTKEY_API_KEY", raising=False)
    monkeypatch.delenv("GATEWAYZ_API_KEY", raising=False)
    monkeypatch.setenv("GATECHECK_TARGET", "portkey-cloud,gatewayz")
    assert main(["targets", "--ready"]) == 0
    assert capsys.readouterr().out == ""  # none: a nightly job skips
    monkeypatch.setenv("GATEWAYZ_API_KEY", "k")
    assert main(["targets", "--ready"]) == 0
    assert capsys.readouterr().out == "gatewayz\n"
    assert main(["targets", "--ready", "reference", "portkey-cloud"]) == 0
    assert capsys.readouterr().out == "reference\n"  # embedded: its keys are minted
