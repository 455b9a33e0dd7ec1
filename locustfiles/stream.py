"""Streamed chat: ttfb, ttft, itl, e2e and output tokens (from usage) per request.

    locust -f locustfiles/stream.py --host http://127.0.0.1:8900/v1 \
        --gatecheck-directive "ttft=200 itl=20 tokens=50"
"""

import locust  # noqa: F401  (first: gevent patches sockets before anything else is imported)

from gatecheck.load import users


class StreamUser(users.StreamUser):
    """One stream at a time, closed loop."""
