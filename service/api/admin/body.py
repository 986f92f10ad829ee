"""Strict JSON request bodies: an object of known fields, each of its type, nothing else.

Refused with ``400 invalid_request`` (and a description that names only our own field names,
never the request's content): another content type, a body that is not UTF-8 JSON, a
repeated key, ``NaN``, a lone surrogate, a field the operation does not take, a ``null``, a
value of the wrong type. A body over the limit is ``413`` before it is parsed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

from aiohttp import web

from ..parsing import bad_request as bad_request
from ..parsing import read_body, require_utf8_body

JSON = "application/json"
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError("repeated key")
        obj[key] = value
    return obj


def _constant(_: str) -> Any:
    raise ValueError("not JSON")  # NaN, Infinity: not JSON (RFC 8259 §6)


def _no_surrogates(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is None
    if isinstance(value, dict):
        return all(_no_surrogates(k) and _no_surrogates(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_no_surrogates(v) for v in value)
    return True


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request's JSON object (RFC 8259), parsed strictly."""
    require_utf8_body(request, JSON, "The body must be application/json.")
    raw = await read_body(request)
    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_pairs, parse_constant=_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise bad_request("The body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise bad_request("The body must be a JSON object.")
    if not _no_surrogates(value):
        raise bad_request("The body holds a string that is not valid Unicode.")
    return value


class Fields:
    """Typed access to a body's fields; anything not in ``allowed`` is refused at once."""

    def __init__(self, data: dict[str, Any], allowed: Collection[str]) -> None:
        if not set(data) <= set(allowed):
            raise bad_request("The body has a field this operation does not take.")
        self.data = data

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def _value(self, name: str, required: bool) -> Any:
        if name not in self.data:
            if required:
                raise bad_request(f"The field {name} is required.")
            return None
        value = self.data[name]
        if value is None:
            raise bad_request(f"The field {name} must not be null.")
        return value

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self._value(name, required)
        if value is not None and not isinstance(value, str):
            raise bad_request(f"The field {name} must be a string.")
        return value

    def boolean(self, name: str) -> bool | None:
        value = self._value(name, False)
        if value is not None and not isinstance(value, bool):
            raise bad_request(f"The field {name} must be true or false.")
        return value

    def strings(self, name: str, *, required: bool = False) -> list[str] | None:
        value = self._value(name, required)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, str) for v in value)
        ):
            raise bad_request(f"The field {name} must be a list of strings.")
        return value

    def objects(self, name: str) -> list[dict[str, Any]] | None:
        value = self._value(name, False)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, dict) for v in value)
        ):
            raise bad_request(f"The field {name} must be a list of objects.")
        return value
