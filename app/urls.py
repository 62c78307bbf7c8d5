"""Where links point: absolute URLs from configuration, and the one check for `next` targets."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app, url_for

# A relative path only: starts with one "/", no scheme or host, no backslash, no whitespace or
# control character (browsers drop tabs and newlines, so "/\t/evil.com" would become "//evil.com").
_SAFE_PATH = re.compile(r"^/(?![/\\])[^\s\\\x00-\x1f\x7f]*$")


def base_url() -> str:
    """The site's public address from BASE_URL (required in production), without a trailing /."""
    return (current_app.config.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link for mail, QR codes and anything read outside the browser.

    Built from BASE_URL, never from the request: a request's Host header is chosen by whoever
    sends it, and a reset link mailed to `evil.example` would hand the account over.
    """
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def safe_next(target: str | None, default_endpoint: str = "core.home") -> str:
    """`target` when it is a path on this site, else the default page: never an open redirect."""
    if target and len(target) <= 2000 and _SAFE_PATH.match(target) and not urlsplit(target).netloc:
        return target
    return url_for(default_endpoint)
