"""The page kit every gatecheck page shares: one layout, one stylesheet and script, widgets.

Reports, the comparison, the availability matrix and the published site are Jinja2
templates that extend ``base.html.j2`` and import the widgets of ``kit.html.j2`` (``pill``,
``banner``, ``cards``, ``meta``, ``section``, ``table``, ``copyable``). The stylesheet and
script are package data (``static/style.css``, ``static/app.js``) inlined at render time, so
every page is one self-contained file: the ``Content-Security-Policy`` meta tag of the
layout (``default-src 'none'``) makes the browser refuse anything fetched from elsewhere.
``app.js`` filters the table named by a ``<div class="filters" id="filters"
data-table="ID">`` bar (its ``select`` names match ``data-*`` attributes of the rows), folds
``tr.ev-row`` detail rows behind ``button.toggle`` buttons and copies ``pre`` blocks; it is
inert on pages without them.

A package renders its own templates with :func:`render` (``package="gatecheck.matrix"``
looks in ``gatecheck/matrix/templates`` first, then here). Every ``{{ value }}`` is escaped:
HTML by autoescaping, Markdown (``*.md.j2``) by :func:`~gatecheck.report._format.md_text`;
only :class:`markupsafe.Markup` (HTML built by gatecheck, such as an SVG chart) and the
``code``/``fence`` filters' output pass as they are. Escaping stops markup, not secrets: text
from a target must have been through the redactor before it gets here.

A page built in Python rather than a template::

    from gatecheck.report.page import Markup, page

    html = page("Availability", Markup("<p>6 of 7 up</p>"), nav=[("../index.html", "Runs")])
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib.resources import files
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from gatecheck.report._format import (
    html_text,
    md_code,
    md_fence,
    md_text,
    ms,
    num,
    plural,
    status_word,
    when,
)

__all__ = ["Markup", "esc", "page", "render", "static", "tone"]

_KIT = "gatecheck.report"

# Outcome and status words -> the pill colour class; unknown words get the neutral grey.
_TONES = {
    "passed": "ok", "pass": "ok", "fixed": "ok", "available": "ok", "up": "ok", "better": "ok",
    "failed": "bad", "fail": "bad", "regressed": "bad", "down": "bad", "error": "bad",
    "worse": "bad",
    "warned": "warn", "warn": "warn", "pass with warnings": "warn", "pass with failures": "warn",
    "suspected": "warn",
    "degraded": "warn",
    "xfailed": "dev", "known deviation": "dev", "inconclusive": "muted",
    "high": "bad", "medium": "warn", "low": "info", "info": "muted",
    "skipped": "muted", "none": "muted", "no checks ran": "muted", "n/a": "muted",
    "new": "info", "removed": "muted", "changed": "info", "same": "muted",
}

_SEVERITY_ICONS = {"high": "🔴", "medium": "🟠", "low": "🟡", "info": "🔵"}
esc = html_text  # for HTML built in Python (the SVG charts): the templates' own escaping


def tone(word: str) -> str:
    """The colour class for an outcome or status word (ok, bad, warn, dev, info, muted)."""
    return _TONES.get(word.strip().lower(), "muted")


@functools.cache
def static(name: str) -> Markup:
    """A stylesheet or script of ``report/static``, to inline in a page."""
    return Markup(files(_KIT).joinpath("static", name).read_text(encoding="utf-8"))


def _href(anchor: str) -> str:
    """A section id as "#id"; anything with a "." or "/" is a relative link to a page."""
    return anchor if "." in anchor or "/" in anchor or anchor.startswith("#") else f"#{anchor}"


def _excerpt(text: object, limit: int) -> str:
    text = "" if text is None else str(text)
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... ({len(text) - limit} more characters)"


def _rstrip(text: str) -> str:
    return text.rstrip()  # Markup.rstrip keeps it Markup (str.rstrip(text) would not)


@functools.cache
def _environment(package: str, markdown: bool) -> Environment:
    loaders = [PackageLoader(p, "templates") for p in dict.fromkeys((package, _KIT))]
    env = Environment(loader=ChoiceLoader(loaders), autoescape=not markdown,
                      finalize=md_text if markdown else html_text, trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True, undefined=StrictUndefined)
    env.filters.update(code=md_code, excerpt=_excerpt, fence=md_fence, href=_href, ms=ms,
                       num=num, plural=plural, rstrip=_rstrip, status_word=status_word,
                       tone=tone, when=when, severity_icon=_SEVERITY_ICONS.get)
    env.globals.update(static=static)
    return env


def render(template: str, package: str = _KIT, **context: Any) -> str:
    """Render ``template`` (``*.html.j2`` or ``*.md.j2``) of ``package`` with ``context``."""
    env = _environment(package, template.endswith(".md.j2"))
    return env.get_template(template).render(**context)


def page(title: str, body: Markup, *, subtitle: str = "", nav: Sequence[tuple[str, str]] = (),
         footer: str = "Generated by gatecheck.") -> str:
    """A whole self-contained HTML document around ``body`` (safe HTML).

    ``nav`` holds (anchor, label) pairs for the top bar: a section id, or a relative link
    to another page when the anchor has a "." or "/" in it (``"../index.html"``).
    """
    return render("page.html.j2", title=title, body=body, subtitle=subtitle, nav=nav,
                  footer=footer)
