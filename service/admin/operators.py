"""Operations on operators (the people who log in as a user): create, list, disable, delete.

Operators are accounts of their own, apart from marketplace users, with argon2id passwords;
the rules for their e-mails and passwords are ``loginas/operators.py``'s. Disabling or deleting
an operator ends every browser session of theirs at once.
"""

from __future__ import annotations

import time
import uuid

from ..crypto.hashing import SecretHasher
from ..loginas.operators import check_new_password, normalize_email
from ..models import Operator
from ..store.protocols import OperatorStore
from .errors import Conflict, ConflictKind, Invalid, NotFound
from .rules import check_email


class Operators:
    def __init__(self, operators: OperatorStore, hasher: SecretHasher) -> None:
        self.operators = operators
        self.hasher = hasher

    async def create(self, email: str, password: str) -> Operator:
        """A new operator (a new UUID); 409 when the e-mail belongs to another operator."""
        check_email(email)  # the users' rule (RFC 5321, ASCII), then the operators' own
        try:
            normalized = normalize_email(email)
            check_new_password(password)
        except ValueError as exc:
            raise Invalid(str(exc)) from None
        password_hash = await self.hasher.hash_async(password)
        operator = Operator(str(uuid.uuid4()), normalized, password_hash, created=int(time.time()))
        if not await self.operators.create(operator):
            raise Conflict(
                f"an operator with e-mail {normalized} exists",
                kind=ConflictKind.EMAIL_TAKEN,
                public="The e-mail belongs to another operator.",
            )
        return operator

    async def get(self, operator_id: str) -> Operator:
        found = await self.operators.get(operator_id) if _is_id(operator_id) else None
        if found is None:
            raise NotFound("no such operator", public="No such operator.")
        return found

    async def list(self) -> list[Operator]:
        return await self.operators.list()

    async def set_disabled(self, operator_id: str, disabled: bool) -> Operator:
        """Disable the operator (every session of theirs ends at once), or enable again."""
        operator = await self.get(operator_id)
        if not await self.operators.set_disabled(operator.operator_id, disabled):
            raise NotFound("no such operator", public="No such operator.")  # deleted meanwhile
        return Operator(
            operator.operator_id, operator.email, operator.password_hash, disabled, operator.created
        )

    async def delete(self, operator_id: str) -> Operator:
        """Delete the operator; every session of theirs ends, and the e-mail is free again."""
        operator = await self.get(operator_id)
        if not await self.operators.delete(operator):
            raise NotFound("no such operator", public="No such operator.")
        return operator


def _is_id(text: str) -> bool:
    """Whether ``text`` can be an operator id (what we make are UUIDs); others are not found."""
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
