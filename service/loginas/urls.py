"""The paths of the login-as pages on the admin listener, all under /api/authorize-as.

One prefix keeps the public listener's rule simple (nothing under it answers there) and keeps
the pages out of /admin/, which takes admin tokens, not operators' cookies.
"""

from __future__ import annotations

AUTHORIZE = "/api/authorize-as"  # GET: the app's request; the sign-in or confirmation page
SIGN_IN = "/api/authorize-as/sign-in"  # POST: the sign-in form (the request in the query)
CONFIRM = "/api/authorize-as/confirm"  # POST: confirm or cancel (the request in the query)
SIGN_OUT = "/api/authorize-as/sign-out"  # POST: end the operator's session
STYLESHEET = "/api/authorize-as/style.css"  # GET: the one stylesheet


def with_query(path: str, query: str) -> str:
    """A form action that carries the authorization request along."""
    return f"{path}?{query}" if query else path
