"""The users endpoints of the admin API, identity links included; each handler is named after
its OpenAPI operationId."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ...admin import UserUpdate
from ...admin.rules import check_email
from ...models import Identity
from ..appkeys import ADMIN
from .body import Fields, bad_request, read_json
from .calls import note_target
from .paths import idp_id, user_id
from .render import answer, no_content, user_json

CREATE = ("email", "password", "email_verified", "identities")
PATCH = ("email", "password", "email_verified", "disabled", "keep_sessions")


def _identities(items: list[dict[str, Any]] | None) -> list[Identity]:
    found = []
    for item in items or []:
        fields = Fields(item, ("idp_id", "sub"))
        found.append(
            Identity(
                fields.string("idp_id", required=True) or "",
                fields.string("sub", required=True) or "",
            )
        )
    return found


async def create_user(request: web.Request) -> web.Response:
    body = Fields(await read_json(request), CREATE)
    user = await request.app[ADMIN].users.create(
        body.string("email", required=True) or "",
        body.string("password"),
        email_verified=body.boolean("email_verified") or False,
        identities=_identities(body.objects("identities")),
    )
    note_target(request, "user", user.user_id)
    return answer(user_json(user), 201, f"/admin/v1/users/{user.user_id}")


async def find_user_by_email(request: web.Request) -> web.Response:
    note_target(request, "user")
    emails = request.query.getall("email", [])
    if len(emails) != 1:
        raise bad_request("Give the query parameter email exactly once.")
    user = await request.app[ADMIN].users.find(check_email(emails[0]))
    note_target(request, "user", user.user_id)
    return answer(user_json(user))


async def get_user(request: web.Request) -> web.Response:
    uid = user_id(request)
    note_target(request, "user", uid)
    return answer(user_json(await request.app[ADMIN].users.get(uid)))


async def update_user(request: web.Request) -> web.Response:
    uid = user_id(request)
    note_target(request, "user", uid)
    body = Fields(await read_json(request), PATCH)
    change = UserUpdate(
        email=body.string("email"),
        password=body.string("password"),
        email_verified=body.boolean("email_verified"),
        disabled=body.boolean("disabled"),
        keep_sessions=body.boolean("keep_sessions"),
    )
    done = await request.app[ADMIN].users.update(uid, change)
    return answer(user_json(done.user))


async def delete_user(request: web.Request) -> web.Response:
    uid = user_id(request)
    note_target(request, "user", uid)
    await request.app[ADMIN].users.delete(uid)
    return no_content()


async def link_identity(request: web.Request) -> web.Response:
    uid, idp = user_id(request), idp_id(request, "idp_id")
    note_target(request, "user", f"{uid} idp:{idp}")
    body = Fields(await read_json(request), ("sub",))
    user, new = await request.app[ADMIN].identities.link(
        uid, idp, body.string("sub", required=True) or ""
    )
    return answer(user_json(user), 201 if new else 200)


async def unlink_identity(request: web.Request) -> web.Response:
    uid, idp = user_id(request), idp_id(request, "idp_id")
    note_target(request, "user", f"{uid} idp:{idp}")
    await request.app[ADMIN].identities.unlink(uid, idp)
    return no_content()
