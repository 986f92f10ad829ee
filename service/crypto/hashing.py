"""argon2id for passwords and client secrets, verified off the event loop behind a bound.

argon2 is CPU- and memory-bound (m=19 MiB per verification), so verifications run in a
dedicated thread pool of ``max_concurrency`` threads; at most ``max_queue`` more may wait.
Past that the request is shed (``Overloaded`` -> 503) instead of queueing without end.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..errors import Overloaded
from ..settings import HashingSettings

ARGON2_NICE = 10  # argon2 threads yield the CPU to the event loop (CFS weight 110 vs 1024)


def _lower_priority() -> None:
    """Run this pool thread at a lower priority: a flood of verifications then cannot starve
    the event loop (and the light grants it serves) of CPU; argon2 gets what is left."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ARGON2_NICE)
    except (AttributeError, OSError):  # pragma: no cover - not Linux, or not permitted
        pass


@dataclass
class HasherStats:
    waiting: int = 0
    running: int = 0
    shed: int = 0


class SecretHasher:
    """Hash and verify secrets with one argon2id configuration."""

    def __init__(self, settings: HashingSettings) -> None:
        self._ph = PasswordHasher(
            time_cost=settings.time_cost,
            memory_cost=settings.memory_cost,
            parallelism=settings.parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        self._limit = settings.max_concurrency
        self._max_queue = settings.max_queue
        self._max_wait = settings.max_wait
        self._recent_duration = 0.0  # seconds per verification, a moving average
        self._pool = ThreadPoolExecutor(
            settings.max_concurrency, thread_name_prefix="argon2", initializer=_lower_priority
        )
        self._slots: asyncio.Semaphore | None = None
        self.stats = HasherStats()
        self.on_wait: Callable[[float], None] | None = None  # seconds spent waiting for a slot
        # Verified against for unknown users and clients so that timing does not tell.
        self.dummy_hash = self._ph.hash(secrets.token_urlsafe(32))

    def hash(self, secret: str) -> str:
        """A new argon2id hash (synchronous: for the CLI and start-up)."""
        return self._ph.hash(secret)

    def needs_rehash(self, encoded: str) -> bool:
        try:
            return self._ph.check_needs_rehash(encoded)
        except InvalidHashError:
            return True

    def _verify_sync(self, encoded: str, secret: str) -> bool:
        try:
            return self._ph.verify(encoded, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    @property
    def saturated(self) -> bool:
        """Every verification slot is taken: a new one would have to wait."""
        return self.stats.running + self.stats.waiting >= self._limit

    def admit(self) -> None:
        """Raise Overloaded when a verification asked for now could not start within max_wait.

        The wait is predicted from the queue ahead, served ``limit`` at a time, at the recent
        duration of one verification, which grows when a flood competes for the CPU: so the
        queue shrinks exactly when it must. Callers may ask before doing any other work.
        """
        ahead = self.stats.waiting + self.stats.running
        expected_wait = (ahead - self._limit + 1) / self._limit * self._recent_duration
        if ahead >= self._limit + self._max_queue or (
            self._max_wait and ahead >= self._limit and expected_wait > self._max_wait
        ):
            self.stats.shed += 1
            raise Overloaded("argon2 queue full")

    async def verify(self, encoded: str | None, secret: str) -> bool:
        """True when ``secret`` matches ``encoded``; a None hash checks the dummy and fails."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._limit)
        self.admit()
        self.stats.waiting += 1
        queued = time.perf_counter()
        try:
            await self._slots.acquire()
        finally:
            self.stats.waiting -= 1
        if self.on_wait is not None:
            self.on_wait(time.perf_counter() - queued)
        self.stats.running += 1
        try:
            loop = asyncio.get_running_loop()
            started = time.perf_counter()
            ok = await loop.run_in_executor(
                self._pool, self._verify_sync, encoded or self.dummy_hash, secret
            )
            took = time.perf_counter() - started
            self._recent_duration += (took - self._recent_duration) * 0.2  # moving average
        finally:
            self.stats.running -= 1
            self._slots.release()
        return ok and encoded is not None

    async def hash_async(self, secret: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._ph.hash, secret)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
