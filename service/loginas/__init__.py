"""Log in as a user: the operator-facing authorization step of RFC 6749 §4.1 with PKCE.

Pure building blocks: nothing here imports aiohttp or redis. The admin listener composes them.
"""
