"""The interop session's matrix: rows per check variant, cells per gateway, pages written."""

from __future__ import annotations

from gatecheck.compat import compat_rows, run_interop, write_compat
from gatecheck.results import CheckResult


def _result(target, test, outcome, message=None, check_id="AUTH-3"):
    return CheckResult(target=target, check_id=check_id, test=test, title="t",
                       category="Authentication", level="MUST", outcome=outcome,
                       message=message)


def test_rows_join_the_same_check_across_gateways_without_the_target_parameter():
    runs = {
        "reference": [_result("reference", "s/test_a.py::test_x[openai-reference]", "passed")],
        "litellm": [_result("litellm", "s/test_a.py::test_x[openai-litellm]", "failed",
                            "wrong key: 400 no_db_connection\nmore")],
    }
    (row,) = compat_rows(runs)
    assert row.variant == "test_x[openai]"
    assert row.cells["reference"].outcome == "passed"
    assert row.cells["reference"].why == ""
    assert row.cells["litellm"].why == "wrong key: 400 no_db_connection more"


def test_the_pages_say_every_cell_and_escape_what_gateways_sent(tmp_path):
    runs = {"portkey": [_result("portkey", "s/t.py::test_y[portkey]", "failed", "<script>x")]}
    paths = write_compat(tmp_path, compat_rows(runs), ["portkey"], {"portkey": {"run_s": 3}},
                         {"portkey": "../run/report.html"})
    html = (tmp_path / "compat.html").read_text()
    md = (tmp_path / "compat.md").read_text()
    assert [p.name for p in paths] == ["compat.md", "compat.html"]
    assert "<script>x" not in html
    assert "&lt;script&gt;x" in html
    assert "failed" in md
    assert "<script>" not in md
    assert (tmp_path / "figures.json").is_file()


def test_an_unknown_gateway_fails_before_installing_anything(tmp_path):
    import pytest

    from gatecheck import UsageError

    with pytest.raises(UsageError, match="unknown target 'kong'"):
        run_interop(["reference", "kong"], out=tmp_path)
    assert not (tmp_path / "interop").exists()
