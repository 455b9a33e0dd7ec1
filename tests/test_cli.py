"""The `gatecheck` command's dispatch and its handling of bad input."""

from __future__ import annotations

import subprocess
import sys

from gatecheck.cli import main


def test_unknown_command_is_one_line_and_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("gatecheck: error:")


def test_a_bad_config_file_is_one_line_and_exit_2(tmp_path, capsys):
    # Bad input, like a bad flag: the targets file and the proxy's config both exit 2.
    bad_targets = tmp_path / "targets.toml"
    bad_targets.write_text('[[target]]\nname = "x"\n')
    assert main(["targets", "--targets-file", str(bad_targets)]) == 2
    bad_proxy = tmp_path / "proxy.toml"
    bad_proxy.write_text("nonsense = 1\n")
    assert main(["proxy", "--config", str(bad_proxy), "--in-memory"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert err[0].startswith(f"gatecheck: error: {bad_targets}: target[0]")
    assert err[1].startswith("gatecheck: error: ")
    assert "nonsense" in err[1]


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: gatecheck" in capsys.readouterr().out


def test_module_entry_point_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "gatecheck", "--version"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("gatecheck ")
