"""The operators endpoints of the admin API (log in as a user), each named after its operationId."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ...models import Operator
from ..appkeys import ADMIN
from .body import Fields, bad_request, read_json
from .calls import note_target
from .paths import USER_ID, path_id
from .render import answer, no_content, timestamp

BASE = "/admin/v1/operators"


def operator_json(operator: Operator) -> dict[str, Any]:
    """An operator as the API shows it: never the password or its hash."""
    return {
        "id": operator.operator_id,
        "email": operator.email,
        "disabled": operator.disabled,
        "created": timestamp(operator.created),
    }


def operator_id(request: web.Request) -> str:
    # Operator ids are lower-case UUIDs version 4, as user ids are.
    return path_id(request, "id", lambda v: USER_ID.fullmatch(v) is not None, "operator")


async def create_operator(request: web.Request) -> web.Response:
    note_target(request, "operators")
    fields = Fields(await read_json(request), ("email", "password"))
    email = fields.string("email", required=True)
    password = fields.string("password", required=True)
    assert email is not None and password is not None
    operator = await request.app[ADMIN].operators.create(email, password)
    note_target(request, "operator", operator.operator_id)
    return answer(operator_json(operator), 201, f"{BASE}/{operator.operator_id}")


async def list_operators(request: web.Request) -> web.Response:
    note_target(request, "operators")
    operators = await request.app[ADMIN].operators.list()
    return answer([operator_json(o) for o in operators])


async def get_operator(request: web.Request) -> web.Response:
    oid = operator_id(request)
    note_target(request, "operator", oid)
    return answer(operator_json(await request.app[ADMIN].operators.get(oid)))


async def update_operator(request: web.Request) -> web.Response:
    oid = operator_id(request)
    note_target(request, "operator", oid)
    fields = Fields(await read_json(request), ("disabled",))
    disabled = fields.boolean("disabled")
    if disabled is None:
        raise bad_request("The field disabled is required.")
    return answer(operator_json(await request.app[ADMIN].operators.set_disabled(oid, disabled)))


async def delete_operator(request: web.Request) -> web.Response:
    oid = operator_id(request)
    note_target(request, "operator", oid)
    await request.app[ADMIN].operators.delete(oid)
    return no_content()
