"""`gatecheck load` and `gatecheck calibrate` refuse bad input with one line and exit 2."""

from __future__ import annotations

import pytest

from gatecheck.cli import main


@pytest.mark.parametrize(("argv", "needle"), [
    (["load", "--scenario", "soak"], "invalid choice: 'soak'"),
    (["load", "--target", "no-such-gateway"], "unknown target 'no-such-gateway'"),
    (["load", "--duration", "ten"], "duration 'ten'"),
    (["load", "--duration", "0s"], "duration '0s'"),
    (["load", "--scenario", "rate", "--rate", "0"], "rate '0'"),
    (["load", "--scenario", "rate", "--rate", "lots"], "rate 'lots'"),
    (["load", "--scenario", "stream", "--rate", "5"], "--rate applies to --scenario rate"),
    (["load", "--users", "0"], "--users 0"),
    (["load", "--spawn-rate", "-1"], "--spawn-rate"),
    (["load", "--processes", "zero"], "--processes 'zero'"),
    (["load", "--target", "reference", "--target", "mock"], "one target"),
    (["load", "--duration", "10s", "--warmup", "10s"], "--warmup 10s"),
    (["load", "--warmup", "soon"], "duration 'soon'"),
    (["load", "--timeout", "0"], "timeout 0: expected more than 0"),
    (["load", "--slo", "ttft.p99<5ms"], "--slo applies to --scenario capacity"),
    (["load", "--scenario", "capacity", "--slo", "ttft<5ms"], "unknown figure 'ttft'"),
    (["load", "--scenario", "capacity", "--slo", "error_rate<5ms"], "an error rate is a share"),
    (["load", "--scenario", "capacity", "--slo", "nonsense"], "expected FIGURE<LIMIT"),
    (["load", "--scenario", "capacity", "--step-duration", "soon"], "duration 'soon'"),
    (["load", "--mock-url", "ftp://x"], "--mock-url 'ftp://x': expected http(s)"),
    (["load", "--calibration", "/nonexistent/calibration.json"], "--calibration /nonexistent"),
    (["load", "--surface", "grpc"], "invalid choice: 'grpc'"),
    (["calibrate", "--surface", "embeddings"], "invalid choice: 'embeddings'"),
    (["load", "--web", "--web-port", "99999"], "--web-port 99999: expected a port from 1 to"),
    (["load", "--web-port", "0"], "--web-port 0: expected a port from 1 to 65535"),
    (["load", "--web-port", "http"], "--web-port: invalid int value: 'http'"),
    (["calibrate", "--tokens", "1"], "--tokens 1"),
    (["calibrate", "--duration", "x"], "duration 'x'"),
])
def test_bad_input_is_one_line_and_exit_2(argv, needle, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert err.count("\n") == 1
    assert not any(tmp_path.iterdir())  # nothing started, nothing written


def test_a_web_port_in_use_is_one_line_and_exit_2(capsys, tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        argv = ["load", "--target", "mock", "--web", "--web-port", str(port)]
        assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"--web-port {port}: cannot listen on 127.0.0.1:{port}" in err
    assert "pick another port" in err
    assert err.count("\n") == 1
    assert not any(tmp_path.iterdir())  # refused before the target or Locust started


def test_a_remote_target_without_its_key_is_refused_before_anything_starts(
        capsys, tmp_path, monkeypatch):
    from gatecheck.targets import load_targets

    target = load_targets().get("portkey-cloud")
    assert target.auth.env  # the profile names the variable that holds the key
    monkeypatch.delenv(target.auth.env, raising=False)
    assert main(["load", "--target", "portkey-cloud", "--out", str(tmp_path)]) == 2
    assert f"set ${target.auth.env}" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_an_overhead_slo_without_a_mock_is_refused(capsys, tmp_path):
    # The mock target at a URL of its own: gatecheck starts nothing, so knows no mock.
    argv = ["load", "--target", "mock", "--base-url", "mock=http://127.0.0.1:9/v1",
            "--scenario", "capacity", "--slo", "overhead.ttft.p99<10ms", "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "an overhead SLO needs the mock's timings: pass --mock-url" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_load_options_read_their_environment_variables(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("GATECHECK_LOAD_RATE", "lots")
    assert main(["load", "--scenario", "rate", "--out", str(tmp_path)]) == 2
    assert "GATECHECK_LOAD_RATE='lots': rate 'lots'" in capsys.readouterr().err
