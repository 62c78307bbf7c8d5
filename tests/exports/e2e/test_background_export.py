"""A big export prepared in the background, as in production (issue 11): the web server queues the
job, a real worker thread builds the workbook, and the organiser watches the progress bar on the
job page reach 100 % before downloading the file. Only the person who asked may see the job or
its file: another organiser gets the refusal page."""

from __future__ import annotations

import re
from datetime import timedelta

from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import insert

from app.accounts import services as accounts
from app.events import services as events
from app.events import tickets
from app.events.models import Attendee, Checkin, Ticket
from app.extensions import db
from tests.conftest import assert_accessible_form, assert_fits_width
from tests.factories import event_data

PASSWORD = "GaoLua2024"
ORGANISER = "btc@example.vn"
OTHER = "btc2@example.vn"
SLUG = "ngay-hoi-lon"
EXPORT = f"/bao-cao/su-kien/{SLUG}/tham-du.xlsx"
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi")
GIVEN = ("Văn An", "Thị Hoa", "Minh Đức", "Thị Ánh", "Quốc Bảo", "Ngọc Hân")
BATCH = 2_000


def _seed(app, attendees: int) -> None:
    """Two Sở organisers and an event (through the services), then `attendees` registrations with a
    ticket each and a check-in for one in three, inserted in bulk with Core."""
    with app.app_context():
        organiser, _ = accounts.create_user(ORGANISER, "organiser", password=PASSWORD, full_name="Lê Thị Mai")
        accounts.create_user(OTHER, "organiser", password=PASSWORD, full_name="Phan Văn Tùng")
        event = events.create_event(organiser, event_data(slug=SLUG, name="Ngày hội KNĐMST đông người"))
        event_id, starts_at, gates = event.id, event.starts_at, list(event.gates)
        people = []
        for i in range(1, attendees + 1):
            name = f"{FAMILY[i % len(FAMILY)]} {GIVEN[i % len(GIVEN)]} {i}"
            phone = f"+84905{i:06d}"
            people.append(
                {
                    "event_id": event_id,
                    "full_name": name,
                    "phone": phone,
                    "email": f"khach{i}@example.vn",
                    "organisation": "Trường THPT Lê Khiết",
                    "category": "Khách tham quan",
                    "group_name": "",
                    "search_text": tickets.search_key(name, phone, "Trường THPT Lê Khiết"),
                    "source": "web",
                    "created_at": starts_at - timedelta(days=2, seconds=i),
                }
            )
        # The database numbers the rows (RETURNING, in the order given: SQLite and PostgreSQL alike).
        attendee_ids = _bulk(Attendee, people)
        passes = [
            {
                "event_id": event_id,
                "attendee_id": attendee_id,
                "code": f"VE-{attendee_id:08d}",
                "issued_at": starts_at - timedelta(days=2),
                "revoked_reason": "",
            }
            for attendee_id in attendee_ids
        ]
        ticket_ids = _bulk(Ticket, passes)
        scans = [
            {
                "event_id": event_id,
                "ticket_id": ticket_id,
                "attendee_id": attendee_id,
                "at": starts_at + timedelta(seconds=n),
                "gate": gates[n % len(gates)],
                "undo_reason": "",
            }
            for n, (attendee_id, ticket_id) in enumerate(zip(attendee_ids, ticket_ids, strict=True), start=1)
            if n % 3 == 0
        ]
        _bulk(Checkin, scans)
        db.session.commit()
        db.session.remove()


def _bulk(model, rows: list[dict]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
        ids += db.session.scalars(stmt, rows[start : start + BATCH]).all()
    return ids


def _login(page, base: str, email: str) -> None:
    page.goto(f"{base}/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/dang-nhap" not in url)


# Every value the progress bar shows, in order (recorded by the page itself, so none is missed
# between two looks from the test).
RECORD_PROGRESS = """bar => {
    window.shown = [bar.value];
    new MutationObserver(() => {
        if (window.shown[window.shown.length - 1] !== bar.value) { window.shown.push(bar.value); }
    }).observe(bar, { attributes: true, childList: true });
}"""


def test_the_progress_bar_reaches_100_and_the_file_downloads(worker_server, page, shoot, tmp_path):
    attendees = 12_000
    _seed(worker_server.app, attendees)
    base = worker_server.url
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page, base, ORGANISER)

    page.goto(f"{base}/bao-cao?su-kien={SLUG}")
    page.get_by_role("link", name="Đăng ký và check-in (.xlsx)").click()
    expect(
        page.get_by_role("heading", name="Đăng ký và check-in – Ngày hội KNĐMST đông người")
    ).to_be_visible()
    expect(page.get_by_text("khoảng 16.000 dòng")).to_be_visible()  # 12,000 registrations + 4,000 check-ins
    assert_fits_width(page)
    shoot("offer")

    page.get_by_role("button", name="Chuẩn bị tệp").click()
    page.wait_for_url(re.compile(r"/cong-viec/[\w-]+$"))
    job_url = page.url
    # Chromium names the bar "Tiến độ" from its <label>; Playwright's role engine does not apply a
    # <label for> to <progress>, so the bar is found by its label and its role checked apart.
    bar = page.get_by_label("Tiến độ")
    expect(bar).to_be_visible()
    expect(bar).to_have_role("progressbar")
    bar.evaluate(RECORD_PROGRESS)
    status = page.get_by_role("status")
    assert_fits_width(page)
    assert_accessible_form(page)

    # Catch it at work if we can (the worker may also be done before the first poll).
    page.wait_for_function("() => window.shown.some(v => v > 0)", timeout=60_000)
    if page.evaluate("window.shown[window.shown.length - 1]") < 100:
        shoot("running")

    expect(bar).to_have_attribute("value", "100", timeout=60_000)
    expect(status).to_have_text("Đã xong")  # the live region holds the status word only
    expect(page.get_by_text(re.compile(r"Đã xong\s+100%"))).to_be_visible()
    shown = page.evaluate("window.shown")
    print(f"\nprogress bar on {page.viewport_name}: {shown}")
    assert shown[-1] == 100
    assert shown == sorted(shown), f"the bar went backwards: {shown}"
    assert errors == [], errors
    assert_fits_width(page)
    shoot("done")

    # The link the page revealed, named with the file, and how long it is kept.
    link = page.get_by_role("link", name=f"Tải tệp tham-du-{SLUG}.xlsx")
    expect(page.get_by_text("chỉ bạn tải được")).to_be_visible()
    expect(page.get_by_text("Đang ghi tệp")).to_have_count(0)  # no stale stage once done
    expect(link).to_be_visible()
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"tham-du-{SLUG}.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["Đăng ký", "Theo giờ và cổng", "Check-in"]
    registrations = [row for row in workbook["Đăng ký"].iter_rows(values_only=True) if any(row)]
    names = {cell for row in registrations for cell in row if isinstance(cell, str)}
    assert f"{FAMILY[1]} {GIVEN[1]} 1" in names and f"{FAMILY[0]} {GIVEN[0]} {attendees}" in names
    assert attendees < len(registrations) <= attendees + 10  # every attendee, under a few heading rows
    workbook.close()

    # The job is listed under "Công việc của tôi", and its page, reloaded, still offers the file.
    page.goto(f"{base}/cong-viec")
    expect(page.get_by_text("Đăng ký và check-in – Ngày hội KNĐMST đông người")).to_be_visible()
    assert_fits_width(page)
    shoot("my-jobs")
    page.goto(job_url)
    expect(page.get_by_label("Tiến độ")).to_have_attribute("value", "100")
    expect(page.get_by_role("link", name=re.compile(f"^Tải tệp tham-du-{SLUG}.xlsx$"))).to_be_visible()


def test_another_organiser_is_refused_the_job_and_its_file(worker_server, page, shoot):
    _seed(worker_server.app, 150)  # above the test threshold of 100 rows: prepared by the worker
    base = worker_server.url
    _login(page, base, ORGANISER)
    page.goto(f"{base}{EXPORT}")
    page.get_by_role("button", name="Chuẩn bị tệp").click()
    page.wait_for_url(re.compile(r"/cong-viec/[\w-]+$"))
    job_url = page.url
    link = page.get_by_role("link", name=re.compile(r"^Tải tệp\b"))
    expect(link).to_be_visible(timeout=30_000)
    file_url = f"{base}{link.get_attribute('href')}"
    assert file_url.startswith(f"{job_url}/")

    page.context.clear_cookies()  # the same browser, now the other organiser of the same event
    _login(page, base, OTHER)
    for url in (job_url, file_url):
        response = page.goto(url)
        assert response is not None and response.status == 403, url
        expect(page.get_by_text("chỉ người yêu cầu mới tải được")).to_be_visible()
        expect(page.get_by_role("progressbar")).to_have_count(0)
    assert_fits_width(page)
    shoot("refused")
