"""Consents: one row per purpose offered, required ones enforced, withdrawal keeps history."""

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from app.errors import Invalid, NotFound
from app.extensions import db
from app.privacy import services
from app.privacy.forms import consent_choices, with_consents
from app.privacy.models import Consent
from app.privacy.notices import CONTEXTS, NOTICE_VERSION


def test_required_purpose_must_be_ticked(app):
    with pytest.raises(Invalid) as info:
        services.record_choices("attendee", 1, "event_registration", {"newsletter": True})
    assert info.value.field == "consent_process_registration"
    assert "đồng ý" in info.value.message


def test_every_offered_purpose_is_stored_with_version_and_source(app, make_user):
    staff = make_user("staff@example.vn", roles=("organiser",))
    services.record_choices(
        "team_member",
        7,
        "entry",
        {"process_entry": True, "publish_awards": True},
        source="paper",
        keyed_by=staff,
    )
    db.session.commit()
    rows = db.session.scalars(select(Consent).where(Consent.subject_id == 7)).all()
    assert {r.purpose for r in rows} == set(CONTEXTS["entry"])
    granted = {r.purpose for r in rows if r.granted}
    assert granted == {"process_entry", "publish_awards"}
    assert all(
        r.notice_version == NOTICE_VERSION and r.source == "paper" and r.keyed_by_id == staff.id for r in rows
    )


def test_withdraw_keeps_history_and_later_choice_supersedes(app):
    services.record_choices(
        "attendee", 3, "event_registration", {"process_registration": True, "newsletter": True}
    )
    db.session.commit()
    assert services.has_consent("attendee", 3, "newsletter")
    services.withdraw("attendee", 3, "newsletter")
    assert not services.has_consent("attendee", 3, "newsletter")
    with pytest.raises(NotFound):
        services.withdraw("attendee", 3, "newsletter")
    assert db.session.scalar(select(func.count(Consent.id)).where(Consent.subject_id == 3)) == 2
    services.record_choices(
        "attendee", 3, "event_registration", {"process_registration": True, "newsletter": True}
    )
    db.session.commit()
    assert services.has_consent("attendee", 3, "newsletter")


def test_form_boxes_start_unticked(app):
    with app.test_request_context(method="POST", data={"consent_process_registration": "y"}):
        form_class = with_consents(FlaskForm, "event_registration")
        form = form_class(meta={"csrf": False})
        assert consent_choices(form) == {"process_registration": True, "newsletter": False}
    with app.test_request_context():
        form = form_class(meta={"csrf": False})
        assert consent_choices(form) == {"process_registration": False, "newsletter": False}


def test_consent_macro_renders_unticked_boxes_without_context(app):
    from flask import render_template_string

    with app.test_request_context():
        form = with_consents(FlaskForm, "event_registration")(meta={"csrf": False})
        html = render_template_string(
            '{% from "privacy/_consents.html" import consent_boxes %}{{ consent_boxes(form) }}', form=form
        )
    assert html.count('type="checkbox"') == 2 and "checked" not in html
    assert (
        "(bắt buộc để nhận vé)" in html and "(bắt buộc)" not in html and f"phiên bản {NOTICE_VERSION}" in html
    )
