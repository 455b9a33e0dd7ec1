"""``python -m gatecheck.interop``: install, start and check the real gateways (see _session)."""

from __future__ import annotations

import sys

from gatecheck.interop._session import main

if __name__ == "__main__":
    sys.exit(main())
