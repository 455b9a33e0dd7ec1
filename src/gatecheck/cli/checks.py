"""`gatecheck checks`: the check catalogue (id, level, category, surface, feature, title)."""

from __future__ import annotations

import argparse
import json

from gatecheck.pytest.catalogue import load_catalogue
from gatecheck.pytest.runner import locate_suites


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ID",
                        help="only these check ids (e.g. AUTH-3 STR-O7)")
    parser.add_argument("--json", action="store_true", help="one JSON object per check")
    parser.add_argument("--suites", default=None, metavar="DIR",
                        help="the suites directory (default: ./suites, else the shipped ones)")


def run(args: argparse.Namespace) -> int:
    entries = load_catalogue(locate_suites(args.suites))
    if args.ids:
        wanted = {i.upper() for i in args.ids}
        entries = [e for e in entries if e.id in wanted]
    if args.json:
        for entry in entries:
            print(json.dumps(entry.to_json(), sort_keys=True))
        return 0
    rows = [(e.id, e.level, e.category, e.surface or "both", e.feature or "-", e.title)
            for e in entries]
    widths = [max(len(r[i]) for r in rows) for i in range(5)] if rows else [0] * 5
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False))
              + "  " + row[5])
    print(f"{len(entries)} checks ({len({e.id for e in entries})} ids)")
    return 0
