"""The registry at work on real data: the copy holds every feature's section, and a deletion request
leaves nothing that identifies the person in any table while every count the reports use, and the
published results, stay exactly as they were. All or nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.accounts.models import LoginAttempt, Role, User, UserRole
from app.contests import services as contests
from app.contests.files import file_path
from app.contests.permissions import add_staff
from app.errors import Conflict, PermissionDenied
from app.events.checkin import record_checkin, scope_for_user
from app.events.models import Ticket
from app.events.stats import event_stats
from app.exports import annual_report
from app.extensions import db
from app.judging import services as judging
from app.judging.models import Assignment, JudgeProfile, RoundResult
from app.judging.models import Conflict as ConflictRow
from app.privacy import registry, services
from app.privacy.models import DataRequest
from tests.privacy.conftest import EMAIL, NAME, rows_mentioning


def _walk_keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _walk_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_keys(item)


def test_the_copy_holds_every_feature_section(everywhere):
    data = services.personal_data(everywhere.user)
    json.dumps(data, ensure_ascii=False)  # plain data all the way down
    assert data["tai_khoan"]["email"] == EMAIL and data["tai_khoan"]["dien_thoai"] == "+84905111222"
    assert len(data["lich_su_dang_nhap"]) == 2 and data["lich_su_dang_nhap"][0]["dia_chi_ip"] == "203.0.113.7"
    entries = {e["ma_ho_so"]: e for e in data["bai_du_thi"]}
    assert entries[everywhere.led.code]["vai_tro"] == "Trưởng nhóm"
    assert entries[everywhere.led.code]["tep_da_nop"] == ["thuyet-minh.pdf"]
    assert entries[everywhere.member_of.code]["vai_tro"] == "Thành viên"
    assert entries[everywhere.member_of.code]["thong_tin_ca_nhan_trong_ho_so"][0]["ho_ten"] == NAME
    assert data["vai_tro_trong_cuoc_thi"][0]["vai_tro"] == "Giám khảo"
    judge = data["giam_khao"]
    assert judge["ho_so_giam_khao"]["chuyen_mon"] == "Nông nghiệp công nghệ cao"
    assert judge["thu_moi"][0]["email"] == EMAIL
    assert judge["xung_dot_loi_ich"][0]["ghi_chu"].endswith("em họ trưởng nhóm")
    assert judge["phieu_cham"] and all(s["trang_thai"] == "Đã nộp" for s in judge["phieu_cham"])
    assert judge["phieu_cham"][0]["diem"][0]["tieu_chi"] == "Tính đổi mới sáng tạo"
    (registration,) = data["dang_ky_su_kien"]
    assert registration["ho_ten"] == NAME and registration["check_in"][0]["cong"] == "Cổng A"
    assert registration["dong_y"] and registration["ve"][0]["thu_hoi_luc"] is None
    assert everywhere.attendee.active_ticket.code not in json.dumps(data)  # a ticket code opens the gate
    assert data["nhan_su_check_in"][0]["su_kien"] == everywhere.event.name
    assert {c["ma_muc_dich"] for c in data["dong_y_xu_ly_du_lieu"] if c["dong_y"]} >= {"process_entry"}
    assert data["yeu_cau_ve_du_lieu"][0]["loai"] == "Xoá dữ liệu cá nhân"
    assert any(row["hanh_dong"] == "entry.create" for row in data["nhat_ky_hoat_dong"])
    assert {p["du_lieu"] for p in data["khi_xoa_du_lieu"]} == {h.title for h in registry.holders()}
    # Every key the page shows has a Vietnamese label (no raw "ma_muc_dich" on screen).
    for holder in registry.holders():
        unlabelled = {k for k in _walk_keys(data[holder.key]) if registry.label(holder, k) == k}
        assert not unlabelled, f"{holder.key}: no label for {sorted(unlabelled)}"


def _counts(everywhere) -> dict:
    """What the reports and the results pages count, read through the features' own services."""
    w = everywhere
    stats = event_stats(w.event.id)
    report = annual_report.report_export(w.contest.year)
    by_sheet = {sheet.name: sheet for sheet in report.sheets if getattr(sheet, "totals", None)}
    return {
        "entries": contests.status_counts(w.contest),
        "event": {k: stats[k] for k in ("registered", "checked_in", "by_gate", "by_category", "by_hour")},
        "checkins": annual_report.checkins_per_event([w.event.id]),
        "report_totals": {name: list(sheet.totals) for name, sheet in by_sheet.items()},
        "results": sorted(
            db.session.execute(
                select(RoundResult.entry_id, RoundResult.rank, RoundResult.score, RoundResult.advances)
            ).all()
        ),
        "ranking": [
            (row.entry.id, row.rank, str(row.score), dict(row.judge_totals))
            for row in judging.compute_results(w.world.round).ranking.rows()
        ],
        "sheets": db.session.scalar(select(func.count(Assignment.id))),
        "conflicts": db.session.scalar(select(func.count(ConflictRow.id))),
    }


