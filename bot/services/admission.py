"""Who may ask now, and whether this process answers a question: one process, or several on one database.

Single process (SQLite, as before): the in-memory sliding-window `RateLimiter`, and the local fair
queue's length bounds it. Several processes (PostgreSQL): the store's claims and rate-limit hits,
so a member's limit and `max_queue` hold across every process, and a question seen twice (two
processes on one shard, a redelivered event) is answered once — by whichever claims its message id.
The in-process `FairQueue` still schedules this process's own questions round-robin.
"""
from __future__ import annotations

import logging
import os
import socket
from typing import Protocol

from bot.services.queue import RateLimiter
from bot.store import Coordination

log = logging.getLogger("ragcord.queue")
STALE_S = 900.0  # an unfinished claim older than this belongs to a dead process: not counted
KEEP_S = 86_400.0  # claims are kept a day (a redelivered event stays deduplicated), then pruned
PRUNE_EVERY = 500  # claims between two prunes


class Admission(Protocol):
    async def claim(self, message_id: str, scope: str, user: str) -> bool:
        """True when this process answers the question (the first to claim it)."""
        ...

    async def retry_after(self, user: str) -> float:
        """0 if `user` may ask now (and counts the question), else seconds until they may."""
        ...

    async def full(self, waiting_here: int, maxsize: int) -> bool:
        """No room for one more question (counting this process's `waiting_here`)."""
        ...

    async def done(self, message_id: str) -> None:
        """The question was answered, refused or dropped: it no longer counts as open."""
        ...


class LocalAdmission:
    """One process: today's in-memory limiter; every question is this process's."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    async def claim(self, message_id: str, scope: str, user: str) -> bool:
        return True

    async def retry_after(self, user: str) -> float:
        return self.limiter.retry_after(user)

    async def full(self, waiting_here: int, maxsize: int) -> bool:
        return waiting_here >= maxsize

    async def done(self, message_id: str) -> None:
        return None


class SharedAdmission:
    """Several processes on one database: claims and rate-limit hits in the store."""

    def __init__(self, coordination: Coordination, per_minute: int, owner: str | None = None) -> None:
        self.coordination = coordination
        self.per_minute = per_minute
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self._claims = 0

    async def claim(self, message_id: str, scope: str, user: str) -> bool:
        won = await self.coordination.claim(message_id, scope, user, self.owner)
        if not won:
            log.info("question %s is another process's (or already answered): skipped", message_id)
            return False
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            await self.coordination.prune(KEEP_S)
        return True

    async def retry_after(self, user: str) -> float:
        return await self.coordination.rate_hit(user, self.per_minute)

    async def full(self, waiting_here: int, maxsize: int) -> bool:
        # open claims everywhere, less this question's own: waiting or being answered in any process
        return await self.coordination.open_claims(STALE_S) - 1 >= maxsize

    async def done(self, message_id: str) -> None:
        await self.coordination.finish(message_id)


def admission_for(limiter: RateLimiter, shared: Coordination | None) -> Admission:
    """Shared through `shared` (the store's coordination, when it is a database several processes
    use: PostgreSQL), else local with `limiter`."""
    return SharedAdmission(shared, limiter.per_minute) if shared is not None else LocalAdmission(limiter)
