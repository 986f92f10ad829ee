"""JWT attacks against JwtCodec and through token_exchange and introspection."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from service.crypto.jwt import InvalidJwt, JwtCodec, generate_pem, load_key

from ..factories import make_client as add_client
from ..factories import make_user
from .helpers import (
    BAD_SUBJECT,
    EXCHANGE,
    INTROSPECT,
    REVOKE,
    b64url,
    forge,
    jwt_parts,
    post_form,
    unb64url,
)

ISSUER = "https://auth.example.test"
AUDIENCE = "tokenhouse"
PASSWORD = "correct horse"
SECRET = "marketplace-secret"


def es256_signer(private: ec.EllipticCurvePrivateKey) -> Callable[[bytes], bytes]:
    """ES256 signatures (raw r || s) with a cryptography key: an attacker's own signer."""

    def sign(data: bytes) -> bytes:
        r, s = decode_dss_signature(private.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    return sign


def hs256(secret: bytes) -> Callable[[bytes], bytes]:
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


def our_signer(signing_key: Any) -> Callable[[bytes], bytes]:
    """Our real private key: lets a test craft headers and claims the service itself would sign."""
    return signing_key[0][0].key.sign


def public_forms(signing_key: Any) -> dict[str, bytes]:
    """Our public key as PEM, DER and JWK bytes: what an HS256 key-confusion attack keys with."""
    key = signing_key[0][0]
    public = serialization.load_pem_public_key(key.verifier.to_pem())
    return {
        "pem": public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "der": public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "jwk": json.dumps(key.public_jwk).encode(),
        "jwk-compact": json.dumps(key.public_jwk, separators=(",", ":")).encode(),
    }


def good_header(kid: str) -> dict[str, Any]:
    return {"alg": "ES256", "kid": kid, "typ": "at+jwt"}


def good_claims(now: int) -> dict[str, Any]:
    return {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": AUDIENCE,
        "exp": now + 600,
        "iat": now,
        "jti": "jti-1",
        "client_id": "client-1",
        "scope": "user",
    }


def attacks(signing_key: Any, header: dict[str, Any], claims: dict[str, Any]) -> dict[str, str]:
    """Every attack token, built from a valid header and claims that the service would accept."""
    kid = header["kid"]
    ours = our_signer(signing_key)
    attacker = es256_signer(ec.generate_private_key(ec.SECP256R1()))
    attacker_jwk = {"kty": "EC", "crv": "P-256", "x": b64url(b"x" * 32), "y": b64url(b"y" * 32)}
    out: dict[str, str] = {}
    for alg in ("none", "None", "NONE", "nOnE"):
        out[f"alg-{alg}"] = forge({**header, "alg": alg}, claims, None)
    out["alg-none-with-signature"] = forge({**header, "alg": "none"}, claims, ours)
    out["alg-missing"] = forge({k: v for k, v in header.items() if k != "alg"}, claims, ours)
    for form, secret in public_forms(signing_key).items():
        out[f"hs256-public-{form}"] = forge({**header, "alg": "HS256"}, claims, hs256(secret))
        out[f"es256-header-hmac-{form}"] = forge(header, claims, hs256(secret))
    out["hs512-public-pem"] = forge(
        {**header, "alg": "HS512"},
        claims,
        lambda d: hmac.new(public_forms(signing_key)["pem"], d, hashlib.sha512).digest(),
    )
    out["rs256-header"] = forge({**header, "alg": "RS256"}, claims, ours)
    out["attacker-key-with-our-kid"] = forge(header, claims, attacker)
    for name, value in (
        ("jku", "https://evil.example/jwks.json"),
        ("x5u", "https://evil.example/cert.pem"),
        ("jwk", attacker_jwk),
        ("x5c", ["MIIB"]),
        ("crit", ["exp"]),
    ):
        out[f"header-{name}"] = forge({**header, name: value}, claims, ours)
    out["header-jwk-attacker-signed"] = forge({**header, "jwk": attacker_jwk}, claims, attacker)
    out["kid-unknown"] = forge({**header, "kid": "other-key"}, claims, ours)
    out["kid-missing"] = forge({k: v for k, v in header.items() if k != "kid"}, claims, ours)
    out["kid-traversal"] = forge({**header, "kid": f"../../{kid}"}, claims, ours)
    out["kid-list"] = forge({**header, "kid": [kid]}, claims, ours)
    out["kid-int"] = forge({**header, "kid": 1}, claims, ours)
    out["typ-jwt"] = forge({**header, "typ": "JWT"}, claims, ours)
    out["typ-missing"] = forge({k: v for k, v in header.items() if k != "typ"}, claims, ours)
    out["iss-wrong"] = forge(header, {**claims, "iss": "https://evil.example"}, ours)
    out["iss-trailing-slash"] = forge(header, {**claims, "iss": claims["iss"] + "/"}, ours)
    out["aud-wrong"] = forge(header, {**claims, "aud": "another-api"}, ours)
    for name in ("iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"):
        out[f"missing-{name}"] = forge(header, {k: v for k, v in claims.items() if k != name}, ours)
    for name in ("exp", "iat"):
        for label, value in (
            ("float", float(claims[name]) + 0.5),
            ("string", str(claims[name])),
            ("bool", True),
            ("null", None),
            ("list", [claims[name]]),
            ("object", {"v": claims[name]}),
        ):
            out[f"{name}-{label}"] = forge(header, {**claims, name: value}, ours)
    out["nbf-string"] = forge(header, {**claims, "nbf": "0"}, ours)
    out["nbf-future"] = forge(header, {**claims, "nbf": claims["iat"] + 3600}, ours)
    out["iat-future"] = forge(header, {**claims, "iat": claims["iat"] + 3600}, ours)
    out["expired"] = forge(header, {**claims, "exp": claims["iat"] - 3600}, ours)
    out["sub-int"] = forge(header, {**claims, "sub": 42}, ours)
    out["claims-list"] = forge(header, [claims], ours)
    out["claims-string"] = forge(header, "claims", ours)
    valid = forge(header, claims, ours)
    for index, part in enumerate(("header", "payload", "signature")):
        segments = valid.split(".")
        raw = bytearray(unb64url(segments[index]))
        for label, position in (("first", 0), ("middle", len(raw) // 2), ("last", len(raw) - 1)):
            flipped = bytearray(raw)
            flipped[position] ^= 0x01
            out[f"flip-{part}-{label}"] = ".".join(
                [*segments[:index], b64url(bytes(flipped)), *segments[index + 1 :]]
            )
    out["signature-stripped"] = valid.rsplit(".", 1)[0] + "."
    out["extra-segment"] = valid + ".AAAA"
    out["not-a-jws"] = "not-a-token"
    out["empty-segments"] = ".."
    out["oversized"] = valid + "A" * 5000
    return out


@pytest.fixture(scope="module")
def codec_key() -> Any:
    key = load_key("kid-a", generate_pem("ES256"), "ES256")
    return [key], key.kid


@pytest.fixture
def codec(codec_key: Any) -> JwtCodec:
    return JwtCodec(codec_key[0], codec_key[1], algorithm="ES256", issuer=ISSUER, audience=AUDIENCE)


def test_control_a_forged_token_with_our_key_and_good_claims_verifies(codec, codec_key):
    """The forging helper makes tokens the codec accepts, so each rejection below is the defence."""
    now = int(time.time())
    token = forge(good_header(codec_key[1]), good_claims(now), our_signer(codec_key))
    assert codec.verify(token, now)["sub"] == "user-1"


ATTACK_NAMES = sorted(
    attacks(
        (lambda k: ([k], k.kid))(load_key("probe", generate_pem("ES256"), "ES256")),
        good_header("probe"),
        good_claims(0),
    )
)


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_codec_rejects_attack(codec, codec_key, name):
    """JwtCodec.verify rejects the attack token with InvalidJwt and nothing else."""
    now = int(time.time())
    token = attacks(codec_key, good_header(codec_key[1]), good_claims(now))[name]
    with pytest.raises(InvalidJwt):
        codec.verify(token, now)


def test_codec_picks_the_key_by_kid_not_any_published_key():
    """A token signed by published key B but naming key A is refused; naming B it verifies."""
    key_a = load_key("key-a", generate_pem("ES256"), "ES256")
    key_b = load_key("key-b", generate_pem("ES256"), "ES256")
    codec = JwtCodec([key_a, key_b], "key-a", algorithm="ES256", issuer=ISSUER, audience=AUDIENCE)
    now = int(time.time())
    claims = good_claims(now)

    wrong_kid = forge(good_header("key-a"), claims, key_b.key.sign)
    right_kid = forge(good_header("key-b"), claims, key_b.key.sign)

    with pytest.raises(InvalidJwt):
        codec.verify(wrong_kid, now)
    assert codec.verify(right_kid, now)["jti"] == "jti-1"


def test_codec_accepts_clock_skew_within_leeway_only(codec, codec_key):
    """exp 3 s past and iat 3 s ahead pass (our own tokens: leeway 5 s); 30 s do not."""
    now = int(time.time())
    ours = our_signer(codec_key)
    header = good_header(codec_key[1])
    codec.verify(forge(header, {**good_claims(now), "exp": now - 3}, ours), now)
    codec.verify(forge(header, {**good_claims(now), "iat": now + 3}, ours), now)
    with pytest.raises(InvalidJwt):
        codec.verify(forge(header, {**good_claims(now), "exp": now - 30}, ours), now)
    with pytest.raises(InvalidJwt):
        codec.verify(forge(header, {**good_claims(now), "iat": now + 30}, ours), now)


# HTTP: token_exchange and introspection ------------------------------------------------------


async def login(client: Any, app: Any, user: Any) -> dict[str, Any]:
    status, body, _ = await post_form(
        client,
        {
            "grant_type": "password",
            "client_id": app.client_id,
            "username": user.email,
            "password": PASSWORD,
            "scope": "user",
        },
    )
    assert status == 200, body
    return body


async def exchange(client: Any, app: Any, subject: str, secret: str = SECRET) -> tuple[int, Any]:
    status, body, _ = await post_form(
        client,
        {
            "grant_type": EXCHANGE,
            "client_id": app.client_id,
            "client_secret": secret,
            "subject_token": subject,
        },
    )
    return status, body


async def introspect(client: Any, app: Any, token: str, secret: str = SECRET) -> tuple[int, Any]:
    status, body, _ = await post_form(
        client,
        {"token": token, "client_id": app.client_id, "client_secret": secret},
        path=INTROSPECT,
    )
    return status, body


@pytest.fixture
async def session(client: Any, services: Any, store: Any) -> dict[str, Any]:
    """A marketplace app with a secret, a user, and that user's live login."""
    app = await add_client(store, secret=SECRET)
    user = await make_user(store, password=PASSWORD)
    tokens = await login(client, app, user)
    header, claims = jwt_parts(tokens["access_token"])
    return {"app": app, "user": user, "tokens": tokens, "header": header, "claims": claims}


async def test_control_exchange_and_introspection_accept_a_forged_copy_of_a_live_token(
    client, signing_key, session
):
    """Our key re-signing the live token's header and claims passes: the attacks differ only by
    the attack."""
    token = forge(session["header"], session["claims"], our_signer(signing_key))
    status, body = await exchange(client, session["app"], token)
    assert status == 200, body
    status, body = await introspect(client, session["app"], token)
    assert (status, body["active"]) == (200, True)


async def test_token_exchange_rejects_every_attack_with_401_invalid_grant(
    client, signing_key, session
):
    """Every attack subject_token is 401 invalid_grant, never a 500 or a token."""
    answers = {
        name: await exchange(client, session["app"], token)
        for name, token in attacks(signing_key, session["header"], session["claims"]).items()
    }
    assert {n: a for n, a in answers.items() if a != (401, BAD_SUBJECT)} == {}
    assert sorted(answers) == ATTACK_NAMES


async def test_introspection_reports_every_attack_inactive(client, signing_key, session):
    """Introspection answers every attack token 200 {"active": false}."""
    answers = {
        name: await introspect(client, session["app"], token)
        for name, token in attacks(signing_key, session["header"], session["claims"]).items()
    }
    assert {n: a for n, a in answers.items() if a != (200, {"active": False})} == {}
    assert sorted(answers) == ATTACK_NAMES


async def test_subject_from_a_deleted_session_is_rejected(client, services, store, session):
    """A still-unexpired access token whose session key was deleted cannot be exchanged."""
    owner, _, sid = session["claims"]["sid"].rpartition(".")
    assert await store.redis.delete(store.keys.session(owner, sid)) == 1
    access = session["tokens"]["access_token"]
    assert await exchange(client, session["app"], access) == (401, BAD_SUBJECT)
    assert await introspect(client, session["app"], access) == (200, {"active": False})


async def test_subject_whose_jti_was_revoked_is_rejected(client, session):
    """An access token revoked through /v1/auth/revoke cannot be exchanged any more."""
    access = session["tokens"]["access_token"]
    status, _, _ = await post_form(
        client, {"token": access}, path=REVOKE, headers={"Authorization": f"Bearer {access}"}
    )
    assert status == 200
    assert await exchange(client, session["app"], access) == (401, BAD_SUBJECT)
    assert await introspect(client, session["app"], access) == (200, {"active": False})


async def test_another_clients_user_token_is_rejected(client, services, store, session):
    """Client B cannot exchange (or introspect) a user token issued to client A."""
    other = await add_client(store, secret="other-secret")
    access = session["tokens"]["access_token"]
    assert await exchange(client, other, access, "other-secret") == (401, BAD_SUBJECT)
    assert await introspect(client, other, access, "other-secret") == (200, {"active": False})


async def test_anonymous_token_is_not_a_subject(client, session):
    """An anonymous public-read token of the same client is rejected as a subject."""
    status, anon, _ = await post_form(
        client, {"grant_type": "client_credentials", "client_id": session["app"].client_id}
    )
    assert status == 200
    assert await exchange(client, session["app"], anon["access_token"]) == (401, BAD_SUBJECT)


async def test_integration_token_is_not_a_subject(client, services, store, session):
    """An integration client's access token is rejected as a subject."""
    integ = await add_client(store, kind="integration", secret="integ-secret")
    status, body, _ = await post_form(
        client,
        {
            "grant_type": "client_credentials",
            "client_id": integ.client_id,
            "client_secret": "integ-secret",
        },
    )
    assert status == 200
    assert await exchange(client, session["app"], body["access_token"]) == (401, BAD_SUBJECT)


async def test_trusted_user_token_is_not_a_subject(client, session):
    """A trusted:user token (the output of an exchange) cannot be exchanged again."""
    status, trusted = await exchange(client, session["app"], session["tokens"]["access_token"])
    assert status == 200
    assert await exchange(client, session["app"], trusted["access_token"]) == (401, BAD_SUBJECT)


async def test_refresh_token_is_not_a_subject(client, session):
    """A refresh token presented as subject_token is rejected."""
    refresh = session["tokens"]["refresh_token"]
    assert await exchange(client, session["app"], refresh) == (401, BAD_SUBJECT)


async def test_forged_subject_with_another_users_sid_is_rejected(
    client, signing_key, services, store, session
):
    """A token naming user X but carrying user Y's live session id is rejected (owner mismatch)."""
    other = await make_user(store, password=PASSWORD)
    other_tokens = await login(client, session["app"], other)
    _, other_claims = jwt_parts(other_tokens["access_token"])
    claims = {**session["claims"], "sid": other_claims["sid"]}
    token = forge(session["header"], claims, our_signer(signing_key))
    assert await exchange(client, session["app"], token) == (401, BAD_SUBJECT)
