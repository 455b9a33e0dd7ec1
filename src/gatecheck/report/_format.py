"""Formatting and escaping shared by the Markdown and HTML renderings of a report.

Escaping, one function per format, applied by the template environments to every
``{{ value }}`` (see :mod:`gatecheck.report.page`), so target text cannot inject markup:

- :func:`html_text`: ``html.escape`` (quotes included) for text and attributes;
- :func:`md_text`: Markdown inline text and table cells: no raw HTML (``<``, ``&``), no
  new cell or line (``|``, newlines), no code span (backticks); :func:`md_code` and
  :func:`md_fence` build code spans and fenced blocks whose delimiters the text cannot close.

Both show control characters escaped (``\\x1b[2J``, ``\\r``): a report is read in terminals
and editors as well as browsers, and an escape sequence from a gateway must not clear a
screen or recolour a verdict there. Newlines and tabs survive only in multi-line blocks.
"""

from __future__ import annotations

import datetime as dt
import html
import re

from markupsafe import Markup

__all__ = ["Md", "html_text", "md_code", "md_fence", "md_text", "ms", "num", "plural",
           "shown", "status_word", "when"]

_ICON = re.compile(r"^[^A-Za-z]+")  # the emoji (and variation selector) before a status word
# C0 controls but newline and tab, DEL and C1 controls; \r is kept out of fences too (a
# lone \r ends a line in Markdown and rewinds a terminal line).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_HTML_SPECIAL = re.compile(r"[&<>\"'\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NAMED = {"\r": "\\r", "\x0b": "\\v", "\x0c": "\\f"}
_MD_INLINE = {"\\": "\\\\", "`": "\\`", "|": "\\|", "&": "&amp;", "<": "&lt;", "\n": " ",
              "\t": " "}
_MD_INLINE_RE = re.compile("|".join(re.escape(k) for k in _MD_INLINE))
_MD_SPECIAL = re.compile(r"[\\`|&<\n\t\x00-\x08\x0b-\x1f\x7f-\x9f]")
_TICKS = re.compile("`+")


class Md(str):
    """Markdown that is already safe (built by :func:`md_code`, :func:`md_fence`)."""

    __slots__ = ()


def shown(text: str) -> str:
    """``text`` with control characters (but newline and tab) spelt out: ESC -> ``\\x1b``."""
    return _CONTROL.sub(lambda m: _NAMED.get(m[0], f"\\x{ord(m[0]):02x}"), text)


def html_text(value: object) -> Markup:
    """Any value as HTML text or attribute value; ``None`` is empty, Markup stays as is."""
    if hasattr(value, "__html__"):
        return Markup(value)
    text = "" if value is None else str(value)
    if _HTML_SPECIAL.search(text):  # most values have nothing to escape: skip the work
        text = html.escape(shown(text), quote=True)
    return Markup(text)


def md_text(value: object) -> str:
    """Any value as Markdown inline text, safe in a table cell."""
    if isinstance(value, Md):
        return value
    text = str(value)
    if _MD_SPECIAL.search(text):  # most values have nothing to escape: skip the work
        text = shown(_MD_INLINE_RE.sub(lambda m: _MD_INLINE[m[0]], text))
    return text.strip()


def md_code(value: object) -> Md:
    """A code span holding ``value`` on one line, delimited past any backtick run in it.

    ``|`` is escaped for GFM tables (which split rows before reading code spans), so a
    pipe outside a table shows as ``\\|``; ``<`` is literal inside a code span.
    """
    text = shown(str(value).replace("\n", " ").replace("\t", " ")).replace("|", "\\|")
    if not text:
        return Md("")  # "``" would be two backticks, not an empty span
    ticks = "`" * (max((len(run) for run in _TICKS.findall(text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Md(f"{ticks}{pad}{text}{pad}{ticks}")


def md_fence(value: object, lang: str = "") -> Md:
    """A fenced block: a fence longer than any backtick run in the text cannot be closed."""
    text = shown(str(value)).rstrip("\n")
    fence = "`" * max(3, max((len(run) for run in _TICKS.findall(text)), default=0) + 1)
    return Md(f"{fence}{lang}\n{text}\n{fence}")


def plural(count: int, noun: str) -> str:
    """'1 check', '2 checks'; nouns ending in s, x, z, ch or sh take -es (witnesses)."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun}" + ("es" if noun.endswith(("s", "x", "z", "ch", "sh")) else "s")


def when(iso: str | None) -> str:
    """An ISO 8601 time as '2026-11-21 10:15:00 UTC' ('unknown' when missing)."""
    if not iso:
        return "unknown"
    try:
        stamp = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return stamp.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def status_word(status: str) -> str:
    """'❌ FAIL' -> 'FAIL': the words of a status string without its icon."""
    return _ICON.sub("", status).strip() or status


def ms(value: object, unit: str = " ms") -> str:
    """A figure in milliseconds for tables ("-" when unknown)."""
    if not isinstance(value, int | float):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}{unit}"
    return f"{value:.1f}{unit}" if abs(value) >= 10 else f"{value:.2f}{unit}"


def num(value: object, digits: int = 1) -> str:
    return f"{value:,.{digits}f}" if isinstance(value, int | float) else "-"
