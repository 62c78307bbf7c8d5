"""Issue 15, the applicant's journey: person warnings as soon as a person is saved, the organisers'
templates of the dossier's documents, the landing page after login, and what comes after submitting."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest

from app.contests import eligibility, entries, files, schedule
from app.contests.models import UploadSlot
from app.errors import PermissionDenied
from app.extensions import db
from app.localtime import local_to_utc
from tests.conftest import submit
from tests.contests.conftest import EXE, PDF, docx_bytes, person, upload


def years_before(day: date, years: int) -> date:
    return day.replace(year=day.year - years)


def closing(contest) -> date:
    return eligibility.closing_date(contest)


# --- warnings about a person, as soon as the person is saved ---------------------------------------


def test_person_problems_name_the_person_the_rule_and_why(make_contest, make_entry):
    contest = make_contest(min_age=16, max_age=35)
    entry = make_entry(contest)
    entries.add_member(
        entry.leader, entry, person("Nguyễn Văn A", years_before(closing(contest), 14), phone="0905111222")
    )
    member = entry.members[-1]
    problems = eligibility.person_problems(contest, member)
    day = f"{closing(contest):%d/%m/%Y}"
    assert problems == [
        f"Thành viên Nguyễn Văn A 14 tuổi: cuộc thi dành cho người từ 16 đến 35 tuổi (tính đến ngày hết hạn nộp {day}).",
        "Thành viên Nguyễn Văn A chưa đủ 18 tuổi (14 tuổi): cần họ tên, số điện thoại hoặc email và sự đồng ý "
        "của cha mẹ/người giám hộ.",
    ]
    # The draft keeps the member; the same sentences stop the submission.
    assert member.id is not None
    with pytest.raises(eligibility.NotEligible) as refused:
        entries.submit_entry(entry.leader, entry)
    assert set(problems) <= {p.message for p in refused.value.problems}


def test_an_old_leader_and_a_partly_consented_minor(make_contest, make_entry):
    contest = make_contest(min_age=None, max_age=35)
    entry = make_entry(contest, born=years_before(closing(contest), 41))
    leader = entry.members[0]
    assert eligibility.person_problems(contest, leader) == [
        f"Trưởng nhóm {leader.full_name} 41 tuổi: cuộc thi dành cho người không quá 35 tuổi "
        f"(tính đến ngày hết hạn nộp {closing(contest):%d/%m/%Y})."
    ]
    teen = person(
        "Phạm Minh Khôi",
        years_before(closing(contest), 16),
        phone="0905111333",
        guardian_name="Phạm Văn Hùng",
    )
    entries.add_member(entry.leader, entry, teen)
    assert eligibility.person_problems(contest, entry.members[-1]) == [
        "Thành viên Phạm Minh Khôi chưa đủ 18 tuổi (16 tuổi): cần số điện thoại hoặc email và sự đồng ý "
        "của cha mẹ/người giám hộ."
    ]
    assert set(eligibility.team_warnings(entry)) == {leader.id, entry.members[-1].id}


def test_a_member_without_birth_date_is_told_why_it_matters(make_contest, make_entry):
    contest = make_contest(min_age=18, max_age=None)
    entry = make_entry(contest)
    entries.add_member(entry.leader, entry, person("Trần Thị Bé", None, phone="0905111444"))
    assert eligibility.person_problems(contest, entry.members[-1]) == [
        "Thành viên Trần Thị Bé chưa có ngày sinh: cần ngày sinh để kiểm tra điều kiện độ tuổi của cuộc thi."
    ]
    assert eligibility.person_problems(contest, entry.members[0]) == []


@pytest.fixture
def applicant(make_user, login):
    user = make_user("thisinh@example.vn", name="Lê Thị Hồng Nhung")
    login("thisinh@example.vn")
    return user


def member_form(name, born, **extra):
    return {"full_name": name, "phone": "0905 222 333", "birth_date": born, "sex": "nam", **extra}


def test_saving_a_too_young_member_warns_at_once_and_keeps_the_member(
    client, applicant, make_contest, make_entry
):
    contest = make_contest(min_age=16, max_age=35)
    entry = make_entry(contest, leader=applicant)
    born = years_before(closing(contest), 14).strftime("%d/%m/%Y")
    url = f"/bai-du-thi/{entry.id}/thanh-vien/moi"
    page = submit(client, url, member_form("Nguyễn Văn A", born), follow=True).get_data(as_text=True)
    assert "Đã lưu thông tin thành viên." in page
    assert "Thành viên Nguyễn Văn A 14 tuổi: cuộc thi dành cho người từ 16 đến 35 tuổi" in page
    assert "chưa đủ 18 tuổi (14 tuổi)" in page
    db.session.refresh(entry)
    assert [m.full_name for m in entry.members][-1] == "Nguyễn Văn A"
    # The dossier page keeps saying it next to the name until it is fixed.
    page = client.get(f"/bai-du-thi/{entry.id}/sua").get_data(as_text=True)
    assert page.count("Thành viên Nguyễn Văn A 14 tuổi") == 1
    member_id = entry.members[-1].id
    fixed = years_before(closing(contest), 20).strftime("%d/%m/%Y")
    page = submit(
        client,
        f"/bai-du-thi/{entry.id}/thanh-vien/{member_id}",
        member_form("Nguyễn Văn A", fixed),
        follow=True,
    )
    assert "Nguyễn Văn A 14 tuổi" not in page.get_data(as_text=True)
    assert "Nguyễn Văn A 20 tuổi" not in page.get_data(as_text=True)


def test_starting_an_entry_warns_about_the_leader(client, applicant, make_contest):
    contest = make_contest(min_age=18, max_age=35)
    born = years_before(closing(contest), 41).strftime("%d/%m/%Y")
    response = submit(
        client,
        f"/cuoc-thi/{contest.slug}/dang-ky",
        {
            "title": "Nước mắm Sa Huỳnh",
            "track_id": str(contest.tracks[0].id),
            "birth_date": born,
            "sex": "nu",
            "consent_process_entry": "y",
        },
        follow=True,
    )
    html = response.get_data(as_text=True)
    assert "Đã tạo bản nháp" in html
    assert "Trưởng nhóm Lê Thị Hồng Nhung 41 tuổi: cuộc thi dành cho người từ 18 đến 35 tuổi" in html


# --- the organisers' templates of the dossier's documents ------------------------------------------


def test_templates_are_checked_by_content_and_stored_under_generated_names(app, organiser, make_contest):
    contest = make_contest()
    errors = files.update_templates(
        organiser, contest, {"thuyet-minh": upload(PDF, "../../Mẫu <thuyết minh>.pdf")}, set()
    )
    assert errors == {}
    slot = contest.slots[0]
    path = files.template_path(slot)
    assert path is not None and path.read_bytes() == PDF
    assert path.parent.name == "templates" and path.name == slot.template_stored_name
    assert slot.template_name == "Mẫu thuyết minh.pdf" and slot.template_kind == "pdf"
    assert slot.template_size == len(PDF)

    # Replaced: the old file leaves the disk. A disguised program is refused and changes nothing.
    files.update_templates(organiser, contest, {"thuyet-minh": upload(docx_bytes(), "mau.docx")}, set())
    assert not path.exists() and slot.template_kind == "docx"
    kept = files.template_path(slot)
    errors = files.update_templates(organiser, contest, {"thuyet-minh": upload(EXE, "mau.pdf")}, set())
    assert "Word (.docx) hoặc PDF" in errors["template_thuyet-minh"]
    assert files.template_path(slot) == kept and kept is not None and kept.exists()
    big = upload(b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024), "to.pdf")
    errors = files.update_templates(organiser, contest, {"thuyet-minh": big}, set())
    assert "nặng 11,0 MB, vượt quá giới hạn 10,0 MB" in errors["template_thuyet-minh"]
    errors = files.update_templates(organiser, contest, {"thuyet-minh": upload(b"", "rong.pdf")}, set())
    assert "rỗng" in errors["template_thuyet-minh"]

    # Removed.
    assert files.update_templates(organiser, contest, {}, {"thuyet-minh"}) == {}
    assert slot.template_stored_name is None and slot.template_name == "" and not kept.exists()


def test_only_the_contests_organisers_change_templates(make_user, make_contest):
    contest = make_contest()
    applicant = make_user("an@example.vn")
    with pytest.raises(PermissionDenied):
        files.update_templates(applicant, contest, {"thuyet-minh": upload(PDF)}, set())
    assert contest.slots[0].template_stored_name is None


@pytest.fixture
def templated(organiser, make_contest):
    contest = make_contest()
    files.update_templates(
        organiser, contest, {"thuyet-minh": upload(PDF, "Mẫu thuyết minh ý tưởng.pdf")}, set()
    )
    return contest


def test_anyone_who_sees_the_contest_downloads_the_template(client, templated):
    url = f"/cuoc-thi/{templated.slug}/mau/thuyet-minh"
    page = client.get(f"/cuoc-thi/{templated.slug}").get_data(as_text=True)
    assert url in page and "Tải mẫu" in page and "Mẫu thuyết minh ý tưởng.pdf" in page
    response = client.get(url)
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "M%E1%BA%ABu%20thuy%E1%BA%BFt%20minh" in response.headers["Content-Disposition"]
    assert client.get(f"/cuoc-thi/{templated.slug}/mau/khong-co").status_code == 404
    assert client.get("/cuoc-thi/khong-co/mau/thuyet-minh").status_code == 404
    assert client.get(f"/cuoc-thi/{templated.slug}/mau/..%2F..%2Fetc").status_code == 404


def test_an_unpublished_contests_template_is_for_its_organisers_only(
    client, app, templated, organiser, login, make_user
):
    templated.is_published = False
    db.session.commit()
    url = f"/cuoc-thi/{templated.slug}/mau/thuyet-minh"
    assert client.get(url).status_code == 404
    make_user("an@example.vn")
    login("an@example.vn")
    assert client.get(url).status_code == 404
    client.post("/tai-khoan/dang-xuat", data={"csrf_token": "x"})
    client.delete_cookie("session")
    login("bantochuc@example.vn")
    assert client.get(url).status_code == 200


def test_the_template_is_linked_next_to_the_upload_field(client, applicant, templated, make_entry):
    entry = make_entry(templated, leader=applicant)
    page = client.get(f"/bai-du-thi/{entry.id}/sua").get_data(as_text=True)
    link = page.index(f"/cuoc-thi/{templated.slug}/mau/thuyet-minh")
    assert page.index('name="file_thuyet-minh"') > link > page.index('for="file_thuyet-minh"')
    assert "Tải mẫu “Mẫu thuyết minh ý tưởng.pdf” (PDF," in page


def test_organisers_upload_replace_and_remove_templates_on_the_contest_form(
    client, organiser, login, make_contest
):
    contest = make_contest()
    login("bantochuc@example.vn")
    form_url = f"/quan-ly/cuoc-thi/{contest.slug}/sua"
    url = f"/quan-ly/cuoc-thi/{contest.slug}/mau-tai-lieu"
    page = client.get(form_url).get_data(as_text=True)
    assert "Tệp mẫu cho mục “Bản thuyết minh” (Word .docx hoặc PDF)" in page
    response = submit(
        client, url, {"template_thuyet-minh": (io.BytesIO(docx_bytes()), "Mẫu.docx")}, page=form_url
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("#mau-tai-lieu")
    db.session.refresh(contest)
    assert contest.slots[0].template_name == "Mẫu.docx"
    # A wrong file: 422 on the same page, the field marked, the stored template untouched.
    response = submit(client, url, {"template_thuyet-minh": (io.BytesIO(EXE), "virus.pdf")}, page=form_url)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "phải là Word (.docx) hoặc PDF" in html and 'aria-invalid="true"' in html
    assert 'value="Cuộc thi ý tưởng thử nghiệm' in html  # the settings form is still filled in
    db.session.refresh(contest)
    assert contest.slots[0].template_name == "Mẫu.docx"
    response = submit(client, url, {"remove_template_thuyet-minh": "y"}, page=form_url)
    assert response.status_code == 302
    db.session.refresh(contest)
    assert contest.slots[0].template_stored_name is None
    # Without the CSRF token: refused.
    assert client.post(url, data={}).status_code == 400


def test_another_contests_organiser_cannot_touch_templates(client, make_user, login, make_contest, organiser):
    contest = make_contest()
    other = make_contest()
    from app.contests import permissions

    make_user("tinhdoan@example.vn", roles=("organiser",))
    permissions.add_staff(organiser, other, "tinhdoan@example.vn", "organiser")
    login("tinhdoan@example.vn")
    own = submit(
        client, f"/quan-ly/cuoc-thi/{other.slug}/mau-tai-lieu", {}, page=f"/quan-ly/cuoc-thi/{other.slug}/sua"
    )
    assert own.status_code == 302
    page = client.get(f"/quan-ly/cuoc-thi/{other.slug}/sua").get_data(as_text=True)
    from tests.conftest import csrf_from

    response = client.post(
        f"/quan-ly/cuoc-thi/{contest.slug}/mau-tai-lieu",
        data={"csrf_token": csrf_from(page), "template_thuyet-minh": (io.BytesIO(PDF), "x.pdf")},
    )
    assert response.status_code == 403
    assert db.session.get(UploadSlot, contest.slots[0].id).template_stored_name is None


# --- after login ---------------------------------------------------------------------------------------


def login_location(client, email, next_=None):
    from tests.conftest import csrf_from

    html = client.get("/tai-khoan/dang-nhap").get_data(as_text=True)
    response = client.post(
        "/tai-khoan/dang-nhap",
        query_string={"next": next_} if next_ else None,
        data={"email": email, "password": "GaoLua2024", "csrf_token": csrf_from(html)},
    )
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (("organiser",), "/quan-ly/cuoc-thi"),
        (("admin",), "/quan-ly/cuoc-thi"),
        (("applicant", "judge"), "/cham-diem/"),
        (("checkin_staff",), "/quet-ve"),
        (("organiser", "checkin_staff"), "/quet-ve"),
        (("applicant",), "/bai-du-thi"),  # no entry, no open contest: my entries says so
    ],
)
def test_each_role_lands_on_the_page_it_needs(client, make_user, roles, expected):
    make_user("nguoi@example.vn", roles=roles)
    assert login_location(client, "nguoi@example.vn") == expected


def test_an_applicant_lands_on_the_open_contest_then_on_their_entries(
    client, make_user, make_contest, make_entry
):
    user = make_user("an@example.vn")
    contest = make_contest()
    assert login_location(client, "an@example.vn") == f"/cuoc-thi/{contest.slug}"
    client.delete_cookie("session")
    make_contest()
    assert login_location(client, "an@example.vn") == "/cuoc-thi"  # several open: the list
    client.delete_cookie("session")
    make_entry(contest, leader=user)
    assert login_location(client, "an@example.vn") == "/bai-du-thi"


@pytest.mark.parametrize("target", ["/\t/evil.com", "//evil.com", "/\\evil.com", "https://evil.com"])
def test_a_safe_next_wins_and_an_unsafe_one_is_ignored(client, make_user, target):
    make_user("bantochuc@example.vn", roles=("organiser",))
    assert login_location(client, "bantochuc@example.vn", "/cuoc-thi?trang=2") == "/cuoc-thi?trang=2"
    client.delete_cookie("session")
    assert login_location(client, "bantochuc@example.vn", target) == "/quan-ly/cuoc-thi"


# --- what comes after submitting ---------------------------------------------------------------------


@pytest.fixture
def no_milestones(monkeypatch):
    monkeypatch.setattr(schedule, "_SOURCES", [])


def test_next_steps_say_plainly_when_no_date_is_set(no_milestones, make_contest, make_entry):
    contest = make_contest()
    entry = make_entry(contest, submit=True)
    steps = {s.title: s.text for s in schedule.next_steps(entry, "an@example.vn")}
    assert list(steps) == [
        "Mã hồ sơ",
        "Sửa hồ sơ đến hạn nộp",
        "Thẩm định hồ sơ",
        "Các vòng chấm",
        "Kết quả",
        "Nếu muốn rút bài",
    ]
    assert entry.code in steps["Mã hồ sơ"]
    assert "gửi qua email tới an@example.vn" in steps["Thẩm định hồ sơ"]
    assert "chưa công bố lịch các vòng chấm" in steps["Các vòng chấm"]
    assert steps["Kết quả"].startswith("Ban tổ chức chưa công bố ngày có kết quả.")
    assert "Rút bài dự thi" in steps["Nếu muốn rút bài"]


def test_next_steps_read_the_rounds_dates(no_milestones, make_contest, make_entry):
    contest = make_contest()
    entry = make_entry(contest, submit=True)
    far = datetime.now().year + 1

    @schedule.register_milestones
    def rounds(of):
        assert of is contest
        return [
            schedule.Milestone("Chung kết", None, local_to_utc(datetime(far, 12, 20, 17)), position=2),
            schedule.Milestone(
                "Sơ khảo",
                local_to_utc(datetime(far, 11, 1, 8)),
                local_to_utc(datetime(far, 11, 15, 17)),
                position=1,
            ),
        ]

    schedule.register_milestones(rounds)  # twice: still once
    steps = {s.title: s.text for s in schedule.next_steps(entry)}
    assert steps["Các vòng chấm"] == (
        f"Hồ sơ hợp lệ được Hội đồng giám khảo chấm qua các vòng: Sơ khảo (từ 01/11/{far} đến 15/11/{far}); "
        f"Chung kết (đến 20/12/{far})."
    )
    assert steps["Kết quả"].startswith(
        f"Kết quả dự kiến công bố sau ngày 20/12/{far}, khi vòng cuối (Chung kết) kết thúc."
    )


def test_the_confirmation_page_and_mail_say_what_comes_next(
    client, applicant, make_contest, make_entry, outbox
):
    contest = make_contest()
    entry = make_entry(contest, leader=applicant)
    response = submit(client, f"/bai-du-thi/{entry.id}/nop", {}, follow=True)
    html = response.get_data(as_text=True)
    assert "Đã nộp bài thành công" in html and "Tiếp theo" in html
    assert "Thẩm định hồ sơ" in html and "chưa công bố ngày có kết quả" in html
    body = outbox[-1].get_content()
    assert "Tiếp theo:\n1. Mã hồ sơ: Mã hồ sơ của nhóm là " + entry.code in body
    assert "\n3. Thẩm định hồ sơ: " in body and "\n6. Nếu muốn rút bài: " in body
    assert "tới thisinh@example.vn" in body
    # A draft shows no such steps.
    other = make_entry(make_contest(), leader=applicant)
    assert "Tiếp theo" not in client.get(f"/bai-du-thi/{other.id}").get_data(as_text=True)


def test_the_demo_template_is_a_real_pdf_with_the_usual_headings(app):
    from app.contests.demo import TEMPLATE_SECTIONS, idea_template_pdf

    data = idea_template_pdf()
    assert files.sniff_bytes(data) == "pdf" and len(data) < 200_000
    assert [h for h, _ in TEMPLATE_SECTIONS][:3] == ["Tên ý tưởng", "Thông tin nhóm", "Vấn đề cần giải quyết"]


def test_seed_demo_offers_the_template_on_the_idea_description(client, make_contest):
    from app.contests.demo import _attach_template, idea_template_pdf

    contest = make_contest()
    _attach_template(contest, idea_template_pdf())
    db.session.commit()
    slot = contest.slots[0]
    assert slot.template_name == "Mau-thuyet-minh-y-tuong.pdf"
    response = client.get(f"/cuoc-thi/{contest.slug}/mau/thuyet-minh")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
