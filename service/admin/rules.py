"""The forms operator input must have: e-mails, passwords, identity-provider ids, their accounts.

Each check returns the value as stored (an e-mail trimmed and in lower case) or raises
``Invalid`` with a message that states the rule and never quotes the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..models import Identity
from .errors import Invalid

MIN_PASSWORD = 8
MAX_PASSWORD = 4096
MAX_EMAIL = 254
MAX_IDENTITIES = 20
# RFC 5321 §4.1.2: a dot-atom local part (at most 64 characters) and a host name, in ASCII.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# A host name's label; "--" as its third and fourth characters is reserved (RFC 5891 §4.2.3.1).
_LABEL = r"(?![^.@]{2}--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"(?=[^@]{{1,64}}@){_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*")
# What the password grant's form parser refuses is refused here too (tab, LF, CR are allowed).
_PASSWORD_REFUSED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
IDP_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
SUB = re.compile(r"[\x21-\x7e]{1,255}")  # OIDC Core §2: at most 255 ASCII characters


def check_email(email: str) -> str:
    normalized = email.strip().lower()
    if not 3 <= len(normalized) <= MAX_EMAIL or not _EMAIL.fullmatch(normalized):
        raise Invalid("an e-mail address is ASCII name@domain (RFC 5321), at most 254 characters")
    return normalized


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    if _PASSWORD_REFUSED.search(password):
        raise Invalid("a password has no control characters but tab and line breaks")
    return password


def check_idp_id(idp_id: str) -> str:
    if not IDP_ID.fullmatch(idp_id):
        raise Invalid(
            "an identity provider id is a letter or digit, then up to 63 letters, digits, "
            "'_' or '-'"
        )
    return idp_id


def check_sub(sub: str) -> str:
    if not SUB.fullmatch(sub):
        raise Invalid("an identity's sub has 1 to 255 visible ASCII characters")
    return sub


def check_identities(identities: Iterable[Identity]) -> tuple[Identity, ...]:
    """At most 20 identities, one per provider, each well-formed; sorted by provider."""
    found = tuple(identities)
    if len(found) > MAX_IDENTITIES:
        raise Invalid(f"a user has at most {MAX_IDENTITIES} identities")
    for identity in found:
        check_idp_id(identity.idp_id)
        check_sub(identity.sub)
    if len({i.idp_id for i in found}) != len(found):
        raise Invalid("a user has at most one identity per identity provider")
    return tuple(sorted(found))
