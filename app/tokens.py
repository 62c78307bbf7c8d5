"""Random secrets handed to people (links in mail, device tokens) and the digest we keep of them.

Only the SHA-256 of a token is stored; the raw value travels once, in a mail or on a screen.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token(nbytes: int = 32, *, prefix: str = "") -> str:
    """A URL-safe random token of `nbytes` random bytes (32 → 43 characters), with an optional prefix."""
    return prefix + secrets.token_urlsafe(nbytes)


def hash_token(raw: str | None) -> str:
    """The hex SHA-256 a token is stored and looked up by."""
    return hashlib.sha256((raw or "").encode()).hexdigest()
