"""for_terminal: target text shown with its control characters escaped, never emitted."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatecheck._terminal import for_terminal
from tests.apps._hostile_bodies import ESCAPE_TEXT


@pytest.mark.parametrize(("text", "shown"), [
    ("\x1b[2J\x1b[H\x1b[1;32mPASS\x1b[0m", "\\x1b[2J\\x1b[H\\x1b[1;32mPASS\\x1b[0m"),
    ("\x1b]0;pwned\x07title", "\\x1b]0;pwned\\x07title"),  # OSC window title, BEL
    ("\x9b31mred", "\\x9b31mred"),  # C1 CSI
    ("FAILED\x08\x08\x08\x08\x08\x08PASSED", "FAILED\\x08\\x08\\x08\\x08\\x08\\x08PASSED"),
    ("1 failed\rall passed", "1 failed\\rall passed"),  # CR overwrites the line
    ("lone \x1b and \x7f", "lone \\x1b and \\x7f"),
    ("evil\u202eFAIL", "evil\\u202eFAIL"),  # bidi override
    ("line\r\nnext\n\tindented", "line\nnext\n\tindented"),
    ("héllo wörld 日本語 🎉 <script>", "héllo wörld 日本語 🎉 <script>"),  # printable: kept
])
def test_controls_are_shown_escaped(text, shown):
    assert for_terminal(text) == shown


def test_one_line_and_no_tabs():
    assert for_terminal("a\r\nb\tc", newlines=False) == "a\\r\\nb\tc"
    assert for_terminal("a\tb", tabs=False) == "a\\tb"


def test_the_hostile_gateway_text_has_no_raw_escape_left():
    out = for_terminal(ESCAPE_TEXT)
    for raw in ("\x1b", "\x9b", "\r", "\x08", "\x07"):
        assert raw not in out
    assert "overall PASS" in out  # the text is evidence: shown, not dropped


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or 0x80 <= ord(char) <= 0x9F


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=60)
       | st.lists(st.sampled_from(["\x1b[", "\x9b", "\x1b]", "\x07", "\r", "\n", "\t", "\x08",
                                   "\x00", "\x7f", "\u202e", "a", "é", "🎉", "2J", ";"]),
                  max_size=20).map("".join))
def test_output_never_holds_a_control_but_newline_and_tab(text):
    out = for_terminal(text)
    assert all(char in "\n\t" or not _is_control(char) for char in out)
    one_line = for_terminal(text, newlines=False, tabs=False)
    assert not any(_is_control(char) for char in one_line)
    assert for_terminal(out) == out  # nothing left to escape
    printable = "".join(c for c in text if c.isprintable())
    if printable == text:
        assert out == text
