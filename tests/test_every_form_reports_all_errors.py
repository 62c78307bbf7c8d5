"""Every form of the site names every missing required field in one answer (issue 15).

The forms are the ones `tests/test_fuzz.py` discovers (its world, its crawl as each role): for each
form posting to a route, the page is read again as a browser sees it (which inputs are `required`,
what is checked or selected), and the form is sent with every required text-like field emptied and
everything else as the page has it. When two or more required fields were emptied, the answer must
refuse (4xx) and mark each of them (`aria-invalid="true"` or its `<id>-error` message): a form whose
service stops at the first bad field fails here.

Empty fields are mostly the form's own (WTForms) checks, which always name every field. The second
test sends the main forms whose services check formats values of the right shape that the service
refuses, two or more at once (a bad phone and a bad email, an end before the start …), and wants
each field's own message in the one 422 answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from markupsafe import escape

from app.extensions import db
from app.localtime import local_to_utc, to_local, utcnow
from tests.conftest import csrf_from
from tests.factories import event_data
from tests.test_fuzz import (
    _login,
    _route,
    build_world,
    discover,
    fuzz_app,  # noqa: F401 (the fuzz's app fixture)
)

TEXT_LIKE = {
    "text",
    "email",
    "tel",
    "url",
    "number",
    "date",
    "datetime-local",
    "time",
    "password",
    "textarea",
}


class _Forms(HTMLParser):
    """POST forms as a browser would submit them, with which fields are required."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "fields": [],
            }
            self.forms.append(self._form)
            return
        if self._form is None or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._option(a)
            return
        required = "required" in a
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["fields"].append(
                {
                    "name": a["name"],
                    "id": a.get("id", ""),
                    "kind": kind,
                    "value": a.get("value", "y" if kind == "checkbox" else ""),
                    "required": required,
                }
            )
        elif tag == "select":
            self._select = {
                "name": a["name"],
                "id": a.get("id", ""),
                "kind": "select",
                "value": None,
                "first": None,
                "required": required,
            }
            self._form["fields"].append(self._select)
        elif tag == "textarea":
            self._textarea = {
                "name": a["name"],
                "id": a.get("id", ""),
                "kind": "textarea",
                "value": "",
                "required": required,
            }
            self._form["fields"].append(self._textarea)

    def _option(self, a):
        value = a.get("value", "")
        if self._select["first"] is None:
            self._select["first"] = value
        if "selected" in a:
            self._select["value"] = value

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            if self._select["value"] is None:
                self._select["value"] = self._select["first"] or ""
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._textarea["value"] = self._textarea["value"].removeprefix("\n")
            self._textarea = None


