"""The storage contract of log in as a user: operators, their browser sessions, the codes.

Part of ``store/protocols.py`` (which re-exports these), kept apart to keep both small.
"""

from __future__ import annotations

from typing import Protocol

from ..models import Operator
from .records import CodeRecord, CodeResult


class OperatorStore(Protocol):
    """Operators (the people who log in as a user), found by id or by lower-case e-mail."""

    async def create(self, operator: Operator) -> bool:
        """Store a new operator with its e-mail in one step; False when the e-mail is taken."""
        ...

    async def get(self, operator_id: str) -> Operator | None: ...

    async def find(self, email: str) -> Operator | None:
        """The operator with this (lower-case) e-mail."""
        ...

    async def set_disabled(self, operator_id: str, disabled: bool) -> bool:
        """Disabling also ends every session of the operator; False when there is none."""
        ...

    async def delete(self, operator: Operator) -> bool:
        """Delete the operator (every session of theirs ends) and free the e-mail; False when
        there was none."""
        ...

    async def list(self) -> list[Operator]: ...


class OperatorSessionStore(Protocol):
    """Operators' browser sessions, each kept under a digest of its id for ``ttl_ms``."""

    async def start(self, digest: str, operator_id: str, ttl_ms: int) -> bool:
        """Start a session if the operator exists and is not disabled (one step); False when
        refused (nothing stored)."""
        ...

    async def operator(self, digest: str) -> Operator | None:
        """The session's operator while the session lives and the operator may act (present,
        not disabled, not disabled since the session started)."""
        ...

    async def end(self, digest: str) -> None: ...


class LoginCodeStore(Protocol):
    """Login-as authorization codes by digest: saved once, consumed once, each one step."""

    async def save(self, digest: str, record: CodeRecord, ttl_ms: int) -> bool:
        """Store a new code's record for ``ttl_ms``; False when the digest exists already."""
        ...

    async def consume(self, digest: str, *, jti: str, sid: str) -> CodeResult:
        """Spend the code. The first use gets its record and notes ``jti`` and ``sid`` (the
        access token and session it is to issue), which a later use is told."""
        ...


__all__ = ["LoginCodeStore", "OperatorSessionStore", "OperatorStore"]