def test_erasure_leaves_nothing_identifying_and_keeps_every_count(everywhere, outbox):
    w = everywhere
    files = [file_path(f) for f in w.led.files]
    assert files and all(path.is_file() for path in files)
    before = _counts(w)
    assert {table for table, _row in rows_mentioning()} >= {
        "users",
        "team_members",
        "entries",
        "entry_events",
        "event_attendees",
        "event_scans",
        "judging_invitations",
        "judging_judge_profiles",
        "contest_staff",
        "login_attempts",
        "data_requests",
        "audit_events",
    }  # the check below can fail

    services.erase_for_request(w.staff, w.request.id)
    db.session.expire_all()

    assert rows_mentioning() == []
    assert _counts(w) == before
    assert not any(path.exists() for path in files) and w.led.files == []
    user = db.session.get(User, w.user.id)
    assert not user.is_active_account and user.full_name == registry.ERASED and user.phone is None
    # Other people's rows are untouched.
    assert db.session.get(type(w.other_attendee), w.other_attendee.id).full_name == "Trần Văn Khách"
    assert db.session.scalar(select(func.count(LoginAttempt.id))) == 1
    assert db.session.scalar(select(JudgeProfile).where(JudgeProfile.user_id == w.user.id)) is None
    # Her ticket no longer opens the gate; the check-in itself still counts.
    ticket = db.session.scalars(select(Ticket).where(Ticket.attendee_id == w.attendee.id)).one()
    scope = scope_for_user(w.event.slug, db.session.get(User, w.event.created_by_id))
    assert record_checkin(scope, ticket.code)["result"] in ("revoked", "already_checked_in")
    assert ticket.revoked_at is not None
    # The request is closed with a note saying what was erased and what was kept, and mailed.
    row = db.session.get(DataRequest, w.request.id)
    assert row.status == "done" and row.resolved_by_id == w.staff.id
    for phrase in (
        "hồ sơ thành viên dự thi",
        "lượt đăng ký sự kiện",
        "thư mời chấm",
        "lần đăng nhập",
        "giữ lại",
    ):
        assert phrase in row.resolution_note
    assert "kết quả" in row.resolution_note and "tài khoản" in row.resolution_note
    mail = outbox[-1]
    assert mail["To"] == EMAIL and row.resolution_note.splitlines()[1] in mail.get_content()
    assert f"Xin chào {NAME}" in mail.get_content()


def test_a_refusal_half_way_leaves_everything_as_it_was(everywhere):
    # The account holder runs last and refuses an administrator's account: every holder before it
    # has already changed the session, and all of it must roll back.
    w = everywhere
    db.session.add(UserRole(user_id=w.user.id, role=Role.ADMIN.value))
    db.session.commit()
    files = [file_path(f) for f in w.led.files]
    before = rows_mentioning()
    with pytest.raises(Conflict, match="quyền quản trị"):
        services.erase_for_request(w.staff, w.request.id)
    db.session.expire_all()
    assert rows_mentioning() == before
    assert db.session.get(DataRequest, w.request.id).status == "open"
    assert all(path.is_file() for path in files)


def test_only_platform_staff_work_the_queue(everywhere, make_user):
    w = everywhere
    co_organiser = make_user("doan@example.vn", roles=("organiser",))
    add_staff(w.staff, w.contest, co_organiser.email, "organiser", "Tỉnh đoàn")
    admin = make_user("admin@example.vn", roles=("admin",))
    for outsider in (w.user, co_organiser, make_user("gk@example.vn", roles=("judge",))):
        with pytest.raises(PermissionDenied):
            services.request_queue(outsider)
        with pytest.raises(PermissionDenied):
            services.erase_for_request(outsider, w.request.id)
    assert services.request_queue(admin)[1] == 1
    assert services.request_queue(w.staff)[1] == 1
    assert db.session.get(DataRequest, w.request.id).status == "open"
