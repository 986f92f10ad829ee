"""Log in as a user against the real process: a ``tokenhouse serve`` with its admin listener,
and the operators, apps (with redirect URIs) and users an operator makes with the CLI.

Shared by the integration tests of the login-as pages and by the browser tier.
"""

from __future__ import annotations

import base64
import html
import re
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .redis_proc import free_port
from .service_proc import ServiceProcess, base_env, run_cli

OPERATOR_PASSWORD = "correct horse battery staple"
USER_PASSWORD = "user password 1"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]*)"')
ACTION_RE = re.compile(r'<form[^>]* method="post" action="([^"]*)"')


def csrf_of(page: str, index: int = 0) -> str:
    """The CSRF token of the page's ``index``-th form."""
    return html.unescape(CSRF_RE.findall(page)[index])


def action_of(page: str, index: int = 0) -> str:
    """Where the page's ``index``-th form posts to."""
    return html.unescape(ACTION_RE.findall(page)[index])


def query_of(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


def server_key() -> str:
    """A fresh server secret (base64 of 32 random bytes), as an operator makes one."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass
class LoginAsService:
    """A running service and the CLI on its configuration."""

    process: ServiceProcess

    @property
    def url(self) -> str:
        """The public listener (/v1/auth/*)."""
        return self.process.url

    @property
    def console_url(self) -> str:
        """The admin listener: SERVER_SHARETRIBE_CONSOLE_URL of the web template."""
        return self.process.admin_url

    def cli(self, *args: str, stdin: str | None = None) -> Any:
        return run_cli(self.process.env, *args, stdin=stdin)

    def new_app(self, name: str, *redirect_uris: str, secret: bool = False) -> dict[str, Any]:
        """``apps create --kind marketplace``, then ``apps update --redirect-uri``."""
        extra = ("--secret",) if secret else ()
        app = self.cli("apps", "create", "--kind", "marketplace", "--name", name, *extra)
        if redirect_uris:
            flags = [arg for uri in redirect_uris for arg in ("--redirect-uri", uri)]
            self.cli("apps", "update", app["client_id"], *flags)
        return dict(app)

    def new_user(self, email: str | None = None) -> dict[str, Any]:
        email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
        created = self.cli(
            "users", "create", "--email", email, "--password-stdin", stdin=USER_PASSWORD
        )
        return dict(created)

    def new_operator(self, email: str | None = None) -> dict[str, Any]:
        email = email or f"support-{uuid.uuid4().hex[:10]}@example.com"
        created = self.cli(
            "operators", "create", "--email", email, "--password-stdin", stdin=OPERATOR_PASSWORD
        )
        return dict(created)

    def events(self, *prefixes: str) -> list[dict[str, Any]]:
        """The service's log events whose name starts with one of ``prefixes``."""
        return [e for e in self.process.events() if str(e.get("event", "")).startswith(prefixes)]


def start_login_as_service(workdir: Path, redis_url: str, **settings: str) -> LoginAsService:
    """``tokenhouse serve`` on free ports with a server secret, JSON logs at info."""
    env = base_env(
        TOKENHOUSE_REDIS__URL=redis_url,
        TOKENHOUSE_SERVER__HOST="127.0.0.1",
        TOKENHOUSE_SERVER__PORT=str(free_port()),
        TOKENHOUSE_SERVER__SHUTDOWN_TIMEOUT="2",
        TOKENHOUSE_SECRETS__SERVER_KEY=server_key(),
        TOKENHOUSE_LOG__FORMAT="json",
        TOKENHOUSE_LOG__LEVEL="info",
        **settings,
    )
    process = ServiceProcess(workdir, env=env, cwd=workdir).start("/readyz")
    return LoginAsService(process)
