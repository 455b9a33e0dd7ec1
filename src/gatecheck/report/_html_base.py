"""The page shell every gatecheck HTML page shares: CSS, a strict offline policy, small widgets.

Reports, the comparison page, the availability matrix and the published site all call
:func:`page` so they look alike and stay self-contained: one file, inline CSS and script,
no fonts, images or scripts from anywhere. The ``Content-Security-Policy`` meta tag makes the
browser enforce that at view time (``default-src 'none'``): a page that tried to fetch
anything would fail loudly in the console, and the headless-Chromium test watches it.

How to build a page (for the matrix and the site as much as for reports)::

    from gatecheck.report._html_base import Raw, banner, page, pill, section, table

    rows = [["DeepInfra", "@deepinfra/zai-org/GLM-4.5-Air", Raw(pill("passed", "up")), "1.9 s"]]
    body = section("matrix", "Provider availability",
                   table(["Provider", "Model", "Status", "Latency"], rows, numeric=(3,)))
    html = page("Availability matrix", body, subtitle="7 providers",
                nav=[("matrix", "Matrix"), ("../index.html", "All runs")],
                banner_html=banner("passed", "6 of 7 available", label="AVAILABLE"))

Pieces: :func:`page` (the document), :func:`section` (an ``<h2>`` block with an anchor),
:func:`table`, :func:`pill` / :func:`tone` (outcome colours), :func:`banner` (the verdict
band), :func:`cards` (number tiles), and in ``_svg``: ``line_chart``, ``histogram`` and
``strip`` (a history strip, one cell per run). ``SCRIPT`` filters any table named by a
``<div class="filters" id="filters" data-table="ID">`` bar (its ``select`` names match
``data-*`` attributes of the rows) and folds ``tr.ev-row`` detail rows behind
``button.toggle`` buttons; it does nothing on pages without them.

Every helper takes plain text and escapes it, except arguments named ``*_html`` / cells
wrapped in :class:`Raw`, which must already be safe HTML built by these helpers. Text that
came from a target must go through the redactor before it gets here (the report modules do
that on the way in); escaping alone only stops markup, not secrets.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "CSP",
    "CSS",
    "SCRIPT",
    "Raw",
    "banner",
    "cards",
    "esc",
    "page",
    "pill",
    "section",
    "table",
    "tone",
]

# Nothing may be fetched: inline style and script only, images only as data: URIs.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "img-src data:; base-uri 'none'; form-action 'none'")

# Outcome and status words -> the pill colour class; unknown words get the neutral grey.
_TONES = {
    "passed": "ok", "pass": "ok", "fixed": "ok", "available": "ok", "up": "ok", "better": "ok",
    "failed": "bad", "fail": "bad", "regressed": "bad", "down": "bad", "error": "bad",
    "worse": "bad",
    "warned": "warn", "warn": "warn", "pass with warnings": "warn", "pass with failures": "warn",
    "suspected": "warn",
    "degraded": "warn",
    "xfailed": "dev", "known deviation": "dev",
    "skipped": "muted", "none": "muted", "no checks ran": "muted", "n/a": "muted",
    "new": "info", "removed": "muted", "changed": "info", "same": "muted",
}

CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--accent:#0969da;
--ok:#1a7f37;--ok-bg:#dafbe1;--bad:#cf222e;--bad-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5;
--dev:#8250df;--dev-bg:#fbefff;--info:#0969da;--info-bg:#ddf4ff;--mono:ui-monospace,
SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:var(--fg);background:#fff;font:15px/1.55 -apple-system,BlinkMacSystemFont,
"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif}
.gc-top{background:#24292f;color:#fff;padding:10px 0}
.gc-top .wrap{display:flex;align-items:center;gap:18px;flex-wrap:wrap}
.gc-brand{font-weight:700;letter-spacing:.02em}
.gc-brand span{color:#7ee2a8}
.gc-top nav a{color:#d0d7de;text-decoration:none;margin-right:14px;font-size:14px}
.gc-top nav a:hover{color:#fff}
.wrap{max-width:1180px;margin:0 auto;padding:0 24px}
main.wrap{padding-top:22px;padding-bottom:40px}
h1{font-size:28px;line-height:1.25;margin:6px 0 4px}
h2{font-size:21px;margin:36px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:17px;margin:24px 0 8px}
.sub{color:var(--muted);margin:0 0 14px}
a{color:var(--accent)}
code,pre{font-family:var(--mono);font-size:12.5px}
code{background:var(--soft);padding:1px 5px;border-radius:4px}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:10px 12px;
overflow:auto;max-height:360px;white-space:pre-wrap;word-break:break-all;margin:6px 0}
.meta{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:4px 24px;
margin:10px 0 18px;padding:0;list-style:none}
.meta li{color:var(--muted);font-size:14px}
.meta b{color:var(--fg);font-weight:600;display:block;font-size:14.5px;word-break:break-all}
.banner{display:flex;align-items:center;gap:16px;border-radius:8px;padding:14px 18px;
margin:14px 0 18px;border:1px solid;font-size:15px}
.banner strong{font-size:20px;letter-spacing:.02em}
.banner.ok{background:var(--ok-bg);border-color:#aceebb;color:#0f5323}
.banner.bad{background:var(--bad-bg);border-color:#ffcecb;color:#82071e}
.banner.warn{background:var(--warn-bg);border-color:#f5e0a0;color:#6b4a00}
.banner.muted,.banner.info,.banner.dev{background:var(--soft);border-color:var(--line)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px;
margin:12px 0 8px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:#fff}
.card .v{font-size:24px;font-weight:650;line-height:1.2;font-variant-numeric:tabular-nums}
.card .k{color:var(--muted);font-size:13px}
.card.ok .v{color:var(--ok)}.card.bad .v{color:var(--bad)}.card.warn .v{color:var(--warn)}
.card.dev .v{color:var(--dev)}
table{border-collapse:collapse;width:100%;margin:8px 0 14px;font-size:14px}
th,td{border-bottom:1px solid var(--line);padding:7px 10px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600;font-size:13px;color:#424a53;white-space:nowrap}
tbody tr:hover{background:#fafbfc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.pill{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12px;font-weight:600;
white-space:nowrap;border:1px solid transparent;line-height:1.6}
.pill.ok{background:var(--ok-bg);color:var(--ok);border-color:#aceebb}
.pill.bad{background:var(--bad-bg);color:var(--bad);border-color:#ffcecb}
.pill.warn{background:var(--warn-bg);color:var(--warn);border-color:#f5e0a0}
.pill.dev{background:var(--dev-bg);color:var(--dev);border-color:#ecd8ff}
.pill.info{background:var(--info-bg);color:var(--info);border-color:#b6e3ff}
.pill.muted{background:var(--soft);color:var(--muted);border-color:var(--line)}
.lvl{font:600 11px/1.6 var(--mono);color:var(--muted);border:1px solid var(--line);
border-radius:4px;padding:0 5px}
.lvl.MUST{color:#82071e;border-color:#ffcecb}
.bar{display:inline-block;width:90px;height:8px;border-radius:4px;background:var(--bad-bg);
vertical-align:middle;margin-right:8px;overflow:hidden}
.bar i{display:block;height:100%;background:var(--ok)}
.note{color:var(--muted);font-size:13.5px}
.filters{display:flex;gap:10px;flex-wrap:wrap;align-items:center;margin:8px 0;padding:10px;
background:var(--soft);border:1px solid var(--line);border-radius:8px}
.filters input,.filters select{font:inherit;font-size:14px;padding:5px 8px;border:1px solid
var(--line);border-radius:6px;background:#fff}
.filters input{flex:1 1 220px}
details>summary{cursor:pointer}
.ev{margin:8px 0 4px;padding:10px 12px;border-left:3px solid var(--line);background:#fcfcfd}
.ev dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0 0 6px}
.ev dt{font-weight:600;color:#424a53;font-size:13px}
.ev dd{margin:0;word-break:break-word}
.ev.bad{border-left-color:var(--bad)}.ev.warn{border-left-color:var(--warn)}
.copyable{position:relative}
.copy{position:absolute;top:6px;right:6px;font:12px/1.4 inherit;border:1px solid var(--line);
background:#fff;border-radius:5px;padding:1px 8px;cursor:pointer;color:var(--muted)}
.copy:hover{color:var(--accent);border-color:var(--accent)}
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:16px}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:10px 12px 6px}
figure svg{width:100%;height:auto;display:block}
figcaption{font-size:13px;color:var(--muted);margin-top:4px}
.verdicts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}
.verdict{border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.verdict h3{margin:0 0 6px;font-size:15px}
ul.plain{margin:4px 0;padding-left:20px}
footer{color:var(--muted);font-size:13px;border-top:1px solid var(--line);padding:14px 0 30px}
.hidden{display:none}
code.id{white-space:nowrap}
table.cols{table-layout:fixed}
table.cols th:nth-child(1){width:13%}table.cols th:nth-child(2){width:9%}
table.cols th:nth-child(4){width:14%}table.cols th:nth-child(5){width:15%}
button.toggle{font:inherit;color:inherit;background:none;border:0;padding:0;text-align:left;
cursor:pointer}
button.toggle::before{content:"\\25B8";display:inline-block;width:1.1em;color:var(--muted)}
button.toggle[aria-expanded=true]::before{content:"\\25BE"}
button.toggle:hover{color:var(--accent)}
tr.ev-row>td{padding:0 10px 10px;background:#fff}
tr.ev-row:hover{background:#fff}
.js tr.ev-row:not(.open){display:none}
.xchg{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:0 14px}
.ev h4{margin:8px 0 0;font-size:13px;color:#424a53}
@media print{
body{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.gc-top{display:none}
.js tr.ev-row:not(.hidden){display:table-row}
button.toggle::before{content:none}
.filters,.copy,p.hint{display:none}
body{font-size:12px}
.wrap{max-width:none;padding:0}
pre{max-height:none}
h2{break-after:avoid}
figure,.card,.verdict,.ev,tr{break-inside:avoid}
a{color:inherit;text-decoration:none}
}
"""

