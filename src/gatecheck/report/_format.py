"""Formatting and escaping shared by the Markdown and HTML renderings of a report.

Escaping, one function per format, applied by the template environments to every
``{{ value }}`` (see :mod:`gatecheck.report.page`): :func:`html_text` (``html.escape``,
quotes included) and :func:`md_text` (Markdown table cells: no new cell or line);
:func:`md_code` and :func:`md_fence` build code spans and fenced blocks.
"""

from __future__ import annotations

import datetime as dt
import html
import re

from markupsafe import Markup

__all__ = ["Md", "html_text", "md_code", "md_fence", "md_text", "ms", "num", "plural",
           "shown", "status_word", "when"]

_ICON = re.compile(r"^[^A-Za-z]+")  # the emoji (and variation selector) before a status word
_HTML_SPECIAL = re.compile(r"[&<>\"']")
_MD_INLINE = {"|": "\\|", "\n": " "}
_MD_INLINE_RE = re.compile("|".join(re.escape(k) for k in _MD_INLINE))


class Md(str):
    """Markdown that is already safe (built by :func:`md_code`, :func:`md_fence`)."""

    __slots__ = ()


def shown(text: str) -> str:
    """``text`` as it is shown (control characters as they are, for now)."""
    return text


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
    return shown(_MD_INLINE_RE.sub(lambda m: _MD_INLINE[m[0]], str(value))).strip()


def md_code(value: object) -> Md:
    """A code span holding ``value``; ``|`` is escaped for GFM tables."""
    text = str(value).replace("|", "\\|")
    return Md(f"`{text}`")


def md_fence(value: object, lang: str = "") -> Md:
    """A fenced block (a longer fence when the text holds one)."""
    text = shown(str(value)).rstrip("\n")
    fence = "````" if "```" in text else "```"
    return Md(f"{fence}{lang}\n{text}\n{fence}")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


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
