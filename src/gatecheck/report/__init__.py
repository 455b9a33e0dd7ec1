"""Reports built from results.jsonl: the Markdown renderer and its run summary."""

from __future__ import annotations

from gatecheck.report._model import RunMeta
from gatecheck.report.markdown import render_markdown

__all__ = ["RunMeta", "render_markdown"]
