"""Judging rules without HTTP: conflicts, assignment, sheets, locking, results, publishing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.contests.models import ContestStaff, EntryStatus
from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.judging import scoring, services
from app.judging.models import Assignment, ConflictStatus, JudgeInvitation, RoundResult, SheetStatus
from app.judging.models import Conflict as ConflictRow
from app.localtime import utcnow
from tests.judging.conftest import scores


def _sheet(world, judge, entry):
    return services.get_sheet_for_judge(judge, world.round.id, entry.id)


def _assign_all(world, k=2):
    return services.auto_assign(world.organiser, world.round, k)


def _submit(judge, sheet, values):
    return services.save_sheet(judge, sheet, values, {}, "", sheet.version, submit=True)


# --- rounds and rubric ---------------------------------------------------------------------------


def test_a_new_round_gets_the_default_2021_rubric_from_scoring(world):
    rubric = services.rubric_of(world.round)
    assert rubric == scoring.DEFAULT_RUBRIC
    assert rubric.max_total == 100
    assert [c.name for c in rubric.criteria][0] == "Tính đổi mới sáng tạo"
    assert world.round.position == 1


def test_round_names_are_unique_per_contest(world):
    with pytest.raises(Invalid, match="Sơ khảo"):
        services.create_round(world.organiser, world.contest, services.RoundSettings(name="Sơ khảo"))
    second = services.create_round(world.organiser, world.contest, services.RoundSettings(name="Chung kết"))
    assert second.position == 2


def test_rubric_can_mix_points_and_scale_and_is_locked_once_scoring_starts(world):
    rows = [
        {"name": "Tính đổi mới sáng tạo", "description": "Mới", "kind": "points", "max_points": "40"},
        {"name": "Thuyết trình", "kind": "scale", "weight": "12"},
        {"name": "", "max_points": "10"},  # a blank row is ignored
    ]
    rubric = services.save_rubric(world.organiser, world.round, rows)
    assert rubric.max_total == 40 + 5 * 12
    with pytest.raises(Invalid, match="điểm tối đa"):
        services.save_rubric(
            world.organiser, world.round, [{"name": "Một", "kind": "points", "max_points": ""}]
        )
    _assign_all(world)
    judge = world.judges[0]
    sheet = services.judge_dashboard(judge).rounds[0].sheets[0]
    services.save_sheet(judge, sheet, {rubric.criteria[0].id: "30"}, {}, "", sheet.version)
    with pytest.raises(Conflict, match="không thể sửa thang điểm"):
        services.save_rubric(world.organiser, world.round, rows)


def test_a_co_organiser_of_another_contest_cannot_touch_the_round(world, make_user):
    from app.contests.models import Contest

    other = Contest(
        slug="khac",
        name="Cuộc thi khác",
        year=2024,
        code_prefix="KH",
        opens_at=utcnow(),
        closes_at=utcnow() + timedelta(days=3),
        form_fields={},
        fields=[],
    )
    db.session.add(other)
    db.session.flush()
    stranger = make_user("doan@example.vn", roles=("organiser",), name="Lê Văn Thành")
    db.session.add(ContestStaff(contest_id=other.id, user_id=stranger.id, role="organiser"))
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.get_round_for_organiser(stranger, world.round.id)
    with pytest.raises(PermissionDenied):
        services.auto_assign(stranger, world.round, 2)


# --- assignment and conflicts -------------------------------------------------------------------


def test_auto_assignment_gives_each_entry_k_distinct_judges_with_loads_within_one(world):
    report = _assign_all(world, k=3)
    rows = services.round_assignments(world.round)
    assert len(rows) == 6 * 3 == report.created
    per_entry = {}
    for row in rows:
        per_entry.setdefault(row.entry_id, set()).add(row.judge_id)
    assert all(len(judges) == 3 for judges in per_entry.values())
    loads = [sum(1 for r in rows if r.judge_id == j.id) for j in world.judges]
    assert max(loads) - min(loads) <= 1, loads
    assert sum(loads) == 18


def test_balanced_assignment_stays_within_one_with_conflicts_and_fixed_pairs():
    entries = list(range(1, 11))
    judges = [101, 102, 103, 104, 105]
    blocked = {(101, 1), (101, 2), (102, 1), (103, 3), (104, 4), (105, 5)}
    fixed = {(6, 105), (7, 105), (8, 105)}
    new, missing = services.balanced_assignment(entries, judges, fixed, blocked, 3)
    pairs = new | fixed
    assert not missing
    assert all((j, e) not in blocked for e, j in pairs)
    for e in entries:
        assert len({j for (x, j) in pairs if x == e}) == 3
    loads = [sum(1 for (_, j) in pairs if j == judge) for judge in judges]
    assert max(loads) - min(loads) <= 1, loads


def test_an_entry_without_enough_free_judges_is_reported_not_forced():
    new, missing = services.balanced_assignment([1, 2], [10, 11], set(), {(10, 1)}, 2)
    assert (1, 10) not in new
    assert missing == {1: 1}


def test_conflicts_are_never_assigned_declared_confirmed_or_pending(world):
    judge_a, judge_b, judge_c, _ = world.judges
    e1, e2, e3 = world.entries[:3]
    # Judge A works where entry 1's team works: the platform flags it (pending).
    services.update_profile(judge_a, "Hợp tác xã  NGHĨA HÀ", "")
    flag = db.session.scalar(select(ConflictRow).where(ConflictRow.judge_id == judge_a.id))
    assert (
        flag.entry_id == e1.id and flag.status == ConflictStatus.PENDING and flag.kind == "same_organisation"
    )
    # Judge B lives in the same commune as entry 2's leader: flagged too, then confirmed.
    services.update_profile(judge_b, "Sở Khoa học và Công nghệ", "21034")
    flagged_b = {c.entry_id for c in services.round_conflicts(world.round) if c.judge_id == judge_b.id}
    assert e2.id in flagged_b
    row = next(
        c for c in services.round_conflicts(world.round) if c.judge_id == judge_b.id and c.entry_id == e2.id
    )
    services.decide_conflict(world.organiser, world.round, row.id, True, "Cùng thôn")
    # Judge C declares a conflict on an assigned entry: confirmed, and the sheet leaves their list.
    _assign_all(world, k=3)
    sheet = next(s for s in services.round_assignments(world.round) if s.judge_id == judge_c.id)
    services.declare_conflict(judge_c, world.round.id, sheet.entry_id, "relative", "Con của chị gái tôi")
    with pytest.raises(NotFound):
        services.get_sheet_for_judge(judge_c, world.round.id, sheet.entry_id)

    for _ in range(3):  # re-running never brings them back
        _assign_all(world, k=3)
        pairs = {(a.judge_id, a.entry_id) for a in services.round_assignments(world.round)}
        assert (judge_a.id, e1.id) not in pairs
        assert (judge_b.id, e2.id) not in pairs
        assert (judge_c.id, sheet.entry_id) not in pairs
    with pytest.raises(Conflict, match="xung đột lợi ích"):
        services.assign_judge(world.organiser, world.round, judge_a.id, e1.id)
    with pytest.raises(Conflict, match="xung đột lợi ích"):
        services.assign_judge(world.organiser, world.round, judge_b.id, e2.id)
    assert e3.id  # the other entries were assigned normally
    assert len(services.round_assignments(world.round)) >= 6 * 3 - 3


def test_a_dismissed_flag_frees_the_pair_and_stays_dismissed(world):
    judge = world.judges[0]
    services.update_profile(judge, "Hợp tác xã Nghĩa Hà", "")
    row = services.round_conflicts(world.round)[0]
    services.decide_conflict(world.organiser, world.round, row.id, False, "Khác chi nhánh")
    services.update_profile(judge, "Hợp tác xã Nghĩa Hà", "")  # flags again: the dismissal holds
    assert [c.status for c in services.round_conflicts(world.round)] == [ConflictStatus.DISMISSED]
    services.assign_judge(world.organiser, world.round, judge.id, row.entry_id)


def test_confirming_a_conflict_removes_the_judges_sheet(world):
    _assign_all(world)
    sheet = services.round_assignments(world.round)[0]
    services.save_sheet(sheet.judge, sheet, {"doi_moi": "10"}, {}, "", sheet.version)
    services.record_conflict(world.organiser, world.round, sheet.judge_id, sheet.entry_id, "mentor", "Cố vấn")
    assert db.session.get(Assignment, sheet.id) is None
    drop = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "judging.assignment_drop"))
    assert drop.details["scores"] == {"doi_moi": "10"}


def test_rerunning_auto_assignment_keeps_assignments_that_have_scores(world):
    _assign_all(world, k=2)
    judge = world.judges[0]
    mine = [a for a in services.round_assignments(world.round) if a.judge_id == judge.id]
    services.save_sheet(judge, mine[0], {"doi_moi": "12"}, {}, "", mine[0].version)
    _submit(judge, mine[1], scores())
    kept_ids = {mine[0].id, mine[1].id}
    report = _assign_all(world, k=2)
    after = {a.id: a for a in services.round_assignments(world.round)}
    assert kept_ids <= set(after)
    assert after[mine[0].id].scores == {"doi_moi": "12"}
    assert after[mine[1].id].status == SheetStatus.SUBMITTED
    assert report.kept >= 2 and len(after) == 12


def test_unique_constraint_behind_one_sheet_per_judge_and_entry(world):
    judge, entry = world.judges[0], world.entries[0]
    services.assign_judge(world.organiser, world.round, judge.id, entry.id)
    with pytest.raises(Conflict, match="đã được phân công"):
        services.assign_judge(world.organiser, world.round, judge.id, entry.id)


# --- sheets --------------------------------------------------------------------------------------


def test_a_judge_opening_an_entry_not_assigned_to_them_gets_not_found(world):
    judge = world.judges[0]
    services.assign_judge(world.organiser, world.round, judge.id, world.entries[0].id)
    assert _sheet(world, judge, world.entries[0])
    with pytest.raises(NotFound):
        services.get_sheet_for_judge(judge, world.round.id, world.entries[1].id)
    with pytest.raises(NotFound):
        services.get_sheet_for_judge(world.judges[1], world.round.id, world.entries[0].id)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("26", "Tính đổi mới sáng tạo” phải từ 0 đến 25"),
        ("-1", "Tính đổi mới sáng tạo” phải từ 0 đến 25"),
        ("mười", "Tính đổi mới sáng tạo” phải là một số"),
        ("1e3", "Tính đổi mới sáng tạo” phải là một số"),
        ("7.123", "tối đa 2 chữ số thập phân"),
    ],
)
def test_out_of_range_and_non_numeric_scores_are_refused_naming_the_criterion(world, value, message):
    judge, entry = world.judges[0], world.entries[0]
    services.assign_judge(world.organiser, world.round, judge.id, entry.id)
    sheet = _sheet(world, judge, entry)
    with pytest.raises(services.SheetErrors) as caught:
        services.save_sheet(judge, sheet, scores(doi_moi=value), {}, "", sheet.version)
    assert message in caught.value.message
    assert set(caught.value.errors) == {"doi_moi"}
    db.session.expire_all()
    assert _sheet(world, judge, entry).status == SheetStatus.TODO and _sheet(world, judge, entry).scores == {}


def test_draft_accepts_blanks_and_decimal_commas_submit_needs_everything(world):
    judge, entry = world.judges[0], world.entries[0]
    services.assign_judge(world.organiser, world.round, judge.id, entry.id)
    sheet = _sheet(world, judge, entry)
    services.save_sheet(judge, sheet, {"doi_moi": "18,5"}, {"doi_moi": "Ý tưởng mới"}, "Tốt", sheet.version)
    assert sheet.status == SheetStatus.DRAFT
    assert sheet.scores == {"doi_moi": "18.5"} and sheet.comments == {"doi_moi": "Ý tưởng mới"}
    with pytest.raises(services.SheetErrors, match="còn 5 tiêu chí") as refused:
        services.save_sheet(judge, sheet, {"doi_moi": "18,5"}, {}, "", sheet.version, submit=True)
    # Every criterion left empty is named at once, each on its own field.
    assert len(refused.value.errors) == 5 and all(
        "chưa được chấm điểm" in m for m in refused.value.errors.values()
    )
    _submit(judge, sheet, scores())
    assert sheet.status == SheetStatus.SUBMITTED and sheet.submitted_at is not None
    actions = list(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "assignment"))
    )
    assert actions.count("judging.sheet_save") == 1 and actions.count("judging.sheet_submit") == 1


def test_a_submitted_sheet_is_locked_until_an_organiser_reopens_it_with_a_reason(world, outbox):
    judge, entry = world.judges[0], world.entries[0]
    services.assign_judge(world.organiser, world.round, judge.id, entry.id)
    sheet = _sheet(world, judge, entry)
    _submit(judge, sheet, scores())
    with pytest.raises(Conflict, match="đã nộp và đã được khoá") as caught:
        services.save_sheet(judge, sheet, scores(doi_moi="25"), {}, "", sheet.version)
    assert caught.value.code == "locked"
    assert sheet.scores["doi_moi"] == "20"
    with pytest.raises(Invalid, match="lý do"):
        services.reopen_sheet(world.organiser, world.round, sheet.id, "")
    services.reopen_sheet(world.organiser, world.round, sheet.id, "Giám khảo nhập nhầm điểm tiêu chí 1")
    assert "nhập nhầm" in outbox[-1].get_content()
    services.save_sheet(judge, sheet, scores(doi_moi="25"), {}, "", sheet.version, submit=True)
    assert sheet.scores["doi_moi"] == "25"
    reopen = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "judging.sheet_reopen"))
    assert reopen.actor_id == world.organiser.id and reopen.details["scores"]["doi_moi"] == "20"


def test_two_devices_saving_the_same_sheet_the_later_one_is_refused_and_nothing_is_lost(world):
    judge, entry = world.judges[0], world.entries[0]
    services.assign_judge(world.organiser, world.round, judge.id, entry.id)
    sheet = _sheet(world, judge, entry)
    loaded_version = sheet.version  # both the phone and the laptop opened the page now
    services.save_sheet(judge, sheet, {"doi_moi": "21"}, {}, "từ điện thoại", loaded_version)
    with pytest.raises(services.StaleSheet) as caught:
        services.save_sheet(judge, sheet, {"doi_moi": "9"}, {}, "từ máy tính", loaded_version)
    assert caught.value.code == "stale_sheet" and caught.value.status == 409
    assert "thiết bị" in caught.value.message and "CHƯA được lưu" in caught.value.message
    assert caught.value.current.scores == {"doi_moi": "21"}
    db.session.expire_all()
    assert _sheet(world, judge, entry).scores == {"doi_moi": "21"}
    # With the current version (after looking), the second device may save deliberately.
    current = _sheet(world, judge, entry)
    services.save_sheet(judge, current, {"doi_moi": "9"}, {}, "", current.version)
    assert current.scores == {"doi_moi": "9"}


def test_a_save_racing_another_write_is_refused_by_the_version_column(world):
    judge, entry = world.judges[0], world.entries[0]
    services.assign_judge(world.organiser, world.round, judge.id, entry.id)
    sheet = _sheet(world, judge, entry)
    version = sheet.version
    # Another request commits between our read and our write (its own connection and transaction).
    with db.engine.begin() as other:
        other.execute(
            update(Assignment)
            .where(Assignment.id == sheet.id)
            .values(version=version + 1, scores={"doi_moi": "3"}, status="draft")
        )
    with pytest.raises(services.StaleSheet):
        services.save_sheet(judge, sheet, {"doi_moi": "24"}, {}, "", version)
    db.session.expire_all()
    assert _sheet(world, judge, entry).scores == {"doi_moi": "3"}


def test_blind_sheet_view_carries_no_team_identity(world):
    judge, entry = world.judges[0], world.entries[0]
    services.assign_judge(world.organiser, world.round, judge.id, entry.id)
    view = services.entry_for_sheet(_sheet(world, judge, entry))
    text = repr(view)
    for member in entry.members:
        assert member.full_name not in text
    assert entry.organisation not in text and "members" not in view and "organisation" not in view
    assert entry.members[0].email not in text
    # The team wrote its leader's name into the summary: shown as hidden, the rest kept.
    assert view["summary"] == f"Tóm tắt ý tưởng {entry.title.lower()} của nhóm [đã ẩn]."
    world.round.blind = False
    db.session.commit()
    open_view = services.entry_for_sheet(_sheet(world, judge, entry))
    assert open_view["members"][0]["name"] == entry.members[0].full_name


# --- invitations ---------------------------------------------------------------------------------


def _token_from(outbox) -> str:
    body = outbox[-1].get_content()
    return body.split("/cham-diem/loi-moi/")[1].split()[0]


def test_invitation_creates_the_account_on_acceptance_and_the_link_is_single_use(world, outbox):
    services.invite_judge(
        world.organiser, world.round, "Moi.GK@Example.vn", "Đinh Thị Mới", "Viện Nông nghiệp"
    )
    token = _token_from(outbox)
    assert "Thư mời chấm Sơ khảo" in outbox[-1]["Subject"]
    from app.accounts.models import User

    assert db.session.scalar(select(User).where(User.email == "moi.gk@example.vn")) is None
    user = services.accept_invitation(
        token, full_name="Đinh Thị Mới", phone="0905123456", password="ChamThi2024"
    )
    assert user.email == "moi.gk@example.vn" and user.is_verified and user.has_role("judge")
    assert user.id in {j.id for j in services.round_judges(world.round)}
    staff = db.session.scalar(select(ContestStaff).where(ContestStaff.user_id == user.id))
    assert staff.role == "judge" and staff.contest_id == world.contest.id
    assert services.get_profile(user).organisation == "Viện Nông nghiệp"
    with pytest.raises(Invalid, match="đã được chấp nhận"):
        services.accept_invitation(token, full_name="X Y", password="ChamThi2024")


def test_expired_or_unknown_invitation_links_are_refused(world, outbox):
    invitation = services.invite_judge(world.organiser, world.round, "tre@example.vn", "Võ Văn Trễ")
    token = _token_from(outbox)
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(Invalid, match="hết hạn"):
        services.check_invitation(token)
    with pytest.raises(Invalid, match="không hợp lệ"):
        services.check_invitation("khong-co-that")
    assert db.session.scalar(select(JudgeInvitation.token_hash)) != token  # only the hash is stored


def test_an_existing_account_accepts_only_when_signed_in_as_that_email(world, outbox, make_user):
    existing = make_user("cu@example.vn", roles=("applicant",), name="Ngô Văn Cũ")
    services.invite_judge(world.organiser, world.round, "cu@example.vn", "Ngô Văn Cũ")
    token = _token_from(outbox)
    with pytest.raises(Conflict, match="đã có tài khoản"):
        services.accept_invitation(token, full_name="Ngô Văn Cũ", password="ChamThi2024")
    with pytest.raises(PermissionDenied):
        services.accept_invitation(token, user=world.judges[0])
    user = services.accept_invitation(token, user=existing)
    assert user.has_role("judge")


# --- progress, results, publishing -------------------------------------------------------------


def test_progress_lists_what_is_missing_and_reminders_go_to_judges_with_gaps(world, outbox):
    _assign_all(world, k=2)
    done_judge = world.judges[0]
    for sheet in [a for a in services.round_assignments(world.round) if a.judge_id == done_judge.id]:
        _submit(done_judge, sheet, scores())
    progress = services.round_progress(world.round)
    assert progress.total == 12 and progress.submitted == 3
    by_judge = {p.judge.id: p for p in progress.judges}
    assert by_judge[done_judge.id].missing == []
    assert len(by_judge[world.judges[1].id].missing) == 3
    assert all(len(p.waiting_for) + p.submitted == 2 for p in progress.entries)
    before = len(outbox)
    sent = services.send_reminders(world.organiser, world.round)
    assert sent == 3 and len(outbox) - before == 3
    assert done_judge.email not in {m["To"] for m in outbox[before:]}
    assert "Các hồ sơ chưa nộp phiếu" in outbox[-1].get_content()


def _score_everything(world, values_for):
    for sheet in services.round_assignments(world.round):
        _submit(sheet.judge, sheet, values_for(sheet))


def test_results_use_scoring_and_publishing_sets_states_and_shows_applicants(world, make_user, outbox):
    leader = make_user("doi1@example.vn", roles=("applicant",), name="Nguyễn Thị Hoa")
    world.entries[0].leader_id = leader.id
    db.session.commit()
    world.round.top_n = 1
    db.session.commit()
    _assign_all(world, k=2)
    points = {e.id: 10 + 2 * i for i, e in enumerate(world.entries)}
    _score_everything(world, lambda s: scores(doi_moi=str(points[s.entry_id])))
    result = services.compute_results(world.round)
    # The ranking is scoring.rank_round's over the submitted sheets: best per track first.
    direct = scoring.rank_round(services.round_data(world.round), services.ranking_config(world.round))
    assert [r.entry.id for r in result.ranking.rows()] == [r.entry.id for r in direct.rows()]
    assert len(result.advancement.advancing) == 2  # top 1 in each of the two tracks
    assert services.results_for_applicant(leader) == []  # nothing before publishing
    services.publish_results(world.organiser, world.round)
    published = services.results_for_applicant(leader)
    assert len(published) == 1 and published[0][2].rank is not None
    winners = {d.entry.id for d in result.advancement.advancing}
    for entry in world.entries:
        db.session.refresh(entry)
        assert entry.status == (EntryStatus.ELIGIBLE if entry.id in winners else EntryStatus.ELIMINATED)
    assert (
        db.session.scalar(select(RoundResult).where(RoundResult.entry_id == winners.pop())).advances is True
    )
    sheet = services.round_assignments(world.round)[0]
    with pytest.raises(Conflict):
        services.reopen_sheet(world.organiser, world.round, sheet.id, "Sửa sau công bố")
    assert any("Kết quả Sơ khảo" in m["Subject"] for m in outbox)


def test_round_data_streams_submitted_sheets_and_can_be_read_again(world):
    _assign_all(world, k=2)
    _score_everything(world, lambda s: scores(doi_moi=str(5 + s.entry_id % 4)))
    first = db.session.scalars(select(Assignment).where(Assignment.round_id == world.round.id)).first()
    services.reopen_sheet(world.organiser, world.round, first.id, "Chấm lại")
    data = services.round_data(world.round)
    read = [(s.entry_id, s.judge_id) for s in data.sheets]
    # Only submitted sheets, and a second pass reads them again (prepare_round may run twice).
    assert len(read) == 2 * len(world.entries) - 1 and (first.entry_id, first.judge_id) not in read
    assert [(s.entry_id, s.judge_id) for s in data.sheets] == read
    assert scoring.prepare_round(data).totals == scoring.prepare_round(data).totals


def test_publishing_is_refused_while_sheets_are_missing_or_a_cutoff_tie_is_undecided(world):
    world.round.top_n = 1
    db.session.commit()
    _assign_all(world, k=2)
    sheets = services.round_assignments(world.round)
    for sheet in sheets[:-1]:
        _submit(sheet.judge, sheet, scores())
    with pytest.raises(Conflict, match="chưa nộp"):
        services.publish_results(world.organiser, world.round)
    _submit(sheets[-1].judge, sheets[-1], scores())
    with pytest.raises(Conflict, match="đồng hạng"):  # every entry scored the same: tied at the cut
        services.publish_results(world.organiser, world.round)
    result = services.compute_results(world.round)
    pending = [d.entry.id for d in result.advancement.pending]
    assert pending
    with pytest.raises(Invalid, match="lý do"):
        services.set_override(world.organiser, world.round, pending[0], "advance", "")
    # The panel decides: a tie-break value per entry, recorded and audited.
    for value, entry in enumerate(world.entries, start=1):
        services.set_panel_decision(world.organiser, world.round, entry.id, str(value))
    services.publish_results(world.organiser, world.round)
    assert world.round.published_at is not None


def test_overrides_are_recorded_with_reasons_and_advanced_entries_move_to_the_final(world):
    final = services.create_round(world.organiser, world.contest, services.RoundSettings(name="Chung kết"))
    world.round.top_n = 1
    db.session.commit()
    _assign_all(world, k=2)
    points = {e.id: 10 + 2 * i for i, e in enumerate(world.entries)}
    _score_everything(world, lambda s: scores(doi_moi=str(points[s.entry_id])))
    rescued = world.entries[0]  # lowest score: stops by the rule
    assert services.compute_results(world.round).advancement.of(rescued.id).advances is False
    services.set_override(world.organiser, world.round, rescued.id, "advance", "Hội đồng đánh giá tiềm năng")
    decision = services.compute_results(world.round).advancement.of(rescued.id)
    assert decision.advances is True and "Hội đồng đánh giá tiềm năng" in decision.reasons[-1]
    with pytest.raises(Conflict, match="công bố kết quả vòng này trước"):
        services.advance_entries(world.organiser, world.round)
    services.publish_results(world.organiser, world.round)
    moved = services.advance_entries(world.organiser, world.round)
    assert moved == 3
    assert rescued.id in services.round_entry_ids(final)
    db.session.refresh(rescued)
    assert rescued.status == EntryStatus.FINALIST


def test_zscore_refusal_is_shown_not_raised(world):
    world.round.method = "zscore"
    db.session.commit()
    services.assign_judge(world.organiser, world.round, world.judges[0].id, world.entries[0].id)
    _submit(world.judges[0], _sheet(world, world.judges[0], world.entries[0]), scores())
    result = services.compute_results(world.round)
    assert result.ranking is None and "Không thể chuẩn hoá điểm z" in result.refused
    assert result.comparison.rankings[scoring.Method.MEAN]
    with pytest.raises(Conflict, match="chuẩn hoá"):
        services.publish_results(world.organiser, world.round)


def test_prizes_per_track_may_stay_unawarded_and_the_final_awards_states(world):
    services.save_prize_plan(
        world.organiser,
        world.round,
        {"Bảng Ý tưởng": {"nhat": 1, "nhi": 1, "ba": 1, "khuyen_khich": 1}, "Bảng Dự án": {"nhat": 1}},
        [{"name": "Giải ý tưởng sáng tạo nhất", "criterion": "doi_moi", "count": 1}],
    )
    _assign_all(world, k=2)
    points = {e.id: 10 + 2 * i for i, e in enumerate(world.entries)}
    _score_everything(world, lambda s: scores(doi_moi=str(points[s.entry_id])))
    result = services.compute_results(world.round)
    unawarded = {(u.prize_id, u.track) for u in result.prizes.unawarded}
    assert ("khuyen_khich", "Bảng Ý tưởng") in unawarded  # 3 entries in the track, 4 prizes
    services.publish_results(world.organiser, world.round)  # the only round is the last: prizes count
    states = {e.id: db.session.get(type(e), e.id).status for e in world.entries}
    assert sorted(states.values()).count(EntryStatus.AWARDED) == 4
    assert EntryStatus.NOT_AWARDED in states.values()
    prize_rows = list(db.session.scalars(select(RoundResult.prize).where(RoundResult.prize != "")))
    assert any("Giải Nhất" in p for p in prize_rows) and any("sáng tạo nhất" in p for p in prize_rows)


def test_component_scores_are_checked_and_kept_apart(world):
    services.save_components(
        world.organiser, world.round, [{"name": "Bình chọn của khán giả", "max_points": "10"}]
    )
    comp = world.round.components[0]["id"]
    with pytest.raises(Invalid, match="phải từ 0 đến 10"):
        services.save_component_scores(world.organiser, world.round, {(world.entries[0].id, comp): "11"})
    services.save_component_scores(world.organiser, world.round, {(world.entries[0].id, comp): "7,5"})
    assert services.component_values(world.round) == {(world.entries[0].id, comp): "7.5"}
    assert all(comp not in c for c in (x["id"] for x in world.round.rubric))


@settings(max_examples=150, deadline=None)
@given(
    n_entries=st.integers(1, 25),
    n_judges=st.integers(1, 8),
    k=st.integers(1, 4),
    blocked_bits=st.lists(st.booleans(), min_size=200, max_size=200),
    with_conflicts=st.booleans(),
)
def test_balanced_assignment_properties(n_entries, n_judges, k, blocked_bits, with_conflicts):
    entries = list(range(1, n_entries + 1))
    judges = list(range(100, 100 + n_judges))
    pairs_all = [(j, e) for e in entries for j in judges]
    blocked = {p for p, bit in zip(pairs_all, blocked_bits, strict=False) if bit and with_conflicts}
    new, missing = services.balanced_assignment(entries, judges, set(), blocked, k)
    assert not {(j, e) for e, j in new} & blocked  # never a conflicted pair
    for e in entries:
        free = sum(1 for j in judges if (j, e) not in blocked)
        got = sum(1 for x, _ in new if x == e)
        assert got == min(k, free) and missing.get(e, 0) == max(0, k - free)
    if not blocked:
        loads = [sum(1 for _, j in new if j == judge) for judge in judges]
        assert max(loads) - min(loads) <= 1


def test_a_revoked_invitation_link_stops_working(world, outbox):
    invitation = services.invite_judge(world.organiser, world.round, "huy@example.vn", "Lý Thị Huỷ")
    token = _token_from(outbox)
    services.revoke_invitation(world.organiser, world.round, invitation.id)
    with pytest.raises(Invalid, match="không hợp lệ"):
        services.accept_invitation(token, full_name="Lý Thị Huỷ", password="ChamThi2024")


def test_a_round_is_deleted_only_before_any_score(world):
    spare = services.create_round(world.organiser, world.contest, services.RoundSettings(name="Bán kết"))
    services.delete_round(world.organiser, spare)
    assert [r.name for r in services.contest_rounds(world.contest)] == ["Sơ khảo"]
    _assign_all(world)
    sheet = services.round_assignments(world.round)[0]
    services.save_sheet(sheet.judge, sheet, {"doi_moi": "5"}, {}, "", sheet.version)
    with pytest.raises(Conflict, match="không thể xoá"):
        services.delete_round(world.organiser, world.round)


def test_a_simultaneous_request_breaking_a_unique_rule_is_a_conflict_not_a_crash(world):
    from sqlalchemy import event, insert

    from app.judging.models import RoundEntry

    final = services.create_round(world.organiser, world.contest, services.RoundSettings(name="Chung kết"))
    entry = world.entries[0]

    fired = []

    def other_request_first(session, _context, _instances):
        # Another organiser's request adds the same entry and commits just before our flush.
        if fired:
            return
        fired.append(True)
        with db.engine.begin() as other:
            other.execute(
                insert(RoundEntry).values(
                    round_id=final.id, entry_id=entry.id, panel_decision="", added_at=utcnow()
                )
            )

    event.listen(db.session, "before_flush", other_request_first)
    try:
        with pytest.raises(Conflict, match="cùng lúc"):
            services.add_entries(world.organiser, final, [entry.id])
    finally:
        event.remove(db.session, "before_flush", other_request_first)
    assert services.round_entry_ids(final) == [entry.id]


def test_a_conflict_declared_later_keeps_the_published_rounds_record(world):
    final = services.create_round(world.organiser, world.contest, services.RoundSettings(name="Chung kết"))
    _assign_all(world, k=2)
    for sheet in services.round_assignments(world.round):
        _submit(sheet.judge, sheet, scores())
    services.publish_results(world.organiser, world.round)
    services.advance_entries(world.organiser, world.round)
    judge = world.judges[0]
    services.add_judge(world.organiser, final, judge.email)
    scored = next(a for a in services.round_assignments(world.round) if a.judge_id == judge.id)
    services.declare_conflict(judge, final.id, scored.entry_id, "mentor", "Cố vấn sau vòng sơ khảo")
    assert db.session.get(Assignment, scored.id) is not None  # the published sheet stays
    assert (judge.id, scored.entry_id) in services.blocked_pairs(final)


# --- bounds on every number an organiser types (issue 9, defect 4) --------------------------------

HUGE_OR_NOT_A_NUMBER = ["1e61", "9" * 70, "nan", "NaN", "inf", "-Infinity", "sNaN", "1_000", "-1", "0"]


def _criterion(max_points="10", weight="1", kind="points"):
    return [{"name": "Tính đổi mới sáng tạo", "kind": kind, "max_points": max_points, "weight": weight}]


@pytest.mark.parametrize("value", [*HUGE_OR_NOT_A_NUMBER, "1000.01", "7,125"])
def test_a_criterions_maximum_is_bounded_and_nothing_is_stored(world, value):
    before = list(world.round.rubric)
    with pytest.raises(Invalid) as info:
        services.save_rubric(world.organiser, world.round, _criterion(max_points=value))
    assert info.value.field == "rubric" and "Dòng 1: Điểm tối đa của tiêu chí “Tính đổi mới sáng tạo”" in (
        info.value.message
    )
    db.session.rollback()
    assert services.get_round(world.round.id).rubric == before


@pytest.mark.parametrize("value", [*HUGE_OR_NOT_A_NUMBER, "100.5", "0,001"])
@pytest.mark.parametrize("kind", ["points", "scale"])
def test_a_criterions_weight_is_bounded(world, value, kind):
    with pytest.raises(Invalid, match="Hệ số của tiêu chí “Tính đổi mới sáng tạo”"):
        services.save_rubric(world.organiser, world.round, _criterion(weight=value, kind=kind))


def test_the_largest_bounds_are_accepted_and_the_sheet_total_is_capped(world):
    rubric = services.save_rubric(world.organiser, world.round, _criterion(max_points="1000", weight="10"))
    assert rubric.max_total == scoring.MAX_TOTAL
    with pytest.raises(Invalid, match="vượt quá 10000"):
        services.save_rubric(world.organiser, world.round, _criterion(max_points="1000", weight="10.01"))
    with pytest.raises(Invalid, match="tối đa 40 tiêu chí"):
        services.save_rubric(
            world.organiser, world.round, [{"name": f"Tiêu chí {i}", "max_points": "1"} for i in range(41)]
        )


def test_the_rubric_cannot_fall_below_the_rounds_minimum_average(world):
    settings = services.RoundSettings(name="Sơ khảo", min_average="80")
    services.update_round(world.organiser, world.round, settings)
    with pytest.raises(Invalid, match="thấp hơn điểm trung bình tối thiểu"):
        services.save_rubric(world.organiser, world.round, _criterion(max_points="50"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"judges_per_entry": 16}, "judges_per_entry", "từ 1 đến 15"),
        ({"judges_per_entry": 0}, "judges_per_entry", "từ 1 đến 15"),
        ({"judges_per_entry": True}, "judges_per_entry", "từ 1 đến 15"),
        ({"top_n": 10**20}, "top_n", "từ 1 đến 1000"),
        ({"top_n": 0}, "top_n", "từ 1 đến 1000"),
        ({"min_average": "1e61"}, "min_average", "phải là một số"),
        ({"min_average": "1e999999999"}, "min_average", "phải là một số"),
        ({"min_average": "Infinity"}, "min_average", "phải là một số"),
        ({"min_average": "-5"}, "min_average", "phải từ 0 đến 10000"),
        ({"min_average": "99999999999"}, "min_average", "phải từ 0 đến 10000"),
        ({"min_average": "50,125"}, "min_average", "tối đa 2 chữ số thập phân"),
        ({"min_average": "101"}, "min_average", "lớn hơn tổng điểm tối đa của thang điểm (100,00)"),
    ],
    ids=lambda value: str(value)[:24] if isinstance(value, dict) else "",
)
def test_round_settings_are_bounded(world, changes, field, message):
    settings = services.RoundSettings(name="Sơ khảo", **changes)
    with pytest.raises(Invalid, match=re.escape(message)) as info:
        services.update_round(world.organiser, world.round, settings)
    assert info.value.field == field


def test_round_settings_at_their_bounds_are_kept_exactly(world):
    settings = services.RoundSettings(name="Sơ khảo", judges_per_entry=15, top_n=1000, min_average="99,5")
    round_ = services.update_round(world.organiser, world.round, settings)
    assert (round_.judges_per_entry, round_.top_n, round_.min_average) == (15, 1000, "99.5")


@pytest.mark.parametrize("value", [*HUGE_OR_NOT_A_NUMBER[:-2], "1000.01"])
def test_component_maxima_and_weights_are_bounded(world, value):
    with pytest.raises(Invalid, match="Dòng 1: Điểm tối đa của “Bình chọn”"):
        services.save_components(world.organiser, world.round, [{"name": "Bình chọn", "max_points": value}])
    with pytest.raises(Invalid, match="Dòng 1: Hệ số của “Bình chọn”"):
        services.save_components(
            world.organiser, world.round, [{"name": "Bình chọn", "max_points": "10", "weight": value}]
        )
    db.session.rollback()
    assert services.get_round(world.round.id).components == []


def test_a_components_maximum_cannot_drop_below_a_value_already_entered(world):
    services.save_components(world.organiser, world.round, [{"name": "Bình chọn", "max_points": "10"}])
    comp = world.round.components[0]
    services.save_component_scores(world.organiser, world.round, {(world.entries[0].id, comp["id"]): "9"})
    with pytest.raises(Invalid, match="đã có điểm 9,00"):
        services.save_components(
            world.organiser, world.round, [{"id": comp["id"], "name": "Bình chọn", "max_points": "5"}]
        )


@pytest.mark.parametrize("value", ["1e61", "nan", "-1", "10.5", "0,001", "9" * 5000])
def test_component_scores_stay_within_their_maximum(world, value):
    services.save_components(world.organiser, world.round, [{"name": "Bình chọn", "max_points": "10"}])
    comp = world.round.components[0]["id"]
    with pytest.raises(Invalid, match="Bình chọn"):
        services.save_component_scores(world.organiser, world.round, {(world.entries[0].id, comp): value})
    assert services.component_values(world.round) == {}


def test_prize_counts_are_bounded(world):
    track = world.tracks[0].name
    for count in (51, -1, 10**30, True, "3"):
        with pytest.raises(Invalid, match="Số lượng Giải Nhất phải là số nguyên từ 0 đến 50"):
            services.save_prize_plan(world.organiser, world.round, {track: {"nhat": count}}, [])
    side = [{"name": "Giải ý tưởng xanh", "criterion": "doi_moi", "count": 21}]
    with pytest.raises(Invalid, match="từ 1 đến 20"):
        services.save_prize_plan(world.organiser, world.round, {}, side)


@pytest.mark.parametrize("value", ["1e999999999", "1e61", "9" * 13, "nan", "-1", "1000.01", "1,005"])
def test_the_panels_value_is_bounded_so_the_results_page_keeps_working(world, value):
    entry = world.entries[0]
    with pytest.raises(Invalid, match="Quyết định của hội đồng") as info:
        services.set_panel_decision(world.organiser, world.round, entry.id, value)
    assert info.value.field == "panel"
    services.set_panel_decision(world.organiser, world.round, entry.id, "1000")
    assert services.compute_results(world.round).refused == ""


@pytest.mark.parametrize("k", [16, -3, 10**12])
def test_auto_assignment_k_is_bounded(world, k):
    with pytest.raises(Invalid, match="từ 1 đến 15"):
        services.auto_assign(world.organiser, world.round, k)
