"""The authorisation matrix: every route of `app.url_map`, every method it has (GET, POST, DELETE),
against every kind of user, with the expected answer read from ONE table (EXPECTED below).

Why a table and not one test per page: a permission defect is a missing row of someone's mental
table — a route that forgot its object check, a role nobody thought of. Writing the whole table
down once makes the forgotten cell visible, and a new route without a row fails
`test_every_route_has_a_row_in_the_table` until someone decides who may use it.

The world (`build_world`) is made of real objects through the real services: two contests, each
with its co-organiser; applicant A's entry (with a file and a second member) and applicant B's;
a round where one judge is assigned to A's entry and another judge only to B's; an event linked
to A's contest with its own check-in staff, device token, ticket and check-in, and an unlinked
event with other staff. Each role gets a fresh world (a test per role), so what an allowed POST
changes (a round deleted, a consent withdrawn, a logout) never leaks into another role's answers;
within a role the requests that destroy something run last (DESTRUCTIVE).

POST and DELETE are sent with a valid CSRF token and an empty body: what is checked is who gets
past the door, not the form. Outcomes (one character per role, in ROLES order):
  "+"  let in: any answer but 401/403/404/405/500 and a redirect to the login page
       (200, 302 elsewhere, 400 "bad form", 409, 410, 422 … all mean the door opened);
  "L"  asked to log in: 302 to /tai-khoan/dang-nhap (the API: 401);
  "F"  403;   "N"  404 (the object is hidden from this user, as for an unknown one).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.routing import Rule

from app.localtime import to_local, utcnow
from tests.conftest import csrf_from

PASSWORD = "GaoLua2024"
# The kinds of user, in the order of the characters of every row of EXPECTED.
ROLES = (
    "anonymous",
    "applicant",  # A: leads the entry every URL points at
    "other_applicant",  # B: leads another entry of the same contest
    "judge",  # on the round, assigned to A's entry
    "unassigned_judge",  # on the round, assigned to B's entry only
    "co_organiser_other",  # co-organiser (Hội LHPN) of the other contest only
    "co_organiser",  # co-organiser (Tỉnh đoàn) of this contest, so of its linked event
    "staff_other",  # check-in staff of the other event
    "staff",  # check-in staff of this event
    "organiser",  # Sở staff: every contest and event
    "admin",
)

# --- the table ----------------------------------------------------------------------------------
# Groups of endpoints sharing a rule. Columns: anon A B judge unassigned co-other co staff-other staff Sở admin
PUBLIC = "+++++++++++"
SIGNED_IN = "L++++++++++"
ANONYMOUS_ONLY = PUBLIC  # sign-up, login …: signed-in users are redirected, never refused
LEADER_OF_ENTRY = "L+NNNNNNNNN"  # A's entry: everyone else is told it does not exist
ENTRY_VIEWERS = "L+NNNN+NN++"  # A's uploaded file: A and the contest's organisers
JUDGES = "LFF++FFFFF+"
ON_ROUND_PANEL = "LFF++FFFFFN"  # the judge's own round (admins pass the role gate, not the panel)
ASSIGNED_JUDGE = "LFF+NFFFFFN"  # the sheet of A's entry: only the judge assigned to it
ORGANISERS = "LFFFF++FF++"  # lists: each organiser sees their own contests and events
CONTEST_ORGANISERS = "LFFFFF+FF++"  # this contest, its rounds, entries, exports
SO_STAFF = "LFFFFFFFF++"  # platform-wide: new contests, the annual report, data requests
ADMINS = "LFFFFFFFFF+"
EVENT_MANAGERS = "LFFFFF+FF++"  # the event linked to this contest (defect 8: not the other co-organiser)
SCANNERS = "LFFFFF+F+++"  # its scanner page and API: its managers and its own check-in staff
SCANNING_STAFF = "LFFFF++++++"  # "my events to scan": organisers and check-in staff
JOB_OWNER = "LFFFFFFFF+F"
APPLICATION_OWNER = "L+FFFFFFFFF"  # A's booth application: nobody else, not even its organisers  # the organiser's export job: nobody else, not even an admin (issue 11)

EXPECTED: dict[str, str | dict[str, str]] = {
    "static": PUBLIC,
    # core
    "core.home": PUBLIC,
    "core.healthz": PUBLIC,
    "core.help_index": PUBLIC,
    "core.help_page": PUBLIC,
    "core.set_language": PUBLIC,
    # accounts
    "accounts.signup": ANONYMOUS_ONLY,
    "accounts.login": ANONYMOUS_ONLY,
    "accounts.verify_email": PUBLIC,
    "accounts.resend_verification": PUBLIC,
    "accounts.forgot_password": PUBLIC,
    "accounts.reset_password": PUBLIC,
    "accounts.logout": SIGNED_IN,
    "accounts.change_password": SIGNED_IN,
    "accounts.profile": SIGNED_IN,
    # admin, audit
    "admin.index": ADMINS,
    "admin.list_users": ADMINS,
    "admin.create_user": ADMINS,
    "admin.edit_user": ADMINS,
    "audit.list_events": ADMINS,
    "admin.mail_failures": SO_STAFF,
    "admin.mail_failure_action": SO_STAFF,
    # live final (the round is live, A's entry on stage)
    "live.console": CONTEST_ORGANISERS,
    "live.command": CONTEST_ORGANISERS,
    "live.console_state": CONTEST_ORGANISERS,
    "live.vote_window": CONTEST_ORGANISERS,
    "live.minutes": CONTEST_ORGANISERS,
    "live.minutes_xlsx": CONTEST_ORGANISERS,
    "live.judge_page": ON_ROUND_PANEL,
    "live.judge_state": ON_ROUND_PANEL,
    "live.judge_sheet": ON_ROUND_PANEL,
    "live.judge_save": ASSIGNED_JUDGE,
    "live.projector": PUBLIC,
    "live.projector_state": PUBLIC,
    "live.vote_page": PUBLIC,
    "live.vote_form": PUBLIC,
    "live.vote_api": PUBLIC,
    "live.vote_qr": PUBLIC,
    # public results: nothing is published in this world, so 404 for everyone
    # (tests/judging/test_public_results.py covers published rounds)
    "judging.public_results": "NNNNNNNNNNN",
    "judging.public_round_results": "NNNNNNNNNNN",
    "events.ticket_pdf": PUBLIC,
    # programmes
    "programmes.list_programmes": PUBLIC,
    "programmes.show_programme": PUBLIC,
    "programmes.manage_programmes": SO_STAFF,
    "programmes.create_programme": SO_STAFF,
    "programmes.edit_programme": SO_STAFF,
    # certificates (the event's attendee holds an attendance certificate; no account of hers)
    "certificates.index": ORGANISERS,
    "certificates.manage": CONTEST_ORGANISERS,
    "certificates.save_template": CONTEST_ORGANISERS,
    "certificates.issue": CONTEST_ORGANISERS,
    "certificates.batch": CONTEST_ORGANISERS,
    "certificates.revoke": EVENT_MANAGERS,
    "certificates.download": "NFFFFF+FF++",  # the holder (by mailed link) or its organisers
    "certificates.verify_form": PUBLIC,
    "certificates.verify": PUBLIC,
    # jobs (background exports)
    "jobs.index": SIGNED_IN,
    "jobs.show": JOB_OWNER,
    "jobs.state": JOB_OWNER,
    "jobs.download": JOB_OWNER,
    # contests: public, applicants, organisers
    "contests.list_contests": PUBLIC,
    "contests.show_contest": PUBLIC,
    "contests.my_entries": SIGNED_IN,
    "contests.start_entry": SIGNED_IN,
    "contests.edit_entry": LEADER_OF_ENTRY,
    "contests.review_entry": LEADER_OF_ENTRY,
    "contests.show_entry": LEADER_OF_ENTRY,
    "contests.withdraw_entry": LEADER_OF_ENTRY,
    "contests.edit_member": LEADER_OF_ENTRY,
    "contests.remove_member": LEADER_OF_ENTRY,
    "contests.remove_file": LEADER_OF_ENTRY,
    "contests.download_file": ENTRY_VIEWERS,
    "contests.download_template": PUBLIC,  # the organisers' template of a document (published contest)
    "contests.update_templates": CONTEST_ORGANISERS,
    "contests.manage_contests": ORGANISERS,
    "contests.create_contest": SO_STAFF,
    "contests.manage_contest": CONTEST_ORGANISERS,
    "contests.edit_contest": CONTEST_ORGANISERS,
    "contests.add_staff": CONTEST_ORGANISERS,
    "contests.remove_staff": CONTEST_ORGANISERS,
    "contests.list_entries": ORGANISERS,
    "contests.screen_entry": CONTEST_ORGANISERS,
    "contests.paper_entry": CONTEST_ORGANISERS,
    # judging: judges
    "judging.dashboard": JUDGES,
    "judging.sheet": ASSIGNED_JUDGE,
    "judging.sheet_file": ASSIGNED_JUDGE,
    "judging.declare_conflict": ASSIGNED_JUDGE,
    "judging.declare_conflicts": ON_ROUND_PANEL,
    "judging.judge_profile": JUDGES,
    # The link opens for anyone; accepting it signed in as someone else than the invited email is refused.
    "judging.accept_invitation": {"GET": PUBLIC, "POST": "+FFFFFFFFFF"},
    "judging.my_results": SIGNED_IN,  # every account holds the applicant role
    # judging: organisers
    "judging.rounds": ORGANISERS,
    "judging.create_round": CONTEST_ORGANISERS,
    "judging.edit_round": CONTEST_ORGANISERS,
    "judging.round_detail": CONTEST_ORGANISERS,
    "judging.add_entries": CONTEST_ORGANISERS,
    "judging.remove_entry": CONTEST_ORGANISERS,
    "judging.invite_judge": CONTEST_ORGANISERS,
    "judging.revoke_invitation": CONTEST_ORGANISERS,
    "judging.delete_round": CONTEST_ORGANISERS,
    "judging.add_judge": CONTEST_ORGANISERS,
    "judging.remove_judge": CONTEST_ORGANISERS,
    "judging.rubric": CONTEST_ORGANISERS,
    "judging.rules": CONTEST_ORGANISERS,
    "judging.conflicts": CONTEST_ORGANISERS,
    "judging.assignments": CONTEST_ORGANISERS,
    "judging.progress": CONTEST_ORGANISERS,
    "judging.remind": CONTEST_ORGANISERS,
    "judging.reopen": CONTEST_ORGANISERS,
    "judging.results": CONTEST_ORGANISERS,
    "judging.results_action": CONTEST_ORGANISERS,
    "judging.entry_scores": CONTEST_ORGANISERS,
    # events: public
    "events.list_events": PUBLIC,
    "events.event_page": PUBLIC,
    "events.resend_ticket": PUBLIC,
    "events.ticket_page": PUBLIC,
    "events.ticket_png": PUBLIC,
    # events: scanning
    "events.my_scanning_events": SCANNING_STAFF,
    "events.scanner": SCANNERS,
    "events.api_checkin": SCANNERS,
    "events.api_undo": SCANNERS,
    "events.api_stats": SCANNERS,
    "events.api_search": SCANNERS,
    "events.api_walk_in": SCANNERS,
    "events.api_group_checkin": SCANNERS,
    "events.api_ticket_list": SCANNERS,
    # events: organisers
    "events.live_counts": EVENT_MANAGERS,
    "events.manage_events": ORGANISERS,
    "events.create_event": ORGANISERS,
    "events.edit_event": EVENT_MANAGERS,
    "events.manage_event": EVENT_MANAGERS,
    "events.add_staff": EVENT_MANAGERS,
    "events.remove_staff": EVENT_MANAGERS,
    "events.create_device": EVENT_MANAGERS,
    "events.revoke_device": EVENT_MANAGERS,
    "events.sync_contest": EVENT_MANAGERS,
    "events.register_for": EVENT_MANAGERS,
    "events.manage_attendee": EVENT_MANAGERS,
    "events.attendee_action": EVENT_MANAGERS,
    # exports (reports)
    "exports.dashboard": ORGANISERS,
    "exports.download_entries": CONTEST_ORGANISERS,
    "exports.download_contest_stats": CONTEST_ORGANISERS,
    "exports.download_results": CONTEST_ORGANISERS,
    "exports.download_judges": CONTEST_ORGANISERS,
    "exports.download_attendance": EVENT_MANAGERS,
    "exports.guest_template": EVENT_MANAGERS,
    "exports.import_guests": EVENT_MANAGERS,
    "exports.confirm_import": EVENT_MANAGERS,
    "exports.rejected_rows": EVENT_MANAGERS,
    "exports.download_requests": SO_STAFF,
    "exports.download_report": SO_STAFF,
    "exports.annual_report": SO_STAFF,
    "exports.annual_report_pick": ORGANISERS,
    # booths (A has an accepted application with a photo and passes, on a booth, at this event)
    "booths.apply": {"GET": PUBLIC, "POST": SIGNED_IN},
    "booths.my_applications": SIGNED_IN,
    "booths.my_application": APPLICATION_OWNER,
    "booths.confirm_offer": APPLICATION_OWNER,
    "booths.withdraw": APPLICATION_OWNER,
    "booths.add_photos": APPLICATION_OWNER,
    "booths.delete_photo": APPLICATION_OWNER,
    "booths.rename_pass": APPLICATION_OWNER,
    "booths.show_photo": "L+FFFF+FF++",  # the applicant and the event's managers
    "booths.review_list": EVENT_MANAGERS,
    "booths.review_application": EVENT_MANAGERS,
    "booths.offer_entries": EVENT_MANAGERS,
    "booths.floor_settings": EVENT_MANAGERS,
    "booths.create_booth_type": EVENT_MANAGERS,
    "booths.edit_booth_type": EVENT_MANAGERS,
    "booths.delete_booth_type": EVENT_MANAGERS,
    "booths.floor_plan": EVENT_MANAGERS,
    "booths.floor_positions": EVENT_MANAGERS,
    "booths.plan_image": EVENT_MANAGERS,
    "booths.upload_plan": EVENT_MANAGERS,
    "booths.remove_plan": EVENT_MANAGERS,
    "booths.place_booth": EVENT_MANAGERS,
    "booths.allocate_booth": EVENT_MANAGERS,
    "booths.release_booth": EVENT_MANAGERS,
    "booths.print_booths": EVENT_MANAGERS,
    "booths.download_booth_list": EVENT_MANAGERS,
    "booths.download_exhibitors": EVENT_MANAGERS,
    # agenda (the programme of sessions; the attendee's ticket code is their key, no account)
    "agenda.timetable": PUBLIC,
    "agenda.day_ics": PUBLIC,
    "agenda.session_ics": PUBLIC,
    "agenda.my_timetable": PUBLIC,
    "agenda.my_ics": PUBLIC,
    "agenda.register_session": PUBLIC,
    "agenda.cancel_session": PUBLIC,
    "agenda.manage_sessions": EVENT_MANAGERS,
    "agenda.create_session": EVENT_MANAGERS,
    "agenda.edit_session": EVENT_MANAGERS,
    "agenda.delete_session": EVENT_MANAGERS,
    "agenda.live_rooms": EVENT_MANAGERS,
    "agenda.live_rooms_json": EVENT_MANAGERS,
    "agenda.export_attendance": EVENT_MANAGERS,
    "agenda.api_session_checkin": SCANNERS,
    "agenda.api_session_undo": SCANNERS,
    "events.service_worker": PUBLIC,
    # observability: the Sở's system page; /metrics exists only with METRICS_TOKEN (by token, never by role)
    "observability.system_metrics": SO_STAFF,
    "observability.metrics": "NNNNNNNNNNN",
    # privacy
    "privacy.my_data": SIGNED_IN,
    "privacy.download_my_data": SIGNED_IN,
    "privacy.withdraw_consent": SIGNED_IN,
    "privacy.file_request": SIGNED_IN,
    "privacy.request_queue": SO_STAFF,
    "privacy.resolve_request": SO_STAFF,
    "privacy.erase_for_request": SO_STAFF,
}

# Cells where the app answers otherwise today: defects found by this matrix in packages owned by
# others, reported to them (issue 9). Each entry is (today's row, why). The test fails as soon as
# the answer matches EXPECTED, so the entry is removed with the fix and the table stays the truth.
PENDING: dict[tuple[str, str], tuple[str, str]] = {}

# A few views check their form before asking who may enter; to reach that check, they are sent the
# smallest valid form instead of an empty one.
BODIES = {
    "privacy.resolve_request": {"outcome": "refused", "note": "Không đủ thông tin để xác minh yêu cầu."},
}

# Allowed POSTs that destroy what later requests of the same role point at: sent last, in this order.
DESTRUCTIVE = (
    "judging.reopen",
    "judging.remove_entry",
    "judging.remove_judge",
    "judging.delete_round",
    "contests.remove_file",
    "contests.remove_member",
    "contests.withdraw_entry",
    "contests.remove_staff",
    "events.revoke_device",
    "events.remove_staff",
    "privacy.erase_for_request",
    "certificates.revoke",
    "booths.delete_photo",
    "booths.release_booth",
    "booths.withdraw",
    "booths.remove_plan",
    "booths.delete_booth_type",
    "agenda.api_session_undo",
    "agenda.cancel_session",
    "agenda.delete_session",
    "accounts.change_password",
    "accounts.logout",
)
METHODS = ("GET", "POST", "DELETE")


# --- the world ----------------------------------------------------------------------------------


@dataclass
class World:
    users: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)  # URL parameter name → value


def _contest_data(slug: str, prefix: str, name: str):
    from app.contests.services import ContestData, SlotSpec

    today = to_local(utcnow()).date()
    return ContestData(
        name=name,
        slug=slug,
        year=today.year,
        code_prefix=prefix,
        opens_local=datetime.combine(today - timedelta(days=10), datetime.min.time()),
        closes_local=datetime.combine(today + timedelta(days=30), datetime.min.time()).replace(
            hour=23, minute=59
        ),
        fields=["Nông nghiệp", "Khác"],
        tracks=[("Bảng Ý tưởng", None)],
        slots=[SlotSpec("thuyet-minh", "Bản thuyết minh", ["pdf"], 1, False)],
        team_max=3,
    )


def _entry(leader, contest, title: str, *, with_member: bool = False):
    from app.contests import entries
    from tests.contests.conftest import ALL_CONSENTS, PDF, person, upload

    entry = entries.start_entry(
        leader,
        contest,
        title=title,
        track_id=contest.tracks[0].id,
        leader=person(leader.full_name),
        consents=dict(ALL_CONSENTS),
    )
    entries.save_entry(
        leader,
        entry,
        entries.EntryData(
            title=title,
            track_id=contest.tracks[0].id,
            field="Nông nghiệp",
            summary="Sấy khô nông sản bằng năng lượng mặt trời cho hộ nông dân miền núi.",
            answers={},
            declared_original=True,
        ),
        uploads={"thuyet-minh": upload(PDF)},
    )
    if with_member:
        entries.add_member(
            leader, entry, person("Trần Thị Bích", phone="0905 222 333", organisation="Hợp tác xã Nghĩa Hà")
        )
    entries.submit_entry(leader, entry)
    return entry


def _booths(so, applicant, event) -> dict:
    """The event takes booths: a type with two booths, A's accepted application (with a photo and
    its passes) on booth A01, and an uploaded floor-plan image."""
    import io

    from PIL import Image
    from werkzeug.datastructures import FileStorage

    from app.booths import applications, floor, floor_allocation
    from app.booths.models import Booth
    from app.extensions import db

    def event_booths(event):
        return db.session.query(Booth).filter(Booth.event_id == event.id).all()

    floor.save_settings(
        so,
        event,
        {
            "is_open": True,
            "opens_at": None,
            "closes_at": None,
            "exhibitor_rules": "",
            "grid_columns": 6,
            "grid_rows": 3,
        },
    )
    booth_type = floor.save_booth_type(
        so, event, None, {"name": "Gian tiêu chuẩn", "size": "3 m × 3 m", "count": 2, "passes": 2}
    )
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(photo, "JPEG")
    application = applications.apply(
        applicant,
        event,
        {
            "organisation": "HTX Nông nghiệp Nghĩa Hành",
            "org_kind": "cooperative",
            "sector": "Nông sản",
            "products": "Nước mắm Sa Huỳnh",
            "contact_name": "Lê Thị Hồng Nhung",
            "contact_phone": "0905 111 222",
            "contact_email": "a@example.vn",
            "booth_type_id": booth_type.id,
            "needs": ["table"],
        },
        [FileStorage(io.BytesIO(photo.getvalue()), "gian-hang.jpg", content_type="image/jpeg")],
        {"process_registration": True, "newsletter": False},
    )
    applications.decide(so, application, "accepted", "")
    first, second = sorted(event_booths(event), key=lambda booth: booth.number)
    floor_allocation.allocate(so, application, first)
    plan = io.BytesIO()
    Image.new("RGB", (120, 80), (240, 240, 240)).save(plan, "PNG")
    floor.upload_plan(
        so, event, FileStorage(io.BytesIO(plan.getvalue()), "so-do.png", content_type="image/png")
    )
    return {
        "application_id": application.id,
        "photo_id": application.photos[0].id,
        "pass_id": applications.pass_links(application)[0][0].id,
        "type_id": booth_type.id,
        "booth_id": second.id,
    }


def _sessions(so, event, attendee, token) -> dict:
    """A session of the event that needs registration, which the attendee holds and was let in to."""
    from app.agenda import checkin as session_checkin
    from app.agenda import registrations
    from app.agenda import services as agenda
    from app.events import checkin

    day = to_local(event.starts_at)
    session = agenda.create_session(
        so,
        event,
        {
            "title": "Tọa đàm kết nối đầu tư",
            "kind": "talk",
            "day": day.date().isoformat(),
            "start": (day + timedelta(minutes=30)).time().replace(second=0, microsecond=0),
            "end": (day + timedelta(hours=2)).time().replace(second=0, microsecond=0),
            "room": "Hội trường A",
            "speakers": "",
            "moderators": "",
            "description": "",
            "capacity": 50,
            "registration_required": True,
            "is_published": True,
        },
    )
    registrations.register_for_session(attendee.active_ticket, session.id)
    answer = session_checkin.record_session_checkin(
        checkin.scope_for_device(event.slug, token), session.id, attendee.active_ticket.code
    )
    return {"session_id": session.id, "session_checkin_id": answer["checkin"]["id"]}


def build_world(make_user, outbox) -> World:
    """Every object a URL of the app can point at, made through the services as people would."""
    from app.certificates import services as certificates
    from app.contests import entries
    from app.contests import services as contests
    from app.contests.permissions import add_staff
    from app.events import checkin, guests, registration
    from app.events import services as events
    from app.exports import uploads
    from app.extensions import db
    from app.jobs import services as jobs
    from app.judging import services as judging
    from app.live import services as live
    from app.mail.models import MailFailure
    from app.privacy import services as privacy
    from app.programmes import services as programmes

    def user(email, role, name):
        return make_user(email, roles=(role,), password=PASSWORD, name=name)

    u = {
        "admin": user("admin@example.vn", "admin", "Quản Trị Viên"),
        "organiser": user("so@example.vn", "organiser", "Trần Thị Thu Hà"),
        "co_organiser": user("tinhdoan@example.vn", "organiser", "Bùi Văn Đoàn"),
        "co_organiser_other": user("hoiphunu@example.vn", "organiser", "Lê Thị Hội"),
        "judge": user("gk1@example.vn", "judge", "Nguyễn Minh Tuấn"),
        "unassigned_judge": user("gk2@example.vn", "judge", "Phan Thị Lan"),
        "applicant": user("a@example.vn", "applicant", "Lê Thị Hồng Nhung"),
        "other_applicant": user("b@example.vn", "applicant", "Võ Văn Bảo"),
        "staff": user("tnv1@example.vn", "checkin_staff", "Võ Thị Lan"),
        "staff_other": user("tnv2@example.vn", "checkin_staff", "Đinh Văn Khác"),
    }
    spare = user("dong-to-chuc@example.vn", "organiser", "Hồ Văn Dự Phòng")  # a staff row to remove
    so = u["organiser"]

    contest = contests.create_contest(so, _contest_data("y-tuong-thu", "YT", "Cuộc thi ý tưởng thử nghiệm"))
    other = contests.create_contest(so, _contest_data("phu-nu-thu", "PN", "Phụ nữ khởi nghiệp thử nghiệm"))
    add_staff(so, contest, u["co_organiser"].email, "organiser", "Tỉnh đoàn")
    add_staff(so, other, u["co_organiser_other"].email, "organiser", "Hội LHPN")
    spare_row = add_staff(so, contest, spare.email, "organiser", "Đơn vị dự phòng")

    from app.contests import files
    from tests.contests.conftest import PDF, upload

    files.update_templates(so, contest, {"thuyet-minh": upload(PDF)}, set())  # the slot's template
    entry = _entry(u["applicant"], contest, "Máy sấy nông sản năng lượng mặt trời", with_member=True)
    entry_b = _entry(u["other_applicant"], contest, "Tỏi đen Lý Sơn đóng hộp")
    for e in (entry, entry_b):
        entries.screen_entry(so, e, "eligible")
    round_ = judging.create_round(so, contest, judging.RoundSettings(name="Sơ khảo", judges_per_entry=1))
    judging.add_entries(so, round_)
    for judge in (u["judge"], u["unassigned_judge"]):
        judging.add_judge(so, round_, judge.email)
    assignment = judging.assign_judge(so, round_, u["judge"].id, entry.id)
    judging.assign_judge(so, round_, u["unassigned_judge"].id, entry_b.id)
    outbox.clear()
    invitation = judging.invite_judge(so, round_, "moi@example.vn", "Người Được Mời")
    invitation_token = re.search(r"/cham-diem/loi-moi/([\w-]+)", outbox[-1].get_content()).group(1)

    now = utcnow()
    event_data = {
        "name": "Chung kết cuộc thi ý tưởng",
        "slug": "chung-ket-thu",
        "starts_at": now + timedelta(days=1),
        "ends_at": now + timedelta(days=1, hours=8),
        "categories": ["Thí sinh", "Khách tham quan", "Báo chí"],
        "gates": ["Cổng A"],
        "contest_id": contest.id,
    }
    event = events.create_event(so, event_data)
    other_event = events.create_event(so, {**event_data, "slug": "hoi-thao-thu", "contest_id": None})
    stage = live.enable(so, round_, live.StageSettings(event_id=event.id, vote_enabled=True))
    live.start(so, stage, entry.id)
    events.assign_staff(so, event, u["staff"].email)
    events.assign_staff(so, other_event, u["staff_other"].email)
    attendee = registration.register_attendee(
        event,
        {"full_name": "Nguyễn Văn Khách", "phone": "0905123456", "category": "Thí sinh"},
        {"process_registration": True},
    )
    device, token = events.create_device_token(so, event, "Điện thoại cổng A")
    scan = checkin.record_checkin(checkin.scope_for_device(event.slug, token), attendee.active_ticket.code)

    stash = {
        role: uploads.stash_upload(u[role], event, guests.guest_template(event))
        for role in ("organiser", "admin", "co_organiser")
    }
    request_row = privacy.file_data_request(u["applicant"], "copy", "Xin bản sao dữ liệu của tôi.")
    entry_file = entry.files[0]
    member = next(m for m in entry.members if not m.is_leader)
    job = jobs.create(u["organiser"], "export.attendance", "Đăng ký và check-in – thử", "/bao-cao")
    programme = programmes.create_programme(
        so,
        {"name": "Chương trình KNĐMST thử", "slug": "chuong-trinh-thu", "year": 2026, "is_published": True},
    )
    [certificate] = certificates.issue(so, "attendance", event=event).created
    booth_world = _booths(so, u["applicant"], event)
    session_world = _sessions(so, event, attendee, token)
    failure = MailFailure(
        email="khach@example.vn", subject="Vé", message=b"", error="550", attempts=1, permanent=True
    )
    db.session.add(failure)
    db.session.commit()

    # URL parameter values; `slug`, `token` and `user_id` depend on the route (see url_for_rule).
    params = {
        "filename": "css/app.css",
        "contest_slug": contest.slug,
        "event_slug": event.slug,
        "invitation_token": invitation_token,
        "entry_id": entry.id,
        "member_id": member.id,
        "file_id": entry_file.id,
        "slot_key": "thuyet-minh",
        "contest_id": contest.id,
        "round_id": round_.id,
        "invitation_id": invitation.id,
        "assignment_id": assignment.id,
        "staff_id": spare_row.id,
        "judge_user_id": u["unassigned_judge"].id,
        "staff_user_id": u["staff"].id,
        "admin_user_id": u["applicant"].id,
        "code": attendee.active_ticket.code,
        "attendee_id": attendee.id,
        "action": "gui-lai-ve",
        "device_id": device.id,
        "checkin_id": scan["checkin"]["id"],
        "request_id": request_row.id,
        "job_id": job.id,
        "key": stage.public_key,
        "programme_id": programme.id,
        "programme_slug": programme.slug,
        "certificate_id": certificate.id,
        "certificate_code": certificate.code,
        "owner": "cuoc-thi",
        "position": 1,
        "failure_id": failure.id,
        "purpose": "newsletter",
        "year": to_local(now).year,
        "stash": stash,
        **booth_world,
        **session_world,
    }
    return World(users=u, params=params)


def url_for_rule(rule: Rule, world: World, role: str) -> str:
    """The rule's URL with every parameter filled from the world (the same objects for every role)."""
    p = world.params
    values = {}
    for name in rule.arguments:
        if rule.endpoint == "core.help_page":
            values[name] = "to-chuc-su-kien"
        elif name == "slug" and rule.rule.startswith("/chuong-trinh/"):
            values[name] = p["programme_slug"]
        elif name == "code" and rule.rule.startswith(("/chung-nhan/", "/xac-minh/")):
            values[name] = p["certificate_code"]
        elif name == "slug":
            values[name] = (
                p["event_slug"] if "/su-kien/" in rule.rule or "/api/" in rule.rule else p["contest_slug"]
            )
        elif name == "token":
            if rule.endpoint == "exports.rejected_rows":
                values[name] = p["stash"].get(role, p["stash"]["organiser"])
            elif rule.endpoint == "judging.accept_invitation":
                values[name] = p["invitation_token"]
            else:  # e-mail verification and password reset links: made up (the same answer for all)
                values[name] = "khong-phai-ma-that"
        elif name == "user_id":
            values[name] = {
                "judging.remove_judge": p["judge_user_id"],
                "events.remove_staff": p["staff_user_id"],
            }.get(rule.endpoint, p["admin_user_id"])
        elif name == "year":
            values[name] = p["year"]
        elif name == "checkin_id" and rule.endpoint == "agenda.api_session_undo":
            values[name] = p["session_checkin_id"]
        else:
            values[name] = p[name]
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), path)
    return path


