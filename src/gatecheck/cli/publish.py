"""`gatecheck publish`: a static site of every run, the matrix and load runs, for any host.

Steps: refuse an --out publish did not write -> register the secrets the registry names (so
the redactor masks them) -> read reports/ -> write the site (see ``gatecheck.site``) -> print
where it is.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gatecheck import HarnessError, UsageError
from gatecheck.site import build_site, not_a_site  # here: it imports the report and matrix pages
from gatecheck.targets import load_targets


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="site", metavar="DIR",
                        help="where the site goes (default: site)")
    parser.add_argument("--reports", default="reports", metavar="DIR",
                        help="the reports directory to publish (default: reports)")
    parser.add_argument("--db", default=None, metavar="FILE",
                        help="the matrix history (default: REPORTS/history.sqlite)")
    parser.add_argument("--targets-file", dest="gatecheck_targets_file", default=None,
                        metavar="PATH", help="the target registry whose secrets to mask "
                                             "(default: ./targets.toml, else the shipped one)")


def register_secrets(targets_file: str | None) -> int:
    """Add every secret the registry names and the environment holds to the redactor."""
    try:
        registry = load_targets(targets_file)
    except HarnessError:
        return 0  # no registry here: the key-shaped patterns still apply
    found = 0
    for target in registry:
        # secret() and admin_secret() register what they find with the default redactor.
        found += sum(1 for value in (target.secret(), target.admin_secret()) if value)
    return found


def run(args: argparse.Namespace) -> int:
    reports, out = Path(args.reports), Path(args.out)
    if not reports.is_dir():
        raise UsageError(f"--reports {reports}: no such directory")
    if out.resolve() == reports.resolve() or reports.resolve() in out.resolve().parents:
        raise UsageError(f"--out {out}: must not be inside --reports {reports}")
    why = not_a_site(out)  # build_site checks it too; here the message names the flag
    if why is not None:
        raise UsageError(f"--out {out}: {why}")
    db = Path(args.db) if args.db else None
    if db is not None and not db.is_file():
        raise UsageError(f"--db {db}: no such file")
    register_secrets(args.gatecheck_targets_file)
    site = build_site(reports, out, history=db)
    for why in site.skipped:
        print(f"gatecheck: publish: left out {why}")
    print(f"gatecheck: published {len(site.runs)} runs"
          + (f" and the matrix ({site.matrix_rows} models)" if site.matrix_rows else "")
          + f" to {out / 'index.html'}")
    return 0
