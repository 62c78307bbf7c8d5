"""The whole booth journey through the services, as it happens at a festival: an exhibitor applies,
the organisers accept and allocate a booth on the floor, and the booth's staff get in at the gate
with their passes — which stop working once the exhibitor withdraws."""

from __future__ import annotations

from app.booths import applications, floor_allocation, passes
from app.booths.models import Booth
from app.events import checkin
from app.events import services as events
from app.extensions import db
from tests.booths.conftest import CONSENT, application_data


def test_apply_accept_allocate_then_passes_open_the_gate(world, outbox):
    event = world.event
    application = applications.apply(world.exhibitor, event, application_data(world), (), dict(CONSENT))
    applications.decide(world.organiser, application, "accepted", "")
    # The fixture writes booth types only; the floor's booth A01 of the standard type:
    booth = Booth(event_id=event.id, booth_type_id=world.standard.id, number="A01", grid_column=1, grid_row=1)
    db.session.add(booth)
    db.session.commit()
    floor_allocation.allocate(world.organiser, application, booth)
    assert application.booth.number == "A01"
    assert any("A01" in message.get_content() for message in outbox)

    _device, token = events.create_device_token(world.organiser, event, "Điện thoại cổng A")
    scope = checkin.scope_for_device(event.slug, token)
    pass_rows = passes.passes_of(application)
    assert len(pass_rows) == world.standard.passes
    first = checkin.record_checkin(scope, pass_rows[0].attendee.active_ticket.code)
    assert first["result"] == "ok"
    assert first["attendee"]["category"] == "Gian hàng"
    assert first["attendee"]["organisation"] == "HTX Nông nghiệp Nghĩa Hành"
    again = checkin.record_checkin(scope, pass_rows[0].attendee.active_ticket.code)
    assert again["result"] == "already_checked_in"

    second_code = pass_rows[1].attendee.active_ticket.code
    applications.withdraw(world.exhibitor, application)
    db.session.refresh(application)
    assert application.booth_id is None
    assert checkin.record_checkin(scope, second_code)["result"] == "revoked"
