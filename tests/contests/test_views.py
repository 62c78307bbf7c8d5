"""Contest pages through the test client: the applicant's journey and the ugly inputs (oversized and
disguised uploads, path-like filenames, markup in titles, late submissions, other people's ids,
co-organisers reaching for another contest)."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest

from app.contests import permissions, services
from app.contests.models import Entry, EntryFile, EntryStatus
from app.extensions import db
from app.localtime import utcnow
from tests.conftest import csrf_from, submit
from tests.contests.conftest import COMMUNE, EXE, PDF


@pytest.fixture
def applicant(make_user, login):
    user = make_user("thisinh@example.vn", name="Huỳnh Văn Nam")
    user.phone = "+84905123456"
    db.session.commit()
    login("thisinh@example.vn")
    return user


def start(client, contest, title="Máy sấy nông sản"):
    return submit(
        client,
        f"/cuoc-thi/{contest.slug}/dang-ky",
        {
            "title": title,
            "track_id": str(contest.tracks[0].id),
            "birth_date": "2001-04-30",
            "sex": "nam",
            "organisation": "Hợp tác xã Nghĩa Hành",
            "commune_code": COMMUNE,
            "ethnicity": "",
            "consent_process_entry": "y",
        },
    )


def entry_form(contest, **overrides):
    data = {
        "title": "Máy sấy nông sản",
        "track_id": str(contest.tracks[0].id),
        "field": "Nông nghiệp",
        "organisation": "Hợp tác xã Nghĩa Hành",
        "summary": "Sấy khô nông sản bằng năng lượng mặt trời.",
        "answer_problem": "Nông sản hư hỏng sau thu hoạch.",
        "answer_solution": "",
        "video_url": "",
        "declared_original": "y",
        "next": "save",
    }
    data.update(overrides)
    return data


def post_entry(client, entry_id, data, files=None):
    page = client.get(f"/bai-du-thi/{entry_id}/sua").get_data(as_text=True)
    payload = {**data, "csrf_token": csrf_from(page)}
    for key, (content, name) in (files or {}).items():
        payload[key] = (io.BytesIO(content), name)
    return client.post(f"/bai-du-thi/{entry_id}/sua", data=payload, content_type="multipart/form-data")


def test_applicant_journey_by_http(client, applicant, make_contest, outbox):
    contest = make_contest(team_min=2)
    response = client.get(f"/cuoc-thi/{contest.slug}")
    assert response.status_code == 200 and "Đăng ký dự thi" in response.get_data(as_text=True)
    response = start(client, contest)
    assert response.status_code == 302
    entry = db.session.query(Entry).one()
    assert entry.leader_id == applicant.id and entry.leader_member.phone == "+84905123456"

    response = post_entry(
        client, entry.id, entry_form(contest), {"file_thuyet-minh": (PDF, "thuyet-minh.pdf")}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    response = submit(
        client,
        f"/bai-du-thi/{entry.id}/thanh-vien/moi",
        {
            "full_name": "Trần Thị Bình",
            "phone": "0912 345 678",
            "birth_date": "12/08/1999",
            "sex": "nu",
            "commune_code": COMMUNE,
        },
    )
    assert response.status_code == 302
    html = client.get(f"/bai-du-thi/{entry.id}/nop").get_data(as_text=True)
    assert "đủ điều kiện" in html
    response = submit(client, f"/bai-du-thi/{entry.id}/nop", {})
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert entry.code == "TN1-0001" and entry.code in html and "Đã nộp" in html
    assert outbox[-1]["To"] == applicant.email and entry.code in outbox[-1]["Subject"]
    assert client.get("/bai-du-thi").get_data(as_text=True).count(entry.code) == 1


def test_missing_consent_keeps_what_was_typed(client, applicant, make_contest):
    contest = make_contest()
    response = submit(
        client,
        f"/cuoc-thi/{contest.slug}/dang-ky",
        {"title": "Ý tưởng trồng sâm Ngọc Linh", "birth_date": "2001-04-30"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Bạn cần đánh dấu ô đồng ý này" in html and 'value="Ý tưởng trồng sâm Ngọc Linh"' in html
    assert db.session.query(Entry).count() == 0


def test_oversized_and_disguised_uploads_keep_the_rest(client, applicant, make_contest, app):
    contest = make_contest()
    start(client, contest)
    entry = db.session.query(Entry).one()
    typed = entry_form(contest, summary="Tóm tắt gõ trên điện thoại, không được mất.")
    big = PDF + b"0" * (1024 * 1024 + 10)
    response = post_entry(client, entry.id, typed, {"file_thuyet-minh": (big, "ban-lon.pdf")})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "vượt quá giới hạn 1,0 MB" in html and "Tóm tắt gõ trên điện thoại, không được mất." in html
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).summary == "Tóm tắt gõ trên điện thoại, không được mất."

    response = post_entry(client, entry.id, typed, {"file_thuyet-minh": (EXE, "thuyet-minh.pdf")})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "không đúng định dạng" in html
    assert db.session.query(EntryFile).count() == 0
    uploads = Path(app.config["UPLOAD_DIR"])
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


def test_filename_with_path_parts_is_never_used_on_disk(client, applicant, make_contest, app):
    contest = make_contest()
    start(client, contest)
    entry = db.session.query(Entry).one()
    response = post_entry(
        client,
        entry.id,
        entry_form(contest),
        {"file_thuyet-minh": (PDF, "../../../etc/passwd/../Kế hoạch.pdf")},
    )
    assert response.status_code == 302
    row = db.session.query(EntryFile).one()
    assert row.original_name == "Kế hoạch.pdf"
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", row.stored_name)
    response = client.get(f"/bai-du-thi/{entry.id}/tep/{row.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "/" not in response.headers["Content-Disposition"].split("filename", 1)[1]


def test_html_title_is_rendered_inert(client, applicant, make_contest, make_user, login):
    contest = make_contest()
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    start(client, contest, title=evil)
    entry = db.session.query(Entry).one()
    assert entry.title == evil  # stored as typed…
    html = client.get(f"/bai-du-thi/{entry.id}").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html  # …shown as text
    assert "<img src=x" not in html
    make_user("staff@example.vn", roles=("organiser",))
    client.post(
        "/tai-khoan/dang-xuat", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))}
    )
    login("staff@example.vn")
    html = client.get("/quan-ly/ho-so?trang_thai=draft").get_data(as_text=True)
    assert "&lt;script&gt;alert" in html and "<script>alert" not in html


def test_submit_after_deadline_keeps_the_draft(client, applicant, make_contest):
    contest = make_contest()
    start(client, contest)
    entry = db.session.query(Entry).one()
    post_entry(client, entry.id, entry_form(contest), {"file_thuyet-minh": (PDF, "a.pdf")})
    contest.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = submit(client, f"/bai-du-thi/{entry.id}/nop", {})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Đã hết hạn nộp bài" in html and "Bản nháp của bạn vẫn được giữ nguyên" in html
    db.session.expire_all()
    kept = db.session.get(Entry, entry.id)
    assert kept.status == EntryStatus.DRAFT and kept.summary and kept.files
    response = post_entry(client, entry.id, entry_form(contest, summary="Sửa sau hạn"))
    assert response.status_code == 409 and "hết hạn" in response.get_data(as_text=True)


def test_another_applicants_entry_is_404(client, applicant, make_contest, make_entry):
    contest = make_contest()
    theirs = make_entry(contest)
    file_id = theirs.files[0].id
    for url in (
        f"/bai-du-thi/{theirs.id}",
        f"/bai-du-thi/{theirs.id}/sua",
        f"/bai-du-thi/{theirs.id}/nop",
        f"/bai-du-thi/{theirs.id}/tep/{file_id}",
        f"/bai-du-thi/{theirs.id}/thanh-vien/{theirs.members[0].id}",
    ):
        assert client.get(url).status_code == 404, url
    token = csrf_from(client.get("/bai-du-thi").get_data(as_text=True))
    assert client.post(f"/bai-du-thi/{theirs.id}/rut", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/bai-du-thi/{theirs.id}/nop", data={"csrf_token": token}).status_code == 404
    assert client.get("/quan-ly/ho-so").status_code == 403  # applicants have no organiser pages
    db.session.expire_all()
    assert db.session.get(Entry, theirs.id).status == EntryStatus.DRAFT


def test_co_organiser_opening_another_contest_is_403(
    client, make_contest, make_entry, make_user, login, organiser
):
    mine, other = make_contest(), make_contest()
    entry = make_entry(other, submit=True)
    doan = make_user("tinhdoan@example.vn", roles=("organiser",), name="Lê Văn Thành")
    permissions.add_staff(organiser, mine, doan.email, "organiser", "Tỉnh đoàn")
    login("tinhdoan@example.vn")
    assert client.get(f"/quan-ly/cuoc-thi/{mine.slug}").status_code == 200
    for url in (
        f"/quan-ly/cuoc-thi/{other.slug}",
        f"/quan-ly/cuoc-thi/{other.slug}/sua",
        f"/quan-ly/cuoc-thi/{other.slug}/ho-so-giay",
        f"/quan-ly/ho-so?cuoc_thi={other.id}",
        f"/quan-ly/ho-so/{entry.id}",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Không có quyền truy cập" in response.get_data(as_text=True)
    assert client.get("/quan-ly/cuoc-thi/khong-co").status_code == 404
    html = client.get("/quan-ly/ho-so").get_data(as_text=True)
    assert entry.title not in html
    assert client.get(f"/bai-du-thi/{entry.id}/tep/{entry.files[0].id}").status_code == 404


def test_organiser_screens_and_leader_is_told(client, make_contest, make_entry, login, organiser, outbox):
    contest = make_contest()
    entry = make_entry(contest, submit=True)
    login(organiser.email)
    page = f"/quan-ly/ho-so/{entry.id}"
    html = client.get(page).get_data(as_text=True)
    assert entry.code in html and "Thẩm định hồ sơ" in html
    response = submit(client, page, {"decision": "ineligible", "reason": ""})
    assert response.status_code == 422 and "Vui lòng ghi rõ lý do" in response.get_data(as_text=True)
    response = submit(client, page, {"decision": "ineligible", "reason": "Quá tuổi theo thể lệ"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).status == EntryStatus.INELIGIBLE
    assert "Quá tuổi theo thể lệ" in outbox[-1].get_content() and outbox[-1]["To"] == entry.leader.email
    html = client.get(f"/quan-ly/ho-so?q=may say&cuoc_thi={contest.id}").get_data(as_text=True)
    assert entry.code in html


def test_organiser_keys_in_a_paper_entry(client, make_contest, login, organiser):
    contest = make_contest()
    login(organiser.email)
    response = submit(
        client,
        f"/quan-ly/cuoc-thi/{contest.slug}/ho-so-giay",
        {
            "title": "Bánh tráng Hội LHPN",
            "track_id": str(contest.tracks[0].id),
            "full_name": "Đỗ Thị Mai",
            "phone": "0935 222 333",
            "birth_date": "1990-01-02",
            "sex": "nu",
            "commune_code": COMMUNE,
            "consent_process_entry": "y",
            "note": "Nhận ngày 05/03",
        },
    )
    assert response.status_code == 302
    entry = db.session.query(Entry).one()
    assert entry.is_paper and entry.keyed_by_id == organiser.id and entry.leader_id is None
    assert "Nhập hồ sơ giấy" in entry.history[0].note
    from app.privacy.models import Consent

    consent = db.session.query(Consent).filter_by(purpose="process_entry").one()
    assert consent.source == "paper" and consent.keyed_by_id == organiser.id
    assert client.get(f"/bai-du-thi/{entry.id}/sua").status_code == 200


def contest_form_data(**overrides) -> dict:
    data = {
        "name": "Cuộc thi ý tưởng KNĐMST 2027",
        "slug": "y-tuong-2027",
        "year": "2027",
        "code_prefix": "kn27",
        "opens_date": "2027-03-01",
        "opens_time": "08:00",
        "closes_date": "31/05/2027",
        "closes_time": "23:59",
        "min_age": "18",
        "max_age": "35",
        "team_min": "1",
        "team_max": "5",
        "max_entries_per_person": "3",
        "one_team_per_leader": "y",
        "staff_may_not_enter": "y",
        "is_published": "y",
        "fields": "Nông nghiệp\nKhác",
        "tracks": "Bảng Ý tưởng\nBảng Dự án | 5",
        "slots": "thuyet-minh | Bản thuyết minh | pdf,docx | 10 | bắt buộc",
        "video_link": "optional",
    }
    return {**data, **overrides}


def test_contest_configuration_form(client, login, organiser):
    login(organiser.email)
    page = client.get("/quan-ly/cuoc-thi/moi").get_data(as_text=True)
    data = contest_form_data(csrf_token=csrf_from(page))
    bad = {**data, "slots": "thuyet-minh | Bản thuyết minh | exe | 10"}
    response = client.post("/quan-ly/cuoc-thi/moi", data=bad)
    assert response.status_code == 422 and "loại tệp chỉ gồm" in response.get_data(as_text=True)
    response = client.post("/quan-ly/cuoc-thi/moi", data=data)
    assert response.status_code == 302
    contest = permissions.get_contest("y-tuong-2027")
    assert contest.code_prefix == "KN27" and [t.max_startup_years for t in contest.tracks] == [None, 5]
    from app.localtime import to_local

    assert to_local(contest.closes_at).strftime("%d/%m/%Y %H:%M:%S") == "31/05/2027 23:59:59"


def test_home_lists_open_and_upcoming_contests(client, make_contest):
    from datetime import datetime

    contest = make_contest()
    later = make_contest(
        name="Cuộc thi ý tưởng năm sau",
        opens_local=datetime(2099, 3, 1, 8, 0),
        closes_local=datetime(2099, 5, 31, 23, 59),
    )
    hidden = make_contest(name="Cuộc thi chưa công khai", is_published=False)
    html = client.get("/").get_data(as_text=True)
    assert contest.name in html and "Cuộc thi đang nhận hồ sơ" in html
    assert later.name in html and "08:00 01/03/2099" in html and "23:59 31/05/2099" in html
    assert hidden.name not in html
    assert client.get(f"/cuoc-thi/{hidden.slug}").status_code == 404


def test_leader_data_member_form_validation(client, applicant, make_contest):
    contest = make_contest()
    start(client, contest)
    entry = db.session.query(Entry).one()
    response = submit(
        client,
        f"/bai-du-thi/{entry.id}/thanh-vien/moi",
        {"full_name": "Trần Thị Bình", "phone": "12345", "birth_date": "31/02/2001"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Ngày không hợp lệ" in html and 'value="Trần Thị Bình"' in html


def test_help_pages_for_applicants_and_organisers(client):
    index = client.get("/tro-giup").get_data(as_text=True)
    for slug in ("du-thi", "ban-to-chuc-cuoc-thi", "du-lieu-ca-nhan"):
        assert f"/tro-giup/{slug}" in index
        response = client.get(f"/tro-giup/{slug}")
        assert response.status_code == 200 and "<h1>" in response.get_data(as_text=True)


def test_a_body_too_large_to_read_leads_back_to_the_intact_draft(client, applicant, make_contest, app):
    contest = make_contest()
    start(client, contest)
    entry = db.session.query(Entry).one()
    post_entry(client, entry.id, entry_form(contest, summary="Bản đã lưu"))
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = post_entry(
        client, entry.id, entry_form(contest), {"file_thuyet-minh": (PDF + b"0" * 8000, "a.pdf")}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert (
        "Tệp quá lớn" in html and f"/bai-du-thi/{entry.id}/sua" in html and "Bản nháp đã lưu trước đó" in html
    )
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).summary == "Bản đã lưu"


def test_a_text_box_too_long_to_keep_is_named_as_such_not_as_large_files(client, applicant, make_contest):
    """Found by tests/test_fuzz.py: a 1 MB summary (above Flask's 500 KB per field, far below the
    25 MB body limit) was answered "your files exceed 25 MB", which no file did."""
    contest = make_contest()
    start(client, contest)
    entry = db.session.query(Entry).one()
    post_entry(client, entry.id, entry_form(contest, summary="Bản đã lưu"))
    response = post_entry(
        client, entry.id, entry_form(contest, summary="ễ" * 350_000), {"file_thuyet-minh": (PDF, "a.pdf")}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Một ô chữ trong biểu mẫu quá dài (hơn 500 KB)" in html and "Tệp quá lớn" not in html
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).summary == "Bản đã lưu"


def test_organiser_adds_and_removes_contest_staff(client, make_contest, make_user, login, organiser):
    contest = make_contest()
    make_user("phunu@example.vn", name="Đỗ Thị Mai")
    login(organiser.email)
    page = f"/quan-ly/cuoc-thi/{contest.slug}"
    url = f"{page}/nhan-su"
    response = submit(client, url, {"email": "khongco@example.vn", "role": "organiser"}, page=page)
    assert "Chưa có tài khoản với email này" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    submit(
        client,
        url,
        {"email": "PhuNu@example.vn", "role": "organiser", "organisation": "Hội LHPN tỉnh"},
        page=page,
    )
    response = submit(client, url, {"email": "phunu@example.vn", "role": "organiser"}, page=page)
    assert "đã là ban tổ chức" in client.get(response.headers["Location"]).get_data(as_text=True)
    html = client.get(page).get_data(as_text=True)
    assert "Đỗ Thị Mai" in html and "Hội LHPN tỉnh" in html
    staff = permissions.contest_staff(contest)
    assert [(s.user.email, s.role) for s in staff] == [("phunu@example.vn", "organiser")]
    assert permissions.manageable_contests(staff[0].user) == [contest]
    response = submit(client, f"{url}/{staff[0].id}/xoa", {}, page=page)
    assert response.status_code == 302 and permissions.contest_staff(contest) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("year", "99999999999999999999", "Năm phải từ 2000 đến 2100."),
        ("year", "1e61", "Vui lòng nhập một số nguyên."),
        ("edition", "2147483648", "Lần thứ phải từ 1 đến 100."),
        ("min_age", "-1", "Tuổi tối thiểu phải từ 0 đến 120."),
        ("max_age", "121", "Tuổi tối đa phải từ 0 đến 120."),
        ("team_min", "0", "Số thành viên tối thiểu phải từ 1 đến 20."),
        ("team_max", "1000000", "Số thành viên tối đa phải từ 1 đến 20."),
        ("max_entries_per_person", "99999999999", "Số bài tối đa mỗi người phải từ 1 đến 100."),
        ("max_entries_per_person", "nan", "Vui lòng nhập một số nguyên."),
        ("tracks", "Bảng Dự án | 2147483648", "sau dấu | là số năm tối đa"),
        ("tracks", "Bảng Dự án | ²", "sau dấu | là số năm tối đa"),
        ("slots", "thuyet-minh | Bản thuyết minh | pdf | 1e61", "số MB tối đa phải từ 0,1 đến 20"),
        ("slots", "thuyet-minh | Bản thuyết minh | pdf | nan", "số MB tối đa phải từ 0,1 đến 20"),
        ("slots", "thuyet-minh | Bản thuyết minh | pdf | 0,01", "số MB tối đa phải từ 0,1 đến 20"),
    ],
)
def test_contest_numbers_out_of_bounds_are_field_errors(client, login, organiser, field, value, message):
    """Before the bounds, 2147483648 overflowed PostgreSQL's integer (a 500) and 10**11 entries per
    person was accepted; '²' passed str.isdigit() and then failed int() (a 500)."""
    login(organiser.email)
    page = client.get("/quan-ly/cuoc-thi/moi").get_data(as_text=True)
    response = client.post(
        "/quan-ly/cuoc-thi/moi", data=contest_form_data(csrf_token=csrf_from(page), **{field: value})
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert services.all_contests() == []


def test_entry_list_numbers_from_the_address_bar_never_crash(client, login, organiser, make_contest):
    """'²' passed str.isdigit() and failed int(); a 23-digit page overflowed PostgreSQL's OFFSET."""
    make_contest()
    login(organiser.email)
    for query in ("trang=²", "trang=99999999999999999999999", "cuoc_thi=1" + "0" * 30, "bang=-1"):
        assert client.get(f"/quan-ly/ho-so?{query}").status_code == 200, query


@pytest.mark.parametrize("track_id", ["²", "١", "9" * 40, "-1"])
def test_a_track_id_that_only_looks_like_digits_keeps_the_draft(client, applicant, make_contest, track_id):
    """'²'.isdigit() is true but int('²') fails: that was a 500 when saving a dossier."""
    contest = make_contest()
    start(client, contest)
    entry = db.session.query(Entry).one()
    response = post_entry(client, entry.id, entry_form(contest, track_id=track_id, summary="Đã lưu"))
    assert response.status_code in (302, 422)
    db.session.expire_all()
    saved = db.session.get(Entry, entry.id)
    assert saved.summary == "Đã lưu" and saved.track_id == contest.tracks[0].id
