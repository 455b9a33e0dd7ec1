"""Baseline for bench_users.py: Locust's own FastHttpUser posting the same chat request.

Reads the whole body and the usage like gatecheck's ChatUser, and fires one request event
(Locust's own); gatecheck's user fires two (the request and ``e2e``) and keeps a sample.
"""

import locust  # noqa: F401  (first: gevent patches sockets before anything else is imported)
from locust import FastHttpUser, constant, task

import json

PROMPT = "Write a short story about a lighthouse."
BODY = json.dumps({"model": "mock-chat", "max_tokens": 256,
                   "messages": [{"role": "user", "content": PROMPT}]})


class BaselineUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def chat(self) -> None:
        with self.client.post("/v1/chat/completions", data=BODY,
                              headers={"content-type": "application/json"},
                              catch_response=True) as response:
            usage = (response.json() or {}).get("usage") or {}
            if "completion_tokens" not in usage:
                response.failure("no usage")