# --- running the matrix -------------------------------------------------------------------------


def checks(app: Flask) -> list[tuple[Rule, str]]:
    """(rule, method) for every route and each of GET/POST/DELETE it answers; destructive ones last."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in METHODS:
            if method in (rule.methods or ()):
                found.append((rule, method))

    def order(item):
        rule, method = item
        last = DESTRUCTIVE.index(rule.endpoint) + 1 if rule.endpoint in DESTRUCTIVE and method != "GET" else 0
        return (last, method != "GET", rule.endpoint, rule.rule)

    return sorted(found, key=order)


def expected(endpoint: str, method: str, role: str) -> str:
    row = EXPECTED[endpoint]
    spec = row if isinstance(row, str) else row[method]
    return spec[ROLES.index(role)]


def judge(endpoint: str, method: str, role: str, got: str) -> str | None:
    """None when the answer is the table's (or a known, reported deviation); else what is wrong."""
    want = expected(endpoint, method, role)
    pending = PENDING.get((endpoint, method))
    today = pending[0][ROLES.index(role)] if pending else want
    if got == want == today:
        return None
    if got == today:
        return None  # a reported defect, still there
    if got == want:
        return f"now answers {got} as the table says: remove it from PENDING ({pending[1]})"
    return f"expected {want}, got {got}"


