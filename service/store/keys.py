"""Every Redis key name, built from the configured prefix (the layout is an operator interface).

Sessions, the session index, revoked access tokens and (for a user) the user record of one
owner share the owner's hash tag (``{u-<user id>}`` or ``{c-<client id>}``) so every script
touches a single Cluster slot.

    <p>client:<client_id>             hash   kind, name, secret (argon2id hash), redirect_uris
                                             (a JSON list), created; after apps delete only
                                             ``deleted`` (a tombstone: the id is never given
                                             out again)
    <p>email:<lower-case email>       string user id
    <p>identity:<idp id>:<sub>        string user id (the user linked to that account at that
                                             identity provider)
    <p>user:{u-<uid>}                 hash   email, ev (1: e-mail verified), pw (argon2id hash;
                                             empty: no password), disabled, gen (advances when
                                             all the user's sessions end), created,
                                             idp:<idp id> = sub per linked identity; a user's
                                             session lives only while this key exists
    <p>idp:<idp id>                   hash   an identity provider: kind, issuer, client_ids
                                             (JSON), client_id, secret (AES-GCM sealed under
                                             the server key), graph_url, created
    <p>s:{<owner>}:<sid>              hash   one session: cid, scope, t (created, seconds),
                                             cur/prev (SHA-256 of the refresh tokens, 128
                                             bits); TTL = idle TTL
    <p>g:{<owner>}:<sid>              string the current token's secret wrapped under the
                                             previous token; TTL = the grace window
    <p>sessions:{<owner>}             zset   the owner's session ids, score = absolute expiry ms
    <p>revoked:{<owner>}:<jti>        string a revoked access token; TTL = its remaining life
    <p>revoked:<jti>                  string the same for anonymous tokens (no owner)
    <p>fail:acct:<sha256(username)>   string login attempts of an account; TTL = window
    <p>fail:src:<address>             string login attempts from a source (an IPv4 address or
                                             an IPv6 /64); TTL = window
    <p>busy:{<counter key>}           string how many of a counter's attempts are still in
                                             flight (the hash tag is the whole counter key: one
                                             slot with it); TTL = a minute after the last one
    <p>code:<digest>                  hash   a login-as authorization code; TTL = its lifetime
    <p>admin-token:<id>               hash   an admin API token: name, digest (SHA-256 of the
                                             token, hex), created; revoking deletes it
    <p>operator:{operators}:<id>      hash   an operator: email, pw (argon2id hash), disabled,
                                             gen (advances when the operator is disabled),
                                             created
    <p>operator-email:{operators}:<email>  string the operator id
    <p>operator-session:{operators}:<digest>  hash  an operator's browser session: op, gen;
                                             TTL = its lifetime

Every operator key carries the hash tag ``{operators}``: an operator and its e-mail are created
in one step, and a session starts only for an operator who may act, in one step.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..owners import Owner

OPERATORS_TAG = "{operators}"  # the hash tag of every operator key (one Cluster slot)


@dataclass(frozen=True)
class Keys:
    prefix: str

    def client(self, client_id: str) -> str:
        return f"{self.prefix}client:{client_id}"

    def client_pattern(self) -> str:
        return f"{self.prefix}client:*"

    def email(self, email: str) -> str:
        return f"{self.prefix}email:{email.strip().lower()}"

    def identity(self, idp_id: str, sub: str) -> str:
        return f"{self.prefix}identity:{idp_id}:{sub}"

    def identity_pattern(self, idp_id: str) -> str:
        return f"{self.prefix}identity:{idp_id}:*"

    def idp(self, idp_id: str) -> str:
        return f"{self.prefix}idp:{idp_id}"

    def idp_pattern(self) -> str:
        return f"{self.prefix}idp:*"

    def user(self, user_id: str) -> str:
        return f"{self.prefix}user:{Owner.user(user_id).hash_tag}"

    def user_pattern(self) -> str:
        return f"{self.prefix}user:*"

    def user_id_of(self, user_key: str) -> str:
        """The user id in a ``user:{u-<uid>}`` key."""
        return Owner(user_key[user_key.index("{") + 1 : -1]).id

    def session_prefix(self, owner: Owner) -> str:
        return f"{self.prefix}s:{{{owner}}}:"

    def session(self, owner: Owner, sid: str) -> str:
        return f"{self.prefix}s:{{{owner}}}:{sid}"

    def grace_prefix(self, owner: Owner) -> str:
        return f"{self.prefix}g:{{{owner}}}:"

    def grace(self, owner: Owner, sid: str) -> str:
        return f"{self.prefix}g:{{{owner}}}:{sid}"

    def index(self, owner: Owner) -> str:
        return f"{self.prefix}sessions:{{{owner}}}"

    def revoked(self, owner: Owner | None, jti: str) -> str:
        if owner is None:
            return f"{self.prefix}revoked:{jti}"
        return f"{self.prefix}revoked:{{{owner}}}:{jti}"

    def failures_account(self, username: str) -> str:
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        return f"{self.prefix}fail:acct:{digest}"

    def failures_source(self, source: str) -> str:
        return f"{self.prefix}fail:src:{source}"

    def in_flight(self, counter_key: str) -> str:
        """The attempts in flight of a login counter, in the counter's own Cluster slot (a key
        without braces hashes whole: ``{<that key>}`` lands beside it)."""
        return f"{self.prefix}busy:{{{counter_key}}}"

    def login_code(self, digest: str) -> str:
        return f"{self.prefix}code:{digest}"

    def operator(self, operator_id: str) -> str:
        return f"{self.prefix}operator:{OPERATORS_TAG}:{operator_id}"

    def operator_pattern(self) -> str:
        return f"{self.prefix}operator:{OPERATORS_TAG}:*"

    def operator_email(self, email: str) -> str:
        return f"{self.prefix}operator-email:{OPERATORS_TAG}:{email.strip().lower()}"

    def operator_session(self, digest: str) -> str:
        return f"{self.prefix}operator-session:{OPERATORS_TAG}:{digest}"

    def admin_token(self, token_id: str) -> str:
        return f"{self.prefix}admin-token:{token_id}"

    def admin_token_pattern(self) -> str:
        return f"{self.prefix}admin-token:*"
