"""Property tests of the parsers: form body, scopes, refresh tokens and JWT verification."""

from __future__ import annotations

import time
from urllib.parse import quote, quote_plus, urlencode

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from service.api.parsing import MAX_PARAMS, parse_form
from service.crypto.jwt import InvalidJwt, JwtCodec, generate_pem, load_key
from service.errors import ErrorCode, OAuthError
from service.oauth.scopes import SCOPE_TOKEN, grant_scope, parse_scope
from service.oauth.tokens import RefreshToken

FAST = settings(max_examples=200, deadline=None)
# What parse_form refuses in a decoded name or value (C0 controls but tab, LF, CR; and DEL).
REFUSED = {chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)} | {"\x7f"}
form_text = st.text(st.characters(exclude_characters=REFUSED, exclude_categories=("Cs",)))
scope_token = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='"\\'),
    min_size=1,
    max_size=12,
)
owner = st.from_regex(r"\A[uc]-[A-Za-z0-9-]{1,64}\Z")


@FAST
@given(st.binary(max_size=300))
@example(b"a=%ZZ")
@example(b"a=1&a=2")
@example(b"\xff=1")
@example(b"a=%00")
def test_parse_form_raises_only_invalid_request(body):
    """Any bytes give a dict of str, or OAuthError(invalid_request): never anything else."""
    try:
        params = parse_form(body)
    except OAuthError as exc:
        assert exc.code is ErrorCode.INVALID_REQUEST
        assert exc.description.isascii()
    else:
        assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in params.items())


@FAST
@given(st.dictionaries(form_text, form_text, max_size=MAX_PARAMS))
@pytest.mark.parametrize("quote_via", [quote_plus, quote], ids=["quote_plus", "quote"])
def test_parse_form_round_trips_urlencode(quote_via, params):
    """urlencode (with + or %20 for spaces) then parse_form gives back every non-empty pair."""
    body = urlencode(params, quote_via=quote_via).encode("ascii")
    assert parse_form(body) == {k: v for k, v in params.items() if v}


@FAST
@given(st.text(max_size=60))
@example("user\n")
@example("user  user")
@example("")
def test_parse_scope_gives_valid_unique_tokens_or_invalid_scope(raw):
    """Any text is either RFC 6749 §3.3 scope tokens (in order, unique) or invalid_scope."""
    try:
        tokens = parse_scope(raw)
    except OAuthError as exc:
        assert exc.code is ErrorCode.INVALID_SCOPE
    else:
        assert tokens is not None and tokens
        assert all(SCOPE_TOKEN.fullmatch(t) for t in tokens)
        assert len(set(tokens)) == len(tokens)
        assert set(tokens) == set(raw.split(" "))


@FAST
@given(st.lists(scope_token, min_size=1, max_size=6))
def test_parse_scope_round_trips_space_joined_tokens(tokens):
    """Space-joined scope tokens parse back to the tokens without duplicates, in order."""
    assert parse_scope(" ".join(tokens)) == list(dict.fromkeys(tokens))


@FAST
@given(
    st.one_of(
        st.none(),
        st.text(max_size=30),
        st.lists(st.sampled_from(["user", "public-read", "integ", "trusted:user"]), min_size=1).map(
            " ".join
        ),
    ),
    st.sampled_from(["user", "public-read", "integ", "trusted:user"]),
)
def test_grant_scope_is_the_allowed_scope_or_invalid_scope(raw, allowed):
    """grant_scope gives ``allowed`` when asked for nothing or only it; else invalid_scope."""
    asks_only_allowed = raw is None or set(raw.split(" ")) == {allowed}
    try:
        result = grant_scope(raw, allowed)
    except OAuthError as exc:
        assert exc.code is ErrorCode.INVALID_SCOPE
        assert not asks_only_allowed
    else:
        assert result == allowed
        assert asks_only_allowed


@FAST
@given(st.one_of(st.text(max_size=200), owner.map(lambda o: RefreshToken.new(o).value + "\n")))
@example("u-1.AAAAAAAAAAAAAAAAAAAAAA." + "A" * 43 + "\n")
@example("u-1.AAAAAAAAAAAAAAAAAAAAAA." + "A" * 42 + "B")
def test_refresh_token_parse_never_raises_and_is_exact(text):
    """Any text parses to None or to a token whose value is exactly that text."""
    parsed = RefreshToken.parse(text)
    assert parsed is None or parsed.value == text


@FAST
@given(owner)
def test_refresh_token_round_trips(owner_name):
    """A new token's value parses back to the same token (owner, session, secret)."""
    token = RefreshToken.new(owner_name)
    assert RefreshToken.parse(token.value) == token
    assert len(token.secret) * 8 >= 256


_KEY = load_key("prop", generate_pem("ES256"), "ES256")
_CODEC = JwtCodec([_KEY], "prop", algorithm="ES256", issuer="https://i.test", audience="a")
_SEGMENT = st.text(
    st.characters(codec="ascii", categories=("L", "N"), include_characters="-_="), max_size=60
)


@FAST
@given(st.one_of(st.text(max_size=200), st.tuples(_SEGMENT, _SEGMENT, _SEGMENT).map(".".join)))
def test_jwt_verify_raises_only_invalid_jwt(text):
    """Any text given as a token is refused with InvalidJwt, never another exception."""
    with pytest.raises(InvalidJwt):
        _CODEC.verify(text, time.time())
