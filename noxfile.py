"""Sessions for gatecheck's own CI and for users: tests, lint, conformance, load, matrix.

Python versions and dependencies come from pyproject.toml; nothing is repeated here.
"""

from __future__ import annotations

import os
import shutil

import nox

nox.options.sessions = ["lint", "tests", "conformance"]
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHON = PYPROJECT["project"]["requires-python"].removeprefix(">=")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The harness's own tests (tests/), in parallel."""
    session.install("-e", ".[test]")
    # pytest exits 5 when a selection (e.g. `-- -m redis`) collects nothing: not a failure.
    session.run(
        "pytest", "-n", "auto", "-p", "no:randomly", *session.posargs, success_codes=[0, 5]
    )


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff, mypy (strict on src/), import-linter (the package's layers), actionlint."""
    session.install("-e", ".[lint]")
    session.run(
        "ruff", "check", "src", "tests", "suites", "locustfiles", "benchmarks", "noxfile.py"
    )
    session.run("mypy")
    session.run("lint-imports")
    session.run("actionlint")  # every workflow, with shellcheck on each run: script


@nox.session(python=PYTHON)
def conformance(session: nox.Session) -> None:
    """The main job: `gatecheck run` against the embedded default (or `-- --target NAME`)."""
    session.install("-e", ".")
    session.run("gatecheck", "run", *session.posargs)


@nox.session(python=PYTHON)
def load(session: nox.Session) -> None:
    """A short, bounded smoke load against the embedded default (or `-- --target NAME ...`)."""
    session.install("-e", ".")
    args = session.posargs or [
        "--scenario", "stream", "--users", "10", "--duration", "10s", "--warmup", "2s",
    ]
    session.run("gatecheck", "load", *args)


@nox.session(python=PYTHON)
def matrix(session: nox.Session) -> None:
    """The provider availability matrix (offline demo with no arguments)."""
    session.install("-e", ".")
    session.run("gatecheck", "matrix", *session.posargs)


@nox.session(python=PYTHON)
def interop(session: nox.Session) -> None:
    """The real gateways (LiteLLM, Portkey) at pinned versions next to the reference.

    Installs each gateway into .gatecheck/interop/ (LiteLLM in a virtualenv of its own,
    Portkey with npm; Node and npm from Debian's packages where missing), runs the suites
    against each over a mock of its own (started and stopped by PID), and writes the
    compatibility matrix to reports/interop/, with a Performance table from a short load
    run against each gateway after its suites (about a minute each; `-- --no-perf` skips
    it). `-- --targets reference,litellm`, `-- -k EXPR`.
    """
    session.install("-e", ".")
    args = list(session.posargs)
    if not (shutil.which("node") and shutil.which("npm")):
        if shutil.which("apt-get") and os.geteuid() == 0:  # a Debian CI runner or dev box
            session.run("apt-get", "update", "-q", external=True)
            session.run("apt-get", "install", "-y", "-q", "--no-install-recommends",
                        "nodejs", "npm", external=True)
        elif not any(arg.startswith("--targets") for arg in args):
            session.warn("Portkey needs Node.js 18+ and npm (Debian: apt-get install nodejs "
                         "npm): running the reference and LiteLLM only")
            args += ["--targets", "reference,litellm"]
    session.run("gatecheck", "interop", *args)
