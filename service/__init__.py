"""tokenhouse: an OAuth 2.0 token service that speaks the Sharetribe Authentication API."""

__version__ = "0.1.0"
