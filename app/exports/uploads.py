"""Uploaded guest lists kept between the preview and the confirmation of an import.

The file waits in the instance folder under a random token for up to IMPORT_TTL, readable only
by the user who uploaded it and only for the event it was uploaded to; the confirmation reads it
back instead of asking for the file again.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from datetime import timedelta

from flask import current_app

from app.accounts.models import User
from app.errors import NotFound
from app.events.models import Event
from app.tokens import new_token

IMPORT_TTL = timedelta(hours=6)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,40}")


def _stash_dir() -> str:
    path = os.path.join(current_app.instance_path, "imports")
    os.makedirs(path, exist_ok=True)
    return path


def stash_upload(user: User, event: Event, data: bytes) -> str:
    """Keep an uploaded list between the preview and the confirmation (6 hours, this user only)."""
    folder = _stash_dir()
    for name in os.listdir(folder):  # forget old uploads
        full = os.path.join(folder, name)
        if time.time() - os.path.getmtime(full) > IMPORT_TTL.total_seconds():
            os.remove(full)
    token = new_token(18)
    with open(os.path.join(folder, f"{token}.xlsx"), "wb") as handle:
        handle.write(data)
    with open(os.path.join(folder, f"{token}.json"), "w", encoding="utf-8") as handle:
        json.dump({"user": user.id, "event": event.id}, handle)
    return token


def load_upload(user: User, event: Event, token: str) -> bytes:
    """The stashed file; NotFound when the token is malformed, expired, or not this user's and event's."""
    if not _TOKEN.fullmatch(token or ""):
        raise NotFound("Không tìm thấy tệp đã tải lên. Hãy tải tệp lên lại.")
    folder = _stash_dir()
    try:
        with open(os.path.join(folder, f"{token}.json"), encoding="utf-8") as handle:
            meta = json.load(handle)
        with open(os.path.join(folder, f"{token}.xlsx"), "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise NotFound("Tệp đã tải lên đã hết hạn. Hãy tải tệp lên lại.") from error
    if meta.get("user") != user.id or meta.get("event") != event.id:
        raise NotFound("Không tìm thấy tệp đã tải lên. Hãy tải tệp lên lại.")
    return data


def drop_upload(token: str) -> None:
    """Forget a stashed file once it has been imported."""
    for suffix in (".xlsx", ".json"):
        with contextlib.suppress(OSError):
            os.remove(os.path.join(_stash_dir(), token + suffix))
