"""The real gateways, when `nox -s interop` (or gatecheck.interop.install) has installed them:
each starts on loopback over the mock, routes both surfaces to it, and is gone after stop."""

from __future__ import annotations

import os

import pytest

from gatecheck.embedded import serve_in_thread
from gatecheck.interop import installed, start
from gatecheck.interop._smoke import smoke
from gatecheck.mock import create_app

pytestmark = [pytest.mark.interop, pytest.mark.slow]


def _listening_ports(pid: int) -> set[tuple[str, int]]:
    """(address, port) of the TCP sockets process ``pid`` listens on (from /proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        with open(table, encoding="ascii") as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    address, port = fields[1].split(":")
                    found.add((address if width == 32 else _ipv4(address), int(port, 16)))
    return found


def _ipv4(hex_le: str) -> str:
    return ".".join(str(int(hex_le[i:i + 2], 16)) for i in (6, 4, 2, 0))


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", ["litellm", "portkey"])
def test_gateway_starts_on_loopback_routes_to_the_mock_and_stops(name):
    if installed(name) is None:
        pytest.skip(f"{name} is not installed: run `gatecheck interop` (nox -s interop) once")
    with serve_in_thread(create_app(), quiet_aborts=True) as mock_url, \
            start(name, mock_url, startup_timeout=120) as gateway:
        pid = gateway.pid
        port = int(gateway.base_url.rsplit(":", 1)[1].split("/")[0])
        listening = _listening_ports(pid)
        assert ("127.0.0.1", port) in listening
        assert all(address == "127.0.0.1" for address, _ in listening), listening
        results = smoke(gateway)
        assert [(r.surface, r.status, r.reached_mock) for r in results] == [
            ("openai", 200, True), ("anthropic", 200, True)]
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
