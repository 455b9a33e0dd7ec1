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
