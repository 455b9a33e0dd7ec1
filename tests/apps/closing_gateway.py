"""A raw HTTP/1.1 "gateway" that answers the first request on each connection (a 400 in
OpenAI's envelope, kept alive) and closes the connection on the second without a word: the
race a client meets when a server closes a kept-alive connection just as it reuses it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator

_BODY = json.dumps({"error": {"message": "invalid request", "type": "invalid_request_error",
                              "param": None, "code": None}}).encode()
_ANSWER = (b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
           b"content-length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY)
_HEALTH = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")


def _read_request(conn: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return head


def _serve(conn: socket.socket) -> None:
    with conn:
        conn.settimeout(10)
        head = _read_request(conn)
        if head is None:
            return
        conn.sendall(_HEALTH if b" /health " in head.split(b"\r\n", 1)[0] + b" " else _ANSWER)
        _read_request(conn)  # the next request on this connection: closed unanswered


@contextlib.contextmanager
def closing_gateway() -> Iterator[str]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=_serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