def _post_forms(html: str, page_path: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    forms = []
    for form in parser.forms:
        if form["method"] != "post":
            continue
        action = urlsplit(urljoin("http://localhost" + page_path, form["action"] or page_path))
        form["path"] = action.path + (f"?{action.query}" if action.query else "")
        forms.append(form)
    return forms


def _named(html: str, field: dict) -> bool:
    """The answer marks this field: its error message, or aria-invalid on it."""
    if field["id"] and f'id="{field["id"]}-error"' in html:
        return True
    marker = f'name="{field["name"]}"'
    return any(marker in tag and 'aria-invalid="true"' in tag for tag in html.split("<")[1:])


def _flashed_errors(client, answer) -> int:
    """A small form posted from a bigger page (a round's invite form) goes back there with its
    errors flashed as one message: how many sentences that message holds."""
    location = answer.headers.get("Location", "")
    if answer.status_code not in (302, 303) or urlsplit(location).netloc not in ("", "localhost"):
        return 0
    html = client.get(location).get_data(as_text=True)
    flashed = " ".join(re.findall(r'<p class="flash flash-error">(.*?)</p>', html, re.S))
    return len([s for s in re.split(r"(?<=[.!?])\s+", flashed.strip()) if s])


def test_every_form_names_each_missing_required_field(fuzz_app):  # noqa: F811 (the imported fixture)
    world = build_world()
    by_rule = discover(fuzz_app, world)
    checked, failures = 0, []
    for rule, variants in sorted(by_rule.items()):
        spec = variants[0]
        if spec.source.startswith("post:"):
            continue
        client = fuzz_app.test_client()
        _login(client, spec.role)
        page_path = world.show(spec.source)
        response = client.get(page_path)
        if response.status_code != 200:
            continue
        html = response.get_data(as_text=True)
        for form in _post_forms(html, page_path):
            matched = _route(fuzz_app, urlsplit(form["path"]).path, "POST")
            if matched is None or matched.rule != rule:
                continue
            emptied = [f for f in form["fields"] if f["required"] and f["kind"] in TEXT_LIKE]
            if len(emptied) < 2:
                continue
            data: dict[str, list[str]] = {}
            for f in form["fields"]:
                value = "" if f in emptied else f["value"]
                data.setdefault(f["name"], []).append(value)
            data["csrf_token"] = [csrf_from(html)]
            answer = client.post(form["path"], data=data)
            checked += 1
            body = answer.get_data(as_text=True)
            missing = [f["name"] for f in emptied if not _named(body, f)]
            if missing and _flashed_errors(client, answer) >= len(emptied):
                missing = []  # refused, every field's message flashed on the page it came from
            elif answer.status_code < 400:
                missing = missing or ["(accepted)"]
            if missing:
                failures.append(
                    f"{rule} (as {spec.role}, on {spec.source}): {answer.status_code}, not named: {missing}"
                )
            break  # one form per route
    print(f"{checked} forms with two or more required fields checked")
    assert checked >= 10, "the crawl found too few forms with two required fields"
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize(
    ("html", "named"),
    [
        ('<input id="x" name="x" aria-invalid="true">', True),
        ('<small id="x-error" class="field-error">Sai.</small>', True),
        ('<input id="x" name="x">', False),
    ],
)
def test_named_reads_the_markers(html, named):
    assert _named(html, {"id": "x", "name": "x"}) is named


# --- values that pass the forms' own checks but not the services' --------------------------------
#
# An empty form proves little: WTForms names every empty required field by itself. Here each main
# form whose service checks formats gets two or more values of the right shape that the service
# refuses (a phone that is no Vietnamese mobile, an email without a domain, an end before the
# start …): the one answer (422) must name each of those fields with the service's own message.

BAD_PHONE = "12345"
BAD_EMAIL = "khong-phai-email"
PHONE_MESSAGE = "Số điện thoại di động không hợp lệ (ví dụ: 0912 345 678 hoặc +84 912 345 678)."
EMAIL_MESSAGE = "Địa chỉ email không hợp lệ."
CONSENT = {"consent_process_registration": "y"}


@dataclass
class _Case:
    """One form: where its page is, where it posts, what it sends, and {field id: the service's message}."""

    login: str | None
    page: str
    data: dict[str, object]
    expected: dict[str, str]
    post: str = ""


def _organiser(make_user):
    return make_user("btc@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")


def _event(organiser, **extra):
    from app.events import services

    return services.create_event(organiser, event_data("ngay-hoi", "Ngày hội KNĐMST thử nghiệm", **extra))


def _open_contest(organiser):
    from app.contests.services import ContestData, SlotSpec, create_contest

    today = to_local(utcnow()).date()
    return create_contest(
        organiser,
        ContestData(
            name="Cuộc thi ý tưởng thử nghiệm",
            slug="thu-nghiem",
            year=today.year,
            code_prefix="TN",
            opens_local=datetime.combine(today - timedelta(days=10), time(0, 0)),
            closes_local=datetime.combine(today + timedelta(days=30), time(23, 59)),
            fields=["Nông nghiệp", "Khác"],
            tracks=[("Bảng Ý tưởng", None)],
            slots=[SlotSpec("thuyet-minh", "Bản thuyết minh", ["pdf"], 1, False)],
            video_link="optional",
        ),
    )


def _draft_entry(make_user):
    from app.contests import entries

    contest = _open_contest(_organiser(make_user))
    leader = make_user("nhung@example.vn", name="Lê Thị Hồng Nhung")
    return entries.start_entry(
        leader,
        contest,
        title="Máy sấy nông sản năng lượng mặt trời",
        track_id=contest.tracks[0].id,
        leader=entries.MemberData(birth_date=date(2000, 5, 17), sex="nu", commune_code="21034"),
        consents={"process_entry": True, "publish_awards": True, "share_partners": False},
    )


def _signup(make_user) -> _Case:
    data = {
        "full_name": "Trần Thị Bình",
        "email": BAD_EMAIL,
        "phone": BAD_PHONE,
        "password": "LuaGao2024",
        "password_confirm": "LuaGao2024",
    }
    return _Case(None, "/tai-khoan/dang-ky", data, {"email": EMAIL_MESSAGE, "phone": PHONE_MESSAGE})


def _registration(make_user) -> _Case:
    event = _event(_organiser(make_user))
    data = {
        "full_name": "Nguyễn Thị Hồng",
        "phone": BAD_PHONE,
        "email": BAD_EMAIL,
        "organisation": "",
        "category": "Khách tham quan",
        "group_name": "",
        **CONSENT,
    }
    return _Case(None, f"/su-kien/{event.slug}", data, {"phone": PHONE_MESSAGE, "email": EMAIL_MESSAGE})


def _dossier(make_user) -> _Case:
    entry = _draft_entry(make_user)
    data = {
        "title": "ab",
        "track_id": str(entry.contest.tracks[0].id),
        "field": "Không có trong danh sách",
        "summary": "Sấy khô nông sản.",
        "video_url": "ftp://video.example.vn/gioi-thieu",
    }
    expected = {
        "title": "Vui lòng nhập tên ý tưởng/dự án (ít nhất 3 ký tự).",
        "field": "Vui lòng chọn lĩnh vực trong danh sách.",
        "video_url": "Đường dẫn video phải bắt đầu bằng http:// hoặc https:// (ví dụ YouTube, Google Drive).",
    }
    return _Case("nhung@example.vn", f"/bai-du-thi/{entry.id}/sua", data, expected)


def _member(make_user) -> _Case:
    entry = _draft_entry(make_user)
    data = {
        "full_name": "Phạm Văn Cường",
        "phone": BAD_PHONE,
        "email": BAD_EMAIL,
        "birth_date": "01/01/2099",
        "sex": "khong-ro",
        "organisation": "",
        "commune_code": "99999",
        "district_code": "",
        "ethnicity": "",
        "guardian_name": "",
        "guardian_contact": "",
    }
    expected = {
        "phone": PHONE_MESSAGE,
        "email": EMAIL_MESSAGE,
        "birth_date": "Ngày sinh không hợp lệ.",
        "sex": "Giới tính không hợp lệ.",
        "commune_code": "Xã/phường không có trong danh mục.",
    }
    return _Case("nhung@example.vn", f"/bai-du-thi/{entry.id}/thanh-vien/moi", data, expected)


def _booth(make_user) -> _Case:
    from app.booths.models import BoothType, Exhibition

    event = _event(_organiser(make_user))
    now = utcnow()
    booth_type = BoothType(event_id=event.id, name="Gian tiêu chuẩn", count=2, passes=2, position=1)
    db.session.add_all(
        [
            Exhibition(
                event_id=event.id,
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(hours=12),
                is_open=True,
            ),
            booth_type,
        ]
    )
    db.session.commit()
    make_user("mai@htx.vn", name="Phạm Thị Mai")
    data = {
        "organisation": "HTX Nông nghiệp Nghĩa Hành",
        "org_kind": "cooperative",
        "tax_code": "123",
        "sector": "Nông sản",
        "products": "Nước mắm Sa Huỳnh",
        "ocop_stars": "",
        "commune_code": "",
        "contact_name": "Phạm Thị Mai",
        "contact_phone": BAD_PHONE,
        "contact_email": BAD_EMAIL,
        "booth_type_id": str(booth_type.id),
        "needs": ["table"],
        "needs_note": "",
        **CONSENT,
    }
    expected = {
        "tax_code": "Mã số thuế gồm 10 chữ số, hoặc 13 chữ số với đơn vị phụ thuộc (ví dụ 0101234567-001).",
        "contact_phone": PHONE_MESSAGE,
        "contact_email": EMAIL_MESSAGE,
    }
    return _Case("mai@htx.vn", f"/su-kien/{event.slug}/gian-hang", data, expected)


def _session(make_user) -> _Case:
    """An edit that shortens a session to end before it starts and gives it fewer places than the
    people already registered."""
    from app.agenda import registrations, services
    from app.events import registration

    organiser = _organiser(make_user)
    day = to_local(utcnow()).date() + timedelta(days=3)
    event = _event(
        organiser,
        starts_at=local_to_utc(datetime.combine(day, time(7, 0))),
        ends_at=local_to_utc(datetime.combine(day, time(17, 0))),
    )
    values = {
        "title": "Tọa đàm kết nối đầu tư",
        "kind": "talk",
        "day": day.isoformat(),
        "start": time(8, 30),
        "end": time(10, 0),
        "room": "Hội trường A",
        "capacity": 10,
        "registration_required": True,
        "is_published": True,
    }
    session = services.create_session(organiser, event, values)
    for n in range(2):
        person = registration.register_attendee(
            event,
            {"full_name": "Nguyễn Thị Hồng", "phone": f"090500000{n}", "category": "Khách tham quan"},
            {"process_registration": True},
        )
        registrations.register_for_session(person.active_ticket, session.id)
    data = {
        "title": "Tọa đàm kết nối đầu tư",
        "kind": "talk",
        "day": day.isoformat(),
        "start": "10:00",
        "end": "09:00",
        "room": "Hội trường A",
        "capacity": "1",
        "registration_required": "y",
        "is_published": "y",
    }
    expected = {
        "end": "Giờ kết thúc phải sau giờ bắt đầu.",
        "capacity": "Phiên đã có 2 người đăng ký: không thể giảm số chỗ xuống 1. Hãy để từ 2 chỗ trở lên.",
    }
    return _Case("btc@example.vn", f"/su-kien/quan-ly/{event.slug}/lich/{session.id}/sua", data, expected)


def _event_form(make_user) -> _Case:
    _organiser(make_user)
    data = {
        "name": "Ngày hội khởi nghiệp",
        "slug": "Ngay Hoi 2026",
        "venue": "",
        "description": "",
        "starts_at": "2030-06-01T08:00",
        "ends_at": "2030-06-01T07:00",
        "registration_opens_at": "2030-05-20T08:00",
        "registration_closes_at": "2030-05-10T08:00",
        "capacity": "",
        "categories": "Khách tham quan\nBáo chí",
        "public_categories": "Khách VIP",
        "gates": "Cổng A",
        "contest_id": "0",
        "is_published": "y",
    }
    expected = {
        "slug": "Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang.",
        "ends_at": "Thời gian kết thúc phải sau thời gian bắt đầu.",
        "registration_closes_at": "Hạn đăng ký phải sau thời điểm mở đăng ký.",
        "public_categories": "“Khách VIP” không có trong danh sách loại khách của sự kiện.",
    }
    return _Case("btc@example.vn", "/su-kien/quan-ly/tao-moi", data, expected)


SERVICE_CASES = {
    "sign-up": _signup,
    "event registration": _registration,
    "entry dossier": _dossier,
    "team member": _member,
    "booth application": _booth,
    "organisers' session": _session,
    "organisers' event": _event_form,
}


@pytest.mark.parametrize("form", list(SERVICE_CASES))
def test_every_field_the_service_refuses_is_named_in_one_answer(app, client, make_user, login, form):
    case = SERVICE_CASES[form](make_user)
    if case.login:
        login(case.login)
    page = client.get(case.page)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    answer = client.post(
        case.post or case.page, data={**case.data, "csrf_token": csrf_from(page.get_data(as_text=True))}
    )
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422, body[:500]
    missing = {
        field: message
        for field, message in case.expected.items()
        if str(escape(message)) not in body or not _named(body, {"id": field, "name": field})
    }
    assert missing == {}, f"{form}: one answer should name every refused field; not named: {missing}"
