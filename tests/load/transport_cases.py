"""Run by test_transport.py in a child process: gevent must not patch the pytest process.

Serves canned HTTP answers with gevent's StreamServer on loopback, sends one request to
each through gatecheck.load._transport.send, and prints one JSON line per case.
"""

from __future__ import annotations

import locust  # noqa: F401  (first: gevent patches sockets before anything else is imported)

import contextlib
import json
import sys

import gevent.server

from gatecheck import Auth
from gatecheck.load._transport import client_for, prepare, send

CHUNK = b'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'
USAGE = b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":7}}\n\n'
SSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"


def _event(kind: str, **data: object) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (kind.encode(), json.dumps({"type": kind, **data}).encode())


RESP_TEXT = _event("response.output_text.delta", delta="hi", item_id="m", output_index=0)
RESP_DONE = _event("response.completed", response={
    "usage": {"input_tokens": 3, "output_tokens": 7, "total_tokens": 10}})


def _sized(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


CASES: dict[str, bytes] = {
    # no length, no chunks: the body ends when the server closes
    "close_delimited": SSE + b"Connection: close\r\n\r\n" + CHUNK * 3 + USAGE + b"data: [DONE]\n\n",
    # chunked, cut before the terminating chunk
    "reset": SSE + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n" % (len(CHUNK), CHUNK),
    "no_done": SSE + b"Connection: close\r\n\r\n" + CHUNK + USAGE,
    "error_event": SSE + b"Connection: close\r\n\r\n" + CHUNK
    + b'data: {"error":{"message":"upstream died"}}\n\n',
    "status_429": b"HTTP/1.1 429 Too Many Requests\r\n" + b"Content-Type: application/json\r\n"
    + _sized(b'{"error":{"message":"slow down"}}'),
    "chat_json": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    + _sized(b'{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":9}}'),
    # the Responses API: typed events, no [DONE]; the terminal event carries the usage
    "responses_stream": SSE + b"Connection: close\r\n\r\n"
    + _event("response.created", response={}) + _event("response.output_item.added")
    + RESP_TEXT * 3 + RESP_DONE,
    "responses_failed": SSE + b"Connection: close\r\n\r\n" + RESP_TEXT
    + _event("error", code="server_error", message="upstream died")
    + _event("response.failed", response={"status": "failed"}),
    "responses_cut": SSE + b"Connection: close\r\n\r\n" + RESP_TEXT,
    "responses_json": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    + _sized(b'{"output":[],"usage":{"input_tokens":3,"output_tokens":9,"total_tokens":12}}'),
    "embeddings_json": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    + _sized(b'{"object":"list","data":[],"usage":{"prompt_tokens":4,"total_tokens":4}}'),
    # 2 MiB of header lines before a valid body: capped, never a success
    "huge_headers": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    + b"".join(b"x-pad-%05d: %s\r\n" % (i, b"a" * 1000) for i in range(2048))
    + _sized(b'{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":9}}'),
    # a chat answer to a request that carries a nonce (what the server got is printed)
    "nonce": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    + _sized(b'{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":9}}'),
}
SURFACE = {"responses_stream": "responses", "responses_failed": "responses",
           "responses_cut": "responses", "responses_json": "responses",
           "embeddings_json": "embeddings"}
NOT_STREAMED = {"chat_json", "responses_json", "embeddings_json", "huge_headers", "nonce"}


def main() -> None:
    for name, answer in CASES.items():
        received: list[bytes] = []

        def handle(sock, _addr, answer=answer, received=received):
            received.append(sock.recv(65536))
            with contextlib.suppress(OSError):  # the client left (the header cap)
                sock.sendall(answer)
            sock.close()

        server = gevent.server.StreamServer(("127.0.0.1", 0), handle)
        server.start()
        url = f"http://127.0.0.1:{server.server_port}/v1"
        req = prepare(base_url=url, surface=SURFACE.get(name, "openai"),
                      stream=name not in NOT_STREAMED, model="m", prompt="p", max_tokens=16,
                      auth=Auth(), nonces=name == "nonce")
        outcome = send(client_for(url, connect_timeout=2, network_timeout=2), req,
                       total_timeout=5, nonce="0123abcd" if name == "nonce" else None)
        server.stop(timeout=2)
        sent = received[0].split(b"\r\n\r\n", 1)[1] if received else b"{}"
        print(json.dumps({"case": name, "ok": outcome.ok, "status": outcome.status,
                          "error": outcome.error, "tokens": outcome.stamps.output_tokens,
                          "content": len(outcome.stamps.content_ns),
                          "in_tokens": outcome.in_tokens, "path": req.path,
                          "body": json.loads(sent)}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
