"""Demo data for `make run`: a marketplace app, an integration app and a user, made once.

Their credentials are kept in the embedded store's state directory (mode 600) so each start
can print them. `serve` writes them only into the embedded store (never into a Redis that
``redis.url`` names), and start-up refuses demo data in production.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from pathlib import Path
from typing import Any

from .crypto.hashing import SecretHasher
from .models import Client, ClientKind, User
from .store.redis import RedisStore

DEMO_EMAIL = "demo@example.com"


async def ensure_demo_data(
    store: RedisStore, hasher: SecretHasher, state_dir: str
) -> dict[str, Any]:
    path = Path(state_dir) / "demo.json"
    if path.exists():
        demo: dict[str, Any] = json.loads(path.read_text())
        if await store.get_client(demo["marketplace_client_id"]) is not None:
            return demo
    demo = {
        "marketplace_client_id": str(uuid.uuid4()),
        "marketplace_client_secret": secrets.token_urlsafe(32),
        "integration_client_id": str(uuid.uuid4()),
        "integration_client_secret": secrets.token_urlsafe(32),
        "user_email": DEMO_EMAIL,
        "user_password": secrets.token_urlsafe(12),
    }
    await store.save_client(
        Client(
            demo["marketplace_client_id"],
            ClientKind.MARKETPLACE,
            "Demo marketplace",
            hasher.hash(demo["marketplace_client_secret"]),
        )
    )
    await store.save_client(
        Client(
            demo["integration_client_id"],
            ClientKind.INTEGRATION,
            "Demo integration",
            hasher.hash(demo["integration_client_secret"]),
        )
    )
    existing = await store.get_user_id(DEMO_EMAIL)
    if existing:
        await store.update_user(existing, pw=hasher.hash(demo["user_password"]))
    else:
        await store.create_user(
            User(str(uuid.uuid4()), DEMO_EMAIL, hasher.hash(demo["user_password"]))
        )
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(demo, fh, indent=2)
    return demo


def banner(demo: dict[str, Any], base_url: str) -> str:
    return f"""
tokenhouse is serving at {base_url}  (demo data, local mode only)

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
