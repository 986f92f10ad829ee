"""What the stores will hold, as one plain object of the test: apps, users, operators, sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog

from service.loginas.authorize import LoginAsApp
from service.loginas.operators import Operator
from service.models import User

log = structlog.get_logger("tokenhouse.loginas")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass
class Directory:
    """What the stores will hold: apps, users, operators and operator sessions."""

    apps: dict[str, LoginAsApp] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    operators: dict[str, Operator] = field(default_factory=dict)  # by e-mail
    sessions: dict[str, str] = field(default_factory=dict)  # session digest -> operator id
    issued: list[dict[str, Any]] = field(default_factory=list)  # claims of issued tokens
    revoked: list[str] = field(default_factory=list)  # jtis revoked after a code's reuse

    def operator(self, operator_id: str | None) -> Operator | None:
        return next((o for o in self.operators.values() if o.operator_id == operator_id), None)
