"""The wheel carries what an installed gatecheck reads: schemas, suites, locustfiles, targets,
the pages' templates and their stylesheet and script.

The checkout keeps them at the top (design card); links inside the package make them
package data that ``importlib.resources`` finds, in a checkout and in a wheel alike.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # builds a wheel (a few seconds)
def test_the_wheel_carries_every_file_the_code_reads(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300,
        check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = tmp_path.glob("gatecheck-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("gatecheck/schemas/data/openai/chat-completion.json",
                 "gatecheck/schemas/data/targets.schema.json",
                 "gatecheck/schemas/data/gatecheck/results-record.json",
                 "gatecheck/schemas/data/profiles/sdk-compat.json",
                 "gatecheck/targets/targets.toml",
                 "gatecheck/pytest/suites/conftest.py",
                 "gatecheck/pytest/suites/pytest.ini",
                 "gatecheck/pytest/suites/test_authentication.py",
                 "gatecheck/load/locustfiles/stream.py",
                 "gatecheck/proxy/config.schema.json",
                 "gatecheck/report/templates/base.html.j2",
                 "gatecheck/report/templates/report.md.j2",
                 "gatecheck/report/static/style.css",
                 "gatecheck/report/static/app.js",
                 "gatecheck/matrix/templates/matrix.html.j2",
                 "gatecheck/templates/site.html.j2"):
        assert name in names, name
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]


def test_the_linked_data_is_the_checkout_s_own():
    from gatecheck.pytest.runner import SHIPPED_SUITES
    from gatecheck.schemas import schema_dir
    from gatecheck.targets import shipped_targets

    assert SHIPPED_SUITES.resolve() == ROOT / "suites"
    assert schema_dir().resolve() == ROOT / "schemas"
    assert shipped_targets().resolve() == ROOT / "targets.toml"
