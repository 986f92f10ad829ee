"""An open-loop HTTP/1.1 load generator: requests sent on a fixed schedule, latency from it.

Request i is due at ``start + i / rate``, whatever happened before: when every connection is
busy it waits in a queue, and that wait counts in its latency (a stall is charged to every
request it delays, unlike a closed loop such as wrk's, which just sends less). Keep-alive
connections, one request at a time on each, responses framed by Content-Length. Each request
is built when it is sent, so a refresh token returned by one response can be used by a later
request. Loopback only.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.I)


@dataclass
class Job:
    grant: str
    due: float  # loop time it was scheduled for


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)  # answered with 2xx
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)  # no answer: why

    def error(self, why: str) -> None:
        self.errors[why] = self.errors.get(why, 0) + 1


# builds a request's bytes for a grant (None: nothing to send, e.g. no refresh token left)
Build = Callable[[str], bytes | None]
# told each response: (grant, status, body)
Seen = Callable[[str, int, bytes], None]


class _Connection(asyncio.Protocol):
    def __init__(self, gen: OpenLoop) -> None:
        self.gen = gen
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.job: Job | None = None
        self.head = 0  # end of the response head in buf (0: not yet read)
        self.need = 0
        self.status = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def send(self, job: Job, request: bytes) -> None:
        assert self.transport is not None
        self.job = job
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while self.job is not None:
            if not self.head:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(self.buf[:end])
                match = CONTENT_LENGTH.search(head)
                self.status = int(head[9:12])
                self.head = end + 4
                self.need = self.head + (int(match.group(1)) if match else 0)
            if len(self.buf) < self.need:
                return
            body = bytes(self.buf[self.head : self.need])
            del self.buf[: self.need]
            job, self.job, self.head = self.job, None, 0
            self.gen.answered(self, job, self.status, body)

    def connection_lost(self, exc: Exception | None) -> None:
        self.gen.lost(self)


class OpenLoop:
    """``rate`` requests a second over ``connections`` keep-alive connections."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        rate: float,
        connections: int,
        pick: Callable[[int], str],
        build: Build,
        seen: Seen | None = None,
    ) -> None:
        if not host.startswith("127.") and host != "localhost":
            raise ValueError("loopback only")
        self.host, self.port, self.rate = host, port, rate
        self.connections = connections
        self.pick, self.build, self.seen = pick, build, seen
        self.idle: list[_Connection] = []
        self.queue: deque[Job] = deque()
        self.outcomes: dict[str, Outcome] = {}
        self.in_flight = 0
        self.recording = False
        self._all: list[_Connection] = []

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(self.connections):
            _, conn = await loop.create_connection(lambda: _Connection(self), self.host, self.port)
            self._all.append(conn)
            self.idle.append(conn)

    def close(self) -> None:
        for conn in self._all:
            if conn.transport is not None:
                conn.transport.close()

    def _outcome(self, grant: str) -> Outcome:
        return self.outcomes.setdefault(grant, Outcome())

    def _dispatch(self, job: Job) -> None:
        request = self.build(job.grant)
        if request is None:
            if self.recording:
                self._outcome(job.grant).error("nothing to send")
            return
        conn = self.idle.pop()
        self.in_flight += 1
        conn.send(job, request)

    def answered(self, conn: _Connection, job: Job, status: int, body: bytes) -> None:
        self.in_flight -= 1
        loop = asyncio.get_running_loop()
        if self.recording and job.due >= self._record_from:
            out = self._outcome(job.grant)
            out.statuses[status] = out.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                out.latencies_ms.append((loop.time() - job.due) * 1000)
        if self.seen is not None:
            self.seen(job.grant, status, body)
        self.idle.append(conn)
        if self.queue:
            self._dispatch(self.queue.popleft())

    def lost(self, conn: _Connection) -> None:
        if conn in self.idle:
            self.idle.remove(conn)
        if conn.job is not None:
            self.in_flight -= 1
            if self.recording:
                self._outcome(conn.job.grant).error("connection lost")
            conn.job = None

    async def run(self, seconds: float, *, record: bool, drain: float = 10.0) -> float:
        """Send on schedule for ``seconds``; wait up to ``drain`` s for the answers; the
        seconds the schedule took."""
        loop = asyncio.get_running_loop()
        self.recording = record
        start = loop.time() + 0.05
        self._record_from = start
        total = int(self.rate * seconds)
        i = 0
        while i < total:
            now = loop.time()
            while i < total and start + i / self.rate <= now:
                job = Job(self.pick(i), start + i / self.rate)
                i += 1
                if self.idle and not self.queue:
                    self._dispatch(job)
                else:
                    self.queue.append(job)
            if i < total:
                await asyncio.sleep(max(0.0, start + i / self.rate - loop.time()))
        took = loop.time() - start
        deadline = loop.time() + drain
        while (self.in_flight or self.queue) and loop.time() < deadline:  # noqa: ASYNC110 - bounded poll
            await asyncio.sleep(0.01)
        if record:
            for job in self.queue:
                self._outcome(job.grant).error("never sent")
            for conn in self._all:
                if conn.job is not None:
                    self._outcome(conn.job.grant).error("no answer in time")
        self.queue.clear()
        self.recording = False
        return took