# Filtering, expanding and copying; tiny, dependency-free, and inert on pages without the
# elements it looks for (the matrix page reuses the shell without a filter bar).
SCRIPT = """
(function(){
  "use strict";
  document.documentElement.classList.add("js");
  function $all(sel, root){
    return Array.prototype.slice.call((root || document).querySelectorAll(sel));
  }
  var bar = document.getElementById("filters");
  if (bar) {
    var table = document.getElementById(bar.getAttribute("data-table"));
    var count = document.getElementById("filter-count");
    var apply = function(){
      var q = (bar.querySelector("[name=q]").value || "").toLowerCase();
      var picks = {};
      $all("select", bar).forEach(function(s){ picks[s.name] = s.value; });
      var shown = 0, rows = $all("tbody tr:not(.ev-row)", table);
      rows.forEach(function(row){
        var ok = !q || row.textContent.toLowerCase().indexOf(q) >= 0;
        Object.keys(picks).forEach(function(k){
          if (picks[k] && row.getAttribute("data-" + k) !== picks[k]) { ok = false; }
        });
        row.classList.toggle("hidden", !ok);
        var ev = document.getElementById(row.id + "-ev");
        if (ev) { ev.classList.toggle("hidden", !ok); }
        if (ok) { shown++; }
      });
      if (count) { count.textContent = shown + " of " + rows.length + " shown"; }
    };
    bar.addEventListener("input", apply);
    bar.addEventListener("change", apply);
    apply();
  }
  function setOpen(btn, open){
    var ev = document.getElementById(btn.getAttribute("aria-controls"));
    if (!ev) { return; }
    ev.classList.toggle("open", open);
    btn.setAttribute("aria-expanded", open ? "true" : "false");
  }
  $all("button.toggle").forEach(function(btn){
    btn.addEventListener("click", function(){
      setOpen(btn, btn.getAttribute("aria-expanded") !== "true");
    });
  });
  function openTarget(){
    var id = decodeURIComponent((location.hash || "").slice(1));
    var el = id && document.getElementById(id);
    if (!el) { return; }
    el.classList.remove("hidden");
    var btn = el.querySelector("button.toggle");
    if (btn) { setOpen(btn, true); }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  window.addEventListener("beforeprint", function(){
    $all("details").forEach(function(d){ d.open = true; });
    $all("button.toggle").forEach(function(b){ setOpen(b, true); });
  });
  $all("button.copy").forEach(function(btn){
    btn.addEventListener("click", function(){
      var pre = btn.parentNode.querySelector("pre");
      if (!pre) { return; }
      var done = function(){ btn.textContent = "copied"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(pre.textContent).then(done, function(){});
      } else {
        var range = document.createRange(); range.selectNodeContents(pre);
        var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
      }
    });
  });
})();
"""


