"""What a new user types, run as they would run it: each command in its own process (issue 13).

Plain pytest on the suites from the checkout (items 1 and 2: the suites' own pytest.ini,
no entry point loading gatecheck into unrelated projects), an unreachable target said once
(item 7), and commands given a bad path or a URL carrying a secret (item 8): one line, a
non-zero exit, and no secret on the console.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECRET = "sk-proj-" + "Q7" * 16  # key-shaped, never a real key
PASSWORD = "hunter2-not-a-key"  # not key-shaped: only its place in the URL marks it
PLAIN = "hunter2pass"  # no shape at all: as a password or a query value, only its place
TIMEOUT_S = 240

pytestmark = pytest.mark.slow  # each test starts Python processes


def _env(**extra: str) -> dict[str, str]:
    # A clean environment: nothing of the outer pytest (xdist worker ids, the current test)
    # leaks into the child, as nothing would on a user's shell.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "GATECHECK_")) and k != "COVERAGE_PROCESS_START"}
    env.update(extra)
    return env


def _run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=_env(**env), text=True,
                          capture_output=True, timeout=TIMEOUT_S, check=False)


def _refused_port() -> int:
    with socket.socket() as sock:  # bound, never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("how", ["--target", "GATECHECK_TARGET"])
def test_plain_pytest_runs_the_suites_from_the_checkout(how):
    args = ["-m", "pytest", "suites", "-q", "-p", "no:randomly", "-k", "test_health1_liveness"]
    if how == "--target":
        done = _run(*args, "--target", "reference", cwd=ROOT)
    else:
        done = _run(*args, cwd=ROOT, GATECHECK_TARGET="reference")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_an_unrelated_project_beside_pytest_base_url_is_left_alone(tmp_path):
    (tmp_path / "test_one.py").write_text("def test_one(base_url):\n    assert base_url\n")
    done = _run("-m", "pytest", "-q", "-p", "no:randomly", "--base-url", "http://x.invalid",
                "-p", "no:cacheprovider", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert "gatecheck" not in done.stdout + done.stderr


def test_an_unreachable_target_is_said_once_and_the_run_is_inconclusive(tmp_path):
    targets = tmp_path / "targets.toml"
    targets.write_text(f'''
[[target]]
name = "gone"
description = "nothing listens here"
base-url = "http://127.0.0.1:{_refused_port()}/v1"
features = ["streaming", "models"]
[target.surfaces.openai]
auth = ["bearer"]
[target.surfaces.anthropic]
auth = ["x-api-key"]
[target.auth]
scheme = "bearer"
env = "GONE_KEY"
''')
    done = _run("-m", "gatecheck", "run", "--targets-file", str(targets), "--target", "gone",
                "--out", str(tmp_path / "reports"), cwd=tmp_path, GONE_KEY="sk-local-test")
    assert done.returncode == 3, done.stdout + done.stderr
    said = [line for line in done.stdout.splitlines() if "unreachable at" in line]
    assert 1 <= len(said) <= 2  # once when found, once in the summary's inconclusive line
    assert done.stdout.count("Connection refused") == len(said)
    assert (tmp_path / "reports" / "latest" / "report.md").is_file()


def test_publish_to_an_unwritable_place_is_one_line(tmp_path):
    (tmp_path / "reports").mkdir()
    done = _run("-m", "gatecheck", "publish", "--out", "/proc/gatecheck-site", cwd=tmp_path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_publish_leaves_a_directory_it_did_not_write_as_it_was(tmp_path):
    (tmp_path / "reports").mkdir()
    home = tmp_path / "home"
    (home / "runs").mkdir(parents=True)
    (home / "runs" / "mine.txt").write_text("not gatecheck's")
    done = _run("-m", "gatecheck", "publish", "--out", str(home), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert (home / "runs" / "mine.txt").is_file()
    assert not (home / "index.html").exists()


def _leaky_targets(path: Path, base_url: str) -> Path:
    path.write_text(f'''
[[target]]
name = "leaky"
description = "a base URL carrying a secret"
base-url = "{base_url}"
[target.surfaces.openai]
auth = ["bearer"]
[target.auth]
scheme = "bearer"
env = "LEAKY_KEY"
''')
    return path


def _assert_no_secret(shown: str) -> None:
    for secret in (SECRET[:12], PASSWORD, PLAIN, "ABCDEFGH"):
        assert secret not in shown, shown


LEAKY_URLS = [
    pytest.param("http://127.0.0.1:9/v1?key=sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ123456",
                 id="key-in-query"),
    pytest.param(f"http://127.0.0.1:9/v1?key={PLAIN}", id="password-in-query"),
    pytest.param(f"ftp://alice:{PLAIN}@host/v1", id="password-not-http"),
]


@pytest.mark.parametrize("url", LEAKY_URLS)
def test_plain_pytest_refuses_a_bad_base_url_without_echoing_its_secret(url, tmp_path):
    targets = _leaky_targets(tmp_path / "targets.toml", url)
    done = _run("-m", "pytest", "suites", "-p", "no:randomly", "--target", "leaky",
                "--gatecheck-targets-file", str(targets), cwd=ROOT)
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage error
    assert "target[0].base-url" in done.stderr
    _assert_no_secret(done.stdout + done.stderr)


@pytest.mark.parametrize("url", LEAKY_URLS)
def test_targets_refuses_a_bad_base_url_without_echoing_its_secret(url, tmp_path):
    targets = _leaky_targets(tmp_path / "targets.toml", url)
    done = _run("-m", "gatecheck", "targets", "--targets-file", str(targets), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    _assert_no_secret(done.stdout + done.stderr)


@pytest.mark.parametrize(("command", "url"), [
    ("run", f"gopher://h/v1?token={PLAIN}"),
    ("load", f"gopher://h/v1?token={PLAIN}"),
    ("matrix", f"gopher://h/v1?token={PLAIN}"),
    ("run", f"http://127.0.0.1:9/v1?key={PLAIN}"),  # once started a run, echoing the key
    ("run", f"http://alice:{PLAIN}@127.0.0.1:99999/v1"),
    ("run", f"http://alice:{PLAIN}@[::1/v1"),
    ("run", f"http://{PLAIN}@"),
])
def test_a_bad_base_url_override_is_one_line_and_exit_2(command, url, tmp_path):
    # --base-url NAME=URL is held to the rule of targets.toml's base-url, before anything runs
    done = _run("-m", "gatecheck", command, "--target", "reference", "--base-url",
                f"reference={url}", "--out", str(tmp_path / "out"), cwd=ROOT)
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("gatecheck: error: --base-url 'reference="), done.stderr
    _assert_no_secret(done.stdout + done.stderr)
    assert not (tmp_path / "out").exists()


def test_plain_pytest_names_its_own_flag_for_a_bad_base_url_override():
    done = _run("-m", "pytest", "suites", "-p", "no:randomly", "--target", "reference",
                "--gatecheck-base-url", f"reference=http://127.0.0.1:9/v1?key={PLAIN}",
                cwd=ROOT)
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage error
    assert "--gatecheck-base-url 'reference=" in done.stderr, done.stderr
    _assert_no_secret(done.stdout + done.stderr)


def test_targets_never_prints_a_password_or_key_in_a_base_url(tmp_path):
    targets = tmp_path / "targets.toml"
    targets.write_text(f'''
[[target]]
name = "pw"
description = "a base URL with a password"
base-url = "http://alice:{PASSWORD}@127.0.0.1:9/v1"
[target.surfaces.openai]
auth = ["bearer"]
[target.auth]
scheme = "bearer"
env = "PW_KEY"

[[target]]
name = "plain"
description = "a password with no shape at all"
base-url = "http://bob:{PLAIN}@127.0.0.1:9/v1"
[target.surfaces.openai]
auth = ["bearer"]
[target.auth]
scheme = "bearer"
env = "PLAIN_KEY"

[[target]]
name = "key"
description = "a key pasted as the user of a base URL"
base-url = "http://{SECRET}@127.0.0.1:9/v1"
[target.surfaces.openai]
auth = ["bearer"]
[target.auth]
scheme = "bearer"
env = "KEY_KEY"
''')
    done = _run("-m", "gatecheck", "targets", "--targets-file", str(targets), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    shown = done.stdout + done.stderr
    assert "127.0.0.1:9/v1" in shown
    assert PASSWORD not in shown
    assert PLAIN not in shown
    assert SECRET not in shown
    assert SECRET[:20] not in shown


def test_a_bad_base_url_carrying_a_key_is_refused_without_echoing_it(tmp_path):
    done = _run("-m", "gatecheck", "run", "--target", "reference", "--base-url",
                f"reference=ftp://127.0.0.1:9/v1?key={SECRET}", "--out", str(tmp_path),
                cwd=ROOT)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert SECRET[:12] not in done.stdout + done.stderr
