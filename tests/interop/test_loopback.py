"""interop/portkey/loopback.mjs: whatever address a Node server asks for, it listens on
127.0.0.1 (Portkey's start-server has no host option). Runs node; no network."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from gatecheck.interop import data_dir

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node on PATH")

# Each way of calling listen() that @hono/node-server or another server might use.
SCRIPT = """
import net from "node:net";
const forms = [
  (s, cb) => s.listen(0, cb),
  (s, cb) => s.listen(0, undefined, cb),
  (s, cb) => s.listen(0, "0.0.0.0", cb),
  (s, cb) => s.listen(0, "::", 511, cb),
  (s, cb) => s.listen({port: 0}, cb),
  (s, cb) => s.listen({port: 0, host: "0.0.0.0"}, cb),
];
const out = [];
for (const form of forms) {
  const server = net.createServer();
  await new Promise((resolve) => form(server, resolve));
  out.push(server.address().address);
  server.close();
}
console.log(JSON.stringify(out));
"""


def _addresses(tmp_path, env=None):
    script = tmp_path / "listen.mjs"
    script.write_text(SCRIPT)
    done = subprocess.run(
        ["node", "--import", str(data_dir("portkey") / "loopback.mjs"), str(script)],
        capture_output=True, text=True, timeout=30, check=True, env=env)
    return json.loads(done.stdout)


def test_every_listen_form_binds_loopback(tmp_path):
    assert _addresses(tmp_path) == ["127.0.0.1"] * 6


def test_without_the_preload_node_would_listen_everywhere(tmp_path):
    script = tmp_path / "plain.mjs"
    script.write_text('import net from "node:net";\nconst s = net.createServer();\n'
                      's.listen(0, () => { console.log(s.address().address); s.close(); });\n')
    done = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=30,
                          check=True)
    assert done.stdout.strip() in ("::", "0.0.0.0")
