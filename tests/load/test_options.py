"""Durations, rates and gatecheck's Locust options."""

from __future__ import annotations

import argparse

import pytest

from gatecheck import UsageError
from gatecheck.load import LoadSettings, LocustRun, locate_locustfile, parse_duration, parse_rate
from gatecheck.load._options import add_locust_arguments


@pytest.mark.parametrize(("text", "seconds"),
                         [("90", 90), ("90s", 90), ("2m", 120), ("1h30m", 5400),
                          ("1m30s", 90), ("0.5s", 0.5), (" 10S ", 10)])
def test_durations_in_locust_forms(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "0s", "-5s", "ten", "5ms", "1d", "3m2h", "8d"])
def test_bad_durations_are_one_line_usage_errors(text):
    with pytest.raises(UsageError) as info:
        parse_duration(text)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "fast", "1e9"])
def test_bad_rates_are_usage_errors(text):
    with pytest.raises(UsageError):
        parse_rate(text)


def test_rates_accept_fractions():
    assert parse_rate("0.5") == 0.5


def _parsed(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()

    def add(*args, include_in_web_ui=True, env_var=None, **kwargs):
        assert include_in_web_ui  # every option is shown and editable in the web UI
        assert env_var == "GATECHECK_LOAD_" + args[0][12:].upper().replace("-", "_")
        return parser.add_argument(*args, **kwargs)

    add_locust_arguments(add)
    return parser.parse_args(list(argv))


def test_settings_from_locust_options():
    options = _parsed("--gatecheck-surface", "anthropic", "--gatecheck-rate", "2.5",
                      "--gatecheck-directive", "ttft=5", "--gatecheck-auth", "bearer",
                      "--gatecheck-auth-env", "MY_KEY")
    settings = LoadSettings.from_options(options)
    assert settings.surface == "anthropic"
    assert settings.rate == 2.5
    assert settings.auth_env == "MY_KEY"
    assert settings.full_prompt.endswith("[[mock ttft=5]]")
    assert LoadSettings.from_options(_parsed()) == LoadSettings()


def test_auth_without_the_env_var_name_is_refused():
    with pytest.raises(UsageError, match="auth-env"):
        LoadSettings.from_options(_parsed("--gatecheck-auth", "bearer"))


def test_headless_command_line_is_bounded_and_web_binds_loopback(tmp_path):
    locustfile = locate_locustfile("stream")
    run = LocustRun(locustfile=locustfile, host="http://127.0.0.1:1/v1", run_dir=tmp_path,
                    users=3, spawn_rate=3.0, duration_s=2.5, processes=2,
                    options={"rate": "5"})
    argv = run.argv()
    assert argv[argv.index("-t") + 1] == "3s"
    assert "--headless" in argv
    assert argv[argv.index("--processes") + 1] == "2"
    assert argv[argv.index("--gatecheck-rate") + 1] == "5"
    run.duration_s = None
    web = run.argv()
    assert "--headless" not in web
    assert web[web.index("--web-host") + 1] == "127.0.0.1"


def test_locustfiles_come_from_the_cwd_else_the_shipped_ones(tmp_path):
    shipped = locate_locustfile("ramp", cwd=tmp_path)
    assert shipped.parts[-3:] == ("load", "locustfiles", "ramp.py")  # inside the package
    assert "StepShape" in shipped.read_text()
    (tmp_path / "locustfiles").mkdir()
    (tmp_path / "locustfiles" / "ramp.py").write_text("import locust\n")
    assert locate_locustfile("ramp", cwd=tmp_path) == tmp_path / "locustfiles" / "ramp.py"
    with pytest.raises(UsageError, match="unknown scenario"):
        locate_locustfile("soak")


def test_ramp_stages_are_equal_steps_up_to_the_top_user_count():
    from gatecheck.load._options import plan_stages

    assert plan_stages(10, 60, 4) == [
        {"stage": 0, "users": 3, "start_s": 0.0, "end_s": 15.0},
        {"stage": 1, "users": 5, "start_s": 15.0, "end_s": 30.0},
        {"stage": 2, "users": 8, "start_s": 30.0, "end_s": 45.0},
        {"stage": 3, "users": 10, "start_s": 45.0, "end_s": 60.0},
    ]
    assert [s["users"] for s in plan_stages(2, 10, 5)] == [1, 2]  # never more steps than users


@pytest.mark.parametrize("surface", ["openai", "anthropic", "responses", "embeddings"])
def test_every_wire_is_a_surface_a_run_can_load(surface):
    LoadSettings(surface=surface).check()


def test_an_unknown_surface_names_the_known_ones():
    with pytest.raises(UsageError, match="responses, embeddings"):
        LoadSettings(surface="grpc").check()  # type: ignore[arg-type]


def test_calibration_options_drive_the_stream_scenario_on_the_surface():
    from gatecheck.load import calibration_options

    options = calibration_options("responses", tokens=50, warmup_s=2.0)
    assert options == {"model": "mock-chat", "max-tokens": "256", "label": "calibrate",
                       "warmup": "2", "surface": "responses"}
    with pytest.raises(UsageError, match="not streamed"):
        calibration_options("embeddings", tokens=50, warmup_s=0)


def test_a_wire_is_served_on_its_front_door_family_and_may_need_a_feature():
    from gatecheck.load import feature_of, surface_of

    assert [surface_of(w) for w in ("openai", "anthropic", "responses", "embeddings")] == [
        "openai", "anthropic", "openai", "openai"]
    assert [feature_of(w) for w in ("openai", "anthropic", "responses", "embeddings")] == [
        None, None, "responses", "embeddings"]


def test_every_load_option_is_on_both_front_ends_and_documented(capsys):
    from pathlib import Path

    from gatecheck.cli import main
    from gatecheck.load import LOAD_OPTIONS, LOCUST_OPTIONS

    readme = (Path(__file__).parents[2] / "locustfiles" / "README.md").read_text()
    with pytest.raises(SystemExit):
        main(["load", "--help"])
    help_text = capsys.readouterr().out
    locust = _parsed()
    for option in (*LOAD_OPTIONS, *LOCUST_OPTIONS):
        assert f"`{option.namespaced_flag}`" in readme or option.namespaced_flag in readme
        assert hasattr(locust, option.dest)  # declared once, on Locust's parser too
    for option in LOAD_OPTIONS:
        assert option.flag in help_text
        assert option.env in help_text  # the help names the environment variable


def test_the_command_line_beats_the_environment_which_beats_the_default():
    from gatecheck.load._options import RATE, SURFACE, option_values

    assert RATE.resolve(None, {}) == 10.0
    assert RATE.resolve(None, {"GATECHECK_LOAD_RATE": "2.5"}) == 2.5
    assert RATE.resolve(7.0, {"GATECHECK_LOAD_RATE": "2.5"}) == 7.0
    with pytest.raises(UsageError, match="GATECHECK_LOAD_SURFACE='grpc': expected one of"):
        SURFACE.resolve(None, {"GATECHECK_LOAD_SURFACE": "grpc"})
    values = option_values({"gatecheck_rate": 3.0}, {"GATECHECK_LOAD_SEED": "9"})
    assert (values["rate"], values["seed"], values["model"]) == (3.0, 9, None)


def test_extra_headers_take_literals_and_environment_variables():
    from gatecheck import ConfigError

    settings = LoadSettings(headers="X-Provider=openai; x-host=$MY_HOST ;")
    settings.check()
    assert settings.header_values({"MY_HOST": "http://up"}) == {
        "x-provider": "openai", "x-host": "http://up"}
    with pytest.raises(ConfigError, match=r"header x-host: set \$MY_HOST"):
        settings.header_values({})
    with pytest.raises(UsageError, match="needs name=value"):
        LoadSettings(headers="novalue").check()


def test_a_targets_headers_reach_the_users_by_name_never_by_secret():
    from gatecheck.load._run import _header_spec
    from gatecheck.targets import load_targets

    portkey = load_targets().get("portkey")
    assert _header_spec(portkey, "openai") == (
        "x-portkey-custom-host=$GATECHECK_PORTKEY_CUSTOM_HOST;x-portkey-provider=openai")
    assert _header_spec(portkey, "anthropic").endswith("x-portkey-provider=anthropic")
