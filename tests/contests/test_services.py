"""Contest rules through the services, against the real database: every eligibility rule at its
boundary, codes, permissions of organisers and co-organisers, uploads and search."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.contests import eligibility, entries, files, permissions, services
from app.contests.models import ContestStaff, Entry, EntryStatus
from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.localtime import LOCAL_TZ, to_local
from tests.contests.conftest import EXE, PDF, docx_bytes, person, upload


def closing(contest) -> date:
    return to_local(contest.closes_at).date()


def years_before(day: date, years: int) -> date:
    return day.replace(year=day.year - years)


def problems_of(entry):
    return [p.message for p in eligibility.check_eligibility(entry)]


# --- the submission window ----------------------------------------------------------------------


def test_deadline_is_inclusive_to_the_last_second_local_time(make_contest, make_entry):
    contest = make_contest()
    last_day = closing(contest)
    assert to_local(contest.closes_at).strftime("%H:%M:%S") == "23:59:59"
    just_in = datetime.combine(last_day, datetime.min.time()).replace(
        hour=23, minute=59, second=59, microsecond=900_000, tzinfo=LOCAL_TZ
    )
    too_late = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tzinfo=LOCAL_TZ)
    on_time = make_entry(contest)
    late = make_entry(contest)

    entries.submit_entry(on_time.leader, on_time, now=just_in)
    assert on_time.status == EntryStatus.SUBMITTED

    with pytest.raises(eligibility.NotEligible) as info:
        entries.submit_entry(late.leader, late, now=too_late)
    assert "Đã hết hạn nộp bài" in info.value.message
    db.session.expire_all()
    kept = db.session.get(Entry, late.id)
    assert kept.status == EntryStatus.DRAFT and kept.title == late.title and kept.files  # draft kept


def test_closes_time_is_stored_in_utc(make_contest):
    contest = make_contest()
    assert contest.closes_at.utcoffset() == timedelta(0)
    assert contest.closes_at.hour == 16 and contest.closes_at.minute == 59  # 23:59:59 +07 → 16:59:59 UTC


# --- age on the closing date ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("years", "days", "ok"),
    [(18, 0, True), (18, -1, False), (36, -1, True), (36, 0, False)],
    ids=["18-today", "one-day-short-of-18", "35-and-364-days", "36-today"],
)
def test_age_limits_on_the_closing_date(make_contest, make_entry, years, days, ok):
    contest = make_contest()
    born = years_before(closing(contest), years) - timedelta(days=days)
    entry = make_entry(contest, born=born)
    messages = problems_of(entry)
    age_problems = [m for m in messages if "tuổi" in m]
    assert (age_problems == []) is ok, messages
    if not ok:
        with pytest.raises(eligibility.NotEligible):
            entries.submit_entry(entry.leader, entry)


def test_minor_needs_guardian_when_contest_admits_minors(make_contest, make_entry):
    contest = make_contest(min_age=15)
    entry = make_entry(contest)
    teen = person("Phạm Minh Khôi", years_before(closing(contest), 16), phone="0905111222")
    entries.add_member(entry.leader, entry, teen)
    assert any("chưa đủ 18 tuổi" in m for m in problems_of(entry))
    member = entry.members[-1]
    entries.update_member(
        entry.leader,
        entry,
        member.id,
        person(
            "Phạm Minh Khôi",
            member.birth_date,
            phone="0905111222",
            guardian_name="Phạm Văn Hùng",
            guardian_contact="0905333444",
            guardian_consent=True,
        ),
    )
    assert problems_of(entry) == []


# --- team size ------------------------------------------------------------------------------------------


def test_team_size_limits(make_contest, make_entry):
    contest = make_contest(team_min=2, team_max=3)
    entry = make_entry(contest)
    assert any("ít nhất 2 người" in m for m in problems_of(entry))
    entries.add_member(entry.leader, entry, person("Trần Văn Bình", phone="0905000001"))
    assert problems_of(entry) == []
    entries.add_member(entry.leader, entry, person("Võ Thị Cúc", phone="0905000002"))
    assert problems_of(entry) == []  # exactly the maximum
    with pytest.raises(Invalid, match="tối đa 3 người"):
        entries.add_member(entry.leader, entry, person("Đặng Văn Dũng", phone="0905000003"))
    # The rule itself, if the organisers tighten it after members were added:
    contest.team_max = 2
    db.session.commit()
    assert any("tối đa 2 người" in m for m in problems_of(entry))


# --- one team per leader, entries per person, staff may not enter -------------------------------------


def test_a_second_team_led_by_the_same_person(make_contest, make_entry, organiser):
    contest = make_contest()
    first = make_entry(contest, submit=True)
    leader = first.leader
    with pytest.raises(Conflict) as info:
        entries.start_entry(
            leader,
            contest,
            title="Ý tưởng thứ hai",
            track_id=None,
            leader=person(),
            consents={"process_entry": True},
        )
    assert info.value.code == "already_leading"
    # The same person led a paper dossier keyed in by staff (matched by email): refused at submit.
    paper = entries.key_in_paper_entry(
        organiser,
        contest,
        title="Hồ sơ giấy cùng trưởng nhóm",
        track_id=contest.tracks[0].id,
        leader=person(leader.full_name, email=leader.email),
        consents={"process_entry": True},
    )
    paper.field, paper.summary, paper.declared_original = "Khác", "Tóm tắt", True
    paper.answers = {"problem": "x"}
    db.session.commit()
    with pytest.raises(eligibility.NotEligible) as info:
        entries.submit_entry(organiser, paper)
    assert any("mỗi người chỉ được làm trưởng nhóm một bài" in p.message for p in info.value.problems)


def test_withdrawn_entry_frees_the_leader(make_contest, make_entry):
    contest = make_contest()
    first = make_entry(contest, submit=True)
    entries.withdraw_entry(first.leader, first, "Nhóm tan rã")
    second = entries.start_entry(
        first.leader,
        contest,
        title="Ý tưởng mới",
        track_id=None,
        leader=person(),
        consents={"process_entry": True},
    )
    assert second.status == EntryStatus.DRAFT


def test_max_entries_per_person_counts_membership_by_phone(make_contest, make_entry):
    contest = make_contest(max_entries_per_person=2)
    shared = person("Huỳnh Thị Mỹ", phone="0935 123 456")
    make_entry(contest, members=[shared], submit=True)
    second = make_entry(contest, members=[person("Huỳnh Thị Mỹ", phone="+84935123456")])
    assert problems_of(second) == []  # exactly at the limit: 1 other + this one = 2
    entries.submit_entry(second.leader, second)
    third = make_entry(contest, members=[person("Huỳnh Thị Mỹ", phone="84935123456")])
    messages = problems_of(third)
    assert any("đã tham gia 2 bài dự thi khác" in m and "tối đa 2 bài" in m for m in messages), messages


def test_a_judge_of_the_contest_may_not_enter(make_contest, make_entry, make_user, organiser):
    contest = make_contest()
    judge = make_user("giamkhao@example.vn", roles=("judge",), name="Nguyễn Minh Tuấn")
    permissions.add_staff(organiser, contest, judge.email, "judge", "Trường Đại học Quảng Ngãi")
    with pytest.raises(PermissionDenied, match="không được dự thi"):
        entries.start_entry(
            judge,
            contest,
            title="Ý tưởng của giám khảo",
            track_id=None,
            leader=person(),
            consents={"process_entry": True},
        )
    # …nor join a team as a member (matched by email).
    entry = make_entry(contest, members=[person("Nguyễn Minh Tuấn", email="GiamKhao@example.vn")])
    assert any("Giám khảo" in m and "không được dự thi" in m for m in problems_of(entry))
    # A judge of another contest may enter this one.
    other = make_contest()
    assert permissions.contest_judges(other) == []
    assert permissions.contest_judges(contest) == [judge]


def test_startup_age_for_the_projects_track(make_contest, make_entry):
    contest = make_contest()
    entry = make_entry(contest)
    entry.track = contest.tracks[1]  # Bảng Dự án, ≤ 5 years
    db.session.commit()
    assert any("ngày đăng ký kinh doanh" in m for m in problems_of(entry))
    entry.startup_registered_on = years_before(closing(contest), 5)
    assert problems_of(entry) == []
    entry.startup_registered_on = years_before(closing(contest), 5) - timedelta(days=1)
    assert any("không quá 5 năm" in m for m in problems_of(entry))


def test_required_dossier_parts(make_contest, make_entry):
    contest = make_contest()
    entry = make_entry(contest, file=None)
    entry.declared_original = False
    entry.answers = {}
    messages = problems_of(entry)
    assert "Chưa tải lên “Bản thuyết minh”." in messages
    assert "Chưa điền mục “Vấn đề cần giải quyết”." in messages
    assert any("chưa đạt giải" in m for m in messages)


# --- codes -----------------------------------------------------------------------------------------------


def test_codes_are_sequential_per_contest_and_emailed(make_contest, make_entry, outbox):
    contest = make_contest(code_prefix="KN24")
    a = make_entry(contest, submit=True)
    b = make_entry(contest, submit=True)
    assert (a.code, b.code) == ("KN24-0001", "KN24-0002")
    assert "KN24-0002" in outbox[-1]["Subject"] and b.leader.email == outbox[-1]["To"]
    assert "KN24-0002" in outbox[-1].get_content()
    with pytest.raises(Conflict):
        entries.submit_entry(a.leader, a)  # already submitted


@pytest.mark.postgres_only
def test_concurrent_submissions_get_distinct_codes(app, make_contest, make_entry, is_postgres):
    if not is_postgres:
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises whole transactions")
    contest = make_contest(max_entries_per_person=None)
    ids = [make_entry(contest).id for _ in range(8)]
    db.session.remove()
    barrier = threading.Barrier(len(ids))
    errors = []

    def submit(entry_id):
        with app.app_context():
            entry = db.session.get(Entry, entry_id)
            leader = entry.leader
            barrier.wait()
            try:
                entries.submit_entry(leader, entry)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    codes = db.session.scalars(select(Entry.code).where(Entry.contest_id == contest.id)).all()
    assert sorted(codes) == [f"TN1-{n:04d}" for n in range(1, 9)]


# --- lifecycle, screening, finalists ----------------------------------------------------------------------


def test_transitions_live_in_one_place(make_contest, make_entry, organiser, outbox):
    contest = make_contest()
    entry = make_entry(contest, submit=True)
    with pytest.raises(Invalid, match="lý do"):
        entries.screen_entry(organiser, entry, "ineligible", "")
    entries.screen_entry(organiser, entry, "ineligible", "Thiếu bản thuyết minh có chữ ký")
    assert entry.status == EntryStatus.INELIGIBLE
    assert "Thiếu bản thuyết minh có chữ ký" in outbox[-1].get_content()
    with pytest.raises(Conflict):
        entries.change_status(organiser, entry, EntryStatus.AWARDED)
    entries.screen_entry(organiser, entry, "eligible", "Đã bổ sung")
    entries.change_status(organiser, entry, EntryStatus.FINALIST, reason="Top 10 sơ khảo")
    assert services.list_finalists(contest) == [entry]
    assert [h.to_status for h in entry.history] == [
        "draft",
        "submitted",
        "ineligible",
        "eligible",
        "finalist",
    ]
    assert entry.history[-1].actor_id == organiser.id and entry.history[-1].note == "Top 10 sơ khảo"


def test_editing_stops_at_the_deadline_and_after_screening(make_contest, make_entry, organiser):
    contest = make_contest()
    entry = make_entry(contest, submit=True)
    data = entries.EntryData(title="Tên mới sau khi nộp", track_id=contest.tracks[0].id, field="Du lịch")
    entries.save_entry(entry.leader, entry, data)
    assert entry.title == "Tên mới sau khi nộp" and entry.history[-1].note == "Sửa bài sau khi nộp"
    late = contest.closes_at + timedelta(seconds=1)
    with pytest.raises(Conflict, match="hết hạn"):
        entries.save_entry(entry.leader, entry, data, now=late)
    entries.screen_entry(organiser, entry, "eligible")
    with pytest.raises(Conflict, match="Hợp lệ"):
        entries.save_entry(entry.leader, entry, data)


# --- permissions ------------------------------------------------------------------------------------------


def test_only_the_leader_reaches_an_entry(make_contest, make_entry, make_user):
    entry = make_entry(make_contest())
    stranger = make_user("nguoila@example.vn")
    with pytest.raises(NotFound):
        permissions.get_entry_for_leader(stranger, entry.id)
    with pytest.raises(NotFound):
        files.get_file_for_viewer(stranger, entry.id, entry.files[0].id)
    assert permissions.get_entry_for_leader(entry.leader, entry.id) is entry


def test_co_organisers_see_only_their_contest(make_contest, make_user, organiser):
    mine, other = make_contest(), make_contest()
    doan = make_user("tinhdoan@example.vn", roles=("organiser",), name="Lê Văn Thành")
    permissions.add_staff(organiser, mine, doan.email, "organiser", "Tỉnh đoàn")
    assert permissions.manageable_contests(doan) == [mine]
    assert permissions.can_manage_contest(doan, mine) and not permissions.can_manage_contest(doan, other)
    assert permissions.get_contest_for_organiser(doan, mine.slug) is mine
    with pytest.raises(PermissionDenied):
        permissions.get_contest_for_organiser(doan, other.slug)
    with pytest.raises(NotFound):
        permissions.get_contest_for_organiser(doan, "khong-ton-tai")
    # Sở staff (global role, no contest rows) manage every contest; applicants none.
    assert {c.id for c in permissions.manageable_contests(organiser)} == {mine.id, other.id}
    assert permissions.manageable_contests(make_user("ts@example.vn")) == []
    with pytest.raises(PermissionDenied):
        services.create_contest(
            doan, services.ContestData("x", "y", 2026, "XX", datetime.now(), datetime.now())
        )
    with pytest.raises(Conflict):
        permissions.add_staff(organiser, mine, doan.email, "organiser", "Tỉnh đoàn")  # UNIQUE row
    assert db.session.query(ContestStaff).count() == 1


# --- uploads ------------------------------------------------------------------------------------------------


def test_uploads_checked_by_content_and_size(make_contest, make_entry, app):
    contest = make_contest()
    entry = make_entry(contest, file=None)
    data = entries.EntryData(title=entry.title, track_id=contest.tracks[0].id, summary="Tóm tắt đã sửa")
    result = entries.save_entry(
        entry.leader, entry, data, uploads={"thuyet-minh": upload(EXE, "ke-hoach.pdf")}
    )
    assert "không đúng định dạng" in result.errors["file_thuyet-minh"]
    assert entry.files == [] and entry.summary == "Tóm tắt đã sửa"  # the rest was saved
    big = PDF + b"0" * (1024 * 1024)
    result = entries.save_entry(entry.leader, entry, data, uploads={"thuyet-minh": upload(big, "lon.pdf")})
    assert "vượt quá giới hạn 1,0 MB" in result.errors["file_thuyet-minh"]
    result = entries.save_entry(
        entry.leader,
        entry,
        data,
        uploads={"thuyet-minh": upload(docx_bytes(), "..\\..\\C:\\win\\../<Kế hoạch>.docx")},
    )
    assert result.errors == {}
    stored = entry.files[0]
    assert stored.kind == "docx" and stored.original_name == "Kế hoạch.docx"
    path = files.file_path(stored)
    assert path.is_file() and path.is_relative_to(app.config["UPLOAD_DIR"])
    assert "Kế" not in str(path) and ".." not in str(path)


def test_replacing_a_file_removes_the_old_one(make_contest, make_entry):
    entry = make_entry(make_contest())
    old = files.file_path(entry.files[0])
    entries.save_entry(
        entry.leader,
        entry,
        entries.EntryData(title=entry.title),
        uploads={"thuyet-minh": upload(docx_bytes(), "moi.docx")},
    )
    assert len(entry.files) == 1 and entry.files[0].kind == "docx"
    assert not old.exists() and files.file_path(entry.files[0]).exists()


# --- search -------------------------------------------------------------------------------------------------


def test_accent_insensitive_search(make_contest, make_entry, make_user, organiser):
    contest = make_contest(max_entries_per_person=None)
    leader = make_user("thi@example.vn", name="Nguyễn Thị Đào")
    make_entry(contest, leader=leader, submit=True)
    make_entry(contest, submit=True)
    for query in ("nguyen thi", "NGUYỄN THỊ", "dao", "đào nguyen"):
        found, total = services.search_entries(organiser, services.EntryFilters(query=query))
        assert total == 1 and found[0].leader_id == leader.id, query
    found, total = services.search_entries(organiser, services.EntryFilters(query="100%_"))
    assert total == 0
    found, total = services.search_entries(organiser, services.EntryFilters(query="TN1-0002"))
    assert total == 1


def test_consents_and_ethnicity_need_the_statistics_consent(make_contest, make_user):
    contest = make_contest()
    leader = make_user("dantoc@example.vn", name="Đinh Văn Hiền")
    entry = entries.start_entry(
        leader,
        contest,
        title="Du lịch cộng đồng Hrê",
        track_id=None,
        leader=person("Đinh Văn Hiền", ethnicity="Hrê"),
        consents={"process_entry": True},
    )
    assert entry.leader_member.ethnicity == ""  # not kept without the sensitive_stats consent
    from app.privacy import services as privacy

    assert not privacy.has_consent("user", leader.id, "sensitive_stats")
    assert privacy.has_consent("user", leader.id, "process_entry")
    with pytest.raises(Invalid):
        entries.start_entry(
            make_user("khongdongy@example.vn"),
            contest,
            title="Không đồng ý",
            track_id=None,
            leader=person(),
            consents={"process_entry": False},
        )


def test_search_by_phone_as_people_type_it(make_contest, make_entry, organiser):
    contest = make_contest()
    make_entry(contest, members=[person("Trần Văn Bình", phone="0905 777 888")], submit=True)
    for query in ("0905777888", "+84905777888", "binh"):
        _found, total = services.search_entries(organiser, services.EntryFilters(query=query))
        assert total == 1, query


def test_staff_rows_never_widen_or_narrow_access_by_accident(make_contest, make_user, organiser):
    mine, other = make_contest(), make_contest()
    doan = make_user("doan2@example.vn", roles=("organiser",))
    row = permissions.add_staff(organiser, mine, doan.email, "organiser", "Tỉnh đoàn")
    assert permissions.manageable_contests(doan) == [mine]
    # A co-organiser cannot pin Sở staff (or a fresh organiser account) to their contest…
    colleague = make_user("dongnghiep@example.vn", roles=("organiser",))
    with pytest.raises(PermissionDenied):
        permissions.add_staff(doan, mine, colleague.email, "organiser")
    assert permissions.managed_contest_ids(colleague) is None
    # …and one removed from their only contest loses the role instead of becoming Sở staff.
    permissions.remove_staff(organiser, mine, row.id)
    db.session.refresh(doan)
    assert "organiser" not in {str(r) for r in doan.roles}
    assert permissions.manageable_contests(doan) == [] and not permissions.can_manage_contest(doan, other)


def test_a_co_organiser_of_the_contest_may_not_join_a_team(make_contest, make_entry, make_user, organiser):
    contest = make_contest()
    doan = make_user("bch@example.vn", roles=("organiser",), name="Lê Văn Thành")
    doan.phone = "+84905999000"
    db.session.commit()
    permissions.add_staff(organiser, contest, doan.email, "organiser", "Tỉnh đoàn")
    entry = make_entry(contest, members=[person("Lê Văn Thành", phone="0905 999 000")])  # matched by phone
    assert any("Ban tổ chức hoặc Giám khảo" in m for m in problems_of(entry))
    contest.staff_may_not_enter = False  # the rule is data: a contest may allow it
    db.session.commit()
    assert problems_of(entry) == []


@pytest.mark.postgres_only
def test_one_team_per_leader_holds_under_simultaneous_submits(
    app, make_contest, make_entry, organiser, is_postgres
):
    if not is_postgres:
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises whole transactions")
    contest = make_contest()
    web = make_entry(contest)
    paper = entries.key_in_paper_entry(
        organiser,
        contest,
        title="Cùng trưởng nhóm, nộp giấy",
        track_id=contest.tracks[0].id,
        leader=person(web.leader.full_name, email=web.leader.email),
        consents={"process_entry": True},
    )
    entries.save_entry(
        organiser,
        paper,
        entries.EntryData(
            title=paper.title,
            field="Khác",
            summary="Tóm tắt",
            answers={"problem": "x"},
            declared_original=True,
        ),
        uploads={"thuyet-minh": upload(PDF, "scan.pdf")},
    )
    jobs = [(web.id, web.leader_id), (paper.id, organiser.id)]
    db.session.remove()
    barrier = threading.Barrier(2)
    outcomes = []

    def submit(entry_id, actor_id):
        from app.accounts.models import User

        with app.app_context():
            entry, actor = db.session.get(Entry, entry_id), db.session.get(User, actor_id)
            barrier.wait()
            try:
                entries.submit_entry(actor, entry)
                outcomes.append("ok")
            except eligibility.NotEligible as exc:
                outcomes.append(exc.problems[0].message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes, key=len)[0] == "ok" and outcomes.count("ok") == 1, outcomes
    assert any("mỗi người chỉ được làm trưởng nhóm một bài" in o for o in outcomes), outcomes


def test_filters_by_track_field_status_commune_and_organisation(
    make_contest, make_entry, make_user, organiser
):
    contest = make_contest(max_entries_per_person=None)
    a = make_entry(contest, submit=True)
    b = make_entry(contest, submit=True)
    b.track, b.field, b.organisation = contest.tracks[1], "Du lịch", "Hội LHPN xã Bình Sơn"
    entries.refresh_search_text(b)
    db.session.commit()
    entries.screen_entry(organiser, a, "eligible")

    def ids(**kw):
        return {e.id for e in services.search_entries(organiser, services.EntryFilters(**kw))[0]}

    assert ids(contest_id=contest.id) == {a.id, b.id}
    assert ids(track_id=contest.tracks[1].id) == {b.id}
    assert ids(field="Du lịch") == {b.id}
    assert ids(status="eligible") == {a.id}
    assert ids(commune_code=a.commune_code) == {a.id, b.id}
    assert ids(organisation="HỘI LHPN") == ids(organisation="hoi lhpn") == {b.id}
    assert ids(status="draft") == set()


def test_a_refused_configuration_change_leaves_the_contest_as_it_was(
    app, organiser, make_contest, make_entry
):
    contest = make_contest()
    make_entry(contest)  # in "Bảng Ý tưởng"
    data = services.ContestData(
        name="Tên mới không được lưu",
        slug=contest.slug,
        year=contest.year,
        code_prefix=contest.code_prefix,
        opens_local=to_local(contest.opens_at).replace(tzinfo=None),
        closes_local=to_local(contest.closes_at).replace(tzinfo=None),
        fields=list(contest.fields),
        tracks=[("Bảng Dự án", 5)],  # drops the track that has an entry
        slots=[services.SlotSpec("thuyet-minh", "Bản thuyết minh", ["pdf"], 1, True)],
    )
    with pytest.raises(Conflict, match="Không thể xoá bảng"):
        services.update_contest(organiser, contest, data)
    db.session.expire_all()
    assert contest.name != "Tên mới không được lưu"
    assert [t.name for t in contest.tracks] == ["Bảng Ý tưởng", "Bảng Dự án"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"year": 10**20}, "year"),
        ({"edition": 2**31}, "edition"),
        ({"edition": 0}, "edition"),
        ({"min_age": -1}, "min_age"),
        ({"max_age": 10**12}, "max_age"),
        ({"team_min": 0}, "team_min"),
        ({"team_max": 21}, "team_max"),
        ({"team_max": True}, "team_max"),
        ({"max_entries_per_person": 2**31}, "max_entries_per_person"),
        ({"max_entries_per_person": 0}, "max_entries_per_person"),
        ({"tracks": [("Bảng Dự án", 2**31)]}, "tracks"),
        ({"tracks": [("Bảng Dự án", 0)]}, "tracks"),
        ({"slots": [services.SlotSpec("tm", "Thuyết minh", ["pdf"], float("nan"))]}, "slots"),
        ({"slots": [services.SlotSpec("tm", "Thuyết minh", ["pdf"], 1e61)]}, "slots"),
        ({"slots": [services.SlotSpec("tm", "Thuyết minh", ["pdf"], 0.01)]}, "slots"),
    ],
    ids=lambda value: str(value)[:30] if isinstance(value, dict) else value,
)
def test_every_number_of_a_contests_rules_is_bounded_for_every_caller(make_contest, changes, field):
    """The form shows these as field errors; the service refuses them for the CLI and any other
    caller (an out-of-range integer is a 500 on PostgreSQL, a 0 makes a rule nobody can meet)."""
    with pytest.raises(Invalid) as info:
        make_contest(**changes)
    assert info.value.field == field
    assert services.all_contests() == []


def test_the_bounds_themselves_are_accepted(make_contest):
    contest = make_contest(
        edition=100,
        min_age=0,
        max_age=120,
        team_min=20,
        team_max=20,
        max_entries_per_person=100,
        tracks=[("Bảng Dự án", 50)],
        slots=[services.SlotSpec("tm", "Thuyết minh", ["pdf"], 20)],
    )
    assert (contest.max_age, contest.tracks[0].max_startup_years, contest.slots[0].max_bytes) == (
        120,
        50,
        20 * 1024 * 1024,
    )
