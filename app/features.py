"""What the app is made of: its feature packages, and the one security policy every page is served with."""

from __future__ import annotations

# Feature packages, each exposing a blueprint `bp` in its __init__ (order = URL precedence).
# A feature may also have models.py (imported so its tables join db.metadata), privacy.py
# (registers what it holds about a person with app.privacy.registry), cli.py with
# register_cli(app), demo.py with seed() (see app/demo/cli.py), and templates/<name>/_nav.html
# and _home.html, which base.html and the home page include when present.
FEATURES = [
    "core",
    "accounts",
    "audit",
    "admin",
    "privacy",
    "jobs",
    "contests",
    "judging",
    "events",
    "live",
    "exports",
    "programmes",
    "certificates",
    "agenda",
    "booths",
    "observability",
]

# Content Security Policy: everything from our own origin; no inline script anywhere.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
