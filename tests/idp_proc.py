"""The local identity provider as a process (``python -m tests.idp_server``), driven over HTTP.

For tiers whose service under test is another process (end-to-end, the official SDKs): the
service fetches discovery and keys from this process, and the test mints tokens through its
control API. Start it, use it, stop it::

    idp = IdpProcess().start()
    token = idp.mint(sub="user-1", email="a@example.com")
    idp.fail("jwks", "stall")
    idp.stop()
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from typing import Any

from .redis_proc import free_port
from .service_proc import ROOT


class IdpProcess:
    """``python -m tests.idp_server`` on a free loopback port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.info: dict[str, Any] = {}
        self._proc: subprocess.Popen[str] | None = None

    @property
    def issuer(self) -> str:
        return str(self.info["issuer"])

    @property
    def graph_url(self) -> str:
        return str(self.info["graph_url"])

    @property
    def client_id(self) -> str:
        return str(self.info["client_id"])

    @property
    def fb_app_id(self) -> str:
        return str(self.info["fb_app_id"])

    @property
    def fb_app_secret(self) -> str:
        return str(self.info["fb_app_secret"])

    def start(self) -> IdpProcess:
        """Start it and read the line it prints once it listens."""
        self._proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "tests.idp_server", "--port", str(self.port)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        assert line, f"the local IdP exited with {self._proc.poll()}"
        self.info = json.loads(line)
        return self

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            self._proc.wait(timeout=10)
        self._proc = None

    def control(self, action: str, body: dict[str, Any] | None = None) -> Any:
        """POST /_control/<action> with a JSON body; the JSON answer."""
        request = urllib.request.Request(  # noqa: S310
            f"{self.issuer}/_control/{action}",
            data=json.dumps(body or {}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
            return json.loads(resp.read())

    def mint(self, *, key: str = "rs", header: dict[str, Any] | None = None, **claims: Any) -> str:
        """An ID token for the IdP's client id (``key``: rs or es); claims as LocalIdp.claims."""
        answer = self.control("mint", {"key": key, "header": header or {}, "claims": claims})
        return str(answer["token"])

    def forge(self, kind: str, **claims: Any) -> str:
        """A hostile token naming the IdP's RS256 kid: ``none`` (unsigned), ``hs256`` (keyed
        with the public key) or ``impostor`` (signed by a key the IdP never published)."""
        return str(self.control("forge", {"kind": kind, "claims": claims})["token"])

    def facebook_token(self, user_id: str, email: str | None, **extra: Any) -> str:
        """A user access token the Graph stand-in knows."""
        body = {"user_id": user_id, "email": email, **extra}
        return str(self.control("facebook_token", body)["token"])

    def fail(self, endpoint: str, mode: str) -> None:
        """Make discovery, jwks, debug_token or me misbehave (``ok`` heals it)."""
        self.control("fail", {"endpoint": endpoint, "mode": mode})

    def rotate(self, alg: str = "RS256") -> str:
        """A new signing key replaces the published ones; its kid."""
        return str(self.control("rotate", {"alg": alg})["kid"])

    def requests(self) -> dict[str, int]:
        """How often each endpoint was asked."""
        with urllib.request.urlopen(f"{self.issuer}/_control/requests", timeout=10) as resp:  # noqa: S310
            answer: dict[str, int] = json.loads(resp.read())
        return answer
