"""The downloadable ticket card, PNG and A6 PDF (app/events/ticket_card.py paints it).

Same access rule as the ticket page: whoever holds the ticket's unguessable, signed code (the link
in the confirmation email); a forged code is refused before the database is read, a revoked
ticket gets no card but the page explaining why.
"""

from __future__ import annotations

from flask import Response, render_template

from app.events import bp, registration, ticket_card
from app.events.models import Ticket
from app.fonts import font_dir
from app.localtime import utcnow


def card_for(ticket: Ticket) -> ticket_card.TicketCard:
    attendee, event = ticket.attendee, ticket.attendee.event
    return ticket_card.TicketCard(
        event_name=event.name,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        venue=event.venue,
        attendee_name=attendee.full_name,
        category=attendee.category,
        code=ticket.code,
        qr_text=registration.ticket_url(ticket.code),
        is_past=event.ends_at <= utcnow(),
    )


def _download(ticket: Ticket, body: bytes, mimetype: str, extension: str) -> Response:
    response = Response(body, mimetype=mimetype)
    slug = ticket.attendee.event.slug
    response.headers["Content-Disposition"] = f'attachment; filename="ve-{slug}.{extension}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def _revoked(ticket: Ticket):
    page = render_template("events/ticket_revoked.html", ticket=ticket, event=ticket.attendee.event)
    return page, 410


@bp.get("/ve/<code>/ve.png")
def ticket_png(code: str):
    ticket = registration.get_ticket(code)
    if ticket.revoked_at is not None:
        return _revoked(ticket)
    return _download(ticket, ticket_card.render_png(card_for(ticket), font_dir()), "image/png", "png")


@bp.get("/ve/<code>/ve.pdf")
def ticket_pdf(code: str):
    ticket = registration.get_ticket(code)
    if ticket.revoked_at is not None:
        return _revoked(ticket)
    return _download(ticket, ticket_card.render_pdf(card_for(ticket), font_dir()), "application/pdf", "pdf")
