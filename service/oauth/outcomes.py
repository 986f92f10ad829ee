"""What the grants report about sessions, for whoever subscribes (the metrics do).

A grant reports a typed event once it knows what happened; subscribers never look at the
store's replies or at the request context to guess it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum


class SessionEvent(Enum):
    CREATED = "created"  # password or integration client_credentials
    ROTATED = "rotated"  # the current refresh token was used
    GRACE_REPLAYED = "grace_replayed"  # the previous token within the grace window
    REUSE_DETECTED = "reuse_detected"  # the previous token after the window: session revoked
    REVOKED = "revoked"  # ended by RFC 7009 revocation


Subscriber = Callable[[SessionEvent], None]


class Outcomes:
    """A synchronous publisher of session events; subscribers must be cheap and not raise."""

    def __init__(self) -> None:
        self._subscribers: tuple[Subscriber, ...] = ()

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers = (*self._subscribers, subscriber)

    def report(self, event: SessionEvent) -> None:
        for subscriber in self._subscribers:
            subscriber(event)
