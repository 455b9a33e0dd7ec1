"""One shared thread that ends blocking socket reads when a request's total deadline passes.

A blocking ``recv`` cannot be interrupted from Python, but ``shutdown(SHUT_RDWR)`` on its
socket from another thread makes it return at once; the reader then sees the alarm fired and
reports a timeout. One thread serves every sync client, so arming costs a heap push rather
than a thread. Under gevent (Locust) the thread is a greenlet and the same logic holds.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time

__all__ = ["Alarm", "Watchdog", "watchdog"]

_COMPACT_AT = 4096


class Alarm:
    """A pending shutdown of one socket; ``cancel()`` before handing the socket back."""

    __slots__ = ("_lock", "_sock", "deadline", "done", "fired")

    def __init__(self, deadline: float, sock: socket.socket) -> None:
        self.deadline = deadline
        self._sock = sock
        self._lock = threading.Lock()
        self.done = False
        self.fired = False

    def cancel(self) -> None:
        # Under the lock, so a shutdown can never hit a socket already back in the pool.
        with self._lock:
            self.done = True

    def fire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.done = self.fired = True
            # OSError: already closed by its owner, so there is no read left to interrupt.
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)


class Watchdog:
    """A heap of alarms ordered by deadline (``time.monotonic()``), served by one thread."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Alarm]] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._compact_at = _COMPACT_AT

    def arm(self, deadline: float, sock: socket.socket) -> Alarm:
        alarm = Alarm(deadline, sock)
        with self._cond:
            if len(self._heap) >= self._compact_at:
                # Most alarms are cancelled long before their deadline (the request finished);
                # under load they would pile up until then, so drop them in one pass. The
                # threshold doubles with the live ones, keeping the cost amortised O(1).
                self._heap = [entry for entry in self._heap if not entry[2].done]
                heapq.heapify(self._heap)
                self._compact_at = max(_COMPACT_AT, 2 * len(self._heap))
            heapq.heappush(self._heap, (deadline, next(self._seq), alarm))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="gatecheck-deadlines",
                                                daemon=True)
                self._thread.start()
            if self._heap[0][2] is alarm:
                self._cond.notify()
        return alarm

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    # Cancelled alarms are dropped as they surface, keeping the heap small.
                    while self._heap and self._heap[0][2].done:
                        heapq.heappop(self._heap)
                    if not self._heap:
                        self._cond.wait()
                        continue
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        alarm = heapq.heappop(self._heap)[2]
                        break
                    self._cond.wait(wait)
            alarm.fire()


_watchdog: Watchdog | None = None
_lock = threading.Lock()


def watchdog() -> Watchdog:
    """The process-wide watchdog (its thread starts with the first alarm)."""
    global _watchdog
    if _watchdog is None:
        with _lock:
            if _watchdog is None:
                _watchdog = Watchdog()
    return _watchdog
