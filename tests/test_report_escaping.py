"""Target text cannot inject markup or terminal escapes into a report, in either format.

The escaping functions are checked with Hypothesis, then whole reports (and the matrix)
rendered from records full of hostile text are read back by real parsers: markdown-it-py
(CommonMark with GFM tables) for the Markdown, html.parser for the HTML.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from gatecheck.matrix import render_matrix_html, render_matrix_md
from gatecheck.matrix.history import Availability, MatrixRow
from gatecheck.report import RunMeta, render_html, render_markdown
from gatecheck.report._format import html_text, md_code, md_fence, md_text, shown
from gatecheck.results import read_results

SAMPLE = Path(__file__).parent / "data" / "results_sample.jsonl"
BOUNDED = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow])
WHOLE = settings(BOUNDED, max_examples=25)
# C0 but newline and tab, DEL, C1: what must never reach a report raw.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
EVIL = ("<script>alert(1)</script> | cell\nline `x` ```\n````\n "
        "\x1b[2J\x1b[32mPASS\x1b[0m \x9b1m \x07 &amp; \\")

# Any text, heavy on what Markdown, HTML and terminals treat specially.
hostile = st.text(st.one_of(st.sampled_from("<>&|`\\\n\r\t\x1b\x9b\x00\x7f\"'[]*_#-!"),
                            st.characters()), max_size=80)
markdown = MarkdownIt("commonmark").enable("table")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.cells: list[list[str]] = []  # text of each <td>/<th>, per row
        self.text = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.cells.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.cells[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._cell is not None:
            self._cell.append(data)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


@BOUNDED
@given(hostile)
def test_markdown_text_opens_no_html_cell_line_or_code_span(text: str) -> None:
    out = md_text(text)
    assert "<" not in out
    assert "\n" not in out
    assert "\r" not in out
    assert not CONTROL.search(out)
    # every backslash escapes the character after it: no bare | or ` is left
    assert re.fullmatch(r"(?:[^\\`|]|\\.)*", out, re.DOTALL)
    rendered = _parse(markdown.render(f"| a |\n|---|\n| {out} |\n"))
    assert rendered.tags == ["table", "thead", "tr", "th", "tbody", "tr", "td"][
        :len(rendered.tags)]
    assert len(rendered.cells) <= 2
    assert all(len(row) == 1 for row in rendered.cells)


@BOUNDED
@given(hostile)
def test_markdown_code_span_holds_the_whole_text(text: str) -> None:
    out = md_code(text)
    assert "\n" not in out
    assert not CONTROL.search(out)
    assert not re.search(r"(?<!\\)\|", out)  # GFM tables split rows on a bare pipe
    expected = shown(text.replace("\n", " ").replace("\t", " ")).replace("|", "\\|")
    if not expected:
        assert out == ""
        return
    children = markdown.parseInline(out)[0].children or []
    assert [t.type for t in children] == ["code_inline"]
    assert children[0].content.strip(" ") == expected.strip(" ")


@BOUNDED
@given(hostile, st.sampled_from(["", "bash"]))
@example("body\n```` and ``````\n````", "")
def test_markdown_fence_cannot_be_closed_by_the_text(text: str, lang: str) -> None:
    out = md_fence(text, lang)
    assert not CONTROL.search(out)
    tokens = markdown.parse(out + "\n\nafter\n")
    assert [t.type for t in tokens][:1] == ["fence"]
    assert tokens[0].info == lang
    assert tokens[0].content.rstrip("\n") == shown(text).rstrip("\n")
    assert [t.type for t in tokens[1:]] == ["paragraph_open", "inline", "paragraph_close"]


@BOUNDED
@given(hostile)
def test_html_text_is_only_text(text: str) -> None:
    out = html_text(text)
    assert not re.search(r"[<>\"']", out)
    assert not CONTROL.search(out)
    page = _parse(f'<p title="{out}">{out}</p>')
    assert page.tags == ["p"]
    assert page.text == shown(text) == html.unescape(str(out))


def _hostile_records(text: str) -> list[dict]:
    out = []
    for record in (result.to_json() for result in read_results(SAMPLE)):
        if record.get("outcome") in ("failed", "warned", "skipped", "xfailed"):
            record = {**record, "message": text or "m", "observed": text, "expected": text,
                      "title": text, "warnings": [text] if record["outcome"] == "warned" else []}
            if isinstance(record.get("exchange"), dict):
                record["exchange"] = {**record["exchange"], "response_body": text,
                                      "url": text, "curl": text}
        out.append(record)
    return out


@WHOLE
@given(st.one_of(st.just(EVIL), hostile))
def test_a_markdown_report_of_hostile_text_keeps_its_structure(text: str) -> None:
    records = _hostile_records(text)
    md = render_markdown(records, RunMeta.from_results(records))
    assert not CONTROL.search(md)
    tokens = markdown.parse(md)
    plain = _hostile_records("x" if text else "")
    assert [t.type for t in tokens] == [  # the same blocks as for harmless text
        t.type for t in markdown.parse(render_markdown(plain, RunMeta.from_results(plain)))]
    assert not [t for t in tokens if t.type == "html_block"]
    assert not [c for t in tokens for c in t.children or [] if c.type == "html_inline"]
    page = _parse(markdown.render(md))
    assert "script" not in page.tags
    # every table row keeps its columns, and a title cell holds exactly the title
    # (its spaces at the ends aside)
    titles = {shown(r["title"].replace("\n", " ").replace("\t", " ")).strip(" ")
              for r in records}
    ids = {r["check_id"] for r in records}
    detail_rows = [row for row in page.cells if len(row) == 4 and row[0] in ids]
    assert len(detail_rows) == len(records)
    assert {row[2].strip(" ") for row in detail_rows} <= titles | {""}
    fences = [t for t in tokens if t.type == "fence"]
    bodies = sum(1 for r in records if r.get("outcome") in ("failed", "warned")
                 and isinstance(r.get("exchange"), dict))
    # a body and a curl per finding (when not empty), and the reproduce block
    assert len(fences) == 1 + (2 * bodies if text else 0)


@WHOLE
@given(st.one_of(st.just(EVIL), hostile))
def test_an_html_report_of_hostile_text_holds_it_as_text(text: str) -> None:
    records = _hostile_records(text)
    page = _parse(render_html(records, RunMeta.from_results(records)))
    assert not CONTROL.search(page.text)
    # the same elements as for harmless text: nothing the target sent became markup
    plain = _hostile_records("x" if text else "")
    assert page.tags == _parse(render_html(plain, RunMeta.from_results(plain))).tags
    if text:
        assert shown(text) in page.text


def test_the_matrix_escapes_what_a_provider_sent() -> None:
    row = MatrixRow(target="t", provider=EVIL, model="@x/" + EVIL, surface="openai",
                    status="down", probes=(), last7=Availability(0, 1),
                    last30=Availability(0, 1), trend=(("2026-11-21", "down"),))
    md = render_matrix_md([row], generated_at="now")
    assert not CONTROL.search(md)
    assert not [c for t in markdown.parse(md) for c in t.children or []
                if c.type == "html_inline"]
    page = _parse(render_matrix_html([row], generated_at="now"))
    assert page.tags.count("script") == 1
    assert not CONTROL.search(page.text)
    assert shown(EVIL) in page.text


@pytest.mark.parametrize(("text", "escaped"), [
    ("\x1b[2J", "\\x1b[2J"), ("a\rb", "a\\rb"), ("\x9b", "\\x9b"), ("tab\tok\n", "tab\tok\n")])
def test_control_characters_are_spelt_out(text: str, escaped: str) -> None:
    assert shown(text) == escaped
