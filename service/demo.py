"""Demo data for `make run`: a marketplace app, an integration app and a user, made once.

Their credentials are kept in the embedded store's state directory (mode 600) so each start
can print them. `serve` writes them only into the embedded store (never into a Redis that
``redis.url`` names), and start-up refuses demo data in production.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from .admin import Admin, NotFound
from .models import ClientKind

DEMO_EMAIL = "demo@example.com"


async def ensure_demo_data(admin: Admin, state_dir: str) -> dict[str, Any]:
    """The demo apps and user, made through the application layer once; their credentials."""
    path = Path(state_dir) / "demo.json"
    if path.exists():
        demo: dict[str, Any] = json.loads(path.read_text())
        try:
            await admin.apps.get(demo["marketplace_client_id"])
            return demo
        except NotFound:
            pass
    marketplace = await admin.apps.create(
        ClientKind.MARKETPLACE, "Demo marketplace", with_secret=True
    )
    integration = await admin.apps.create(ClientKind.INTEGRATION, "Demo integration")
    demo = {
        "marketplace_client_id": marketplace.client.client_id,
        "marketplace_client_secret": marketplace.secret,
        "integration_client_id": integration.client.client_id,
        "integration_client_secret": integration.secret,
        "user_email": DEMO_EMAIL,
        "user_password": secrets.token_urlsafe(12),
    }
    try:
        await admin.users.set_password(DEMO_EMAIL, demo["user_password"])
    except NotFound:
        await admin.users.create(DEMO_EMAIL, demo["user_password"])
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(demo, fh, indent=2)
    return demo


def banner(demo: dict[str, Any], base_url: str, admin_url: str = "") -> str:
    admin = (
        f"\nThe admin API and /metrics are at {admin_url} (tokenhouse admin-tokens create "
        "--name me --json gives a token)\n"
        if admin_url
        else ""
    )
    return f"""
tokenhouse is serving at {base_url}  (demo data, local mode only){admin}

  marketplace app   client_id     {demo["marketplace_client_id"]}
                    client_secret {demo["marketplace_client_secret"]}
  integration app   client_id     {demo["integration_client_id"]}
                    client_secret {demo["integration_client_secret"]}
  demo user         username      {demo["user_email"]}
                    password      {demo["user_password"]}

Anonymous marketplace token:
  curl -s -X POST {base_url}/v1/auth/token -d grant_type=client_credentials -d client_id={demo["marketplace_client_id"]} -d scope=public-read

User login (password grant):
  curl -s -X POST {base_url}/v1/auth/token -d grant_type=password -d client_id={demo["marketplace_client_id"]} --data-urlencode username={demo["user_email"]} --data-urlencode password={demo["user_password"]} -d scope=user
"""