@dataclass(frozen=True, slots=True)
class Raw:
    """HTML that is already safe (built by these helpers); never wrap text from a target."""

    html: str


def esc(value: object) -> str:
    """Escape any value for HTML text and attribute context (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def _cell(value: object) -> str:
    return value.html if isinstance(value, Raw) else esc(value)


def tone(word: str) -> str:
    """The colour class for an outcome or status word (ok, bad, warn, dev, info, muted)."""
    return _TONES.get(word.strip().lower(), "muted")


def pill(word: str, label: str | None = None) -> str:
    """A coloured outcome pill, e.g. ``pill("failed")``; ``label`` replaces the shown text."""
    return f'<span class="pill {tone(word)}">{esc(label if label is not None else word)}</span>'


def banner(status: str, detail_html: str = "", *, label: str | None = None) -> str:
    """The page's verdict: a coloured band with the status word big and a detail line."""
    return (f'<div class="banner {tone(status)}" role="status"><strong>'
            f"{esc(label or status.upper())}</strong><span>{detail_html}</span></div>")


def cards(items: Iterable[tuple[str, str, str]]) -> str:
    """A row of number cards from (value, label, tone) triples."""
    parts = [f'<div class="card {esc(t)}"><div class="v">{esc(v)}</div>'
             f'<div class="k">{esc(k)}</div></div>' for v, k, t in items]
    return '<div class="cards">' + "".join(parts) + "</div>"


