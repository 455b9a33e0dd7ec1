"""Installing a real gateway into gatecheck's interop cache, once per pinned version.

LiteLLM goes into a virtualenv of its own under the cache (never into gatecheck's
environment: its pins would fight gatecheck's). Portkey is an npm project under the cache,
copied from ``interop/portkey/`` and installed with ``npm ci`` from the committed lockfile.
Node and npm themselves come from the system (the nox session or CI installs Debian's
``nodejs`` and ``npm``); when they are missing, the error says so and how to get them.

An install writes ``installed.json`` last; a later call with the same pins and files finds
it and returns at once, so a half-finished install is simply redone.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from gatecheck import HarnessError
from gatecheck.interop._specs import GatewaySpec, data_dir, default_cache_dir, gateway_spec

__all__ = ["NODE_MIN_MAJOR", "InstalledGateway", "install", "installed", "node_tools"]

MARKER = "installed.json"
INSTALL_TIMEOUT_S = 900.0  # one pip or npm command; a cold LiteLLM install takes ~30-60 s
NODE_MIN_MAJOR = 18  # hono and @hono/node-server need Node 18+


@dataclass(frozen=True, slots=True)
class InstalledGateway:
    """Where an installed gateway lives and what starting it runs."""

    name: str
    root: Path  # <cache>/<name>
    command: tuple[str, ...]  # the gateway's own entry point, without per-start arguments
    fresh: bool = False  # installed by this call (False: found in the cache)
    seconds: float = 0.0  # how long this call took


def install(name: str, cache_dir: Path | None = None, *, force: bool = False) -> InstalledGateway:
    """Install gateway ``name`` at its pinned version unless the cache already has it."""
    spec = gateway_spec(name)
    root = (cache_dir or default_cache_dir()) / spec.name
    started = time.perf_counter()
    found = None if force else installed(name, cache_dir)
    if found is not None:
        return found
    if spec.runtime == "python":
        _install_python(spec, root)
    else:
        _install_node(spec, root)
    (root / MARKER).write_text(json.dumps(_fingerprint(spec), indent=2) + "\n", encoding="utf-8")
    result = installed(name, cache_dir)
    if result is None:  # pragma: no cover - the marker was just written
        raise HarnessError(f"{name}: the install finished but its entry point is missing")
    return InstalledGateway(result.name, result.root, result.command, fresh=True,
                            seconds=time.perf_counter() - started)


def installed(name: str, cache_dir: Path | None = None) -> InstalledGateway | None:
    """The cached install of ``name`` if it matches the current pins, else None."""
    spec = gateway_spec(name)
    root = (cache_dir or default_cache_dir()) / spec.name
    try:
        marker = json.loads((root / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if marker != _fingerprint(spec):
        return None
    command = _command(spec, root)
    if not Path(command[0]).exists() or not Path(command[-1]).exists():
        return None
    return InstalledGateway(spec.name, root, command)


def _command(spec: GatewaySpec, root: Path) -> tuple[str, ...]:
    if spec.runtime == "python":
        return (str(_venv_bin(root) / "litellm"),)
    node = shutil.which("node") or "node"
    entry = root / "node_modules" / "@portkey-ai" / "gateway" / "build" / "start-server.js"
    return (node, "--import", str(root / "loopback.mjs"), str(entry))


def _venv_bin(root: Path) -> Path:
    return root / "venv" / ("Scripts" if sys.platform == "win32" else "bin")


def _fingerprint(spec: GatewaySpec) -> dict[str, str]:
    """The pins plus, for npm, a hash of the copied files: any change forces a reinstall."""
    marker = {"spec": spec.fingerprint, "python": sys.version.split()[0]}
    if spec.runtime == "node":
        digest = hashlib.sha256()
        for file in spec.requirements:
            digest.update((data_dir(spec.name) / file).read_bytes())
        marker["files"] = digest.hexdigest()
    return marker


def _install_python(spec: GatewaySpec, root: Path) -> None:
    venv = root / "venv"
    if venv.exists():
        shutil.rmtree(venv)  # a stale or half-made env: start clean
    root.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "venv", str(venv)], f"{spec.name}: creating its virtualenv",
         hint="the Python running gatecheck needs the venv module (Debian: python3-venv)")
    _run([str(_venv_bin(root) / "python"), "-m", "pip", "install", "--quiet",
          "--disable-pip-version-check", *spec.requirements],
         f"{spec.name}: pip install {' '.join(spec.requirements)}",
         hint="the Python package registry must be reachable")


def node_tools() -> tuple[str, str]:
    """Paths of ``node`` and ``npm``; a HarnessError saying what is missing and how to get it."""
    node, npm = shutil.which("node"), shutil.which("npm")
    missing = [tool for tool, path in (("node", node), ("npm", npm)) if path is None]
    if missing or node is None or npm is None:
        raise HarnessError(
            f"the Portkey gateway needs Node.js {NODE_MIN_MAJOR}+ and npm; not on PATH: "
            f"{', '.join(missing)} (Debian/Ubuntu: apt-get install nodejs npm)")
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30,
                         check=False).stdout.strip()
    major = out.lstrip("v").split(".")[0]
    if not major.isdigit() or int(major) < NODE_MIN_MAJOR:
        raise HarnessError(f"the Portkey gateway needs Node.js {NODE_MIN_MAJOR}+; "
                           f"{node} is {out or 'of unknown version'}")
    return node, npm


def _install_node(spec: GatewaySpec, root: Path) -> None:
    _, npm = node_tools()
    root.mkdir(parents=True, exist_ok=True)
    for file in spec.requirements:
        shutil.copyfile(data_dir(spec.name) / file, root / file)
    shutil.rmtree(root / "node_modules", ignore_errors=True)
    # npm ci installs exactly the committed lockfile. --ignore-scripts: the one install
    # script in the tree is the gateway's own `patch-package`, which has no patches to
    # apply in the published package (they are not in its "files").
    _run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
         f"{spec.name}: npm ci", cwd=root, hint="the npm registry must be reachable")


def _run(argv: list[str], what: str, *, cwd: Path | None = None, hint: str = "") -> None:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                              timeout=INSTALL_TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise HarnessError(f"{what}: {argv[0]} not found") from None
    except subprocess.TimeoutExpired:
        raise HarnessError(f"{what}: still running after {INSTALL_TIMEOUT_S:.0f} s; "
                           "stopped") from None
    if done.returncode != 0:
        tail = _tail(done.stderr or done.stdout)
        raise HarnessError(f"{what} failed (exit {done.returncode}){'; ' + hint if hint else ''}"
                           f"{': ' + tail if tail else ''}")


def _tail(text: str, lines: int = 3) -> str:
    """The last meaningful lines of a tool's output (without pip's per-package warnings
    about configured local indexes that do not exist)."""
    keep = [line.strip() for line in text.splitlines()
            if line.strip() and "is ignored: it is neither a file nor a directory" not in line]
    return " | ".join(keep[-lines:])[:600]
