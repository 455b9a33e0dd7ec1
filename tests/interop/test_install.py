"""install()/installed(): idempotent, pinned, in the gateway's own environment; and a clear
message when Node or npm is missing (no network is used here: the tools are faked)."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest

from gatecheck import HarnessError
from gatecheck.interop import _install, install, installed, node_tools


def _fake_tool(directory, name, output):
    path = directory / name
    path.write_text(f"#!/bin/sh\necho '{output}'\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.fixture
def bare_path(tmp_path, monkeypatch):
    """A PATH with nothing but what a test puts in it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def test_missing_node_and_npm_are_named_with_the_debian_packages(bare_path):
    with pytest.raises(HarnessError, match=r"not on PATH: node, npm \(Debian/Ubuntu: apt-get "
                                           r"install nodejs npm\)"):
        node_tools()


def test_missing_npm_alone_is_named(bare_path):
    _fake_tool(bare_path, "node", "v20.1.0")
    with pytest.raises(HarnessError, match=r"not on PATH: npm \("):
        node_tools()


def test_too_old_a_node_is_refused(bare_path):
    _fake_tool(bare_path, "node", "v16.20.2")
    _fake_tool(bare_path, "npm", "8.19.4")
    with pytest.raises(HarnessError, match=r"needs Node.js 18\+; .* is v16.20.2"):
        node_tools()


def test_installing_portkey_without_node_fails_before_touching_the_cache(bare_path, tmp_path):
    with pytest.raises(HarnessError, match="not on PATH"):
        install("portkey", tmp_path / "cache")
    assert not (tmp_path / "cache" / "portkey" / "node_modules").exists()


def test_litellm_goes_into_its_own_virtualenv_with_exact_pins(tmp_path, monkeypatch):
    calls = []

    def fake_run(argv, what, *, cwd=None, hint=""):
        calls.append(argv)
        if argv[1:3] == ["-m", "venv"]:  # lay out what venv + pip would leave
            bin_dir = tmp_path / "cache" / "litellm" / "venv" / "bin"
            bin_dir.mkdir(parents=True)
            (bin_dir / "litellm").write_text("")

    monkeypatch.setattr(_install, "_run", fake_run)
    got = install("litellm", tmp_path / "cache")
    venv_python = str(tmp_path / "cache" / "litellm" / "venv" / "bin" / "python")
    assert calls[0] == [sys.executable, "-m", "venv", str(tmp_path / "cache/litellm/venv")]
    assert calls[1][:4] == [venv_python, "-m", "pip", "install"]
    assert "litellm[proxy]==1.106.2" in calls[1]
    assert "prisma==0.15.0" in calls[1]
    assert got.fresh
    assert got.command == (str(tmp_path / "cache/litellm/venv/bin/litellm"),)
    # a second call finds the marker and runs nothing
    calls.clear()
    again = install("litellm", tmp_path / "cache")
    assert calls == []
    assert not again.fresh
    assert again.command == got.command


def test_a_changed_pin_means_a_reinstall(tmp_path, monkeypatch):
    root = tmp_path / "cache" / "litellm"
    (root / "venv" / "bin").mkdir(parents=True)
    (root / "venv" / "bin" / "litellm").write_text("")
    marker = {"spec": "litellm python 1.99.0 litellm[proxy]==1.99.0", "python": "3.11.0"}
    (root / "installed.json").write_text(json.dumps(marker))
    assert installed("litellm", tmp_path / "cache") is None


def test_an_install_without_its_marker_is_not_trusted(tmp_path):
    (tmp_path / "cache" / "litellm" / "venv" / "bin").mkdir(parents=True)
    assert installed("litellm", tmp_path / "cache") is None


def test_portkey_is_installed_with_npm_ci_from_the_committed_lockfile(bare_path, tmp_path,
                                                                     monkeypatch):
    _fake_tool(bare_path, "node", "v20.1.0")
    npm = _fake_tool(bare_path, "npm", "10.0.0")
    calls = []

    def fake_run(argv, what, *, cwd=None, hint=""):
        calls.append((argv, cwd))
        entry = cwd / "node_modules" / "@portkey-ai" / "gateway" / "build"
        entry.mkdir(parents=True)
        (entry / "start-server.js").write_text("")

    monkeypatch.setattr(_install, "_run", fake_run)
    got = install("portkey", tmp_path / "cache")
    root = tmp_path / "cache" / "portkey"
    (argv, cwd), = calls
    assert argv[:2] == [str(npm), "ci"]
    assert "--ignore-scripts" in argv
    assert cwd == root
    for name in ("package.json", "package-lock.json", "loopback.mjs"):
        assert (root / name).is_file()
    assert got.command[1:3] == ("--import", str(root / "loopback.mjs"))
    assert install("portkey", tmp_path / "cache").fresh is False


def test_a_failing_tool_is_one_line_with_its_last_words(tmp_path):
    script = tmp_path / "fails.sh"
    script.write_text("#!/bin/sh\necho 'ERROR: No matching distribution found' >&2\nexit 1\n")
    script.chmod(0o755)
    with pytest.raises(HarnessError, match=r"pip install x failed \(exit 1\); the registry .*: "
                                           r"ERROR: No matching distribution found"):
        _install._run([str(script)], "pip install x", hint="the registry must be reachable")


def test_default_cache_is_the_checkouts_gitignored_folder(monkeypatch):
    from gatecheck.interop import default_cache_dir

    monkeypatch.delenv("GATECHECK_INTEROP_CACHE", raising=False)
    cache = default_cache_dir()
    assert cache.parts[-2:] == (".gatecheck", "interop")
    monkeypatch.setenv("GATECHECK_INTEROP_CACHE", os.fspath("/tmp/elsewhere"))
    assert str(default_cache_dir()) == "/tmp/elsewhere"
