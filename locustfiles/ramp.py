"""Streamed chat under equal user steps up to -u across -t, to find where latency bends.

    locust -f locustfiles/ramp.py --headless -u 50 -r 50 -t 60s --gatecheck-steps 5 ...

--gatecheck-shape ramp climbs in a straight line instead of steps.
"""

import locust  # noqa: F401  (first: gevent patches sockets before anything else is imported)

from gatecheck.load import shapes, users


class StreamUser(users.StreamUser):
    """One stream at a time per user; the shape sets the user count."""


class StepShape(shapes.StepShape):
    """-u users in --gatecheck-steps equal steps over -t."""
