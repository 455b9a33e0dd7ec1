"""Capacity at an SLO: streamed chat in steps of users, doubling then bisecting.

    locust -f locustfiles/capacity.py --headless -u 256 -t 5m --gatecheck-step-duration 10 \
        --gatecheck-slo "overhead.ttft.p99<10ms,error_rate<1%" --gatecheck-mock-url URL ...

-u is the most users tried, -t the time cap; summary.json's ``capacity`` has every step.
"""

import locust  # noqa: F401  (first: gevent patches sockets before anything else is imported)

from gatecheck.load import shapes, users


class StreamUser(users.StreamUser):
    """One stream at a time per user; the shape sets the user count of each step."""


class CapacityShape(shapes.CapacityShape):
    """Doubling, then bisection, within the time cap."""