def table(head: Sequence[str], rows: Iterable[Sequence[object]], *,
          numeric: Iterable[int] = (), attrs: str = "",
          row_attrs: Sequence[str] | None = None) -> str:
    """A table; cells are escaped unless wrapped in :class:`Raw`.

    Args:
        numeric: column indexes to right-align with tabular figures.
        attrs: raw attributes for the ``<table>`` tag (e.g. ``'id="checks"'``).
        row_attrs: raw attributes per body row (same length as ``rows``).

    A row that is a single ``Raw`` starting with ``<td`` is emitted as that cell as is
    (for full-width detail rows with a ``colspan``).
    """
    nums = set(numeric)
    cls = [' class="num"' if i in nums else "" for i in range(len(head))]
    out = [f"<table {attrs}>".replace("<table >", "<table>"), "<thead><tr>"]
    out += [f"<th{cls[i]}>{esc(h)}</th>" for i, h in enumerate(head)]
    out.append("</tr></thead><tbody>")
    for index, row in enumerate(rows):
        extra = f" {row_attrs[index]}" if row_attrs else ""
        if len(row) == 1 and isinstance(row[0], Raw) and row[0].html.startswith("<td"):
            out.append(f"<tr{extra}>{row[0].html}</tr>")  # a full-width row, cell and all
            continue
        cells = "".join(f"<td{cls[i] if i < len(cls) else ''}>{_cell(c)}</td>"
                        for i, c in enumerate(row))
        out.append(f"<tr{extra}>{cells}</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def section(anchor: str, title: str, body_html: str) -> str:
    """An ``<h2>``-headed section with an id for the navigation bar."""
    return f'<section id="{esc(anchor)}">\n<h2>{esc(title)}</h2>\n{body_html}\n</section>'


def _href(anchor: str) -> str:
    return anchor if "." in anchor or "/" in anchor or anchor.startswith("#") else f"#{anchor}"


def page(title: str, body_html: str, *, subtitle: str = "", banner_html: str = "",
         meta_html: str = "", nav: Sequence[tuple[str, str]] = (),
         footer: str = "Generated by gatecheck.") -> str:
    """A whole self-contained HTML document.

    Args:
        title: the ``<title>`` and ``<h1>`` text.
        body_html: the page's sections (safe HTML).
        subtitle: one muted line under the heading (text).
        banner_html: the verdict band from :func:`banner`, shown under the heading.
        meta_html: facts under the heading (e.g. a ``<ul class="meta">``), safe HTML.
        nav: (anchor, label) pairs for the top bar; an anchor with a "." or "/" in it is
            a relative link to another page (``"../index.html"``), else a section id.
        footer: a line of text at the bottom.
    """
    links = "".join(f'<a href="{esc(_href(a))}">{esc(label)}</a>' for a, label in nav)
    sub = f'<p class="sub">{esc(subtitle)}</p>' if subtitle else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="gatecheck">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        '<header class="gc-top"><div class="wrap"><span class="gc-brand">gate<span>check'
        f"</span></span><nav>{links}</nav></div></header>\n"
        f'<main class="wrap">\n<h1>{esc(title)}</h1>\n{sub}\n{meta_html}\n{banner_html}\n'
        f"{body_html}\n</main>\n"
        f'<footer><div class="wrap">{esc(footer)}</div></footer>\n'
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )
