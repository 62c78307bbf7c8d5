"""Fuzz every form and every check-in API endpoint (issue 9): the answer is a success or a 4xx that
says what is wrong, never a 500, and a refused request leaves every table as it was.

How the forms are found, so that a new form is fuzzed without anyone remembering to add it:

1. `build_world` makes a small world through the services (a contest open for entries with an
   applicant's draft and screened entries, a judging round with a judge, a submitted sheet and
   a pending invitation, an event with staff, a ticket, a device token and a check-in, a data
   request, a password-reset link), one account per role.
2. `discover` logs in as each role and walks the site from the home page and the links found in
   the world's mails (invitation, password reset), following same-site links (at most a few pages
   per route), and reads every `<form method="post">`: its action, and its inputs, selects,
   textareas and named buttons with the values the page offers. Forms are grouped by the route
   their action matches in `app.url_map`; the first role (least privileged first) that sees a
   form is the one that fuzzes it.
3. `test_every_form_survives_fuzzing` is parametrised by every POST route of `app.url_map` (the API
   aside): a route whose form no page shows fails the test, so it cannot be skipped silently.
   First every field whose page value is a number gets each of `HOSTILE_NUMBERS` ('1e61', 'nan',
   40 digits, 2**31 …), the rest of the form as the page has it. Then Hypothesis: each example
   picks one of the route's forms and, for one, some or every field, a value from the whole of
   Unicode (NUL, C0/C1 controls, bidi overrides, NFD Vietnamese …), a number as text that is huge,
   negative or not finite, a 1 MB string (rarely), several values, or nothing; the other fields
   keep the page's value (or a typical one), so most examples reach the service behind the form.
4. `test_every_api_endpoint_survives_fuzzing` sends JSON of every type, nesting and size (and
   bodies that are not JSON at all) to the check-in API with the device's bearer token.

After every answer: no 5xx; a 4xx carries a message (a field error, an alert, an error page or a
JSON `message`); after a 4xx the row count of every table is unchanged (`ROW_COUNT_EXCEPTIONS`
lists the few refusals that write on purpose, with the reason); after a success the page it
redirects to and the form's own pages still load (a stored value must not break a page later).

Settings: `FUZZ_EXAMPLES` examples per route (default 20), `derandomize=True` so CI is
reproducible, no deadline. The app is built by the test itself (with the per-address login delay
off, or a login form fuzzed with wrong passwords would sleep), so Hypothesis never sees a
function-scoped fixture.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import tempfile
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.exceptions import MethodNotAllowed, NotFound

from app.extensions import db
from tests.conftest import IsolatedClient, build_app, csrf_from, make_config
from tests.factories import event_data

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
PASSWORD = "GaoLua2024"
ROLES = ("anonymous", "applicant", "judge", "checkin", "organiser", "admin")
EMAILS = {
    "applicant": "thisinh@fuzz.vn",
    "judge": "giamkhao@fuzz.vn",
    "checkin": "tinhnguyen@fuzz.vn",
    "organiser": "bantochuc@fuzz.vn",
    "admin": "quantri@fuzz.vn",
}
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# Refusals that write on purpose: {endpoint: (tables that may change, why)}.
ROW_COUNT_EXCEPTIONS = {
    "accounts.login": (
        {"login_attempts", "audit_events"},
        "a wrong password is recorded: that is how logins are throttled",
    ),
    "contests.edit_entry": (
        {"entry_files", "entry_events", "audit_events"},
        "a dossier keeps every valid field and file when another one is refused (SPEC §3)",
    ),
}


# --- the world ------------------------------------------------------------------------------------


@dataclass
class World:
    """What the crawl needs to start from, and the secrets that appear in URLs."""

    device_token: str
    event_slug: str
    ticket_code: str
    checkin_id: int
    seeds: list[str]
    round_id: int = 0  # the live round (the live API's URLs)
    entry_id: int = 0  # the team on its stage
    stage_key: str = ""
    session_id: int = 0  # a session of the programme (the room-door API's URLs)
    session_checkin_id: int = 0
    secrets: dict[str, str] = field(default_factory=dict)  # placeholder → the raw token in URLs

    def fingerprint(self) -> tuple:
        """Ids are the same in every fresh database; tokens are not (they are placeholders)."""
        return (self.event_slug, self.checkin_id, tuple(self.seeds_with_placeholders()))

    def seeds_with_placeholders(self) -> list[str]:
        return [self.hide(url) for url in self.seeds]

    def hide(self, url: str) -> str:
        for name, value in self.secrets.items():
            url = url.replace(value, "{" + name + "}")
        return url

    def show(self, url: str) -> str:
        for name, value in self.secrets.items():
            url = url.replace("{" + name + "}", value)
        return url


def _mail_link(pattern: str) -> str:
    from app.mail.services import outbox

    for message in reversed(outbox()):
        body = message.get_body(("plain",)).get_content()
        found = re.search(pattern, body)
        if found:
            return found.group(0)
    raise AssertionError(f"no mail with a link like {pattern}")


def build_world() -> World:
    """One of everything a form can act on, built through the services."""
    from app.accounts import services as accounts
    from app.certificates import services as certificates
    from app.contests import entries
    from app.contests import services as contests
    from app.contests.entries import EntryData
    from app.contests.services import ContestData, SlotSpec
    from app.events import checkin, registration
    from app.events import services as events
    from app.judging import services as judging
    from app.live import services as live
    from app.localtime import to_local, utcnow
    from app.mail.models import MailFailure
    from app.privacy import services as privacy
    from app.programmes import services as programmes
    from tests.contests.conftest import ALL_CONSENTS, PDF, person, upload
    from tests.judging.conftest import FULL, make_entries

    roles = {"applicant": "applicant", "judge": "judge", "checkin": "checkin_staff"}
    roles |= {"organiser": "organiser", "admin": "admin"}
    users = {
        key: accounts.create_user(EMAILS[key], role, password=PASSWORD, full_name=f"Người thử {key}")[0]
        for key, role in roles.items()
    }
    users["applicant"].phone = "+84905123456"
    other, _ = accounts.create_user(
        "nguoikhac@fuzz.vn", "applicant", password=PASSWORD, full_name="Lê Thị Khác"
    )
    accounts.create_user("quenmatkhau@fuzz.vn", "applicant", password=PASSWORD, full_name="Phan Văn Quên")
    organiser = users["organiser"]

    today = to_local(utcnow()).date()
    contest = contests.create_contest(
        organiser,
        ContestData(
            name="Cuộc thi ý tưởng khởi nghiệp thử nghiệm",
            slug="thu-nghiem",
            year=today.year,
            code_prefix="TN",
            opens_local=datetime.combine(today - timedelta(days=10), datetime.min.time()),
            closes_local=datetime.combine(today + timedelta(days=30), datetime.min.time()),
            fields=["Nông nghiệp", "Khác"],
            tracks=[("Bảng Ý tưởng", None), ("Bảng Dự án", 5)],
            slots=[SlotSpec("thuyet-minh", "Bản thuyết minh", ["pdf", "docx"], 1, True)],
            form_fields={"problem": "required", "solution": "optional"},
            min_age=16,
            max_age=60,
            team_min=1,
            team_max=3,
            max_entries_per_person=3,
        ),
    )
    applicant = users["applicant"]
    draft = entries.start_entry(
        applicant,
        contest,
        title="Máy sấy nông sản năng lượng mặt trời",
        track_id=contest.tracks[0].id,
        leader=person(applicant.full_name),
        consents=dict(ALL_CONSENTS),
    )
    entries.save_entry(
        applicant,
        draft,
        EntryData(
            title=draft.title,
            track_id=contest.tracks[0].id,
            field="Nông nghiệp",
            summary="Sấy khô nông sản bằng năng lượng mặt trời.",
            answers={"problem": "Nông sản hư hỏng sau thu hoạch."},
            declared_original=True,
        ),
        uploads={"thuyet-minh": upload(PDF)},
    )
    entries.add_member(applicant, draft, person("Trần Thị Bích", email="bich@fuzz.vn"))
    screened = make_entries(contest, list(contest.tracks), n=5)
    contest.last_code_number = len(screened)
    screened[4].leader_id = other.id  # a team with an account: the organisers may offer it a booth
    db.session.commit()

    round_ = judging.create_round(
        organiser, contest, judging.RoundSettings(name="Sơ khảo", judges_per_entry=1)
    )
    judging.add_entries(organiser, round_, [e.id for e in screened[:4]])  # the 5th is a candidate
    judging.add_judge(organiser, round_, users["judge"].email)
    judging.save_components(organiser, round_, [{"name": "Bình chọn", "max_points": "10"}])
    for entry in screened[:2]:
        judging.assign_judge(organiser, round_, users["judge"].id, entry.id)
    done = judging.get_sheet_for_judge(users["judge"], round_.id, screened[1].id)
    judging.save_sheet(users["judge"], done, FULL, {}, "", done.version, submit=True)
    judging.invite_judge(organiser, round_, "moi@fuzz.vn", "Võ Văn Mời")
    invitation = _mail_link(r"/cham-diem/loi-moi/[^\s]+")
    judging.create_round(organiser, contest, judging.RoundSettings(name="Chung kết"))  # empty: deletable

    event = events.create_event(
        organiser,
        event_data(
            "ngay-hoi-thu",
            "Ngày hội khởi nghiệp thử nghiệm",
            categories=["Khách tham quan", "Thí sinh"],
            contest_id=contest.id,  # linked: the page offers to sync finalists and judges
        ),
    )
    events.assign_staff(organiser, event, users["checkin"].email)
    attendee = registration.register_attendee(
        event,
        {"full_name": "Nguyễn Thị Hồng", "phone": "0905000111", "category": "Khách tham quan"},
        {"process_registration": True, "newsletter": False},
    )
    registration.register_attendee(
        event,
        {"full_name": "Hồ Văn Khách", "phone": "0905000222", "category": "Thí sinh", "group_name": "Đội A"},
        {"process_registration": True, "newsletter": False},
    )
    _device, device_token = events.create_device_token(organiser, event, "Điện thoại cổng A")
    # The screening round goes live (the event's checked-in tickets vote into "Bình chọn"): the console's,
    # the vote page's and the judges' forms and APIs are fuzzed too.
    stage = live.enable(
        organiser,
        round_,
        live.StageSettings(event_id=event.id, vote_enabled=True, vote_component=round_.components[0]["id"]),
    )
    on_stage = live.start(organiser, stage)
    code = attendee.tickets[0].code
    answer = checkin.record_checkin(checkin.scope_for_device(event.slug, device_token), code, gate="Cổng A")

    # A certificate (its revoke and batch forms) and a programme (its edit form).
    certificates.issue(organiser, "attendance", event=event)
    programmes.create_programme(
        organiser,
        {
            "name": "Chương trình KNĐMST thử",
            "slug": "chuong-trinh-thu",
            "year": today.year,
            "is_published": True,
        },
    )
    # Booths (issue 14): the applicant's accepted application on a booth, with passes, and an uploaded
    # plan; the judge holds an offer (its confirm, photo and withdraw forms). A session of the programme
    # the first attendee holds and was let in to (her timetable's forms, the organisers' session forms).
    from PIL import Image
    from werkzeug.datastructures import FileStorage

    from app.booths import applications as booth_applications
    from app.booths.models import BoothApplication
    from tests.test_authorization import _booths, _sessions

    booth_world = _booths(organiser, applicant, event)
    offer = BoothApplication(
        event_id=event.id,
        user_id=users["judge"].id,
        booth_type_id=booth_world["type_id"],
        status="offered",
        organisation="Đội Máy sấy",
        contact_name=users["judge"].full_name,
        contact_email=users["judge"].email,
    )
    db.session.add(offer)
    db.session.commit()
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (90, 160, 60)).save(photo, "JPEG")
    booth_applications.add_photos(
        users["judge"],
        offer,
        [FileStorage(io.BytesIO(photo.getvalue()), "san-pham.jpg", content_type="image/jpeg")],
    )
    session_world = _sessions(organiser, event, attendee, device_token)
    privacy.file_data_request(other, "deletion", "Xin xoá dữ liệu của tôi.")
    # Undelivered mail, so the organisers' list shows its resend/drop form (linked from /bao-cao).
    db.session.add(
        MailFailure(
            email="sai-dia-chi@fuzz.vn",
            subject="Vé tham dự",
            message=b"Subject: test\r\n\r\nbody",
            error="550 5.1.1 Hộp thư không tồn tại",
            attempts=1,
            permanent=True,
        )
    )
    db.session.commit()
    accounts.request_password_reset("quenmatkhau@fuzz.vn")
    reset = _mail_link(r"/tai-khoan/dat-lai-mat-khau/[^\s]+")

    invite_token, reset_token = invitation.rsplit("/", 1)[1], reset.rsplit("/", 1)[1]
    return World(
        device_token=device_token,
        event_slug=event.slug,
        ticket_code=code,
        checkin_id=answer["checkin"]["id"],
        seeds=[
            "/",
            f"/ve/{code}",
            invitation,
            reset,
            f"/bao-cao/nam/{today.year}",
            f"/binh-chon/{stage.public_key}",
            f"/man-hinh/{stage.public_key}",
        ],
        secrets={"invite": invite_token, "reset": reset_token, "ticket": code, "stage": stage.public_key},
        round_id=round_.id,
        entry_id=on_stage.entry_id,
        stage_key=stage.public_key,
        session_id=session_world["session_id"],
        session_checkin_id=session_world["session_checkin_id"],
    )


# --- reading forms out of pages --------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, textarea, select, checkbox, radio, button, hidden, file, password …
    values: tuple[str, ...]  # what the page offers (its value, its options)


@dataclass(frozen=True)
class FormSpec:
    role: str
    source: str  # the page (with placeholders for secrets), or "post:<seed>" for a POST's answer
    action: str
    multipart: bool
    fields: tuple[Field, ...]


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"attrs": a, "fields": {}}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "button") and a.get("name"):
            kind = a.get("type", "text" if tag == "input" else "submit").lower()
            if kind in ("submit", "image", "reset"):
                kind = "button"
            value = a.get("value", "y" if kind == "checkbox" else "")
            self._add(a["name"], kind, value)
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._add(self._select, "select", None)
        elif tag == "option" and self._select:
            self._add(self._select, "select", a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # A browser drops the one line break that follows <textarea>.
            value = "".join(self._text).removeprefix("\r\n").removeprefix("\n")
            self._add(self._textarea, "textarea", value)
            self._textarea = None

    def _add(self, name: str, kind: str, value: str | None):
        kinds, values = self._form["fields"].setdefault(name, ([], []))
        if kind not in kinds:
            kinds.append(kind)
        if value is not None and value not in values:
            values.append(value)


def _parse(html: str, path: str, role: str, source: str, world: World) -> tuple[list[FormSpec], list[str]]:
    """The page's POST forms and its links (absolute paths)."""
    parser = _FormParser()
    parser.feed(html)
    forms = []
    for form in parser.forms:
        attrs = form["attrs"]
        if attrs.get("method", "get").lower() != "post":
            continue
        action = urlsplit(urljoin("http://localhost" + path, attrs.get("action") or path))
        fields = tuple(
            Field(name, kinds[0], tuple(values))
            for name, (kinds, values) in form["fields"].items()
            if name != "csrf_token"
        )
        action_path = action.path + (f"?{action.query}" if action.query else "")
        multipart = "multipart" in attrs.get("enctype", "")
        forms.append(FormSpec(role, source, world.hide(action_path), multipart, fields))
    links = [
        urljoin("http://localhost" + path, href).removeprefix("http://localhost") for href in parser.links
    ]
    return forms, [link.split("#")[0] for link in links]


def _route(app, path: str, method: str):
    adapter = app.url_map.bind("localhost")
    try:
        rule, _args = adapter.match(path, method=method, return_rule=True)
    except (NotFound, MethodNotAllowed):
        return None
    return rule


def _login(client, role: str) -> None:
    if role == "anonymous":
        return
    page = client.get("/tai-khoan/dang-nhap").get_data(as_text=True)
    response = client.post(
        "/tai-khoan/dang-nhap",
        data={"email": EMAILS[role], "password": PASSWORD, "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 302, f"{role} could not log in"


def _upload_guest_list(client, world: World):
    """The guest import's confirmation form exists only on the answer to an upload."""
    from tests.exports.test_services import guest_file

    url = f"/bao-cao/su-kien/{world.event_slug}/nhap-khach"
    token = csrf_from(client.get(url).get_data(as_text=True))
    rows = [("Nguyễn Thị Hoa", "0905111999", "hoa@fuzz.vn", "UBND xã Tịnh Khê", "Khách tham quan", "")]
    data = {"csrf_token": token, "consent": "y", "file": (io.BytesIO(guest_file(rows)), "khach.xlsx")}
    return client.post(url, data=data, content_type="multipart/form-data")


# Forms found only on the answer to a POST: {name: (role, how to get that answer)}.
POST_SEEDS = {"guest-preview": ("organiser", _upload_guest_list)}


def _read(
    client, world: World, role: str, source: str, *, check: bool = False
) -> tuple[list[FormSpec], list[str]]:
    """Fetch one source (a page, or a POST seed's answer) and read its forms and links."""
    if source.startswith("post:"):
        response, path = POST_SEEDS[source[5:]][1](client, world), "/"
    else:
        path = world.show(source)
        response = client.get(path)
    assert not check or response.status_code < 500, f"{role} GET {path} → {response.status_code}"
    if response.status_code != 200 or "text/html" not in response.content_type:
        return [], []
    return _parse(response.get_data(as_text=True), path, role, source, world)


def _crawl(app, world: World, role: str, *, per_route: int = 3, budget: int = 250) -> list[FormSpec]:
    """Walk the site as `role` from the seeds, reading every POST form of every HTML page."""
    client = app.test_client()
    _login(client, role)
    queue, seen, per_rule = deque(world.seeds), set(), {}
    found: list[FormSpec] = []
    while queue and budget:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.netloc or url in seen:
            continue
        seen.add(url)
        rule = _route(app, parts.path, "GET")
        if rule is None or rule.endpoint == "static" or per_rule.get(rule.rule, 0) >= per_route:
            continue
        per_rule[rule.rule] = per_rule.get(rule.rule, 0) + 1
        budget -= 1
        forms, links = _read(client, world, role, world.hide(url))
        found += forms
        queue.extend(link for link in links if link not in seen)
    for name, (seed_role, _how) in POST_SEEDS.items():
        if seed_role == role:
            found += _read(client, world, role, f"post:{name}")[0]
    return found


_DISCOVERED: dict[tuple, dict[str, list[FormSpec]]] = {}


def discover(app, world: World) -> dict[str, list[FormSpec]]:
    """{POST rule: the forms posting to it, as seen by the least privileged role that sees one}.
    The same world has the same ids in every fresh database, so one crawl serves every test."""
    key = (app.config["SQLALCHEMY_DATABASE_URI"], world.fingerprint())
    if key not in _DISCOVERED:
        by_rule: dict[str, list[FormSpec]] = {}
        for role in ROLES:
            for spec in _crawl(app, world, role):
                rule = _route(app, urlsplit(world.show(spec.action)).path, "POST")
                if rule is None:
                    continue
                variants = by_rule.setdefault(rule.rule, [])
                if variants and variants[0].role != role:
                    continue  # a less privileged role already fuzzes this route
                if spec not in variants and len(variants) < 8:
                    variants.append(spec)
        _DISCOVERED[key] = by_rule
    return _DISCOVERED[key]


def fresh_variants(client, world: World, variants: list[FormSpec]) -> list[FormSpec]:
    """The same forms read again in this test's world: hidden values (a sheet's version, an upload's
    token) differ from the crawl's; a form that is no longer shown keeps what the crawl saw. Each
    page is read once, and must still load."""
    pages = {
        source: _read(client, world, variants[0].role, source, check=True)[0]
        for source in dict.fromkeys(spec.source for spec in variants)
    }

    def key(spec: FormSpec) -> tuple:
        return spec.source, spec.action, tuple(f.name for f in spec.fields)

    # A page may hold several forms alike (one per entry): the n-th such form stands for the n-th.
    alike: dict[tuple, deque] = {}
    for forms in pages.values():
        for form in forms:
            alike.setdefault(key(form), deque()).append(form)
    fresh = []
    for spec in variants:
        queue = alike.get(key(spec))
        fresh.append(queue.popleft() if queue else spec)
    return fresh


# --- values ------------------------------------------------------------------------------------------

NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết")
SPECIAL = [
    "",
    " ",
    "\x00",
    "Nguyễn\x00Văn",
    "\u202eVăn An",
    "ab\u200bc",
    "\x1b[31m",
    "\x07",
    "\x85",
    "\ufeff",
    NFD_NAME,
    "Quảng Ngãi\r\nLý Sơn",
    "\t",
    "1e61",
    "-1e61",
    "1E+999999999",
    "nan",
    "NaN",
    "inf",
    "-Infinity",
    "sNaN",
    "-1",
    "-0",
    "0",
    "0,001",
    "7,5",
    "9" * 40,
    "2147483648",
    "-9223372036854775809",
    "1_000",
    "²",
    "١٢",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "0001-01-01",
    "31/02/2024",
    "25:61",
    "=1+1",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%_\\",
    "../../etc/passwd",
    "javascript:alert(1)",
    "//evil.example",
    "a@b",
    "x" * 5000,
    "ễ" * 350_000,  # about 1 MB of UTF-8
]
SCALARS = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),  # all of Unicode but surrogates
    st.text(st.sampled_from("\x00\x01\x1f\x7f\x80\x9f\u202a\u202e\u2066\u200f ễ9,.-e"), max_size=12),
    st.sampled_from(SPECIAL),
    st.integers().map(str),
    st.integers(min_value=10**18).map(str),
    st.floats().map(repr),
    st.decimals().map(str),
)


# What a person would type where the page offers nothing, so that most examples get past the form's
# own checks with one or two bad fields and reach the service behind it.
TYPICAL = {
    "email": "moi.nguoi@fuzz.vn",
    "add-email": EMAILS["judge"],
    "staff-email": EMAILS["checkin"],
    "invite-email": "khach.moi@fuzz.vn",
    "full_name": "Nguyễn Văn Bình",
    "invite-full_name": "Đặng Thị Mời",
    "phone": "0905123789",
    "contact": "0905000111",
    "password": "GaoLua2024!moi",
    "password_confirm": "GaoLua2024!moi",
    "current_password": PASSWORD,
    "new_password": "GaoLua2024!moi",
    "new_password_confirm": "GaoLua2024!moi",
    "name": "Vòng thử nghiệm",
    "slug": "thu-nghiem-moi",
    "code_prefix": "TM",
    "year": "2030",
    "title": "Ý tưởng thử nghiệm mới",
    "reason": "Lý do thử nghiệm",
    "cancel-reason": "Khách báo không đến",
    "reissue-reason": "Khách làm mất vé",
    "note": "Ghi chú thử nghiệm",
    "details": "Xin sửa dữ liệu của tôi cho đúng.",
    "device-name": "Máy quét cổng B",
    "starts_at": "2030-01-01T08:00",
    "ends_at": "2030-01-01T17:00",
    "opens_date": "2030-01-01",
    "closes_date": "2030-02-01",
    "birth_date": "2000-05-17",
    "organisation": "Hợp tác xã Nghĩa Hà",
    "min_average": "50",
    "top_n": "3",
    "capacity": "100",
    "cname-1": "Tham gia tập huấn",
    "cmax-1": "5",
    "name-6": "Tiêu chí mới",
    "max_points-6": "10",
    "ideas_target": "10",
    "projects_target": "5",
}


PAGE = "page"  # placeholder of a plan: "the page's own value number k"


@st.composite
def form_plan(draw, spec: FormSpec) -> dict:
    """For each field: the page's own value (resolved when sending, as pages change), a fuzzed
    value, or nothing. Mostly the page's values, with one, some or every field fuzzed, so that
    most examples pass the form's own checks and reach the service behind it."""
    mode = draw(st.sampled_from(["one", "one", "some", "all"]), label="mode")
    target = draw(st.sampled_from([f.name for f in spec.fields])) if spec.fields else None
    plan: dict = {}
    for f in spec.fields:
        fuzz = (
            mode == "all" or (mode == "one" and f.name == target) or (mode == "some" and draw(st.booleans()))
        )
        if f.kind == "file":
            choice = draw(st.sampled_from(["pdf", "junk", "none"] if fuzz else ["pdf", "none"]))
            if choice != "none":
                content = b"%PDF-1.4\n%%EOF\n" if choice == "pdf" else draw(st.binary(max_size=2048))
                plan[f.name] = (content, draw(SCALARS) if fuzz else "thuyet-minh.pdf")
        elif fuzz:
            plan[f.name] = draw(st.one_of(SCALARS, st.lists(SCALARS, min_size=2, max_size=3), st.none()))
        else:
            plan[f.name] = (PAGE, draw(st.integers(0, 7)))
    return plan


def resolve(plan: dict, spec: FormSpec) -> dict:
    """The plan with the page's current values put in (a checkbox or button may stay unsent)."""
    current = {f.name: f for f in spec.fields}
    data = {}
    for name, value in plan.items():
        if isinstance(value, tuple) and value and value[0] == PAGE:
            f = current.get(name)
            good = [v for v in (f.values if f else ()) if v] or [TYPICAL.get(name, "")]
            if f is not None and f.kind in ("checkbox", "button"):
                good.append(None)  # unticked, or another button pressed
            value = good[value[1] % len(good)]
        elif isinstance(value, tuple):  # a file: fresh bytes for every request
            value = (io.BytesIO(value[0]), value[1])
        if value is not None:
            data[name] = value
    return data


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**30),
    st.floats(),  # NaN and ±Infinity become bare tokens that JSON does not have
    SCALARS,
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(SCALARS, inner, max_size=3),
    max_leaves=12,
)
API_KEYS = ["code", "gate", "scan_id", "scanned_at", "reason", "group", "full_name", "phone", "email"]
API_KEYS += ["organisation", "category", "group_name", "consents"]
API_KEYS += ["ticket", "entry_id", "action", "version", "general_comment"]  # the vote and the judge's sheet
RAW_BODIES = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"code"',
    b"\xff\xfe\x00",
    b"[" * 30_000 + b"]" * 30_000,  # deep nesting within the size limit
    b"[" * 100_000 + b"]" * 100_000,  # deep nesting above it
    b'{"code": ' + b"9" * 60_000 + b"}",
    b'{"code": NaN}',
]


@st.composite
def api_body(draw, world: World) -> bytes:
    kind = draw(st.sampled_from(["object", "any", "raw"]))
    if kind == "raw":
        return draw(st.sampled_from(RAW_BODIES))
    if kind == "any":
        return json.dumps(draw(JSON_VALUES)).encode()
    good = {
        "code": world.ticket_code,
        "gate": "Cổng A",
        "scan_id": "3f1c2a5e-8d4b-4c1e-9a7f-0b6d5e4c3a21",
        "reason": "Quét nhầm người",
        "group": "Đội A",
        "full_name": "Trần Văn Khách",
        "phone": "0905333444",
        "category": "Khách tham quan",
        "consents": {"process_registration": True},
        "ticket": world.ticket_code,
        "entry_id": world.entry_id,
        "action": "save",
    }
    body = {}
    for key in API_KEYS:
        choice = draw(st.sampled_from(["good", "fuzz", "absent"]))
        if choice == "good" and key in good:
            body[key] = good[key]
        elif choice == "fuzz":
            body[key] = draw(JSON_VALUES)
    return json.dumps(body).encode()


# --- checks ------------------------------------------------------------------------------------------

MESSAGE_MARKERS = ('role="alert"', 'class="field-error"', 'class="error-page"', 'class="flash ')


def _counts() -> dict[str, int]:
    tables = db.metadata.sorted_tables
    query = select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
    with db.engine.connect() as conn:  # one round trip, outside the session the app uses
        row = conn.execute(query).one()
    return {t.name: n for t, n in zip(tables, row, strict=True)}


class Counts:
    """Row counts of every table, read again after each answer (also when a check then fails, so
    Hypothesis's later examples compare against the truth)."""

    def __init__(self):
        self.now = _counts()

    def check(self, response, endpoint: str, what: str) -> None:
        before, self.now = self.now, _counts()
        _check(response, endpoint, before, self.now, what)


def _check(response, endpoint: str, before: dict[str, int], after: dict[str, int], what: str) -> None:
    status = response.status_code
    body = response.get_data(as_text=True)
    assert status < 500, f"{what} → {status}\n{body[:800]}"
    if 400 <= status < 500:
        if response.is_json:
            message = (response.get_json(silent=True) or {}).get("message")
            assert message, f"{what} → {status} without a message"
        else:
            shown = any(marker in body for marker in MESSAGE_MARKERS)
            assert shown, f"{what} → {status} without a message:\n{body[:800]}"
        allowed, _why = ROW_COUNT_EXCEPTIONS.get(endpoint, (set(), ""))
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t] and t not in allowed}
        assert not changed, f"{what} → {status} but rows changed (before, after): {changed}"


def _short(value, limit: int = 300) -> str:
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit] + f"… ({len(shown)} characters)"


# --- the tests ---------------------------------------------------------------------------------------


@pytest.fixture
def fuzz_app(database_url, tmp_path):
    # The per-address login delay would sleep seconds once the login form has seen wrong passwords.
    # EXPORT_JOB_ROWS=0: every export offers its "prepare in the background" form, so it is fuzzed too.
    app = build_app(
        database_url,
        tmp_path,
        LOGIN_IP_MAX_DELAY_SECONDS=0,
        LOGIN_IP_FREE_FAILURES=10**6,
        EXPORT_JOB_ROWS=0,
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
    with app.app_context():
        db.engine.dispose()


@functools.cache
def _rules() -> tuple[tuple[str, frozenset[str]], ...]:
    """Every route of the URL map with its methods, read at collection from an app that never
    connects to its database (create_app touches no database)."""
    from app import create_app

    instance = Path(tempfile.gettempdir()) / "kndmst-fuzz-routes"
    app = create_app(make_config("sqlite://", instance))
    return tuple((rule.rule, frozenset(rule.methods or ())) for rule in app.url_map.iter_rules())


def _post_rules() -> list[str]:
    writes = {"POST", "PUT", "PATCH", "DELETE"}
    return sorted(rule for rule, methods in _rules() if methods & writes and not rule.startswith("/api/"))


def _api_rules() -> list[str]:
    return sorted(
        f"{method} {rule}"
        for rule, methods in _rules()
        if rule.startswith("/api/")
        for method in sorted(methods - {"HEAD", "OPTIONS"})
    )


# Every field whose page value is a number also gets each of these, one field at a time with the
# rest of the form as the page has it: a stored number that breaks a page later (issue 9, defect 4:
# max_points=1e61) shows up when the pages are read again after the success.
HOSTILE_NUMBERS = ["1e61", "1E+999999999", "nan", "-Infinity", "-1", "9" * 40, "2147483648", "0,001"]
HOSTILE_NUMBERS += ["²", "１２"]  # str.isdigit() says yes to both; int() refuses the first
_NUMBER = re.compile(r"^-?[0-9]+(?:[.,][0-9]+)?$")


def numeric_fields(spec: FormSpec) -> list[str]:
    return [
        f.name
        for f in spec.fields
        if f.kind == "number"
        or (f.kind in ("text", "hidden", "select") and any(_NUMBER.match(v) for v in f.values))
    ]


class FormFuzzer:
    """Posts plans to one route's forms as one role and checks every answer (and, after a success,
    the page it leads to and the forms' pages)."""

    def __init__(self, app, world: World, variants: list[FormSpec]):
        self.world, self.variants = world, variants
        self.role = variants[0].role
        self.endpoint = _route(app, urlsplit(world.show(variants[0].action)).path, "POST").endpoint
        self.client = app.test_client()
        _login(self.client, self.role)
        # Hypothesis plans against the forms as first read (its choices must not depend on the pages'
        # state); the values are filled in from the pages as they are now.
        self.current = fresh_variants(self.client, world, variants)
        self.token = csrf_from(self.client.get("/").get_data(as_text=True))  # one token per session
        self.counts = Counts()

    def send(self, index: int, plan: dict) -> None:
        spec = self.current[index]
        values = resolve(plan, spec)
        response = self.client.post(
            self.world.show(spec.action),
            data={**values, "csrf_token": self.token},
            content_type="multipart/form-data" if spec.multipart else None,
        )
        what = f"{self.role} POST {spec.action} (form on {spec.source}) {_short(values)}"
        self.counts.check(response, self.endpoint, what)
        if response.status_code < 400:  # something changed: the pages must still load
            location = response.headers.get("Location")
            if location and urlsplit(location).netloc in ("", "localhost"):
                after = self.client.get(location)
                assert after.status_code < 500, f"{what} → {location} → {after.status_code}"
            self.current = fresh_variants(self.client, self.world, self.current)

    def hostile_numbers(self) -> None:
        for index, spec in enumerate(self.variants):
            for name in numeric_fields(spec):
                for value in HOSTILE_NUMBERS:
                    plan = {f.name: (PAGE, 0) for f in spec.fields if f.kind != "file"}
                    self.send(index, {**plan, name: value})


@pytest.mark.parametrize("rule", _post_rules())
def test_every_form_survives_fuzzing(fuzz_app, rule):
    world = build_world()
    variants = discover(fuzz_app, world).get(rule)
    assert variants, (
        f"no page shows a form posting to {rule}: give build_world what the page needs, or a seed URL"
    )
    fuzzer = FormFuzzer(fuzz_app, world, variants)
    fuzzer.hostile_numbers()

    @FUZZ_SETTINGS
    @given(st.data())
    def post_anything(data):
        index = data.draw(st.integers(0, len(variants) - 1), label="form")
        fuzzer.send(index, data.draw(form_plan(variants[index]), label="fields"))

    post_anything()


@pytest.mark.parametrize("route", _api_rules())
def test_every_api_endpoint_survives_fuzzing(fuzz_app, route):
    world = build_world()
    method, rule = route.split(" ", 1)
    url = (
        rule.replace("<slug>", world.event_slug)
        .replace(
            "<int:session_id>/checkins/<int:checkin_id>",
            f"{world.session_id}/checkins/{world.session_checkin_id}",
        )
        .replace("<int:session_id>", str(world.session_id))
        .replace("<int:checkin_id>", str(world.checkin_id))
        .replace("<key>", world.stage_key)
        .replace("<int:round_id>", str(world.round_id))
        .replace("<int:entry_id>", str(world.entry_id))
    )
    endpoint = _route(fuzz_app, url, method).endpoint
    client = fuzz_app.test_client()
    headers = {"Authorization": f"Bearer {world.device_token}"}
    if endpoint == "live.judge_save":  # the judge's phone: a session and the page's CSRF token
        _login(client, "judge")
        headers = {"X-CSRFToken": csrf_from(client.get("/").get_data(as_text=True))}
    counts = Counts()

    @FUZZ_SETTINGS
    @given(st.data())
    def send_anything(data):
        query = data.draw(st.one_of(st.none(), st.dictionaries(st.sampled_from(["q", "reason"]), SCALARS)))
        if method == "GET":
            response = client.get(url, query_string=query, headers=headers)
            what = f"GET {url} {_short(query)}"
        else:
            body = data.draw(api_body(world), label="body")
            response = client.open(
                url,
                method=method,
                data=body,
                query_string=query,
                headers={**headers, "Content-Type": "application/json"},
            )
            what = f"{method} {url} {_short(body)}"
        counts.check(response, endpoint, what)

    send_anything()
