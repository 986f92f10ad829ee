"""The local IdP as a process (``python -m tests.idp_server --port N``), driven over HTTP."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from service.idp.config import FacebookIdp, OidcIdp
from service.idp.errors import IdpUnavailable
from service.idp.facebook import FacebookVerifier
from service.idp.oidc import OidcVerifier

from ...redis_proc import free_port
from ...service_proc import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def idp_process() -> Iterator[dict[str, Any]]:
    """The IdP process on a free port; what it printed on start-up."""
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "tests.idp_server", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(proc.stdout.readline())
        yield info
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


async def test_process_serves_tokens_that_verify(idp_process, session):
    """A token minted through the control API verifies against the process's JWKS."""
    async with session.post(
        f"{idp_process['issuer']}/_control/mint",
        json={"key": "es", "claims": {"sub": "proc-user"}},
    ) as resp:
        token = (await resp.json())["token"]
    config = OidcIdp("proc", idp_process["issuer"], (idp_process["client_id"],))

    identity = await OidcVerifier(config, session, production=False).verify(
        token, idp_process["client_id"]
    )

    assert identity.sub == "proc-user"


async def test_process_graph_stand_in_and_faults(idp_process, session):
    """The Graph stand-in answers for tokens it issued, and can be told to fail."""
    base = idp_process["issuer"]
    async with session.post(f"{base}/_control/facebook_token", json={"user_id": "77"}) as resp:
        token = (await resp.json())["token"]
    config = FacebookIdp(
        "fb", idp_process["fb_app_id"], idp_process["fb_app_secret"], idp_process["graph_url"]
    )
    verifier = FacebookVerifier(config, session, production=False)

    assert (await verifier.verify(token, config.client_id)).sub == "77"
    async with session.post(
        f"{base}/_control/fail", json={"endpoint": "me", "mode": "error"}
    ) as resp:
        assert resp.status == 200
    with pytest.raises(IdpUnavailable):
        await verifier.verify(token, config.client_id)
    async with session.get(f"{base}/_control/requests") as resp:
        counts = await resp.json()
    assert (counts["debug_token"], counts["me"]) == (2, 2)
