"""Fixtures for the events tests: an open event with gates and categories, staff, tokens, tickets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.models import User
from app.localtime import utcnow
from tests.factories import contest_with_tracks, event_data

CONSENT = {"process_registration": True, "newsletter": False}


@pytest.fixture
def organiser(make_user):
    return make_user("btc@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")


@pytest.fixture
def make_event(app, organiser):
    from app.events import services

    def _make(slug="ngay-hoi", name="Ngày hội KNĐMST thử nghiệm", **extra):
        return services.create_event(organiser, event_data(slug, name, **extra))

    return _make


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def register(app):
    from app.events import registration

    counter = {"n": 0}

    def _register(event, name="Nguyễn Thị Hồng", phone=None, category="Khách tham quan", by=None, **extra):
        """The public form; `by=organiser` registers as an organiser does (any category: press, guests)."""
        counter["n"] += 1
        phone = phone or f"0905{counter['n']:06d}"
        data = {"full_name": name, "phone": phone, "category": category, **extra}
        if by is not None:
            return registration.register_by_organiser(by, event, data, dict(CONSENT))
        return registration.register_attendee(event, data, dict(CONSENT))

    return _register


@pytest.fixture
def staff(make_user, event):
    from app.events import services
    from app.extensions import db

    user = make_user("tnv@example.vn", roles=("checkin_staff",), name="Võ Thị Lan")
    organiser = db.session.scalar(db.select(User).where(User.email == "btc@example.vn"))
    services.assign_staff(organiser, event, user.email)
    return user


@pytest.fixture
def device_token(app, event):
    from app.events import services

    _row, token = services.create_device_token(None, event, "Điện thoại cổng A")
    return token


@pytest.fixture
def device_scope(app, event, device_token):
    from app.events import checkin

    return checkin.scope_for_device(event.slug, device_token)


def make_contest(slug: str, prefix: str, name: str):
    """A published contest that closed yesterday (the events package only reads its id, name and
    finalists), committed."""
    from app.extensions import db

    now = utcnow()
    contest, _tracks = contest_with_tracks(
        slug,
        prefix,
        name,
        year=now.year,
        opens_at=now - timedelta(days=30),
        closes_at=now - timedelta(days=1),
        is_published=True,
    )
    db.session.commit()
    return contest


@pytest.fixture
def co_organised(app, make_user):
    """Two contests; the Tỉnh đoàn co-organises the first one only (a contest_staff organiser row)."""
    from types import SimpleNamespace

    from app.contests.models import ContestStaff
    from app.extensions import db

    ours = make_contest("y-tuong-doan", "YD", "Cuộc thi ý tưởng thanh niên")
    theirs = make_contest("phu-nu-khoi-nghiep", "PN", "Phụ nữ khởi nghiệp")
    doan = make_user("tinhdoan@example.vn", roles=("organiser",), name="Bùi Văn Đoàn")
    db.session.add(ContestStaff(contest_id=ours.id, user_id=doan.id, role="organiser"))
    db.session.commit()
    return SimpleNamespace(ours=ours, theirs=theirs, co_organiser=doan)
