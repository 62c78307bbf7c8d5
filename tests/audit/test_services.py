"""The audit trail: recorded in the caller's transaction, listed newest first with filters and pages."""

from app.audit import services
from app.extensions import db


def test_record_joins_the_callers_transaction(app, make_user):
    admin = make_user("admin@example.vn", roles=("admin",))
    before = services.list_events()[1]
    services.record(admin, "demo.thing", "contest", 5, note="x")
    db.session.rollback()  # the caller failed: nothing of it is kept
    assert services.list_events()[1] == before
    services.record(admin, "demo.thing", "contest", 5, note="x")
    db.session.commit()
    events, total = services.list_events(action="demo.thing")
    assert total == 1 and events[0].details == {"note": "x"} and events[0].ip == "cli"


def test_filters_and_pages(app, make_user):
    admin = make_user("admin@example.vn", roles=("admin",))
    for i in range(services.PAGE_SIZE + 5):
        services.record(admin, "demo.bulk", "entry", i)
    services.record(None, "demo.other", "entry", 999)
    db.session.commit()
    first, total = services.list_events(action="demo.bulk")
    second, _ = services.list_events(action="demo.bulk", page=2)
    assert total == services.PAGE_SIZE + 5
    assert len(first) == services.PAGE_SIZE and len(second) == 5
    assert first[0].id > second[0].id  # newest first
    assert services.list_events(action="demo.bulk", page=99)[0] == []
    by_actor, _ = services.list_events(query="ADMIN@example")
    assert all(e.actor_id == admin.id for e in by_actor) and by_actor
    by_object, _ = services.list_events(query="999")
    assert [e.action for e in by_object] == ["demo.other"]