def outcome(response, is_api: bool) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        target = urlsplit(response.headers.get("Location", "")).path
        return "L" if target.startswith("/tai-khoan/dang-nhap") else "+"
    if status == 401 and is_api:
        return "L"
    return {401: "401", 403: "F", 404: "N", 405: "405", 500: "5"}.get(status, "+")


def test_every_route_has_a_row_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(EXPECTED))
    assert not missing, f"routes without a row in EXPECTED (decide who may use them): {missing}"
    stale = sorted(set(EXPECTED) - endpoints)
    assert not stale, f"rows in EXPECTED for routes that no longer exist: {stale}"
    for endpoint, row in EXPECTED.items():
        for spec in [row] if isinstance(row, str) else row.values():
            assert len(spec) == len(ROLES) and set(spec) <= set("+LFN"), endpoint
    for (endpoint, _method), (today, why) in PENDING.items():
        assert endpoint in EXPECTED and len(today) == len(ROLES) and set(today) <= set("+LFN5") and why


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_table_says(role, app, client, make_user, outbox):
    world = build_world(make_user, outbox)
    if role != "anonymous":
        page = client.get("/tai-khoan/dang-nhap").get_data(as_text=True)
        response = client.post(
            "/tai-khoan/dang-nhap",
            data={"email": world.users[role].email, "password": PASSWORD, "csrf_token": csrf_from(page)},
        )
        assert response.status_code == 302, f"{role} could not log in"
    token = csrf_from(client.get("/tro-giup").get_data(as_text=True))
    wrong = []
    started = time.monotonic()
    for rule, method in checks(app):
        if rule.endpoint not in EXPECTED:
            continue  # reported by test_every_route_has_a_row_in_the_table
        url = url_for_rule(rule, world, role)
        is_api = url.startswith("/api/")
        headers = {"X-CSRFToken": token}
        if method == "GET":
            response = client.get(url, headers=headers)
        else:
            body = {**BODIES.get(rule.endpoint, {}), "csrf_token": token}
            response = client.open(url, method=method, data=body, headers=headers)
        problem = judge(rule.endpoint, method, role, outcome(response, is_api))
        if problem:
            wrong.append(f"{method} {url} ({rule.endpoint}): {problem} [{response.status_code}]")
    assert not wrong, f"{role}: {len(wrong)} answers differ from the table:\n" + "\n".join(wrong)
    assert time.monotonic() - started < 60
