"""Fairness for simultaneous questions: a per-user rate limit and a bounded round-robin queue."""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class RateLimiter:
    """At most `per_minute` questions per user in any 60-second window (sliding)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}

    def retry_after(self, user: str) -> float:
        """0 if `user` may ask now (and counts the question), else seconds until they may."""
        now = self.clock()
        hits = self._hits.setdefault(user, deque())
        while hits and now - hits[0] >= 60.0:
            hits.popleft()
        if len(hits) >= self.per_minute:
            return 60.0 - (now - hits[0])
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle users
            for u in [u for u, h in self._hits.items() if not h]:
                del self._hits[u]
        return 0.0


class QueueFull(Exception):
    pass


class FairQueue(Generic[T]):
    """A bounded queue served round-robin across users: one busy user cannot starve the others."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._per_user: OrderedDict[str, deque[T]] = OrderedDict()
        self._size = 0
        self._ready = asyncio.Semaphore(0)

    def __len__(self) -> int:
        return self._size

    def put_nowait(self, user: str, item: T) -> int:
        """Enqueue; returns how many items are ahead of this one. Raises QueueFull."""
        if self._size >= self.maxsize:
            raise QueueFull
        ahead = self._size
        self._per_user.setdefault(user, deque()).append(item)
        self._size += 1
        self._ready.release()
        return ahead

    async def get(self) -> T:
        await self._ready.acquire()
        user, items = next(iter(self._per_user.items()))
        item = items.popleft()
        del self._per_user[user]
        if items:  # this user has more: back of the line
            self._per_user[user] = items
        self._size -= 1
        return item
