"""web.Request -> models.TokenRequest, strictly (RFC 6749 §3.2, §2.3.1, Appendix B).

aiohttp's ``request.post()`` keeps duplicates, passes ``%ZZ`` through, turns invalid UTF-8
into U+FFFD, accepts multipart and returns an empty form for JSON, so the body is parsed here.
"""

from __future__ import annotations

import binascii
import ipaddress
import re

from aiohttp import web

from ..errors import ErrorCode, OAuthError
from ..models import ClientCredentials, TokenRequest

FORM = "application/x-www-form-urlencoded"
MAX_PARAMS = 64
MAX_HEADER = 8192
_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_HEX = re.compile(rb"%([0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def bad_request(description: str) -> OAuthError:
    return OAuthError(ErrorCode.INVALID_REQUEST, description)


def form_decode(raw: bytes, what: str) -> str:
    """Decode one application/x-www-form-urlencoded component, refusing anything irregular."""
    if raw.isascii() and b"%" not in raw and b"+" not in raw:  # the common case: plain ASCII
        if _CONTROL_BYTES.search(raw):
            raise bad_request(f"Control characters are not allowed in {what}.")
        return raw.decode("ascii")
    if _BAD_PERCENT.search(raw):
        raise bad_request(f"Malformed percent-encoding in {what}.")
    raw = _HEX.sub(lambda m: bytes([int(m.group(1), 16)]), raw.replace(b"+", b" "))
    try:
        text = raw.decode("utf-8", "strict")
    except UnicodeDecodeError:
        raise bad_request(f"Invalid UTF-8 in {what}.") from None
    if _CONTROL.search(text):
        raise bad_request(f"Control characters are not allowed in {what}.")
    return text


def parse_form(body: bytes) -> dict[str, str]:
    """Parameters of a form body; duplicates are an error, empty values count as absent."""
    seen: set[str] = set()
    params: dict[str, str] = {}
    parts = [p for p in body.split(b"&") if p]
    if len(parts) > MAX_PARAMS:
        raise bad_request("Too many parameters.")
    if body.isascii() and b"%" not in body and b"+" not in body and not _CONTROL_BYTES.search(body):
        # The common case (what the SDKs send): nothing to decode, nothing to refuse but repeats.
        for part in parts:
            name, _, value = part.decode("ascii").partition("=")
            if name in seen:
                raise bad_request("A parameter is repeated.")
            seen.add(name)
            if value:
                params[name] = value
        return params
    for part in parts:
        raw_name, _, raw_value = part.partition(b"=")
        name = form_decode(raw_name, "parameter names")
        if name in seen:
            raise bad_request("A parameter is repeated.")
        seen.add(name)
        value = form_decode(raw_value, "parameter values")
        if value:
            params[name] = value
    return params


async def read_form(request: web.Request) -> dict[str, str]:
    # The common case is the exact header the SDKs send: no need to parse it.
    if request.headers.get("Content-Type") != FORM:
        require_utf8_body(request, FORM, "The body must be application/x-www-form-urlencoded.")
    return parse_form(await read_body(request))


def require_utf8_body(request: web.Request, content_type: str, wrong_type: str) -> None:
    """400 unless the body is ``content_type`` in UTF-8 (the default when no charset is named)."""
    if request.content_type != content_type:
        raise bad_request(wrong_type)
    charset = request.charset
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        raise bad_request("Only the UTF-8 charset is supported.")


async def read_body(request: web.Request) -> bytes:
    """The whole body, within ``client_max_size`` (413 before reading when it says it is larger)."""
    limit = request.client_max_size
    if request.content_length is not None and request.content_length > limit:
        # Answer at once instead of waiting for a body that will be refused anyway.
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    try:
        return await request.read()
    except web.RequestPayloadError:  # a broken chunked or compressed body: the client's fault
        raise bad_request("The request body could not be read.") from None


def parse_authorization(header: str | None) -> tuple[ClientCredentials | None, str | None]:
    """(Basic client credentials, Bearer token) from an Authorization header."""
    if header is None:
        return None, None
    if len(header) > MAX_HEADER:
        raise OAuthError(ErrorCode.INVALID_REQUEST, "The Authorization header is too long.")
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return None, value
    if scheme.lower() != "basic" or not value:
        raise OAuthError(
            ErrorCode.INVALID_CLIENT,
            "Unsupported authorization scheme.",
            www_authenticate='Basic realm="tokenhouse"',
        )
    try:
        decoded = binascii.a2b_base64(value.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise _bad_basic() from None
    raw_id, sep, raw_secret = decoded.partition(b":")
    if not sep or not raw_id:
        raise _bad_basic()
    try:
        client_id = form_decode(raw_id, "client_id")
        secret = form_decode(raw_secret, "client_secret")
    except OAuthError:
        raise _bad_basic() from None
    return ClientCredentials(client_id, secret or None, via_basic=True), None


def _bad_basic() -> OAuthError:
    return OAuthError(
        ErrorCode.INVALID_CLIENT,
        "Malformed Basic credentials.",
        www_authenticate='Basic realm="tokenhouse"',
    )


def client_source(request: web.Request, proxy_hops: int) -> str:
    """The client's address: X-Forwarded-For is believed only through ``proxy_hops`` proxies."""
    remote = request.remote or ""
    if proxy_hops <= 0 or "X-Forwarded-For" not in request.headers:
        return remote
    forwarded = ",".join(request.headers.getall("X-Forwarded-For"))
    chain = [a.strip() for a in forwarded.split(",") if a.strip()] + [remote]
    candidate = chain[-(proxy_hops + 1)] if len(chain) > proxy_hops else chain[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


async def parse_request(
    request: web.Request, proxy_hops: int, *, allow_bearer: bool = False
) -> TokenRequest:
    params = await read_form(request)
    basic, bearer = parse_authorization(request.headers.get("Authorization"))
    if bearer is not None and not allow_bearer:
        raise OAuthError(
            ErrorCode.INVALID_CLIENT,
            "Bearer tokens do not authenticate clients here.",
            www_authenticate='Basic realm="tokenhouse"',
        )
    body_id, body_secret = params.pop("client_id", None), params.pop("client_secret", None)
    if basic is not None:
        if body_secret is not None:
            raise bad_request("Use one client authentication method, not two.")
        if body_id is not None and body_id != basic.client_id:
            raise bad_request("The client_id does not match the Basic credentials.")
        creds = basic
    else:
        creds = ClientCredentials(body_id, body_secret)
    return TokenRequest(params, creds, client_source(request, proxy_hops), bearer)
