"""Outgoing email: SMTP when configured, otherwise files under instance/mail/ (offline venues)."""
