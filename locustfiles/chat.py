"""Non-streamed chat latency (e2e) on the OpenAI or Anthropic surface.

    locust -f locustfiles/chat.py --host http://127.0.0.1:8900/v1 --gatecheck-surface openai
"""

import locust  # noqa: F401  (first: gevent patches sockets before anything else is imported)

from gatecheck.load import users


class ChatUser(users.ChatUser):
    """One request at a time, closed loop; e2e, usage tokens."""
