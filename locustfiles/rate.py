"""Open-loop streamed chat at --gatecheck-rate arrivals/s (constant or Poisson, seeded).

Users are the pool that carries arrivals (-u caps requests in flight); latency is reported
from the actual and from the intended send, with schedule lag and late/dropped counts.

    locust -f locustfiles/rate.py --headless -u 100 -r 100 -t 60s --gatecheck-rate 20 ...
"""

import locust  # noqa: F401  (first: gevent patches sockets before anything else is imported)

from gatecheck.load import users


class RateUser(users.RateUser):
    """Sends when the schedule says, not when the previous answer came."""
