"""Where a scanner can stand: the event's gates, plus whatever other packages add (the agenda adds
its sessions: a room's door is a scan point whose scans go to the session check-in API).

A provider is registered once at import time (`register`) and called with the event when the
scanner page is built; it returns plain dicts, so events never imports the packages that add
points (they sit above it in the layers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

from flask import url_for


class ScanPoint(TypedDict):
    id: str  # "gate:Cổng A", "session:12"
    label: str  # shown in the scanner's "Điểm quét" list
    kind: str  # "gate" or "session"
    api: str  # POST a scan here (same body and answers as the gate's check-in API)
    gate: str  # sent as "gate" in the body ("" for a session)


Provider = Callable[[Any], list[ScanPoint]]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister(provider: Provider) -> None:
    """Forget a provider (tests that register one of their own)."""
    if provider in _providers:
        _providers.remove(provider)


def points_for(event: Any) -> list[ScanPoint]:
    """The gates first (in the event's order), then every provider's points."""
    api = url_for("events.api_checkin", slug=event.slug)
    points: list[ScanPoint] = [
        {"id": f"gate:{gate}", "label": gate, "kind": "gate", "api": api, "gate": gate}
        for gate in event.gates
    ]
    for provider in _providers:
        points.extend(provider(event))
    return points
