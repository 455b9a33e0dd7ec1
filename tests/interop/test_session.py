"""python -m gatecheck.interop: argument handling and when a gateway's suites can run."""

from __future__ import annotations

import json

from gatecheck.interop._session import main, suites_blocker


def test_litellm_suites_can_run():
    assert suites_blocker("litellm") is None


def test_portkey_suites_wait_for_per_target_headers():
    from gatecheck.targets import schema_path

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    has_headers = "headers" in schema["$defs"]["target"]["properties"]
    reason = suites_blocker("portkey")
    assert (reason is None) == has_headers
    if reason is not None:
        assert "x-portkey-provider" in reason


def test_an_unknown_gateway_fails_before_installing_anything(tmp_path, capsys):
    code = main(["--gateways", "litellm,kong", "--cache", str(tmp_path / "cache"),
                 "--out", str(tmp_path / "out")])
    assert code == 1
    assert "unknown gateway 'kong': expected one of litellm, portkey" in capsys.readouterr().out
    assert not (tmp_path / "cache").exists()
    assert json.loads((tmp_path / "out" / "interop-figures.json").read_text()) == {}
