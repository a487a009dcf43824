"""A sliding-window rate limit kept in the process (R22).

Each server process counts on its own, so with N worker processes a client
gets at most N times the limit; enough to stop identifier guessing, which
needs millions of tries. A shared store (Redis) would make it exact.
"""
import collections
import threading
import time


class RateLimiter:
    "At most limit events per period seconds for each key."

    def __init__(self, limit, period):
        self.limit = limit
        self.period = period
        self._events = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def allow(self, key):
        "Count an event for key; False when it is over the limit."
        now = time.monotonic()
        with self._lock:
            events = self._events[key]
            while events and events[0] <= now - self.period:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            if len(self._events) > 100_000:
                self._forget_idle(now)
            return True

    def full(self, key):
        "Whether key is at its limit now (counts nothing)."
        now = time.monotonic()
        with self._lock:
            events = self._events.get(key, ())
            return sum(1 for e in events if e > now - self.period) >= (
                self.limit)

    def reset(self):
        with self._lock:
            self._events.clear()

    def _forget_idle(self, now):
        for key in [k for k, e in self._events.items()
                if not e or e[-1] <= now - self.period]:
            del self._events[key]
